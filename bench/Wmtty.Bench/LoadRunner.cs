using System.Diagnostics;

namespace Wmtty.Bench;

/// <summary>What one scenario measured.</summary>
internal sealed record Result(string Scenario, long Requests, long Errors, double Seconds, double P50Ms, double P99Ms, double PeakRssMb, double CpuMicrosecondsPerRequest = double.NaN)
{
    public double PerSecond => Requests / Seconds;
}

/// <summary>
/// A closed-loop load generator: N workers, each sending its next request as soon as the last one
/// is answered, over one HttpClient with N pooled connections. Latencies go into per-worker lists
/// that are merged and sorted at the end; non-2xx answers and exceptions are errors.
/// </summary>
internal static class LoadRunner
{
    public static HttpClient Client(Uri baseAddress, int connections, string? token = null)
    {
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = connections,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            UseCookies = false,
            AutomaticDecompression = System.Net.DecompressionMethods.None,
        };
        var client = new HttpClient(handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new("Bearer", token);
        }

        client.DefaultRequestHeaders.Accept.ParseAdd(Generator.FhirJson);
        return client;
    }

    /// <summary>
    /// Runs <paramref name="send"/> from <paramref name="workers"/> tasks for a warm-up (not recorded)
    /// and then <paramref name="duration"/>; <paramref name="sampleRss"/> is polled for the peak, and <paramref name="cpuSeconds"/>
    /// (the service's CPU time so far) read before and after, for its CPU time per request.
    /// </summary>
    public static async Task<Result> RunAsync(
        string scenario, HttpClient client, int workers, TimeSpan warmUp, TimeSpan duration,
        Func<HttpClient, Random, CancellationToken, Task<HttpResponseMessage>> send, Func<double>? sampleRss = null, Func<double>? cpuSeconds = null)
    {
        Console.WriteLine($"  {scenario}: warm-up {warmUp.TotalSeconds:F0} s, then {duration.TotalSeconds:F0} s with {workers} connections");
        await Loop(client, workers, warmUp, send, record: false);

        var peakRss = 0.0;
        using var stop = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                peakRss = Math.Max(peakRss, sampleRss?.Invoke() ?? 0);
                try { await Task.Delay(50, stop.Token); } catch (OperationCanceledException) { }
            }
        });

        var cpuBefore = cpuSeconds?.Invoke() ?? double.NaN;
        var started = Stopwatch.GetTimestamp();
        var (latencies, errors) = await Loop(client, workers, duration, send, record: true);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var cpu = (cpuSeconds?.Invoke() ?? double.NaN) - cpuBefore;
        await stop.CancelAsync();
        await sampler;

        var all = latencies.SelectMany(l => l).ToArray();
        Array.Sort(all);
        var result = new Result(scenario, all.Length, errors, seconds, Percentile(all, 0.50), Percentile(all, 0.99), peakRss, cpu * 1e6 / Math.Max(1, all.Length));
        Console.WriteLine($"    {result.PerSecond:F0} req/s, p50 {result.P50Ms:F2} ms, p99 {result.P99Ms:F2} ms, {errors} errors" +
            (double.IsNaN(cpu) ? "" : $", service CPU {result.CpuMicrosecondsPerRequest:F0} µs a request ({cpu / seconds:F2} cores)"));
        return result;
    }

    private static async Task<(List<long>[] Latencies, long Errors)> Loop(
        HttpClient client, int workers, TimeSpan duration,
        Func<HttpClient, Random, CancellationToken, Task<HttpResponseMessage>> send, bool record)
    {
        var latencies = new List<long>[workers];
        long errors = 0;
        var end = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var firstError = 0;
        await Task.WhenAll(Enumerable.Range(0, workers).Select(w => Task.Run(async () =>
        {
            var mine = latencies[w] = new List<long>(1 << 14);
            var random = new Random(w * 7919 + Environment.TickCount);
            while (Stopwatch.GetTimestamp() < end)
            {
                var start = Stopwatch.GetTimestamp();
                var ok = false;
                try
                {
                    using var response = await send(client, random, CancellationToken.None);
                    ok = response.IsSuccessStatusCode;
                    if (!ok && Interlocked.Exchange(ref firstError, 1) == 0)
                    {
                        Console.Error.WriteLine($"    first error: {(int)response.StatusCode} {Shorten(await response.Content.ReadAsStringAsync())}");
                    }
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
                {
                    if (Interlocked.Exchange(ref firstError, 1) == 0)
                    {
                        Console.Error.WriteLine($"    first error: {e.GetType().Name}: {e.Message}");
                    }
                }

                if (record)
                {
                    mine.Add(Stopwatch.GetTimestamp() - start);
                    if (!ok)
                    {
                        Interlocked.Increment(ref errors);
                    }
                }
            }
        })));
        return (latencies, errors);
    }

    internal static double Percentile(long[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))] * 1000.0 / Stopwatch.Frequency;

    internal static string Shorten(string text, int length = 300) => text.Length <= length ? text : text[..length] + "…";
}

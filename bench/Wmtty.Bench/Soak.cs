using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Wmtty.Bench;

/// <summary>
/// The soak (bench/soak.sh): a long run of reads, searches and submissions mixed, then a burst far past what the
/// service admits. It counts every answer by status, samples the service's RSS every few seconds, and says whether
/// the service passed: no 5xx and no failed requests in either phase, 503/429 only with an OperationOutcome under
/// overload, and RSS no higher at the end than after the warm-up.
/// </summary>
internal static class Soak
{
    private static readonly TimeSpan SampleEvery = TimeSpan.FromSeconds(5);

    /// <summary>The limit for "RSS does not grow": the last minute's mean over the first minute's after warm-up.</summary>
    private const double GrowthLimit = 1.05;

    public sealed record Mix(string Name, int Weight, Func<HttpClient, Random, CancellationToken, Task<HttpResponseMessage>> Send);

    private sealed class Minute
    {
        public long Ok, Client, Server, Failed;
        public readonly List<long> Latencies = new(1 << 16);
    }

    public static async Task<(string Markdown, bool Passed)> RunAsync(ServiceProcess service, HttpClient client, IReadOnlyList<Mix> mix, int connections,
        TimeSpan duration, TimeSpan warmUp, int overloadConnections, TimeSpan overloadDuration, string token, IReadOnlyList<string> facts)
    {
        var total = mix.Sum(m => m.Weight);
        var minutes = Enumerable.Range(0, (int)Math.Ceiling(duration.TotalMinutes)).Select(_ => new Minute()).ToArray();
        var rss = new List<(double Seconds, double Mb)>();
        var parts = new List<(double Seconds, double Anonymous, double File, double Shared)>();
        var started = Stopwatch.GetTimestamp();
        var end = started + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var firstFailures = new List<string>();
        Console.WriteLine($"Soak: {duration.TotalMinutes:F0} min, {connections} connections, {string.Join(", ", mix.Select(m => $"{m.Name} {100.0 * m.Weight / total:F0}%"))}");

        using var stopSampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!stopSampling.IsCancellationRequested)
            {
                var at = Stopwatch.GetElapsedTime(started).TotalSeconds;
                rss.Add((at, service.RssMb()));
                var (anonymous, file, shared) = service.RssPartsMb();
                parts.Add((at, anonymous, file, shared));
                if (rss.Count % 12 == 1)
                {
                    Console.WriteLine($"  {at / 60:F1} min: RSS {rss[^1].Mb:F0} MB (anonymous {anonymous:F0}, files {file:F0}, shared {shared:F0})");
                }

                try { await Task.Delay(SampleEvery, stopSampling.Token); } catch (OperationCanceledException) { }
            }
        });

        await Task.WhenAll(Enumerable.Range(0, connections).Select(w => Task.Run(async () =>
        {
            var random = new Random(20261125 + w);
            while (Stopwatch.GetTimestamp() < end)
            {
                var pick = random.Next(total);
                var scenario = mix.First(m => (pick -= m.Weight) < 0);
                var start = Stopwatch.GetTimestamp();
                var minute = minutes[Math.Min(minutes.Length - 1, (int)(Stopwatch.GetElapsedTime(started).TotalMinutes))];
                try
                {
                    using var response = await scenario.Send(client, random, CancellationToken.None);
                    var status = (int)response.StatusCode;
                    Interlocked.Increment(ref status >= 500 ? ref minute.Server : ref status >= 400 ? ref minute.Client : ref minute.Ok);
                    if (status >= 400)
                    {
                        Note(firstFailures, $"{scenario.Name}: {status} {LoadRunner.Shorten(await response.Content.ReadAsStringAsync(), 200)}");
                    }
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
                {
                    Interlocked.Increment(ref minute.Failed);
                    Note(firstFailures, $"{scenario.Name}: {e.GetType().Name}: {e.Message}");
                }

                var elapsed = Stopwatch.GetTimestamp() - start;
                lock (minute.Latencies)
                {
                    minute.Latencies.Add(elapsed);
                }
            }
        })));

        await stopSampling.CancelAsync();
        await sampler;
        var overload = await OverloadAsync(service.Address, token, mix[0], overloadConnections, overloadDuration);

        // RSS after warm-up: the first minute after it against the last minute of the run, and the straight line through every sample after it.
        var settled = rss.Where(s => s.Seconds >= warmUp.TotalSeconds).ToList();
        var first = settled.Where(s => s.Seconds < warmUp.TotalSeconds + 60).Select(s => s.Mb).DefaultIfEmpty(double.NaN).Average();
        var last = settled.Where(s => s.Seconds >= duration.TotalSeconds - 60).Select(s => s.Mb).DefaultIfEmpty(double.NaN).Average();
        var slope = Slope(settled) * 60; // MB a minute
        var served = minutes.Sum(m => m.Ok + m.Client);
        var serverErrors = minutes.Sum(m => m.Server);
        var failed = minutes.Sum(m => m.Failed);
        var rssFlat = last <= first * GrowthLimit;
        var passed = serverErrors == 0 && failed == 0 && rssFlat && overload.Passed;

        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"# Wmtty soak, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC: {(passed ? "passed" : "FAILED")}").AppendLine();
        foreach (var fact in facts)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"- {fact}");
        }

        md.AppendLine(CultureInfo.InvariantCulture, $"- mix: {string.Join(", ", mix.Select(m => $"{m.Name} {100.0 * m.Weight / total:F0}%"))}; {connections} connections, closed loop, {duration.TotalMinutes:F0} min; RSS sampled every {SampleEvery.TotalSeconds:F0} s")
            .AppendLine()
            .AppendLine("| minute | requests/s | p50 ms | p99 ms | 2xx | 4xx | 5xx | failed (no answer) | RSS MB (mean) | of it anonymous / files / shared |")
            .AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        for (var i = 0; i < minutes.Length; i++)
        {
            var m = minutes[i];
            var sorted = m.Latencies.ToArray();
            Array.Sort(sorted);
            var inMinute = rss.Where(s => s.Seconds >= i * 60 && s.Seconds < (i + 1) * 60).Select(s => s.Mb).DefaultIfEmpty(double.NaN).Average();
            var partsInMinute = parts.Where(s => s.Seconds >= i * 60 && s.Seconds < (i + 1) * 60).ToList();
            string Mean(Func<(double Seconds, double Anonymous, double File, double Shared), double> part) =>
                partsInMinute.Count == 0 ? "–" : partsInMinute.Average(part).ToString("F0", CultureInfo.InvariantCulture);
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| {i + 1} | {sorted.Length / 60.0:F0} | {LoadRunner.Percentile(sorted, 0.5):F1} | {LoadRunner.Percentile(sorted, 0.99):F1} | {m.Ok} | {m.Client} | {m.Server} | {m.Failed} | {inMinute:F0} | {Mean(p => p.Anonymous)} / {Mean(p => p.File)} / {Mean(p => p.Shared)} |");
        }

        md.AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"- answered: {served:N0}; 5xx: **{serverErrors}**; failed without an answer: **{failed}**")
            .AppendLine(CultureInfo.InvariantCulture, $"- RSS after {warmUp.TotalSeconds:F0} s of warm-up: {first:F0} MB in the first minute, {last:F0} MB in the last ({last / first:F3}×; limit {GrowthLimit:F2}×); fitted slope {slope:+0.0;-0.0} MB a minute; peak over the run (VmHWM) {service.PeakRssMb():F0} MB: **{(rssFlat ? "flat" : "GREW")}**")
            .AppendLine(CultureInfo.InvariantCulture, $"- overload: {overload.Summary}: **{(overload.Passed ? "shed cleanly" : "FAILED")}**");
        if (firstFailures.Count > 0)
        {
            md.AppendLine().AppendLine("First failures:").AppendLine();
            foreach (var failure in firstFailures)
            {
                md.AppendLine(CultureInfo.InvariantCulture, $"- `{failure.Replace('`', '\'')}`");
            }
        }

        return (md.ToString(), passed);
    }

    private sealed record OverloadResult(bool Passed, string Summary);

    // Far more connections than the service admits (Overload:MaxConcurrentRequests and :QueueLimit): every answer must be a
    // success, or a 503 or 429 with an OperationOutcome and Retry-After, and no request may go unanswered.
    private static async Task<OverloadResult> OverloadAsync(Uri address, string token, Mix read, int connections, TimeSpan duration)
    {
        Console.WriteLine($"Overload: {read.Name} from {connections} connections for {duration.TotalSeconds:F0} s");
        using var client = LoadRunner.Client(address, connections, token);
        long ok = 0, shed = 0, shedWithoutOutcome = 0, other = 0, failed = 0;
        var end = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        await Task.WhenAll(Enumerable.Range(0, connections).Select(w => Task.Run(async () =>
        {
            var random = new Random(w);
            while (Stopwatch.GetTimestamp() < end)
            {
                try
                {
                    using var response = await read.Send(client, random, CancellationToken.None);
                    var status = (int)response.StatusCode;
                    if (response.IsSuccessStatusCode)
                    {
                        Interlocked.Increment(ref ok);
                    }
                    else if (status is 503 or 429)
                    {
                        var body = await response.Content.ReadAsStringAsync();
                        var proper = body.Contains("\"OperationOutcome\"", StringComparison.Ordinal) && response.Headers.RetryAfter is not null;
                        Interlocked.Increment(ref proper ? ref shed : ref shedWithoutOutcome);
                    }
                    else
                    {
                        Interlocked.Increment(ref other);
                    }
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
                {
                    Interlocked.Increment(ref failed);
                }
            }
        })));

        var summary = $"{connections} connections for {duration.TotalSeconds:F0} s: {ok:N0} answered, {shed:N0} shed (503/429 with an OperationOutcome and Retry-After), " +
            $"{shedWithoutOutcome} shed without one, {other} other statuses, {failed} without an answer";
        Console.WriteLine("  " + summary);
        return new OverloadResult(shed > 0 && shedWithoutOutcome == 0 && other == 0 && failed == 0, summary);
    }

    private static void Note(List<string> notes, string note)
    {
        lock (notes)
        {
            if (notes.Count < 10)
            {
                notes.Add(note);
                Console.Error.WriteLine("    " + note);
            }
        }
    }

    // Least squares, MB a second.
    private static double Slope(List<(double Seconds, double Mb)> points)
    {
        if (points.Count < 2)
        {
            return double.NaN;
        }

        var mx = points.Average(p => p.Seconds);
        var my = points.Average(p => p.Mb);
        return points.Sum(p => (p.Seconds - mx) * (p.Mb - my)) / points.Sum(p => (p.Seconds - mx) * (p.Seconds - mx));
    }
}

using System.Globalization;
using System.Text;

namespace Wmtty.Bench;

/// <summary>
/// An A/B in one run (<c>--compare-env</c>, <c>--compare-service</c>): this checkout's service (A) and another build or
/// setting (B), each on its own copy of the same imported database, both running, measured in alternate slices
/// (A B, B A, A B, …) so that the host's slow and fast spells, which last minutes on these shared machines, fall on
/// both alike. Each pair gives a ratio B/A; the report gives their median and range and how many pairs B won, beside
/// each side's medians.
/// </summary>
internal static class Compare
{
    public sealed record Side(string Name, ServiceProcess Service, HttpClient Client);

    public static async Task<string> RunAsync(
        IReadOnlyList<(string Name, Func<HttpClient, Random, CancellationToken, Task<HttpResponseMessage>> Send)> scenarios,
        Side a, Side b, int connections, TimeSpan warmUp, TimeSpan slice, int pairs, DateTime utc, IReadOnlyList<string> facts)
    {
        var rows = new List<string>();
        foreach (var (name, send) in scenarios)
        {
            Console.WriteLine($"A/B: {name}, {pairs} pairs of {slice.TotalSeconds:F0} s slices");
            foreach (var side in new[] { a, b })
            {
                await LoadRunner.RunAsync($"{side.Name}, warm-up", side.Client, connections, TimeSpan.Zero, warmUp, send);
            }

            var ofA = new List<Result>();
            var ofB = new List<Result>();
            for (var pair = 0; pair < pairs; pair++)
            {
                // A B, then B A: neither side always goes first, after the other has warmed the caches they share.
                foreach (var side in pair % 2 == 0 ? new[] { a, b } : [b, a])
                {
                    var result = await LoadRunner.RunAsync($"{side.Name}, pair {pair + 1}", side.Client, connections, TimeSpan.Zero, slice, send,
                        side.Service.RssMb, side.Service.CpuSeconds);
                    (side == a ? ofA : ofB).Add(result);
                }
            }

            var throughput = ofA.Zip(ofB, (x, y) => y.PerSecond / x.PerSecond).ToList();
            var cpu = ofA.Zip(ofB, (x, y) => y.CpuMicrosecondsPerRequest / x.CpuMicrosecondsPerRequest).ToList();
            rows.Add(string.Create(CultureInfo.InvariantCulture,
                $"| {name} | {Median(ofA.Select(r => r.PerSecond)):F0} | {Median(ofB.Select(r => r.PerSecond)):F0} | " +
                $"**{Median(throughput):F3}** ({throughput.Min():F2}–{throughput.Max():F2}), B ahead in {throughput.Count(t => t > 1)} of {pairs} | " +
                $"{Median(ofA.Select(r => r.CpuMicrosecondsPerRequest)):F0} | {Median(ofB.Select(r => r.CpuMicrosecondsPerRequest)):F0} | " +
                $"{Median(cpu):F3} ({cpu.Min():F2}–{cpu.Max():F2}) | " +
                $"{Median(ofA.Select(r => r.P99Ms)):F1} | {Median(ofB.Select(r => r.P99Ms)):F1} | {ofA.Sum(r => r.Errors) + ofB.Sum(r => r.Errors)} |"));
        }

        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"# Wmtty benchmark, A/B, {utc:yyyy-MM-dd HH:mm:ss} UTC");
        text.AppendLine();
        foreach (var fact in facts)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"- {fact}");
        }

        text.AppendLine(
            string.Create(CultureInfo.InvariantCulture, $"- A/B: {pairs} pairs of {slice.TotalSeconds:F0} s slices a scenario, alternately A first and B first, after {warmUp.TotalSeconds:F0} s of warm-up each; ") +
            "both services running throughout, each on its own copy of the imported database; medians of the slices, and of B/A in each pair");
        text.AppendLine();
        text.AppendLine("| scenario | A req/s | B req/s | B/A req/s: median (range), pairs B ahead | A service CPU µs a request | B | B/A CPU: median (range) | A p99 ms | B p99 ms | errors |");
        text.AppendLine("|---|---:|---:|---|---:|---:|---|---:|---:|---:|");
        rows.ForEach(r => text.AppendLine(r));
        return text.ToString();
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN
            : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2]
            : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}

using System.Globalization;
using System.Text;

namespace Wmtty.Bench;

/// <summary>The Markdown report: printed, and written to bench/results/&lt;UTC timestamp&gt;.md.</summary>
internal static class Report
{
    public static string Markdown(DateTime utc, IReadOnlyList<string> facts, IReadOnlyList<Result> results, Result ceiling)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"# Wmtty benchmark, {utc:yyyy-MM-dd HH:mm:ss} UTC");
        text.AppendLine();
        foreach (var fact in facts)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"- {fact}");
        }

        text.AppendLine();
        text.AppendLine("| scenario | req/s | p50 ms | p99 ms | errors | peak RSS MB (service) | service CPU µs a request | ratio to ceiling |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in results.Append(ceiling))
        {
            var rss = r == ceiling ? "n/a (in bench process)" : r.PeakRssMb.ToString("F0", CultureInfo.InvariantCulture);
            var cpu = double.IsNaN(r.CpuMicrosecondsPerRequest) ? "n/a" : r.CpuMicrosecondsPerRequest.ToString("F0", CultureInfo.InvariantCulture);
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {r.Scenario} | {r.PerSecond:F0} | {r.P50Ms:F2} | {r.P99Ms:F2} | {r.Errors} | {rss} | {cpu} | {100 * r.PerSecond / ceiling.PerSecond:F1}% |");
        }

        return text.ToString();
    }

    /// <summary>Each scenario's p99 and throughput at every database size, and the p99 as a ratio to the smallest size's.</summary>
    public static string Flatness(DateTime utc, IReadOnlyList<(int Patients, List<Result> Results)> runs)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"# Wmtty benchmark: flat as data grows, {utc:yyyy-MM-dd HH:mm:ss} UTC");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"- machine: {Environment.ProcessorCount} cores; each size in its own run of the service, one after another; the tables of each run are in the files written with them");
        text.AppendLine();
        text.AppendLine("| scenario | " + string.Join(" | ", runs.Select(r => $"{r.Patients:N0} patients: req/s, p99 ms")) + $" | p99 ratio {runs[^1].Patients:N0} / {runs[0].Patients:N0} |");
        text.AppendLine("|---|" + string.Concat(runs.Select(_ => "---:|")) + "---:|");
        foreach (var scenario in runs[0].Results.Select(r => r.Scenario))
        {
            var row = runs.Select(r => r.Results.FirstOrDefault(x => x.Scenario == scenario)).ToList();
            var ratio = row[0] is { } first && row[^1] is { } last && first.P99Ms > 0 ? (last.P99Ms / first.P99Ms).ToString("F2", CultureInfo.InvariantCulture) : "n/a";
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {scenario} | {string.Join(" | ", row.Select(r => r is null ? "n/a" : $"{r.PerSecond:F0}, {r.P99Ms:F2}"))} | {ratio} |");
        }

        return text.ToString();
    }

    public static string Write(string resultsDirectory, DateTime utc, string markdown, string suffix = "")
    {
        Directory.CreateDirectory(resultsDirectory);
        var path = Path.Combine(resultsDirectory, $"{utc:yyyyMMdd'T'HHmmss'Z'}{suffix}.md");
        File.WriteAllText(path, markdown);
        return path;
    }
}

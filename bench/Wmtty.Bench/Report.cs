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
        text.AppendLine("| scenario | req/s | p50 ms | p99 ms | errors | peak RSS MB (service) | ratio to ceiling |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var r in results.Append(ceiling))
        {
            var rss = r == ceiling ? "n/a (in bench process)" : r.PeakRssMb.ToString("F0", CultureInfo.InvariantCulture);
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {r.Scenario} | {r.PerSecond:F0} | {r.P50Ms:F2} | {r.P99Ms:F2} | {r.Errors} | {rss} | {100 * r.PerSecond / ceiling.PerSecond:F1}% |");
        }

        return text.ToString();
    }

    public static string Write(string resultsDirectory, DateTime utc, string markdown)
    {
        Directory.CreateDirectory(resultsDirectory);
        var path = Path.Combine(resultsDirectory, $"{utc:yyyyMMdd'T'HHmmss'Z'}.md");
        File.WriteAllText(path, markdown);
        return path;
    }
}

using System.Diagnostics.Metrics;

namespace Wmtty.Data.Storage;

/// <summary>
/// What the group commit (<see cref="WriteGroup"/>, SQLite's single writer) does, as .NET metrics on the
/// <c>Wmtty.Storage</c> meter: <c>dotnet-counters monitor -p PID --counters Wmtty.Storage</c>, or any
/// OpenTelemetry exporter. How bench/README.md judged the writer's changes: its time per write, split into the
/// writes' own work and the commit, and the pages each commit writes to the write-ahead log. The pages are read from
/// SQLite only while something listens.
/// </summary>
internal static class WriterMetrics
{
    public const string MeterName = "Wmtty.Storage";

    internal static readonly Meter Meter = new(MeterName);

    public static readonly Counter<long> Writes = Meter.CreateCounter<long>(
        "wmtty.storage.writes", "{write}", "Writes committed by the group commit.");

    public static readonly Counter<long> Groups = Meter.CreateCounter<long>(
        "wmtty.storage.groups", "{group}", "Transactions the group commit committed, each holding one or more writes.");

    public static readonly Histogram<double> Work = Meter.CreateHistogram<double>(
        "wmtty.storage.group.work", "ms", "Time a group spent running its writes, before its commit.");

    public static readonly Histogram<double> Commit = Meter.CreateHistogram<double>(
        "wmtty.storage.group.commit", "ms", "Time a group's commit took (writing its pages to the write-ahead log, and the sync).");

    public static readonly Histogram<double> Sync = Meter.CreateHistogram<double>(
        "wmtty.storage.group.sync", "ms", "Time from a group's commit to the end of the log sync that made it durable, where that runs after the commit (Storage:SyncAfterCommit).");

    public static readonly Counter<long> PagesWritten = Meter.CreateCounter<long>(
        "wmtty.storage.pages_written", "{page}", "Database pages the writer's commits wrote.");
}

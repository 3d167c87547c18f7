using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Wmtty.Api.Errors;
using Wmtty.Api.Fhir;
using Wmtty.Data.Audit;
using Wmtty.Data.Storage;
using Wmtty.Fhir.Resources;
using Wmtty.Fhir.Serialization;

namespace Wmtty.Api.Import;

/// <summary>What one import did, line by line.</summary>
internal sealed record ImportReport(long Lines, long Created, long Updated, long Unchanged, IReadOnlyList<ImportFailure> Failures, long FailureCount, TimeSpan Elapsed)
{
    public long Imported => Created + Updated + Unchanged;

    public double PerSecond => Imported / Math.Max(Elapsed.TotalSeconds, 0.001);
}

/// <summary>A line that was not imported: where it is and why, without its content (which may be a patient's).</summary>
internal sealed record ImportFailure(long Line, string Reason);

/// <summary>
/// Imports FHIR NDJSON (one resource per line, as FHIR Bulk Data writes it): Patients and the other
/// resources first, then QuestionnaireResponses, so a response always finds its patient. Each resource
/// goes through the same checks, extraction and indexing as a client's write (<see cref="ResourceWriter.ImportAsync"/>),
/// under its own id, many at a time so that their writes share commits. A line whose resource is already
/// stored with the same content changes nothing, so importing a file again is safe. Every patient whose
/// records were written is named in the audit trail, against the import.
/// </summary>
internal sealed class BulkImporter(ResourceWriter writer, IAuditStore audit, TimeProvider clock)
{
    private const int MaxFailuresKept = 50;
    private const int PatientsPerAuditRecord = 1000;

    public async Task<ImportReport> ImportAsync(string path, Uri localBase, int workers, IProgress<ImportProgress>? progress, CancellationToken cancellationToken)
    {
        var clockStart = Stopwatch.StartNew();
        var state = new State();
        var length = new FileInfo(path).Length;
        foreach (var (pass, responses) in new[] { (1, false), (2, true) })
        {
            var patients = new HashSet<string>(StringComparer.Ordinal);
            await PassAsync(path, localBase, responses, workers, state, patients, cancellationToken, position =>
                progress?.Report(new ImportProgress(pass, 2, position, length, state.Done, clockStart.Elapsed)));
            await AuditAsync(patients, cancellationToken);
        }

        return new ImportReport(state.Lines, state.Created, state.Updated, state.Unchanged, [.. state.Failures.OrderBy(f => f.Line)], state.FailureCount, clockStart.Elapsed);
    }

    private async Task PassAsync(string path, Uri localBase, bool responses, int workers, State state, HashSet<string> patients, CancellationToken cancellationToken, Action<long> report)
    {
        var lines = Channel.CreateBounded<(long Number, byte[] Json)>(new BoundedChannelOptions(workers * 4) { SingleWriter = true });
        var running = Enumerable.Range(0, workers).Select(_ => Task.Run(async () =>
        {
            await foreach (var (number, json) in lines.Reader.ReadAllAsync(cancellationToken))
            {
                await ImportLineAsync(number, json, localBase, state, patients, cancellationToken);
            }
        }, cancellationToken)).ToList();

        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        using var reader = new StreamReader(file, new UTF8Encoding(false, throwOnInvalidBytes: false), detectEncodingFromByteOrderMarks: true);
        var lastReport = Stopwatch.GetTimestamp();
        long number = 0;
        try
        {
            while (await reader.ReadLineAsync(cancellationToken) is { } line)
            {
                number++;
                if (string.IsNullOrWhiteSpace(line))
                {
                    continue;
                }

                var json = Encoding.UTF8.GetBytes(line);
                if ((ResourceTypeOf(json) == ResourceTypes.QuestionnaireResponse) != responses)
                {
                    continue; // the other pass's
                }

                Interlocked.Increment(ref state.Lines);

                await lines.Writer.WriteAsync((number, json), cancellationToken);
                if (Stopwatch.GetElapsedTime(lastReport) > TimeSpan.FromMilliseconds(250))
                {
                    lastReport = Stopwatch.GetTimestamp();
                    report(file.Position);
                }
            }
        }
        finally
        {
            lines.Writer.TryComplete();
            await Task.WhenAll(running);
        }

        report(file.Length);
    }

    private async Task ImportLineAsync(long number, byte[] json, Uri localBase, State state, HashSet<string> patients, CancellationToken cancellationToken)
    {
        try
        {
            var parsed = FhirSerialization.ParseJson(json);
            if (parsed.Resource is not { } resource)
            {
                state.Fail(number, "not a FHIR resource in JSON: " + Reason(parsed.Errors));
                return;
            }

            var outcome = await writer.ImportAsync(resource, localBase, cancellationToken);
            switch (outcome.Kind)
            {
                case WriteKind.Matched:
                    Interlocked.Increment(ref state.Unchanged);
                    break;
                case WriteKind.Created:
                    Interlocked.Increment(ref state.Created);
                    break;
                default:
                    Interlocked.Increment(ref state.Updated);
                    break;
            }

            if (outcome.Kind != WriteKind.Matched && PatientOf(resource, outcome) is { } patient)
            {
                lock (patients)
                {
                    patients.Add(patient);
                }
            }
        }
        catch (FhirException refused)
        {
            state.Fail(number, $"{refused.StatusCode} {Reason(refused.Outcome)}");
        }
        catch (StoreUnavailableException)
        {
            state.Fail(number, "the database was unavailable; import the file again to retry");
        }
        catch (Exception unexpected) when (unexpected is not OperationCanceledException)
        {
            // A fault here, not in the line: reported against the line (and the exit code), and the rest go on.
            state.Fail(number, $"not imported: {unexpected.GetType().Name} in Wmtty; report it");
        }
    }

    // The patient whose record it is, for the audit trail: a Patient is its own, a response names its subject.
    private static string? PatientOf(Resource resource, WriteOutcome outcome) => resource switch
    {
        Patient => outcome.Id,
        QuestionnaireResponse { Subject.Reference: { } reference } when reference.StartsWith("Patient/", StringComparison.Ordinal) => reference["Patient/".Length..],
        _ => null,
    };

    // The issue's code and where it is: enough to find and fix the line, and never a value from it.
    private static string Reason(OperationOutcome? outcome) =>
        outcome?.Issue.FirstOrDefault(i => i.Severity is OperationOutcome.IssueSeverity.Error or OperationOutcome.IssueSeverity.Fatal) is { } issue
            ? $"{issue.Code?.ToString().ToLowerInvariant() ?? "invalid"}{(issue.Expression.FirstOrDefault() is { } at ? " at " + at : "")}"
            : "invalid";

    private async Task AuditAsync(HashSet<string> patients, CancellationToken cancellationToken)
    {
        var entries = patients.Order(StringComparer.Ordinal).Chunk(PatientsPerAuditRecord)
            .Select(chunk => new AuditEntry(clock.GetUtcNow(), "U", "import", null, null, StatusCodes.Status200OK,
                "system", "wmtty-import", "Bulk import (command line)", null, null, null, chunk))
            .ToList();
        if (entries.Count > 0)
        {
            await audit.AppendAsync(entries, cancellationToken);
        }
    }

    /// <summary>The top-level resourceType, read without parsing the resource; null when there is none.</summary>
    internal static string? ResourceTypeOf(byte[] json)
    {
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 256 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("resourceType"))
                {
                    return reader.Read() && reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                }

                reader.Read();
                reader.Skip();
            }
        }
        catch (JsonException)
        {
            // not JSON: the pass that parses it says so
        }

        return null;
    }

    private sealed class State
    {
        public long Lines;
        public long Created;
        public long Updated;
        public long Unchanged;
        public long FailureCount;
        public readonly List<ImportFailure> Failures = [];

        public long Done => Interlocked.Read(ref Created) + Interlocked.Read(ref Updated) + Interlocked.Read(ref Unchanged) + Interlocked.Read(ref FailureCount);

        public void Fail(long line, string reason)
        {
            Interlocked.Increment(ref FailureCount);
            lock (Failures)
            {
                if (Failures.Count < MaxFailuresKept)
                {
                    Failures.Add(new ImportFailure(line, reason));
                }
            }
        }
    }
}

/// <summary>Where an import is: which pass, how far through the file, and how many lines are done.</summary>
internal sealed record ImportProgress(int Pass, int Passes, long Position, long Length, long Done, TimeSpan Elapsed)
{
    public double Fraction => Length == 0 ? 1 : (Pass - 1 + (double)Position / Length) / Passes;
}

/// <summary>
/// <c>dotnet run --project src/Wmtty.Api -- import FILE.ndjson [--workers N]</c>: imports into the configured
/// database (migrated and seeded first, as at start-up) and exits; 0 when every line was imported, 1 when some
/// were not, 2 when the command itself is wrong.
/// </summary>
internal static class BulkImportCommand
{
    public const string Verb = "import";

    public static bool Requested(string[] args) => args.Length > 0 && args[0] == Verb;

    public static async Task<int> RunAsync(WebApplication app, string[] args)
    {
        var path = args.Length > 1 && !args[1].StartsWith("--", StringComparison.Ordinal) ? args[1] : null;
        var workersAt = Array.IndexOf(args, "--workers");
        var workers = 128;
        if (path is null || !File.Exists(path)
            || (workersAt > 0 && (workersAt + 1 >= args.Length || !int.TryParse(args[workersAt + 1], NumberStyles.None, CultureInfo.InvariantCulture, out workers) || workers is < 1 or > 1024)))
        {
            await Console.Error.WriteLineAsync("Usage: dotnet run --project src/Wmtty.Api -- import FILE.ndjson [--workers 1-1024]\n" +
                "  FILE.ndjson: one FHIR resource per line (Patients, QuestionnaireResponses, ...), each with its id." +
                (path is not null && !File.Exists(path) ? $"\n  No such file: {path}" : ""));
            return 2;
        }

        var localBase = new Uri((app.Configuration[$"{FhirOptions.Section}:BaseUrl"] is { Length: > 0 } configured ? configured.TrimEnd('/') : "http://localhost/fhir") + "/");
        var importer = ActivatorUtilities.CreateInstance<BulkImporter>(app.Services);
        Console.Error.WriteLine($"Importing {Path.GetFullPath(path)} ({new FileInfo(path).Length / 1024.0 / 1024.0:F1} MB), {workers} at a time");
        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };

        var bar = new ProgressBar(Console.Error, !Console.IsErrorRedirected);
        var report = await importer.ImportAsync(path, localBase, workers, bar, stop.Token);
        bar.Finish();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Imported {report.Imported:N0} of {report.Lines:N0} resources in {report.Elapsed.TotalSeconds:F1} s ({report.PerSecond:F0}/s): {report.Created:N0} created, {report.Updated:N0} updated, {report.Unchanged:N0} unchanged, {report.FailureCount:N0} failed."));
        foreach (var failure in report.Failures)
        {
            Console.WriteLine($"  line {failure.Line}: {failure.Reason}");
        }

        if (report.FailureCount > report.Failures.Count)
        {
            Console.WriteLine($"  ... and {report.FailureCount - report.Failures.Count} more");
        }

        return report.FailureCount == 0 ? 0 : 1;
    }

    /// <summary>A bar on a terminal, redrawn in place; a line every few seconds when the output is a file.</summary>
    private sealed class ProgressBar(TextWriter output, bool terminal) : IProgress<ImportProgress>
    {
        private const int Width = 30;
        private long lastLine;

        public void Report(ImportProgress value)
        {
            var done = (int)Math.Round(value.Fraction * Width);
            var text = string.Create(CultureInfo.InvariantCulture,
                $"[{new string('#', done)}{new string('.', Width - done)}] {value.Fraction:P0} pass {value.Pass}/{value.Passes}, {value.Done:N0} resources, {value.Done / Math.Max(value.Elapsed.TotalSeconds, 0.001):F0}/s");
            lock (this)
            {
                if (terminal)
                {
                    output.Write("\r" + text);
                }
                else if (Environment.TickCount64 - lastLine > 2000 || value.Position == value.Length)
                {
                    lastLine = Environment.TickCount64;
                    output.WriteLine(text);
                }
            }
        }

        public void Finish()
        {
            if (terminal)
            {
                output.WriteLine();
            }
        }
    }
}

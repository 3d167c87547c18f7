using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Wmtty.Data.Backup;
using Wmtty.Data.Storage;
using Wmtty.Tests.Infrastructure;

namespace Wmtty.Tests.Storage;

/// <summary>
/// The online SQLite backup (SqliteBackup, <c>backup FOLDER</c>): taken while submissions are being written, it restores
/// to a database that passes SQLite's integrity check, holds every write acknowledged before it began, holds nothing
/// half-written, and keeps the audit records that were only in the audit journal.
/// </summary>
public sealed class BackupTests : IAsyncDisposable
{
    private readonly string backupFolder = Path.Combine(Path.GetTempPath(), "wmtty-tests", Guid.NewGuid().ToString("N"));

    public ValueTask DisposeAsync()
    {
        WmttyApp.DeleteDataFolder(backupFolder);
        return ValueTask.CompletedTask;
    }

    [Fact]
    public async Task ABackupTakenUnderWriteLoadRestoresConsistentWithEveryAcknowledgedWriteAndTheJournalsAuditRecords()
    {
        // Folding only at 2,048 records or on a search, so a read's audit record stays in the journal file until the backup.
        await using var source = new WmttyApp(new() { ["Storage:AuditJournalFoldEvery"] = "01:00:00" });
        using var writer = await source.ClientAsync("ehrwriter");
        var (readPatient, _) = await Responses.CreatePatientAsync(writer);
        await Responses.SubmitAsync(writer, Responses.Build(readPatient, Responses.TypicalAnswers()));
        using var ehr = await source.ClientAsync("ehr");
        using (var read = await ehr.GetAsync($"/fhir/Observation/$lastn?patient={readPatient}"))
        {
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        }

        // Four writers, each a new patient and their response, until the backup is done.
        var acknowledged = new ConcurrentQueue<string>();
        using var stop = new CancellationTokenSource();
        var load = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var (patient, _) = await Responses.CreatePatientAsync(writer);
                await Responses.SubmitAsync(writer, Responses.Build(patient, Responses.TypicalAnswers()));
                acknowledged.Enqueue(patient);
            }
        })).ToArray();
        while (acknowledged.Count < 8)
        {
            await Task.Delay(20);
        }

        var beforeBackup = acknowledged.ToArray();
        var result = SqliteBackup.Run(new StorageOptions { DataDirectory = source.DataDirectory }, null, backupFolder);
        await stop.CancelAsync();
        await Task.WhenAll(load);
        Assert.True(acknowledged.Count > beforeBackup.Length, "the writers kept writing around the backup");
        Assert.NotEmpty(result.JournalFiles);
        Assert.Equal(Path.Combine(backupFolder, "wmtty.db"), result.Database);
        if (!OperatingSystem.IsWindows())
        {
            // Patient data: readable by the backup's owner alone.
            foreach (var file in result.JournalFiles.Append(result.Database))
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
            }

            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(backupFolder));
        }

        // A second backup into the same folder is refused, so backups are never mixed.
        Assert.Throws<IOException>(() => SqliteBackup.Run(new StorageOptions { DataDirectory = source.DataDirectory }, null, backupFolder));

        // What the source says each patient's current preferences are, after the load.
        var expected = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var patient in acknowledged.Append(readPatient))
        {
            expected[patient] = (await Responses.LastNAsync(ehr, $"patient={patient}")).Count;
        }

        // Restore: a service started on a folder that holds only the backup's files.
        using (var check = new SqliteConnection($"Data Source={result.Database};Pooling=False"))
        {
            check.Open();
            using var command = check.CreateCommand();
            command.CommandText = "PRAGMA integrity_check";
            Assert.Equal("ok", command.ExecuteScalar());
        }

        await using var restored = new WmttyApp(dataDirectory: backupFolder);
        using var restoredEhr = await restored.ClientAsync("ehr");
        // The read's audit record was only in the journal when the backup was taken; the restored service stored it.
        using var admin = await restored.ClientAsync("admin");
        using var audit = await admin.GetAsync($"/fhir/AuditEvent?patient={readPatient}&date=ge2000-01-01");
        var events = JsonNode.Parse(await audit.Content.ReadAsStringAsync())!["entry"]!.AsArray().Select(e => e!["resource"]!).ToList();
        Assert.Single(events, e => e["subtype"]![0]!["display"]!.GetValue<string>() == "$lastn");
        Assert.All(result.JournalFiles, file => Assert.False(File.Exists(file))); // stored, then deleted, at the restored service's start

        var present = new List<string>();
        foreach (var (patient, observations) in expected)
        {
            using var read = await restoredEhr.GetAsync($"/fhir/Patient/{patient}");
            if (read.StatusCode == HttpStatusCode.NotFound)
            {
                Assert.DoesNotContain(patient, beforeBackup); // acknowledged before the backup began: it must be there
                Assert.NotEqual(readPatient, patient);
                continue;
            }

            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
            present.Add(patient);
            // Nothing half there: a patient in the copy has either no response yet or the whole of it, every Observation.
            var lastn = await Responses.LastNAsync(restoredEhr, $"patient={patient}");
            Assert.True(lastn.Count == 0 || lastn.Count == observations, $"Patient {patient}: {lastn.Count} current preferences restored, {observations} in the source.");
        }

        Assert.Superset(new HashSet<string>([.. beforeBackup, readPatient]), new HashSet<string>(present));
    }
}

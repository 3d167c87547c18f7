using Dapper;
using Microsoft.Data.Sqlite;
using Wmtty.Data.Audit;
using Wmtty.Data.Storage;
using Wmtty.Tests.Infrastructure;

namespace Wmtty.Tests.Storage;

/// <summary>
/// The SQLite audit journal (AuditJournal) on real files: a record is in the fsynced file when its append returns,
/// searches find every record appended before them, a crash loses nothing acknowledged and stores nothing twice, full
/// files are deleted once stored, and shutdown leaves no file behind.
/// </summary>
public sealed class AuditJournalTests : IAsyncDisposable
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), "wmtty-tests", Guid.NewGuid().ToString("N"));
    private readonly List<WmttyDatabase> databases = [];

    public async ValueTask DisposeAsync()
    {
        foreach (var database in Enumerable.Reverse(databases))
        {
            await database.DisposeAsync();
        }

        WmttyApp.DeleteDataFolder(folder);
    }

    // Folding only when asked (or at shutdown), unless the test says otherwise, so that what is not stored yet is known.
    private WmttyDatabase Open(TimeSpan? foldEvery = null)
    {
        var database = WmttyDatabase.Create(new StorageOptions { DataDirectory = folder, AuditJournalFoldEvery = foldEvery ?? TimeSpan.FromHours(1) }, connectionString: null);
        databases.Add(database);
        database.Migrate();
        return database;
    }

    private static readonly DateTimeOffset At = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000);

    private static AuditEntry Entry(int i) => new(
        At.AddSeconds(i), "R", "$lastn", "Observation", null, 200, "user", "staff-1", "Dr Example", "ehr", "clinician", $"request-{i}", [$"p{i % 7}", "p-shared"]);

    private string[] JournalFiles() => Directory.GetFiles(folder, "wmtty.db-audit-*.journal");

    // What the audit tables hold, straight from the file: request id, then patients, one line each, in key order.
    private List<string> StoredRows()
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(folder, "wmtty.db")};Pooling=False");
        return [.. connection.Query<string>("""
            SELECT r.request_id || ' ' || r.recorded || ' ' || (SELECT group_concat(patient_id, ',') FROM (SELECT patient_id FROM audit_patient p WHERE p.audit_key = r.audit_key ORDER BY patient_id))
            FROM audit_record r ORDER BY r.audit_key
            """)];
    }

    // The file's records as recovery reads them, and its bytes up to the first zero; read beside the running journal.
    private static List<(long Sequence, AuditEntry Entry)> Records(string file)
    {
        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        return AuditJournal.Read(stream);
    }

    private static byte[] Written(string file)
    {
        var bytes = File.ReadAllBytes(file);
        var end = Array.IndexOf(bytes, (byte)0);
        return end < 0 ? bytes : bytes[..end];
    }

    private static string Row(int i) => $"request-{i} {At.AddSeconds(i).ToUnixTimeMilliseconds()} p-shared,p{i % 7}";

    [Fact]
    public async Task AnAppendedRecordIsInTheFileBeforeTheAppendReturnsAndASearchFindsIt()
    {
        var database = Open();
        Assert.NotNull(database.AuditJournal);
        await database.Audit.AppendAsync([Entry(1), Entry(2)], default);

        // Durable in the journal, not yet in the audit tables. The file was made at its full size, of zeros, first.
        var file = Assert.Single(JournalFiles());
        Assert.Equal(["request-1", "request-2"], Records(file).Select(r => r.Entry.RequestId));
        Assert.Equal([1L, 2L], Records(file).Select(r => r.Sequence));
        Assert.True(new FileInfo(file).Length > AuditJournal.SegmentBytes);
        Assert.Equal(2, Written(file).Count(b => b == (byte)'\n'));
        Assert.Empty(StoredRows());
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }

        var found = await database.Audit.SearchAsync(new AuditQuery("p1", At.AddDays(-1), At.AddDays(1), long.MaxValue, 10), default);
        Assert.Equal("request-1", Assert.Single(found).RequestId);
        Assert.Equal(At.AddSeconds(1), found[0].Recorded);
        Assert.Equal(["p-shared", "p1"], found[0].Patients);
        Assert.Equal([Row(1), Row(2)], StoredRows());
        Assert.Equal("request-2", (await database.Audit.ReadAsync(found[0].Key + 1, default))!.RequestId);
    }

    [Fact]
    public async Task AfterACrashTheNextStartStoresWhatWasNotStoredYetOnceAndSkipsATornLastLine()
    {
        var crashed = Open();
        await crashed.Audit.AppendAsync([Entry(1), Entry(2)], default);
        await crashed.AuditJournal!.FoldAsync(default); // 1 and 2 stored, and the file marked so
        await crashed.Audit.AppendAsync([Entry(3)], default);
        await crashed.Audit.AppendAsync([Entry(4), Entry(5)], default);
        crashed.AuditJournal.Abandon();
        var file = Assert.Single(JournalFiles());
        Assert.Equal(5, Records(file).Count);
        using (var torn = new FileStream(file, FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
        {
            // A group cut short by the crash, where the next records would have gone.
            torn.Position = Written(file).Length;
            torn.Write("""{"seq":6,"recorded":1700000006000,"action":"R","inter"""u8);
        }

        Assert.Equal([Row(1), Row(2)], StoredRows());

        var restarted = Open();
        Assert.Equal([.. Enumerable.Range(1, 5).Select(Row)], StoredRows());
        Assert.Empty(JournalFiles());
        using var connection = new SqliteConnection($"Data Source={Path.Combine(folder, "wmtty.db")};Pooling=False");
        Assert.Equal(0, connection.ExecuteScalar<long>("SELECT COUNT(*) FROM audit_journal"));

        // And the restarted one journals on in a file of its own.
        await restarted.Audit.AppendAsync([Entry(6)], default);
        await restarted.AuditJournal!.FoldAsync(default);
        Assert.Equal([.. Enumerable.Range(1, 6).Select(Row)], StoredRows());
    }

    [Fact]
    public async Task AnotherRunningInstancesFileIsLeftToItAndEachRecordIsStoredOnce()
    {
        var first = Open();
        await first.Audit.AppendAsync([Entry(1)], default);
        var second = Open(); // its start finds the first one's file held, and leaves it
        await second.Audit.AppendAsync([Entry(2)], default);
        Assert.Equal(2, JournalFiles().Length);
        Assert.Empty(StoredRows());

        // A search on the second stores only its own; the first stores its own at shutdown, and deletes its file.
        Assert.Equal("request-2", Assert.Single(await second.Audit.SearchAsync(new AuditQuery(null, At.AddDays(-1), At.AddDays(1), long.MaxValue, 10), default)).RequestId);
        await first.DisposeAsync();
        databases.Remove(first);
        Assert.Single(JournalFiles());
        Assert.Equal([Row(2), Row(1)], StoredRows());
        await second.DisposeAsync();
        databases.Remove(second);
        Assert.Empty(JournalFiles());
        Assert.Equal([Row(2), Row(1)], StoredRows());
    }

    [Fact]
    public async Task AFileLeftHalfPreparedByACrashIsDeletedAndOneARunningInstanceIsPreparingIsLeft()
    {
        var first = Open();
        await first.Audit.AppendAsync([Entry(1)], default);
        var leftover = Path.Combine(folder, "wmtty.db-audit-20261125T000000Z-dead.journal.new");
        await File.WriteAllBytesAsync(leftover, new byte[4096]); // the zeros a process wrote before it died, never renamed
        var preparing = Path.Combine(folder, "wmtty.db-audit-20261125T000000Z-live.journal.new");
        using (new FileStream(preparing, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read)) // as a running instance holds it
        {
            var second = Open();
            await second.Audit.AppendAsync([Entry(2)], default);
            Assert.False(File.Exists(leftover));
            Assert.True(File.Exists(preparing));
        }
    }

    [Fact]
    public async Task AFullFileIsClosedAndDeletedOnceStoredAndShutdownLeavesNone()
    {
        var database = Open();
        var journal = database.AuditJournal!;
        var appended = 0;
        while (journal.OpenFiles.Count < 2)
        {
            await database.Audit.AppendAsync([.. Enumerable.Range(appended, 500).Select(Entry)], default);
            appended += 500;
            Assert.True(appended < 100_000, "no second file after 100,000 records");
        }

        var full = journal.OpenFiles[0];
        Assert.True(Written(full).Length >= AuditJournal.SegmentBytes);
        Assert.Equal(appended, Records(full).Count + Records(journal.OpenFiles[1]).Count); // nothing lost where the file changed
        await journal.FoldAsync(default);
        Assert.False(File.Exists(full));
        Assert.Single(JournalFiles());
        Assert.Equal(appended, StoredRows().Count);

        await database.Audit.AppendAsync([Entry(appended)], default);
        await database.DisposeAsync();
        databases.Remove(database);
        Assert.Empty(JournalFiles());
        var stored = StoredRows();
        Assert.Equal(appended + 1, stored.Count);
        Assert.Equal(stored.Count, stored.Distinct().Count());
    }

    [Fact]
    public async Task RecordsWaitingInTheJournalAreStoredInTheBackground()
    {
        var database = Open(TimeSpan.FromMilliseconds(100));
        await database.Audit.AppendAsync([Entry(1)], default);
        var waited = System.Diagnostics.Stopwatch.StartNew();
        // Done when the fold's commit is acknowledged, which (with Storage:SyncAfterCommit) is after its log sync, a moment
        // after the rows can be read.
        while ((StoredRows().Count == 0 || database.AuditJournal!.Folds == 0) && waited.Elapsed < TimeSpan.FromSeconds(20))
        {
            await Task.Delay(100);
        }

        Assert.Equal([Row(1)], StoredRows()); // soon, with nothing else happening
        Assert.Equal(1, database.AuditJournal!.Folds);
    }

    [Fact]
    public async Task WithoutTheJournalRecordsAreStoredDirectly()
    {
        var database = WmttyDatabase.Create(new StorageOptions { DataDirectory = folder, AuditJournal = false }, connectionString: null);
        databases.Add(database);
        database.Migrate();
        Assert.Null(database.AuditJournal);
        await database.Audit.AppendAsync([Entry(1)], default);
        Assert.Equal([Row(1)], StoredRows());
        Assert.Empty(JournalFiles());
    }
}

using System.Data;
using System.Data.Common;
using Microsoft.Data.Sqlite;
using Wmtty.Data.Audit;
using Wmtty.Data.Storage;

namespace Wmtty.Data.Sqlite;

/// <summary>SQLite, the embedded default: one file in WAL mode, one writer at a time.</summary>
/// <param name="syncAfterCommit"><see cref="StorageOptions.SyncAfterCommit"/>; done only on Linux.</param>
/// <param name="memoryLimitMB"><see cref="StorageOptions.SqliteMemoryLimitMB"/>, set for the whole process.</param>
/// <param name="readers"><see cref="StorageOptions.SqliteReaders"/>: the most connections reads use, and reads run, at once.</param>
internal sealed class SqliteDialect(string connectionString, bool syncAfterCommit = false, int memoryLimitMB = StorageOptions.SqliteDefaultMemoryLimitMB, int readers = 16) : SqlDialect
{
    private const int SqliteBusy = 5;
    private const int SqliteLocked = 6;
    private const int SqliteConstraintUnique = 2067;
    private const int SqliteConstraintPrimaryKey = 1555;

    // SQLite accepts 32,766 parameters a statement; fewer rows a statement cost nothing measurable.
    private const int MaxParameters = 999;

    static SqliteDialect()
    {
        SQLitePCL.Batteries_V2.Init();
        WriterMetrics.Meter.CreateObservableGauge("wmtty.storage.sqlite.memory", SQLitePCL.raw.sqlite3_memory_used, "By",
            "Memory SQLite holds in this process: page caches (held near Storage:SqliteMemoryLimitMB), schemas, prepared statements.");
        WriterMetrics.Meter.CreateObservableGauge("wmtty.storage.writer.statements", () => PreparingConnection.Kept, "{statement}",
            "Statements the SQLite writer keeps prepared.");
    }

    // Every pooled connection keeps its own page cache (2 MB at most, the writer's 16 MB), and under load there are dozens
    // of them. Past the limit in all, SQLite reuses cached pages instead of allocating more. 24 MB instead of 64 cost the
    // patient search 18% of its throughput (8 pairs of 8 in one A/B run); in the soak, SQLite's memory filled to 30-38 MB
    // over 8 to 10 minutes and stayed there (bench/README.md, "The soak").
    public long MemoryLimitBytes { get; } = SetMemoryLimit(memoryLimitMB);

    private static long SetMemoryLimit(int megabytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(megabytes, 1);
        var bytes = megabytes * 1024L * 1024;
        SQLitePCL.raw.sqlite3_soft_heap_limit64(bytes);
        return bytes;
    }

    public override string Name => "Sqlite";

    public override DbConnection CreateConnection() => new SqliteConnection(connectionString);

    public override DbConnection CreateWriterConnection() => new PreparingConnection(connectionString);

    private readonly SqliteReaders readerConnections = new(new SqliteConnectionStringBuilder(connectionString) { Pooling = false }.ToString(), readers);

    /// <summary>The connections reads use (<see cref="SqliteReaders"/>), for tests.</summary>
    internal SqliteReaders Readers => readerConnections;

    public override async ValueTask<DbConnection> TakeReaderAsync(CancellationToken cancellationToken) => await readerConnections.TakeAsync(cancellationToken);

    public override ValueTask ReturnReaderAsync(DbConnection connection, bool healthy)
    {
        readerConnections.Return((SqliteConnection)connection, healthy);
        return ValueTask.CompletedTask;
    }

    public override ValueTask CloseReadersAsync() => readerConnections.DisposeAsync();

    // SQLite has one writer at a time. Writers that meet inside SQLite get SQLITE_BUSY and retry after a
    // sleep, which under load costs far more than the writes themselves; in this process they queue and
    // commit in groups. Another process (or another service instance) on the same file still waits inside
    // SQLite, for up to the connection's Default Timeout.
    public override bool OneWriterAtATime => true;

    // The writer keeps up to 16 MB of pages (the default is 2 MB), so the index pages a write changes are at hand. Its
    // automatic checkpoint is only a backstop, at 64 MB of log: checkpoints run beside the writer (CheckpointAsync). When
    // the log starts over, its file is cut back to 64 MB. A savepoint (WriteGroup's second run of a group) and a statement
    // that changes many rows copy the pages they change to a statement journal first; temp_store keeps that journal in
    // memory, not in a temporary file (bulk import of responses, when every write had a savepoint: 88 to 124 per second).
    // With SyncsAfterCommit, its commits write the log without syncing it (synchronous NORMAL, which still syncs around
    // checkpoints); the group commit syncs it afterwards, before it answers.
    public override string? WriterConnectionSql => "PRAGMA cache_size = -16384; PRAGMA wal_autocheckpoint = 16384; PRAGMA journal_size_limit = 67108864; PRAGMA temp_store = MEMORY;"
        + (SyncsAfterCommit ? " PRAGMA synchronous = NORMAL;" : "");

    public override bool SyncsAfterCommit { get; } = syncAfterCommit && OperatingSystem.IsLinux();

    // The log file's data, by path: SQLite keeps the file while any connection is open, and this opens it for each sync,
    // so a log deleted and made again (every connection closed, then one opened) is still the one synced.
    public override Action SyncLog(DbConnection writer)
    {
        var log = SQLitePCL.raw.sqlite3_db_filename(((SqliteConnection)writer).Handle, "main").utf8_to_string() + "-wal";
        return () => Native.Flush(log, dataOnly: true, "the write-ahead log");
    }

    // Passive: copies what it can and takes no lock anyone waits for. But under a steady stream of readers some reader
    // is almost always inside the log, so the log never starts over and grows, and every read looks through it. Past
    // 32 MB of log, a RESTART follows: it waits (here at most 50 ms; new readers read the database file meanwhile) for
    // the readers still in the log, so that the next write starts the log over. Both run on a connection of their own
    // (CreateMaintenanceConnection), so that wait bounds no other connection.
    private const long RestartAfterFrames = 8192;

    public override async Task CheckpointAsync(DbConnection connection)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA wal_checkpoint(PASSIVE);";
        long frames;
        await using (var reader = await command.ExecuteReaderAsync())
        {
            frames = await reader.ReadAsync() ? reader.GetInt64(1) : 0;
        }

        if (frames > RestartAfterFrames)
        {
            command.CommandText = "PRAGMA busy_timeout = 50; PRAGMA wal_checkpoint(RESTART);";
            await command.ExecuteNonQueryAsync();
        }
    }

    public override DbConnection CreateMaintenanceConnection() =>
        new SqliteConnection(new SqliteConnectionStringBuilder(connectionString) { Pooling = false }.ToString());

    // So the next start (or a backup) finds the database whole in its file, not in a long log every read looks through.
    // With secure_delete, SQLite zeroes the cells it deletes and the pages it frees, so an erased patient's text is not left in
    // free space in the file. Only for erasure: it costs writes elsewhere, and updates only ever delete index rows.
    public override string? SecureDeleteSql(bool on) => on ? "PRAGMA secure_delete = ON" : "PRAGMA secure_delete = OFF";

    public override string? ShutdownCheckpointSql => "PRAGMA wal_checkpoint(TRUNCATE);";

    // BEGIN IMMEDIATE takes the write lock up front. A deferred transaction that reads and then writes
    // can fail with SQLITE_BUSY when another writer got there in between, without waiting.
    public override DbTransaction BeginWriteTransaction(DbConnection connection) =>
        ((SqliteConnection)connection).BeginTransaction(IsolationLevel.Serializable, deferred: false);

    public override bool IsUniqueViolation(DbException exception) =>
        exception is SqliteException { SqliteExtendedErrorCode: SqliteConstraintUnique or SqliteConstraintPrimaryKey };

    public override bool IsTransient(DbException exception) =>
        exception is SqliteException { SqliteErrorCode: SqliteBusy or SqliteLocked };

    // A write transaction holds the only write lock on the file, so it needs no finer lock.
    public override string? LockSql => null;

    // A new resource's origin_key is its own resource_key. The key AUTOINCREMENT would give (one past the largest ever
    // used) is worked out here, so the row goes in whole: setting origin_key afterwards rewrote the row and three of its
    // indexes (submissions went from 143 to 148/s without it). BEGIN IMMEDIATE keeps every other writer, in this process
    // or another, out until this transaction ends.
    public override string InsertVersionSql => """
        INSERT INTO resource (resource_key, resource_type, resource_id, version, is_current, is_deleted, last_updated, origin_key, compartment, request_method, response_status, json)
        SELECT k.next, @Type, @Id, @Version, 1, @IsDeleted, @LastUpdated, COALESCE(@OriginKey, k.next), @Compartment, @Method, @Status, @Json
        FROM (SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'resource'), 0), COALESCE((SELECT MAX(resource_key) FROM resource), 0)) + 1 AS next) k
        RETURNING resource_key
        """;

    public override string? SetOriginSql => null;

    public override string InsertResponsePreferencesSql => """
        INSERT INTO preference_response (response_id, patient_id, authored, response_language, completed_by, gp_practice, postcode_district)
        VALUES (@ResponseId, @PatientId, @Authored, @Language, @CompletedBy, @Practice, @District)
        RETURNING set_key
        """;

    // The latest-authored set first, by index; then, in that order (CROSS JOIN fixes SQLite's join order,
    // which on a young database without statistics may otherwise walk every Observation), its few
    // Observations, and each one's current version by unique index.
    public override string CurrentPreferencesSql => """
        SELECT r.resource_key AS ResourceKey, r.origin_key AS OriginKey, r.resource_id AS Id, r.version AS Version,
               r.last_updated AS LastUpdated, r.json AS Json, o.code_system AS CodeSystem, o.code AS Code, o.position AS Position
        FROM (SELECT set_key FROM preference_response WHERE patient_id = @PatientId ORDER BY authored DESC, set_key DESC LIMIT 1) s
        CROSS JOIN preference_observation o ON o.set_key = s.set_key
        CROSS JOIN resource r ON r.resource_type = 'Observation' AND r.resource_id = o.observation_id AND r.is_current = 1
        WHERE r.is_deleted = 0
        ORDER BY o.position, o.observation_id
        """;

    public override string AddIndexParamSql => "INSERT INTO index_param (resource_type, param) VALUES (@Type, @Param) ON CONFLICT (resource_type, param) DO NOTHING";

    public override string AddTokenSystemSql => "INSERT INTO token_system (system) VALUES (@System) ON CONFLICT (system) DO NOTHING";

    public override string InsertAuditSql => """
        INSERT INTO audit_record (recorded, action, interaction, resource_type, resource_id, status, caller_kind, subject, subject_name, client_id, roles, request_id)
        VALUES (@Recorded, @Action, @Interaction, @ResourceType, @ResourceId, @Status, @CallerKind, @Subject, @SubjectName, @ClientId, @Roles, @RequestId)
        RETURNING audit_key
        """;

    // The audit journal (AuditJournal), which only SQLite uses: how far a journal file has been stored.
    public string AuditJournalMarkSql => """
        INSERT INTO audit_journal (journal_id, folded_through) VALUES (@JournalId, @Through)
        ON CONFLICT (journal_id) DO UPDATE SET folded_through = excluded.folded_through
        """;

    public string AuditJournalFoldedSql => "SELECT folded_through FROM audit_journal WHERE journal_id = @JournalId";

    public string ForgetAuditJournalSql => "DELETE FROM audit_journal WHERE journal_id = @JournalId";

    public override string AuditPageSql(bool byPatient, string limitParameter) => $"""
        SELECT a.audit_key AS AuditKey, a.recorded AS Recorded, a.action AS Action, a.interaction AS Interaction,
               a.resource_type AS ResourceType, a.resource_id AS ResourceId, a.status AS Status, a.caller_kind AS CallerKind,
               a.subject AS Subject, a.subject_name AS SubjectName, a.client_id AS ClientId, a.roles AS Roles, a.request_id AS RequestId,
               (SELECT group_concat(p.patient_id, ' ') FROM audit_patient p WHERE p.audit_key = a.audit_key) AS Patients
        FROM {(byPatient ? "audit_patient f CROSS JOIN audit_record a ON a.audit_key = f.audit_key" : "audit_record a")}
        WHERE {(byPatient ? "f.patient_id = @PatientId AND f.audit_key < @Before" : "a.audit_key < @Before")}
          AND a.recorded >= @From AND a.recorded <= @To
        ORDER BY a.audit_key DESC
        LIMIT {limitParameter}
        """;

    public override string RedeemInvitationSql => $"""
        UPDATE invitation SET used_at = @Now
        WHERE token_hash = @TokenHash AND used_at IS NULL AND revoked_at IS NULL AND expires_at > @Now
        RETURNING {InvitationColumns}
        """;

    public override int RowsPerInsert(int columns) => MaxParameters / columns;

    public override string InsertRowsSql(RowTable table, int rows) => $"""
        INSERT{(table.IgnoreDuplicates ? " OR IGNORE" : "")} INTO {table.Name} ({string.Join(", ", table.Columns)})
        VALUES {ValueRows(table, rows)}
        """;

    public override string VersionsOfSql(string pageSql) => $"SELECT group_concat(m.Id || '/' || m.Version, ',') FROM ({pageSql}) m";

    public override string Top(string limitParameter) => "";

    // Without statistics, SQLite prefers the partial index on resource_type (or the one giving the ORDER BY) to
    // rowid lookups from a selective IN list, and the (type, param, code) index to the per-resource one. The rowid
    // can still be used under NOT INDEXED. SQL Server's optimizer has statistics and takes no hints here.
    public override string ByKeyOnly() => " NOT INDEXED";

    public override string ByResourceIndex(string indexTable) => $" INDEXED BY ix_{indexTable.Replace("_index", "", StringComparison.Ordinal)}_resource";

    public override string Limit(string limitParameter) => $"\nLIMIT {limitParameter}";

    // A row-value comparison, which SQLite answers from the (type, last_updated, origin_key) index.
    public override string KeysetAfter(bool descending, string updatedColumn, string keyColumn, string updated, string key) =>
        $"({updatedColumn}, {keyColumn}) {(descending ? "<" : ">")} ({updated}, {key})";

    // Values are compared byte-wise (BINARY collation on UTF-8), and U+10FFFF sorts after every other
    // character, so [prefix, prefix + U+10FFFF) is exactly the values that start with prefix. Unlike
    // LIKE, which ignores case for ASCII, the range is exact and uses the index.
    public override string StringStartsWith(string column, string prefix, Func<object?, string> parameter) =>
        $"{column} >= {parameter(prefix)} AND {column} < {parameter(prefix + "\U0010FFFF")}";

    public override string StringContains(string column, string valueParameter) => $"instr({column}, {valueParameter}) > 0";

    public override string MigrationResourceFolder => "Sqlite";

    public override void PrepareDatabase(DbConnection connection)
    {
        // WAL lets readers run while one writer writes. The setting is stored in the file and must be
        // made outside a transaction.
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode = WAL;";
        var mode = command.ExecuteScalar() as string;
        if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"SQLite refused WAL mode (journal_mode is '{mode}').");
        }
    }

    // BEGIN IMMEDIATE already keeps a second instance out until the first has migrated.
    public override string? MigrationLockSql => null;

    public override string EnsureSchemaVersionTableSql => """
        CREATE TABLE IF NOT EXISTS schema_version (
            version      INTEGER NOT NULL PRIMARY KEY,
            description  TEXT    NOT NULL,
            applied_utc  TEXT    NOT NULL
        )
        """;
}

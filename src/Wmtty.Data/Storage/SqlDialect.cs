using System.Data.Common;
using System.Text;

namespace Wmtty.Data.Storage;

/// <summary>
/// The SQL Wmtty sends. Statements that both databases accept as written are here, once. Everything
/// that differs is abstract and written out in full by one small dialect per database: upserts (INSERT
/// OR IGNORE or MERGE), LIMIT or TOP, RETURNING or OUTPUT, keyset comparisons, string matching, batched
/// inserts, locks, transient errors and migrations (whose scripts carry the types). No statement is
/// patched by string replacement; values are always parameters.
/// </summary>
internal abstract class SqlDialect
{
    public abstract string Name { get; }

    public abstract DbConnection CreateConnection();

    /// <summary>An open connection for one read; give it back with <see cref="ReturnReaderAsync"/>. By default a new one, from the driver's pool.</summary>
    public virtual async ValueTask<DbConnection> TakeReaderAsync(CancellationToken cancellationToken)
    {
        var connection = CreateConnection();
        try
        {
            await connection.OpenAsync(cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>Gives back a connection from <see cref="TakeReaderAsync"/>; <paramref name="healthy"/> is false when its read failed.</summary>
    public virtual ValueTask ReturnReaderAsync(DbConnection connection, bool healthy) => connection.DisposeAsync();

    /// <summary>At shutdown: closes the connections reads keep open, if the dialect keeps any.</summary>
    public virtual ValueTask CloseReadersAsync() => ValueTask.CompletedTask;

    /// <summary>A connection for housekeeping (checkpoints), whose settings go nowhere else.</summary>
    public virtual DbConnection CreateMaintenanceConnection() => CreateConnection();

    /// <summary>
    /// The database takes one writer at a time, so this process's writes queue here and commit in groups
    /// (<see cref="WriteGroup"/>): cheaper than letting writers collide in the database and back off, and one
    /// commit for many writes.
    /// </summary>
    public virtual bool OneWriterAtATime => false;

    /// <summary>The one connection that writes every group, where <see cref="OneWriterAtATime"/>.</summary>
    public virtual DbConnection CreateWriterConnection() => CreateConnection();

    /// <summary>Settings for the one connection that writes every group, where <see cref="OneWriterAtATime"/>.</summary>
    public virtual string? WriterConnectionSql => null;

    /// <summary>
    /// The writer's commits do not wait for the disk: the group commit (<see cref="WriteGroup"/>) makes each commit durable
    /// with <see cref="SyncLog"/> after the writer has moved on, and answers the commit's writes only then.
    /// </summary>
    public virtual bool SyncsAfterCommit => false;

    /// <summary>Makes every commit made so far on <paramref name="writer"/>'s database durable (<see cref="SyncsAfterCommit"/>).</summary>
    public virtual Action SyncLog(DbConnection writer) => throw new NotSupportedException($"{Name} syncs in its commit.");

    /// <summary>At shutdown: copies the whole write-ahead log into the database and empties it; null where the database does its own.</summary>
    public virtual string? ShutdownCheckpointSql => null;

    /// <summary>
    /// Copies the write-ahead log into the database, on a maintenance connection, without making writers wait long;
    /// the group commit calls it now and then. Nothing to do where the database keeps its own log in order (SQL Server).
    /// </summary>
    public virtual Task CheckpointAsync(DbConnection connection) => Task.CompletedTask;

    /// <summary>Starts a transaction for a write, so reads inside it see what it will overwrite.</summary>
    public abstract DbTransaction BeginWriteTransaction(DbConnection connection);

    public abstract bool IsUniqueViolation(DbException exception);

    /// <summary>A failure that says nothing about the request: a deadlock, a busy database, a failover. Worth retrying.</summary>
    public abstract bool IsTransient(DbException exception);

    /// <summary>A wait that already ran out (a command or lock timeout): the database is too busy now, and retrying would only wait longer.</summary>
    public virtual bool IsTimeout(DbException exception) => false;

    /// <summary>
    /// Takes an exclusive lock named <c>@Resource</c> until the transaction ends, waiting up to
    /// <c>@TimeoutMilliseconds</c>; null where a write transaction already excludes every other writer.
    /// </summary>
    public abstract string? LockSql { get; }

    // Reads.
    private const string VersionColumns = """
        resource_type AS Type, resource_id AS Id, version AS Version, is_deleted AS IsDeleted,
               last_updated AS LastUpdated, request_method AS Method, response_status AS Status, json AS Json, compartment AS Compartment
        """;

    public string ReadCurrentSql => $"""
        SELECT {VersionColumns}
        FROM resource
        WHERE resource_type = @Type AND resource_id = @Id AND is_current = 1
        """;

    public string ReadVersionSql => $"""
        SELECT {VersionColumns}
        FROM resource
        WHERE resource_type = @Type AND resource_id = @Id AND version = @Version
        """;

    public string HistorySql => $"""
        SELECT {Top("@Limit")}{VersionColumns}
        FROM resource
        WHERE resource_type = @Type AND resource_id = @Id AND version < @BeforeVersion AND last_updated >= @Since
        ORDER BY version DESC{Limit("@Limit")}
        """;

    public string ReadJsonSql => "SELECT json FROM resource WHERE resource_key = @Key";

    // Writes, inside a write transaction.

    /// <summary>The current version, as a write sees it; if it changes before the write commits, retiring it fails.</summary>
    public string CurrentForWriteSql => """
        SELECT resource_key AS ResourceKey, origin_key AS OriginKey, resource_type AS Type, resource_id AS Id, version AS Version, is_deleted AS IsDeleted, compartment AS Compartment
        FROM resource
        WHERE resource_type = @Type AND resource_id = @Id AND is_current = 1
        """;

    public string RetireCurrentSql => "UPDATE resource SET is_current = 0 WHERE resource_key = @Key AND is_current = 1";

    /// <summary>Inserts a version and returns its resource_key.</summary>
    public abstract string InsertVersionSql { get; }

    /// <summary>Follows <see cref="InsertVersionSql"/> for a new resource, to make it its own origin; null where the insert does that itself.</summary>
    public virtual string? SetOriginSql => "UPDATE resource SET origin_key = resource_key WHERE resource_key = @Key";

    /// <summary>The key index rows name a type's search parameter by (<see cref="IndexKeys"/>); null when it has none yet.</summary>
    public string IndexParamKeySql => "SELECT param_key FROM index_param WHERE resource_type = @Type AND param = @Param";

    /// <summary>Every parameter key given out, for <see cref="IndexKeys"/>.</summary>
    public string IndexParamsSql => "SELECT CAST(param_key AS BIGINT) AS ParamKey, resource_type AS Type, param AS Param FROM index_param";

    /// <summary>Gives a type's search parameter a key, in the write's transaction, unless it has one.</summary>
    public abstract string AddIndexParamSql { get; }

    /// <summary>The key token rows name a system by (<see cref="IndexKeys"/>); null when it has none yet.</summary>
    public string TokenSystemKeySql => "SELECT system_key FROM token_system WHERE system = @System";

    /// <summary>Every system key given out, for <see cref="IndexKeys"/>.</summary>
    public string TokenSystemsSql => "SELECT CAST(system_key AS BIGINT) AS SystemKey, system AS System FROM token_system";

    /// <summary>Gives a token system a key, in the write's transaction, unless it has one.</summary>
    public abstract string AddTokenSystemSql { get; }

    /// <summary>The keys of search parameters and token systems written in committed transactions.</summary>
    public IndexKeys IndexKeys => LazyInitializer.EnsureInitialized(ref indexKeys, () => new IndexKeys(this));

    private IndexKeys? indexKeys;

    public string DeleteTokensSql => "DELETE FROM token_index WHERE resource_key = @Key";

    public string DeleteReferencesSql => "DELETE FROM reference_index WHERE resource_key = @Key";

    public string DeleteDatesSql => "DELETE FROM date_index WHERE resource_key = @Key";

    public string DeleteStringsSql => "DELETE FROM string_index WHERE resource_key = @Key";

    // Preference sets (the $lastn projection).

    /// <summary>Inserts a set and returns its set_key.</summary>
    public abstract string InsertResponsePreferencesSql { get; }

    public string DeleteResponseObservationsSql => """
        DELETE FROM preference_observation WHERE set_key IN (SELECT set_key FROM preference_response WHERE response_id = @ResponseId)
        """;

    public string DeleteResponsePreferencesSql => "DELETE FROM preference_response WHERE response_id = @ResponseId";

    public string DeletePatientObservationsSql => """
        DELETE FROM preference_observation WHERE set_key IN (SELECT set_key FROM preference_response WHERE patient_id = @PatientId)
        """;

    public string DeletePatientPreferencesSql => "DELETE FROM preference_response WHERE patient_id = @PatientId";

    public string DeleteResponseNeedsSql => """
        DELETE FROM preference_need WHERE set_key IN (SELECT set_key FROM preference_response WHERE response_id = @ResponseId)
        """;

    public string DeletePatientNeedsSql => """
        DELETE FROM preference_need WHERE set_key IN (SELECT set_key FROM preference_response WHERE patient_id = @PatientId)
        """;

    public string ResponsePreferencesSql => """
        SELECT p.patient_id AS PatientId, p.authored AS Authored, o.observation_id AS ObservationId,
               o.code_system AS CodeSystem, o.code AS Code, o.position AS Position
        FROM preference_response p
        LEFT JOIN preference_observation o ON o.set_key = p.set_key
        WHERE p.response_id = @ResponseId
        ORDER BY o.position
        """;

    // The outcome figures (Measures/MeasureStore): every set authored by @Last with its facts and needs, a patient at a
    // time, each patient's in authored then key order (the patient index's order), so the store finds each patient's set
    // at each moment as it reads.
    public string MeasureSetsSql => """
        SELECT r.patient_id, r.authored, r.set_key, r.response_language, r.completed_by, r.gp_practice, r.postcode_district,
               n.need, n.answer, n.is_need
        FROM preference_response r
        LEFT JOIN preference_need n ON n.set_key = r.set_key
        WHERE r.authored <= @Last
        ORDER BY r.patient_id, r.authored, r.set_key
        """;

    /// <summary>Up to @Limit sets, in key order, whose facts were never taken (migration 12's list).</summary>
    public string SetsToBackfillSql => $"""
        SELECT {Top("@Limit")}b.set_key AS SetKey, r.response_id AS ResponseId, r.patient_id AS PatientId
        FROM preference_measure_backfill b
        INNER JOIN preference_response r ON r.set_key = b.set_key
        ORDER BY b.set_key{Limit("@Limit")}
        """;

    public string SetObservationIdsSql => "SELECT observation_id FROM preference_observation WHERE set_key = @SetKey ORDER BY position";

    public string UpdateSetFactsSql => """
        UPDATE preference_response
        SET response_language = @Language, completed_by = @CompletedBy, gp_practice = @Practice, postcode_district = @District
        WHERE set_key = @SetKey
        """;

    public string ForgetSetToBackfillSql => "DELETE FROM preference_measure_backfill WHERE set_key = @SetKey";

    /// <summary>Sets on the list that no longer exist (replaced or removed since): nothing to take.</summary>
    public string ForgetGoneSetsToBackfillSql => """
        DELETE FROM preference_measure_backfill
        WHERE NOT EXISTS (SELECT 1 FROM preference_response r WHERE r.set_key = preference_measure_backfill.set_key)
        """;

    public string ExtractedSql => "SELECT observation_id FROM extracted_observation WHERE response_id = @ResponseId";

    // The one-row projection of each patient's current preferences (PreferenceProjection).
    public string PreferenceCurrentSql => "SELECT entries FROM preference_current WHERE patient_id = @PatientId";

    public string DeletePreferenceCurrentSql => "DELETE FROM preference_current WHERE patient_id = @PatientId";

    public string InsertPreferenceCurrentSql => "INSERT INTO preference_current (patient_id, entries) VALUES (@PatientId, @Entries)";

    public string UpdatePreferenceCurrentSql => "UPDATE preference_current SET entries = @Entries WHERE patient_id = @PatientId";

    /// <summary>Up to @Limit patients, in id order, whose projection rows predate the deflated format (migration 10).</summary>
    public string ProjectionsToRewriteSql => $"SELECT {Top("@Limit")}patient_id FROM preference_current_rewrite ORDER BY patient_id{Limit("@Limit")}";

    public string ForgetProjectionToRewriteSql => "DELETE FROM preference_current_rewrite WHERE patient_id = @PatientId";

    /// <summary>The patients whose sets (current or not) hold the Observation: theirs may change when it does.</summary>
    public string PatientsOfObservationSql => """
        SELECT DISTINCT p.patient_id FROM preference_observation o
        INNER JOIN preference_response p ON p.set_key = o.set_key
        WHERE o.observation_id = @ObservationId
        """;

    /// <summary>Up to @Limit patients after @After, in id order, who have a set but no projection row.</summary>
    public string PatientsWithoutProjectionSql => $"""
        SELECT DISTINCT {Top("@Limit")}r.patient_id FROM preference_response r
        WHERE r.patient_id > @After AND NOT EXISTS (SELECT 1 FROM preference_current c WHERE c.patient_id = r.patient_id)
        ORDER BY r.patient_id{Limit("@Limit")}
        """;

    public string PatientOfResponseSql => "SELECT patient_id FROM preference_response WHERE response_id = @ResponseId";

    public string IsCurrentPreferenceSql => "SELECT COUNT(*) FROM preference_observation WHERE observation_id = @ObservationId";

    public string CurrentSourceSql => $"""
        SELECT {Top("1")}response_id AS ResponseId, authored AS Authored
        FROM preference_response
        WHERE patient_id = @PatientId
        ORDER BY authored DESC, set_key DESC{Limit("1")}
        """;

    /// <summary>The Observations of the patient's latest-authored set, current versions only, in questionnaire order.</summary>
    public abstract string CurrentPreferencesSql { get; }

    /// <summary>The code, category and status tokens of <paramref name="keys"/> resource keys, named @k0, @k1, …</summary>
    public string PreferenceTokensSql(int keys)
    {
        var list = new StringBuilder();
        for (var i = 0; i < keys; i++)
        {
            list.Append(i == 0 ? "" : ", ").Append("@k").Append(i);
        }

        return $"""
            SELECT t.resource_key AS ResourceKey, p.param AS Param, s.system AS System, t.code AS Code
            FROM token_index t
            JOIN index_param p ON p.param_key = t.param_key
            LEFT JOIN token_system s ON s.system_key = t.system_key
            WHERE t.resource_key IN ({list}) AND p.param IN ('code', 'category', 'status')
            """;
    }

    // Access: Consent projection and the audit trail.
    public string WithheldSql => """
        SELECT audience AS Audience, section_system AS SectionSystem, section_code AS SectionCode
        FROM consent_withheld WHERE patient_id = @PatientId
        """;

    public string DeleteWithheldSql => "DELETE FROM consent_withheld WHERE patient_id = @PatientId";

    // A patient's compartment: every version of their data, whatever its state, for the right of access and for erasure. Live
    // current versions, retired ones and deletions are three parts, each found by an index of its own (migration 11).
    private static string Compartment(string columns) => $"""
        SELECT {columns} FROM resource WHERE compartment = @PatientId AND is_current = 1 AND is_deleted = 0
        UNION ALL
        SELECT {columns} FROM resource WHERE compartment = @PatientId AND is_current = 0
        UNION ALL
        SELECT {columns} FROM resource WHERE compartment = @PatientId AND is_current = 1 AND is_deleted = 1
        """;

    /// <summary>Every version in the patient's compartment, in no particular order.</summary>
    public string CompartmentVersionsSql { get; } = Compartment("""
        resource_key AS ResourceKey, resource_type AS Type, resource_id AS Id, version AS Version, is_deleted AS IsDeleted,
        last_updated AS LastUpdated, request_method AS Method, response_status AS Status, json AS Json, compartment AS Compartment
        """);

    /// <summary>The key, type and id of every version in the patient's compartment, without its JSON: what erasure deletes.</summary>
    public string CompartmentKeysSql { get; } = Compartment("resource_key AS ResourceKey, resource_type AS Type, resource_id AS Id");

    /// <summary>When the patient's data last changed: the newest current version or deletion in their compartment (Unix milliseconds); NULL when none.</summary>
    public string LastActivitySql => """
        SELECT MAX(a.last_updated) FROM (
            SELECT last_updated FROM resource WHERE compartment = @PatientId AND is_current = 1 AND is_deleted = 0
            UNION ALL
            SELECT last_updated FROM resource WHERE compartment = @PatientId AND is_deleted = 1
        ) a
        """;

    /// <summary>
    /// Up to @Limit live Patients whose current version is older than @Cutoff, after (@AfterUpdated, @AfterOrigin), oldest
    /// first: those whose data may have expired. Read from the (type, last_updated, origin_key) index, so only old ones are read.
    /// </summary>
    public string LivePatientsUnchangedSinceSql => $"""
        SELECT {Top("@Limit")}last_updated AS LastUpdated, origin_key AS OriginKey, resource_id AS Id FROM resource
        WHERE resource_type = 'Patient' AND is_current = 1 AND is_deleted = 0 AND last_updated < @Cutoff
          AND {KeysetAfter(false, "last_updated", "origin_key", "@AfterUpdated", "@AfterOrigin")}
        ORDER BY last_updated, origin_key{Limit("@Limit")}
        """;

    /// <summary>The same for deleted Patients, read from the index of current deletions by age.</summary>
    public string DeletedPatientsUnchangedSinceSql => $"""
        SELECT {Top("@Limit")}last_updated AS LastUpdated, resource_key AS OriginKey, resource_id AS Id FROM resource
        WHERE resource_type = 'Patient' AND is_current = 1 AND is_deleted = 1 AND last_updated < @Cutoff
          AND {KeysetAfter(false, "last_updated", "resource_key", "@AfterUpdated", "@AfterOrigin")}
        ORDER BY last_updated, resource_key{Limit("@Limit")}
        """;

    public string DeleteVersionSql => "DELETE FROM resource WHERE resource_key = @Key";

    public string DeleteExtractedSql => "DELETE FROM extracted_observation WHERE response_id = @ResponseId";

    public string DeleteInvitationsForSql => "DELETE FROM invitation WHERE nhs_number = @NhsNumber";

    /// <summary>Makes deletions overwrite what they delete, where the database keeps deleted content in its file until the space is reused (SQLite); null elsewhere.</summary>
    public virtual string? SecureDeleteSql(bool on) => null;

    /// <summary>Inserts an audit record and returns its audit_key.</summary>
    public abstract string InsertAuditSql { get; }

    public abstract string AuditPageSql(bool byPatient, string limitParameter);

    // Invitations.
    protected const string InvitationColumns = """
        invitation_id AS Id, token_hash AS TokenHash, nhs_number AS NhsNumber, created_by AS CreatedBy,
        created_at AS CreatedAt, expires_at AS ExpiresAt, used_at AS UsedAt, revoked_at AS RevokedAt
        """;

    public string InsertInvitationSql => """
        INSERT INTO invitation (invitation_id, token_hash, nhs_number, created_by, created_at, expires_at)
        VALUES (@Id, @TokenHash, @NhsNumber, @CreatedBy, @CreatedAt, @ExpiresAt)
        """;

    public string ReadInvitationSql => $"SELECT {InvitationColumns} FROM invitation WHERE invitation_id = @Id";

    public string ReadInvitationByHashSql => $"SELECT {InvitationColumns} FROM invitation WHERE token_hash = @TokenHash";

    /// <summary>
    /// Marks a usable invitation used and returns its row; returns nothing when it was not usable. One
    /// statement, so of two redemptions of the same link only one can match the row.
    /// </summary>
    public abstract string RedeemInvitationSql { get; }

    public string RevokeInvitationSql => """
        UPDATE invitation SET revoked_at = @Now
        WHERE invitation_id = @Id AND used_at IS NULL AND revoked_at IS NULL
        """;

    // Batched inserts of index and projection rows.

    /// <summary>How many rows one insert statement may carry with <paramref name="columns"/> columns each.</summary>
    public abstract int RowsPerInsert(int columns);

    /// <summary>Inserts <paramref name="rows"/> rows, with parameters @r{row}_{column}; duplicates of the key are skipped where the table says so.</summary>
    public abstract string InsertRowsSql(RowTable table, int rows);

    /// <summary>The VALUES rows of a batched insert: (@r0_0, @r0_1), (@r1_0, @r1_1), …</summary>
    protected static string ValueRows(RowTable table, int rows)
    {
        var text = new StringBuilder();
        for (var row = 0; row < rows; row++)
        {
            text.Append(row == 0 ? "(" : ",\n(");
            for (var column = 0; column < table.Columns.Count; column++)
            {
                text.Append(column == 0 ? "" : ", ").Append(RowParameter(row, column));
            }

            text.Append(')');
        }

        return text.ToString();
    }

    public static string RowParameter(int row, int column) => $"@r{row}_{column}";

    // Search fragments.

    /// <summary>What goes straight after SELECT to cap the rows; empty where the cap comes last.</summary>
    /// <summary>One value from a search page's rows (<c>Id</c> and <c>Version</c>): <c>id/version</c> of each, joined by commas, in any order; null for none.</summary>
    public abstract string VersionsOfSql(string pageSql);

    public abstract string Top(string limitParameter);

    /// <summary>After <c>FROM resource r</c> when a search starts from one clause's keys: keeps the planner from walking an index of r instead.</summary>
    public virtual string ByKeyOnly() => "";

    /// <summary>After an index table in a per-resource test: use its index on resource_key.</summary>
    public virtual string ByResourceIndex(string indexTable) => "";

    /// <summary>What goes at the end to cap the rows; empty where the cap comes after SELECT.</summary>
    public abstract string Limit(string limitParameter);

    /// <summary>Rows after (or, descending, before) the keyset position (<paramref name="updated"/>, <paramref name="key"/>).</summary>
    public abstract string KeysetAfter(bool descending, string updatedColumn, string keyColumn, string updated, string key);

    /// <summary>Values of <paramref name="column"/> starting with <paramref name="prefix"/>, case and all; <paramref name="parameter"/> adds a parameter and returns its name.</summary>
    public abstract string StringStartsWith(string column, string prefix, Func<object?, string> parameter);

    public abstract string StringContains(string column, string valueParameter);

    // Migrations.
    public abstract string MigrationResourceFolder { get; }

    /// <summary>Settings made once per database, outside any transaction, before migrating.</summary>
    public virtual void PrepareDatabase(DbConnection connection)
    {
    }

    /// <summary>The batches a migration script is sent in.</summary>
    public virtual IReadOnlyList<string> Batches(string script) => [script];

    /// <summary>Run first in the migration transaction, so that instances starting together migrate one at a time; null where the transaction already does that.</summary>
    public abstract string? MigrationLockSql { get; }

    public abstract string EnsureSchemaVersionTableSql { get; }

    public string ReadSchemaVersionSql => "SELECT COALESCE(MAX(version), 0) FROM schema_version";

    public string RecordMigrationSql => """
        INSERT INTO schema_version (version, description, applied_utc) VALUES (@Version, @Description, @AppliedUtc)
        """;

    public string HealthCheckSql => ReadSchemaVersionSql;

    /// <summary>Rows of advice about the database's settings, one text each; null where there is nothing to check.</summary>
    public virtual string? SettingsAdviceSql => null;
}

/// <summary>A table filled by batched inserts; <see cref="IgnoreDuplicates"/> skips rows whose whole key is already there.</summary>
internal sealed record RowTable(string Name, IReadOnlyList<string> Columns, bool IgnoreDuplicates = false)
{
    public static readonly RowTable Tokens = new("token_index", ["resource_key", "param_key", "system_key", "code"]);
    public static readonly RowTable References = new("reference_index", ["resource_key", "param_key", "target_type", "target_id", "identifier_system", "identifier_value"]);
    public static readonly RowTable Dates = new("date_index", ["resource_key", "param_key", "low", "high"]);
    public static readonly RowTable Strings = new("string_index", ["resource_key", "param_key", "value", "exact_value"]);
    public static readonly RowTable PreferenceObservations = new("preference_observation", ["set_key", "observation_id", "code_system", "code", "position"]);
    public static readonly RowTable PreferenceNeeds = new("preference_need", ["set_key", "need", "answer", "is_need"]);
    public static readonly RowTable Extracted = new("extracted_observation", ["response_id", "observation_id"], IgnoreDuplicates: true);
    public static readonly RowTable Withheld = new("consent_withheld", ["patient_id", "audience", "section_system", "section_code"]);
    public static readonly RowTable AuditPatients = new("audit_patient", ["patient_id", "audit_key"]);

    public static IReadOnlyList<RowTable> All { get; } = [Tokens, References, Dates, Strings, PreferenceObservations, PreferenceNeeds, Extracted, Withheld, AuditPatients];
}

using System.Data;
using System.Data.Common;
using System.Text.RegularExpressions;
using Microsoft.Data.SqlClient;
using Wmtty.Data.Storage;

namespace Wmtty.Data.SqlServer;

/// <summary>
/// SQL Server 2017 or later, and Azure SQL: many writers at once, several service
/// instances on one database. Text columns use a binary collation, so ids, codes and strings compare
/// exactly as they do in SQLite.
/// </summary>
internal sealed partial class SqlServerDialect(string connectionString, SqlRetryLogicBaseProvider retry) : SqlDialect
{
    // SQL Server takes at most 2,100 parameters a request and 1,000 rows in a VALUES list.
    private const int MaxParameters = 2000;
    private const int MaxValueRows = 1000;

    // Errors that say the database was briefly unable, not that the request was wrong, and that a second
    // try soon may get past: deadlock victim (1205, and 51003 when our application lock was the victim),
    // Azure SQL throttling, failover and reconfiguration (40501, 40613, 40197, 40540, 40143, 49918-49920,
    // 10928, 10929, 4221, 4060), and lost connections (233, 64, 121, 10053, 10054, 10060, 20).
    private static readonly HashSet<int> TransientNumbers =
        [1205, 51003, 40501, 40613, 40197, 40540, 40143, 49918, 49919, 49920, 10928, 10929, 4221, 4060, 233, 64, 121, 10053, 10054, 10060, 20];

    // Errors that already waited as long as a caller should: a command timeout (-2), a lock timeout (1222),
    // and our application lock not granted within Storage:LockTimeout (51002). Retrying would multiply
    // the wait, so they are answered 503 at once.
    private static readonly HashSet<int> TimeoutNumbers = [-2, 1222, 51002];

    public override string Name => "SqlServer";

    public override DbConnection CreateConnection() => new SqlConnection(connectionString) { RetryLogicProvider = retry };

    // Read committed, as SQL Server defaults to. Version races are settled by the retire UPDATE (which
    // waits for a concurrent writer of the same row, then finds it no longer current) and by the unique
    // (type, id, version) constraint; what spans resources takes an application lock (LockSql) before any
    // row lock, so locks are always taken in that order. The current version is read without a lock for
    // the same reason: a stale read is caught by the retire UPDATE.
    public override DbTransaction BeginWriteTransaction(DbConnection connection) => connection.BeginTransaction(IsolationLevel.ReadCommitted);

    public override bool IsUniqueViolation(DbException exception) =>
        exception is SqlException { Number: 2627 or 2601 };

    public override bool IsTransient(DbException exception) => Any(exception, TransientNumbers);

    public override bool IsTimeout(DbException exception) => Any(exception, TimeoutNumbers);

    private static bool Any(DbException exception, HashSet<int> numbers) =>
        exception is SqlException sql && (numbers.Contains(sql.Number) || sql.Errors.Cast<SqlError>().Any(e => numbers.Contains(e.Number)));

    // sp_getapplock answers -1 when the wait ran out, -3 when this transaction was chosen as a deadlock
    // victim (and rolled back), -2 or -999 otherwise.
    public override string LockSql => """
        DECLARE @granted INT;
        EXEC @granted = sp_getapplock @Resource = @Resource, @LockMode = N'Exclusive', @LockOwner = N'Transaction', @LockTimeout = @TimeoutMilliseconds;
        IF @granted = -3
            THROW 51003, N'A write lock was refused to break a deadlock.', 1;
        IF @granted < 0
            THROW 51002, N'A write lock was not granted in time.', 1;
        """;

    public override string InsertVersionSql => """
        INSERT INTO resource (resource_type, resource_id, version, is_current, is_deleted, last_updated, origin_key, compartment, request_method, response_status, json)
        OUTPUT INSERTED.resource_key
        VALUES (@Type, @Id, @Version, 1, @IsDeleted, @LastUpdated, @OriginKey, @Compartment, @Method, @Status, @Json)
        """;

    public override string InsertResponsePreferencesSql => """
        INSERT INTO preference_response (response_id, patient_id, authored, response_language, completed_by, gp_practice, postcode_district)
        OUTPUT INSERTED.set_key
        VALUES (@ResponseId, @PatientId, @Authored, @Language, @CompletedBy, @Practice, @District)
        """;

    public override string CurrentPreferencesSql => """
        SELECT r.resource_key AS ResourceKey, r.origin_key AS OriginKey, r.resource_id AS Id, r.version AS Version,
               r.last_updated AS LastUpdated, r.json AS Json, o.code_system AS CodeSystem, o.code AS Code, o.position AS Position
        FROM (SELECT TOP (1) set_key FROM preference_response WHERE patient_id = @PatientId ORDER BY authored DESC, set_key DESC) s
        INNER JOIN preference_observation o ON o.set_key = s.set_key
        INNER JOIN resource r ON r.resource_type = N'Observation' AND r.resource_id = o.observation_id AND r.is_current = 1
        WHERE r.is_deleted = 0
        ORDER BY o.position, o.observation_id
        """;

    // The audit table's triggers fire on UPDATE and DELETE only, so OUTPUT without INTO is allowed here.
    public override string InsertAuditSql => """
        INSERT INTO audit_record (recorded, action, interaction, resource_type, resource_id, status, caller_kind, subject, subject_name, client_id, roles, request_id)
        OUTPUT INSERTED.audit_key
        VALUES (@Recorded, @Action, @Interaction, @ResourceType, @ResourceId, @Status, @CallerKind, @Subject, @SubjectName, @ClientId, @Roles, @RequestId)
        """;

    public override string AuditPageSql(bool byPatient, string limitParameter) => $"""
        SELECT TOP ({limitParameter}) a.audit_key AS AuditKey, a.recorded AS Recorded, a.action AS Action, a.interaction AS Interaction,
               a.resource_type AS ResourceType, a.resource_id AS ResourceId, a.status AS Status, a.caller_kind AS CallerKind,
               a.subject AS Subject, a.subject_name AS SubjectName, a.client_id AS ClientId, a.roles AS Roles, a.request_id AS RequestId,
               (SELECT STRING_AGG(CAST(p.patient_id AS NVARCHAR(MAX)), N' ') FROM audit_patient p WHERE p.audit_key = a.audit_key) AS Patients
        FROM {(byPatient ? "audit_patient f INNER JOIN audit_record a ON a.audit_key = f.audit_key" : "audit_record a")}
        WHERE {(byPatient ? "f.patient_id = @PatientId AND f.audit_key < @Before" : "a.audit_key < @Before")}
          AND a.recorded >= @From AND a.recorded <= @To
        ORDER BY a.audit_key DESC
        """;

    public override string RedeemInvitationSql => """
        UPDATE invitation SET used_at = @Now
        OUTPUT INSERTED.invitation_id AS Id, INSERTED.token_hash AS TokenHash, INSERTED.nhs_number AS NhsNumber, INSERTED.created_by AS CreatedBy,
               INSERTED.created_at AS CreatedAt, INSERTED.expires_at AS ExpiresAt, INSERTED.used_at AS UsedAt, INSERTED.revoked_at AS RevokedAt
        WHERE token_hash = @TokenHash AND used_at IS NULL AND revoked_at IS NULL AND expires_at > @Now
        """;

    // The range lock (HOLDLOCK) keeps two instances that index a new parameter (or token system) at once from both adding it.
    public override string AddIndexParamSql => """
        INSERT INTO index_param (resource_type, param)
        SELECT @Type, @Param
        WHERE NOT EXISTS (SELECT 1 FROM index_param WITH (UPDLOCK, HOLDLOCK) WHERE resource_type = @Type AND param = @Param)
        """;

    public override string AddTokenSystemSql => """
        INSERT INTO token_system (system)
        SELECT @System
        WHERE NOT EXISTS (SELECT 1 FROM token_system WITH (UPDLOCK, HOLDLOCK) WHERE system = @System)
        """;

    public override int RowsPerInsert(int columns) => Math.Min(MaxValueRows, MaxParameters / columns);

    // Skipping duplicates is a MERGE that only inserts; HOLDLOCK keeps a concurrent MERGE of the same key
    // from inserting between the check and the insert.
    public override string InsertRowsSql(RowTable table, int rows)
    {
        var columns = string.Join(", ", table.Columns);
        if (!table.IgnoreDuplicates)
        {
            return $"""
                INSERT INTO {table.Name} ({columns})
                VALUES {ValueRows(table, rows)}
                """;
        }

        return $"""
            MERGE INTO {table.Name} WITH (HOLDLOCK) AS target
            USING (VALUES {ValueRows(table, rows)}) AS source ({columns})
            ON {string.Join(" AND ", table.Columns.Select(c => $"target.{c} = source.{c}"))}
            WHEN NOT MATCHED THEN INSERT ({columns}) VALUES ({string.Join(", ", table.Columns.Select(c => $"source.{c}"))});
            """;
    }

    public override string VersionsOfSql(string pageSql) => $"SELECT STRING_AGG(CONCAT(m.Id, '/', m.Version), ',') FROM ({pageSql}) AS m";

    public override string Top(string limitParameter) => $"TOP ({limitParameter}) ";

    public override string Limit(string limitParameter) => "";

    // T-SQL has no row-value comparison.
    public override string KeysetAfter(bool descending, string updatedColumn, string keyColumn, string updated, string key)
    {
        var op = descending ? "<" : ">";
        return $"({updatedColumn} {op} {updated} OR ({updatedColumn} = {updated} AND {keyColumn} {op} {key}))";
    }

    // LIKE with the prefix's wildcards escaped: under a binary collation it is exact and case-sensitive,
    // and SQL Server turns a LIKE 'prefix%' into an index range seek.
    public override string StringStartsWith(string column, string prefix, Func<object?, string> parameter) =>
        $"{column} LIKE {parameter(LikeWildcard().Replace(prefix, "\\$0") + "%")} ESCAPE N'\\'";

    public override string StringContains(string column, string valueParameter) => $"CHARINDEX({valueParameter}, {column}) > 0";

    public override string MigrationResourceFolder => "SqlServer";

    // Scripts are split into batches at lines that hold only GO, as sqlcmd and SSMS do.
    public override IReadOnlyList<string> Batches(string script) =>
        [.. BatchSeparator().Split(script).Where(batch => !string.IsNullOrWhiteSpace(batch))];

    // Several instances starting at once: the first migrates, the others wait here and then find nothing to do.
    public override string MigrationLockSql => """
        DECLARE @granted INT;
        EXEC @granted = sp_getapplock @Resource = N'wmtty:migrations', @LockMode = N'Exclusive', @LockOwner = N'Transaction', @LockTimeout = 120000;
        IF @granted < 0
            THROW 51001, N'Another Wmtty instance has been migrating the database for two minutes; this one stopped waiting.', 1;
        """;

    public override string EnsureSchemaVersionTableSql => """
        IF OBJECT_ID(N'schema_version', N'U') IS NULL
            CREATE TABLE schema_version (
                version      INT           NOT NULL CONSTRAINT pk_schema_version PRIMARY KEY,
                description  NVARCHAR(200) NOT NULL,
                applied_utc  NVARCHAR(40)  NOT NULL
            );
        """;

    // Without read committed snapshot, readers wait for writers, and a search can deadlock with a write.
    public override string SettingsAdviceSql => """
        SELECT N'READ_COMMITTED_SNAPSHOT is off for this database, so reads wait for writes and can deadlock with them. Turn it on: ALTER DATABASE CURRENT SET READ_COMMITTED_SNAPSHOT ON (see README, SQL Server and Azure SQL).'
        WHERE NOT EXISTS (SELECT 1 FROM sys.databases WHERE database_id = DB_ID() AND is_read_committed_snapshot_on = 1);
        """;

    [GeneratedRegex(@"[\\%_\[]")]
    private static partial Regex LikeWildcard();

    [GeneratedRegex(@"^[ \t]*GO[ \t]*;?[ \t]*\r?$", RegexOptions.IgnoreCase | RegexOptions.Multiline)]
    private static partial Regex BatchSeparator();
}

using System.Data;
using System.Data.Common;
using Microsoft.Data.Sqlite;
using Wmtty.Data.Storage;

namespace Wmtty.Data.Sqlite;

/// <summary>SQLite, the embedded default: one file in WAL mode, one writer at a time.</summary>
internal sealed class SqliteDialect(string connectionString) : ISqlDialect
{
    private const int SqliteConstraintUnique = 2067;
    private const int SqliteConstraintPrimaryKey = 1555;

    public string Name => "Sqlite";

    private readonly SemaphoreSlim writer = new(1, 1);

    public DbConnection CreateConnection() => new SqliteConnection(connectionString);

    // SQLite has one writer at a time. Writers that meet inside SQLite get SQLITE_BUSY and retry after a
    // sleep, which under load costs far more than the writes themselves; in this process they queue here.
    public async ValueTask<IDisposable?> EnterWriteAsync(CancellationToken cancellationToken)
    {
        await writer.WaitAsync(cancellationToken);
        return new Release(writer);
    }

    private sealed class Release(SemaphoreSlim semaphore) : IDisposable
    {
        private int released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref released, 1) == 0)
            {
                semaphore.Release();
            }
        }
    }

    // BEGIN IMMEDIATE takes the write lock up front. A deferred transaction that reads and then writes
    // can fail with SQLITE_BUSY when another writer got there in between, without waiting.
    public DbTransaction BeginWriteTransaction(DbConnection connection) =>
        ((SqliteConnection)connection).BeginTransaction(IsolationLevel.Serializable, deferred: false);

    public bool IsUniqueViolation(DbException exception) =>
        exception is SqliteException { SqliteExtendedErrorCode: SqliteConstraintUnique or SqliteConstraintPrimaryKey };

    public string ReadCurrentSql => """
        SELECT resource_type AS Type, resource_id AS Id, version AS Version, is_deleted AS IsDeleted,
               last_updated AS LastUpdated, request_method AS Method, response_status AS Status, json AS Json, compartment AS Compartment
        FROM resource
        WHERE resource_type = @Type AND resource_id = @Id AND is_current = 1
        """;

    public string ReadVersionSql => """
        SELECT resource_type AS Type, resource_id AS Id, version AS Version, is_deleted AS IsDeleted,
               last_updated AS LastUpdated, request_method AS Method, response_status AS Status, json AS Json, compartment AS Compartment
        FROM resource
        WHERE resource_type = @Type AND resource_id = @Id AND version = @Version
        """;

    public string HistorySql => """
        SELECT resource_type AS Type, resource_id AS Id, version AS Version, is_deleted AS IsDeleted,
               last_updated AS LastUpdated, request_method AS Method, response_status AS Status, json AS Json, compartment AS Compartment
        FROM resource
        WHERE resource_type = @Type AND resource_id = @Id AND version < @BeforeVersion AND last_updated >= @Since
        ORDER BY version DESC
        LIMIT @Limit
        """;

    public string CurrentForWriteSql => """
        SELECT resource_key AS Key, origin_key AS OriginKey, resource_type AS Type, resource_id AS Id, version AS Version, is_deleted AS IsDeleted, compartment AS Compartment
        FROM resource
        WHERE resource_type = @Type AND resource_id = @Id AND is_current = 1
        """;

    public string RetireCurrentSql => """
        UPDATE resource SET is_current = 0 WHERE resource_key = @Key AND is_current = 1
        """;

    public string InsertVersionSql => """
        INSERT INTO resource (resource_type, resource_id, version, is_current, is_deleted, last_updated, origin_key, compartment, request_method, response_status, json)
        VALUES (@Type, @Id, @Version, 1, @IsDeleted, @LastUpdated, @OriginKey, @Compartment, @Method, @Status, @Json)
        RETURNING resource_key
        """;

    public string SetOriginSql => "UPDATE resource SET origin_key = resource_key WHERE resource_key = @Key";

    public string DeleteTokensSql => "DELETE FROM token_index WHERE resource_key = @Key";

    public string DeleteReferencesSql => "DELETE FROM reference_index WHERE resource_key = @Key";

    public string DeleteDatesSql => "DELETE FROM date_index WHERE resource_key = @Key";

    public string DeleteStringsSql => "DELETE FROM string_index WHERE resource_key = @Key";

    public string InsertTokenSql => """
        INSERT INTO token_index (resource_key, resource_type, param, system, code)
        VALUES (@Key, @Type, @Param, @System, @Code)
        """;

    public string InsertReferenceSql => """
        INSERT INTO reference_index (resource_key, resource_type, param, target_type, target_id, identifier_system, identifier_value)
        VALUES (@Key, @Type, @Param, @TargetType, @TargetId, @IdentifierSystem, @IdentifierValue)
        """;

    public string InsertDateSql => """
        INSERT INTO date_index (resource_key, resource_type, param, low, high)
        VALUES (@Key, @Type, @Param, @Low, @High)
        """;

    public string InsertStringSql => """
        INSERT INTO string_index (resource_key, resource_type, param, value, exact_value)
        VALUES (@Key, @Type, @Param, @Value, @ExactValue)
        """;

    public string InsertResponsePreferencesSql => """
        INSERT INTO preference_response (response_id, patient_id, authored) VALUES (@ResponseId, @PatientId, @Authored)
        RETURNING set_key
        """;

    public string InsertPreferenceObservationSql => """
        INSERT INTO preference_observation (set_key, observation_id, code_system, code, position)
        VALUES (@SetKey, @ObservationId, @CodeSystem, @Code, @Position)
        """;

    public string InsertExtractedSql => """
        INSERT OR IGNORE INTO extracted_observation (response_id, observation_id) VALUES (@ResponseId, @ObservationId)
        """;

    public string DeleteResponseObservationsSql => """
        DELETE FROM preference_observation WHERE set_key IN (SELECT set_key FROM preference_response WHERE response_id = @ResponseId)
        """;

    public string DeleteResponsePreferencesSql => "DELETE FROM preference_response WHERE response_id = @ResponseId";

    public string DeletePatientObservationsSql => """
        DELETE FROM preference_observation WHERE set_key IN (SELECT set_key FROM preference_response WHERE patient_id = @PatientId)
        """;

    public string DeletePatientPreferencesSql => "DELETE FROM preference_response WHERE patient_id = @PatientId";

    public string ResponsePreferencesSql => """
        SELECT p.patient_id AS PatientId, p.authored AS Authored, o.observation_id AS ObservationId,
               o.code_system AS CodeSystem, o.code AS Code, o.position AS Position
        FROM preference_response p
        LEFT JOIN preference_observation o ON o.set_key = p.set_key
        WHERE p.response_id = @ResponseId
        ORDER BY o.position
        """;

    public string ExtractedSql => "SELECT observation_id FROM extracted_observation WHERE response_id = @ResponseId";

    public string IsCurrentPreferenceSql => "SELECT COUNT(*) FROM preference_observation WHERE observation_id = @ObservationId";

    public string CurrentSourceSql => """
        SELECT response_id AS ResponseId, authored AS Authored
        FROM preference_response
        WHERE patient_id = @PatientId
        ORDER BY authored DESC, set_key DESC
        LIMIT 1
        """;

    // The latest-authored set first, by index; then, in that order (CROSS JOIN fixes SQLite's join order,
    // which on a young database without statistics may otherwise walk every Observation), its few
    // Observations, and each one's current version by unique index.
    public string CurrentPreferencesSql => """
        SELECT r.resource_key AS ResourceKey, r.origin_key AS Key, r.resource_id AS Id, r.version AS Version,
               r.last_updated AS LastUpdated, r.json AS Json, o.code_system AS CodeSystem, o.code AS Code, o.position AS Position
        FROM (SELECT set_key FROM preference_response WHERE patient_id = @PatientId ORDER BY authored DESC, set_key DESC LIMIT 1) s
        CROSS JOIN preference_observation o ON o.set_key = s.set_key
        CROSS JOIN resource r ON r.resource_type = 'Observation' AND r.resource_id = o.observation_id AND r.is_current = 1
        WHERE r.is_deleted = 0
        ORDER BY o.position, o.observation_id
        """;

    public string PreferenceTokensSql => """
        SELECT resource_key AS ResourceKey, param AS Param, system AS System, code AS Code
        FROM token_index
        WHERE resource_key IN @Keys AND param IN ('code', 'category', 'status')
        """;

    public string WithheldSql => """
        SELECT audience AS Audience, section_system AS SectionSystem, section_code AS SectionCode
        FROM consent_withheld WHERE patient_id = @PatientId
        """;

    public string DeleteWithheldSql => "DELETE FROM consent_withheld WHERE patient_id = @PatientId";

    public string InsertWithheldSql => """
        INSERT INTO consent_withheld (patient_id, audience, section_system, section_code)
        VALUES (@PatientId, @Audience, @SectionSystem, @SectionCode)
        """;

    public string InsertAuditSql => """
        INSERT INTO audit_record (recorded, action, interaction, resource_type, resource_id, status, caller_kind, subject, subject_name, client_id, roles, request_id)
        VALUES (@Recorded, @Action, @Interaction, @ResourceType, @ResourceId, @Status, @CallerKind, @Subject, @SubjectName, @ClientId, @Roles, @RequestId)
        RETURNING audit_key
        """;

    public string InsertAuditPatientSql => "INSERT OR IGNORE INTO audit_patient (patient_id, audit_key) VALUES (@PatientId, @Key)";

    public string AuditPageSql(bool byPatient, string limitParameter) => $"""
        SELECT a.audit_key AS Key, a.recorded AS Recorded, a.action AS Action, a.interaction AS Interaction,
               a.resource_type AS ResourceType, a.resource_id AS ResourceId, a.status AS Status, a.caller_kind AS CallerKind,
               a.subject AS Subject, a.subject_name AS SubjectName, a.client_id AS ClientId, a.roles AS Roles, a.request_id AS RequestId,
               (SELECT group_concat(p.patient_id, ' ') FROM audit_patient p WHERE p.audit_key = a.audit_key) AS Patients
        FROM {(byPatient ? "audit_patient f CROSS JOIN audit_record a ON a.audit_key = f.audit_key" : "audit_record a")}
        WHERE {(byPatient ? "f.patient_id = @PatientId AND f.audit_key < @Before" : "a.audit_key < @Before")}
          AND a.recorded >= @From AND a.recorded <= @To
        ORDER BY a.audit_key DESC
        LIMIT {limitParameter}
        """;

    private const string InvitationColumns = """
        invitation_id AS Id, token_hash AS TokenHash, nhs_number AS NhsNumber, created_by AS CreatedBy,
        created_at AS CreatedAt, expires_at AS ExpiresAt, used_at AS UsedAt, revoked_at AS RevokedAt
        """;

    public string InsertInvitationSql => """
        INSERT INTO invitation (invitation_id, token_hash, nhs_number, created_by, created_at, expires_at)
        VALUES (@Id, @TokenHash, @NhsNumber, @CreatedBy, @CreatedAt, @ExpiresAt)
        """;

    public string ReadInvitationSql => $"SELECT {InvitationColumns} FROM invitation WHERE invitation_id = @Id";

    public string ReadInvitationByHashSql => $"SELECT {InvitationColumns} FROM invitation WHERE token_hash = @TokenHash";

    // One statement, so of two redemptions of the same link only one can match the row.
    public string RedeemInvitationSql => $"""
        UPDATE invitation SET used_at = @Now
        WHERE token_hash = @TokenHash AND used_at IS NULL AND revoked_at IS NULL AND expires_at > @Now
        RETURNING {InvitationColumns}
        """;

    public string RevokeInvitationSql => """
        UPDATE invitation SET revoked_at = @Now
        WHERE invitation_id = @Id AND used_at IS NULL AND revoked_at IS NULL
        """;

    public string ReadJsonSql => "SELECT json FROM resource WHERE resource_key = @Key";

    public string LimitClause(string limitParameter) => $"LIMIT {limitParameter}";

    // Values are compared byte-wise (BINARY collation on UTF-8), and U+10FFFF sorts after every other
    // character, so [prefix, prefix + U+10FFFF) is exactly the values that start with prefix. Unlike
    // LIKE, the range uses the index.
    public string StringStartsWith(string column, string valueParameter, string upperBoundParameter) =>
        $"{column} >= {valueParameter} AND {column} < {upperBoundParameter}";

    public string StringUpperBound(string prefix) => prefix + "\U0010FFFF";

    public string StringContains(string column, string valueParameter) => $"instr({column}, {valueParameter}) > 0";

    public string MigrationResourceFolder => "Sqlite";

    public void PrepareDatabase(DbConnection connection)
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

    public string EnsureSchemaVersionTableSql => """
        CREATE TABLE IF NOT EXISTS schema_version (
            version      INTEGER NOT NULL PRIMARY KEY,
            description  TEXT    NOT NULL,
            applied_utc  TEXT    NOT NULL
        )
        """;

    public string ReadSchemaVersionSql => "SELECT COALESCE(MAX(version), 0) FROM schema_version";

    public string RecordMigrationSql => """
        INSERT INTO schema_version (version, description, applied_utc) VALUES (@Version, @Description, @AppliedUtc)
        """;

    public string HealthCheckSql => "SELECT COALESCE(MAX(version), 0) FROM schema_version";
}

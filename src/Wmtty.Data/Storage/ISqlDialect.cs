using System.Data.Common;
using Wmtty.Data.Search;

namespace Wmtty.Data.Storage;

/// <summary>
/// Everything that differs between databases: connections, transactions, statement texts written out
/// in full, and the few search fragments that are not standard SQL. Values are always parameters.
/// </summary>
internal interface ISqlDialect
{
    string Name { get; }

    DbConnection CreateConnection();

    /// <summary>
    /// Waits for this process's turn to write, where the database takes one writer at a time; null where it
    /// takes many. Queuing here is cheaper than letting writers collide in the database and back off.
    /// </summary>
    ValueTask<IDisposable?> EnterWriteAsync(CancellationToken cancellationToken);

    /// <summary>Starts a transaction that holds the write lock, so reads inside it see what it will overwrite.</summary>
    DbTransaction BeginWriteTransaction(DbConnection connection);

    bool IsUniqueViolation(DbException exception);

    // Reads.
    string ReadCurrentSql { get; }
    string ReadVersionSql { get; }
    string HistorySql { get; }

    // Writes, inside a write transaction.
    string CurrentForWriteSql { get; }
    string RetireCurrentSql { get; }
    string InsertVersionSql { get; }
    string SetOriginSql { get; }
    string DeleteTokensSql { get; }
    string DeleteReferencesSql { get; }
    string DeleteDatesSql { get; }
    string DeleteStringsSql { get; }
    string InsertTokenSql { get; }
    string InsertReferenceSql { get; }
    string InsertDateSql { get; }
    string InsertStringSql { get; }

    // Preference sets (the $lastn projection).
    string InsertResponsePreferencesSql { get; }
    string InsertPreferenceObservationSql { get; }
    string InsertExtractedSql { get; }
    string DeleteResponseObservationsSql { get; }
    string DeleteResponsePreferencesSql { get; }
    string DeletePatientObservationsSql { get; }
    string DeletePatientPreferencesSql { get; }
    string ResponsePreferencesSql { get; }
    string ExtractedSql { get; }
    string IsCurrentPreferenceSql { get; }
    string CurrentSourceSql { get; }
    string CurrentPreferencesSql { get; }
    string PreferenceTokensSql { get; }
    string ReadJsonSql { get; }

    // Access: Consent projection and the audit trail.
    string WithheldSql { get; }
    string DeleteWithheldSql { get; }
    string InsertWithheldSql { get; }
    string InsertAuditSql { get; }
    string InsertAuditPatientSql { get; }
    string AuditPageSql(bool byPatient, string limitParameter);

    // Invitations.
    string InsertInvitationSql { get; }
    string ReadInvitationSql { get; }
    string ReadInvitationByHashSql { get; }

    /// <summary>Marks a usable invitation used and returns its row; returns nothing when it was not usable.</summary>
    string RedeemInvitationSql { get; }

    string RevokeInvitationSql { get; }

    // Search fragments.
    string LimitClause(string limitParameter);
    string StringStartsWith(string column, string valueParameter, string upperBoundParameter);
    string StringUpperBound(string prefix);
    string StringContains(string column, string valueParameter);

    // Migrations.
    string MigrationResourceFolder { get; }
    void PrepareDatabase(DbConnection connection);
    string EnsureSchemaVersionTableSql { get; }
    string ReadSchemaVersionSql { get; }
    string RecordMigrationSql { get; }
    string HealthCheckSql { get; }
}

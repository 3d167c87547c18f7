using System.Data.Common;
using Dapper;
using Wmtty.Data.Storage;

namespace Wmtty.Data.Audit;

/// <summary>The append-only audit trail: records are added, found and read, never changed.</summary>
public interface IAuditStore
{
    /// <summary>Appends the entries in one transaction; returns when they are committed.</summary>
    Task AppendAsync(IReadOnlyList<AuditEntry> entries, CancellationToken cancellationToken);

    Task<IReadOnlyList<AuditEntry>> SearchAsync(AuditQuery query, CancellationToken cancellationToken);

    Task<AuditEntry?> ReadAsync(long key, CancellationToken cancellationToken);
}

internal sealed class AuditStore(SqlDialect dialect, StoreRetry retry) : IAuditStore
{
    public Task AppendAsync(IReadOnlyList<AuditEntry> entries, CancellationToken cancellationToken) =>
        retry.WriteAsync(async (connection, transaction, _) =>
        {
            await AuditWrites.AppendAllAsync(dialect, connection, transaction, entries);
            return entries.Count;
        }, cancellationToken);

    /// <summary>
    /// Appends records from an audit journal file and marks that file stored through <paramref name="through"/>, in
    /// one transaction (<see cref="AuditJournal"/>).
    /// </summary>
    public Task AppendAsync(IReadOnlyList<AuditEntry> entries, Sqlite.SqliteDialect sqlite, string journalId, long through, CancellationToken cancellationToken) =>
        retry.WriteAsync(async (connection, transaction, _) =>
        {
            await AuditWrites.AppendAllAsync(dialect, connection, transaction, entries);
            return await connection.ExecuteAsync(sqlite.AuditJournalMarkSql, new { JournalId = journalId, Through = through }, transaction);
        }, cancellationToken);

    public Task<IReadOnlyList<AuditEntry>> SearchAsync(AuditQuery query, CancellationToken cancellationToken) =>
        retry.ReadAsync<IReadOnlyList<AuditEntry>>(async (connection, token) =>
        {
            var rows = await connection.QueryAsync<AuditRow>(new CommandDefinition(
                dialect.AuditPageSql(query.PatientId is not null, "@Limit"),
                new
                {
                    query.PatientId,
                    From = query.From.ToUnixTimeMilliseconds(),
                    To = query.To.ToUnixTimeMilliseconds(),
                    Before = query.BeforeKey,
                    query.Limit,
                },
                cancellationToken: token));
            return rows.Select(r => r.ToEntry()).ToList();
        }, cancellationToken);

    public async Task<AuditEntry?> ReadAsync(long key, CancellationToken cancellationToken)
    {
        var page = await SearchAsync(new AuditQuery(null, DateTimeOffset.MinValue.AddYears(1970), DateTimeOffset.MaxValue.AddYears(-1), key + 1, 1), cancellationToken);
        return page.Count == 1 && page[0].Key == key ? page[0] : null;
    }

    private sealed class AuditRow
    {
        public long AuditKey { get; set; }
        public long Recorded { get; set; }
        public string Action { get; set; } = "";
        public string Interaction { get; set; } = "";
        public string? ResourceType { get; set; }
        public string? ResourceId { get; set; }
        public long Status { get; set; }
        public string CallerKind { get; set; } = "";
        public string Subject { get; set; } = "";
        public string? SubjectName { get; set; }
        public string? ClientId { get; set; }
        public string? Roles { get; set; }
        public string? RequestId { get; set; }
        public string? Patients { get; set; }

        public AuditEntry ToEntry() => new(
            DateTimeOffset.FromUnixTimeMilliseconds(Recorded), Action, Interaction, ResourceType, ResourceId, checked((int)Status),
            CallerKind, Subject, SubjectName, ClientId, Roles, RequestId,
            (Patients ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal).ToList())
        { Key = AuditKey };
    }
}

/// <summary>The insert of one audit entry and its patients, inside a caller's transaction.</summary>
internal static class AuditWrites
{
    public static async Task AppendAllAsync(SqlDialect dialect, DbConnection connection, DbTransaction transaction, IReadOnlyList<AuditEntry> entries)
    {
        foreach (var entry in entries)
        {
            await AppendAsync(dialect, connection, transaction, entry);
        }
    }

    public static async Task AppendAsync(SqlDialect dialect, DbConnection connection, DbTransaction transaction, AuditEntry entry)
    {
        var key = connection is Sqlite.PreparingConnection writer
            ? writer.InsertReturningKey(dialect.InsertAuditSql, // the group commit's writer: prepared once, each value bound as it is
            [
                entry.Recorded.ToUnixTimeMilliseconds(), entry.Action, entry.Interaction, entry.ResourceType, entry.ResourceId, entry.Status,
                entry.CallerKind, entry.Subject, entry.SubjectName, entry.ClientId, entry.Roles, entry.RequestId,
            ])
            : await connection.ExecuteScalarAsync<long>(dialect.InsertAuditSql, new
            {
                Recorded = entry.Recorded.ToUnixTimeMilliseconds(),
                entry.Action,
                entry.Interaction,
                entry.ResourceType,
                entry.ResourceId,
                entry.Status,
                entry.CallerKind,
                entry.Subject,
                entry.SubjectName,
                entry.ClientId,
                entry.Roles,
                entry.RequestId,
            }, transaction);
        await RowBatches.InsertAsync(dialect, connection, transaction, RowTable.AuditPatients, entry.Patients.Distinct().ToList(), p => [p, key]);
    }
}

using System.Data.Common;
using Dapper;
using Wmtty.Data.Audit;
using Wmtty.Data.Preferences;
using Wmtty.Data.Search;
using Wmtty.Data.Storage;

namespace Wmtty.Data.Resources;

/// <summary>A write lost a race: the version it meant to replace is no longer current.</summary>
public sealed class ConcurrencyConflictException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>A search match: the stored JSON of a current version, and its place in the order (<see cref="Key"/>).</summary>
public sealed record SearchMatch(long Key, string Id, int Version, DateTimeOffset LastUpdated, byte[] Json)
{
    /// <summary>The id of the Patient whose data this is; null for definitions.</summary>
    public string? Compartment { get; init; }
}

/// <summary>Reads and writes resource versions and their index rows. Every method opens its own short-lived connection.</summary>
public interface IResourceStore
{
    Task<StoredVersion?> ReadAsync(string type, string id, CancellationToken cancellationToken);

    Task<StoredVersion?> ReadVersionAsync(string type, string id, int version, CancellationToken cancellationToken);

    /// <summary>Versions newest first, older than <paramref name="beforeVersion"/> and updated at or after <paramref name="since"/>.</summary>
    Task<IReadOnlyList<StoredVersion>> HistoryAsync(string type, string id, int beforeVersion, DateTimeOffset since, int limit, CancellationToken cancellationToken);

    /// <summary>Up to <paramref name="limit"/> matches after the query's cursor, in its order.</summary>
    Task<IReadOnlyList<SearchMatch>> SearchAsync(SearchQuery query, int limit, CancellationToken cancellationToken);

    Task<int> CountAsync(SearchQuery query, CancellationToken cancellationToken);

    /// <summary>What the patient's active privacy Consents withhold, and from whom.</summary>
    Task<IReadOnlyList<WithheldSection>> WithheldAsync(string patientId, CancellationToken cancellationToken);

    /// <summary>Runs <paramref name="work"/> in one transaction that holds the write lock, and commits if it returns.</summary>
    Task<T> WriteAsync<T>(Func<IWriteSession, CancellationToken, Task<T>> work, CancellationToken cancellationToken);
}

/// <summary>Reads and writes inside one write transaction.</summary>
public interface IWriteSession
{
    Task<CurrentVersion?> GetCurrentAsync(string type, string id);

    /// <summary>Searches inside the transaction, so what it finds cannot change before the transaction ends.</summary>
    Task<IReadOnlyList<SearchMatch>> FindAsync(SearchQuery query, int limit);

    /// <summary>The stored JSON of a version found by <see cref="GetCurrentAsync"/>; null for a delete.</summary>
    Task<byte[]?> ReadJsonAsync(CurrentVersion version);

    /// <summary>Writes a new version, retiring <paramref name="replacing"/>, and rewrites the index rows.</summary>
    Task WriteAsync(NewVersion version, CurrentVersion? replacing);

    /// <summary>Preference sets, changed in this transaction.</summary>
    IPreferenceWrites Preferences { get; }

    /// <summary>Replaces what the patient's Consents withhold.</summary>
    Task ReplaceWithheldAsync(string patientId, IReadOnlyCollection<WithheldSection> withheld);

    /// <summary>Appends an audit record in this transaction, so the write and its record commit together.</summary>
    Task AppendAuditAsync(AuditEntry entry);
}

internal sealed class ResourceStore(ISqlDialect dialect) : IResourceStore
{
    private readonly SearchSql searchSql = new(dialect);

    public async Task<StoredVersion?> ReadAsync(string type, string id, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<VersionRow>(new CommandDefinition(
            dialect.ReadCurrentSql, new { Type = type, Id = id }, cancellationToken: cancellationToken));
        return row?.ToStored();
    }

    public async Task<StoredVersion?> ReadVersionAsync(string type, string id, int version, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<VersionRow>(new CommandDefinition(
            dialect.ReadVersionSql, new { Type = type, Id = id, Version = version }, cancellationToken: cancellationToken));
        return row?.ToStored();
    }

    public async Task<IReadOnlyList<StoredVersion>> HistoryAsync(string type, string id, int beforeVersion, DateTimeOffset since, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<VersionRow>(new CommandDefinition(
            dialect.HistorySql,
            new { Type = type, Id = id, BeforeVersion = beforeVersion, Since = since.ToUnixTimeMilliseconds(), Limit = limit },
            cancellationToken: cancellationToken));
        return rows.Select(r => r.ToStored()).ToList();
    }

    public async Task<IReadOnlyList<SearchMatch>> SearchAsync(SearchQuery query, int limit, CancellationToken cancellationToken)
    {
        var (sql, parameters) = searchSql.Page(query, limit);
        await using var connection = await OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<MatchRow>(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken));
        return rows.Select(r => r.ToMatch()).ToList();
    }

    public async Task<int> CountAsync(SearchQuery query, CancellationToken cancellationToken)
    {
        var (sql, parameters) = searchSql.Count(query);
        await using var connection = await OpenAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<int>(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken));
    }

    public async Task<IReadOnlyList<WithheldSection>> WithheldAsync(string patientId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<(string Audience, string SectionSystem, string SectionCode)>(new CommandDefinition(
            dialect.WithheldSql, new { PatientId = patientId }, cancellationToken: cancellationToken));
        return rows.Select(r => new WithheldSection(r.Audience, r.SectionSystem, r.SectionCode)).ToList();
    }

    public async Task<T> WriteAsync<T>(Func<IWriteSession, CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        using var turn = await dialect.EnterWriteAsync(cancellationToken);
        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = dialect.BeginWriteTransaction(connection);
        try
        {
            var result = await work(new WriteSession(dialect, searchSql, connection, transaction), cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return result;
        }
        catch (DbException exception) when (dialect.IsUniqueViolation(exception))
        {
            throw new ConcurrencyConflictException("Another write to the same resource committed first.", exception);
        }
    }

    private async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = dialect.CreateConnection();
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    private sealed class WriteSession(ISqlDialect dialect, SearchSql searchSql, DbConnection connection, DbTransaction transaction) : IWriteSession
    {
        public async Task<CurrentVersion?> GetCurrentAsync(string type, string id)
        {
            var row = await connection.QuerySingleOrDefaultAsync<CurrentRow>(dialect.CurrentForWriteSql, new { Type = type, Id = id }, transaction);
            return row?.ToCurrent();
        }

        public async Task<IReadOnlyList<SearchMatch>> FindAsync(SearchQuery query, int limit)
        {
            var (sql, parameters) = searchSql.Page(query, limit);
            var rows = await connection.QueryAsync<MatchRow>(sql, parameters, transaction);
            return rows.Select(r => r.ToMatch()).ToList();
        }

        public Task<byte[]?> ReadJsonAsync(CurrentVersion version) =>
            connection.ExecuteScalarAsync<byte[]?>(dialect.ReadJsonSql, new { version.Key }, transaction);

        public IPreferenceWrites Preferences { get; } = new PreferenceWrites(dialect, connection, transaction);

        public async Task ReplaceWithheldAsync(string patientId, IReadOnlyCollection<WithheldSection> withheld)
        {
            await connection.ExecuteAsync(dialect.DeleteWithheldSql, new { PatientId = patientId }, transaction);
            if (withheld.Count > 0)
            {
                await connection.ExecuteAsync(dialect.InsertWithheldSql, withheld.Distinct().Select(w => new { PatientId = patientId, w.Audience, w.SectionSystem, w.SectionCode }), transaction);
            }
        }

        public Task AppendAuditAsync(AuditEntry entry) => AuditWrites.AppendAsync(dialect, connection, transaction, entry);

        public async Task WriteAsync(NewVersion version, CurrentVersion? replacing)
        {
            if (replacing is not null)
            {
                var retired = await connection.ExecuteAsync(dialect.RetireCurrentSql, new { replacing.Key }, transaction);
                if (retired != 1)
                {
                    throw new ConcurrencyConflictException($"Version {replacing.Version} is no longer the current version.");
                }

                var old = new { replacing.Key };
                await connection.ExecuteAsync(dialect.DeleteTokensSql, old, transaction);
                await connection.ExecuteAsync(dialect.DeleteReferencesSql, old, transaction);
                await connection.ExecuteAsync(dialect.DeleteDatesSql, old, transaction);
                await connection.ExecuteAsync(dialect.DeleteStringsSql, old, transaction);
            }

            var key = await connection.ExecuteScalarAsync<long>(dialect.InsertVersionSql, new
            {
                version.Type,
                version.Id,
                version.Version,
                IsDeleted = version.IsDelete,
                LastUpdated = version.LastUpdated.ToUnixTimeMilliseconds(),
                OriginKey = replacing?.OriginKey,
                version.Compartment,
                version.Change.Method,
                version.Change.Status,
                version.Json,
            }, transaction);
            if (replacing is null)
            {
                await connection.ExecuteAsync(dialect.SetOriginSql, new { Key = key }, transaction);
            }

            var index = version.Index;
            var type = version.Type;
            if (index.Tokens.Count > 0)
            {
                await connection.ExecuteAsync(dialect.InsertTokenSql, index.Tokens.Select(t => new { Key = key, Type = type, t.Param, t.System, t.Code }), transaction);
            }

            if (index.References.Count > 0)
            {
                await connection.ExecuteAsync(dialect.InsertReferenceSql, index.References.Select(r => new { Key = key, Type = type, r.Param, r.TargetType, r.TargetId, r.IdentifierSystem, r.IdentifierValue }), transaction);
            }

            if (index.Dates.Count > 0)
            {
                await connection.ExecuteAsync(dialect.InsertDateSql, index.Dates.Select(d => new { Key = key, Type = type, d.Param, d.Low, d.High }), transaction);
            }

            if (index.Strings.Count > 0)
            {
                await connection.ExecuteAsync(dialect.InsertStringSql, index.Strings.Select(s => new { Key = key, Type = type, s.Param, s.Value, s.ExactValue }), transaction);
            }
        }
    }

    // Row shapes for Dapper: databases disagree on integer widths, so convert here, once.
    private sealed class VersionRow
    {
        public string Type { get; set; } = "";
        public string Id { get; set; } = "";
        public long Version { get; set; }
        public bool IsDeleted { get; set; }
        public long LastUpdated { get; set; }
        public string Method { get; set; } = "";
        public long Status { get; set; }
        public byte[]? Json { get; set; }
        public string? Compartment { get; set; }

        public StoredVersion ToStored() => new(
            Type, Id, checked((int)Version), IsDeleted, DateTimeOffset.FromUnixTimeMilliseconds(LastUpdated),
            new VersionChange(Method, checked((int)Status)), Json) { Compartment = Compartment };
    }

    private sealed class CurrentRow
    {
        public long Key { get; set; }
        public long OriginKey { get; set; }
        public string Type { get; set; } = "";
        public string Id { get; set; } = "";
        public long Version { get; set; }
        public bool IsDeleted { get; set; }
        public string? Compartment { get; set; }

        public CurrentVersion ToCurrent() => new(Key, OriginKey, Type, Id, checked((int)Version), IsDeleted) { Compartment = Compartment };
    }

    private sealed class MatchRow
    {
        public long Key { get; set; }
        public string Id { get; set; } = "";
        public long Version { get; set; }
        public long LastUpdated { get; set; }
        public byte[]? Json { get; set; }
        public string? Compartment { get; set; }

        public SearchMatch ToMatch() =>
            new(Key, Id, checked((int)Version), DateTimeOffset.FromUnixTimeMilliseconds(LastUpdated), Json ?? []) { Compartment = Compartment }; // Json empty when not asked for
    }
}

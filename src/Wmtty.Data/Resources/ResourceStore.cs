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

    /// <summary>Every version of every resource in the patient's compartment, deletions included, in no particular order.</summary>
    Task<IReadOnlyList<StoredVersion>> CompartmentAsync(string patientId, CancellationToken cancellationToken);

    /// <summary>When the patient's data last changed; null when nothing is held about them.</summary>
    Task<DateTimeOffset?> LastActivityAsync(string patientId, CancellationToken cancellationToken);

    /// <summary>Patients, live or deleted, whose own current version is older than <paramref name="cutoff"/>, read a page at a time.</summary>
    IAsyncEnumerable<string> PatientsUnchangedSinceAsync(DateTimeOffset cutoff, CancellationToken cancellationToken);

    /// <summary>
    /// Runs <paramref name="work"/> in one write transaction, and commits if it returns. Work that fails for
    /// a transient reason is run again from the start, so it must do nothing outside the session that it
    /// cannot do twice.
    /// </summary>
    Task<T> WriteAsync<T>(Func<IWriteSession, CancellationToken, Task<T>> work, CancellationToken cancellationToken);
}

/// <summary>Reads and writes inside one write transaction.</summary>
public interface IWriteSession
{
    Task<CurrentVersion?> GetCurrentAsync(string type, string id);

    /// <summary>
    /// Searches inside the transaction. Where the database takes one writer at a time (SQLite), what it finds
    /// cannot change before the transaction ends; where it takes many, a write that depends on what it finds
    /// (nothing matched, so create) must first take a <see cref="LockAsync"/> that every such write takes.
    /// </summary>
    Task<IReadOnlyList<SearchMatch>> FindAsync(SearchQuery query, int limit);

    /// <summary>
    /// The id and version of each resource the search finds, as <c>id/version</c>, in no particular order: what
    /// <see cref="FindAsync"/> would find, by index alone, in one value (so the writer keeps the statement prepared).
    /// </summary>
    Task<IReadOnlyList<string>> FindVersionsAsync(SearchQuery query, int limit);

    /// <summary>The stored JSON of a version found by <see cref="GetCurrentAsync"/>; null for a delete.</summary>
    Task<byte[]?> ReadJsonAsync(CurrentVersion version);

    /// <summary>Writes a new version, retiring <paramref name="replacing"/>, and rewrites the index rows.</summary>
    Task WriteAsync(NewVersion version, CurrentVersion? replacing);

    /// <summary>Preference sets, changed in this transaction.</summary>
    IPreferenceWrites Preferences { get; }

    /// <summary>Replaces what the patient's Consents withhold.</summary>
    Task ReplaceWithheldAsync(string patientId, IReadOnlyCollection<WithheldSection> withheld);

    /// <summary>Every version in the patient's compartment, as <see cref="IResourceStore.CompartmentAsync"/>, inside the transaction.</summary>
    Task<IReadOnlyList<StoredVersion>> CompartmentAsync(string patientId);

    /// <summary>
    /// Hard-deletes every version in the patient's compartment with its index rows, their preference sets and projection,
    /// what their Consents withhold, and the invitations sent to <paramref name="nhsNumbers"/>.
    /// </summary>
    Task<ErasedCompartment> EraseCompartmentAsync(string patientId, IReadOnlyCollection<string> nhsNumbers);

    /// <summary>Appends an audit record in this transaction, so the write and its record commit together.</summary>
    Task AppendAuditAsync(AuditEntry entry);

    /// <summary>
    /// Holds an exclusive lock on <paramref name="name"/> until the transaction ends, so that writers in
    /// other service instances that take the same lock wait for this one. Take locks before reading
    /// what they protect, and several in ordinal order. Returns false where the database takes one writer
    /// at a time, so the transaction already excludes every other writer and there was nothing to wait for.
    /// </summary>
    Task<bool> LockAsync(string name);
}

internal sealed class ResourceStore(SqlDialect dialect, StoreRetry retry, TimeSpan lockTimeout) : IResourceStore
{
    private readonly SearchSql searchSql = new(dialect);

    public Task<StoredVersion?> ReadAsync(string type, string id, CancellationToken cancellationToken) =>
        retry.ReadAsync(async (connection, token) =>
        {
            var row = await connection.QuerySingleOrDefaultAsync<VersionRow>(new CommandDefinition(
                dialect.ReadCurrentSql, new { Type = type, Id = id }, cancellationToken: token));
            return row?.ToStored();
        }, cancellationToken);

    public Task<StoredVersion?> ReadVersionAsync(string type, string id, int version, CancellationToken cancellationToken) =>
        retry.ReadAsync(async (connection, token) =>
        {
            var row = await connection.QuerySingleOrDefaultAsync<VersionRow>(new CommandDefinition(
                dialect.ReadVersionSql, new { Type = type, Id = id, Version = version }, cancellationToken: token));
            return row?.ToStored();
        }, cancellationToken);

    public Task<IReadOnlyList<StoredVersion>> HistoryAsync(string type, string id, int beforeVersion, DateTimeOffset since, int limit, CancellationToken cancellationToken) =>
        retry.ReadAsync<IReadOnlyList<StoredVersion>>(async (connection, token) =>
        {
            var rows = await connection.QueryAsync<VersionRow>(new CommandDefinition(
                dialect.HistorySql,
                new { Type = type, Id = id, BeforeVersion = beforeVersion, Since = since.ToUnixTimeMilliseconds(), Limit = limit },
                cancellationToken: token));
            return rows.Select(r => r.ToStored()).ToList();
        }, cancellationToken);

    public Task<IReadOnlyList<SearchMatch>> SearchAsync(SearchQuery query, int limit, CancellationToken cancellationToken)
    {
        var (sql, parameters) = searchSql.Page(query, limit);
        return retry.ReadAsync<IReadOnlyList<SearchMatch>>(async (connection, token) =>
        {
            var rows = await connection.QueryAsync<MatchRow>(new CommandDefinition(sql, parameters, cancellationToken: token));
            return rows.Select(r => r.ToMatch()).ToList();
        }, cancellationToken);
    }

    public Task<int> CountAsync(SearchQuery query, CancellationToken cancellationToken)
    {
        var (sql, parameters) = searchSql.Count(query);
        return retry.ReadAsync(async (connection, token) =>
        {
            return await connection.ExecuteScalarAsync<int>(new CommandDefinition(sql, parameters, cancellationToken: token));
        }, cancellationToken);
    }

    public Task<IReadOnlyList<WithheldSection>> WithheldAsync(string patientId, CancellationToken cancellationToken) =>
        retry.ReadAsync<IReadOnlyList<WithheldSection>>(async (connection, token) =>
        {
            var rows = await connection.QueryAsync<(string Audience, string SectionSystem, string SectionCode)>(new CommandDefinition(
                dialect.WithheldSql, new { PatientId = patientId }, cancellationToken: token));
            return rows.Select(r => new WithheldSection(r.Audience, r.SectionSystem, r.SectionCode)).ToList();
        }, cancellationToken);

    public Task<IReadOnlyList<StoredVersion>> CompartmentAsync(string patientId, CancellationToken cancellationToken) =>
        retry.ReadAsync((connection, _) => Compartments.VersionsAsync(dialect, connection, null, patientId), cancellationToken);

    public Task<DateTimeOffset?> LastActivityAsync(string patientId, CancellationToken cancellationToken) =>
        retry.ReadAsync((connection, token) => Compartments.LastActivityAsync(dialect, connection, patientId, token), cancellationToken);

    public IAsyncEnumerable<string> PatientsUnchangedSinceAsync(DateTimeOffset cutoff, CancellationToken cancellationToken) =>
        Compartments.PatientsUnchangedSinceAsync(dialect, retry, cutoff, pageSize: 500, cancellationToken);

    public async Task<T> WriteAsync<T>(Func<IWriteSession, CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        await dialect.IndexKeys.ReadIfMissedAsync(cancellationToken);
        return await retry.WriteAsync(async (connection, transaction, token) =>
        {
            try
            {
                var session = new WriteSession(dialect, searchSql, connection, transaction, lockTimeout);
                var result = await work(session, token);
                await PreferenceProjection.RefreshAsync(dialect, connection, transaction, session.ChangedPatients);
                return result;
            }
            catch (DbException exception) when (dialect.IsUniqueViolation(exception))
            {
                throw new ConcurrencyConflictException("Another write to the same resource committed first.", exception);
            }
        }, cancellationToken);
    }

    private sealed class WriteSession(SqlDialect dialect, SearchSql searchSql, DbConnection connection, DbTransaction transaction, TimeSpan lockTimeout) : IWriteSession
    {
        private const string ResourceTypeObservation = "Observation";

        /// <summary>Patients whose current preferences this write may have changed (a set, or an Observation in one).</summary>
        public HashSet<string> ChangedPatients { get; } = new(StringComparer.Ordinal);

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

        public async Task<IReadOnlyList<string>> FindVersionsAsync(SearchQuery query, int limit)
        {
            var includeJson = query.IncludeJson;
            query.IncludeJson = false;
            var (sql, parameters) = searchSql.Page(query, limit);
            query.IncludeJson = includeJson;
            var versions = await connection.ExecuteScalarAsync<string?>(dialect.VersionsOfSql(sql), parameters, transaction);
            return string.IsNullOrEmpty(versions) ? [] : versions.Split(',');
        }

        public Task<byte[]?> ReadJsonAsync(CurrentVersion version) =>
            connection.ExecuteScalarAsync<byte[]?>(dialect.ReadJsonSql, new { version.Key }, transaction);

        public IPreferenceWrites Preferences => field ??= new PreferenceWrites(dialect, connection, transaction, ChangedPatients);

        public async Task ReplaceWithheldAsync(string patientId, IReadOnlyCollection<WithheldSection> withheld)
        {
            await connection.ExecuteAsync(dialect.DeleteWithheldSql, new { PatientId = patientId }, transaction);
            await RowBatches.InsertAsync(dialect, connection, transaction, RowTable.Withheld, withheld.Distinct().ToList(),
                w => [patientId, w.Audience, w.SectionSystem, w.SectionCode]);
        }

        public Task<IReadOnlyList<StoredVersion>> CompartmentAsync(string patientId) => Compartments.VersionsAsync(dialect, connection, transaction, patientId);

        public Task<ErasedCompartment> EraseCompartmentAsync(string patientId, IReadOnlyCollection<string> nhsNumbers) =>
            Compartments.EraseAsync(dialect, connection, transaction, patientId, nhsNumbers);

        public Task AppendAuditAsync(AuditEntry entry) => AuditWrites.AppendAsync(dialect, connection, transaction, entry);

        public async Task<bool> LockAsync(string name)
        {
            if (dialect.LockSql is not { } sql)
            {
                return false;
            }

            await connection.ExecuteAsync(sql, new { Resource = LockName(name), TimeoutMilliseconds = (int)lockTimeout.TotalMilliseconds }, transaction,
                commandTimeout: (int)lockTimeout.TotalSeconds + 30);
            return true;
        }

        // Lock names are at most 255 characters; a longer one is shortened to a hash of itself.
        private static string LockName(string name) =>
            name.Length <= 200 ? "wmtty:" + name : "wmtty:" + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(name)));

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
            if (key <= 0 || (replacing is null && dialect.SetOriginSql is { } setOrigin && await connection.ExecuteAsync(setOrigin, new { Key = key }, transaction) != 1))
            {
                throw new InvalidOperationException($"The new version of {version.Type}/{version.Id} was not stored as expected; the write is abandoned.");
            }

            // A set names Observations stored with it (PreferenceWrites.SetAsync, which marks its patient), so one stored
            // for the first time is in no other set yet: only a later version can change someone's projection.
            if (version.Type == ResourceTypeObservation && replacing is not null)
            {
                ChangedPatients.UnionWith(await connection.QueryAsync<string>(dialect.PatientsOfObservationSql, new { ObservationId = version.Id }, transaction));
            }

            var index = version.Index;
            var keys = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var param in index.Tokens.Select(t => t.Param).Concat(index.References.Select(r => r.Param))
                .Concat(index.Dates.Select(d => d.Param)).Concat(index.Strings.Select(s => s.Param)))
            {
                if (!keys.ContainsKey(param))
                {
                    keys[param] = await dialect.IndexKeys.ParamKeyAsync(connection, transaction, version.Type, param);
                }
            }

            var tokens = new (TokenRow Row, long? SystemKey)[index.Tokens.Count];
            for (var i = 0; i < tokens.Length; i++)
            {
                tokens[i] = (index.Tokens[i], await dialect.IndexKeys.SystemKeyAsync(connection, transaction, index.Tokens[i].System));
            }

            await RowBatches.InsertAsync(dialect, connection, transaction, RowTable.Tokens, tokens, t => [key, keys[t.Row.Param], t.SystemKey, t.Row.Code]);
            await RowBatches.InsertAsync(dialect, connection, transaction, RowTable.References, index.References,
                r => [key, keys[r.Param], r.TargetType, r.TargetId, r.IdentifierSystem, r.IdentifierValue]);
            await RowBatches.InsertAsync(dialect, connection, transaction, RowTable.Dates, index.Dates, d => [key, keys[d.Param], d.Low, d.High]);
            await RowBatches.InsertAsync(dialect, connection, transaction, RowTable.Strings, index.Strings, s => [key, keys[s.Param], s.Value, s.ExactValue]);
        }
    }

    // Row shapes for Dapper: databases disagree on integer widths, so convert here, once.
    private sealed class CurrentRow
    {
        public long ResourceKey { get; set; }
        public long OriginKey { get; set; }
        public string Type { get; set; } = "";
        public string Id { get; set; } = "";
        public long Version { get; set; }
        public bool IsDeleted { get; set; }
        public string? Compartment { get; set; }

        public CurrentVersion ToCurrent() => new(ResourceKey, OriginKey, Type, Id, checked((int)Version), IsDeleted) { Compartment = Compartment };
    }

    private sealed class MatchRow
    {
        public long SortKey { get; set; }
        public string Id { get; set; } = "";
        public long Version { get; set; }
        public long LastUpdated { get; set; }
        public byte[]? Json { get; set; }
        public string? Compartment { get; set; }

        public SearchMatch ToMatch() =>
            new(SortKey, Id, checked((int)Version), DateTimeOffset.FromUnixTimeMilliseconds(LastUpdated), Json ?? []) { Compartment = Compartment }; // Json empty when not asked for
    }
}

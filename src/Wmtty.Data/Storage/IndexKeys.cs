using System.Data.Common;
using Dapper;

namespace Wmtty.Data.Storage;

/// <summary>
/// The small integers index rows use instead of text: each type's search parameter (table <c>index_param</c>, migration 8)
/// and each token system (table <c>token_system</c>, migration 9), so that a row and its index entries start with numbers
/// rather than with strings such as 'Observation', 'value-concept' and a code system's URL. A key is given out once, by
/// the first write that needs it, and never changes or goes, so a key read from committed rows holds for good. Writes take
/// keys from here; one not known here yet is looked up, or given out, inside the write's own transaction
/// (<see cref="ParamKeyAsync"/>, <see cref="SystemKeyAsync"/>). This cache learns keys only from committed rows
/// (<see cref="ReadIfMissedAsync"/>, outside any transaction): a key given out in a transaction that then rolled back
/// must never be kept. Searches do not use it: they look each key up in their SQL.
/// </summary>
internal sealed class IndexKeys(SqlDialect dialect)
{
    private static readonly TimeSpan ReadAgainAfter = TimeSpan.FromSeconds(1);
    private volatile Known known = new([], new(StringComparer.Ordinal));
    private long readAt = long.MinValue / 2; // Environment.TickCount64 of the latest read
    private int missed; // 1 after a write found a key not known here

    /// <summary>The parameter's key, inside the write's transaction; without allocating when it is known, as it nearly always is.</summary>
    public ValueTask<long> ParamKeyAsync(DbConnection connection, DbTransaction transaction, string type, string param) =>
        known.Params.TryGetValue((type, param), out var key)
            ? ValueTask.FromResult(key)
            : GiveOutAsync(connection, transaction, dialect.IndexParamKeySql, dialect.AddIndexParamSql, new { Type = type, Param = param }, $"{type}.{param}");

    /// <summary>The token system's key, inside the write's transaction; null for a token without a system.</summary>
    public async ValueTask<long?> SystemKeyAsync(DbConnection connection, DbTransaction transaction, string? system) =>
        system is null ? null
        : known.Systems.TryGetValue(system, out var key) ? key
        : await GiveOutAsync(connection, transaction, dialect.TokenSystemKeySql, dialect.AddTokenSystemSql, new { System = system }, "A token system");

    private async ValueTask<long> GiveOutAsync(DbConnection connection, DbTransaction transaction, string keySql, string addSql, object parameter, string what)
    {
        Volatile.Write(ref missed, 1);
        if (await connection.ExecuteScalarAsync<long?>(keySql, parameter, transaction) is { } found)
        {
            return found;
        }

        await connection.ExecuteAsync(addSql, parameter, transaction);
        return await connection.ExecuteScalarAsync<long?>(keySql, parameter, transaction)
            ?? throw new InvalidOperationException($"{what} was given no index key.");
    }

    /// <summary>Before a write: reads the committed keys again if a write has missed one since the last read, at most once a second.</summary>
    public async Task ReadIfMissedAsync(CancellationToken cancellationToken)
    {
        var now = Environment.TickCount64;
        if (Volatile.Read(ref missed) == 0 || now - Interlocked.Read(ref readAt) < ReadAgainAfter.TotalMilliseconds
            || Interlocked.Exchange(ref missed, 0) == 0)
        {
            return;
        }

        Interlocked.Exchange(ref readAt, now);
        try
        {
            await using var connection = dialect.CreateConnection();
            await connection.OpenAsync(cancellationToken);
            var parameters = await connection.QueryAsync<(long ParamKey, string Type, string Param)>(new CommandDefinition(dialect.IndexParamsSql, cancellationToken: cancellationToken));
            var systems = await connection.QueryAsync<(long SystemKey, string System)>(new CommandDefinition(dialect.TokenSystemsSql, cancellationToken: cancellationToken));
            known = new(parameters.ToDictionary(r => (r.Type, r.Param), r => r.ParamKey), systems.ToDictionary(r => r.System, r => r.SystemKey, StringComparer.Ordinal));
        }
        catch (DbException)
        {
            Volatile.Write(ref missed, 1); // only a cache: the write looks its keys up itself, and this reads again next time
        }
    }

    private sealed record Known(Dictionary<(string Type, string Param), long> Params, Dictionary<string, long> Systems);
}

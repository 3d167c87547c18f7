using System.Data.Common;
using Dapper;

namespace Wmtty.Data.Storage;

/// <summary>
/// The keys index rows give each type's search parameter (table <c>index_param</c>), so that a row starts with one small
/// integer rather than two strings. A key is given out once, by the first write that indexes the parameter, and never
/// changes or goes, so a key read from committed rows holds for good. Writes take keys from here; a parameter not known
/// here yet is looked up, or given its key, inside the write's own transaction (<see cref="KeyAsync"/>). This cache
/// learns keys only from committed rows (<see cref="ReadIfMissedAsync"/>, outside any transaction): a key given out in a
/// transaction that then rolled back must never be kept. Searches do not use it: they look each key up in their SQL.
/// </summary>
internal sealed class IndexParams(SqlDialect dialect)
{
    private static readonly TimeSpan ReadAgainAfter = TimeSpan.FromSeconds(1);
    private volatile Dictionary<(string Type, string Param), long> known = [];
    private long readAt = long.MinValue / 2; // Environment.TickCount64 of the latest read
    private int missed; // 1 after a write found a parameter not known here

    /// <summary>The parameter's key, inside the write's transaction; without allocating when it is known, as it nearly always is.</summary>
    public async ValueTask<long> KeyAsync(DbConnection connection, DbTransaction transaction, string type, string param)
    {
        if (known.TryGetValue((type, param), out var key))
        {
            return key;
        }

        Volatile.Write(ref missed, 1);
        var parameter = new { Type = type, Param = param };
        if (await connection.ExecuteScalarAsync<long?>(dialect.IndexParamKeySql, parameter, transaction) is { } found)
        {
            return found;
        }

        await connection.ExecuteAsync(dialect.AddIndexParamSql, parameter, transaction);
        return await connection.ExecuteScalarAsync<long?>(dialect.IndexParamKeySql, parameter, transaction)
            ?? throw new InvalidOperationException($"{type}.{param} was given no index key.");
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
            var rows = await connection.QueryAsync<(long ParamKey, string Type, string Param)>(new CommandDefinition(dialect.IndexParamsSql, cancellationToken: cancellationToken));
            known = rows.ToDictionary(r => (r.Type, r.Param), r => r.ParamKey);
        }
        catch (DbException)
        {
            Volatile.Write(ref missed, 1); // only a cache: the write looks its keys up itself, and this reads again next time
        }
    }
}

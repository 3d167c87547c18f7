using Dapper;
using Wmtty.Data.Storage;

namespace Wmtty.Data.Measures;

/// <summary>Patients whose current set at a moment has these facts (null: not recorded).</summary>
/// <param name="Recency">0: recorded within 3 months before the moment; 1: 3 to 12 months; 2: longer ago.</param>
public sealed record SetCountRow(int Recency, string? Language, string? CompletedBy, string? Practice, string? District, long Patients);

/// <summary>Patients whose current set at a moment gave this answer to a needs question; <paramref name="Answer"/> null counts those with any need of that kind.</summary>
public sealed record NeedCountRow(string Need, string? Answer, string? Language, string? Practice, string? District, long Patients);

/// <summary>The counts of every patient's current preference set as it stood at one moment.</summary>
public sealed record MeasureCounts(IReadOnlyList<SetCountRow> Sets, IReadOnlyList<NeedCountRow> Needs);

/// <summary>
/// Counts for the outcome figures, in SQL over the preference sets and the facts written with them (migration 12): never
/// a resource read. A patient's set at a moment is their latest-authored set up to it, as their current set is now.
/// </summary>
public interface IMeasureStore
{
    /// <summary>The counts as at <paramref name="asOf"/>; recency is measured back from it.</summary>
    Task<MeasureCounts> CountAsync(DateTimeOffset asOf, CancellationToken cancellationToken);
}

internal sealed class MeasureStore(SqlDialect dialect, StoreRetry retry) : IMeasureStore
{
    public Task<MeasureCounts> CountAsync(DateTimeOffset asOf, CancellationToken cancellationToken) =>
        retry.ReadAsync(async (connection, token) =>
        {
            var moment = new
            {
                AsOf = asOf.ToUnixTimeMilliseconds(),
                Within3 = asOf.AddMonths(-3).ToUnixTimeMilliseconds(),
                Within12 = asOf.AddMonths(-12).ToUnixTimeMilliseconds(),
            };
            var sets = await connection.QueryAsync<SetRow>(new CommandDefinition(dialect.MeasureSetCountsSql, moment, cancellationToken: token));
            var needs = await connection.QueryAsync<NeedRow>(new CommandDefinition(dialect.MeasureNeedCountsSql, moment, cancellationToken: token));
            var any = await connection.QueryAsync<NeedRow>(new CommandDefinition(dialect.MeasureAnyNeedCountsSql, moment, cancellationToken: token));
            return new MeasureCounts(
                [.. sets.Select(s => new SetCountRow(checked((int)s.Recency), s.Language, s.CompletedBy, s.Practice, s.District, s.Patients))],
                [.. needs.Concat(any).Select(n => new NeedCountRow(n.Need, n.Answer, n.Language, n.Practice, n.District, n.Patients))]);
        }, cancellationToken);

    private sealed class SetRow
    {
        public long Recency { get; set; }
        public string? Language { get; set; }
        public string? CompletedBy { get; set; }
        public string? Practice { get; set; }
        public string? District { get; set; }
        public long Patients { get; set; }
    }

    private sealed class NeedRow
    {
        public string Need { get; set; } = "";
        public string? Answer { get; set; }
        public string? Language { get; set; }
        public string? Practice { get; set; }
        public string? District { get; set; }
        public long Patients { get; set; }
    }
}

using Dapper;
using Wmtty.Data.Preferences;
using Wmtty.Data.Storage;

namespace Wmtty.Data.Measures;

/// <summary>Patients whose current set at a moment has these facts (null: not recorded).</summary>
/// <param name="Recency">0: recorded within 3 months before the moment; 1: 3 to 12 months; 2: longer ago.</param>
public sealed record SetCountRow(int Recency, string? Language, string? CompletedBy, string? Practice, string? District, long Patients);

/// <summary>Patients whose current set at a moment gave this answer to a needs question; <paramref name="Answer"/> null counts those with any need of that kind.</summary>
public sealed record NeedCountRow(string Need, string? Answer, string? Language, string? Practice, string? District, long Patients);

/// <summary>A set stored before its facts were kept (migration 12): its key, its response, its patient and its Observations.</summary>
public sealed record SetToBackfill(long SetKey, string ResponseId, string PatientId, IReadOnlyList<string> ObservationIds);

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

    /// <summary>Up to <paramref name="limit"/> sets whose facts were never taken, in key order.</summary>
    Task<IReadOnlyList<SetToBackfill>> SetsToBackfillAsync(int limit, CancellationToken cancellationToken);

    /// <summary>
    /// In one transaction: each set's facts (null: none could be taken), and the sets taken off the list, with any on it
    /// that no longer exist. A set replaced since it was read is left as it is.
    /// </summary>
    Task BackfilledAsync(IReadOnlyList<(long SetKey, SetFacts? Facts)> sets, CancellationToken cancellationToken);
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

    public Task<IReadOnlyList<SetToBackfill>> SetsToBackfillAsync(int limit, CancellationToken cancellationToken) =>
        retry.ReadAsync<IReadOnlyList<SetToBackfill>>(async (connection, token) =>
        {
            var sets = new List<SetToBackfill>();
            foreach (var row in await connection.QueryAsync<BackfillRow>(new CommandDefinition(dialect.SetsToBackfillSql, new { Limit = limit }, cancellationToken: token)))
            {
                var observations = await connection.QueryAsync<string>(new CommandDefinition(dialect.SetObservationIdsSql, new { row.SetKey }, cancellationToken: token));
                sets.Add(new SetToBackfill(row.SetKey, row.ResponseId, row.PatientId, [.. observations]));
            }

            return sets;
        }, cancellationToken);

    public Task BackfilledAsync(IReadOnlyList<(long SetKey, SetFacts? Facts)> sets, CancellationToken cancellationToken) =>
        retry.WriteAsync(async (connection, transaction, _) =>
        {
            foreach (var (setKey, facts) in sets)
            {
                if (facts is not null && await connection.ExecuteAsync(dialect.UpdateSetFactsSql, new
                    {
                        SetKey = setKey, facts.Language, facts.CompletedBy, facts.Practice, facts.District,
                    }, transaction) == 1 && facts.Needs.Count > 0)
                {
                    await RowBatches.InsertAsync(dialect, connection, transaction, RowTable.PreferenceNeeds, facts.Needs,
                        n => [setKey, n.Need, n.Answer, n.IsNeed ? 1 : 0]);
                }

                await connection.ExecuteAsync(dialect.ForgetSetToBackfillSql, new { SetKey = setKey }, transaction);
            }

            await connection.ExecuteAsync(dialect.ForgetGoneSetsToBackfillSql, transaction: transaction);
            return 0;
        }, cancellationToken);

    private sealed class BackfillRow
    {
        public long SetKey { get; set; }
        public string ResponseId { get; set; } = "";
        public string PatientId { get; set; } = "";
    }

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

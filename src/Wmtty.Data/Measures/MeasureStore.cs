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

    /// <summary>The counts as at each of <paramref name="moments"/>, in their order, from one read of the sets.</summary>
    Task<IReadOnlyList<MeasureCounts>> CountAsync(IReadOnlyList<DateTimeOffset> moments, CancellationToken cancellationToken);

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
    public async Task<MeasureCounts> CountAsync(DateTimeOffset asOf, CancellationToken cancellationToken) =>
        (await CountAsync([asOf], cancellationToken))[0];

    // Every set authored by the last moment, with its needs, a patient at a time (MeasureSetsSql): each patient's set at
    // each moment is found in memory, so a year of months costs one read of the sets, not a query for each month. Counting
    // in SQL month by month, each month read every set and probed each one's patient for a later one: at 10,000 patients,
    // 90 ms a month, so about 2 minutes for a year at a million.
    public Task<IReadOnlyList<MeasureCounts>> CountAsync(IReadOnlyList<DateTimeOffset> moments, CancellationToken cancellationToken) =>
        retry.ReadAsync<IReadOnlyList<MeasureCounts>>(async (connection, token) =>
        {
            if (moments.Count == 0)
            {
                return [];
            }

            var tally = new MomentTally(moments);

            await using var command = connection.CreateCommand();
            command.CommandText = dialect.MeasureSetsSql;
            var last = command.CreateParameter();
            last.ParameterName = "@Last";
            last.Value = moments.Max().ToUnixTimeMilliseconds();
            command.Parameters.Add(last);
            await using var reader = await command.ExecuteReaderAsync(token);
            var patient = "";
            var sets = new List<PatientSet>();
            while (await reader.ReadAsync(token))
            {
                var patientId = reader.GetString(0);
                if (patientId != patient)
                {
                    tally.Add(sets);
                    sets.Clear();
                    patient = patientId;
                }

                var setKey = Convert.ToInt64(reader.GetValue(2), System.Globalization.CultureInfo.InvariantCulture);
                if (sets.Count == 0 || sets[^1].SetKey != setKey)
                {
                    sets.Add(new PatientSet(setKey, Convert.ToInt64(reader.GetValue(1), System.Globalization.CultureInfo.InvariantCulture),
                        Text(reader, 3), Text(reader, 4), Text(reader, 5), Text(reader, 6), []));
                }

                if (Text(reader, 7) is { } need)
                {
                    sets[^1].Needs.Add((need, reader.GetString(8), Convert.ToInt64(reader.GetValue(9), System.Globalization.CultureInfo.InvariantCulture) == 1));
                }
            }

            tally.Add(sets);
            return tally.Counts();
        }, cancellationToken);

    private static string? Text(System.Data.Common.DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    private sealed record PatientSet(long SetKey, long Authored, string? Language, string? CompletedBy, string? Practice, string? District,
        List<(string Need, string Answer, bool IsNeed)> Needs);

    // Each moment's counts, as the grouped queries gave them: a patient's set at a moment is their latest authored by then
    // (the later written on a tie), with its recency measured back from the moment.
    private sealed class MomentTally(IReadOnlyList<DateTimeOffset> moments)
    {
        private readonly (long AsOf, long Within3, long Within12)[] bounds = [.. moments.Select(m =>
            (m.ToUnixTimeMilliseconds(), m.AddMonths(-3).ToUnixTimeMilliseconds(), m.AddMonths(-12).ToUnixTimeMilliseconds()))];

        private readonly Dictionary<(int, string?, string?, string?, string?), long>[] sets = [.. moments.Select(_ => new Dictionary<(int, string?, string?, string?, string?), long>())];
        private readonly Dictionary<(string, string?, string?, string?, string?), long>[] needs = [.. moments.Select(_ => new Dictionary<(string, string?, string?, string?, string?), long>())];

        // One patient's sets, in authored then key order.
        public void Add(List<PatientSet> patientSets)
        {
            if (patientSets.Count == 0)
            {
                return;
            }

            for (var i = 0; i < bounds.Length; i++)
            {
                var (asOf, within3, within12) = bounds[i];
                var current = patientSets.FindLast(s => s.Authored <= asOf);
                if (current is null)
                {
                    continue;
                }

                var recency = current.Authored > within3 ? 0 : current.Authored > within12 ? 1 : 2;
                Increment(sets[i], (recency, current.Language, current.CompletedBy, current.Practice, current.District));
                foreach (var (need, answer, _) in current.Needs)
                {
                    Increment(needs[i], (need, answer, current.Language, current.Practice, current.District));
                }

                foreach (var need in current.Needs.Where(n => n.IsNeed).Select(n => n.Need).Distinct(StringComparer.Ordinal))
                {
                    Increment(needs[i], (need, null, current.Language, current.Practice, current.District)); // any need of that kind: once
                }
            }
        }

        public IReadOnlyList<MeasureCounts> Counts() =>
            [.. sets.Zip(needs, (s, n) => new MeasureCounts(
                [.. s.Select(c => new SetCountRow(c.Key.Item1, c.Key.Item2, c.Key.Item3, c.Key.Item4, c.Key.Item5, c.Value))],
                [.. n.Select(c => new NeedCountRow(c.Key.Item1, c.Key.Item2, c.Key.Item3, c.Key.Item4, c.Key.Item5, c.Value))]))];

        private static void Increment<TKey>(Dictionary<TKey, long> counts, TKey key)
            where TKey : notnull =>
            System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(counts, key, out _)++;
    }

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
                // Off the list first: another instance that took the same set from the list has done it, or is doing it,
                // and its facts must not be written twice (preference_need's key would refuse the second).
                if (await connection.ExecuteAsync(dialect.ForgetSetToBackfillSql, new { SetKey = setKey }, transaction) != 1)
                {
                    continue;
                }

                if (facts is not null && await connection.ExecuteAsync(dialect.UpdateSetFactsSql, new
                    {
                        SetKey = setKey, facts.Language, facts.CompletedBy, facts.Practice, facts.District,
                    }, transaction) == 1 && facts.Needs.Count > 0)
                {
                    await RowBatches.InsertAsync(dialect, connection, transaction, RowTable.PreferenceNeeds, facts.Needs,
                        n => [setKey, n.Need, n.Answer, n.IsNeed ? 1 : 0]);
                }
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
}

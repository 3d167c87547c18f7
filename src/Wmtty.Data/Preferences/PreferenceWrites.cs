using System.Data.Common;
using Dapper;
using Wmtty.Data.Storage;

namespace Wmtty.Data.Preferences;

/// <summary>Changes to preference sets, inside the write transaction that stores the response they come from.</summary>
public interface IPreferenceWrites
{
    /// <summary>Makes <paramref name="set"/> the set its response gives, replacing what that response gave before.</summary>
    Task SetAsync(ResponsePreferences set);

    /// <summary>The set a response gives now; null when it gives none.</summary>
    Task<ResponsePreferences?> ForResponseAsync(string responseId);

    /// <summary>The response no longer gives a set (its Observations stay stored).</summary>
    Task RemoveAsync(string responseId);

    /// <summary>The patient has no preference sets any more (their Observations stay stored).</summary>
    Task RemovePatientAsync(string patientId);

    Task<PreferenceSource?> SourceAsync(string patientId);

    /// <summary>Every Observation ever extracted from the response, from any of its versions.</summary>
    Task<IReadOnlyList<string>> ExtractedAsync(string responseId);

    /// <summary>Whether the Observation belongs to a set some response gives now.</summary>
    Task<bool> IsInASetAsync(string observationId);
}

/// <param name="changed">Patients whose current preferences this transaction may have changed: their projections are rewritten before it commits.</param>
internal sealed class PreferenceWrites(SqlDialect dialect, DbConnection connection, DbTransaction transaction, ISet<string> changed) : IPreferenceWrites
{
    public async Task SetAsync(ResponsePreferences set)
    {
        await RemoveAsync(set.ResponseId);
        changed.Add(set.PatientId);
        var facts = set.Facts;
        var setKey = await connection.ExecuteScalarAsync<long>(dialect.InsertResponsePreferencesSql, new
        {
            set.ResponseId, set.PatientId, Authored = set.Authored.ToUnixTimeMilliseconds(),
            Language = facts?.Language, CompletedBy = facts?.CompletedBy, Practice = facts?.Practice, District = facts?.District,
        }, transaction);
        if (facts is { Needs.Count: > 0 })
        {
            await RowBatches.InsertAsync(dialect, connection, transaction, RowTable.PreferenceNeeds, facts.Needs,
                n => [setKey, n.Need, n.Answer, n.IsNeed ? 1 : 0]);
        }

        if (set.Entries.Count == 0)
        {
            return;
        }

        await RowBatches.InsertAsync(dialect, connection, transaction, RowTable.PreferenceObservations, set.Entries,
            e => [setKey, e.ObservationId, e.CodeSystem ?? "", e.Code, e.Position]);
        await RowBatches.InsertAsync(dialect, connection, transaction, RowTable.Extracted, set.Entries.Select(e => e.ObservationId).Distinct().ToList(),
            id => [set.ResponseId, id]);
    }

    public async Task<ResponsePreferences?> ForResponseAsync(string responseId)
    {
        var rows = (await connection.QueryAsync<SetRow>(dialect.ResponsePreferencesSql, new { ResponseId = responseId }, transaction)).ToList();
        return rows.Count == 0 ? null : new ResponsePreferences(
            responseId, rows[0].PatientId, DateTimeOffset.FromUnixTimeMilliseconds(rows[0].Authored),
            [.. rows.Where(r => r.ObservationId is not null).Select(r => new PreferenceEntry(r.ObservationId!, r.CodeSystem is { Length: > 0 } s ? s : null, r.Code ?? "", checked((int)r.Position)))]);
    }

    public async Task RemoveAsync(string responseId)
    {
        if (await connection.ExecuteScalarAsync<string?>(dialect.PatientOfResponseSql, new { ResponseId = responseId }, transaction) is { } patientId)
        {
            changed.Add(patientId);
        }

        await connection.ExecuteAsync(dialect.DeleteResponseObservationsSql, new { ResponseId = responseId }, transaction);
        await connection.ExecuteAsync(dialect.DeleteResponseNeedsSql, new { ResponseId = responseId }, transaction);
        await connection.ExecuteAsync(dialect.DeleteResponsePreferencesSql, new { ResponseId = responseId }, transaction);
    }

    public async Task RemovePatientAsync(string patientId)
    {
        changed.Add(patientId);
        await connection.ExecuteAsync(dialect.DeletePatientObservationsSql, new { PatientId = patientId }, transaction);
        await connection.ExecuteAsync(dialect.DeletePatientNeedsSql, new { PatientId = patientId }, transaction);
        await connection.ExecuteAsync(dialect.DeletePatientPreferencesSql, new { PatientId = patientId }, transaction);
    }

    public async Task<PreferenceSource?> SourceAsync(string patientId) =>
        (await connection.QuerySingleOrDefaultAsync<PreferenceStore.SourceRow>(dialect.CurrentSourceSql, new { PatientId = patientId }, transaction))?.ToSource();

    public async Task<IReadOnlyList<string>> ExtractedAsync(string responseId) =>
        [.. await connection.QueryAsync<string>(dialect.ExtractedSql, new { ResponseId = responseId }, transaction)];

    public async Task<bool> IsInASetAsync(string observationId) =>
        await connection.ExecuteScalarAsync<long>(dialect.IsCurrentPreferenceSql, new { ObservationId = observationId }, transaction) > 0;

    private sealed class SetRow
    {
        public string PatientId { get; set; } = "";
        public long Authored { get; set; }
        public string? ObservationId { get; set; }
        public string? CodeSystem { get; set; }
        public string? Code { get; set; }
        public long Position { get; set; }
    }
}

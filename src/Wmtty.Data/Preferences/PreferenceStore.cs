using Dapper;
using Wmtty.Data.Resources;
using Wmtty.Data.Storage;

namespace Wmtty.Data.Preferences;

/// <summary>One Observation in a patient's current preference set, with the code it answers and its place in the questionnaire.</summary>
public sealed record PreferenceEntry(string ObservationId, string? CodeSystem, string Code, int Position);

/// <summary>A patient's whole preference set, from one response. It replaces the previous set unless that one was authored later.</summary>
public sealed record PreferenceSet(string PatientId, string ResponseId, DateTimeOffset Authored, IReadOnlyList<PreferenceEntry> Entries);

/// <summary>Which response the current set came from.</summary>
public sealed record PreferenceSource(string ResponseId, DateTimeOffset Authored);

/// <summary>A current preference as read: the Observation's stored JSON, its code, and its code and category tokens for filtering.</summary>
public sealed record CurrentPreference(SearchMatch Match, string? CodeSystem, string Code, int Position, IReadOnlyList<TokenRow> Tokens);

/// <summary>Reads patients' current preference sets: a handful of rows by primary key, never a scan.</summary>
public interface IPreferenceStore
{
    Task<IReadOnlyList<CurrentPreference>> CurrentAsync(string patientId, CancellationToken cancellationToken);

    Task<PreferenceSource?> SourceAsync(string patientId, CancellationToken cancellationToken);
}

internal sealed class PreferenceStore(ISqlDialect dialect) : IPreferenceStore
{
    public async Task<IReadOnlyList<CurrentPreference>> CurrentAsync(string patientId, CancellationToken cancellationToken)
    {
        await using var connection = dialect.CreateConnection();
        await connection.OpenAsync(cancellationToken);
        var rows = (await connection.QueryAsync<PreferenceRow>(new CommandDefinition(
            dialect.CurrentPreferencesSql, new { PatientId = patientId }, cancellationToken: cancellationToken))).ToList();
        if (rows.Count == 0)
        {
            return [];
        }

        var tokens = (await connection.QueryAsync<TokenResultRow>(new CommandDefinition(
                dialect.PreferenceTokensSql, new { Keys = rows.Select(r => r.ResourceKey).ToArray() }, cancellationToken: cancellationToken)))
            .ToLookup(t => t.ResourceKey, t => new TokenRow(t.Param, t.System, t.Code));
        return rows.Select(r => new CurrentPreference(
            new SearchMatch(r.Key, r.Id, checked((int)r.Version), DateTimeOffset.FromUnixTimeMilliseconds(r.LastUpdated), r.Json),
            r.CodeSystem.Length == 0 ? null : r.CodeSystem, r.Code, checked((int)r.Position), tokens[r.ResourceKey].ToList())).ToList();
    }

    public async Task<PreferenceSource?> SourceAsync(string patientId, CancellationToken cancellationToken)
    {
        await using var connection = dialect.CreateConnection();
        await connection.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<SourceRow>(new CommandDefinition(
            dialect.ReadPreferenceSetSql, new { PatientId = patientId }, cancellationToken: cancellationToken));
        return row?.ToSource();
    }

    internal static async Task<PreferenceSource?> SourceAsync(ISqlDialect dialect, System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction transaction, string patientId) =>
        (await connection.QuerySingleOrDefaultAsync<SourceRow>(dialect.PreferenceSetForWriteSql, new { PatientId = patientId }, transaction))?.ToSource();

    internal static async Task ClearAsync(ISqlDialect dialect, System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction transaction, string patientId)
    {
        await connection.ExecuteAsync(dialect.DeletePreferencesSql, new { PatientId = patientId }, transaction);
        await connection.ExecuteAsync(dialect.DeletePreferenceSetSql, new { PatientId = patientId }, transaction);
    }

    /// <summary>Inside a write transaction: replaces the patient's set, unless the stored one was authored later.</summary>
    internal static async Task<bool> ReplaceAsync(ISqlDialect dialect, System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction transaction, PreferenceSet set)
    {
        var patient = new { set.PatientId };
        var existing = await connection.QuerySingleOrDefaultAsync<SourceRow>(dialect.PreferenceSetForWriteSql, patient, transaction);
        var authored = set.Authored.ToUnixTimeMilliseconds();
        if (existing is not null && existing.Authored > authored)
        {
            return false;
        }

        await connection.ExecuteAsync(dialect.DeletePreferencesSql, patient, transaction);
        await connection.ExecuteAsync(dialect.UpsertPreferenceSetSql, new { set.PatientId, set.ResponseId, Authored = authored }, transaction);
        if (set.Entries.Count > 0)
        {
            await connection.ExecuteAsync(dialect.InsertPreferenceSql, set.Entries.Select(e => new
            {
                set.PatientId,
                e.ObservationId,
                CodeSystem = e.CodeSystem ?? "",
                e.Code,
                e.Position,
            }), transaction);
        }

        return true;
    }

    private sealed class PreferenceRow
    {
        public long ResourceKey { get; set; }
        public long Key { get; set; }
        public string Id { get; set; } = "";
        public long Version { get; set; }
        public long LastUpdated { get; set; }
        public byte[] Json { get; set; } = [];
        public string CodeSystem { get; set; } = "";
        public string Code { get; set; } = "";
        public long Position { get; set; }
    }

    private sealed class TokenResultRow
    {
        public long ResourceKey { get; set; }
        public string Param { get; set; } = "";
        public string? System { get; set; }
        public string Code { get; set; } = "";
    }

    private sealed class SourceRow
    {
        public string ResponseId { get; set; } = "";
        public long Authored { get; set; }

        public PreferenceSource ToSource() => new(ResponseId, DateTimeOffset.FromUnixTimeMilliseconds(Authored));
    }
}

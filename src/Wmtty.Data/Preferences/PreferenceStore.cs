using Dapper;
using Wmtty.Data.Resources;
using Wmtty.Data.Storage;

namespace Wmtty.Data.Preferences;

/// <summary>One Observation of a preference set, with the code it answers and its place in the questionnaire.</summary>
public sealed record PreferenceEntry(string ObservationId, string? CodeSystem, string Code, int Position);

/// <summary>The preference set one response gives its patient. The patient's current set is that of their latest-authored response.</summary>
/// <param name="Facts">What the outcome figures count of the set (Measures/MeasureStore); null when not known, as when read back.</param>
public sealed record ResponsePreferences(string ResponseId, string PatientId, DateTimeOffset Authored, IReadOnlyList<PreferenceEntry> Entries, SetFacts? Facts = null);

/// <summary>One answer to a needs question: the question's code, the answer's code, and whether it is a need at all.</summary>
public sealed record NeedAnswer(string Need, string Answer, bool IsNeed);

/// <summary>
/// The de-identified facts of a set the outcome figures count: the questionnaire's language, who helped, the GP practice's
/// ODS code and the postcode district (never a full postcode), and the needs answers. Any may be null, as not recorded.
/// </summary>
public sealed record SetFacts(string? Language, string? CompletedBy, string? Practice, string? District, IReadOnlyList<NeedAnswer> Needs);

/// <summary>Which response the current set came from.</summary>
public sealed record PreferenceSource(string ResponseId, DateTimeOffset Authored);

/// <summary>A current preference as read: the Observation's stored JSON, its code, and its code, category and status tokens for filtering.</summary>
public sealed record CurrentPreference(SearchMatch Match, string? CodeSystem, string Code, int Position, IReadOnlyList<TokenRow> Tokens);

/// <summary>Reads patients' current preference sets: a handful of rows by index, never a scan.</summary>
public interface IPreferenceStore
{
    /// <summary>The patient's current preferences, each with its code, category and status tokens.</summary>
    Task<IReadOnlyList<CurrentPreference>> CurrentAsync(string patientId, CancellationToken cancellationToken) => CurrentAsync(patientId, withTokens: true, cancellationToken);

    /// <summary>
    /// The same; without <paramref name="withTokens"/>, each one's Tokens are empty, and the answer is the patient's
    /// one-row projection (<see cref="PreferenceProjection"/>) where there is one: one row instead of a join and a
    /// hundred token rows, when nothing is filtered or withheld (the EHR's usual $lastn).
    /// </summary>
    Task<IReadOnlyList<CurrentPreference>> CurrentAsync(string patientId, bool withTokens, CancellationToken cancellationToken);

    /// <summary>
    /// The same as <see cref="CurrentAsync(string, bool, CancellationToken)"/> without tokens, for the EHR's usual $lastn
    /// (nothing filtered or withheld): straight from the patient's projection row, each Observation's JSON a slice of one
    /// decoded buffer; from the join, on the same connection, when the patient has no row this build can read.
    /// </summary>
    Task<ProjectedPreferences> ProjectedAsync(string patientId, CancellationToken cancellationToken);

    Task<PreferenceSource?> SourceAsync(string patientId, CancellationToken cancellationToken);

    /// <summary>
    /// Writes the one-row projections of patients who have a set but no row (data stored before the projection
    /// existed), a batch at a time, in patient id order; returns how many patients it looked at. Until then, those
    /// patients are read through the join: the same answer, more slowly.
    /// </summary>
    Task<int> BuildMissingProjectionsAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Rewrites deflated the projection rows written before the deflated format (the patients migration 10 listed), a
    /// batch at a time, taking each patient off the list in the same transaction; returns how many rows it rewrote. A
    /// row it cannot read is built again from the join. Until then, those rows are read as they are.
    /// </summary>
    Task<int> RewriteOldProjectionsAsync(CancellationToken cancellationToken);
}

internal sealed class PreferenceStore(SqlDialect dialect, StoreRetry retry) : IPreferenceStore
{
    public Task<ProjectedPreferences> ProjectedAsync(string patientId, CancellationToken cancellationToken) =>
        retry.ReadAsync(async (connection, token) =>
            await ProjectionRowAsync(connection, patientId, token) is { } entries && PreferenceProjection.Project(entries) is { } projected
                ? projected
                : ProjectedPreferences.Of(await JoinAsync(connection, patientId, token)), cancellationToken);

    public Task<IReadOnlyList<CurrentPreference>> CurrentAsync(string patientId, bool withTokens, CancellationToken cancellationToken) =>
        retry.ReadAsync<IReadOnlyList<CurrentPreference>>(async (connection, token) =>
        {
            if (!withTokens && await ProjectionRowAsync(connection, patientId, token) is { } entries
                && PreferenceProjection.Decode(entries) is { } projected)
            {
                return projected.Select(r => r.ToCurrent([])).ToList();
            }

            var rows = await JoinAsync(connection, patientId, token);
            if (rows.Count == 0)
            {
                return [];
            }

            if (!withTokens)
            {
                return rows.Select(r => r.ToCurrent([])).ToList();
            }

            var keys = new DynamicParameters();
            for (var i = 0; i < rows.Count; i++)
            {
                keys.Add("k" + i, rows[i].ResourceKey);
            }

            var tokens = (await connection.QueryAsync<TokenResultRow>(new CommandDefinition(
                    dialect.PreferenceTokensSql(rows.Count), keys, cancellationToken: token)))
                .ToLookup(t => t.ResourceKey, t => new TokenRow(t.Param, t.System, t.Code));
            return rows.Select(r => r.ToCurrent([.. tokens[r.ResourceKey]])).ToList();
        }, cancellationToken);

    public async Task<int> BuildMissingProjectionsAsync(CancellationToken cancellationToken)
    {
        const int Batch = 200;
        var looked = 0;
        var after = "";
        while (true)
        {
            // By id, from where the last batch ended: a patient whose join is empty gets no row, and is not asked about again.
            var patients = await retry.ReadAsync<List<string>>(async (connection, token) => [.. await connection.QueryAsync<string>(new CommandDefinition(
                dialect.PatientsWithoutProjectionSql, new { After = after, Limit = Batch }, cancellationToken: token))], cancellationToken);
            if (patients.Count == 0)
            {
                return looked;
            }

            await retry.WriteAsync(async (connection, transaction, _) =>
            {
                await PreferenceProjection.RefreshAsync(dialect, connection, transaction, patients);
                return 0;
            }, cancellationToken);
            looked += patients.Count;
            after = patients[^1];
        }
    }

    public async Task<int> RewriteOldProjectionsAsync(CancellationToken cancellationToken)
    {
        const int Batch = 200;
        var rewritten = 0;
        while (true)
        {
            var patients = await retry.ReadAsync<List<string>>(async (connection, token) => [.. await connection.QueryAsync<string>(new CommandDefinition(
                dialect.ProjectionsToRewriteSql, new { Limit = Batch }, cancellationToken: token))], cancellationToken);
            if (patients.Count == 0)
            {
                return rewritten;
            }

            // Read again inside the writer's transaction: a write since may have rewritten the row, or removed it.
            rewritten += await retry.WriteAsync(async (connection, transaction, _) =>
            {
                var done = 0;
                foreach (var patientId in patients)
                {
                    var entries = await connection.ExecuteScalarAsync<byte[]?>(dialect.PreferenceCurrentSql, new { PatientId = patientId }, transaction);
                    if (entries is not null && !PreferenceProjection.IsCurrentFormat(entries))
                    {
                        if (PreferenceProjection.Decode(entries) is { } rows)
                        {
                            await connection.ExecuteAsync(dialect.UpdatePreferenceCurrentSql, new { PatientId = patientId, Entries = PreferenceProjection.Encode(rows) }, transaction);
                        }
                        else
                        {
                            await PreferenceProjection.RefreshAsync(dialect, connection, transaction, [patientId]);
                        }

                        done++;
                    }

                    await connection.ExecuteAsync(dialect.ForgetProjectionToRewriteSql, new { PatientId = patientId }, transaction);
                }

                return done;
            }, cancellationToken);
        }
    }

    public Task<PreferenceSource?> SourceAsync(string patientId, CancellationToken cancellationToken) =>
        retry.ReadAsync(async (connection, token) =>
        {
            var row = await connection.QuerySingleOrDefaultAsync<SourceRow>(new CommandDefinition(
                dialect.CurrentSourceSql, new { PatientId = patientId }, cancellationToken: token));
            return row?.ToSource();
        }, cancellationToken);

    // The patient's one-row projection as stored; null when they have none.
    private Task<byte[]?> ProjectionRowAsync(System.Data.Common.DbConnection connection, string patientId, CancellationToken token) =>
        connection.ExecuteScalarAsync<byte[]?>(new CommandDefinition(dialect.PreferenceCurrentSql, new { PatientId = patientId }, cancellationToken: token));

    // The patient's current preferences by the join the projection row stands for.
    private async Task<List<PreferenceRow>> JoinAsync(System.Data.Common.DbConnection connection, string patientId, CancellationToken token) =>
        (await connection.QueryAsync<PreferenceRow>(new CommandDefinition(dialect.CurrentPreferencesSql, new { PatientId = patientId }, cancellationToken: token))).ToList();

    /// <summary>One row of <see cref="SqlDialect.CurrentPreferencesSql"/>, as Dapper reads it and PreferenceProjection keeps it.</summary>
    internal sealed class PreferenceRow
    {
        public long ResourceKey { get; set; }
        public long OriginKey { get; set; }
        public string Id { get; set; } = "";
        public long Version { get; set; }
        public long LastUpdated { get; set; }
        public byte[] Json { get; set; } = [];
        public string CodeSystem { get; set; } = "";
        public string Code { get; set; } = "";
        public long Position { get; set; }

        public CurrentPreference ToCurrent(IReadOnlyList<TokenRow> tokens) => new(
            new SearchMatch(OriginKey, Id, checked((int)Version), DateTimeOffset.FromUnixTimeMilliseconds(LastUpdated), Json),
            CodeSystem.Length == 0 ? null : CodeSystem, Code, checked((int)Position), tokens);
    }

    private sealed class TokenResultRow
    {
        public long ResourceKey { get; set; }
        public string Param { get; set; } = "";
        public string? System { get; set; }
        public string Code { get; set; } = "";
    }

    internal sealed class SourceRow
    {
        public string ResponseId { get; set; } = "";
        public long Authored { get; set; }

        public PreferenceSource ToSource() => new(ResponseId, DateTimeOffset.FromUnixTimeMilliseconds(Authored));
    }
}

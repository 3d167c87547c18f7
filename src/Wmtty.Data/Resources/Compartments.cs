using System.Data.Common;
using Dapper;
using Wmtty.Data.Storage;

namespace Wmtty.Data.Resources;

/// <summary>What erasing a patient's data deleted: resources by type, and their versions.</summary>
public sealed record ErasedCompartment(IReadOnlyDictionary<string, int> ResourcesByType, int Versions, int Invitations)
{
    public int Resources => ResourcesByType.Values.Sum();
}

/// <summary>
/// A patient's compartment as a whole: every version of every resource whose data is theirs (the
/// <c>compartment</c> column), for the right of access, and its hard deletion, for the right to erasure.
/// </summary>
internal static class Compartments
{
    private const string ResourceTypeQuestionnaireResponse = "QuestionnaireResponse";

    public static async Task<IReadOnlyList<StoredVersion>> VersionsAsync(SqlDialect dialect, DbConnection connection, DbTransaction? transaction, string patientId) =>
        [.. (await connection.QueryAsync<VersionRow>(dialect.CompartmentVersionsSql, new { PatientId = patientId }, transaction)).Select(r => r.ToStored())];

    public static async Task<DateTimeOffset?> LastActivityAsync(SqlDialect dialect, DbConnection connection, string patientId, CancellationToken cancellationToken)
    {
        var last = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(dialect.LastActivitySql, new { PatientId = patientId }, cancellationToken: cancellationToken));
        return last is { } milliseconds ? DateTimeOffset.FromUnixTimeMilliseconds(milliseconds) : null;
    }

    /// <summary>
    /// Deletes every version in the patient's compartment, their index rows, preference sets and projection, what their
    /// Consents withhold, and the invitations sent to <paramref name="nhsNumbers"/>, in the caller's transaction. Where the
    /// database would keep deleted content in free space (SQLite), it overwrites it as it deletes.
    /// </summary>
    public static async Task<ErasedCompartment> EraseAsync(SqlDialect dialect, DbConnection connection, DbTransaction transaction, string patientId, IReadOnlyCollection<string> nhsNumbers)
    {
        // Keys, types and ids only: deleting a version needs no JSON.
        var rows = (await connection.QueryAsync<VersionRow>(dialect.CompartmentKeysSql, new { PatientId = patientId }, transaction)).ToList();
        var patient = new { PatientId = patientId };
        if (dialect.SecureDeleteSql(on: true) is { } secureDelete)
        {
            await connection.ExecuteAsync(secureDelete, transaction: transaction);
        }

        try
        {
            foreach (var row in rows)
            {
                var key = new { Key = row.ResourceKey };
                await connection.ExecuteAsync(dialect.DeleteTokensSql, key, transaction);
                await connection.ExecuteAsync(dialect.DeleteReferencesSql, key, transaction);
                await connection.ExecuteAsync(dialect.DeleteDatesSql, key, transaction);
                await connection.ExecuteAsync(dialect.DeleteStringsSql, key, transaction);
                await connection.ExecuteAsync(dialect.DeleteVersionSql, key, transaction);
            }

            foreach (var responseId in rows.Where(r => r.Type == ResourceTypeQuestionnaireResponse).Select(r => r.Id).Distinct(StringComparer.Ordinal))
            {
                await connection.ExecuteAsync(dialect.DeleteExtractedSql, new { ResponseId = responseId }, transaction);
            }

            await connection.ExecuteAsync(dialect.DeletePatientObservationsSql, patient, transaction);
            await connection.ExecuteAsync(dialect.DeletePatientNeedsSql, patient, transaction);
            await connection.ExecuteAsync(dialect.DeletePatientPreferencesSql, patient, transaction);
            await connection.ExecuteAsync(dialect.DeletePreferenceCurrentSql, patient, transaction);
            await connection.ExecuteAsync(dialect.ForgetProjectionToRewriteSql, patient, transaction);
            await connection.ExecuteAsync(dialect.DeleteWithheldSql, patient, transaction);
            var invitations = 0;
            foreach (var nhsNumber in nhsNumbers.Distinct(StringComparer.Ordinal))
            {
                invitations += await connection.ExecuteAsync(dialect.DeleteInvitationsForSql, new { NhsNumber = nhsNumber }, transaction);
            }

            var byType = rows.GroupBy(r => r.Type, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.Select(r => r.Id).Distinct(StringComparer.Ordinal).Count(), StringComparer.Ordinal);
            return new ErasedCompartment(byType, rows.Count, invitations);
        }
        finally
        {
            if (dialect.SecureDeleteSql(on: false) is { } normalDelete)
            {
                await connection.ExecuteAsync(normalDelete, transaction: transaction);
            }
        }
    }

    /// <summary>
    /// The ids of Patients, live or deleted, whose own current version is older than <paramref name="cutoff"/>, a page at a
    /// time on short-lived connections: the candidates for expiry. Whether the rest of their data is as old is for the caller.
    /// </summary>
    public static async IAsyncEnumerable<string> PatientsUnchangedSinceAsync(SqlDialect dialect, StoreRetry retry, DateTimeOffset cutoff, int pageSize,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var cut = cutoff.ToUnixTimeMilliseconds();
        foreach (var sql in new[] { dialect.LivePatientsUnchangedSinceSql, dialect.DeletedPatientsUnchangedSinceSql })
        {
            (long Updated, long Origin) after = (long.MinValue, long.MinValue);
            while (true)
            {
                var page = await retry.ReadAsync(async (connection, token) => (await connection.QueryAsync<PatientRow>(new CommandDefinition(
                    sql, new { Cutoff = cut, AfterUpdated = after.Updated, AfterOrigin = after.Origin, Limit = pageSize }, cancellationToken: token))).ToList(), cancellationToken);
                foreach (var row in page)
                {
                    yield return row.Id;
                }

                if (page.Count < pageSize)
                {
                    break;
                }

                after = (page[^1].LastUpdated, page[^1].OriginKey);
            }
        }
    }

    private sealed class PatientRow
    {
        public long LastUpdated { get; set; }
        public long OriginKey { get; set; }
        public string Id { get; set; } = "";
    }
}

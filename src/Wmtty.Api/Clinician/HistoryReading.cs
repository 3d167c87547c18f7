using System.Globalization;
using Wmtty.Api.Access;
using Wmtty.Data.Resources;
using Wmtty.Data.Search;
using Wmtty.Fhir.Questionnaires;
using Wmtty.Fhir.Resources;
using Wmtty.Fhir.Serialization;

namespace Wmtty.Api.Clinician;

/// <summary>A patient's complete responses, newest first, and the preference Observations no longer current, as the caller may see them.</summary>
internal sealed record PreferenceHistory(IReadOnlyList<QuestionnaireResponse> Responses, bool MoreResponses, IReadOnlyList<Observation> Earlier, bool MoreEarlier);

/// <summary>
/// Reads a patient's history through the same access decision as a FHIR search: <see cref="AccessPolicy.Restrict"/>
/// leaves withheld sections out in SQL, and each response is disclosed (redacted) as a read would be.
/// </summary>
internal static class HistoryReading
{
    public const int MaxResponses = 50;
    public const int MaxObservations = 200;

    // Withdrawn answers (entered-in-error, cancelled) are not earlier values, as for $lastn.
    private static readonly string[] Kept = ["final", "amended", "corrected", "preliminary"];

    public static async Task<PreferenceHistory> ReadAsync(Caller caller, string patientId, IReadOnlyList<Observation> current, IResourceStore store, AccessPolicy policy, CancellationToken cancellationToken)
    {
        var responseQuery = new SearchQuery(ResourceTypes.QuestionnaireResponse) { Sort = SearchSort.LastUpdatedDescending }
            .Where(new ReferenceCondition("patient", ResourceTypes.Patient, patientId))
            .Where(new TokenCondition("status", null, "completed"), new TokenCondition("status", null, "amended"));
        policy.Restrict(caller, responseQuery);
        var matches = await store.SearchAsync(responseQuery, MaxResponses + 1, cancellationToken);
        var responses = new List<QuestionnaireResponse>();
        foreach (var match in matches.Take(MaxResponses))
        {
            if (await policy.DiscloseAsync(caller, ResourceTypes.QuestionnaireResponse, patientId, match.Json, cancellationToken) is { } shown)
            {
                responses.Add((QuestionnaireResponse)FhirSerialization.ReadStored(shown));
            }
        }

        var observationQuery = new SearchQuery(ResourceTypes.Observation) { Sort = SearchSort.LastUpdatedDescending }
            .Where(new ReferenceCondition("patient", ResourceTypes.Patient, patientId))
            .Where([.. PreferenceCodes.Sections.Select(s => new TokenCondition(AccessPolicy.CategoryParam, policy.SectionSystem, s.Code))])
            .Where([.. Kept.Select(s => new TokenCondition("status", null, s))]);
        policy.Restrict(caller, observationQuery);
        var found = await store.SearchAsync(observationQuery, MaxObservations + 1, cancellationToken);
        var currentIds = current.Select(o => o.Id).ToHashSet(StringComparer.Ordinal);
        // Newest answers first; one response's answers in the order they were written (the search gave them newest-stored first).
        var earlier = found.Take(MaxObservations).Where(m => !currentIds.Contains(m.Id)).Reverse()
            .Select(m => (Observation)FhirSerialization.ReadStored(m.Json))
            .OrderByDescending(o => When((o.Effective as Hl7.Fhir.Model.FhirDateTime)?.Value)).ToList();

        return new PreferenceHistory(
            [.. responses.OrderByDescending(r => When(r.Authored))], matches.Count > MaxResponses,
            earlier, found.Count > MaxObservations);
    }

    /// <summary>A FHIR date or dateTime as an instant for ordering; the earliest possible when missing or unreadable.</summary>
    public static DateTimeOffset When(string? fhirDate) =>
        DateTimeOffset.TryParse(fhirDate, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var when) ? when : DateTimeOffset.MinValue;
}

using Microsoft.Extensions.Options;
using Wmtty.Api.Definitions;
using Wmtty.Api.Errors;
using Wmtty.Data.Resources;
using Wmtty.Data.Search;
using Wmtty.Fhir.Extraction;
using Wmtty.Fhir.Measures;
using Wmtty.Fhir.Questionnaires;
using Wmtty.Fhir.Resources;
using Wmtty.Fhir.Responses;
using Wmtty.Fhir.Search;
using Wmtty.Fhir.Serialization;
using FhirOutcome = Wmtty.Fhir.Outcomes.Outcome;

namespace Wmtty.Api.Preferences;

/// <summary>What a checked response brings with it: its patient, and, when it is complete, its preference set.</summary>
/// <param name="Extracted">For a completed or amended response: the Observations its answers give (SDC extraction).</param>
/// <param name="IsPreferenceSet">A completed or amended What Matters To You response: its Observations replace the patient's current preferences.</param>
internal sealed record ResponsePlan(
    string PatientId, StoredQuestionnaire Questionnaire, DateTimeOffset Authored, QuestionnaireResponse.QuestionnaireResponseStatus? Status,
    IReadOnlyList<ExtractedObservation>? Extracted, bool IsPreferenceSet)
{
    /// <summary>For a preference set: what the outcome figures count of it, all but the patient's area (<see cref="PreferenceWriter"/> adds that).</summary>
    public MeasureFacts? Facts { get; init; }

    /// <summary>The extracted Observations as first versions, stamped, serialized and indexed ahead of the write transaction, by id (<see cref="PreferenceWriter.StampAhead"/>); null when not done.</summary>
    public IReadOnlyDictionary<string, NewVersion>? Stamped { get; init; }
}

/// <summary>
/// Checks a QuestionnaireResponse inside the write transaction that stores it: the questionnaire
/// version it names, its subject, and SDC's answer rules; then extracts its Observations.
/// </summary>
internal sealed class ResponseProcessor(QuestionnaireLookup questionnaires, IOptions<DefinitionOptions> definitions)
{
    /// <summary>How far ahead of the service's clock an authored time may be: clocks drift, the future does not happen.</summary>
    private static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);

    public async Task<ResponsePlan> PrepareAsync(StoreReader reader, QuestionnaireResponse response, string? responseId, Uri localBase, DateTimeOffset received)
    {
        var questionnaire = await questionnaires.FindAsync(reader, response.Questionnaire, "QuestionnaireResponse.questionnaire");
        var patientId = await PatientResolver.ResolveAsync(response.Subject, localBase, reader, "QuestionnaireResponse.subject");
        var valueSets = await ValueSetCodes.ForAsync(reader, questionnaire.Resource);
        var issues = new ResponseValidator(questionnaire.Resource, valueSets).Check(response);
        if (issues.Count > 0)
        {
            throw FhirException.Unprocessable(FhirOutcome.Of(issues));
        }

        var authored = response.Authored is { } text && FhirDateRange.TryParse(text, out var range)
            ? DateTimeOffset.FromUnixTimeMilliseconds(range.Low)
            : received;
        if (authored > received + ClockSkew)
        {
            // The latest-authored response holds the current preferences, so a future time would hold them for ever.
            throw FhirException.Unprocessable(FhirOutcome.Error(IssueType.BusinessRule,
                $"authored ({FhirText.Shorten(response.Authored!, 40)}) is in the future. Give the time the answers were given.", "QuestionnaireResponse.authored"));
        }

        var complete = ResponseValidator.IsComplete(response);
        var extracted = complete && ObservationExtractor.HasExtractableItems(questionnaire.Resource)
            ? ObservationExtractor.Extract(questionnaire.Resource, response, new ResourceReference($"{ResourceTypes.Patient}/{patientId}"), responseId, received)
            : null;
        var isPreferenceSet = complete && questionnaire.Resource.Url == WhatMattersQuestionnaire.Url(definitions.Value.CanonicalBase);
        return new ResponsePlan(patientId, questionnaire, authored, response.Status, extracted, isPreferenceSet)
        {
            Facts = isPreferenceSet ? MeasureFacts.Of(response, extracted ?? [], PreferenceCodes.ServiceSystem(definitions.Value.CanonicalBase)) : null,
        };
    }

}

using Wmtty.Api.Definitions;
using Wmtty.Api.Errors;
using Wmtty.Data.Resources;
using Wmtty.Data.Search;
using Wmtty.Fhir.Extraction;
using Wmtty.Fhir.Questionnaires;
using Wmtty.Fhir.Resources;
using Wmtty.Fhir.Responses;
using Wmtty.Fhir.Search;
using Wmtty.Fhir.Serialization;
using FhirOutcome = Wmtty.Fhir.Outcomes.Outcome;

namespace Wmtty.Api.Preferences;

/// <summary>What a checked response brings with it: its patient, and, when it is complete, its preference set.</summary>
/// <param name="Preferences">For a completed or amended response to a questionnaire with extractable items: the set that replaces the patient's preferences.</param>
/// <param name="Voided">The response is entered-in-error: whatever it gave is taken back.</param>
internal sealed record ResponsePlan(string PatientId, StoredQuestionnaire Questionnaire, DateTimeOffset Authored, IReadOnlyList<ExtractedObservation>? Preferences, bool Voided);

/// <summary>
/// Checks a QuestionnaireResponse inside the write transaction that stores it: the questionnaire
/// version it names, its subject, and SDC's answer rules; then extracts its Observations.
/// </summary>
internal sealed class ResponseProcessor(QuestionnaireLookup questionnaires)
{
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
        var extracts = ResponseValidator.IsComplete(response) && ObservationExtractor.HasExtractableItems(questionnaire.Resource);
        var preferences = extracts
            ? ObservationExtractor.Extract(questionnaire.Resource, response, new ResourceReference($"{ResourceTypes.Patient}/{patientId}"), responseId, received)
            : null;
        return new ResponsePlan(patientId, questionnaire, authored, preferences, response.Status == QuestionnaireResponse.QuestionnaireResponseStatus.EnteredInError);
    }

    private static FhirException Unprocessable(string diagnostics, string expression) =>
        FhirException.Unprocessable(FhirOutcome.Error(IssueType.NotFound, diagnostics, expression));
}

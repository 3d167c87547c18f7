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
internal sealed record ResponsePlan(string PatientId, StoredQuestionnaire Questionnaire, DateTimeOffset Authored, IReadOnlyList<ExtractedObservation>? Preferences)
{
    /// <summary>A completed or amended response to a questionnaire with extractable items: it replaces the patient's preferences.</summary>
    public bool ReplacesPreferences => Preferences is not null;
}

/// <summary>
/// Checks a QuestionnaireResponse inside the write transaction that stores it: the questionnaire
/// version it names, its subject, and SDC's answer rules; then extracts its Observations.
/// </summary>
internal sealed class ResponseProcessor(QuestionnaireLookup questionnaires)
{
    public async Task<ResponsePlan> PrepareAsync(IWriteSession session, QuestionnaireResponse response, string? responseId, Uri localBase, DateTimeOffset received)
    {
        var questionnaire = await questionnaires.FindAsync(session, response.Questionnaire, "QuestionnaireResponse.questionnaire");
        var patientId = await ResolvePatientAsync(session, response.Subject, localBase);
        var valueSets = await ValueSetCodes.ForAsync(session, questionnaire.Resource);
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
        return new ResponsePlan(patientId, questionnaire, authored, preferences);
    }

    /// <summary>The Patient a subject names, by local reference or by identifier (such as the NHS number); 422 if it is not known here.</summary>
    public static async Task<string> ResolvePatientAsync(IWriteSession session, ResourceReference? subject, Uri localBase)
    {
        const string Expression = "QuestionnaireResponse.subject";
        if (subject is null || (subject.Reference is null && subject.Identifier is null))
        {
            throw Unprocessable("The response does not say who it is about. Give subject as a reference to the Patient, or the patient's NHS number identifier.", Expression);
        }

        string? byReference = null;
        if (subject.Reference is not null)
        {
            var target = LocalReference.Parse(subject.Reference, localBase);
            if (target is not { Type: ResourceTypes.Patient } local)
            {
                throw Unprocessable($"subject '{FhirText.Shorten(subject.Reference, 200)}' is not a Patient on this server.", Expression + ".reference");
            }

            if (await session.GetCurrentAsync(ResourceTypes.Patient, local.Id) is not { IsDeleted: false })
            {
                throw Unprocessable($"Patient/{local.Id} is not known here. Register the patient first.", Expression + ".reference");
            }

            byReference = local.Id;
        }

        if (subject.Identifier is not { Value.Length: > 0 } identifier)
        {
            return byReference ?? throw Unprocessable("subject.identifier has no value.", Expression + ".identifier");
        }

        var matches = await session.FindAsync(new SearchQuery(ResourceTypes.Patient).Where(new TokenCondition("identifier", identifier.System, identifier.Value)), 2);
        var who = $"{identifier.System}|{FhirText.Shorten(identifier.Value, 64)}";
        return matches.Count switch
        {
            0 => throw Unprocessable($"No patient here has the identifier {who}. Register the patient first.", Expression + ".identifier"),
            > 1 => throw Unprocessable($"More than one patient has the identifier {who}; refer to the patient by reference instead.", Expression + ".identifier"),
            _ when byReference is not null && byReference != matches[0].Id =>
                throw Unprocessable($"subject.reference names Patient/{byReference}, but the identifier {who} belongs to another patient.", Expression),
            _ => matches[0].Id,
        };
    }

    private static FhirException Unprocessable(string diagnostics, string expression) =>
        FhirException.Unprocessable(FhirOutcome.Error(IssueType.NotFound, diagnostics, expression));
}

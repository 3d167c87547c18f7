using Microsoft.Extensions.Options;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;
using Wmtty.Api.Access;
using Wmtty.Api.Definitions;
using Wmtty.Api.Errors;
using Wmtty.Api.Fhir;
using Wmtty.Data.Preferences;
using Wmtty.Data.Resources;
using Wmtty.Data.Search;
using Wmtty.Fhir.Patients;
using Wmtty.Fhir.Questionnaires;
using Wmtty.Fhir.Resources;
using Wmtty.Fhir.Responses;
using Wmtty.Fhir.Serialization;

namespace Wmtty.Api.Portal;

/// <summary>
/// A patient's answers while they work through the portal: a stored <c>in-progress</c>
/// QuestionnaireResponse, or, before the first save, one prefilled from their current preferences
/// (<c>$populate</c>). <see cref="SectionsDone"/> is where they left off.
/// </summary>
internal sealed record Draft(string? Id, int Version, QuestionnaireResponse Response, bool Prefilled, bool HasSentBefore, int SectionsDone);

/// <summary>
/// Loads and saves drafts through the same writer, checks and audit as the FHIR API, as the signed-in
/// patient: so a draft is stored like any response, and submitting it extracts the preferences.
/// </summary>
internal sealed class PortalDrafts(
    IResourceStore store, ResourceWriter writer, QuestionnaireLookup questionnaires, IPreferenceStore preferences, AccessPolicy policy,
    IOptions<DefinitionOptions> definitions, TimeProvider clock)
{
    private static readonly WriteConditions Unconditional = new(null, null);
    private static QuestionnaireSections? latest;

    /// <summary>An extension on in-progress drafts only: how many pages the patient has saved, so they carry on where they left off.</summary>
    private readonly string progressUrl = $"{definitions.Value.CanonicalBase.TrimEnd('/')}/StructureDefinition/portal-sections-done";

    /// <summary>The newest active version of the What Matters To You questionnaire, as the portal walks it.</summary>
    public async Task<QuestionnaireSections> QuestionnaireAsync(CancellationToken cancellationToken)
    {
        var stored = await questionnaires.LatestAsync(store, WhatMattersQuestionnaire.Url(definitions.Value.CanonicalBase), cancellationToken)
            ?? throw new FhirException(StatusCodes.Status503ServiceUnavailable, Wmtty.Fhir.Outcomes.Outcome.Error(IssueType.Transient, "The questionnaire is not published yet."));
        var known = latest;
        if (known is not null && ReferenceEquals(known.Questionnaire, stored.Resource))
        {
            return known;
        }

        return latest = new QuestionnaireSections(stored.Resource);
    }

    /// <summary>
    /// The patient's Patient id. Someone invited by NHS number may have no record here yet: the service
    /// makes one holding only that number, once, however many pages ask at the same time.
    /// </summary>
    public async Task<string> PatientIdAsync(Caller caller, Uri localBase, CancellationToken cancellationToken)
    {
        await policy.FindOwnPatientAsync(caller, cancellationToken);
        if (!string.IsNullOrEmpty(caller.PatientId))
        {
            return caller.PatientId;
        }

        var nhsNumber = caller.NhsNumber!;
        var patient = new Patient { Identifier = [new Hl7.Fhir.Model.Identifier(NhsNumber.System, nhsNumber)] };
        var sameNumber = new SearchQuery(ResourceTypes.Patient).Where(new TokenCondition("identifier", NhsNumber.System, nhsNumber));
        var written = await writer.CreateAsync(patient, sameNumber, localBase, cancellationToken); // as the service: a patient cannot create a Patient
        caller.PatientId = written.Id;
        caller.Audit?.AddPatient(written.Id);
        return written.Id;
    }

    public async Task<Draft> LoadAsync(Caller caller, QuestionnaireSections sections, string patientId, CancellationToken cancellationToken)
    {
        var query = new SearchQuery(ResourceTypes.QuestionnaireResponse) { Sort = SearchSort.LastUpdatedDescending }
            .Where(new ReferenceCondition("subject", ResourceTypes.Patient, patientId))
            .Where(new TokenCondition("status", null, "in-progress"));
        policy.Restrict(caller, query);
        var sent = await preferences.SourceAsync(patientId, cancellationToken) is not null;
        foreach (var match in await store.SearchAsync(query, 10, cancellationToken))
        {
            // A draft of an older version of the questions is left as it was; the patient starts the new one.
            if (FhirSerialization.ReadStored(match.Json) is QuestionnaireResponse response && response.Questionnaire == sections.Canonical)
            {
                return new Draft(match.Id, match.Version, response, Prefilled: false, sent, response.GetExtensionValue<Integer>(progressUrl)?.Value ?? 0);
            }
        }

        var current = (await preferences.CurrentAsync(patientId, withTokens: false, cancellationToken))
            .Select(p => (Observation)FhirSerialization.ReadStored(p.Match.Json)).ToList();
        var populated = ResponsePopulator.Populate(sections.Questionnaire, current, Subject(patientId), clock.GetUtcNow());
        populated.Questionnaire = sections.Canonical;
        return new Draft(null, 0, populated, Prefilled: populated.Item.Count > 0, sent, 0);
    }

    /// <summary>Saves the draft as in progress, with how far the patient got; a second tab that saved first wins and this one gets 412.</summary>
    public async Task<Draft> SaveAsync(Caller caller, Draft draft, string language, int sectionsDone, Uri localBase, CancellationToken cancellationToken)
    {
        var response = Prepare(draft, language, QuestionnaireResponse.QuestionnaireResponseStatus.InProgress);
        response.RemoveExtension(progressUrl);
        response.Extension.Add(new Extension(progressUrl, new Integer(sectionsDone)));
        var written = await WriteAsync(caller, draft, response, localBase, cancellationToken);
        return draft with { Id = written.Id, Version = written.Version, Response = response, SectionsDone = sectionsDone };
    }

    /// <summary>Sends the answers: the draft becomes a completed response, and its Observations the patient's current preferences.</summary>
    public async Task SubmitAsync(Caller caller, Draft draft, string language, Uri localBase, CancellationToken cancellationToken)
    {
        var response = Prepare(draft, language, QuestionnaireResponse.QuestionnaireResponseStatus.Completed);
        response.RemoveExtension(progressUrl);
        await WriteAsync(caller, draft, response, localBase, cancellationToken);
    }

    private QuestionnaireResponse Prepare(Draft draft, string language, QuestionnaireResponse.QuestionnaireResponseStatus status)
    {
        var response = (QuestionnaireResponse)draft.Response.DeepCopy();
        var now = clock.GetUtcNow();
        response.Status = status;
        response.Language = language; // the language the answers were given in, so free text is marked with it
        response.AuthoredElement = new Hl7.Fhir.Model.FhirDateTime(now.AddTicks(-(now.Ticks % TimeSpan.TicksPerMillisecond)));
        response.Source = new ResourceReference(response.Subject!.Reference);
        response.Author ??= new ResourceReference(response.Subject.Reference);
        return response;
    }

    private async Task<WriteOutcome> WriteAsync(Caller caller, Draft draft, QuestionnaireResponse response, Uri localBase, CancellationToken cancellationToken)
    {
        if (draft.Id is null)
        {
            // One draft per patient, even when a double click sends the first save twice: the second finds the first and updates it.
            response.Id = null;
            var inProgress = new SearchQuery(ResourceTypes.QuestionnaireResponse)
                .Where(new ReferenceCondition("subject", ResourceTypes.Patient, PatientOf(response)))
                .Where(new TokenCondition("status", null, "in-progress"));
            var created = await writer.CreateAsync(response, inProgress, localBase, cancellationToken, caller);
            if (created.Kind != WriteKind.Matched)
            {
                return created;
            }

            draft = draft with { Id = created.Id, Version = created.Version };
        }

        response.Id = draft.Id;
        var conditions = Unconditional with { IfMatch = new TagCondition(false, [draft.Version.ToString(System.Globalization.CultureInfo.InvariantCulture)]) };
        return await writer.UpdateAsync(response, draft.Id, conditions, localBase, cancellationToken, caller);
    }

    private static string PatientOf(QuestionnaireResponse response) => response.Subject!.Reference![(ResourceTypes.Patient.Length + 1)..];

    public static ResourceReference Subject(string patientId) => new($"{ResourceTypes.Patient}/{patientId}");
}

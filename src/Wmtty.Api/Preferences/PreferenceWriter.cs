using Microsoft.Extensions.Options;
using Wmtty.Api.Definitions;
using Wmtty.Api.Fhir;
using Wmtty.Api.Logging;
using Wmtty.Data.Preferences;
using Wmtty.Data.Resources;
using Wmtty.Data.Search;
using Wmtty.Fhir.Patients;
using Wmtty.Fhir.Questionnaires;
using Wmtty.Fhir.Resources;
using Wmtty.Fhir.Search;
using Wmtty.Fhir.Serialization;
using ResponseStatus = Hl7.Fhir.Model.QuestionnaireResponse.QuestionnaireResponseStatus;

namespace Wmtty.Api.Preferences;

/// <summary>
/// What a stored response does to the patient's preferences, in the transaction that stores it. A
/// complete What Matters response's Observations become the current set and the Patient follows them.
/// A response that stops being one (entered in error, back in progress, moved to another patient,
/// deleted) gives its set up, and the patient's previous complete response's set returns.
/// </summary>
internal sealed class PreferenceWriter(VersionStamper stamper, IOptions<DefinitionOptions> definitions, ILogger<PreferenceWriter> logger)
{
    private const int MaxRows = 1000;

    public async Task WriteAsync(IWriteSession session, ResponsePlan plan, string responseId, Uri localBase)
    {
        foreach (var observation in plan.Extracted ?? [])
        {
            await session.WriteAsync(stamper.Stamp(observation.Observation, observation.Id, 1, VersionChange.Created, localBase), replacing: null);
        }

        var owner = await session.PreferenceOwnerAsync(responseId);
        if (owner is not null && (owner != plan.PatientId || !plan.IsPreferenceSet))
        {
            await FallBackAsync(session, owner, responseId, localBase);
        }

        if (plan.IsPreferenceSet)
        {
            if (owner == plan.PatientId)
            {
                await session.ClearPreferencesAsync(owner); // a response's own earlier version always gives way to its new one
            }

            var extracted = plan.Extracted ?? [];
            var entries = extracted.Select(p => new PreferenceEntry(p.Id, p.Code.System, p.Code.Code ?? "", p.Position)).ToList();
            var current = await session.ReplacePreferencesAsync(new PreferenceSet(plan.PatientId, responseId, plan.Authored, entries));
            logger.PreferencesExtracted(responseId, extracted.Count, current);
            if (current)
            {
                await SyncPatientAsync(session, plan.PatientId, [.. extracted.Select(p => p.Observation)], localBase);
            }
        }
        else if (plan.Status is not (ResponseStatus.Completed or ResponseStatus.Amended))
        {
            // No longer complete: what it gave is withdrawn, voided if it was entered in error.
            await WithdrawAsync(session, responseId, plan.Status == ResponseStatus.EnteredInError ? ObservationStatus.EnteredInError : ObservationStatus.Cancelled, localBase);
        }
    }

    /// <summary>A deleted response gives up the preferences it set; its Observations stay, as history.</summary>
    public async Task DeletedAsync(IWriteSession session, string responseId, Uri localBase)
    {
        if (await session.PreferenceOwnerAsync(responseId) is { } owner)
        {
            await FallBackAsync(session, owner, responseId, localBase);
        }
    }

    private async Task WithdrawAsync(IWriteSession session, string responseId, ObservationStatus status, Uri localBase)
    {
        var withdrawn = 0;
        foreach (var (observation, current) in await DerivedAsync(session, responseId))
        {
            if (observation.Status is ObservationStatus.Final or ObservationStatus.Amended or ObservationStatus.Corrected)
            {
                observation.Status = status;
                await session.WriteAsync(stamper.Stamp(observation, observation.Id!, current.Version + 1, VersionChange.Updated, localBase), current);
                withdrawn++;
            }
        }

        if (withdrawn > 0)
        {
            logger.PreferencesWithdrawn(responseId, withdrawn);
        }
    }

    // The patient's current set came from a response that no longer gives one: the latest-authored other
    // complete What Matters response's set takes its place, or none.
    private async Task FallBackAsync(IWriteSession session, string patientId, string leaving, Uri localBase)
    {
        await session.ClearPreferencesAsync(patientId);
        var url = WhatMattersQuestionnaire.Url(definitions.Value.CanonicalBase);
        var candidates = await session.FindAsync(new SearchQuery(ResourceTypes.QuestionnaireResponse)
            .Where(new ReferenceCondition("patient", ResourceTypes.Patient, patientId))
            .Where(new TokenCondition("status", null, "completed"), new TokenCondition("status", null, "amended")), MaxRows);
        var previous = candidates
            .Where(m => m.Id != leaving)
            .Select(m => (m.Id, Response: (QuestionnaireResponse)FhirSerialization.ReadStored(m.Json), m.LastUpdated))
            .Where(r => r.Response.Questionnaire?.Split('|')[0] == url)
            .Select(r => (r.Id, Authored: r.Response.Authored is { } text && FhirDateRange.TryParse(text, out var range) ? DateTimeOffset.FromUnixTimeMilliseconds(range.Low) : r.LastUpdated))
            .OrderByDescending(r => r.Authored)
            .FirstOrDefault();
        if (previous.Id is null)
        {
            logger.PreferencesFellBack(leaving, null);
            return;
        }

        var observations = (await DerivedAsync(session, previous.Id)).Select(d => d.Observation).Where(o => o.Status == ObservationStatus.Final).ToList();
        var entries = observations.Select((o, i) => new PreferenceEntry(o.Id!, o.Code?.Coding.FirstOrDefault()?.System, o.Code?.Coding.FirstOrDefault()?.Code ?? "", i)).ToList();
        await session.ReplacePreferencesAsync(new PreferenceSet(patientId, previous.Id, previous.Authored, entries));
        await SyncPatientAsync(session, patientId, observations, localBase);
        logger.PreferencesFellBack(leaving, previous.Id);
    }

    // A response's Observations from every version of it, in the order they were extracted.
    private static async Task<List<(Observation Observation, CurrentVersion Current)>> DerivedAsync(IWriteSession session, string responseId)
    {
        var matches = await session.FindAsync(new SearchQuery(ResourceTypes.Observation)
            .Where(new ReferenceCondition("derived-from", ResourceTypes.QuestionnaireResponse, responseId)), MaxRows);
        var derived = new List<(Observation, CurrentVersion)>();
        foreach (var match in matches)
        {
            if (await session.GetCurrentAsync(ResourceTypes.Observation, match.Id) is { IsDeleted: false } current)
            {
                derived.Add(((Observation)FhirSerialization.ReadStored(match.Json), current));
            }
        }

        return derived;
    }

    private async Task SyncPatientAsync(IWriteSession session, string patientId, IReadOnlyList<Observation> preferences, Uri localBase)
    {
        var current = await session.GetCurrentAsync(ResourceTypes.Patient, patientId);
        if (current is not { IsDeleted: false } || await session.ReadJsonAsync(current) is not { } json)
        {
            return;
        }

        var patient = (Patient)FhirSerialization.ReadStored(json);
        var before = FhirSerialization.ToJsonBytes(patient);
        PatientPreferences.Apply(patient, preferences, PreferenceCodes.ServiceSystem(definitions.Value.CanonicalBase));
        if (!before.AsSpan().SequenceEqual(FhirSerialization.ToJsonBytes(patient)))
        {
            await session.WriteAsync(stamper.Stamp(patient, patientId, current.Version + 1, VersionChange.Updated, localBase), current);
        }
    }
}

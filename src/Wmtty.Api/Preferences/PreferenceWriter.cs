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

namespace Wmtty.Api.Preferences;

/// <summary>
/// What a stored response does to the patient's preferences, in the transaction that stores it: a
/// complete response's Observations become the current set and the Patient follows them; a response
/// marked entered-in-error takes its Observations back, and the previous complete response's set returns.
/// </summary>
internal sealed class PreferenceWriter(VersionStamper stamper, IOptions<DefinitionOptions> definitions, ILogger<PreferenceWriter> logger)
{
    private const int MaxResponsesPerPatient = 1000;

    public async Task WriteAsync(IWriteSession session, ResponsePlan? plan, string responseId, Uri localBase)
    {
        if (plan?.Preferences is { } preferences)
        {
            foreach (var preference in preferences)
            {
                await session.WriteAsync(stamper.Stamp(preference.Observation, preference.Id, 1, VersionChange.Created, localBase), replacing: null);
            }

            var entries = preferences.Select(p => new PreferenceEntry(p.Id, p.Code.System, p.Code.Code ?? "", p.Position)).ToList();
            var current = await session.ReplacePreferencesAsync(new PreferenceSet(plan.PatientId, responseId, plan.Authored, entries));
            logger.PreferencesExtracted(responseId, preferences.Count, current);
            if (current)
            {
                await SyncPatientAsync(session, plan.PatientId, [.. preferences.Select(p => p.Observation)], localBase);
            }
        }
        else if (plan is { Voided: true })
        {
            await RetractAsync(session, plan.PatientId, responseId, localBase);
        }
    }

    private async Task RetractAsync(IWriteSession session, string patientId, string responseId, Uri localBase)
    {
        var derived = await DerivedAsync(session, responseId);
        foreach (var (observation, current) in derived.Where(d => d.Observation.Status != ObservationStatus.EnteredInError))
        {
            observation.Status = ObservationStatus.EnteredInError;
            await session.WriteAsync(stamper.Stamp(observation, observation.Id!, current.Version + 1, VersionChange.Updated, localBase), current);
        }

        var source = await session.PreferenceSourceAsync(patientId);
        if (source?.ResponseId != responseId)
        {
            return; // not the current set: its Observations were history already
        }

        await session.ClearPreferencesAsync(patientId);
        var previous = await PreviousCompleteAsync(session, patientId, responseId);
        if (previous is not null)
        {
            var (id, authored) = previous.Value;
            var observations = (await DerivedAsync(session, id)).Select(d => d.Observation).Where(o => o.Status == ObservationStatus.Final).ToList();
            var entries = observations.Select((o, i) => new PreferenceEntry(o.Id!, o.Code?.Coding.FirstOrDefault()?.System, o.Code?.Coding.FirstOrDefault()?.Code ?? "", i)).ToList();
            await session.ReplacePreferencesAsync(new PreferenceSet(patientId, id, authored, entries));
            await SyncPatientAsync(session, patientId, observations, localBase);
        }

        logger.PreferencesRetracted(responseId, derived.Count, previous?.Id);
    }

    private static async Task<List<(Observation Observation, CurrentVersion Current)>> DerivedAsync(IWriteSession session, string responseId)
    {
        var matches = await session.FindAsync(new SearchQuery(ResourceTypes.Observation)
            .Where(new ReferenceCondition("derived-from", ResourceTypes.QuestionnaireResponse, responseId)), MaxResponsesPerPatient);
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

    // The latest-authored other completed or amended response for the patient.
    private static async Task<(string Id, DateTimeOffset Authored)?> PreviousCompleteAsync(IWriteSession session, string patientId, string excluded)
    {
        var responses = await session.FindAsync(new SearchQuery(ResourceTypes.QuestionnaireResponse)
            .Where(new ReferenceCondition("patient", ResourceTypes.Patient, patientId))
            .Where(new TokenCondition("status", null, "completed"), new TokenCondition("status", null, "amended")), MaxResponsesPerPatient);
        return responses
            .Where(r => r.Id != excluded)
            .Select(r => (r.Id, Authored: FhirSerialization.ReadStored(r.Json) is QuestionnaireResponse { Authored: { } text } && FhirDateRange.TryParse(text, out var range)
                ? DateTimeOffset.FromUnixTimeMilliseconds(range.Low)
                : r.LastUpdated))
            .OrderByDescending(r => r.Authored)
            .Select(r => ((string, DateTimeOffset)?)r)
            .FirstOrDefault();
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

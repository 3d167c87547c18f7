using Microsoft.Extensions.Options;
using Wmtty.Api.Definitions;
using Wmtty.Api.Fhir;
using Wmtty.Api.Logging;
using Wmtty.Api.Measures;
using Wmtty.Data.Preferences;
using Wmtty.Data.Resources;
using Wmtty.Fhir.Extraction;
using Wmtty.Fhir.Patients;
using Wmtty.Fhir.Questionnaires;
using Wmtty.Fhir.Resources;
using Wmtty.Fhir.Serialization;
using PocoEqualityComparisons = Hl7.Fhir.Model.PocoEqualityComparisons;
using ResponseStatus = Hl7.Fhir.Model.QuestionnaireResponse.QuestionnaireResponseStatus;

namespace Wmtty.Api.Preferences;

/// <summary>
/// What a stored response does to preferences, in the transaction that stores it. A complete What
/// Matters response gives its patient a preference set, replacing whatever it gave before; the
/// patient's current set is that of their latest-authored response. A response that stops being one
/// (entered in error, back in progress, moved to another patient, deleted) gives its set up, so the
/// previous response's set is current again. The Patient's language and interpreter details follow the
/// current set.
/// </summary>
internal sealed class PreferenceWriter(VersionStamper stamper, IOptions<DefinitionOptions> definitions, ILogger<PreferenceWriter> logger)
{
    public async Task WriteAsync(IWriteSession session, ResponsePlan plan, string responseId, Uri localBase)
    {
        var before = await session.Preferences.ForResponseAsync(responseId);
        if (plan.IsPreferenceSet && before is not null && before.PatientId == plan.PatientId)
        {
            // An amendment (or a retried PUT): what it still says keeps its Observation; what it no longer
            // says is withdrawn, so no search ever shows two answers of the same response as final.
            plan = plan with { Extracted = await ReuseAsync(session, plan, before, localBase) };
        }
        else
        {
            foreach (var observation in plan.Extracted ?? [])
            {
                await WriteNewAsync(session, plan, observation, localBase);
            }
        }

        var patients = new[] { plan.PatientId, before?.PatientId }.OfType<string>().Distinct().ToList();
        var read = new PatientReads(session);
        var sources = new Dictionary<string, PreferenceSource?>();
        foreach (var patient in patients)
        {
            sources[patient] = await session.Preferences.SourceAsync(patient);
        }

        if (plan.IsPreferenceSet)
        {
            var extracted = plan.Extracted ?? [];
            await session.Preferences.SetAsync(new ResponsePreferences(responseId, plan.PatientId, plan.Authored,
                [.. extracted.Select(p => new PreferenceEntry(p.Id, p.Code.System, p.Code.Code ?? "", p.Position))],
                await FactsAsync(read, plan)));
            logger.PreferencesExtracted(responseId, extracted.Count);
            if (before is not null && before.PatientId != plan.PatientId)
            {
                // Moved: what it said was never about the first patient.
                await WithdrawAsync(session, responseId, ObservationStatus.EnteredInError, localBase, keepFor: plan.PatientId);
            }
        }
        else
        {
            if (before is not null)
            {
                await session.Preferences.RemoveAsync(responseId);
            }

            if (plan.Status is not (ResponseStatus.Completed or ResponseStatus.Amended))
            {
                var status = plan.Status == ResponseStatus.EnteredInError ? ObservationStatus.EnteredInError : ObservationStatus.Cancelled;
                await WithdrawAsync(session, responseId, status, localBase, keepFor: null);
            }
        }

        foreach (var patient in patients)
        {
            await FollowAsync(session, patient, sources[patient], plan.IsPreferenceSet ? (responseId, plan.Extracted ?? []) : null, localBase, read);
        }
    }

    // What the outcome figures count of the set, with the patient's area as the Patient gives it now: a district, never the postcode.
    private static async Task<SetFacts?> FactsAsync(PatientReads read, ResponsePlan plan)
    {
        if (plan.Facts is not { } facts)
        {
            return null;
        }

        var patient = await read.CurrentAsync(plan.PatientId);
        return facts.InArea(patient?.Resource).Stored();
    }

    private async Task<IReadOnlyList<ExtractedObservation>> ReuseAsync(IWriteSession session, ResponsePlan plan, ResponsePreferences before, Uri localBase)
    {
        var stored = new List<(Observation Observation, CurrentVersion Current)>();
        foreach (var entry in before.Entries)
        {
            if (await CurrentAsync<Observation>(session, entry.ObservationId) is { } found)
            {
                stored.Add(found);
            }
        }

        var result = new List<ExtractedObservation>();
        foreach (var fresh in plan.Extracted ?? [])
        {
            var same = stored.FindIndex(s => SameStatement(s.Observation, fresh.Observation));
            if (same >= 0)
            {
                result.Add(fresh with { Observation = stored[same].Observation });
                stored.RemoveAt(same);
            }
            else
            {
                await WriteNewAsync(session, plan, fresh, localBase);
                result.Add(fresh);
            }
        }

        foreach (var (observation, current) in stored.Where(s => s.Observation.Status == ObservationStatus.Final))
        {
            observation.Status = ObservationStatus.EnteredInError;
            await session.WriteAsync(stamper.Stamp(observation, observation.Id!, current.Version + 1, VersionChange.Updated, localBase), current);
        }

        return result;
    }

    private Task WriteNewAsync(IWriteSession session, ResponsePlan plan, ExtractedObservation observation, Uri localBase) =>
        session.WriteAsync(plan.Stamped?.GetValueOrDefault(observation.Id) ?? FirstVersion(observation, localBase), replacing: null);

    private NewVersion FirstVersion(ExtractedObservation observation, Uri localBase) =>
        stamper.Stamp(observation.Observation, observation.Id, 1, VersionChange.Created, localBase);

    /// <summary>
    /// The plan with its Observations stamped as the first versions that <see cref="WriteAsync"/> writes for them, so that
    /// serializing and indexing them happens before the write transaction, not in it.
    /// </summary>
    public ResponsePlan StampAhead(ResponsePlan plan, Uri localBase) =>
        plan.Extracted is { Count: > 0 } extracted
            ? plan with { Stamped = extracted.ToDictionary(e => e.Id, e => FirstVersion(e, localBase), StringComparer.Ordinal) }
            : plan;

    private static bool SameStatement(Observation stored, Observation fresh) =>
        stored.Status == fresh.Status && stored.Language == fresh.Language
        && Same(stored.Code, fresh.Code) && Same(stored.Value, fresh.Value) && Same(stored.Effective, fresh.Effective) && Same(stored.Encounter, fresh.Encounter)
        && Same(stored.Category, fresh.Category) && Same(stored.Performer, fresh.Performer) && Same(stored.BasedOn, fresh.BasedOn);

    private static bool Same(Base? a, Base? b) => a is null ? b is null : b is not null && PocoEqualityComparisons.IsExactly(a, b);

    private static bool Same<T>(List<T> a, List<T> b)
        where T : Base => PocoEqualityComparisons.IsExactly(a, b);

    /// <summary>A deleted response gives up its set; its Observations stay, as history.</summary>
    public async Task DeletedAsync(IWriteSession session, string responseId, Uri localBase)
    {
        if (await session.Preferences.ForResponseAsync(responseId) is { } before)
        {
            var source = await session.Preferences.SourceAsync(before.PatientId);
            await session.Preferences.RemoveAsync(responseId);
            await FollowAsync(session, before.PatientId, source, null, localBase, new PatientReads(session));
        }
    }

    private async Task WithdrawAsync(IWriteSession session, string responseId, ObservationStatus status, Uri localBase, string? keepFor)
    {
        var withdrawn = 0;
        foreach (var id in await session.Preferences.ExtractedAsync(responseId))
        {
            if (await CurrentAsync<Observation>(session, id) is not var (observation, current)
                || observation.Status is not (ObservationStatus.Final or ObservationStatus.Amended or ObservationStatus.Corrected)
                || (keepFor is not null && observation.Subject?.Reference == $"{ResourceTypes.Patient}/{keepFor}"))
            {
                continue;
            }

            observation.Status = status;
            await session.WriteAsync(stamper.Stamp(observation, id, current.Version + 1, VersionChange.Updated, localBase), current);
            withdrawn++;
        }

        if (withdrawn > 0)
        {
            logger.PreferencesWithdrawn(responseId, withdrawn);
        }
    }

    // When the patient's current set changed source, or its source was re-extracted, the Patient follows it.
    private async Task FollowAsync(IWriteSession session, string patientId, PreferenceSource? before, (string ResponseId, IReadOnlyList<ExtractedObservation> Extracted)? written, Uri localBase, PatientReads read)
    {
        var now = await session.Preferences.SourceAsync(patientId);
        var rewritten = written is { } w && now?.ResponseId == w.ResponseId;
        if (!rewritten && now?.ResponseId == before?.ResponseId)
        {
            return;
        }

        List<Observation>? preferences = null;
        if (rewritten)
        {
            preferences = [.. written!.Value.Extracted.Select(e => e.Observation)];
        }
        else if (now is not null)
        {
            preferences = await SetObservationsAsync(session, now.ResponseId);
        }

        if (!rewritten)
        {
            logger.PreferencesFellBack(patientId, now?.ResponseId);
        }

        await SyncPatientAsync(session, patientId, preferences, localBase, read);
    }

    /// <summary>
    /// For a Patient being written by the service itself (the bulk import): what the patient's current preference
    /// set says about their language and interpreter goes into it, as when the set was written, so that writing
    /// the same Patient again neither loses that nor makes a new version.
    /// </summary>
    public async Task ApplyCurrentAsync(IWriteSession session, Patient patient, string patientId)
    {
        if (await session.Preferences.SourceAsync(patientId) is { } source && await SetObservationsAsync(session, source.ResponseId) is { } preferences)
        {
            PatientPreferences.Apply(patient, preferences, PreferenceCodes.ServiceSystem(definitions.Value.CanonicalBase));
        }
    }

    // The current Observations of the preference set a response gave; null when it gave none.
    private static async Task<List<Observation>?> SetObservationsAsync(IWriteSession session, string responseId)
    {
        if (await session.Preferences.ForResponseAsync(responseId) is not { } set)
        {
            return null;
        }

        var preferences = new List<Observation>();
        foreach (var entry in set.Entries)
        {
            if (await CurrentAsync<Observation>(session, entry.ObservationId) is var (observation, _))
            {
                preferences.Add(observation);
            }
        }

        return preferences;
    }

    // No set at all: the interpreter flag and the preferred language came from answers that no longer stand.
    private async Task SyncPatientAsync(IWriteSession session, string patientId, IReadOnlyList<Observation>? preferences, Uri localBase, PatientReads read)
    {
        if (await read.CurrentAsync(patientId) is not var (patient, current))
        {
            return;
        }

        var before = FhirSerialization.ToJsonBytes(patient);
        if (preferences is null)
        {
            PatientPreferences.Clear(patient);
        }
        else
        {
            PatientPreferences.Apply(patient, preferences, PreferenceCodes.ServiceSystem(definitions.Value.CanonicalBase));
        }

        if (!before.AsSpan().SequenceEqual(FhirSerialization.ToJsonBytes(patient)))
        {
            await session.WriteAsync(stamper.Stamp(patient, patientId, current.Version + 1, VersionChange.Updated, localBase), current);
        }
    }

    /// <summary>
    /// The Patients one write reads, each read and parsed once: the set's area and then the language and interpreter
    /// the Patient follows come from the same version, which nothing in between writes (before, the Patient was read
    /// and parsed twice in every new set's transaction). Its holder may change the Patient it is given, and then writes it.
    /// </summary>
    private sealed class PatientReads(IWriteSession session)
    {
        private readonly Dictionary<string, (Patient Resource, CurrentVersion Current)?> read = new(StringComparer.Ordinal);

        public async Task<(Patient Resource, CurrentVersion Current)?> CurrentAsync(string patientId)
        {
            if (!read.TryGetValue(patientId, out var patient))
            {
                read[patientId] = patient = await CurrentAsync<Patient>(session, patientId);
            }

            return patient;
        }
    }

    // A resource as it is now, with what a write replacing it needs; null when it is gone.
    private static async Task<(T Resource, CurrentVersion Current)?> CurrentAsync<T>(IWriteSession session, string id)
        where T : Resource
    {
        var type = Hl7.Fhir.Model.ModelInfo.GetFhirTypeNameForType(typeof(T))!;
        return await session.GetCurrentAsync(type, id) is { IsDeleted: false } current
            && await session.ReadJsonAsync(current) is { } json
            && FhirSerialization.ReadStored(json) is T resource
            ? (resource, current)
            : null;
    }
}

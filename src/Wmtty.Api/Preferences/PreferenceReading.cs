using Wmtty.Api.Access;
using Wmtty.Api.Errors;
using Wmtty.Api.Fhir;
using Wmtty.Data.Preferences;
using Wmtty.Data.Resources;
using Wmtty.Fhir.Resources;
using Wmtty.Fhir.Serialization;

namespace Wmtty.Api.Preferences;

/// <summary>
/// What one caller may see of a patient's preferences now: the Patient as disclosed to them, the current
/// Observations outside the sections withheld from them, the response those came from (redacted), and
/// which sections were withheld.
/// </summary>
internal sealed record DisclosedPreferences(Patient Patient, IReadOnlyList<Observation> Current, QuestionnaireResponse? Source, IReadOnlySet<string> Withheld);

/// <summary>
/// The one reading of a patient's current preferences through the access decision, shared by
/// <c>$wmtty-summary</c> and the clinician page so that both honour Consent the same way.
/// </summary>
internal static class PreferenceReading
{
    /// <summary>404 for a patient asking about someone else, or for a Patient that does not exist; 410 once deleted.</summary>
    public static async Task<DisclosedPreferences> ReadAsync(Caller? caller, string patientId, IResourceStore store, IPreferenceStore preferences, AccessPolicy policy, CancellationToken cancellationToken)
    {
        AccessPolicy.RequireOwn(caller, patientId);
        var patient = (Patient)FhirSerialization.ReadStored(await policy.DiscloseAsync(caller, ResourceTypes.Patient, patientId, await store.ReadLiveJsonAsync(ResourceTypes.Patient, patientId, cancellationToken), cancellationToken)
            ?? throw FhirException.NotFound($"Patient/{patientId} does not exist."));
        var withheld = await policy.WithheldAsync(caller, patientId, cancellationToken);
        var current = (await preferences.CurrentAsync(patientId, withTokens: withheld.Count > 0, cancellationToken))
            .Where(p => !policy.IsWithheld(withheld, p.Tokens))
            .Select(p => (Observation)FhirSerialization.ReadStored(p.Match.Json)).ToList();
        QuestionnaireResponse? response = null;
        if (await preferences.SourceAsync(patientId, cancellationToken) is { } source
            && await store.ReadAsync(ResourceTypes.QuestionnaireResponse, source.ResponseId, cancellationToken) is { IsDeleted: false, Json: { } json }
            && await policy.DiscloseAsync(caller, ResourceTypes.QuestionnaireResponse, patientId, json, cancellationToken) is { } shown)
        {
            response = (QuestionnaireResponse)FhirSerialization.ReadStored(shown);
        }

        return new DisclosedPreferences(patient, current, response, withheld);
    }
}

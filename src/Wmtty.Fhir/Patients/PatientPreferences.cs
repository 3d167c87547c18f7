using Hl7.Fhir.Model;
using Wmtty.Fhir.Questionnaires;
using Wmtty.Fhir.Serialization;

namespace Wmtty.Fhir.Patients;

/// <summary>
/// Keeps what most EHRs read first, <c>Patient.communication</c> and the
/// <c>patient-interpreterRequired</c> extension, in step with a patient's current preferences.
/// </summary>
public static class PatientPreferences
{
    public const string InterpreterRequiredUrl = "http://hl7.org/fhir/StructureDefinition/patient-interpreterRequired";

    /// <summary>
    /// Applies the preference set to the patient. Only what the set answers is touched: with no
    /// preferred-language answer, communication is left as it is; with no interpreter answer, so is the
    /// extension. Languages recorded by others stay in the list; only the preferred flag moves.
    /// </summary>
    public static void Apply(Patient patient, IReadOnlyList<Observation> preferences, string serviceSystem)
    {
        var interpreter = Find(preferences, PreferenceCodes.Loinc, PreferenceCodes.InterpreterNeeded)?.Value as FhirBoolean;
        if (interpreter?.Value is { } needed)
        {
            patient.SetExtension(InterpreterRequiredUrl, new FhirBoolean(needed));
        }

        var preferred = Language(Find(preferences, PreferenceCodes.Loinc, PreferenceCodes.PreferredLanguage), serviceSystem);
        if (preferred is null)
        {
            return;
        }

        foreach (var known in patient.Communication)
        {
            known.Preferred = null;
        }

        Include(patient, preferred).Preferred = true;
        if (interpreter?.Value == true
            && Language(Find(preferences, serviceSystem, PreferenceCodes.InterpreterLanguage), serviceSystem) is { } spoken)
        {
            Include(patient, spoken);
        }
    }

    /// <summary>With no preferences left standing: no interpreter flag and no preferred language from them. Languages stay listed.</summary>
    public static void Clear(Patient patient)
    {
        patient.RemoveExtension(InterpreterRequiredUrl);
        foreach (var known in patient.Communication)
        {
            known.Preferred = null;
        }
    }

    private static Patient.CommunicationComponent Include(Patient patient, CodeableConcept language)
    {
        var existing = patient.Communication.FirstOrDefault(c => c.Language is { } known && SameLanguage(known, language));
        if (existing is null)
        {
            existing = new Patient.CommunicationComponent { Language = language };
            patient.Communication.Add(existing);
        }

        return existing;
    }

    private static Observation? Find(IReadOnlyList<Observation> preferences, string system, string code) =>
        preferences.FirstOrDefault(o => o.Code?.Coding.Any(c => c.System == system && c.Code == code) == true);

    // A language as BCP-47, from a language answer or an interpreter answer; "another language" is the name
    // written in, which extraction put in the answer's text.
    private static CodeableConcept? Language(Observation? answer, string serviceSystem)
    {
        var concept = answer?.Value as CodeableConcept;
        var coding = concept?.Coding.FirstOrDefault();
        if (coding is null)
        {
            return null;
        }

        if (coding.System == PreferenceCodes.Bcp47 && coding.Code is { Length: > 0 })
        {
            return Bcp47(coding.Code);
        }

        if (coding.System == PreferenceCodes.Snomed && PreferenceCodes.Interpreters.FirstOrDefault(i => i.Snomed == coding.Code) is { Language: { } tag })
        {
            return Bcp47(tag);
        }

        var name = concept!.Text;
        return coding.System == serviceSystem && coding.Code == PreferenceCodes.OtherLanguage && !string.IsNullOrWhiteSpace(name)
            ? new CodeableConcept { Text = FhirText.WithoutBidiControls(name).Trim() }
            : null;
    }

    private static CodeableConcept Bcp47(string tag) =>
        new(PreferenceCodes.Bcp47, tag, PreferenceCodes.Languages.FirstOrDefault(l => l.Tag == tag).Display);

    private static bool SameLanguage(CodeableConcept a, CodeableConcept b) =>
        a.Coding.Any(x => b.Coding.Any(y => x.System == y.System && string.Equals(x.Code, y.Code, x.System == PreferenceCodes.Bcp47 ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal))) // BCP-47 ignores case
        || (a.Coding.Count == 0 && b.Coding.Count == 0 && string.Equals(a.Text, b.Text, StringComparison.OrdinalIgnoreCase));
}

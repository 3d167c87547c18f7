using Hl7.Fhir.Model;
using Wmtty.Fhir.Questionnaires;

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
    /// preferred-language answer, communication is left as it is; with no interpreter answer, so is the extension.
    /// </summary>
    public static void Apply(Patient patient, IReadOnlyList<Observation> preferences, string serviceSystem)
    {
        var interpreter = Find(preferences, PreferenceCodes.Loinc, PreferenceCodes.InterpreterNeeded)?.Value as FhirBoolean;
        if (interpreter?.Value is { } needed)
        {
            patient.SetExtension(InterpreterRequiredUrl, new FhirBoolean(needed));
        }

        var otherName = (Find(preferences, serviceSystem, "other-language-name")?.Value as FhirString)?.Value;
        var preferred = Language(Find(preferences, PreferenceCodes.Loinc, PreferenceCodes.PreferredLanguage), serviceSystem, otherName);
        if (preferred is null)
        {
            return;
        }

        var communication = new List<Patient.CommunicationComponent> { new() { Language = preferred, Preferred = true } };
        var interpreterLanguage = interpreter?.Value == true
            ? Language(Find(preferences, serviceSystem, "interpreter-language"), serviceSystem, otherName)
            : null;
        if (interpreterLanguage is not null && !SameLanguage(interpreterLanguage, preferred))
        {
            communication.Add(new Patient.CommunicationComponent { Language = interpreterLanguage });
        }

        patient.Communication = communication;
    }

    private static Observation? Find(IReadOnlyList<Observation> preferences, string system, string code) =>
        preferences.FirstOrDefault(o => o.Code?.Coding.Any(c => c.System == system && c.Code == code) == true);

    // A language as BCP-47, from a language answer or an interpreter answer; "another language" becomes text.
    private static CodeableConcept? Language(Observation? observation, string serviceSystem, string? otherName)
    {
        var coding = (observation?.Value as CodeableConcept)?.Coding.FirstOrDefault();
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

        if (coding.System == serviceSystem && coding.Code == PreferenceCodes.OtherLanguage && !string.IsNullOrWhiteSpace(otherName))
        {
            return new CodeableConcept { Text = otherName.Trim() };
        }

        return null;
    }

    private static CodeableConcept Bcp47(string tag) =>
        new(PreferenceCodes.Bcp47, tag, PreferenceCodes.Languages.FirstOrDefault(l => l.Tag == tag).Display);

    private static bool SameLanguage(CodeableConcept a, CodeableConcept b) =>
        a.Coding.FirstOrDefault()?.Code is { } code ? code == b.Coding.FirstOrDefault()?.Code : a.Text == b.Text;
}

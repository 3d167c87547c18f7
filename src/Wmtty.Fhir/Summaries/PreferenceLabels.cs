using System.Globalization;
using Hl7.Fhir.Model;
using Wmtty.Fhir.Questionnaires;

namespace Wmtty.Fhir.Summaries;

/// <summary>Short English labels and values for a clinician reading preferences at a glance.</summary>
public static class PreferenceLabels
{
    private static readonly Dictionary<string, string> LoincLabels = new(StringComparer.Ordinal)
    {
        [PreferenceCodes.PreferredLanguage] = "Preferred language",
        [PreferenceCodes.InterpreterNeeded] = "Interpreter needed",
        [PreferenceCodes.ReligiousBeliefs] = "Religion or belief",
        [PreferenceCodes.CareExperiencePreference] = "What matters most",
    };

    /// <summary>What the Observation records, e.g. "Preferred contact method".</summary>
    public static string Label(Observation observation, string serviceSystem)
    {
        foreach (var coding in observation.Code?.Coding ?? [])
        {
            if (coding.System == PreferenceCodes.Loinc && coding.Code is { } loinc && LoincLabels.TryGetValue(loinc, out var label))
            {
                return label;
            }

            if (coding.System == serviceSystem && PreferenceCodes.ServiceConcepts.FirstOrDefault(c => c.Code == coding.Code) is { Display: { } display })
            {
                return display;
            }
        }

        return observation.Code?.Coding.FirstOrDefault()?.Display ?? observation.Code?.Text ?? "Preference";
    }

    /// <summary>The value in plain English; free text is returned as written.</summary>
    public static string Value(Observation observation) => observation.Value switch
    {
        CodeableConcept concept => Answer(observation, concept),
        FhirBoolean { Value: true } => "Yes",
        FhirBoolean { Value: false } => "No",
        FhirString text => text.Value ?? "",
        Integer number => number.Value?.ToString(CultureInfo.InvariantCulture) ?? "",
        Quantity quantity => $"{quantity.Value?.ToString(CultureInfo.InvariantCulture)} {quantity.Unit}".Trim(),
        PrimitiveType primitive => primitive.ToString() ?? "",
        _ => "",
    };

    private static string Answer(Observation observation, CodeableConcept concept)
    {
        var coding = concept.Coding.FirstOrDefault();
        if (coding is null)
        {
            return concept.Text ?? "";
        }

        // "Polish language interpreter needed" reads better as the language alone, next to "Interpreter".
        if (coding.System == PreferenceCodes.Snomed && PreferenceCodes.Interpreters.FirstOrDefault(i => i.Snomed == coding.Code) is { Language: { } tag })
        {
            return PreferenceCodes.Languages.FirstOrDefault(l => l.Tag == tag).Display ?? tag;
        }

        if (coding.Code == "none")
        {
            // "None" means something different under each question.
            return observation.Code?.Coding.FirstOrDefault()?.Code switch
            {
                "written-format" => "No other format needed",
                "diet" => "No special diet",
                "communication-support" or "reasonable-adjustments" => "None needed",
                _ => "None",
            };
        }

        return coding.Code switch
        {
            PreferenceCodes.PreferNotToSay => "Prefers not to say",
            PreferenceCodes.OtherLanguage => concept.Text is { Length: > 0 } name ? name : "another language (not named)", // the name written in, as extracted
            "520471000000105" when coding.System == PreferenceCodes.Snomed => "British Sign Language",
            "796161000000101" when coding.System == PreferenceCodes.Snomed => "Easy read",
            "1108151000000106" when coding.System == PreferenceCodes.Snomed => "Their carer",
            "314434008" when coding.System == PreferenceCodes.Snomed => "A female clinician",
            "314435009" when coding.System == PreferenceCodes.Snomed => "A male clinician",
            _ => coding.Display ?? concept.Text ?? coding.Code ?? "",
        };
    }
}

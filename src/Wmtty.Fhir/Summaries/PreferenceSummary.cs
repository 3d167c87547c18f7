using System.Xml.Linq;
using Hl7.Fhir.Model;
using Wmtty.Fhir.Questionnaires;
using Wmtty.Fhir.Serialization;

namespace Wmtty.Fhir.Summaries;

/// <summary>
/// The "what matters to me" summary as a FHIR document: a Composition with one section per
/// questionnaire section, each with English narrative a clinician can take in at a glance (interpreter
/// needs first), then the Patient, the current Observations and the response they came from.
/// </summary>
public static class PreferenceSummary
{
    private static readonly XNamespace Xhtml = "http://www.w3.org/1999/xhtml";

    public static Bundle Build(Patient patient, IReadOnlyList<Observation> preferences, QuestionnaireResponse? response, string serviceSystem, string baseUrl, DateTimeOffset now)
    {
        var compositionId = Guid.NewGuid().ToString("D");
        var composition = new Composition
        {
            Id = compositionId,
            Language = "en", // the narrative; the patient's own words inside it carry their own lang
            Status = CompositionStatus.Final,
            Type = new CodeableConcept(serviceSystem, PreferenceCodes.SummaryDocument, PreferenceCodes.ServiceDisplay(PreferenceCodes.SummaryDocument)),
            Category = [new CodeableConcept(PreferenceCodes.ObservationCategory, "social-history", "Social History")],
            Subject = new ResourceReference($"{baseUrl}/Patient/{patient.Id}"), // absolute: the Composition's own fullUrl is a urn:uuid
            DateElement = new FhirDateTime(now),
            Author = [new ResourceReference { Display = "Wmtty: What Matters To You" }],
            Title = "What matters to me",
            Confidentiality = Composition.V3ConfidentialityClassification.R,
            Text = Narrative(Headline(preferences, serviceSystem)),
        };

        foreach (var (code, display) in PreferenceCodes.Sections)
        {
            var inSection = preferences.Where(o => o.Category.Any(c => c.Coding.Any(x => x.System == serviceSystem && x.Code == code))).ToList();
            composition.Section.Add(new Composition.SectionComponent
            {
                Title = display,
                Code = new CodeableConcept(serviceSystem, code, display),
                Text = Narrative(SectionBody(inSection, serviceSystem)),
                Entry = [.. inSection.Select(o => new ResourceReference($"{baseUrl}/Observation/{o.Id}"))],
            });
        }

        var bundle = new Bundle
        {
            Id = Guid.NewGuid().ToString("D"),
            Identifier = new Identifier("urn:ietf:rfc:3986", "urn:uuid:" + Guid.NewGuid().ToString("D")),
            Type = Bundle.BundleType.Document,
            TimestampElement = new Instant(now),
        };
        bundle.Entry.Add(new Bundle.EntryComponent { FullUrl = "urn:uuid:" + compositionId, Resource = composition });
        bundle.Entry.Add(Entry(baseUrl, patient));
        bundle.Entry.AddRange(preferences.Select(o => Entry(baseUrl, o)));
        if (response is not null)
        {
            bundle.Entry.Add(Entry(baseUrl, response));
        }

        return bundle;
    }

    private static Bundle.EntryComponent Entry(string baseUrl, Resource resource) =>
        new() { FullUrl = $"{baseUrl}/{resource.TypeName}/{resource.Id}", Resource = resource };

    // The first thing a clinician needs: can we talk, and how.
    private static IEnumerable<XElement> Headline(IReadOnlyList<Observation> preferences, string serviceSystem)
    {
        if (preferences.Count == 0)
        {
            yield return Element("p", "No preferences have been recorded yet.");
            yield break;
        }

        var interpreter = Find(preferences, PreferenceCodes.Loinc, PreferenceCodes.InterpreterNeeded)?.Value as FhirBoolean;
        var languages = preferences.Where(o => Is(o, serviceSystem, PreferenceCodes.InterpreterLanguage))
            .Select(o => Clean(PreferenceLabels.Value(o))).Where(v => v.Length > 0).ToList();
        yield return interpreter?.Value switch
        {
            true => Element("p", Element("strong", $"Interpreter needed: {(languages.Count > 0 ? string.Join(", ", languages) : "language not given")}.")),
            false => Element("p", Element("strong", "No interpreter needed.")),
            _ => Element("p", Element("strong", "Interpreter need not recorded.")),
        };

        var key = new List<XElement>();
        foreach (var (system, code) in new[]
        {
            (PreferenceCodes.Loinc, PreferenceCodes.PreferredLanguage), (serviceSystem, "communication-support"), (serviceSystem, "written-format"),
            (serviceSystem, "contact-method"), (serviceSystem, "clinician-gender"), (serviceSystem, "chaperone"), (serviceSystem, "who-to-involve"),
            (serviceSystem, "diet"), (serviceSystem, "faith-care-needs"), (serviceSystem, "who-may-be-told"), (serviceSystem, "reasonable-adjustments"),
        })
        {
            var answers = preferences.Where(o => Is(o, system, code)).ToList();
            if (answers.Count > 0)
            {
                key.Add(Line(answers, serviceSystem));
            }
        }

        if (key.Count > 0)
        {
            yield return Element("ul", key);
        }
    }

    private static IEnumerable<XElement> SectionBody(List<Observation> observations, string serviceSystem)
    {
        if (observations.Count == 0)
        {
            yield return Element("p", "Nothing recorded.");
            yield break;
        }

        // Interpreter answers lead the section they are in; otherwise questionnaire order, one line per question.
        var lines = observations
            .Where(o => !Is(o, serviceSystem, PreferenceCodes.PreferredLanguageOther) && !Is(o, serviceSystem, PreferenceCodes.InterpreterLanguageOther))
            .GroupBy(o => PreferenceLabels.Label(o, serviceSystem))
            .OrderBy(g => g.Any(o => Is(o, PreferenceCodes.Loinc, PreferenceCodes.InterpreterNeeded) || Is(o, serviceSystem, PreferenceCodes.InterpreterLanguage)) ? 0 : 1)
            .Select(g => Line([.. g], serviceSystem));
        yield return Element("ul", lines);
    }

    private static XElement Line(IReadOnlyList<Observation> answers, string serviceSystem)
    {
        var item = Element("li", Element("strong", PreferenceLabels.Label(answers[0], serviceSystem) + ": "));
        for (var i = 0; i < answers.Count; i++)
        {
            if (i > 0)
            {
                item.Add("; ");
            }

            var value = Clean(PreferenceLabels.Value(answers[i]));
            if (answers[i].Value is FhirString && answers[i].Language is { Length: > 0 } language)
            {
                // Free text as the patient wrote it, marked with its language so it is read and shown right.
                var span = Element("span", Lines(value));
                span.SetAttributeValue("lang", language);
                if (IsRightToLeft(value))
                {
                    span.SetAttributeValue("dir", "rtl");
                }

                item.Add(span);
            }
            else
            {
                item.Add(value);
            }
        }

        return item;
    }

    /// <summary>Text as a clinician reads it: printable, and in the order it was written (no direction overrides).</summary>
    public static string Clean(string text) => FhirText.WithoutBidiControls(FhirText.ReplaceForbidden(text));

    /// <summary>Whether free text reads right to left, judged by the text itself: someone using the Urdu portal may still write in English.</summary>
    public static bool IsRightToLeft(string text) =>
        text.FirstOrDefault(char.IsLetter) is >= '\u0590' and <= '\u08FF' or >= '\uFB1D' and <= '\uFDFF' or >= '\uFE70' and <= '\uFEFF';

    // Line breaks the patient wrote stay line breaks.
    private static IEnumerable<object> Lines(string text)
    {
        var lines = text.ReplaceLineEndings("\n").Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            if (i > 0)
            {
                yield return Element("br");
            }

            yield return lines[i];
        }
    }

    private static Narrative Narrative(IEnumerable<XElement> content) => new()
    {
        Status = Hl7.Fhir.Model.Narrative.NarrativeStatus.Generated,
        Div = new XElement(Xhtml + "div", content).ToString(SaveOptions.DisableFormatting),
    };

    private static XElement Element(string name, params object[] content) => new(Xhtml + name, content);

    private static Observation? Find(IReadOnlyList<Observation> preferences, string system, string code) =>
        preferences.FirstOrDefault(o => Is(o, system, code));

    private static bool Is(Observation observation, string system, string code) =>
        observation.Code?.Coding.Any(c => c.System == system && c.Code == code) == true;
}

using Hl7.Fhir.Model;
using Wmtty.Fhir.Questionnaires;
using Wmtty.Fhir.Resources;

namespace Wmtty.Fhir.Extraction;

/// <summary>An extracted Observation, with the item code it answers and its place in questionnaire order.</summary>
public sealed record ExtractedObservation(Observation Observation, Coding Code, int Position)
{
    /// <summary>The id the extractor gave the Observation.</summary>
    public string Id => Observation.Id!;
}

/// <summary>
/// SDC observation-based extraction: one Observation per answer to an item marked with
/// <c>sdc-questionnaire-observationExtract</c> (on the item, or on the root for every coded item).
/// Answers are normalised to the questionnaire's own codings and English displays, so a response
/// answered in Urdu extracts to the same Observations as one answered in Polish.
/// </summary>
public static class ObservationExtractor
{
    private static readonly HashSet<string> PerformerTypes = ["Practitioner", "PractitionerRole", "Organization", "CareTeam", "Patient", "RelatedPerson"];

    /// <param name="subject">The Patient the response is about, as a local reference.</param>
    /// <param name="responseId">The response's id, for <c>derivedFrom</c>; null when it is not stored.</param>
    /// <param name="issued">When the service received the response: <c>issued</c>, and <c>effective</c> when the response has no authored time.</param>
    public static IReadOnlyList<ExtractedObservation> Extract(Questionnaire questionnaire, QuestionnaireResponse response, ResourceReference subject, string? responseId, DateTimeOffset issued)
    {
        var context = new Context(response, subject, responseId, issued);
        var extracted = new List<ExtractedObservation>();
        var rootExtracts = Flag(questionnaire) == true;
        Walk(questionnaire.Item, response.Item, [], rootExtracts, context, extracted);
        return extracted;
    }

    /// <summary>Whether any answer to the questionnaire would be extracted: its root or any item is marked.</summary>
    public static bool HasExtractableItems(Questionnaire questionnaire)
    {
        static bool Marked(IEnumerable<Questionnaire.ItemComponent> items) => items.Any(i => Flag(i) == true || Marked(i.Item));

        return Flag(questionnaire) == true || Marked(questionnaire.Item);
    }

    private static void Walk(
        List<Questionnaire.ItemComponent> definitions, List<QuestionnaireResponse.ItemComponent> items,
        List<CodeableConcept> categories, bool inheritedExtract, Context context, List<ExtractedObservation> extracted)
    {
        foreach (var item in items)
        {
            var definition = definitions.FirstOrDefault(d => d.LinkId == item.LinkId);
            if (definition is null)
            {
                continue;
            }

            var ownCategories = definition.Extension
                .Where(e => e.Url == WhatMattersQuestionnaire.ExtractCategoryUrl)
                .Select(e => e.Value).OfType<CodeableConcept>().ToList();
            var itemCategories = ownCategories.Count > 0 ? ownCategories : categories;
            var extract = Flag(definition) ?? inheritedExtract;

            if (definition.Type == Questionnaire.QuestionnaireItemType.Group)
            {
                Walk(definition.Item, item.Item, itemCategories, extract, context, extracted); // a group's flag applies to what it holds
                continue;
            }

            foreach (var answer in item.Answer)
            {
                if (extract && definition.Code.Count > 0 && ValueOf(definition, answer.Value) is { } value)
                {
                    if (value is CodeableConcept concept && answer.Value is Coding chosen)
                    {
                        concept.Text = WrittenIn(definition, chosen, definitions, items);
                    }

                    extracted.Add(new ExtractedObservation(context.Observation(definition, itemCategories, value), definition.Code[0], extracted.Count));
                }

                Walk(definition.Item, answer.Item, itemCategories, inheritedExtract, context, extracted);
            }
        }
    }

    // The resource type a literal reference names: "Type/id", ".../Type/id" or ".../Type/id/_history/n".
    private static string? TypeOf(string? reference)
    {
        var parts = reference?.Split('/') ?? [];
        var at = parts.Length >= 4 && parts[^2] == "_history" ? parts.Length - 4 : parts.Length - 2;
        return at >= 0 && parts.Length >= 2 && ModelInfo.IsKnownResource(parts[at]) ? parts[at] : null;
    }

    // "Another language, please write it": the words written in the item that this answer switches on,
    // so whoever reads the coded Observation also reads what was meant.
    private static string? WrittenIn(Questionnaire.ItemComponent definition, Coding chosen, List<Questionnaire.ItemComponent> siblings, List<QuestionnaireResponse.ItemComponent> answered)
    {
        var follow = siblings.FirstOrDefault(d => d.Type is Questionnaire.QuestionnaireItemType.String or Questionnaire.QuestionnaireItemType.Text
            && d.EnableWhen.Any(w => w.Question == definition.LinkId && w.Operator == Questionnaire.QuestionnaireItemOperator.Equal
                && w.Answer is Coding expected && expected.System == chosen.System && expected.Code == chosen.Code));
        return follow is null ? null
            : answered.FirstOrDefault(i => i.LinkId == follow.LinkId)?.Answer.Select(a => a.Value).OfType<FhirString>().FirstOrDefault()?.Value;
    }

    private static bool? Flag(IExtendable element) => element.GetExtensionValue<FhirBoolean>(WhatMattersQuestionnaire.ObservationExtractUrl)?.Value;

    /// <summary>The Observation value for an answer; codings take the questionnaire's system, code and English display.</summary>
    private static DataType? ValueOf(Questionnaire.ItemComponent definition, DataType? answer) => answer switch
    {
        Coding coding => new CodeableConcept { Coding = [Plain(Canonical(definition, coding))] },
        FhirString text => new FhirString(text.Value),
        FhirBoolean flag => new FhirBoolean(flag.Value),
        Integer number => new Integer(number.Value),
        FhirDecimal number => new Quantity { Value = number.Value },
        Date date => new FhirDateTime(date.Value),
        FhirDateTime dateTime => new FhirDateTime(dateTime.Value),
        Time time => new Time(time.Value),
        Quantity quantity => (Quantity)quantity.DeepCopy(),
        _ => null,
    };

    private static Coding Canonical(Questionnaire.ItemComponent definition, Coding given) =>
        definition.AnswerOption.Select(o => o.Value).OfType<Coding>().FirstOrDefault(c => c.System == given.System && c.Code == given.Code) ?? given;

    // A coding without translation extensions or other decoration: system, version, code and base display.
    private static Coding Plain(Coding coding) => new()
    {
        System = coding.System,
        Version = coding.Version,
        Code = coding.Code,
        Display = coding.Display,
    };

    private sealed class Context(QuestionnaireResponse response, ResourceReference subject, string? responseId, DateTimeOffset issued)
    {
        public Observation Observation(Questionnaire.ItemComponent definition, List<CodeableConcept> categories, DataType value)
        {
            var observation = new Observation
            {
                Id = ResourceTypes.NewId(),
                Status = ObservationStatus.Final,
                Category = [.. categories.Select(c => new CodeableConcept { Coding = [.. c.Coding.Select(Plain)], Text = c.Text })],
                Code = new CodeableConcept { Coding = [.. definition.Code.Select(Plain)], Text = definition.Text },
                Subject = (ResourceReference)subject.DeepCopy(),
                Effective = new FhirDateTime(response.Authored is { Length: > 0 } authored ? authored : issued.ToString("yyyy-MM-ddTHH:mm:ss.fffzzz", System.Globalization.CultureInfo.InvariantCulture)),
                IssuedElement = new Instant(issued),
                Value = value,
            };

            if (responseId is not null)
            {
                observation.DerivedFrom.Add(new ResourceReference($"{ResourceTypes.QuestionnaireResponse}/{responseId}"));
            }

            // As SDC maps them: the encounter and the requests the response was given for.
            observation.Encounter = (ResourceReference?)response.Encounter?.DeepCopy();
            observation.BasedOn = [.. response.BasedOn.Select(b => (ResourceReference)b.DeepCopy())];

            if (response.Author is { } author && (author.Type ?? TypeOf(author.Reference)) is var type
                && (type is null ? author.Reference is null : PerformerTypes.Contains(type)))
            {
                observation.Performer.Add((ResourceReference)author.DeepCopy());
            }

            // Free text is kept as written, tagged with the language the response was given in.
            if (value is FhirString && response.Language is { Length: > 0 } language)
            {
                observation.Language = language;
            }

            return observation;
        }
    }
}

using System.Text.Json.Nodes;
using Hl7.Fhir.Model;
using Wmtty.Fhir.Questionnaires;

namespace Wmtty.Tests.Infrastructure;

/// <summary>
/// The item tree of a QuestionnaireResponse as a client sends it: answers by linkId, nested and ordered as
/// the questionnaire asks them, with item texts and answer displays in the language answered in. Used by
/// the tests and, as a linked source file, by bench/Wmtty.Bench.
/// </summary>
public static class ResponseItems
{
    public static JsonArray Build(List<Questionnaire.ItemComponent> definitions, Dictionary<string, List<JsonObject>> answers, string language)
    {
        var items = new JsonArray();
        foreach (var definition in definitions)
        {
            var item = new JsonObject { ["linkId"] = definition.LinkId, ["text"] = Translations.In(definition.TextElement, language) };
            if (definition.Type == Questionnaire.QuestionnaireItemType.Group)
            {
                var children = Build(definition.Item, answers, language);
                if (children.Count > 0)
                {
                    item["item"] = children;
                    items.Add(item);
                }
            }
            else if (answers.TryGetValue(definition.LinkId!, out var given))
            {
                item["answer"] = new JsonArray([.. given.Select(a => Localised(definition, a, language))]);
                items.Add(item);
            }
        }

        return items;
    }

    // A copy of the answer whose coding carries the option's display in the response's language.
    private static JsonNode Localised(Questionnaire.ItemComponent definition, JsonObject answer, string language)
    {
        var copy = answer.DeepClone().AsObject();
        if (copy["valueCoding"] is JsonObject coding)
        {
            var option = definition.AnswerOption.Select(o => o.Value).OfType<Coding>()
                .FirstOrDefault(o => o.System == coding["system"]!.GetValue<string>() && o.Code == coding["code"]!.GetValue<string>());
            if (option is not null)
            {
                coding["display"] = Translations.In(option.DisplayElement, language);
            }
        }

        return copy;
    }
}

using System.Text.Json;
using System.Text.Json.Nodes;
using Wmtty.Fhir.Questionnaires;
using Wmtty.Tests.Infrastructure;
using ItemType = Hl7.Fhir.Model.Questionnaire.QuestionnaireItemType;

namespace Wmtty.Tests.Fhir;

/// <summary>The changes to the JSON tree: each returns what it did, or null when it found nothing to do it to.</summary>
internal sealed partial class ResponseMutator
{
    /// <summary>Property names no FHIR resource has: wherever they are, the response must be refused.</summary>
    internal static readonly string[] UnknownNames = ["unknownElement", "fuzz", "Status", "_unknown", "linkID", "valueCodeing"];

    private string? Mutate(JsonObject response, Random random) => random.Next(120) switch
    {
        < 8 => DeleteProperty(response, random),
        < 13 => DuplicateProperty(response, random),
        < 21 => ChangeType(response, random),
        < 33 => HostileString(response, random),
        < 38 => SwapAnswers(response, random),
        < 44 => AnswerWhatIsNotAsked(response, random),
        < 50 => ChangeLinkId(response, random),
        < 58 => Set(response, "status", Pick(random, ["completed", "in-progress", "entered-in-error", "amended", "stopped", "garbage", "Completed", "", "in progress"])),
        < 63 => Set(response, "questionnaire", Pick(random, Questionnaires)),
        < 71 => ChangeSubject(response, random),
        < 74 => NestDeeply(response, random),
        < 79 => InsertUnknown(response, random),
        < 82 => Pick(random, ResourceTypes)(response),
        < 87 => AddIdOrMeta(response, random),
        < 92 => random.Next(8) == 0 ? Delete(response, "authored") : Set(response, "authored", Pick(random, Authored)),
        < 97 => DuplicateItemOrAnswer(response, random),
        < 102 => RemoveItemOrAnswer(response, random),
        < 110 => ChangeAnswer(response, random),
        < 113 => AddNarrativeContainedOrReferences(response, random),
        < 116 => Set(response, "language", Pick(random, ["pl", "ur", "en-GB", "xx", "EN", "en_GB", "", "zh-Hant-TW"])),
        _ => Harmless(response, random),
    };

    private static string Set(JsonObject target, string name, JsonNode? value)
    {
        target[name] = value;
        return $"{name} = {Text(value)}";
    }

    private static string Delete(JsonObject target, string name)
    {
        target.Remove(name);
        return $"delete {name}";
    }

    private static string? DeleteProperty(JsonObject response, Random random)
    {
        var slot = Pick(random, Slots(response).Where(s => s.Name is not null).ToList());
        slot.Remove();
        return $"delete {slot.Path}";
    }

    private static string? DuplicateProperty(JsonObject response, Random random)
    {
        var slot = Pick(random, Slots(response).Where(s => s.Name is not null && !s.Name.StartsWith(Duplicate, StringComparison.Ordinal)).ToList());
        var same = random.Next(2) == 0;
        slot.Container.AsObject()[Duplicate + slot.Name] = same ? slot.Value?.DeepClone() : Pick(random, Hostile);
        return $"{slot.Path} given twice{(same ? ", the same" : "")}";
    }

    private static string? ChangeType(JsonObject response, Random random)
    {
        var slot = Pick(random, Slots(response));
        var kind = Kind(slot.Value);
        var replacement = Enumerable.Range(0, 20).Select(_ => Pick(random, Kinds)()).FirstOrDefault(n => Kind(n) != kind);
        slot.Set(replacement);
        return $"{slot.Path} = {Text(replacement)}";
    }

    // What JSON a node is written as: a raw value is a number, true and false are one kind.
    private static JsonValueKind Kind(JsonNode? node) => node?.GetValueKind() switch
    {
        null => JsonValueKind.Null,
        JsonValueKind.String when node.GetValue<string>().StartsWith(Raw, StringComparison.Ordinal) => JsonValueKind.Number,
        JsonValueKind.False => JsonValueKind.True,
        var kind => kind.Value,
    };

    private static string? HostileString(JsonObject response, Random random)
    {
        var strings = Slots(response).Where(s => s.Value is JsonValue v && v.GetValueKind() == JsonValueKind.String).ToList();
        if (strings.Count == 0)
        {
            return null;
        }

        var slot = Pick(random, strings);
        var value = Pick(random, Hostile);
        slot.Set(value);
        return $"{slot.Path} = {Describe(value)}";
    }

    private static string? SwapAnswers(JsonObject response, Random random)
    {
        var answered = Items(response).Where(i => i["answer"] is JsonArray).ToList();
        if (answered.Count < 2)
        {
            return null;
        }

        var (a, b) = (Pick(random, answered), Pick(random, answered));
        var answers = a["answer"]!.DeepClone();
        a["answer"] = b["answer"]!.DeepClone();
        b["answer"] = answers;
        return $"answers of {a["linkId"]?.ToJsonString()} and {b["linkId"]?.ToJsonString()} swapped";
    }

    private static string? AnswerWhatIsNotAsked(JsonObject response, Random random)
    {
        var groups = Items(response).Where(i => i["item"] is JsonArray).ToList();
        switch (random.Next(4))
        {
            case 0 when groups.Count > 0:
                var linkId = Pick(random, UnknownLinkIds);
                Pick(random, groups)["item"]!.AsArray().Add(new JsonObject { ["linkId"] = linkId, ["answer"] = new JsonArray(new JsonObject { ["valueString"] = "x" }) });
                return $"an answer to the unknown item {JsonSerializer.Serialize(linkId)}";
            case 1 when Items(response).FirstOrDefault(i => LinkId(i) == WhatMattersQuestionnaire.InterpreterNeededLinkId) is { } needed:
                needed["answer"] = new JsonArray(Responses.Boolean(false));
                return "interpreter-needed = false, interpreter-language still answered";
            case 2 when groups.Count > 0:
                Pick(random, groups)["answer"] = new JsonArray(Responses.Text("x"));
                return "an answer to a group";
            default:
                // A question the typical answers leave out, often one enableWhen disables, in its place in its section.
                var definition = Pick(random, Definitions.Where(d => d.Type != ItemType.Group && !Items(response).Any(i => LinkId(i) == d.LinkId)).ToList());
                var section = Definitions.First(d => d.Item.Contains(definition));
                if (groups.FirstOrDefault(g => LinkId(g) == section.LinkId) is not { } group)
                {
                    return null;
                }

                var answer = definition.Type switch
                {
                    ItemType.Boolean => Responses.Boolean(true),
                    ItemType.Choice when definition.AnswerOption.FirstOrDefault()?.Value is Hl7.Fhir.Model.Coding c => Responses.Coded(c.System!, c.Code!),
                    _ => Responses.Text("written in"),
                };
                var item = new JsonObject { ["linkId"] = definition.LinkId, ["answer"] = new JsonArray(answer) };
                var siblings = group["item"]!.AsArray();
                var at = siblings.Count(s => section.Item.FindIndex(d => d.LinkId == LinkId(s)) < section.Item.IndexOf(definition));
                siblings.Insert(at, item);
                return $"{definition.LinkId} answered";
        }
    }

    private static string? ChangeLinkId(JsonObject response, Random random)
    {
        if (Items(response) is not { Count: > 0 } items)
        {
            return null;
        }

        var item = Pick(random, items);
        var linkId = random.Next(3) switch
        {
            0 => Pick(random, UnknownLinkIds),
            1 => item["linkId"]!.ToJsonString().Trim('"').ToUpperInvariant(),
            _ => Pick(random, Definitions).LinkId,
        };
        var was = item["linkId"]?.ToJsonString();
        item["linkId"] = linkId;
        return $"linkId {was} -> {JsonSerializer.Serialize(linkId)}";
    }

    private static string? ChangeSubject(JsonObject response, Random random)
    {
        const string nhs = "https://fhir.nhs.uk/Id/nhs-number";
        JsonObject Identifier(string value) => new() { ["system"] = nhs, ["value"] = value };
        JsonNode?[] subjects =
        [
            new JsonObject { ["reference"] = "Patient/{other}" }, new JsonObject { ["reference"] = "Patient/does-not-exist" },
            new JsonObject { ["reference"] = "Patient/" }, new JsonObject { ["reference"] = "Patient" }, new JsonObject { ["reference"] = "patient/{patient}" },
            new JsonObject { ["reference"] = "Patient/{patient}/_history/1" }, new JsonObject { ["reference"] = "https://elsewhere.example/fhir/Patient/{patient}" },
            new JsonObject { ["reference"] = "http://localhost/fhir/Patient/{patient}" }, new JsonObject { ["reference"] = "urn:uuid:6a0f0a3e-54c6-4a8e-9a77-1f0e5e6e2b4c" },
            new JsonObject { ["reference"] = "Practitioner/{patient}" }, new JsonObject { ["identifier"] = Identifier("{patientNhs}") },
            new JsonObject { ["identifier"] = Identifier("{otherNhs}") }, new JsonObject { ["identifier"] = Identifier("1111111112") },
            new JsonObject { ["identifier"] = new JsonObject { ["value"] = "{patientNhs}" } },
            new JsonObject { ["reference"] = "Patient/{patient}", ["identifier"] = Identifier("{otherNhs}") },
            new JsonObject { ["reference"] = "Patient/{patient}", ["type"] = "Practitioner" }, new JsonObject { ["display"] = "Anna Kowalska" },
            new JsonObject { ["reference"] = "Patient/{patient}", ["display"] = "Anna Kowalska" }, null,
        ];
        if (random.Next(8) == 0)
        {
            response["contained"] = new JsonArray(new JsonObject { ["resourceType"] = "Patient", ["id"] = "p", ["identifier"] = new JsonArray(Identifier("{patientNhs}")) });
            return Set(response, "subject", new JsonObject { ["reference"] = "#p" }) + " (contained)";
        }

        return random.Next(10) == 0 ? Delete(response, "subject") : Set(response, "subject", Pick(random, subjects)?.DeepClone());
    }

    private static string? NestDeeply(JsonObject response, Random random)
    {
        var depth = Pick(random, [3, 20, 60, 200, 1_000]);
        if (random.Next(2) == 0)
        {
            JsonNode inner = new JsonObject { ["url"] = "http://example.org/deep", ["valueString"] = "bottom" };
            for (var i = 0; i < depth; i++)
            {
                inner = new JsonObject { ["url"] = "http://example.org/deep", ["extension"] = new JsonArray(inner) };
            }

            response["extension"] = new JsonArray(inner);
            return $"extensions nested {depth} deep";
        }

        if (Answers(response) is not { Count: > 0 } all)
        {
            return null;
        }

        var (answers, index) = Pick(random, all);
        if (answers[index] is not JsonObject answer)
        {
            return null;
        }

        JsonNode nested = new JsonObject { ["linkId"] = "deep", ["answer"] = new JsonArray(Responses.Text("bottom")) };
        for (var i = 0; i < depth; i++)
        {
            nested = new JsonObject { ["linkId"] = "deep", ["answer"] = new JsonArray(new JsonObject { ["valueString"] = "x", ["item"] = new JsonArray(nested) }) };
        }

        answer["item"] = new JsonArray(nested);
        return $"items nested {depth} deep under an answer";
    }

    private static string? InsertUnknown(JsonObject response, Random random)
    {
        var target = Pick(random, Slots(response).Select(s => s.Value).OfType<JsonObject>().Append(response).ToList());
        var (name, value) = random.Next(4) switch
        {
            0 => ("_status", new JsonObject { ["extension"] = new JsonArray(new JsonObject { ["url"] = "http://example.org/e", ["valueString"] = "x" }) }),
            1 => ("fhir_comments", (JsonNode)new JsonArray("a comment")),
            _ => (Pick(random, UnknownNames), (JsonNode)"x"),
        };
        target[name] = value;
        return $"{name} added";
    }

    private static string? AddIdOrMeta(JsonObject response, Random random)
    {
        if (random.Next(2) == 0)
        {
            return Set(response, "id", Pick(random, ["fuzz-id", "{response}", "a b", new string('x', 65), "../x", "Patient/1", "", "{patient}"]));
        }

        JsonNode[] metas =
        [
            new JsonObject { ["versionId"] = "99", ["lastUpdated"] = "2001-01-01T00:00:00Z" }, new JsonObject { ["lastUpdated"] = "garbage" },
            new JsonObject { ["tag"] = new JsonArray(new JsonObject { ["system"] = "http://example.org/tags", ["code"] = "fuzz" }) },
            new JsonObject { ["security"] = new JsonArray(new JsonObject { ["system"] = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", ["code"] = "R" }) },
            new JsonObject { ["profile"] = new JsonArray("http://example.org/StructureDefinition/x") }, new JsonObject { ["source"] = "../../x" },
        ];
        return Set(response, "meta", Pick(random, metas).DeepClone());
    }

    private static string? DuplicateItemOrAnswer(JsonObject response, Random random)
    {
        if ((random.Next(2) == 0 ? Answers(response) : ItemSlots(response)) is not { Count: > 0 } places)
        {
            return null;
        }

        var (array, index) = Pick(random, places);
        array.Insert(index + 1, array[index]!.DeepClone());
        return $"{Text(array[index])} given twice";
    }

    private static string? RemoveItemOrAnswer(JsonObject response, Random random)
    {
        if ((random.Next(2) == 0 ? Answers(response) : ItemSlots(response)) is not { Count: > 0 } places)
        {
            return null;
        }

        var (array, index) = Pick(random, places);
        var removed = Text(array[index]);
        array.RemoveAt(index);
        return $"{removed} removed";
    }

    private static List<(JsonArray Items, int Index)> ItemSlots(JsonNode root) =>
        [.. Slots(root).Where(s => s.Name is null && s.Value is JsonObject o && o["linkId"] is not null).Select(s => (s.Container.AsArray(), s.Index))];
}

using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Wmtty.Fhir.Questionnaires;
using Wmtty.Tests.Infrastructure;

namespace Wmtty.Tests.Fhir;

/// <summary>Changes to answers and to the response's other elements, changes that should be harmless, and changes to the bytes.</summary>
internal sealed partial class ResponseMutator
{
    private static string? ChangeAnswer(JsonObject response, Random random)
    {
        if (Answers(response) is not { Count: > 0 } all)
        {
            return null;
        }

        var (answers, index) = Pick(random, all);
        if (answers[index] is not JsonObject answer)
        {
            return null;
        }

        var valueName = answer.Select(p => p.Key).FirstOrDefault(k => k.StartsWith("value", StringComparison.Ordinal));
        var coding = answer["valueCoding"] as JsonObject;
        switch (random.Next(9))
        {
            case 0 when coding is not null:
                var option = Pick(random, Options);
                coding["system"] = option.System;
                coding["code"] = option.Code;
                return $"answer coded {option.System}|{option.Code}";
            case 1 when coding is not null:
                var code = Pick(random, Hostile);
                coding["code"] = code;
                return $"code = {Describe(code)}";
            case 2 when coding is not null:
                return Set(coding, "system", Pick(random, ["http://snomed.info/sct", "", "urn:ietf:bcp:47", "http://example.org", PreferenceCodes.ServiceSystem("https://other.example/fhir")]));
            case 3 when coding is not null:
                return random.Next(2) == 0 ? Delete(coding, "display") : Set(coding, "display", Pick(random, Hostile));
            case 4 when answer["valueBoolean"] is JsonValue flag && flag.GetValueKind() is JsonValueKind.True or JsonValueKind.False:
                return Set(answer, "valueBoolean", !flag.GetValue<bool>());
            case 5 when valueName is not null:
                answer.Remove(valueName);
                var (name, value) = Pick(random, Values)();
                answer[name] = value;
                return $"{valueName} -> {name} = {Text(value)}";
            case 6:
                return Set(answer, valueName == "valueString" ? "valueBoolean" : "valueString", valueName == "valueString" ? true : "and another value");
            case 7:
                answers[index] = new JsonObject();
                return "an empty answer";
            default:
                answers[index] = new JsonObject { ["extension"] = new JsonArray(new JsonObject { ["url"] = "http://example.org/e", ["valueString"] = "x" }) };
                return "an answer with only an extension";
        }
    }

    private static string? AddNarrativeContainedOrReferences(JsonObject response, Random random)
    {
        static JsonObject Reference(string to) => new() { ["reference"] = to };
        var (name, value) = random.Next(11) switch
        {
            0 => ("text", (JsonNode)new JsonObject { ["status"] = "generated", ["div"] = "<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>Prefers Polish</p></div>" }),
            1 => ("text", new JsonObject { ["status"] = "generated", ["div"] = "<div xmlns=\"http://www.w3.org/1999/xhtml\"><script>alert(1)</script></div>" }),
            2 => ("contained", new JsonArray(new JsonObject { ["resourceType"] = "Patient", ["id"] = "unused" })),
            3 => ("author", Reference(Pick(random, ["Patient/{patient}", "Practitioner/x", "#x", "Patient/{other}", "Organization/{patient}"]))),
            4 => ("source", Reference(Pick(random, ["Patient/{patient}", "RelatedPerson/x", "Patient/nobody"]))),
            5 => ("encounter", Reference(Pick(random, ["https://gp.example.nhs.uk/fhir/Encounter/e1", "Encounter/nope"]))),
            6 => ("basedOn", new JsonArray(Reference("CarePlan/x"))),
            7 => ("identifier", random.Next(2) == 0 ? new JsonObject { ["system"] = "https://example.org/ids", ["value"] = "r1" } : new JsonArray(new JsonObject { ["value"] = "r1" })),
            8 => ("modifierExtension", new JsonArray(new JsonObject { ["url"] = "https://example.org/m", ["valueBoolean"] = true })),
            9 => ("implicitRules", "https://example.org/rules"),
            _ => ("partOf", new JsonArray(Reference("Procedure/x"))),
        };
        return Set(response, name, value);
    }

    // Changes a client could well make: the response should still be accepted (unless an earlier change broke it).
    private static string? Harmless(JsonObject response, Random random)
    {
        var items = Items(response);
        switch (random.Next(4))
        {
            case 0 when items.FirstOrDefault(i => LinkId(i) == "what-matters-most") is { } words:
                var text = Pick(random, ["Być blisko rodziny 😀", "\u202Bمهم لي أن أكون مع عائلتي\u202C", new string('w', 250), "Line one\nLine two", "Ich möchte\tbitte"]);
                words["answer"] = new JsonArray(Responses.Text(text));
                return $"what-matters-most = {Describe(text)}";
            case 1 when items.Count > 0:
                var item = Pick(random, items);
                item.Remove("text");
                return $"no text on {item["linkId"]?.ToJsonString()}";
            case 2:
                return Set(response, "authored", "2026-11-19T08:00:00+01:00");
            default:
                return Set(response, "author", new JsonObject { ["reference"] = "Patient/{patient}" });
        }
    }

    private static (byte[] Body, string Done) MutateBytes(byte[] body, Random random)
    {
        var at = random.Next(body.Length);
        switch (random.Next(9))
        {
            case 0:
                return (body[..at], $"truncated to {at} of {body.Length} bytes");
            case 1:
                var bit = random.Next(8);
                var flipped = body.ToArray();
                flipped[at] ^= (byte)(1 << bit);
                return (flipped, $"bit {bit} of byte {at} flipped ('{(char)body[at]}' -> 0x{flipped[at]:X2})");
            case 2:
                var insert = Pick(random, Inserts);
                return ([.. body[..at], .. insert, .. body[at..]], $"0x{Convert.ToHexString(insert)} inserted at byte {at}");
            case 3:
                var length = Math.Min(random.Next(1, 21), body.Length - at);
                return ([.. body[..at], .. body[(at + length)..]], $"bytes {at} to {at + length} deleted");
            case 4:
                var slice = body[at..Math.Min(body.Length, at + random.Next(1, 41))];
                var where = random.Next(body.Length);
                return ([.. body[..where], .. slice, .. body[where..]], $"{slice.Length} bytes from {at} copied to {where}");
            case 5:
                return ([0xEF, 0xBB, 0xBF, .. body], "a byte order mark before it");
            case 6 when Enumerable.Range(0, body.Length).Where(i => char.IsAsciiDigit((char)body[i])).ToList() is { Count: > 0 } digits:
                var digit = Pick(random, digits);
                var changed = body.ToArray();
                changed[digit] = (byte)('0' + random.Next(10));
                return (changed, $"digit at byte {digit} '{(char)body[digit]}' -> '{(char)changed[digit]}'");
            case 7:
                var commas = Enumerable.Range(0, body.Length).Where(i => body[i] == ',').ToList();
                var comma = commas.Count > 0 ? Pick(random, commas) : 0;
                return ([.. body[..(comma + 1)], .. "\r\n  \t"u8, .. body[(comma + 1)..]], $"white space after byte {comma}");
            default:
                var tail = Pick(random, ["x", ",", "{}", "\0", "\n]"]);
                return ([.. body, .. Encoding.UTF8.GetBytes(tail)], $"{Describe(tail)} after the end");
        }
    }
}

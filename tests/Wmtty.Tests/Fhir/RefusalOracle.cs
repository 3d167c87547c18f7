using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Wmtty.Fhir.Questionnaires;
using Wmtty.Tests.Infrastructure;

namespace Wmtty.Tests.Fhir;

/// <summary>
/// What in a fuzzed body means it must be refused, by plain rules of JSON, FHIR R4 and the questionnaire, whatever
/// finer rules the service adds. Read from the bytes as sent, so that changes to the tree and to the bytes are judged
/// alike. Silence is not a promise of acceptance: most mutations the oracle says nothing about.
/// </summary>
internal static partial class RefusalOracle
{
    private static readonly HashSet<string> Statuses = ["in-progress", "completed", "amended", "entered-in-error", "stopped"];

    private static readonly HashSet<string> LinkIds = [.. ResponseMutator.Definitions.Select(i => i.LinkId).OfType<string>()];

    private static readonly HashSet<string> Strings =
        ["resourceType", "language", "questionnaire", "status", "authored", "reference", "linkId", "system", "code", "display", "valueString", "versionId", "lastUpdated", "url", "div"];

    private static readonly HashSet<string> Objects = ["subject", "valueCoding", "meta", "author", "encounter", "identifier", "valueReference", "valueAttachment", "valueQuantity"];

    private static readonly HashSet<string> Arrays = ["item", "answer", "extension", "modifierExtension", "contained", "basedOn", "partOf", "tag", "security", "profile"];

    /// <summary>Why the body must be refused; null when these rules find no reason.</summary>
    /// <param name="id">The id an update's URL names, which its body must carry too; empty for a create.</param>
    public static string? Reason(byte[] body, string id, DateTimeOffset now)
    {
        try
        {
            using var document = JsonDocument.Parse(body.AsMemory(body.AsSpan().StartsWith(Bom) ? Bom.Length : 0), new JsonDocumentOptions { MaxDepth = 100_000 });
            var root = document.RootElement;
            return root.ValueKind != JsonValueKind.Object ? "not a JSON object" : Element(root, "$", depth: 0, typed: true) ?? Resource(root, id, now);
        }
        catch (JsonException e)
        {
            return $"not JSON: {e.Message}";
        }
        catch (InvalidOperationException)
        {
            return "text that is not valid UTF-8";
        }
    }

    private static ReadOnlySpan<byte> Bom => [0xEF, 0xBB, 0xBF];

    // What any part of the tree may not be; typed: the elements are the response's own, not those of a contained resource.
    private static string? Element(JsonElement element, string path, int depth, bool typed)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Null:
                return $"null at {path}";
            case JsonValueKind.String:
                string text;
                try
                {
                    text = element.GetString()!;
                }
                catch (InvalidOperationException)
                {
                    return $"a lone surrogate or invalid UTF-8 at {path}";
                }

                return text.Trim(' ', '\t', '\r', '\n').Length == 0 ? $"an empty or blank string at {path}"
                    : text.Any(c => (c < 0x20 && c is not ('\t' or '\r' or '\n')) || c is '\uFFFE' or '\uFFFF') ? $"a character FHIR forbids at {path}"
                    : null;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var value in element.EnumerateArray())
                {
                    if (Element(value, $"{path}[{index++}]", depth + 1, typed) is { } reason)
                    {
                        return reason;
                    }
                }

                return null;
            case JsonValueKind.Object:
                var seen = new HashSet<string>(StringComparer.Ordinal);
                foreach (var property in element.EnumerateObject())
                {
                    var at = $"{path}.{property.Name}";
                    var reason = !seen.Add(property.Name) ? $"{at} given twice"
                        : ResponseMutator.UnknownNames.Contains(property.Name) ? $"{at} is no FHIR element"
                        : property.Name is "modifierExtension" or "implicitRules" ? $"{at}, which the service does not understand"
                        : !typed ? null
                        : WrongKind(property, depth) is { } wrong ? $"{at} is {wrong}"
                        : property.Name == "item" && property.Value.ValueKind == JsonValueKind.Array ? UnknownLinkId(property.Value, at)
                        : null;
                    if ((reason ?? Element(property.Value, at, depth + 1, typed && property.Name != "contained")) is { } found)
                    {
                        return found;
                    }
                }

                return null;
            default:
                return null;
        }
    }

    private static string? WrongKind(JsonProperty property, int depth)
    {
        var kind = property.Value.ValueKind;
        var expected = property.Name switch
        {
            "text" => depth == 0 ? JsonValueKind.Object : JsonValueKind.String,
            "valueBoolean" => JsonValueKind.True,
            "valueInteger" or "valueDecimal" => JsonValueKind.Number,
            var name when Strings.Contains(name) => JsonValueKind.String,
            var name when Objects.Contains(name) => JsonValueKind.Object,
            var name when Arrays.Contains(name) => JsonValueKind.Array,
            _ => JsonValueKind.Undefined,
        };
        return expected == JsonValueKind.Undefined || kind == expected || (expected == JsonValueKind.True && kind == JsonValueKind.False) || kind == JsonValueKind.Null
            ? null
            : $"a {kind}, not a {expected}";
    }

    private static string? UnknownLinkId(JsonElement items, string path) =>
        items.EnumerateArray().Where(i => i.ValueKind == JsonValueKind.Object && i.TryGetProperty("linkId", out var l) && l.ValueKind == JsonValueKind.String)
            .Select(i => i.GetProperty("linkId").GetString()).FirstOrDefault(l => !LinkIds.Contains(l!)) is { } unknown
            ? $"{path} has the linkId '{unknown}', which the questionnaire does not have"
            : null;

    // What the response as a whole must have.
    private static string? Resource(JsonElement root, string id, DateTimeOffset now)
    {
        string? Text(string name) => root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        if (Text("resourceType") != "QuestionnaireResponse")
        {
            return "not a QuestionnaireResponse";
        }

        if (Text("status") is not { } status || !Statuses.Contains(status))
        {
            return "no status, or not one of the five";
        }

        if (id.Length > 0 && Text("id") != id)
        {
            return $"an update whose body does not carry the id {id}";
        }

        var url = WhatMattersQuestionnaire.Url(Responses.CanonicalBase);
        if (Text("questionnaire") is not { } questionnaire || (questionnaire != Responses.Canonical && questionnaire != url))
        {
            return "not an answer to a questionnaire known here";
        }

        if (Text("authored") is { } authored && Authored(authored, now) is { } wrong)
        {
            return $"authored {wrong}";
        }

        var contained = root.TryGetProperty("contained", out var resources) && resources.ValueKind == JsonValueKind.Array
            ? resources.EnumerateArray().Select(r => r.ValueKind == JsonValueKind.Object && r.TryGetProperty("id", out var i) && i.ValueKind == JsonValueKind.String ? i.GetString() : null).OfType<string>().ToHashSet()
            : [];
        if (LocalReferences(root).FirstOrDefault(r => r != "#" && !contained.Contains(r[1..])) is { } dangling)
        {
            return $"a local reference '{dangling}' to no contained resource (ref-1)";
        }

        return root.TryGetProperty("subject", out var subject) ? Subject(subject) : "no subject";
    }

    private static IEnumerable<string> LocalReferences(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => element.EnumerateObject().SelectMany(p =>
            p.Name == "reference" && p.Value.ValueKind == JsonValueKind.String && p.Value.GetString() is ['#', ..] local ? [local] : LocalReferences(p.Value)),
        JsonValueKind.Array => element.EnumerateArray().SelectMany(LocalReferences),
        _ => [],
    };

    private static string? Authored(string text, DateTimeOffset now)
    {
        if (!DateTimePattern().IsMatch(text))
        {
            return "is not a FHIR dateTime";
        }

        var date = text.Length >= 10 ? text[..10] : text.Length == 7 ? text + "-01" : text + "-01-01";
        if (!DateTime.TryParseExact(date, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            return "is a day that does not exist";
        }

        return day > now.UtcDateTime.AddDays(1) ? "is in the future" : null;
    }

    private static string? Subject(JsonElement subject)
    {
        if (subject.ValueKind != JsonValueKind.Object)
        {
            return "a subject that is not a reference";
        }

        string? Text(JsonElement e, string name) => e.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        if (Text(subject, "type") is { } type && type != "Patient")
        {
            return "a subject that is not a Patient";
        }

        var reference = Text(subject, "reference");
        var byReference = reference is null ? null : LocalPatient().Match(reference) is { Success: true } m ? m.Groups[1].Value : "";
        if (byReference == "")
        {
            return $"a subject reference '{reference}' to no patient here";
        }

        if (!subject.TryGetProperty("identifier", out var identifier))
        {
            return byReference is null ? "a subject with neither reference nor identifier" : null;
        }

        var byIdentifier = Text(identifier, "system") == "https://fhir.nhs.uk/Id/nhs-number" ? Text(identifier, "value") switch
        {
            "{patientNhs}" => "patient",
            "{otherNhs}" => "other",
            _ => null,
        } : null;
        return byIdentifier is null ? "a subject identifier no patient here has"
            : byReference is not null && byReference != byIdentifier ? "a subject whose reference and identifier name different patients"
            : null;
    }

    [GeneratedRegex(@"^([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1])(T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00)))?)?)?$")]
    private static partial Regex DateTimePattern();

    [GeneratedRegex(@"^(?:http://localhost/fhir/)?Patient/\{(patient|other)\}(?:/_history/[0-9]+)?$")]
    private static partial Regex LocalPatient();
}

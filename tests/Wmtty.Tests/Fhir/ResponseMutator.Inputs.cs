using System.Text;
using System.Text.Json.Nodes;
using Wmtty.Fhir.Questionnaires;
using Wmtty.Tests.Infrastructure;

namespace Wmtty.Tests.Fhir;

/// <summary>What the mutations put in: hostile strings, values of other kinds, wrong canonicals, dates, types and bytes.</summary>
internal sealed partial class ResponseMutator
{
    // Made from the questionnaire again, not from Definitions: the order of field initializers across partial files is not fixed.
    private static readonly Hl7.Fhir.Model.Coding[] Options =
        [.. Flatten(Responses.Definition.Item).SelectMany(d => d.AnswerOption).Select(o => o.Value).OfType<Hl7.Fhir.Model.Coding>()];

    private static readonly string[] Hostile =
    [
        new('a', 300), new('x', 5_000), string.Concat(Enumerable.Repeat("é", 70_000)),
        "\u202Eevil\u202C", "😀", "👩🏽‍⚕️ ok", "محمد", "Zażółć gęślą jaźń", "\u200B", "\uFEFFbom", "line\nbreak", "tab\there",
        "'; DROP TABLE resource;--", "\" OR \"1\"=\"1", "1; DELETE FROM token_index", "Robert'); DROP TABLE Students;--",
        "../../../../etc/passwd", "..\\..\\windows\\win.ini", "Patient/../../QuestionnaireResponse", "%2e%2e%2f",
        "2024-02-30", "2024-13-01", "2026-11-20T25:61:00Z", "0000-00-00", "2026-11-20T10:00:00", "20261120", "2099-01-01T00:00:00Z",
        "not-a-code", "COMPLETED", "completed ", " ", "", "\t", "<script>alert(1)</script>", "${jndi:ldap://x/a}", "{{7*7}}", "\\", "\"", "NaN", "-0", "1e400",
        Raw + "\"a\\u0000b\"", Raw + "\"\\u0007\"", Raw + "\"x\\u001Fy\"", Raw + "\"\\uD800\"", Raw + "\"a\\uDFFFb\"", Raw + "\"\\uDBFF\\uDBFF\"",
        Raw + "\"\\uFFFE\"", Raw + "\"\\uFFFF\"", Raw + "\"\\u0085\"", Raw + "\"\\u2028\"",
    ];

    private static readonly string[] UnknownLinkIds = ["no-such-item", "Preferred-Language", "preferred-language ", "../etc/passwd", "' OR 1=1 --", "😀"];

    private static readonly Func<JsonNode?>[] Kinds =
    [
        () => "text", () => 42, () => -1.5, () => Raw + "1e400", () => Raw + "12345678901234567890", () => true, () => false, () => null,
        () => new JsonObject(), () => new JsonObject { ["value"] = "x" }, () => new JsonArray(), () => new JsonArray("x"), () => new JsonArray(new JsonObject()),
    ];

    private static readonly string[] Questionnaires =
    [
        Responses.Canonical, WhatMattersQuestionnaire.Url(Responses.CanonicalBase), $"{WhatMattersQuestionnaire.Url(Responses.CanonicalBase)}|2.0.0",
        $"{WhatMattersQuestionnaire.Url(Responses.CanonicalBase)}|", $"{WhatMattersQuestionnaire.Url(Responses.CanonicalBase)}|1.0",
        "https://example.org/fhir/Questionnaire/other|1.0.0", "Questionnaire/what-matters-to-you", $"{Responses.Canonical}#x",
        Responses.Canonical.Replace("https:", "http:", StringComparison.Ordinal), Responses.Canonical.ToUpperInvariant(),
    ];

    private static readonly string[] Authored =
    [
        "2026-11-20", "2026-11", "2026", "2020-01-01T00:00:00+01:00", "2099-01-01T00:00:00Z", "2024-02-30T10:00:00Z", "2026-11-20T10:00:00",
        "1900-01-01T00:00:00Z", "0001-01-01T00:00:00Z", "2026-11-20T10:00:00.123456789Z", "2026-11-20T10:00:00+14:00", "2026-02-29",
    ];

    private static readonly Func<JsonObject, string>[] ResourceTypes =
    [
        r => Set(r, "resourceType", "Observation"), r => Set(r, "resourceType", "questionnaireResponse"), r => Set(r, "resourceType", "QuestionnaireResponse "),
        r => Set(r, "resourceType", "Patient"), r => Set(r, "resourceType", ""), r => Set(r, "resourceType", 5), r => Delete(r, "resourceType"),
        r =>
        {
            // Last instead of first: FHIR JSON does not fix the order, so this one is still a QuestionnaireResponse.
            r.Remove("resourceType");
            r["resourceType"] = "QuestionnaireResponse";
            return "resourceType moved to the end";
        },
    ];

    private static readonly byte[][] Inserts =
    [
        [0x00], [0xFF], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xEF, 0xBB, 0xBF], "{"u8.ToArray(), "}"u8.ToArray(), "\""u8.ToArray(), ","u8.ToArray(),
        "[]"u8.ToArray(), "\\"u8.ToArray(), " \n\t"u8.ToArray(), Encoding.UTF8.GetBytes("\u202E"), Encoding.UTF8.GetBytes("😀"), "null"u8.ToArray(),
    ];

    private static readonly Func<(string, JsonNode)>[] Values =
    [
        () => ("valueString", "x"), () => ("valueInteger", 3), () => ("valueDate", "2024-01-01"), () => ("valueDecimal", 1.5),
        () => ("valueReference", new JsonObject { ["reference"] = "Patient/{patient}" }), () => ("valueUri", "urn:x"),
        () => ("valueAttachment", new JsonObject { ["contentType"] = "text/plain", ["data"] = "aGk=" }), () => ("valueBoolean", false),
        () => ("valueCoding", new JsonObject { ["system"] = PreferenceCodes.Bcp47, ["code"] = "pl" }), () => ("valueQuantity", new JsonObject { ["value"] = 1 }),
    ];
}

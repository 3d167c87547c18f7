using System.Net;
using System.Text.Json.Nodes;
using Hl7.Fhir.Model;
using Wmtty.Fhir.Questionnaires;
using Xunit;

namespace Wmtty.Tests.Infrastructure;

/// <summary>
/// Builds QuestionnaireResponses to the seeded questionnaire as real FHIR JSON: answers by linkId,
/// nested and ordered as the questionnaire asks them, with displays in the language answered in.
/// </summary>
public static class Responses
{
    /// <summary>The canonical base in appsettings.json, which the tests run with.</summary>
    public const string CanonicalBase = "https://wmtty.example.org/fhir";

    public static readonly Questionnaire Definition = WhatMattersQuestionnaire.Build(CanonicalBase);

    public static string Canonical => $"{WhatMattersQuestionnaire.Url(CanonicalBase)}|{WhatMattersQuestionnaire.Version}";

    public static string ServiceSystem => PreferenceCodes.ServiceSystem(CanonicalBase);

    /// <summary>A typical set of answers: Polish speaker who needs an interpreter, with 12 extractable answers.</summary>
    public static Dictionary<string, List<JsonObject>> TypicalAnswers() => new()
    {
        ["preferred-language"] = [Coded(PreferenceCodes.Bcp47, "pl")],
        ["interpreter-needed"] = [Boolean(true)],
        ["interpreter-language"] = [Coded(PreferenceCodes.Snomed, "203901000000102")],
        ["contact-method"] = [Coded(PreferenceCodes.ContactMethod, "3"), Coded(PreferenceCodes.ContactMethod, "9")],
        ["written-format"] = [Coded(PreferenceCodes.WrittenFormat, "11")],
        ["religion"] = [Coded(ServiceSystem, "christian")],
        ["diet"] = [Coded(PreferenceCodes.Diet, "vegetarian")],
        ["clinician-gender"] = [Coded(PreferenceCodes.Snomed, "314434008")],
        ["chaperone"] = [Boolean(true)],
        ["who-to-involve"] = [Coded(ServiceSystem, "family-present")],
        ["what-matters-most"] = [Text("Rozmowa z lekarzem po polsku")],
    };

    public static JsonObject Coded(string system, string code) => new() { ["valueCoding"] = new JsonObject { ["system"] = system, ["code"] = code } };

    public static JsonObject Boolean(bool value) => new() { ["valueBoolean"] = value };

    public static JsonObject Text(string value) => new() { ["valueString"] = value };

    /// <summary>
    /// A response to the seeded questionnaire. Coding displays and item texts are written in
    /// <paramref name="language"/> (from the questionnaire's translations), as a portal in that language would send them.
    /// </summary>
    public static JsonObject Build(string patientId, Dictionary<string, List<JsonObject>> answers, string status = "completed", string language = "en", string? authored = "2026-11-20T10:00:00Z")
    {
        var response = new JsonObject
        {
            ["resourceType"] = "QuestionnaireResponse",
            ["language"] = language,
            ["questionnaire"] = Canonical,
            ["status"] = status,
            ["subject"] = new JsonObject { ["reference"] = $"Patient/{patientId}" },
        };
        if (authored is not null)
        {
            response["authored"] = authored;
        }

        var items = ResponseItems.Build(Definition.Item, answers, language);
        if (items.Count > 0)
        {
            response["item"] = items;
        }

        return response;
    }

    /// <summary>Creates a patient with a fresh NHS number; returns its id and NHS number.</summary>
    public static async Task<(string Id, string NhsNumber)> CreatePatientAsync(HttpClient client)
    {
        var nhs = NhsNumbers.Next();
        var patient = await client.CreateAsync($$"""
            {"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"{{nhs}}"}],"name":[{"family":"Kowalska","given":["Anna"]}]}
            """);
        return (patient["id"]!.GetValue<string>(), nhs);
    }

    /// <summary>Posts a response and asserts 201; returns the stored response.</summary>
    public static async Task<JsonNode> SubmitAsync(HttpClient client, JsonObject response)
    {
        using var posted = await client.PostAsync("/fhir/QuestionnaireResponse", Fhir.Json(response));
        var body = await posted.Content.ReadAsStringAsync();
        Assert.True(posted.StatusCode == HttpStatusCode.Created, $"Expected 201, got {(int)posted.StatusCode}: {body}");
        return JsonNode.Parse(body)!;
    }

    /// <summary>The entries of $lastn for a patient, by query string after <c>patient=</c>.</summary>
    public static async Task<List<JsonNode>> LastNAsync(HttpClient client, string query)
    {
        using var response = await client.GetAsync($"/fhir/Observation/$lastn?{query}");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"$lastn gave {(int)response.StatusCode}: {body}");
        var bundle = JsonNode.Parse(body)!;
        Assert.Equal("searchset", bundle["type"]!.GetValue<string>());
        return bundle["entry"]?.AsArray().Select(e => e!["resource"]!).Where(r => r["resourceType"]!.GetValue<string>() == "Observation").ToList() ?? [];
    }

    /// <summary>An Observation as (code, value) text, for comparing sets regardless of ids and times.</summary>
    public static string Key(JsonNode observation)
    {
        var code = observation["code"]!["coding"]![0]!;
        var value = observation["valueCodeableConcept"]?["coding"]?[0] is { } coding
            ? $"{coding["system"]}|{coding["code"]}|{coding["display"]}"
            : (observation["valueBoolean"] ?? observation["valueString"])!.ToJsonString();
        return $"{code["system"]}|{code["code"]} = {value}";
    }
}

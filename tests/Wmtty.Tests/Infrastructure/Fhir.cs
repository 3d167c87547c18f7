using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Wmtty.Tests.Infrastructure;

/// <summary>Small helpers for sending real FHIR JSON and reading what comes back.</summary>
public static class Fhir
{
    public const string JsonType = "application/fhir+json";

    public static StringContent Json(string json) => new(json, Encoding.UTF8, JsonType);

    public static StringContent Json(JsonNode node) => Json(node.ToJsonString());

    public static async Task<JsonNode> BodyAsync(this HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return JsonNode.Parse(text) ?? throw new InvalidOperationException("Empty body.");
    }

    public static async Task<HttpResponseMessage> SendAsync(this HttpClient client, HttpMethod method, string url, HttpContent? content = null, params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(method, url) { Content = content };
        foreach (var (name, value) in headers)
        {
            if (!request.Headers.TryAddWithoutValidation(name, value))
            {
                request.Content?.Headers.TryAddWithoutValidation(name, value);
            }
        }

        return await client.SendAsync(request);
    }

    /// <summary>Creates a resource and returns its JSON as stored; fails the test unless the answer is 201.</summary>
    public static async Task<JsonNode> CreateAsync(this HttpClient client, string json)
    {
        var type = JsonNode.Parse(json)!["resourceType"]!.GetValue<string>();
        using var response = await client.PostAsync($"/fhir/{type}", Json(json));
        var body = await response.Content.ReadAsStringAsync();
        Xunit.Assert.True(response.StatusCode == HttpStatusCode.Created, $"Expected 201 creating a {type}, got {(int)response.StatusCode}: {body}");
        return JsonNode.Parse(body)!;
    }

    /// <summary>Asserts an OperationOutcome with the given status, and returns its first diagnostics text.</summary>
    public static async Task<string> AssertOutcomeAsync(this HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Xunit.Assert.True(response.StatusCode == status, $"Expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Xunit.Assert.StartsWith(JsonType, response.Content.Headers.ContentType?.MediaType ?? "");
        var body = JsonNode.Parse(text)!;
        Xunit.Assert.Equal("OperationOutcome", body["resourceType"]!.GetValue<string>());
        var issue = body["issue"]!.AsArray()[0]!;
        Xunit.Assert.Contains(issue["severity"]!.GetValue<string>(), new[] { "error", "fatal" });
        Xunit.Assert.DoesNotContain("   at ", text); // never a stack trace
        return issue["diagnostics"]?.GetValue<string>() ?? "";
    }

    public static string Patient(string nhsNumber, string family = "Khan", string given = "Amina", string? birthDate = "1980-04-02") => new JsonObject
    {
        ["resourceType"] = "Patient",
        ["identifier"] = new JsonArray(new JsonObject { ["system"] = "https://fhir.nhs.uk/Id/nhs-number", ["value"] = nhsNumber }),
        ["name"] = new JsonArray(new JsonObject { ["family"] = family, ["given"] = new JsonArray(given) }),
        ["birthDate"] = birthDate,
    }.ToJsonString();

    public static string Observation(string patientId, string code = "54588-9", string effective = "2024-05-17T10:30:00Z", string status = "final") => new JsonObject
    {
        ["resourceType"] = "Observation",
        ["status"] = status,
        ["category"] = new JsonArray(new JsonObject
        {
            ["coding"] = new JsonArray(new JsonObject { ["system"] = "http://terminology.hl7.org/CodeSystem/observation-category", ["code"] = "social-history" }),
        }),
        ["code"] = new JsonObject { ["coding"] = new JsonArray(new JsonObject { ["system"] = "http://loinc.org", ["code"] = code }) },
        ["subject"] = new JsonObject { ["reference"] = $"Patient/{patientId}" },
        ["effectiveDateTime"] = effective,
        ["valueBoolean"] = true,
    }.ToJsonString();

    public static string? ETag(this HttpResponseMessage response) => response.Headers.ETag?.ToString();

    public static MediaTypeWithQualityHeaderValue Accept(string mediaType) => new(mediaType);

    public static string Text(this JsonNode node, string property) => node[property]!.GetValue<string>();

    public static int Count(this JsonNode bundle) => (bundle["entry"] as JsonArray)?.Count(e => e!["search"]?["mode"]?.GetValue<string>() != "outcome") ?? 0;

    public static string? Link(this JsonNode bundle, string relation) =>
        bundle["link"]!.AsArray().FirstOrDefault(l => l!["relation"]!.GetValue<string>() == relation)?["url"]?.GetValue<string>();

    public static IEnumerable<JsonNode> Resources(this JsonNode bundle) =>
        (bundle["entry"] as JsonArray ?? []).Select(e => e!["resource"]!).Where(r => r["resourceType"]!.GetValue<string>() != "OperationOutcome");

    public static JsonElement Element(this JsonNode node) => JsonDocument.Parse(node.ToJsonString()).RootElement;
}

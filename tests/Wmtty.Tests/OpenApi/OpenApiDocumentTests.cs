using System.Net;
using System.Text.Json.Nodes;
using Wmtty.Tests.Infrastructure;

namespace Wmtty.Tests.OpenApi;

public sealed class OpenApiDocumentTests : IAsyncLifetime
{
    private const string Regenerate = "dotnet run --project src/Wmtty.Api -- --export-openapi";

    private readonly WmttyApp app = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await app.DisposeAsync();

    private async Task<JsonNode> ServedAsync()
    {
        using var client = app.CreateClient();
        using var response = await client.GetAsync("/swagger/v1/swagger.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    [Fact]
    public async Task TheCommittedDocumentMatchesTheRunningCode()
    {
        var committed = JsonNode.Parse(await File.ReadAllTextAsync(Repository.PathOf("openapi", "wmtty.v1.json")))!;
        var served = await ServedAsync();

        var drift = Differences(committed, served, "$").Take(10).ToList();
        Assert.True(drift.Count == 0,
            $"openapi/wmtty.v1.json has drifted from the code. Regenerate it with `{Regenerate}` and commit it.\n" + string.Join("\n", drift));
    }

    [Fact]
    public async Task TheDocumentDescribesTheFhirEndpointsAndTheBearerScheme()
    {
        var document = await ServedAsync();
        var paths = document["paths"]!.AsObject();
        foreach (var type in new[] { "Patient", "Questionnaire", "QuestionnaireResponse", "Observation" })
        {
            Assert.True(paths.ContainsKey($"/fhir/{type}"), type);
            Assert.True(paths.ContainsKey($"/fhir/{type}/{{id}}"), type);
            Assert.True(paths.ContainsKey($"/fhir/{type}/{{id}}/_history/{{vid}}"), type);
        }

        Assert.Equal("bearer", document["components"]!["securitySchemes"]!["Bearer"]!["scheme"]!.GetValue<string>());
        var read = paths["/fhir/Patient/{id}"]!["get"]!;
        Assert.NotNull(read["security"]);
        Assert.NotNull(read["responses"]!["default"]);
        Assert.Null(paths["/fhir/metadata"]!["get"]!["security"]);

        var searchParameters = paths["/fhir/Observation"]!["get"]!["parameters"]!.AsArray().Select(p => p!["name"]!.GetValue<string>()).ToHashSet();
        Assert.Superset(new HashSet<string> { "patient", "code", "category", "date", "_count", "_sort" }, searchParameters);
        Assert.False(paths.ContainsKey("/dev/token"));
    }

    [Fact]
    public async Task TheSwaggerUiIsServed()
    {
        using var client = app.CreateClient();
        using var response = await client.GetAsync("/swagger/index.html");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("swagger-ui", await response.Content.ReadAsStringAsync());
    }

    private static IEnumerable<string> Differences(JsonNode? expected, JsonNode? actual, string path)
    {
        switch (expected, actual)
        {
            case (JsonObject e, JsonObject a):
                foreach (var key in e.Select(p => p.Key).Union(a.Select(p => p.Key)))
                {
                    if (!e.ContainsKey(key))
                    {
                        yield return $"{path}.{key}: in the code, not in the file";
                    }
                    else if (!a.ContainsKey(key))
                    {
                        yield return $"{path}.{key}: in the file, not in the code";
                    }
                    else
                    {
                        foreach (var difference in Differences(e[key], a[key], $"{path}.{key}"))
                        {
                            yield return difference;
                        }
                    }
                }

                break;
            case (JsonArray e, JsonArray a) when e.Count == a.Count:
                for (var i = 0; i < e.Count; i++)
                {
                    foreach (var difference in Differences(e[i], a[i], $"{path}[{i}]"))
                    {
                        yield return difference;
                    }
                }

                break;
            default:
                if (!JsonNode.DeepEquals(expected, actual))
                {
                    yield return $"{path}: file has {Shorten(expected)}, code has {Shorten(actual)}";
                }

                break;
        }
    }

    private static string Shorten(JsonNode? node)
    {
        var text = node?.ToJsonString() ?? "null";
        return text.Length <= 120 ? text : text[..120] + "…";
    }
}

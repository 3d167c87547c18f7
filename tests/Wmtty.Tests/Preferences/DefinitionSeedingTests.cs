using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Wmtty.Api.Definitions;
using Wmtty.Fhir.Questionnaires;
using Wmtty.Tests.Infrastructure;
using Xunit;
using FhirModel = Hl7.Fhir.Model;

namespace Wmtty.Tests.Preferences;

/// <summary>The questionnaire, CodeSystem and ValueSets are stored at start-up, one resource per version.</summary>
public sealed class DefinitionSeedingTests
{
    private static string QuestionnaireUrl => WhatMattersQuestionnaire.Url(Responses.CanonicalBase);

    [Fact]
    public async Task TheQuestionnaireAndTerminologyAreServedAndSearchableByUrl()
    {
        await using var app = new WmttyApp();
        using var client = await app.ClientAsync("ehr");

        var questionnaire = Assert.Single((await (await client.GetAsync($"/fhir/Questionnaire?url={QuestionnaireUrl}&version={WhatMattersQuestionnaire.Version}")).BodyAsync()).Resources());
        Assert.Equal("active", questionnaire.Text("status"));
        Assert.Equal(WhatMattersQuestionnaire.Id, questionnaire.Text("id"));
        Assert.Equal(5, questionnaire["item"]!.AsArray().Count);

        var codeSystem = Assert.Single((await (await client.GetAsync($"/fhir/CodeSystem?url={Responses.ServiceSystem}")).BodyAsync()).Resources());
        Assert.Equal(PreferenceCodes.ServiceConcepts.Count, codeSystem["concept"]!.AsArray().Count);
        Assert.Single((await (await client.GetAsync($"/fhir/CodeSystem?code=prefer-not-to-say")).BodyAsync()).Resources());

        foreach (var name in new[] { PreferenceTerminology.SectionsName, PreferenceTerminology.CodesName })
        {
            var valueSet = Assert.Single((await (await client.GetAsync($"/fhir/ValueSet?url={Responses.CanonicalBase}/ValueSet/{name}")).BodyAsync()).Resources());
            Assert.NotEmpty(valueSet["compose"]!["include"]!.AsArray());
        }

        // Every Observation code the questionnaire can produce is in the preference-codes ValueSet.
        var codes = Assert.Single((await (await client.GetAsync($"/fhir/ValueSet?url={Responses.CanonicalBase}/ValueSet/{PreferenceTerminology.CodesName}")).BodyAsync()).Resources());
        var listed = codes["compose"]!["include"]!.AsArray().SelectMany(i => i!["concept"]!.AsArray().Select(c => $"{i["system"]}|{c!["code"]}")).ToHashSet();
        foreach (var (item, _) in Questionnaires.QuestionnaireDefinitionTests.Items(Responses.Definition.Item, "Q").Where(x => x.Item.Code.Count > 0))
        {
            Assert.Contains($"{item.Code[0].System}|{item.Code[0].Code}", listed);
        }
    }

    [Fact]
    public async Task EveryOperationTheCapabilityStatementNamesCanBeLookedUp()
    {
        await using var app = new WmttyApp();
        using var client = await app.ClientAsync("ehr");
        var statement = await (await client.GetAsync("/fhir/metadata")).BodyAsync();
        var definitions = statement["rest"]![0]!["resource"]!.AsArray()
            .SelectMany(r => r!["operation"]?.AsArray() ?? [])
            .Select(o => o!["definition"]!.GetValue<string>())
            .Where(d => d.StartsWith(Responses.CanonicalBase, StringComparison.Ordinal))
            .ToList();
        Assert.Equal(2, definitions.Distinct().Count()); // $wmtty-summary and $erase
        var found = new Dictionary<string, JsonNode>();
        foreach (var url in definitions.Distinct())
        {
            var definition = Assert.Single((await (await client.GetAsync($"/fhir/OperationDefinition?url={url}")).BodyAsync()).Resources());
            Assert.Equal(url, definition.Text("url"));
            Assert.Equal(("operation", true), (definition.Text("kind"), definition["instance"]!.GetValue<bool>()));
            found[definition.Text("code")] = definition;
        }

        Assert.Equal(["erase", "wmtty-summary"], found.Keys.Order());
        Assert.Equal("Bundle", found["wmtty-summary"]["parameter"]![0]!["type"]!.GetValue<string>());
        Assert.True(found["erase"]["affectsState"]!.GetValue<bool>());
    }

    [Fact]
    public async Task RestartingWithTheSameDefinitionsWritesNothingNew()
    {
        var folder = Path.Combine(Path.GetTempPath(), "wmtty-tests", Guid.NewGuid().ToString("N"));
        try
        {
            await using (var first = new WmttyApp(dataDirectory: folder))
            {
                using var client = await first.ClientAsync();
            }

            await using var second = new WmttyApp(dataDirectory: folder);
            using var again = await second.ClientAsync();
            var questionnaire = Assert.Single((await (await again.GetAsync($"/fhir/Questionnaire?url={QuestionnaireUrl}")).BodyAsync()).Resources());
            Assert.Equal("1", questionnaire["meta"]!["versionId"]!.GetValue<string>());
        }
        finally
        {
            WmttyApp.DeleteDataFolder(folder);
        }
    }

    [Fact]
    public async Task ANewQuestionnaireVersionRetiresTheOldOneAndOldResponsesKeepTheirVersion()
    {
        var folder = Path.Combine(Path.GetTempPath(), "wmtty-tests", Guid.NewGuid().ToString("N"));
        try
        {
            string patientId, responseId;
            await using (var first = new WmttyApp(dataDirectory: folder))
            {
                using var client = await first.ClientAsync();
                (patientId, _) = await Responses.CreatePatientAsync(client);
                responseId = (await Responses.SubmitAsync(client, Responses.Build(patientId, Responses.TypicalAnswers())))["id"]!.GetValue<string>();
            }

            await using var second = new WmttyApp(dataDirectory: folder).WithDefinitions(Changed("1.1.0", "What matters to you, now"));
            using var http = await second.ClientAsync();
            var versions = (await (await http.GetAsync($"/fhir/Questionnaire?url={QuestionnaireUrl}")).BodyAsync()).Resources()
                .ToDictionary(q => q.Text("version"), q => q.Text("status"));
            Assert.Equal(new Dictionary<string, string> { ["1.0.0"] = "retired", ["1.1.0"] = "active" }, versions);

            var old = await (await http.GetAsync($"/fhir/QuestionnaireResponse/{responseId}")).BodyAsync();
            Assert.Equal(Responses.Canonical, old.Text("questionnaire"));
            var answers = Responses.TypicalAnswers();
            var newer = Responses.Build(patientId, answers, authored: "2026-11-22T10:00:00Z");
            newer["questionnaire"] = $"{QuestionnaireUrl}|1.1.0";
            await Responses.SubmitAsync(http, newer);

            // $populate now offers the new version.
            using var populated = await http.PostAsync("/fhir/Questionnaire/$populate", Infrastructure.Fhir.Json(
                $$$"""{"resourceType":"Parameters","parameter":[{"name":"subject","valueReference":{"reference":"Patient/{{{patientId}}}"}}]}"""));
            Assert.Equal($"{QuestionnaireUrl}|1.1.0", (await populated.BodyAsync())["parameter"]![0]!["resource"]!.Text("questionnaire"));
        }
        finally
        {
            WmttyApp.DeleteDataFolder(folder);
        }
    }

    [Fact]
    public async Task AQuestionnaireChangedWithoutANewVersionStopsStartUp()
    {
        var folder = Path.Combine(Path.GetTempPath(), "wmtty-tests", Guid.NewGuid().ToString("N"));
        try
        {
            await using (var first = new WmttyApp(dataDirectory: folder))
            {
                using var client = await first.ClientAsync();
            }

            await using var second = new WmttyApp(dataDirectory: folder).WithDefinitions(Changed(WhatMattersQuestionnaire.Version, "A different title"));
            var failure = await Assert.ThrowsAnyAsync<Exception>(async () => await second.ClientAsync());
            Assert.Contains("needs a new version", failure.ToString());
        }
        finally
        {
            WmttyApp.DeleteDataFolder(folder);
        }
    }

    private static DefinitionSet Changed(string version, string title) => new(canonicalBase =>
    {
        var questionnaire = WhatMattersQuestionnaire.Build(canonicalBase);
        questionnaire.Version = version;
        questionnaire.Id = "what-matters-to-you-" + version;
        questionnaire.Title = title;
        return [questionnaire];
    });
}

internal static class DefinitionOverrides
{
    public static WmttyApp WithDefinitions(this WmttyApp app, DefinitionSet definitions)
    {
        app.Replacements.Add(services => services.AddSingleton(definitions));
        return app;
    }
}

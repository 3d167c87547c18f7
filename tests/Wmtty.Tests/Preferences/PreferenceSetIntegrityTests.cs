using System.Net;
using System.Text.Json.Nodes;
using Wmtty.Fhir.Questionnaires;
using Wmtty.Tests.Infrastructure;
using Xunit;

namespace Wmtty.Tests.Preferences;

/// <summary>What the second hostile review found: sets follow exactly the right Observations.</summary>
public sealed class PreferenceSetIntegrityTests : AppTest
{
    private async Task<List<JsonNode>> CurrentAsync(string patientId) => await Responses.LastNAsync(Client, $"patient={patientId}");

    private async Task PutAsync(JsonNode response)
    {
        using var put = await Client.PutAsync($"/fhir/QuestionnaireResponse/{response["id"]}", Infrastructure.Fhir.Json(response.ToJsonString()));
        Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
    }

    private static Dictionary<string, List<JsonObject>> With(string diet)
    {
        var answers = Responses.TypicalAnswers();
        answers["diet"] = [Responses.Coded(PreferenceCodes.Diet, diet)];
        return answers;
    }

    [Fact]
    public async Task FallingBackToAnAmendedResponseBringsBackOnlyItsLatestAnswers()
    {
        var (patientId, _) = await Responses.CreatePatientAsync(Client);
        var first = await Responses.SubmitAsync(Client, Responses.Build(patientId, With("vegan"), authored: "2026-11-01T09:00:00Z"));
        var amended = Responses.Build(patientId, With("kosher"), status: "amended", authored: "2026-11-01T09:00:00Z");
        amended["id"] = first["id"]!.GetValue<string>();
        await PutAsync(amended);
        var later = await Responses.SubmitAsync(Client, Responses.Build(patientId, With("halal"), authored: "2026-11-10T09:00:00Z"));

        using var deleted = await Client.DeleteAsync($"/fhir/QuestionnaireResponse/{later["id"]}");
        var current = await CurrentAsync(patientId);
        Assert.Equal(12, current.Count);
        Assert.Equal("kosher", Assert.Single(current, o => o["code"]!["coding"]![0]!["code"]!.GetValue<string>() == "diet")["valueCodeableConcept"]!["coding"]![0]!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task ObservationsClaimingToBeDerivedFromAResponseDoNotJoinItsSet()
    {
        var (patientId, _) = await Responses.CreatePatientAsync(Client);
        var (other, _) = await Responses.CreatePatientAsync(Client);
        var first = await Responses.SubmitAsync(Client, Responses.Build(patientId, With("vegan"), authored: "2026-11-01T09:00:00Z"));
        var later = await Responses.SubmitAsync(Client, Responses.Build(patientId, With("halal"), authored: "2026-11-10T09:00:00Z"));
        var injected = JsonNode.Parse(Infrastructure.Fhir.Observation(other))!;
        injected["derivedFrom"] = new JsonArray(new JsonObject { ["reference"] = $"QuestionnaireResponse/{first["id"]}" });
        await Client.CreateAsync(injected.ToJsonString());

        using var deleted = await Client.DeleteAsync($"/fhir/QuestionnaireResponse/{later["id"]}");
        var current = await CurrentAsync(patientId);
        Assert.Equal(12, current.Count);
        Assert.All(current, o => Assert.Equal($"Patient/{patientId}", o["subject"]!["reference"]!.GetValue<string>()));
    }

    [Fact]
    public async Task AMovedResponsesAnswersAreWithdrawnFromTheFirstPatient()
    {
        var (wrong, _) = await Responses.CreatePatientAsync(Client);
        var (right, _) = await Responses.CreatePatientAsync(Client);
        await Responses.SubmitAsync(Client, Responses.Build(right, With("vegan"), authored: "2026-11-01T09:00:00Z"));
        var stored = await Responses.SubmitAsync(Client, Responses.Build(wrong, With("halal"), authored: "2026-11-10T09:00:00Z"));
        stored["subject"] = new JsonObject { ["reference"] = $"Patient/{right}" };
        await PutAsync(stored);

        using var left = await Client.GetAsync($"/fhir/Observation?patient={wrong}&status=final");
        Assert.Null((await left.BodyAsync())["entry"]);
        var current = await CurrentAsync(right);
        Assert.Contains(current, o => Responses.Key(o).Contains("diet|halal", StringComparison.Ordinal));
        Assert.All(current, o => Assert.Equal($"Patient/{right}", o["subject"]!["reference"]!.GetValue<string>()));
    }

    [Fact]
    public async Task WithdrawingTheOnlyResponseTakesItsInterpreterFlagAndPreferredLanguageOffThePatient()
    {
        var (patientId, _) = await Responses.CreatePatientAsync(Client);
        var stored = await Responses.SubmitAsync(Client, Responses.Build(patientId, Responses.TypicalAnswers()));
        stored["status"] = "entered-in-error";
        await PutAsync(stored);

        var patient = await (await Client.GetAsync($"/fhir/Patient/{patientId}")).BodyAsync();
        Assert.DoesNotContain(patient["extension"]?.AsArray() ?? [], e => e!["url"]!.GetValue<string>().EndsWith("patient-interpreterRequired", StringComparison.Ordinal));
        Assert.All(patient["communication"]?.AsArray() ?? [], c => Assert.Null(c!["preferred"]));
    }

    [Fact]
    public async Task AResponseGivenByNhsNumberAloneIsFallenBackTo()
    {
        var (patientId, nhs) = await Responses.CreatePatientAsync(Client);
        var byNumber = Responses.Build(patientId, With("vegan"), authored: "2026-11-01T09:00:00Z");
        byNumber["subject"] = new JsonObject { ["identifier"] = new JsonObject { ["system"] = "https://fhir.nhs.uk/Id/nhs-number", ["value"] = nhs } };
        await Responses.SubmitAsync(Client, byNumber);
        var later = await Responses.SubmitAsync(Client, Responses.Build(patientId, With("halal"), authored: "2026-11-10T09:00:00Z"));
        later["status"] = "entered-in-error";
        await PutAsync(later);
        Assert.Contains(await CurrentAsync(patientId), o => Responses.Key(o).Contains("diet|vegan", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ClientsCannotTakeOverAPublishedDefinitionByRenamingIt()
    {
        var questionnaire = await (await Client.GetAsync($"/fhir/Questionnaire/{WhatMattersQuestionnaire.Id}")).BodyAsync();
        questionnaire["url"] = "http://mine.example/q";
        using var put = await Client.PutAsync($"/fhir/Questionnaire/{WhatMattersQuestionnaire.Id}", Infrastructure.Fhir.Json(questionnaire));
        await put.AssertOutcomeAsync(HttpStatusCode.UnprocessableEntity);
        using var conditional = await Client.PutAsync($"/fhir/Questionnaire?url={WhatMattersQuestionnaire.Url(Responses.CanonicalBase)}", Infrastructure.Fhir.Json(questionnaire));
        await conditional.AssertOutcomeAsync(HttpStatusCode.UnprocessableEntity);
        questionnaire["url"] = "HTTPS://WMTTY.EXAMPLE.ORG/fhir/Questionnaire/copy";
        questionnaire.AsObject().Remove("id");
        using var shouting = await Client.PostAsync("/fhir/Questionnaire", Infrastructure.Fhir.Json(questionnaire));
        await shouting.AssertOutcomeAsync(HttpStatusCode.UnprocessableEntity);
    }

    [Fact]
    public async Task MalformedTimesAndQuestionnairesAreRefused()
    {
        var (patientId, _) = await Responses.CreatePatientAsync(Client);
        using var noSeconds = await Client.PostAsync("/fhir/QuestionnaireResponse", Infrastructure.Fhir.Json(Responses.Build(patientId, Responses.TypicalAnswers(), authored: "2025-01-01T10:00Z")));
        await noSeconds.AssertOutcomeAsync(HttpStatusCode.BadRequest);

        using var duplicate = await Client.PostAsync("/fhir/Questionnaire", Infrastructure.Fhir.Json("""
            {"resourceType":"Questionnaire","status":"draft","url":"https://trust.example.nhs.uk/q/dup","version":"1",
             "item":[{"linkId":"a","type":"boolean"},{"linkId":"a","type":"string","enableWhen":[{"question":"nowhere","operator":"exists","answerBoolean":true}]}]}
            """));
        var text = await duplicate.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.UnprocessableEntity, duplicate.StatusCode);
        Assert.Contains("que-2", text);
        Assert.Contains("nowhere", text);
    }
}

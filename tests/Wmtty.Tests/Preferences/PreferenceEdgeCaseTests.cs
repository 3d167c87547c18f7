using System.Net;
using System.Text.Json.Nodes;
using Wmtty.Fhir.Questionnaires;
using Wmtty.Tests.Infrastructure;
using Xunit;

namespace Wmtty.Tests.Preferences;

/// <summary>What a hostile review found: the current set must follow only the right responses, however they change.</summary>
public sealed class PreferenceEdgeCaseTests : AppTest
{
    private async Task<(string Id, string Nhs)> PatientAsync() => await Responses.CreatePatientAsync(Client);

    private async Task<List<JsonNode>> CurrentAsync(string patientId) => await Responses.LastNAsync(Client, $"patient={patientId}");

    private async Task<HttpStatusCode> PutAsync(JsonNode response)
    {
        using var put = await Client.PutAsync($"/fhir/QuestionnaireResponse/{response["id"]}", Infrastructure.Fhir.Json(response.ToJsonString()));
        Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        return put.StatusCode;
    }

    [Fact]
    public async Task AResponseToAnotherQuestionnaireExtractsButDoesNotReplaceThePreferences()
    {
        var (patientId, _) = await PatientAsync();
        await Responses.SubmitAsync(Client, Responses.Build(patientId, Responses.TypicalAnswers()));
        await Client.CreateAsync("""
            {"resourceType":"Questionnaire","url":"https://trust.example.nhs.uk/Questionnaire/phq2","version":"1","status":"active",
             "item":[{"linkId":"q1","type":"integer","code":[{"system":"http://loinc.org","code":"44250-9"}],
                      "extension":[{"url":"http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-observationExtract","valueBoolean":true}]}]}
            """);
        await Responses.SubmitAsync(Client, JsonNode.Parse($$$"""
            {"resourceType":"QuestionnaireResponse","questionnaire":"https://trust.example.nhs.uk/Questionnaire/phq2|1","status":"completed",
             "subject":{"reference":"Patient/{{{patientId}}}"},"authored":"2026-11-22T10:00:00Z","item":[{"linkId":"q1","answer":[{"valueInteger":2}]}]}
            """)!.AsObject());

        Assert.Equal(12, (await CurrentAsync(patientId)).Count);
        using var phq = await Client.GetAsync($"/fhir/Observation?patient={patientId}&code=http://loinc.org|44250-9");
        Assert.Single((await phq.BodyAsync())["entry"]!.AsArray()); // SDC extraction still happened
    }

    [Fact]
    public async Task AResponseTakenBackToInProgressWithdrawsItsSet()
    {
        var (patientId, _) = await PatientAsync();
        var earlier = Responses.TypicalAnswers();
        earlier["diet"] = [Responses.Coded(PreferenceCodes.Diet, "vegan")];
        await Responses.SubmitAsync(Client, Responses.Build(patientId, earlier, authored: "2026-11-01T09:00:00Z"));
        var later = await Responses.SubmitAsync(Client, Responses.Build(patientId, Responses.TypicalAnswers(), authored: "2026-11-10T09:00:00Z"));

        later["status"] = "in-progress";
        await PutAsync(later);
        Assert.Contains(await CurrentAsync(patientId), o => Responses.Key(o).Contains("diet|vegan", StringComparison.Ordinal));
        using var withdrawn = await Client.GetAsync($"/fhir/Observation?derived-from=QuestionnaireResponse/{later["id"]}&status=cancelled&_count=50");
        Assert.Equal(12, (await withdrawn.BodyAsync())["entry"]!.AsArray().Count);
    }

    [Fact]
    public async Task MovingAResponseToAnotherPatientMovesItsPreferences()
    {
        var (wrong, _) = await PatientAsync();
        var (right, _) = await PatientAsync();
        var stored = await Responses.SubmitAsync(Client, Responses.Build(wrong, Responses.TypicalAnswers()));

        stored["subject"] = new JsonObject { ["reference"] = $"Patient/{right}" };
        await PutAsync(stored);
        Assert.Empty(await CurrentAsync(wrong));
        var moved = await CurrentAsync(right);
        Assert.Equal(12, moved.Count);
        Assert.All(moved, o => Assert.Equal($"Patient/{right}", o["subject"]!["reference"]!.GetValue<string>()));

        using var summary = await Client.GetAsync($"/fhir/Patient/{wrong}/$wmtty-summary");
        var entries = (await summary.BodyAsync())["entry"]!.AsArray();
        Assert.DoesNotContain(entries, e => e!["resource"]!["resourceType"]!.GetValue<string>() is "QuestionnaireResponse" or "Observation");
    }

    [Fact]
    public async Task DeletingTheResponseBehindThePreferencesBringsBackThePreviousSet()
    {
        var (patientId, _) = await PatientAsync();
        var earlier = Responses.TypicalAnswers();
        earlier["diet"] = [Responses.Coded(PreferenceCodes.Diet, "vegan")];
        await Responses.SubmitAsync(Client, Responses.Build(patientId, earlier, authored: "2026-11-01T09:00:00Z"));
        var later = await Responses.SubmitAsync(Client, Responses.Build(patientId, Responses.TypicalAnswers(), authored: "2026-11-10T09:00:00Z"));

        using var deleted = await Client.DeleteAsync($"/fhir/QuestionnaireResponse/{later["id"]}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Contains(await CurrentAsync(patientId), o => Responses.Key(o).Contains("diet|vegan", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AmendingAResponseReplacesItsOwnSetEvenWithAnEarlierAuthoredTime()
    {
        var (patientId, _) = await PatientAsync();
        var stored = await Responses.SubmitAsync(Client, Responses.Build(patientId, Responses.TypicalAnswers(), authored: "2026-11-10T09:00:00Z"));
        var amended = Responses.TypicalAnswers();
        amended["diet"] = [Responses.Coded(PreferenceCodes.Diet, "kosher")];
        var body = Responses.Build(patientId, amended, status: "amended", authored: "2026-11-09T09:00:00Z");
        body["id"] = stored["id"]!.GetValue<string>();
        await PutAsync(body);
        Assert.Contains(await CurrentAsync(patientId), o => Responses.Key(o).Contains("diet|kosher", StringComparison.Ordinal));
        Assert.Equal(12, (await CurrentAsync(patientId)).Count);
    }

    [Fact]
    public async Task AnAuthoredTimeInTheFutureIsRefused()
    {
        var (patientId, _) = await PatientAsync();
        using var posted = await Client.PostAsync("/fhir/QuestionnaireResponse", Infrastructure.Fhir.Json(Responses.Build(patientId, Responses.TypicalAnswers(), authored: "2999-01-01T00:00:00Z")));
        await posted.AssertOutcomeAsync(HttpStatusCode.UnprocessableEntity);
        Assert.Equal("QuestionnaireResponse.authored", (await posted.BodyAsync())["issue"]![0]!["expression"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task TheSameAnswerTwiceIsRefused()
    {
        var (patientId, _) = await PatientAsync();
        var answers = Responses.TypicalAnswers();
        answers["diet"] = [Responses.Coded(PreferenceCodes.Diet, "halal"), Responses.Coded(PreferenceCodes.Diet, "halal")];
        using var posted = await Client.PostAsync("/fhir/QuestionnaireResponse", Infrastructure.Fhir.Json(Responses.Build(patientId, answers)));
        await posted.AssertOutcomeAsync(HttpStatusCode.UnprocessableEntity);
        var issue = Assert.Single((await posted.BodyAsync())["issue"]!.AsArray())!;
        Assert.Equal(("duplicate", "QuestionnaireResponse.item[1].item[1].answer[1]"), (issue["code"]!.GetValue<string>(), issue["expression"]![0]!.GetValue<string>()));
    }

    [Fact]
    public async Task LanguagesNotInTheListAreNamedInTheSummaryAndOnThePatient()
    {
        var (patientId, _) = await PatientAsync();
        var answers = Responses.TypicalAnswers();
        answers["preferred-language"] = [Responses.Coded(Responses.ServiceSystem, PreferenceCodes.OtherLanguage)];
        answers[WhatMattersQuestionnaire.PreferredLanguageOtherLinkId] = [Responses.Text("Tigrinya")];
        answers["interpreter-language"] = [Responses.Coded(PreferenceCodes.Snomed, "203311000000101")]; // Arabic
        await Responses.SubmitAsync(Client, Responses.Build(patientId, answers));

        using var summary = await Client.GetAsync($"/fhir/Patient/{patientId}/$wmtty-summary");
        var headline = (await summary.BodyAsync())["entry"]![0]!["resource"]!["text"]!["div"]!.GetValue<string>();
        Assert.Contains("Interpreter needed: Arabic.", headline);
        Assert.Contains("Preferred language: </strong>Tigrinya", headline);

        var patient = await (await Client.GetAsync($"/fhir/Patient/{patientId}")).BodyAsync();
        var communication = patient["communication"]!.AsArray();
        Assert.Contains(communication, c => c!["language"]!["text"]?.GetValue<string>() == "Tigrinya" && c["preferred"]!.GetValue<bool>());
        Assert.Contains(communication, c => c!["language"]!["coding"]?[0]?["code"]?.GetValue<string>() == "ar");

        var missingName = Responses.TypicalAnswers();
        missingName["preferred-language"] = [Responses.Coded(Responses.ServiceSystem, PreferenceCodes.OtherLanguage)];
        using var refused = await Client.PostAsync("/fhir/QuestionnaireResponse", Infrastructure.Fhir.Json(Responses.Build(patientId, missingName)));
        Assert.Contains(WhatMattersQuestionnaire.PreferredLanguageOtherLinkId, await refused.AssertOutcomeAsync(HttpStatusCode.UnprocessableEntity));
    }

    [Fact]
    public async Task LanguagesTheRecordAlreadyHadAreKept()
    {
        var patient = await Client.CreateAsync($$$"""
            {"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"{{{NhsNumbers.Next()}}}"}],
             "communication":[{"language":{"coding":[{"system":"urn:ietf:bcp:47","code":"fr"}]},"preferred":true},{"language":{"coding":[{"system":"urn:ietf:bcp:47","code":"de"}]}}]}
            """);
        var patientId = patient["id"]!.GetValue<string>();
        await Responses.SubmitAsync(Client, Responses.Build(patientId, Responses.TypicalAnswers()));
        var after = await (await Client.GetAsync($"/fhir/Patient/{patientId}")).BodyAsync();
        var languages = after["communication"]!.AsArray().ToDictionary(c => c!["language"]!["coding"]![0]!["code"]!.GetValue<string>(), c => c!["preferred"]?.GetValue<bool>() == true);
        Assert.Equal(new Dictionary<string, bool> { ["fr"] = false, ["de"] = false, ["pl"] = true }, languages);
    }

    [Fact]
    public async Task RepeatedOperationParametersAreA400NotA500()
    {
        var (patientId, _) = await PatientAsync();
        var subject = new JsonObject { ["name"] = "subject", ["valueReference"] = new JsonObject { ["reference"] = $"Patient/{patientId}" } };
        var twice = new JsonObject { ["resourceType"] = "Parameters", ["parameter"] = new JsonArray(subject.DeepClone(), subject.DeepClone()) };
        using var populate = await Client.PostAsync("/fhir/Questionnaire/$populate", Infrastructure.Fhir.Json(twice));
        await populate.AssertOutcomeAsync(HttpStatusCode.BadRequest);

        var response = Responses.Build(patientId, Responses.TypicalAnswers());
        var two = new JsonObject
        {
            ["resourceType"] = "Parameters",
            ["parameter"] = new JsonArray(
                new JsonObject { ["name"] = "questionnaire-response", ["resource"] = response.DeepClone() },
                new JsonObject { ["name"] = "questionnaire-response", ["resource"] = response.DeepClone() }),
        };
        using var extract = await Client.PostAsync("/fhir/QuestionnaireResponse/$extract", Infrastructure.Fhir.Json(two));
        await extract.AssertOutcomeAsync(HttpStatusCode.BadRequest);

        var wrongType = new JsonObject { ["resourceType"] = "Parameters", ["parameter"] = new JsonArray(subject.DeepClone(), new JsonObject { ["name"] = "canonical", ["valueInteger"] = 3 }) };
        using var canonical = await Client.PostAsync("/fhir/Questionnaire/$populate", Infrastructure.Fhir.Json(wrongType));
        await canonical.AssertOutcomeAsync(HttpStatusCode.BadRequest);

        var rightType = new JsonObject { ["resourceType"] = "Parameters", ["parameter"] = new JsonArray(subject.DeepClone(), new JsonObject { ["name"] = "canonical", ["valueCanonical"] = Responses.Canonical }) };
        using var byCanonical = await Client.PostAsync("/fhir/Questionnaire/$populate", Infrastructure.Fhir.Json(rightType));
        Assert.Equal(HttpStatusCode.OK, byCanonical.StatusCode);
    }

    [Fact]
    public async Task LastNWithMaxOrdersEarlierValuesByWhenTheyWereGivenAndKeepsTheFilters()
    {
        var (patientId, _) = await PatientAsync();
        foreach (var (diet, day) in new[] { ("vegan", "20"), ("kosher", "10"), ("vegetarian", "01"), ("halal", "21") }) // typed in out of order
        {
            var answers = Responses.TypicalAnswers();
            answers["diet"] = [Responses.Coded(PreferenceCodes.Diet, diet)];
            await Responses.SubmitAsync(Client, Responses.Build(patientId, answers, authored: $"2026-11-{day}T09:00:00Z"));
        }

        var three = await Responses.LastNAsync(Client, $"patient={patientId}&code={Responses.ServiceSystem}|diet&max=3");
        Assert.Equal(["halal", "vegan", "kosher"], three.Select(o => o["valueCodeableConcept"]!["coding"]![0]!["code"]!.GetValue<string>()));

        var stray = JsonNode.Parse(Infrastructure.Fhir.Observation(patientId))!;
        stray["code"] = new JsonObject { ["coding"] = new JsonArray(new JsonObject { ["system"] = Responses.ServiceSystem, ["code"] = "diet" }) };
        stray["status"] = "entered-in-error";
        stray["effectiveDateTime"] = "2026-11-20T12:00:00Z";
        await Client.CreateAsync(stray.ToJsonString());
        var final = await Responses.LastNAsync(Client, $"patient={patientId}&code={Responses.ServiceSystem}|diet&status=final&max=3");
        Assert.All(final, o => Assert.Equal("final", o["status"]!.GetValue<string>()));
    }

    [Fact]
    public async Task LastNRefusesAnIdentifierTwoPatientsShareAndForgetsADeletedPatient()
    {
        var nhs = NhsNumbers.Next();
        await Client.CreateAsync(Infrastructure.Fhir.Patient(nhs));
        await Client.CreateAsync(Infrastructure.Fhir.Patient(nhs));
        using var shared = await Client.GetAsync($"/fhir/Observation/$lastn?subject:identifier=https://fhir.nhs.uk/Id/nhs-number|{nhs}");
        await shared.AssertOutcomeAsync(HttpStatusCode.UnprocessableEntity);

        var (patientId, _) = await PatientAsync();
        await Responses.SubmitAsync(Client, Responses.Build(patientId, Responses.TypicalAnswers()));
        using var deleted = await Client.DeleteAsync($"/fhir/Patient/{patientId}");
        Assert.Empty(await CurrentAsync(patientId));
    }

    [Fact]
    public async Task ADeviceAuthorIsNotAPerformerAndSubjectsMustReallyBePatients()
    {
        var (patientId, _) = await PatientAsync();
        var response = Responses.Build(patientId, Responses.TypicalAnswers());
        response["author"] = new JsonObject { ["reference"] = "https://other.example/fhir/Device/Patient" };
        await Responses.SubmitAsync(Client, response);
        Assert.All(await CurrentAsync(patientId), o => Assert.Null(o["performer"]));

        var typed = Responses.Build(patientId, Responses.TypicalAnswers());
        typed["subject"]!["type"] = "Observation";
        using var wrongType = await Client.PostAsync("/fhir/QuestionnaireResponse", Infrastructure.Fhir.Json(typed));
        await wrongType.AssertOutcomeAsync(HttpStatusCode.UnprocessableEntity);

        var noSystem = Responses.Build(patientId, Responses.TypicalAnswers());
        noSystem["subject"] = new JsonObject { ["identifier"] = new JsonObject { ["value"] = "9434765919" } };
        using var systemless = await Client.PostAsync("/fhir/QuestionnaireResponse", Infrastructure.Fhir.Json(noSystem));
        await systemless.AssertOutcomeAsync(HttpStatusCode.UnprocessableEntity);

        var badLanguage = Responses.Build(patientId, Responses.TypicalAnswers());
        badLanguage["language"] = "not a lang!!";
        using var language = await Client.PostAsync("/fhir/QuestionnaireResponse", Infrastructure.Fhir.Json(badLanguage));
        await language.AssertOutcomeAsync(HttpStatusCode.UnprocessableEntity);
    }
}

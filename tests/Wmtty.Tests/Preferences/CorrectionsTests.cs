using System.Net;
using System.Text.Json.Nodes;
using Wmtty.Fhir.Questionnaires;
using Wmtty.Tests.Infrastructure;
using Xunit;

namespace Wmtty.Tests.Preferences;

/// <summary>Putting mistakes right: a response entered in error, and definitions clients may not change.</summary>
public sealed class CorrectionsTests : AppTest
{
    [Fact]
    public async Task AResponseMarkedEnteredInErrorWithdrawsItsPreferencesAndThePreviousSetReturns()
    {
        var (patientId, _) = await Responses.CreatePatientAsync(Client);
        var first = Responses.TypicalAnswers();
        await Responses.SubmitAsync(Client, Responses.Build(patientId, first, authored: "2026-11-01T09:00:00Z"));
        var wrong = Responses.TypicalAnswers();
        wrong["preferred-language"] = [Responses.Coded(PreferenceCodes.Bcp47, "so")];
        wrong["diet"] = [Responses.Coded(PreferenceCodes.Diet, "kosher")];
        var stored = await Responses.SubmitAsync(Client, Responses.Build(patientId, wrong, authored: "2026-11-10T09:00:00Z"));
        Assert.Contains(await Responses.LastNAsync(Client, $"patient={patientId}"), o => Responses.Key(o).Contains("diet|kosher", StringComparison.Ordinal));

        // The connector chose the wrong answers: the response is voided.
        stored["status"] = "entered-in-error";
        using var put = await Client.PutAsync($"/fhir/QuestionnaireResponse/{stored["id"]}", Infrastructure.Fhir.Json(stored));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);

        var current = await Responses.LastNAsync(Client, $"patient={patientId}");
        Assert.Equal(12, current.Count);
        Assert.All(current, o => Assert.Equal("2026-11-01T09:00:00Z", o["effectiveDateTime"]!.GetValue<string>()));
        Assert.Contains(current, o => Responses.Key(o).Contains("diet|vegetarian", StringComparison.Ordinal));
        using var withdrawn = await Client.GetAsync($"/fhir/Observation?derived-from=QuestionnaireResponse/{stored["id"]}&_count=50");
        var entries = (await withdrawn.BodyAsync())["entry"]!.AsArray();
        Assert.Equal(12, entries.Count);
        Assert.All(entries, e => Assert.Equal("entered-in-error", e!["resource"]!["status"]!.GetValue<string>()));
        var patient = await (await Client.GetAsync($"/fhir/Patient/{patientId}")).BodyAsync();
        Assert.Equal("pl", patient["communication"]![0]!["language"]!["coding"]![0]!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task VoidingTheOnlyResponseLeavesNoCurrentPreferences()
    {
        var (patientId, _) = await Responses.CreatePatientAsync(Client);
        var stored = await Responses.SubmitAsync(Client, Responses.Build(patientId, Responses.TypicalAnswers()));
        stored["status"] = "entered-in-error";
        using var put = await Client.PutAsync($"/fhir/QuestionnaireResponse/{stored["id"]}", Infrastructure.Fhir.Json(stored));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Empty(await Responses.LastNAsync(Client, $"patient={patientId}"));
        Assert.Equal(12, await CountAsync("Observation")); // withdrawn, not deleted
    }

    [Fact]
    public async Task ClientsCannotChangeOrDeleteTheDefinitionsTheServicePublishes()
    {
        var questionnaire = await (await Client.GetAsync($"/fhir/Questionnaire/{WhatMattersQuestionnaire.Id}")).BodyAsync();
        questionnaire["title"] = "Something else";
        using var put = await Client.PutAsync($"/fhir/Questionnaire/{WhatMattersQuestionnaire.Id}", Infrastructure.Fhir.Json(questionnaire));
        Assert.Contains("published by this service", await put.AssertOutcomeAsync(HttpStatusCode.UnprocessableEntity));

        questionnaire.AsObject().Remove("id");
        using var post = await Client.PostAsync("/fhir/Questionnaire", Infrastructure.Fhir.Json(questionnaire));
        await post.AssertOutcomeAsync(HttpStatusCode.UnprocessableEntity);
        using var delete = await Client.DeleteAsync($"/fhir/Questionnaire/{WhatMattersQuestionnaire.Id}");
        await delete.AssertOutcomeAsync(HttpStatusCode.UnprocessableEntity);
        using var deleteCodes = await Client.DeleteAsync("/fhir/CodeSystem/wmtty-preferences-" + WhatMattersQuestionnaire.Version);
        await deleteCodes.AssertOutcomeAsync(HttpStatusCode.UnprocessableEntity);

        Assert.Equal(1, await CountAsync("Questionnaire"));
        await Client.CreateAsync("""{"resourceType":"Questionnaire","status":"draft","url":"https://trust.example.nhs.uk/Questionnaire/local","version":"1"}""");
    }
}

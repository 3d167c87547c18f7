using System.Net;
using System.Text.Json.Nodes;
using Wmtty.Fhir.Questionnaires;
using Wmtty.Tests.Infrastructure;
using Xunit;

namespace Wmtty.Tests.Preferences;

/// <summary>
/// Every SDC rule a completed response must keep, each reported as one issue whose expression points
/// at the exact item or answer. A rejected response stores nothing.
/// </summary>
public sealed class ResponseValidationTests : AppTest
{
    // In TypicalAnswers, the language section is item[0]: preferred-language item[0], interpreter-needed item[1],
    // interpreter-language item[2], contact-method item[3], written-format item[4]. Beliefs is item[1], care item[2],
    // what matters most item[3].
    private string patientId = "";

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        (patientId, _) = await Responses.CreatePatientAsync(Client);
    }

    private JsonObject Typical(string status = "completed") => Responses.Build(patientId, Responses.TypicalAnswers(), status);

    /// <summary>Posts the response, expects 422 with nothing stored, and returns the issues as (expression, code, diagnostics).</summary>
    private async Task<List<(string Expression, string Code, string Diagnostics)>> RejectedAsync(JsonObject response)
    {
        var before = (await CountAsync("QuestionnaireResponse"), await CountAsync("Observation"), await CountAsync("Patient"));
        using var posted = await Client.PostAsync("/fhir/QuestionnaireResponse", Infrastructure.Fhir.Json(response));
        await posted.AssertOutcomeAsync(HttpStatusCode.UnprocessableEntity);
        var outcome = await posted.BodyAsync();
        Assert.Equal(before, (await CountAsync("QuestionnaireResponse"), await CountAsync("Observation"), await CountAsync("Patient")));
        return outcome["issue"]!.AsArray().Select(i => (
            i!["expression"]?[0]?.GetValue<string>() ?? "",
            i["code"]!.GetValue<string>(),
            i["diagnostics"]!.GetValue<string>())).ToList();
    }

    private static JsonObject Language(JsonObject response) => response["item"]![0]!.AsObject();

    [Fact]
    public async Task AValidCompletedResponseIsStored()
    {
        await Responses.SubmitAsync(Client, Typical());
        Assert.Equal(1, await CountAsync("QuestionnaireResponse"));
    }

    [Fact]
    public async Task AResponseForAPatientNotStoredHereOrNoLongerHereIs422AtItsSubject()
    {
        // The patient is taken to exist while the response is prepared, ahead of the write; the write's transaction checks.
        var unknown = Responses.Build("no-such-patient", Responses.TypicalAnswers(), "completed");
        var issue = Assert.Single(await RejectedAsync(unknown));
        Assert.Equal("QuestionnaireResponse.subject.reference", issue.Expression);
        Assert.Contains("Patient/no-such-patient is not known here", issue.Diagnostics);

        await Responses.SubmitAsync(Client, Typical()); // the questionnaire and its value sets are now remembered
        using (var deleted = await Client.DeleteAsync($"/fhir/Patient/{patientId}"))
        {
            Assert.True(deleted.IsSuccessStatusCode, $"{(int)deleted.StatusCode}");
        }

        var gone = Assert.Single(await RejectedAsync(Typical()));
        Assert.Contains($"Patient/{patientId} is not known here", gone.Diagnostics);
    }

    [Fact]
    public async Task AnUnknownLinkIdIs422AtThatItem()
    {
        var response = Typical();
        Language(response)["item"]![4]!["linkId"] = "favourite-colour";
        var issue = Assert.Single(await RejectedAsync(response));
        Assert.Equal("QuestionnaireResponse.item[0].item[4]", issue.Expression);
        Assert.Contains("favourite-colour", issue.Diagnostics);
    }

    [Fact]
    public async Task AnItemNestedInTheWrongSectionIs422()
    {
        var response = Typical();
        var religion = response["item"]![1]!["item"]![0]!.DeepClone();
        Language(response)["item"]!.AsArray().Add(religion);
        var issue = Assert.Single(await RejectedAsync(response));
        Assert.Equal("QuestionnaireResponse.item[0].item[5]", issue.Expression);
        Assert.Contains("beliefs-culture", issue.Diagnostics);
    }

    [Fact]
    public async Task ItemsOutOfQuestionnaireOrderAre422()
    {
        var response = Typical();
        var items = Language(response)["item"]!.AsArray();
        var contact = items[3]!.DeepClone();
        items.RemoveAt(3);
        items.Insert(0, contact);
        var issues = await RejectedAsync(response);
        Assert.Contains(issues, i => i.Expression == "QuestionnaireResponse.item[0].item[1]" && i.Diagnostics.Contains("out of order"));
    }

    [Fact]
    public async Task AnAnswerOfTheWrongTypeIs422AtThatAnswer()
    {
        var response = Typical();
        Language(response)["item"]![1]!["answer"] = new JsonArray(Responses.Text("yes please"));
        var issues = await RejectedAsync(response);
        // Not a yes, so the interpreter language is switched off and its answer is reported too.
        Assert.Contains(issues, i => i.Expression == "QuestionnaireResponse.item[0].item[1].answer[0]" && i.Diagnostics.Contains("boolean"));
        Assert.Contains(issues, i => i.Expression == "QuestionnaireResponse.item[0].item[2].answer[0]");
    }

    [Fact]
    public async Task AMissingRequiredAnswerIs422AtItsSection()
    {
        var response = Typical();
        Language(response)["item"]!.AsArray().RemoveAt(1); // interpreter-needed
        var issues = await RejectedAsync(response);
        // interpreter-language is now switched off too, so its answer is a second problem.
        Assert.Contains(issues, i => i.Expression == "QuestionnaireResponse.item[0]" && i.Code == "required" && i.Diagnostics.Contains("interpreter-needed"));
    }

    [Fact]
    public async Task LeavingOutASectionWithRequiredQuestionsIs422()
    {
        var response = Typical();
        response["item"]!.AsArray().RemoveAt(0);
        var issue = Assert.Single(await RejectedAsync(response));
        Assert.Equal(("QuestionnaireResponse", "required"), (issue.Expression, issue.Code));
        Assert.Contains("language-communication", issue.Diagnostics);
    }

    [Fact]
    public async Task TwoAnswersToANonRepeatingQuestionAre422AtTheSecond()
    {
        var response = Typical();
        Language(response)["item"]![0]!["answer"]!.AsArray().Add(Responses.Coded(PreferenceCodes.Bcp47, "ro"));
        var issue = Assert.Single(await RejectedAsync(response));
        Assert.Equal("QuestionnaireResponse.item[0].item[0].answer[1]", issue.Expression);
    }

    [Fact]
    public async Task AnAnswerNotAmongTheOptionsIs422()
    {
        var response = Typical();
        response["item"]![1]!["item"]![1]!["answer"]![0]!["valueCoding"]!["code"] = "carnivore";
        var issue = Assert.Single(await RejectedAsync(response));
        Assert.Equal(("QuestionnaireResponse.item[1].item[1].answer[0]", "code-invalid"), (issue.Expression, issue.Code));
    }

    [Fact]
    public async Task AnAnswerLongerThanMaxLengthIs422()
    {
        var response = Typical();
        response["item"]![3]!["item"]![0]!["answer"]![0]!["valueString"] = new string('ę', 2001);
        var issue = Assert.Single(await RejectedAsync(response));
        Assert.Equal(("QuestionnaireResponse.item[3].item[0].answer[0]", "too-long"), (issue.Expression, issue.Code));
        Assert.Contains("2000", issue.Diagnostics);
    }

    [Fact]
    public async Task AnAnswerToAQuestionThatEnableWhenSwitchesOffIs422()
    {
        var response = Typical();
        Language(response)["item"]![1]!["answer"] = new JsonArray(Responses.Boolean(false)); // no interpreter needed…
        var issue = Assert.Single(await RejectedAsync(response));                             // …so no interpreter language
        Assert.Equal("QuestionnaireResponse.item[0].item[2].answer[0]", issue.Expression);
        Assert.Contains("interpreter-needed", issue.Diagnostics);
    }

    [Fact]
    public async Task AnExclusiveAnswerWithOthersIs422()
    {
        var response = Typical();
        Language(response)["item"]![4]!["answer"]!.AsArray().Add(Responses.Coded(Responses.ServiceSystem, "none"));
        var issue = Assert.Single(await RejectedAsync(response));
        Assert.Equal("QuestionnaireResponse.item[0].item[4]", issue.Expression);
    }

    [Fact]
    public async Task EveryProblemIsReportedAtOnce()
    {
        var response = Typical();
        Language(response)["item"]![0]!["answer"]![0]!["valueCoding"]!["code"] = "xx";              // not an option
        Language(response)["item"]![3]!["answer"] = new JsonArray(Responses.Boolean(true));         // wrong type
        response["item"]![1]!["item"]![1]!["linkId"] = "no-such-question";                           // unknown linkId
        response["item"]![3]!["item"]![0]!["answer"]![0]!["valueString"] = new string('a', 2001);   // too long
        var issues = await RejectedAsync(response);
        Assert.Equal(
            ["QuestionnaireResponse.item[0].item[0].answer[0]", "QuestionnaireResponse.item[0].item[3].answer[0]", "QuestionnaireResponse.item[1].item[1]", "QuestionnaireResponse.item[3].item[0].answer[0]"],
            issues.Select(i => i.Expression).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task InProgressSkipsRequiredAndEnableWhenButNotTypes()
    {
        var partial = Typical("in-progress");
        Language(partial)["item"]!.AsArray().RemoveAt(0); // required preferred-language missing: fine while in progress
        await Responses.SubmitAsync(Client, partial);

        var wrong = Typical("in-progress");
        Language(wrong)["item"]![1]!["answer"] = new JsonArray(Responses.Text("yes"));
        var issue = Assert.Single(await RejectedAsync(wrong));
        Assert.Equal("QuestionnaireResponse.item[0].item[1].answer[0]", issue.Expression);
    }

    [Fact]
    public async Task AnUnknownOrUnversionedQuestionnaireIs422()
    {
        var unknown = Typical();
        unknown["questionnaire"] = "https://elsewhere.example.org/Questionnaire/x|1";
        Assert.Equal("QuestionnaireResponse.questionnaire", Assert.Single(await RejectedAsync(unknown)).Expression);

        var unversioned = Typical();
        unversioned["questionnaire"] = WhatMattersQuestionnaire.Url(Responses.CanonicalBase);
        Assert.Contains("version", Assert.Single(await RejectedAsync(unversioned)).Diagnostics);

        var otherVersion = Typical();
        otherVersion["questionnaire"] = WhatMattersQuestionnaire.Url(Responses.CanonicalBase) + "|0.9.0";
        Assert.Single(await RejectedAsync(otherVersion));
    }

    [Fact]
    public async Task TheSubjectMustBeAPatientKnownHere()
    {
        var unknown = Typical();
        unknown["subject"] = new JsonObject { ["reference"] = "Patient/not-registered" };
        Assert.Equal("QuestionnaireResponse.subject.reference", Assert.Single(await RejectedAsync(unknown)).Expression);

        var missing = Typical();
        missing.Remove("subject");
        Assert.Equal("QuestionnaireResponse.subject", Assert.Single(await RejectedAsync(missing)).Expression);

        var unknownNhs = Typical();
        unknownNhs["subject"] = new JsonObject { ["identifier"] = new JsonObject { ["system"] = "https://fhir.nhs.uk/Id/nhs-number", ["value"] = NhsNumbers.Next() } };
        Assert.Equal("QuestionnaireResponse.subject.identifier", Assert.Single(await RejectedAsync(unknownNhs)).Expression);
    }

    [Fact]
    public async Task TheSubjectMayBeGivenByNhsNumberAlone()
    {
        var (id, nhs) = await Responses.CreatePatientAsync(Client);
        var response = Responses.Build(id, Responses.TypicalAnswers());
        response["subject"] = new JsonObject { ["identifier"] = new JsonObject { ["system"] = "https://fhir.nhs.uk/Id/nhs-number", ["value"] = nhs } };
        await Responses.SubmitAsync(Client, response);
        Assert.Equal(12, (await Responses.LastNAsync(Client, $"subject:identifier=https://fhir.nhs.uk/Id/nhs-number|{nhs}")).Count);
        Assert.Equal(12, (await Responses.LastNAsync(Client, $"patient={id}")).Count);
    }

    [Fact]
    public async Task AnUpdateIsCheckedByTheSameRules()
    {
        var stored = await Responses.SubmitAsync(Client, Typical("in-progress"));
        var id = stored["id"]!.GetValue<string>();
        var response = Typical();
        response["id"] = id;
        Language(response)["item"]![1]!["answer"] = new JsonArray(Responses.Text("yes"));
        using var put = await Client.PutAsync($"/fhir/QuestionnaireResponse/{id}", Infrastructure.Fhir.Json(response));
        await put.AssertOutcomeAsync(HttpStatusCode.UnprocessableEntity);
        var current = await (await Client.GetAsync($"/fhir/QuestionnaireResponse/{id}")).BodyAsync();
        Assert.Equal(("1", "in-progress"), (current["meta"]!["versionId"]!.GetValue<string>(), current["status"]!.GetValue<string>()));
        Assert.Equal(0, await CountAsync("Observation"));
    }
}

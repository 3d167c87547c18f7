using System.Net;
using System.Text.Json.Nodes;
using Wmtty.Fhir.Questionnaires;
using Wmtty.Tests.Infrastructure;
using Xunit;

namespace Wmtty.Tests.Preferences;

/// <summary>What an EHR and a clinician read back: clear values, usable codes, no withdrawn answers passed off as earlier ones.</summary>
public sealed class ReadingPreferencesTests : AppTest
{
    private async Task<string> HeadlineAsync(string patientId)
    {
        using var summary = await Client.GetAsync($"/fhir/Patient/{patientId}/$wmtty-summary");
        return (await summary.BodyAsync())["entry"]![0]!["resource"]!["text"]!["div"]!.GetValue<string>();
    }

    [Fact]
    public async Task EarlierValuesLeaveOutWithdrawnAnswersUnlessAskedFor()
    {
        var (patientId, _) = await Responses.CreatePatientAsync(Client);
        var first = Responses.TypicalAnswers();
        first["preferred-language"] = [Responses.Coded(PreferenceCodes.Bcp47, "ro")];
        var voided = await Responses.SubmitAsync(Client, Responses.Build(patientId, first, authored: "2026-11-01T09:00:00Z"));
        await Responses.SubmitAsync(Client, Responses.Build(patientId, Responses.TypicalAnswers(), authored: "2026-11-10T09:00:00Z"));
        voided["status"] = "entered-in-error";
        using var put = await Client.PutAsync($"/fhir/QuestionnaireResponse/{voided["id"]}", Infrastructure.Fhir.Json(voided));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);

        var languages = await Responses.LastNAsync(Client, $"patient={patientId}&code=http://loinc.org|54899-0&max=2");
        Assert.Equal("pl", Assert.Single(languages)["valueCodeableConcept"]!["coding"]![0]!["code"]!.GetValue<string>());
        var asked = await Responses.LastNAsync(Client, $"patient={patientId}&code=http://loinc.org|54899-0&max=2&status=final,entered-in-error");
        Assert.Equal(2, asked.Count);
    }

    [Fact]
    public async Task AWrittenInLanguageTravelsWithTheCodedAnswerAndThePopulatedResponseKeepsItsLanguage()
    {
        var (patientId, _) = await Responses.CreatePatientAsync(Client);
        var answers = Responses.TypicalAnswers();
        answers["preferred-language"] = [Responses.Coded(Responses.ServiceSystem, PreferenceCodes.OtherLanguage)];
        answers[WhatMattersQuestionnaire.PreferredLanguageOtherLinkId] = [Responses.Text("Tigrinya")];
        answers["what-matters-most"] = [Responses.Text("ቤተሰበይ\nሰላም")];
        await Responses.SubmitAsync(Client, Responses.Build(patientId, answers, language: "ar"));

        var language = Assert.Single(await Responses.LastNAsync(Client, $"patient={patientId}&code=http://loinc.org|54899-0"));
        Assert.Equal("Tigrinya", language["valueCodeableConcept"]!["text"]!.GetValue<string>());

        using var summary = await Client.GetAsync($"/fhir/Patient/{patientId}/$wmtty-summary");
        var words = (await summary.BodyAsync())["entry"]![0]!["resource"]!["section"]![4]!["text"]!["div"]!.GetValue<string>();
        Assert.Contains("ቤተሰበይ<br />ሰላም", words); // the patient's line break is kept

        using var populated = await Client.PostAsync("/fhir/Questionnaire/$populate", Infrastructure.Fhir.Json($$$"""
            {"resourceType":"Parameters","parameter":[{"name":"subject","valueReference":{"reference":"Patient/{{{patientId}}}"}}]}
            """));
        Assert.Equal("ar", (await populated.BodyAsync())["parameter"]![0]!["resource"]!["language"]!.GetValue<string>());
    }

    [Fact]
    public async Task TheHeadlineReadsPlainlyAndCannotBeReordered()
    {
        var (patientId, _) = await Responses.CreatePatientAsync(Client);
        var answers = Responses.TypicalAnswers();
        answers["interpreter-language"] = [Responses.Coded(Responses.ServiceSystem, PreferenceCodes.OtherLanguage)];
        answers[WhatMattersQuestionnaire.InterpreterLanguageOtherLinkId] = [Responses.Text("\u202Ehsilop\u202C")];
        answers["communication-support"] = [Responses.Coded(PreferenceCodes.Snomed, "520471000000105")];
        answers["written-format"] = [Responses.Coded(Responses.ServiceSystem, "none")];
        answers["faith-care-needs"] = [Responses.Coded(Responses.ServiceSystem, "blood-products")];
        await Responses.SubmitAsync(Client, Responses.Build(patientId, answers));

        var headline = await HeadlineAsync(patientId);
        Assert.Contains("Interpreter needed: hsilop.", headline);
        Assert.DoesNotContain('\u202E', headline);
        Assert.Contains("British Sign Language", headline);
        Assert.DoesNotContain("Preferred method of communication", headline);
        Assert.Contains("No other format needed", headline);
        Assert.Contains("blood", headline);
    }

    [Fact]
    public async Task LastNByPostTakesAPatientNamedByIdentifier()
    {
        var (patientId, nhs) = await Responses.CreatePatientAsync(Client);
        await Responses.SubmitAsync(Client, Responses.Build(patientId, Responses.TypicalAnswers()));
        using var posted = await Client.PostAsync("/fhir/Observation/$lastn", Infrastructure.Fhir.Json($$$$"""
            {"resourceType":"Parameters","parameter":[{"name":"patient","valueReference":{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"{{{{nhs}}}}"}}}]}
            """));
        Assert.Equal(12, (await posted.BodyAsync())["entry"]!.AsArray().Count);
    }

    [Fact]
    public async Task AGroupMarkedForExtractionExtractsWhatItHoldsAndStringOptionsAreAnswered()
    {
        var (patientId, _) = await Responses.CreatePatientAsync(Client);
        await Client.CreateAsync("""
            {"resourceType":"Questionnaire","url":"https://trust.example.nhs.uk/Questionnaire/vitals","version":"1","status":"active",
             "item":[{"linkId":"g","type":"group","extension":[{"url":"http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-observationExtract","valueBoolean":true}],
                      "item":[{"linkId":"w","type":"decimal","code":[{"system":"http://loinc.org","code":"29463-7"}]},
                              {"linkId":"mood","type":"choice","code":[{"system":"https://trust.example.nhs.uk/codes","code":"mood"}],
                               "answerOption":[{"valueString":"Good"},{"valueString":"Low"}]}]}]}
            """);
        var response = JsonNode.Parse($$$"""
            {"resourceType":"QuestionnaireResponse","questionnaire":"https://trust.example.nhs.uk/Questionnaire/vitals|1","status":"completed",
             "subject":{"reference":"Patient/{{{patientId}}}"},"item":[{"linkId":"g","item":[{"linkId":"w","answer":[{"valueDecimal":71.5}]},{"linkId":"mood","answer":[{"valueString":"Low"}]}]}]}
            """)!.AsObject();
        using var extracted = await Client.PostAsync("/fhir/QuestionnaireResponse/$extract", Infrastructure.Fhir.Json(response));
        var bundle = await extracted.BodyAsync();
        Assert.True(extracted.StatusCode == HttpStatusCode.OK, bundle.ToJsonString());
        Assert.Equal(2, bundle["entry"]!.AsArray().Count);

        response["item"]![0]!["item"]![1]!["answer"]![0]!["valueString"] = "Grumpy";
        using var refused = await Client.PostAsync("/fhir/QuestionnaireResponse", Infrastructure.Fhir.Json(response));
        await refused.AssertOutcomeAsync(HttpStatusCode.UnprocessableEntity);
    }

    // Bundles are written into rented arrays and given back once sent: answers read at the same time, for two patients,
    // each hold only their own patient's entries, and the pretty and XML forms of the same Bundle say the same.
    [Fact]
    public async Task BundlesReadAtTheSameTimeHoldOnlyTheirOwnPatientsEntriesInEveryFormat()
    {
        var patients = new List<string>();
        foreach (var language in new[] { "ro", "pl" })
        {
            var (patientId, _) = await Responses.CreatePatientAsync(Client);
            var answers = Responses.TypicalAnswers();
            answers["preferred-language"] = [Responses.Coded(PreferenceCodes.Bcp47, language)];
            await Responses.SubmitAsync(Client, Responses.Build(patientId, answers));
            patients.Add(patientId);
        }

        var reads = await Task.WhenAll(Enumerable.Range(0, 40).Select(async i =>
        {
            var patientId = patients[i % 2];
            using var response = await Client.GetAsync($"/fhir/Observation/$lastn?patient={patientId}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var bundle = await response.BodyAsync();
            return (patientId, bundle);
        }));
        foreach (var (patientId, bundle) in reads)
        {
            var entries = bundle["entry"]!.AsArray();
            Assert.True(entries.Count > 5);
            Assert.All(entries, e => Assert.Equal($"Patient/{patientId}", e!["resource"]!["subject"]!["reference"]!.GetValue<string>()));
        }

        Assert.Equal(reads[0].bundle["entry"]!.ToJsonString(), reads[2].bundle["entry"]!.ToJsonString());
        using var pretty = await Client.GetAsync($"/fhir/Observation/$lastn?patient={patients[0]}&_pretty=true");
        var prettyText = await pretty.Content.ReadAsStringAsync();
        Assert.Contains("\n  \"entry\"", prettyText.Replace("\r\n", "\n"), StringComparison.Ordinal);
        Assert.Equal(reads[0].bundle["entry"]!.ToJsonString(), JsonNode.Parse(prettyText)!["entry"]!.ToJsonString());
        using var xml = await Client.GetAsync($"/fhir/Observation/$lastn?patient={patients[0]}&_format=xml");
        Assert.Equal("application/fhir+xml", xml.Content.Headers.ContentType!.MediaType);
        var parsed = (Hl7.Fhir.Model.Bundle)Wmtty.Fhir.Serialization.FhirSerialization.ParseXml(await xml.Content.ReadAsByteArrayAsync()).Resource!;
        Assert.Equal(entriesOf(reads[0].bundle), [.. parsed.Entry.Select(e => e.Resource!.Id!)]);

        static List<string> entriesOf(JsonNode bundle) => [.. bundle["entry"]!.AsArray().Select(e => e!["resource"]!["id"]!.GetValue<string>())];
    }
}

using System.Net;
using System.Text.Json.Nodes;
using Wmtty.Fhir.Questionnaires;
using Wmtty.Tests.Infrastructure;
using Xunit;

namespace Wmtty.Tests.Preferences;

/// <summary>A completed response yields one Observation per answer, in the same transaction, and the Patient follows.</summary>
public sealed class ExtractionTests : AppTest
{
    [Fact]
    public async Task ACompletedResponseYieldsOneCodedObservationPerAnswer()
    {
        var (patientId, _) = await Responses.CreatePatientAsync(Client);
        var answers = Responses.TypicalAnswers();
        var response = Responses.Build(patientId, answers);
        response["author"] = new JsonObject { ["reference"] = $"Patient/{patientId}" };
        response["encounter"] = new JsonObject { ["reference"] = "https://gp.example.nhs.uk/fhir/Encounter/e1" };
        var stored = await Responses.SubmitAsync(Client, response);
        var responseId = stored["id"]!.GetValue<string>();

        var observations = await Responses.LastNAsync(Client, $"patient={patientId}");
        Assert.Equal(answers.Values.Sum(a => a.Count), observations.Count);
        Assert.Equal(12, observations.Count);
        foreach (var observation in observations)
        {
            Assert.Equal("final", observation["status"]!.GetValue<string>());
            Assert.Equal($"Patient/{patientId}", observation["subject"]!["reference"]!.GetValue<string>());
            Assert.Equal("2026-11-20T10:00:00Z", observation["effectiveDateTime"]!.GetValue<string>());
            Assert.Equal($"QuestionnaireResponse/{responseId}", observation["derivedFrom"]![0]!["reference"]!.GetValue<string>());
            Assert.Equal($"Patient/{patientId}", observation["performer"]![0]!["reference"]!.GetValue<string>());
            Assert.Equal("https://gp.example.nhs.uk/fhir/Encounter/e1", observation["encounter"]!["reference"]!.GetValue<string>());
            var categories = observation["category"]!.AsArray().Select(c => $"{c!["coding"]![0]!["system"]}|{c["coding"]![0]!["code"]}").ToList();
            Assert.Contains("http://terminology.hl7.org/CodeSystem/observation-category|social-history", categories);
            Assert.Contains(categories, c => c.StartsWith(Responses.ServiceSystem + "|", StringComparison.Ordinal));
        }

        var interpreter = observations.Single(o => o["code"]!["coding"]![0]!["code"]!.GetValue<string>() == "54588-9");
        Assert.True(interpreter["valueBoolean"]!.GetValue<bool>());
        Assert.Equal("http://loinc.org", interpreter["code"]!["coding"]![0]!["system"]!.GetValue<string>());
        var language = observations.Single(o => o["code"]!["coding"]![0]!["code"]!.GetValue<string>() == "54899-0");
        Assert.Equal("urn:ietf:bcp:47|pl", $"{language["valueCodeableConcept"]!["coding"]![0]!["system"]}|{language["valueCodeableConcept"]!["coding"]![0]!["code"]}");
        var words = observations.Single(o => o["valueString"] is not null);
        Assert.Equal("Rozmowa z lekarzem po polsku", words["valueString"]!.GetValue<string>());
    }

    [Fact]
    public async Task ResponsesAnsweredInPolishAndInUrduExtractToTheSameCodedObservations()
    {
        var (polishPatient, _) = await Responses.CreatePatientAsync(Client);
        var (urduPatient, _) = await Responses.CreatePatientAsync(Client);
        var answers = Responses.TypicalAnswers();
        answers.Remove("what-matters-most"); // free text stays as written, in its own language

        var polish = Responses.Build(polishPatient, answers, language: "pl");
        var urdu = Responses.Build(urduPatient, answers, language: "ur");
        var polishDisplay = polish["item"]![0]!["item"]![0]!["answer"]![0]!["valueCoding"]!["display"]!.GetValue<string>();
        var urduDisplay = urdu["item"]![0]!["item"]![0]!["answer"]![0]!["valueCoding"]!["display"]!.GetValue<string>();
        Assert.NotEqual(polishDisplay, urduDisplay); // the two really were answered in different languages
        await Responses.SubmitAsync(Client, polish);
        await Responses.SubmitAsync(Client, urdu);

        var fromPolish = (await Responses.LastNAsync(Client, $"patient={polishPatient}")).Select(Responses.Key).Order().ToList();
        var fromUrdu = (await Responses.LastNAsync(Client, $"patient={urduPatient}")).Select(Responses.Key).Order().ToList();
        Assert.Equal(11, fromPolish.Count);
        Assert.Equal(fromPolish, fromUrdu);
        Assert.Contains("urn:ietf:bcp:47|pl|Polish", string.Join("\n", fromUrdu)); // English displays, from the questionnaire
    }

    [Fact]
    public async Task ThePatientRecordFollowsTheLanguageAndInterpreterAnswers()
    {
        var (patientId, _) = await Responses.CreatePatientAsync(Client);
        var answers = Responses.TypicalAnswers();
        answers["preferred-language"] = [Responses.Coded(PreferenceCodes.Bcp47, "ur")];
        answers["interpreter-language"] = [Responses.Coded(PreferenceCodes.Snomed, "204211000000109")];
        await Responses.SubmitAsync(Client, Responses.Build(patientId, answers));

        var patient = await (await Client.GetAsync($"/fhir/Patient/{patientId}")).BodyAsync();
        Assert.Equal("2", patient["meta"]!["versionId"]!.GetValue<string>());
        var communication = Assert.Single(patient["communication"]!.AsArray());
        Assert.Equal("ur", communication!["language"]!["coding"]![0]!["code"]!.GetValue<string>());
        Assert.Equal("urn:ietf:bcp:47", communication["language"]!["coding"]![0]!["system"]!.GetValue<string>());
        Assert.True(communication["preferred"]!.GetValue<bool>());
        var extension = patient["extension"]!.AsArray().Single(e => e!["url"]!.GetValue<string>() == "http://hl7.org/fhir/StructureDefinition/patient-interpreterRequired");
        Assert.True(extension!["valueBoolean"]!.GetValue<bool>());
        Assert.Equal("Kowalska", patient["name"]![0]!["family"]!.GetValue<string>()); // the rest of the record is untouched

        answers["interpreter-needed"] = [Responses.Boolean(false)];
        answers.Remove("interpreter-language");
        answers["preferred-language"] = [Responses.Coded(PreferenceCodes.Bcp47, "en")];
        await Responses.SubmitAsync(Client, Responses.Build(patientId, answers, authored: "2026-11-21T10:00:00Z"));
        patient = await (await Client.GetAsync($"/fhir/Patient/{patientId}")).BodyAsync();
        var languages = patient["communication"]!.AsArray().ToDictionary(
            c => c!["language"]!["coding"]![0]!["code"]!.GetValue<string>(), c => c!["preferred"]?.GetValue<bool>() == true);
        Assert.Equal(new Dictionary<string, bool> { ["ur"] = false, ["en"] = true }, languages); // Urdu is still a language they speak
        Assert.False(patient["extension"]!.AsArray().Single(e => e!["url"]!.GetValue<string>().EndsWith("patient-interpreterRequired", StringComparison.Ordinal))!["valueBoolean"]!.GetValue<bool>());
    }

    [Fact]
    public async Task ExtractReturnsTheObservationsAsATransactionBundleAndStoresNothing()
    {
        var (patientId, _) = await Responses.CreatePatientAsync(Client);
        var response = Responses.Build(patientId, Responses.TypicalAnswers());
        var before = (await CountAsync("Observation"), await CountAsync("QuestionnaireResponse"));

        var parameters = new JsonObject
        {
            ["resourceType"] = "Parameters",
            ["parameter"] = new JsonArray(new JsonObject { ["name"] = "questionnaire-response", ["resource"] = response.DeepClone() }),
        };
        foreach (var body in new[] { response, parameters })
        {
            using var extracted = await Client.PostAsync("/fhir/QuestionnaireResponse/$extract", Infrastructure.Fhir.Json(body));
            Assert.Equal(HttpStatusCode.OK, extracted.StatusCode);
            var bundle = await extracted.BodyAsync();
            Assert.Equal("transaction", bundle["type"]!.GetValue<string>());
            var entries = bundle["entry"]!.AsArray();
            Assert.Equal(12, entries.Count);
            Assert.All(entries, e =>
            {
                Assert.Equal("POST", e!["request"]!["method"]!.GetValue<string>());
                Assert.Equal("Observation", e["resource"]!["resourceType"]!.GetValue<string>());
                Assert.StartsWith("urn:uuid:", e["fullUrl"]!.GetValue<string>(), StringComparison.Ordinal);
            });
        }

        Assert.Equal(before, (await CountAsync("Observation"), await CountAsync("QuestionnaireResponse")));
        Assert.Empty(await Responses.LastNAsync(Client, $"patient={patientId}"));
    }

    [Fact]
    public async Task AnInProgressResponseIsSavedWithoutExtracting()
    {
        var (patientId, _) = await Responses.CreatePatientAsync(Client);
        var answers = new Dictionary<string, List<JsonObject>> { ["religion"] = [Responses.Coded(Responses.ServiceSystem, "muslim")] };
        await Responses.SubmitAsync(Client, Responses.Build(patientId, answers, status: "in-progress")); // required answers missing: fine while in progress
        Assert.Empty(await Responses.LastNAsync(Client, $"patient={patientId}"));
        Assert.Equal(0, await CountAsync("Observation"));
    }
}

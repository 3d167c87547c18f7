using System.Net;
using System.Text.Json.Nodes;
using Hl7.Fhir.Rest;
using Wmtty.Fhir.Questionnaires;
using Wmtty.Tests.Infrastructure;
using Xunit;
using FhirModel = Hl7.Fhir.Model;

namespace Wmtty.Tests.Preferences;

/// <summary>$lastn: the current value of each code, where a new completed response replaces the whole set.</summary>
public sealed class CurrentPreferencesTests : AppTest
{
    [Fact]
    public async Task ResubmittingWithOneChangeAndOneRemovalGivesExactlyTheNewSetAndKeepsHistory()
    {
        var (patientId, _) = await Responses.CreatePatientAsync(Client);
        var first = Responses.TypicalAnswers();
        await Responses.SubmitAsync(Client, Responses.Build(patientId, first, authored: "2026-11-01T09:00:00Z"));
        var before = (await Responses.LastNAsync(Client, $"patient={patientId}")).Select(Responses.Key).ToHashSet();

        var second = Responses.TypicalAnswers();
        second["diet"] = [Responses.Coded(PreferenceCodes.Diet, "halal")];   // changed
        second.Remove("chaperone");                                          // removed
        await Responses.SubmitAsync(Client, Responses.Build(patientId, second, authored: "2026-11-15T09:00:00Z"));

        var current = await Responses.LastNAsync(Client, $"patient={patientId}");
        var now = current.Select(Responses.Key).ToHashSet();
        Assert.Equal(11, current.Count);
        Assert.Contains("http://terminology.hl7.org/CodeSystem/diet|halal|Halal", string.Join("\n", now));
        Assert.DoesNotContain(now, k => k.Contains("vegetarian", StringComparison.Ordinal));
        Assert.DoesNotContain(now, k => k.Contains("|chaperone =", StringComparison.Ordinal));
        Assert.All(current, o => Assert.Equal("2026-11-15T09:00:00Z", o["effectiveDateTime"]!.GetValue<string>()));
        Assert.Equal(before.Count - 2, before.Intersect(now).Count());

        // Nothing was deleted: every earlier Observation is still there, and still readable.
        Assert.Equal(23, await CountAsync("Observation"));
        using var all = await Client.GetAsync($"/fhir/Observation?patient={patientId}&code={Responses.ServiceSystem}|chaperone");
        var chaperone = (await all.BodyAsync())["entry"]!.AsArray();
        Assert.Equal("2026-11-01T09:00:00Z", Assert.Single(chaperone)!["resource"]!["effectiveDateTime"]!.GetValue<string>());
        using var diets = await Client.GetAsync($"/fhir/Observation?patient={patientId}&code={Responses.ServiceSystem}|diet");
        Assert.Equal(2, (await diets.BodyAsync())["entry"]!.AsArray().Count);
    }

    [Fact]
    public async Task AnOlderResponseSubmittedLaterDoesNotReplaceANewerSet()
    {
        var (patientId, _) = await Responses.CreatePatientAsync(Client);
        var newer = Responses.TypicalAnswers();
        newer["diet"] = [Responses.Coded(PreferenceCodes.Diet, "kosher")];
        await Responses.SubmitAsync(Client, Responses.Build(patientId, newer, authored: "2026-11-15T09:00:00Z"));
        await Responses.SubmitAsync(Client, Responses.Build(patientId, Responses.TypicalAnswers(), authored: "2026-10-01T09:00:00Z")); // from a paper form, typed in late

        var current = await Responses.LastNAsync(Client, $"patient={patientId}&code={Responses.ServiceSystem}|diet");
        Assert.Equal("kosher", Assert.Single(current)["valueCodeableConcept"]!["coding"]![0]!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task LastNFiltersByCodeAndCategoryAndReturnsTiesTogether()
    {
        var (patientId, _) = await Responses.CreatePatientAsync(Client);
        await Responses.SubmitAsync(Client, Responses.Build(patientId, Responses.TypicalAnswers()));

        var contact = await Responses.LastNAsync(Client, $"patient=Patient/{patientId}&code={Responses.ServiceSystem}|contact-method");
        Assert.Equal(2, contact.Count); // telephone and SMS: both current, same time
        var interpreter = await Responses.LastNAsync(Client, $"patient={patientId}&code=http://loinc.org|54588-9,http://loinc.org|54899-0");
        Assert.Equal(2, interpreter.Count);
        var beliefs = await Responses.LastNAsync(Client, $"subject=Patient/{patientId}&category={Responses.ServiceSystem}|beliefs-culture");
        Assert.Equal(["81364-2", "diet"], beliefs.Select(o => o["code"]!["coding"]![0]!["code"]!.GetValue<string>()).Order(StringComparer.Ordinal));
        var social = await Responses.LastNAsync(Client, $"patient={patientId}&category=social-history");
        Assert.Equal(12, social.Count);
        Assert.Empty(await Responses.LastNAsync(Client, $"patient={patientId}&category=vital-signs"));
        Assert.Empty(await Responses.LastNAsync(Client, "patient=someone-else"));
    }

    [Fact]
    public async Task MaxReturnsEarlierValuesOfTheCurrentCodes()
    {
        var (patientId, _) = await Responses.CreatePatientAsync(Client);
        foreach (var (diet, day) in new[] { ("vegan", "01"), ("vegetarian", "05"), ("halal", "09") })
        {
            var answers = Responses.TypicalAnswers();
            answers["diet"] = [Responses.Coded(PreferenceCodes.Diet, diet)];
            await Responses.SubmitAsync(Client, Responses.Build(patientId, answers, authored: $"2026-11-{day}T09:00:00Z"));
        }

        var lastTwo = await Responses.LastNAsync(Client, $"patient={patientId}&code={Responses.ServiceSystem}|diet&max=2");
        Assert.Equal(["halal", "vegetarian"], lastTwo.Select(o => o["valueCodeableConcept"]!["coding"]![0]!["code"]!.GetValue<string>()));
        Assert.Single(await Responses.LastNAsync(Client, $"patient={patientId}&code={Responses.ServiceSystem}|diet"));
    }

    [Fact]
    public async Task LastNNeedsAPatientAndAValidMax()
    {
        using var noPatient = await Client.GetAsync("/fhir/Observation/$lastn?code=http://loinc.org|54588-9");
        Assert.Contains("patient", await noPatient.AssertOutcomeAsync(HttpStatusCode.BadRequest));
        using var badMax = await Client.GetAsync("/fhir/Observation/$lastn?patient=x&max=0");
        await badMax.AssertOutcomeAsync(HttpStatusCode.BadRequest);
        using var paging = await Client.GetAsync("/fhir/Observation/$lastn?patient=x&_count=5");
        await paging.AssertOutcomeAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task TheCurrentSetsObservationsAreCorrectedThroughTheirResponseNotOneByOne()
    {
        var (patientId, _) = await Responses.CreatePatientAsync(Client);
        await Responses.SubmitAsync(Client, Responses.Build(patientId, Responses.TypicalAnswers()));
        var religion = Assert.Single(await Responses.LastNAsync(Client, $"patient={patientId}&code=http://loinc.org|81364-2"));
        religion["status"] = "entered-in-error";
        using var put = await Client.PutAsync($"/fhir/Observation/{religion["id"]}", Infrastructure.Fhir.Json(religion));
        Assert.Contains("Correct the response", await put.AssertOutcomeAsync(HttpStatusCode.UnprocessableEntity));
        using var delete = await Client.DeleteAsync($"/fhir/Observation/{religion["id"]}");
        await delete.AssertOutcomeAsync(HttpStatusCode.UnprocessableEntity);

        var now = Assert.Single(await Responses.LastNAsync(Client, $"patient={patientId}&code=http://loinc.org|81364-2&status=final"));
        Assert.Equal("1", now["meta"]!["versionId"]!.GetValue<string>());
        Assert.Empty(await Responses.LastNAsync(Client, $"patient={patientId}&code=http://loinc.org|81364-2&status=entered-in-error"));
    }

    [Fact]
    public async Task LastNCanBeInvokedByPostWithParameters()
    {
        var (patientId, nhs) = await Responses.CreatePatientAsync(Client);
        await Responses.SubmitAsync(Client, Responses.Build(patientId, Responses.TypicalAnswers()));
        var parameters = new JsonObject
        {
            ["resourceType"] = "Parameters",
            ["parameter"] = new JsonArray(
                new JsonObject { ["name"] = "subject:identifier", ["valueIdentifier"] = new JsonObject { ["system"] = "https://fhir.nhs.uk/Id/nhs-number", ["value"] = nhs } },
                new JsonObject { ["name"] = "code", ["valueCoding"] = new JsonObject { ["system"] = "http://loinc.org", ["code"] = "54588-9" } },
                new JsonObject { ["name"] = "max", ["valuePositiveInt"] = 1 }),
        };
        using var posted = await Client.PostAsync("/fhir/Observation/$lastn", Infrastructure.Fhir.Json(parameters));
        var bundle = await posted.BodyAsync();
        Assert.True(posted.StatusCode == HttpStatusCode.OK, bundle.ToJsonString());
        Assert.Equal("54588-9", Assert.Single(bundle["entry"]!.AsArray())!["resource"]!["code"]!["coding"]![0]!["code"]!.GetValue<string>());

        using var summary = await Client.PostAsync($"/fhir/Patient/{patientId}/$wmtty-summary", Infrastructure.Fhir.Json("""{"resourceType":"Parameters"}"""));
        Assert.Equal("document", (await summary.BodyAsync())["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task AFirelyClientReadsCurrentPreferencesWithLastN()
    {
        await using var app = WmttyApp.OnLoopback();
        using var http = await app.ClientAsync();
        var (patientId, nhs) = await Responses.CreatePatientAsync(http);
        await Responses.SubmitAsync(http, Responses.Build(patientId, Responses.TypicalAnswers()));

        var token = await app.TokenAsync("ehr");
        using var client = new FhirClient(new Uri(app.LoopbackAddress, "fhir"), new FhirClientSettings { PreferredFormat = ResourceFormat.Json, VerifyFhirVersion = false });
        client.RequestHeaders!.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        var bundle = (FhirModel.Bundle)(await client.TypeOperationAsync<FhirModel.Observation>("lastn",
            new FhirModel.Parameters().Add("subject:identifier", new FhirModel.FhirString($"https://fhir.nhs.uk/Id/nhs-number|{nhs}")), useGet: true))!;
        Assert.Equal(12, bundle.Entry.Count);
        var interpreter = bundle.Entry.Select(e => e.Resource).OfType<FhirModel.Observation>().Single(o => o.Code!.Coding[0].Code == "54588-9");
        Assert.Equal(true, Assert.IsType<FhirModel.FhirBoolean>(interpreter.Value).Value);
    }
}

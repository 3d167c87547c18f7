using System.Net;
using System.Text.Json.Nodes;
using Wmtty.Tests.Infrastructure;
using Xunit;

namespace Wmtty.Tests.Access;

/// <summary>
/// A patient's privacy Consent decides which sections each audience sees. Religion shared with the
/// chaplaincy team but withheld from EHR systems is absent from every EHR read path.
/// </summary>
public sealed class ConsentTests : AppTest
{
    private const string Religion = "81364-2";
    private string patientId = "", nhs = "";
    private JsonNode response = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        (patientId, nhs) = await Responses.CreatePatientAsync(Client);
        response = await Responses.SubmitAsync(Client, Responses.Build(patientId, Responses.TypicalAnswers()));
    }

    internal static JsonObject Withhold(string patientId, string section, string? audience, string status = "active")
    {
        var consent = Consent(patientId, section, audience, status);
        if (audience is null)
        {
            consent["provision"]!["provision"]![0]!.AsObject().Remove("actor");
        }

        return consent;
    }

    private static JsonObject Consent(string patientId, string section, string? audience, string status) => new()
    {
        ["resourceType"] = "Consent",
        ["status"] = status,
        ["scope"] = new JsonObject { ["coding"] = new JsonArray(new JsonObject { ["system"] = "http://terminology.hl7.org/CodeSystem/consentscope", ["code"] = "patient-privacy" }) },
        ["category"] = new JsonArray(new JsonObject { ["coding"] = new JsonArray(new JsonObject { ["system"] = "http://loinc.org", ["code"] = "59284-0" }) }),
        ["patient"] = new JsonObject { ["reference"] = $"Patient/{patientId}" },
        ["dateTime"] = "2026-11-20T10:00:00Z",
        ["policyRule"] = new JsonObject { ["coding"] = new JsonArray(new JsonObject { ["system"] = "http://terminology.hl7.org/CodeSystem/v3-ActCode", ["code"] = "OPTIN" }) },
        ["provision"] = new JsonObject
        {
            ["type"] = "permit",
            ["provision"] = new JsonArray(new JsonObject
            {
                ["type"] = "deny",
                ["actor"] = audience is null ? null : new JsonArray(new JsonObject
                {
                    ["role"] = new JsonObject { ["coding"] = new JsonArray(new JsonObject { ["system"] = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", ["code"] = "IRCP" }) },
                    ["reference"] = new JsonObject { ["identifier"] = new JsonObject { ["system"] = $"{Responses.CanonicalBase}/sid/audience", ["value"] = audience } },
                }),
                ["code"] = new JsonArray(new JsonObject { ["coding"] = new JsonArray(new JsonObject { ["system"] = Responses.ServiceSystem, ["code"] = section }) }),
            }),
        },
    };

    private static bool HasReligion(IEnumerable<JsonNode> observations) =>
        observations.Any(o => o["code"]?["coding"]?[0]?["code"]?.GetValue<string>() == Religion);

    [Fact]
    public async Task AWithheldSectionIsAbsentFromEveryEhrReadPathButTheChaplaincySeesIt()
    {
        var all = await Responses.LastNAsync(Client, $"patient={patientId}");
        var religion = all.Single(o => HasReligion([o]))["id"]!.GetValue<string>();
        var shared = all.Count(o => !o["category"]!.ToJsonString().Contains("beliefs-culture")); // religion and diet are the withheld section

        // The patient records it themselves, with their own token.
        using var patient = await App.ClientAsync("patient", nhs);
        var consent = await patient.CreateAsync(Withhold(patientId, "beliefs-culture", "ehr-systems").ToJsonString());
        Assert.Equal("Consent", consent["resourceType"]!.GetValue<string>());

        using var ehr = await App.ClientAsync("ehr");
        var lastn = await Responses.LastNAsync(ehr, $"patient={patientId}");
        Assert.False(HasReligion(lastn));
        Assert.Equal(shared, lastn.Count); // the other sections are still shared
        Assert.True(shared >= 10);
        Assert.False(HasReligion(await Responses.LastNAsync(ehr, $"patient={patientId}&max=5")));

        using var search = await ehr.GetAsync($"/fhir/Observation?patient={patientId}&_total=accurate&_count=200");
        var bundle = await search.BodyAsync();
        Assert.False(HasReligion(bundle.Resources()));
        Assert.Equal(shared, bundle["total"]!.GetValue<int>()); // not even counted

        using var byCategory = await ehr.GetAsync($"/fhir/Observation?patient={patientId}&category=beliefs-culture&_summary=count");
        Assert.Equal(0, (await byCategory.BodyAsync())["total"]!.GetValue<int>());
        using var included = await ehr.GetAsync($"/fhir/Observation?patient={patientId}&_include=Observation:derived-from&_include=Observation:subject&_count=200");
        var withIncludes = await included.BodyAsync();
        Assert.False(HasReligion(withIncludes.Resources()));
        var includedTypes = withIncludes["entry"]!.AsArray().Where(e => e!["search"]!["mode"]!.GetValue<string>() == "include").Select(e => e!["resource"]!["resourceType"]!.GetValue<string>()).Order();
        Assert.Equal(["Patient", "QuestionnaireResponse"], includedTypes); // the response they came from comes too, redacted
        Assert.DoesNotContain("christian", withIncludes.ToJsonString());

        using var read = await ehr.GetAsync($"/fhir/Observation/{religion}");
        await read.AssertOutcomeAsync(HttpStatusCode.NotFound);
        using var vread = await ehr.GetAsync($"/fhir/Observation/{religion}/_history/1");
        await vread.AssertOutcomeAsync(HttpStatusCode.NotFound);
        using var history = await ehr.GetAsync($"/fhir/Observation/{religion}/_history");
        await history.AssertOutcomeAsync(HttpStatusCode.NotFound);

        // The response keeps the other sections, marked as redacted, with no trace of the religion answer.
        using var stored = await ehr.GetAsync($"/fhir/QuestionnaireResponse/{response["id"]!.GetValue<string>()}");
        var text = await stored.Content.ReadAsStringAsync();
        Assert.DoesNotContain("beliefs-culture", text);
        Assert.DoesNotContain("christian", text);
        Assert.Contains("REDACTED", text);
        Assert.Contains("language-communication", text);
        using var responses = await ehr.GetAsync($"/fhir/QuestionnaireResponse?patient={patientId}");
        Assert.DoesNotContain("christian", await responses.Content.ReadAsStringAsync());

        using var summary = await ehr.GetAsync($"/fhir/Patient/{patientId}/$wmtty-summary");
        var document = await summary.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, summary.StatusCode);
        Assert.DoesNotContain(Religion, document);
        Assert.DoesNotContain("hristian", document);

        using var extract = await ehr.PostAsync($"/fhir/QuestionnaireResponse/{response["id"]!.GetValue<string>()}/$extract", null);
        Assert.DoesNotContain(Religion, await extract.Content.ReadAsStringAsync());

        // A conditional create that matches gives the existing response back as a read would: redacted.
        using var writer = await App.ClientAsync("ehrwriter");
        using var matched = await writer.SendAsync(HttpMethod.Post, "/fhir/QuestionnaireResponse",
            Infrastructure.Fhir.Json(Responses.Build(patientId, Responses.TypicalAnswers())), ("If-None-Exist", $"subject=Patient/{patientId}"));
        Assert.Equal(HttpStatusCode.OK, matched.StatusCode);
        var matchedText = await matched.Content.ReadAsStringAsync();
        Assert.DoesNotContain("christian", matchedText);
        Assert.Contains("REDACTED", matchedText);

        // Nobody the section is withheld from can lift the restriction.
        using var lift = await writer.DeleteAsync($"/fhir/Consent/{consent["id"]!.GetValue<string>()}");
        await lift.AssertOutcomeAsync(HttpStatusCode.Forbidden);
        using var clinicianLift = await Client.DeleteAsync($"/fhir/Consent/{consent["id"]!.GetValue<string>()}");
        await clinicianLift.AssertOutcomeAsync(HttpStatusCode.Forbidden);

        // The chaplaincy team, the care team and the patient still see it.
        using var chaplain = await App.ClientAsync("chaplain");
        Assert.True(HasReligion(await Responses.LastNAsync(chaplain, $"patient={patientId}")));
        Assert.True(HasReligion(await Responses.LastNAsync(Client, $"patient={patientId}")));
        Assert.True(HasReligion(await Responses.LastNAsync(patient, $"patient={patientId}")));
        using var chaplainRead = await chaplain.GetAsync($"/fhir/Observation/{religion}");
        Assert.Equal(HttpStatusCode.OK, chaplainRead.StatusCode);
    }

    [Fact]
    public async Task WithholdingLanguageFromEveryoneHidesThePatientsLanguagesAndChangingTheConsentBringsThemBack()
    {
        var consent = await Client.CreateAsync(Withhold(patientId, "language-communication", audience: null).ToJsonString());
        using var ehr = await App.ClientAsync("ehr");
        using var read = await ehr.GetAsync($"/fhir/Patient/{patientId}");
        var patient = await read.BodyAsync();
        Assert.Null(patient["communication"]);
        Assert.Contains("REDACTED", patient.ToJsonString());
        Assert.DoesNotContain(await Responses.LastNAsync(Client, $"patient={patientId}"), o => o["code"]!["coding"]![0]!["code"]!.GetValue<string>() == "54899-0");

        // Nor does a search by language give it away.
        using var byLanguage = await ehr.GetAsync($"/fhir/Patient?_id={patientId}&language=urn:ietf:bcp:47|pl&_summary=count");
        Assert.Equal(0, (await byLanguage.BodyAsync())["total"]!.GetValue<int>());
        using var byOtherLanguage = await ehr.GetAsync($"/fhir/Patient?_id={patientId}&language=urn:ietf:bcp:47|ro&_summary=count");
        Assert.Equal(0, (await byOtherLanguage.BodyAsync())["total"]!.GetValue<int>());

        // The patient changes their mind: the Consent becomes inactive, and the section is shared again.
        var inactive = Withhold(patientId, "language-communication", audience: null, status: "inactive");
        inactive["id"] = consent["id"]!.GetValue<string>();
        using var update = await Client.PutAsync($"/fhir/Consent/{consent["id"]!.GetValue<string>()}", Infrastructure.Fhir.Json(inactive));
        Assert.Equal(HttpStatusCode.OK, update.StatusCode);
        using var again = await ehr.GetAsync($"/fhir/Patient/{patientId}");
        Assert.NotNull((await again.BodyAsync())["communication"]);
        Assert.Equal(12, (await Responses.LastNAsync(ehr, $"patient={patientId}")).Count);
        using var byLanguageAgain = await ehr.GetAsync($"/fhir/Patient?_id={patientId}&language=urn:ietf:bcp:47|pl&_summary=count");
        Assert.Equal(1, (await byLanguageAgain.BodyAsync())["total"]!.GetValue<int>());
    }

    [Fact]
    public async Task AConsentWithRulesThatWouldNotBeEnforcedIsRefused()
    {
        var withPeriod = Withhold(patientId, "beliefs-culture", "ehr-systems");
        withPeriod["provision"]!["provision"]![0]!["period"] = new JsonObject { ["start"] = "2026-01-01" };
        using var period = await Client.PostAsync("/fhir/Consent", Infrastructure.Fhir.Json(withPeriod));
        Assert.Contains("period", await period.AssertOutcomeAsync(HttpStatusCode.UnprocessableEntity));

        using var unknownAudience = await Client.PostAsync("/fhir/Consent", Infrastructure.Fhir.Json(Withhold(patientId, "beliefs-culture", "marketing")));
        await unknownAudience.AssertOutcomeAsync(HttpStatusCode.UnprocessableEntity);
        using var unknownSection = await Client.PostAsync("/fhir/Consent", Infrastructure.Fhir.Json(Withhold(patientId, "finances", "ehr-systems")));
        await unknownSection.AssertOutcomeAsync(HttpStatusCode.UnprocessableEntity);
        Assert.Equal(0, await CountAsync("Consent"));

        // A patient cannot set another patient's Consent.
        var (other, _) = await Responses.CreatePatientAsync(Client);
        using var patient = await App.ClientAsync("patient", nhs);
        using var forOther = await patient.PostAsync("/fhir/Consent", Infrastructure.Fhir.Json(Withhold(other, "beliefs-culture", "ehr-systems")));
        await forOther.AssertOutcomeAsync(HttpStatusCode.Forbidden);
    }
}

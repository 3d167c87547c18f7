using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Wmtty.Tests.Infrastructure;
using F = Wmtty.Tests.Infrastructure.Fhir;

namespace Wmtty.Tests.Fhir;

/// <summary>What the service writes is valid against the official HL7 FHIR R4 JSON schema.</summary>
public sealed class FhirJsonSchemaTests : AppTest
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), "wmtty-tests", "schema-" + Guid.NewGuid().ToString("N"));
    private readonly List<string> kept = [];

    private async Task KeepAsync(string name, HttpResponseMessage response)
    {
        Directory.CreateDirectory(folder);
        var text = await response.Content.ReadAsStringAsync();
        Assert.False(string.IsNullOrWhiteSpace(text), $"{name} had no body ({(int)response.StatusCode})");
        await File.WriteAllTextAsync(Path.Combine(folder, name + ".json"), text);
        kept.Add(name);
        response.Dispose();
    }

    public override async Task DisposeAsync()
    {
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }

        await base.DisposeAsync();
    }

    [SkippableFact]
    public async Task ResourcesBundlesOutcomesAndTheCapabilityStatementAreSchemaValid()
    {
        FhirSchema.SkipUnlessInstalled();

        var nhs = NhsNumbers.Next();
        using var created = await Client.PostAsync("/fhir/Patient", F.Json(F.Patient(nhs, family: "Ćwikła", given: "محمد")));
        var patient = await created.BodyAsync();
        var id = patient.Text("id");
        await KeepAsync("created-patient", await Client.GetAsync($"/fhir/Patient/{id}"));
        var observation = await Client.CreateAsync(F.Observation(id));
        await KeepAsync("observation", await Client.GetAsync($"/fhir/Observation/{observation.Text("id")}"));
        var answers = Responses.TypicalAnswers();
        answers["what-matters-most"] = [Responses.Text("Family first 👪 — الأسرة أولاً")];
        var response = await Client.CreateAsync(Responses.Build(id, answers, language: "ar").ToJsonString());
        await KeepAsync("questionnaire-response", await Client.GetAsync($"/fhir/QuestionnaireResponse/{response.Text("id")}"));
        await KeepAsync("seeded-questionnaire", await Client.GetAsync($"/fhir/Questionnaire?url={Responses.Canonical.Split('|')[0]}"));
        await KeepAsync("seeded-codesystem", await Client.GetAsync($"/fhir/CodeSystem?url={Responses.ServiceSystem}"));
        await KeepAsync("seeded-valuesets", await Client.GetAsync("/fhir/ValueSet"));
        await KeepAsync("seeded-operation", await Client.GetAsync("/fhir/OperationDefinition"));
        await KeepAsync("lastn", await Client.GetAsync($"/fhir/Observation/$lastn?patient={id}"));
        await KeepAsync("summary-document", await Client.GetAsync($"/fhir/Patient/{id}/$wmtty-summary"));
        await KeepAsync("populate", await Client.PostAsync("/fhir/Questionnaire/$populate", F.Json($$$"""{"resourceType":"Parameters","parameter":[{"name":"subject","valueReference":{"reference":"Patient/{{{id}}}"}}]}""")));
        await KeepAsync("extract", await Client.PostAsync("/fhir/QuestionnaireResponse/$extract", F.Json(Responses.Build(id, answers))));
        await KeepAsync("error-422-response", await Client.PostAsync("/fhir/QuestionnaireResponse", F.Json(Responses.Build(id, []))));
        var questionnaire = await Client.CreateAsync("""{"resourceType":"Questionnaire","status":"active","url":"https://wmtty.example/q","version":"1","item":[{"linkId":"1","type":"string","text":"What matters to you?"}]}""");
        await KeepAsync("questionnaire", await Client.GetAsync($"/fhir/Questionnaire/{questionnaire.Text("id")}"));

        patient["gender"] = "female";
        (await Client.PutAsync($"/fhir/Patient/{id}", F.Json(patient))).Dispose();
        await KeepAsync("search-page", await Client.GetAsync("/fhir/Patient?_count=1&_total=accurate&shoe-size=9"));
        await KeepAsync("search-empty", await Client.GetAsync("/fhir/Patient?family=nobody"));
        await KeepAsync("search-count", await Client.GetAsync("/fhir/Observation?_summary=count"));
        await KeepAsync("search-observations", await Client.GetAsync($"/fhir/Observation?patient={id}"));
        await KeepAsync("update-outcome", await Client.SendAsync(HttpMethod.Put, $"/fhir/Patient/{id}", F.Json(patient), ("Prefer", "return=OperationOutcome")));
        await KeepAsync("delete-outcome", await Client.SendAsync(HttpMethod.Delete, $"/fhir/Observation/{observation.Text("id")}", null, ("Prefer", "return=OperationOutcome")));
        await KeepAsync("history", await Client.GetAsync($"/fhir/Observation/{observation.Text("id")}/_history"));
        await KeepAsync("history-paged", await Client.GetAsync($"/fhir/Patient/{id}/_history?_count=1"));
        await KeepAsync("capability-statement", await Client.GetAsync("/fhir/metadata"));

        await KeepAsync("error-400", await Client.PostAsync("/fhir/Patient", F.Json("""{"resourceType":"Patient","gender":"x","birthDate":"y"}""")));
        await KeepAsync("error-400-json", await Client.PostAsync("/fhir/Patient", F.Json("{nope")));
        await KeepAsync("error-404", await Client.GetAsync("/fhir/Patient/nobody"));
        await KeepAsync("error-405", await Client.DeleteAsync("/fhir/Patient"));
        await KeepAsync("error-406", await Client.GetAsync("/fhir/Patient?_format=csv"));
        await KeepAsync("error-410", await Client.GetAsync($"/fhir/Observation/{observation.Text("id")}"));
        await KeepAsync("error-412", await Client.SendAsync(HttpMethod.Put, $"/fhir/Patient/{id}", F.Json(patient), ("If-Match", "W/\"1\"")));
        await KeepAsync("error-413", await Client.PostAsync("/fhir/Patient", F.Json(new string(' ', 1_100_000) + "{}")));
        await KeepAsync("error-415", await Client.PostAsync("/fhir/Patient", new StringContent("x", Encoding.UTF8, "text/plain")));
        await KeepAsync("error-422", await Client.PostAsync("/fhir/Patient", F.Json(F.Patient("9434765918"))));
        using (var anonymous = App.CreateClient())
        {
            await KeepAsync("error-401", await anonymous.GetAsync("/fhir/Patient"));
        }

        // Access: a privacy Consent, what its redaction leaves, the audit trail as AuditEvent, a refusal.
        var consent = await Client.CreateAsync($$$"""
            {"resourceType":"Consent","status":"active",
             "scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"patient-privacy"}]},
             "category":[{"coding":[{"system":"http://loinc.org","code":"59284-0"}]}],
             "patient":{"reference":"Patient/{{{id}}}"},"dateTime":"2026-11-20T10:00:00Z",
             "policyRule":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"OPTIN"}]},
             "provision":{"type":"permit","provision":[{"type":"deny",
               "actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},
                         "reference":{"identifier":{"system":"{{{Responses.CanonicalBase}}}/sid/audience","value":"ehr-systems"} } }],
               "code":[{"coding":[{"system":"{{{Responses.ServiceSystem}}}","code":"language-communication"}]},{"coding":[{"system":"{{{Responses.ServiceSystem}}}","code":"beliefs-culture"}]}]}]} }
            """);
        await KeepAsync("consent", await Client.GetAsync($"/fhir/Consent/{consent.Text("id")}"));
        using (var ehr = await App.ClientAsync("ehr"))
        {
            await KeepAsync("redacted-response", await ehr.GetAsync($"/fhir/QuestionnaireResponse/{response.Text("id")}"));
            await KeepAsync("redacted-patient", await ehr.GetAsync($"/fhir/Patient/{id}"));
            await KeepAsync("search-with-includes", await ehr.GetAsync($"/fhir/Observation?patient={id}&_include=Observation:subject&_include=Observation:derived-from"));
            await KeepAsync("error-403", await ehr.DeleteAsync($"/fhir/Patient/{id}"));
        }

        using (var admin = await App.ClientAsync("admin"))
        {
            var audit = await admin.GetAsync($"/fhir/AuditEvent?patient=Patient/{id}&_count=5");
            var page = await audit.BodyAsync();
            await KeepAsync("audit-events", audit);
            await KeepAsync("audit-event", await admin.GetAsync($"/fhir/AuditEvent/{page.Resources().First().Text("id")}"));

            // The outcome figures: every Measure, and a MeasureReport with counts, shares and suppressed (masked) counts.
            await KeepAsync("seeded-measure", await admin.GetAsync("/fhir/Measure/wmtty-interpreter-need-1.0.0"));
            await KeepAsync("seeded-measures", await admin.GetAsync("/fhir/Measure?_count=50"));
            await KeepAsync("measure-report", await admin.GetAsync("/fhir/Measure/wmtty-interpreter-need-1.0.0/$evaluate-measure?periodStart=2026-01&periodEnd=2026-12"));
            await KeepAsync("measure-report-cohort", await admin.GetAsync("/fhir/Measure/wmtty-recorded-1.0.0/$evaluate-measure?periodStart=2026-10&periodEnd=2026-11"));

            // The right of access and the right to erasure: every version, then the erasure's report.
            await KeepAsync("everything", await admin.GetAsync($"/fhir/Patient/{id}/$everything"));
            await KeepAsync("erase-report", await admin.PostAsync($"/fhir/Patient/{id}/$erase", null));
        }

        var (valid, report) = await FhirSchema.ValidateAsync(folder);
        Assert.True(valid, report);
        Assert.Equal(kept.Count, report.Split('\n').Count(line => line.StartsWith("ok ", StringComparison.Ordinal)));
    }

    [SkippableFact]
    public async Task TheSchemaCheckCatchesInvalidFhir()
    {
        FhirSchema.SkipUnlessInstalled();
        Directory.CreateDirectory(folder);
        await File.WriteAllTextAsync(Path.Combine(folder, "schema.json"), """{"resourceType":"Patient","gender":"bogus","shoeSize":9}""");
        await File.WriteAllTextAsync(Path.Combine(folder, "rules.json"), """{"resourceType":"Bundle","type":"searchset","entry":[]}""");
        var (valid, report) = await FhirSchema.ValidateAsync(folder);
        Assert.False(valid, report);
        Assert.Contains("invalid rules.json", report);
        Assert.Contains("invalid schema.json", report);
    }
}

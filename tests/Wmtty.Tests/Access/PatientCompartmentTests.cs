using System.Net;
using System.Text.Json.Nodes;
using Wmtty.Tests.Infrastructure;
using Xunit;

namespace Wmtty.Tests.Access;

/// <summary>
/// A patient's token reaches only that patient's own data. Patient A asking for patient B's data, by
/// every route, gets 404, exactly as for a record that does not exist.
/// </summary>
public sealed class PatientCompartmentTests : AppTest
{
    private string a = "", aNhs = "", b = "", bNhs = "";
    private JsonNode bResponse = null!;
    private HttpClient patientA = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        (a, aNhs) = await Responses.CreatePatientAsync(Client);
        (b, bNhs) = await Responses.CreatePatientAsync(Client);
        await Responses.SubmitAsync(Client, Responses.Build(a, Responses.TypicalAnswers()));
        bResponse = await Responses.SubmitAsync(Client, Responses.Build(b, Responses.TypicalAnswers()));
        patientA = await App.ClientAsync("patient", aNhs);
    }

    public override async Task DisposeAsync()
    {
        patientA.Dispose();
        await base.DisposeAsync();
    }

    private async Task<string> AnObservationOf(string patientId) =>
        (await Responses.LastNAsync(Client, $"patient={patientId}"))[0]["id"]!.GetValue<string>();

    [Fact]
    public async Task APatientReadsTheirOwnData()
    {
        using var self = await patientA.GetAsync($"/fhir/Patient/{a}");
        Assert.Equal(HttpStatusCode.OK, self.StatusCode);
        Assert.Equal(12, (await Responses.LastNAsync(patientA, $"patient={a}")).Count);
        Assert.Equal(12, (await Responses.LastNAsync(patientA, $"subject:identifier=https://fhir.nhs.uk/Id/nhs-number|{aNhs}")).Count);
        using var summary = await patientA.GetAsync($"/fhir/Patient/{a}/$wmtty-summary");
        Assert.Equal(HttpStatusCode.OK, summary.StatusCode);

        // A search with no patient named is limited to their own records.
        using var all = await patientA.GetAsync("/fhir/Observation?_count=200&_total=accurate");
        var bundle = await all.BodyAsync();
        Assert.Equal(12, bundle["total"]!.GetValue<int>());
        Assert.All(bundle.Resources(), o => Assert.Equal($"Patient/{a}", o["subject"]!["reference"]!.GetValue<string>()));
        using var included = await patientA.GetAsync("/fhir/Observation?_include=Observation:subject&_include=Observation:derived-from&_count=200");
        var withIncludes = await included.BodyAsync();
        Assert.All(withIncludes["entry"]!.AsArray(), e => Assert.Contains(a, e!["resource"]!.ToJsonString()));
        Assert.Contains(withIncludes["entry"]!.AsArray(), e => e!["search"]!["mode"]!.GetValue<string>() == "include" && e["resource"]!["id"]!.GetValue<string>() == a);
        using var patients = await patientA.GetAsync("/fhir/Patient");
        Assert.Equal([a], (await patients.BodyAsync()).Resources().Select(p => p["id"]!.GetValue<string>()));
    }

    public static TheoryData<string> Routes =>
    [
        "read-patient", "read-observation", "read-response", "vread-response", "history-response", "history-patient",
        "search-patient", "search-subject", "search-identifier", "search-patient-by-id", "search-patient-by-nhs", "search-post",
        "include", "lastn", "lastn-identifier", "lastn-post", "summary", "summary-post", "populate", "extract", "audit",
    ];

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task PatientAReachingPatientBGets404ByEveryRoute(string route)
    {
        var observation = await AnObservationOf(b);
        var responseId = bResponse["id"]!.GetValue<string>();
        Task<HttpResponseMessage> Get(string url) => patientA.GetAsync(url);
        Task<HttpResponseMessage> Post(string url, string json) => patientA.PostAsync(url, Infrastructure.Fhir.Json(json));
        using var response = await (route switch
        {
            "read-patient" => Get($"/fhir/Patient/{b}"),
            "read-observation" => Get($"/fhir/Observation/{observation}"),
            "read-response" => Get($"/fhir/QuestionnaireResponse/{responseId}"),
            "vread-response" => Get($"/fhir/QuestionnaireResponse/{responseId}/_history/1"),
            "history-response" => Get($"/fhir/QuestionnaireResponse/{responseId}/_history"),
            "history-patient" => Get($"/fhir/Patient/{b}/_history"),
            "search-patient" => Get($"/fhir/Observation?patient={b}"),
            "search-subject" => Get($"/fhir/QuestionnaireResponse?subject=Patient/{b}"),
            "search-identifier" => Get($"/fhir/Observation?subject:identifier=https://fhir.nhs.uk/Id/nhs-number|{bNhs}"),
            "search-patient-by-id" => Get($"/fhir/Patient?_id={b}"),
            "search-patient-by-nhs" => Get($"/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|{bNhs}"),
            "search-post" => patientA.PostAsync("/fhir/Observation/_search", new FormUrlEncodedContent([new("patient", b)])),
            "include" => Get($"/fhir/Observation?patient={b}&_include=Observation:subject"),
            "lastn" => Get($"/fhir/Observation/$lastn?patient={b}"),
            "lastn-identifier" => Get($"/fhir/Observation/$lastn?subject:identifier=https://fhir.nhs.uk/Id/nhs-number|{bNhs}"),
            "lastn-post" => Post("/fhir/Observation/$lastn", $$"""{"resourceType":"Parameters","parameter":[{"name":"patient","valueString":"{{b}}"}]}"""),
            "summary" => Get($"/fhir/Patient/{b}/$wmtty-summary"),
            "summary-post" => patientA.PostAsync($"/fhir/Patient/{b}/$wmtty-summary", null),
            "populate" => Post("/fhir/Questionnaire/$populate", $$$"""{"resourceType":"Parameters","parameter":[{"name":"subject","valueReference":{"reference":"Patient/{{{b}}}"}}]}"""),
            "extract" => patientA.PostAsync($"/fhir/QuestionnaireResponse/{responseId}/$extract", null),
            _ => Get($"/fhir/AuditEvent?patient=Patient/{b}"),
        });

        var text = await response.AssertOutcomeAsync(HttpStatusCode.NotFound);
        Assert.DoesNotContain(bNhs, text);
        Assert.DoesNotContain(App.Logs.Lines, line => line.Contains(bNhs, StringComparison.Ordinal) || line.Contains(aNhs, StringComparison.Ordinal) || line.Contains("Kowalska", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TheAnswerForAnotherPatientIsTheAnswerForNoPatientAtAll()
    {
        foreach (var (real, missing) in new[]
        {
            ($"/fhir/Patient/{b}", "/fhir/Patient/no-such-patient"),
            ($"/fhir/Observation/$lastn?patient={b}", "/fhir/Observation/$lastn?patient=no-such-patient"),
            ($"/fhir/Patient/{b}/$wmtty-summary", "/fhir/Patient/no-such-patient/$wmtty-summary"),
            ($"/fhir/Observation?patient={b}", "/fhir/Observation?patient=no-such-patient"),
        })
        {
            using var forReal = await patientA.GetAsync(real);
            using var forMissing = await patientA.GetAsync(missing);
            Assert.Equal(HttpStatusCode.NotFound, forReal.StatusCode);
            Assert.Equal(forMissing.StatusCode, forReal.StatusCode);
            var realIssue = (await forReal.BodyAsync())["issue"]![0]!;
            var missingIssue = (await forMissing.BodyAsync())["issue"]![0]!;
            Assert.Equal(missingIssue["code"]!.GetValue<string>(), realIssue["code"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task APatientCannotWriteForAnotherPatientNorChangeTheirRecords()
    {
        // A response about someone else is refused without looking them up: the same for B as for no one.
        using var forB = await patientA.PostAsync("/fhir/QuestionnaireResponse", Infrastructure.Fhir.Json(Responses.Build(b, Responses.TypicalAnswers())));
        await forB.AssertOutcomeAsync(HttpStatusCode.Forbidden);
        using var forNobody = await patientA.PostAsync("/fhir/QuestionnaireResponse", Infrastructure.Fhir.Json(Responses.Build("no-such-patient", Responses.TypicalAnswers())));
        await forNobody.AssertOutcomeAsync(HttpStatusCode.Forbidden);

        // B's response cannot be overwritten or deleted; to A it does not exist.
        var responseId = bResponse["id"]!.GetValue<string>();
        var mine = Responses.Build(a, Responses.TypicalAnswers());
        mine["id"] = responseId;
        using var overwrite = await patientA.PutAsync($"/fhir/QuestionnaireResponse/{responseId}", Infrastructure.Fhir.Json(mine));
        await overwrite.AssertOutcomeAsync(HttpStatusCode.NotFound);

        // Nor can they tell an id in use by someone else from an unused one: patients do not choose ids.
        var unused = Responses.Build(a, Responses.TypicalAnswers());
        unused["id"] = "00000000-0000-0000-0000-0000000000ab";
        using var chosen = await patientA.PutAsync("/fhir/QuestionnaireResponse/00000000-0000-0000-0000-0000000000ab", Infrastructure.Fhir.Json(unused));
        Assert.Equal(await overwrite.Content.ReadAsStringAsync().ContinueWith(t => t.Result.Replace(responseId, "X")),
            (await chosen.Content.ReadAsStringAsync()).Replace("00000000-0000-0000-0000-0000000000ab", "X"));
        using var conditional = await patientA.PutAsync($"/fhir/QuestionnaireResponse?_id={responseId}", Infrastructure.Fhir.Json(mine));
        await conditional.AssertOutcomeAsync(HttpStatusCode.NotFound);

        // And their own answers they may record.
        await Responses.SubmitAsync(patientA, Responses.Build(a, Responses.TypicalAnswers()));
        using var bStill = await Client.GetAsync($"/fhir/QuestionnaireResponse/{responseId}");
        Assert.Equal($"Patient/{b}", (await bStill.BodyAsync())["subject"]!["reference"]!.GetValue<string>());
    }

    [Fact]
    public async Task APatientWithNoRecordHereSeesNothingAndReachesNoOne()
    {
        using var stranger = await App.ClientAsync("patient", NhsNumbers.Next());
        using var search = await stranger.GetAsync("/fhir/Observation");
        Assert.Equal(0, (await search.BodyAsync()).Count());
        using var read = await stranger.GetAsync($"/fhir/Patient/{b}");
        await read.AssertOutcomeAsync(HttpStatusCode.NotFound);
        using var lastn = await stranger.GetAsync($"/fhir/Observation/$lastn?patient={b}");
        await lastn.AssertOutcomeAsync(HttpStatusCode.NotFound);
    }
}

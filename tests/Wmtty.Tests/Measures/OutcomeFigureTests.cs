using System.Net;
using System.Text.Json.Nodes;
using Wmtty.Tests.Infrastructure;

namespace Wmtty.Tests.Measures;

/// <summary>
/// The outcome figures over <see cref="OutcomePopulation"/>, against counts worked out by hand, after suppression (1 to 7
/// hidden, the rest rounded to the nearest 5, a second cell hidden where one would be alone) as at the end of August 2026.
/// </summary>
public sealed class OutcomeFigureTests(OutcomePopulation population) : IClassFixture<OutcomePopulation>
{
    private const string Period = $"periodStart={OutcomePopulation.PeriodStart}&periodEnd={OutcomePopulation.PeriodEnd}";

    private async Task<JsonNode> EvaluateAsync(string figure, string query = Period)
    {
        using var client = await population.App.ClientAsync("publichealth");
        using var response = await client.GetAsync($"/fhir/Measure/{figure}-1.0.0/$evaluate-measure?{query}");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        return JsonNode.Parse(body)!;
    }

    // "key: count" or "key: numerator/denominator", with * for a suppressed count, for each stratum of a stratifier.
    private static List<string> Strata(JsonNode report, string stratifier) =>
        [.. report["group"]![0]!["stratifier"]!.AsArray().Single(s => s!["code"]![0]!["text"]!.GetValue<string>() == stratifier)!["stratum"]!.AsArray()
            .Select(s => $"{s!["value"]!["text"]}: {Counts(s["population"]!)}")];

    private static string Counts(JsonNode populations)
    {
        string Of(string code) => populations.AsArray().Single(p => p!["code"]!["coding"]![0]!["code"]!.GetValue<string>() == code)!["count"]?.ToString() ?? "*";
        return populations.AsArray().Count == 1 ? Of("initial-population") : $"{Of("numerator")}/{Of("denominator")}";
    }

    private static decimal? Score(JsonNode node) => node["measureScore"]?["value"]?.GetValue<decimal>();

    [Fact]
    public async Task PatientsWithRecordedPreferencesAreCountedMonthByMonthAndBrokenDown()
    {
        var report = await EvaluateAsync("wmtty-recorded");

        Assert.Equal("MeasureReport", report["resourceType"]!.GetValue<string>());
        Assert.Equal(("complete", "summary"), (report["status"]!.GetValue<string>(), report["type"]!.GetValue<string>()));
        Assert.Equal("https://wmtty.example.org/fhir/Measure/wmtty-recorded|1.0.0", report["measure"]!.GetValue<string>());
        Assert.StartsWith("2026-06-01T00:00:00", report["period"]!["start"]!.GetValue<string>());
        Assert.StartsWith("2026-08-31T23:59:59", report["period"]!["end"]!.GetValue<string>());
        Assert.Equal("35", Counts(report["group"]![0]!["population"]!)); // 33

        Assert.Equal(["2026-06: 20", "2026-07: 35", "2026-08: 35"], Strata(report, "month")); // 20, then 33
        Assert.Equal(["within-3-months: 35", "3-to-12-months: 0", "over-12-months: 0"], Strata(report, "recency"));
        // 10 English, 20 Polish, 3 Urdu: the 3 are hidden, and so are the 10, or 35 - 20 would show about how many Urdu speakers there are.
        Assert.Equal(["en: *", "pl: 20", "ur: *"], Strata(report, "questionnaire-language"));
        Assert.Equal(["Y00001: 20", "Y00002: *", "not-recorded: *"], Strata(report, "gp-practice"));
        Assert.Equal(["LU1: 25", "LU2: 10"], Strata(report, "postcode-district")); // 23 and 10; a district, never the postcode
        Assert.DoesNotContain("3LU", report.ToJsonString());
    }

    [Fact]
    public async Task InterpreterNeedIsAShareByLanguageWithSmallNumbersHidden()
    {
        var report = await EvaluateAsync("wmtty-interpreter-need");
        var group = report["group"]![0]!;

        Assert.Equal("25/35", Counts(group["population"]!)); // 23 of 33
        Assert.Equal(0.7143m, Score(group));
        var answers = Strata(report, "answer");
        Assert.Equal("203901000000102: */35", answers[0]); // 20 Polish, hidden beside the 3 Urdu: the total less the Polish would give them
        Assert.Contains("204211000000109: */35", answers);
        Assert.All(answers.Where(a => !a.StartsWith("203901000000102", StringComparison.Ordinal) && !a.StartsWith("204211000000109", StringComparison.Ordinal)),
            a => Assert.EndsWith(": 0/35", a));
        Assert.Equal(["en: 0/*", "pl: */20", "ur: */*"], Strata(report, "questionnaire-language"));
        Assert.Equal(["2026-06: 20/20", "2026-07: 25/35", "2026-08: 25/35"], Strata(report, "month"));
    }

    [Fact]
    public async Task DietCountsEachPatientOnceHoweverManyAnswers()
    {
        var report = await EvaluateAsync("wmtty-diet");

        Assert.Equal("25/35", Counts(report["group"]![0]!["population"]!)); // 20 vegetarian and 3 halal; "None" is not a need
        Assert.Equal(["halal: */35", "kosher: 0/35", "vegetarian: */35", "vegan: 0/35", "dairy-free: 0/35", "nut-free: 0/35", "gluten-free: 0/35", "none: */35"],
            Strata(report, "answer")); // 3 halal hidden, so the 10 "None" are too (against the 35), and the 20 vegetarian (against the 25 with a diet)
    }

    [Fact]
    public async Task ConnectorHelpIsSetAgainstThoseWhoAnsweredAlone()
    {
        var report = await EvaluateAsync("wmtty-connector-help");

        Assert.Equal("20/35", Counts(report["group"]![0]!["population"]!));
        Assert.Equal(0.5714m, Score(report["group"]![0]!));
        Assert.Equal(["connector: 20/35", "patient: 15/35", "family: 0/35", "clinician: 0/35", "not-recorded: 0/35"], Strata(report, "completed-by"));
    }

    [Fact]
    public async Task OtherNeedsAndRecencyFollowTheSameRules()
    {
        Assert.Equal("35/35", Counts((await EvaluateAsync("wmtty-updated-12-months"))["group"]![0]!["population"]!));
        Assert.Equal("20/35", Counts((await EvaluateAsync("wmtty-written-format"))["group"]![0]!["population"]!)); // large print; "None" is not a need
        Assert.Equal("20/35", Counts((await EvaluateAsync("wmtty-clinician-gender"))["group"]![0]!["population"]!)); // "No preference" is not a need
        Assert.Equal("0/35", Counts((await EvaluateAsync("wmtty-reasonable-adjustments"))["group"]![0]!["population"]!));

        // By the end of June only the 20 had answered: the others' answers of July are not yet there.
        var june = await EvaluateAsync("wmtty-written-format", "periodStart=2026-06-01&periodEnd=2026-06-30");
        Assert.Equal("20/20", Counts(june["group"]![0]!["population"]!));
        Assert.Equal(["2026-06: 20/20"], Strata(june, "month"));
    }

    [Fact]
    public async Task FirelysFhirClientReadsTheMeasureAndEvaluatesItByPostAndByGet()
    {
        using var http = await population.App.ClientAsync("publichealth");
        using var fhir = new Hl7.Fhir.Rest.FhirClient(new Uri(http.BaseAddress!, "/fhir/"), http,
            new Hl7.Fhir.Rest.FhirClientSettings { PreferredFormat = Hl7.Fhir.Rest.ResourceFormat.Json, VerifyFhirVersion = false });
        var measure = await fhir.ReadAsync<Hl7.Fhir.Model.Measure>("Measure/wmtty-recorded-1.0.0");
        Assert.Equal(Hl7.Fhir.Model.PublicationStatus.Active, measure!.Status);
        var location = new Uri(http.BaseAddress!, "/fhir/Measure/wmtty-recorded-1.0.0");
        var period = new Hl7.Fhir.Model.Parameters()
            .Add("periodStart", new Hl7.Fhir.Model.Date("2026-06"))
            .Add("periodEnd", new Hl7.Fhir.Model.Date("2026-08"));

        foreach (var useGet in new[] { false, true })
        {
            var report = Assert.IsType<Hl7.Fhir.Model.MeasureReport>(await fhir.InstanceOperationAsync(location, "evaluate-measure", period, useGet));
            Assert.Equal($"{measure.Url}|{measure.Version}", report.Measure);
            Assert.Equal(Hl7.Fhir.Model.MeasureReport.MeasureReportType.Summary, report.Type);
            Assert.Equal(35, report.Group[0].Population.Single().Count); // 33, rounded
            var languages = report.Group[0].Stratifier.Single(s => s.Code[0].Text == "questionnaire-language");
            Assert.Equal([null, 20, null], languages.Stratum.Select(s => s.Population.Single().Count)); // en and ur hidden
            Assert.All(languages.Stratum.Where(s => s.Population.Single().Count is null),
                s => Assert.Equal("masked", (s.Population.Single().CountElement!.Extension.Single(e => e.Url == Wmtty.Fhir.Measures.OutcomeReports.DataAbsentReasonUrl).Value as Hl7.Fhir.Model.Code)?.Value));
        }
    }

    [Fact]
    public async Task PostWithAParametersBodyGivesTheSameReport()
    {
        using var client = await population.App.ClientAsync("admin");
        using var posted = await client.PostAsync("/fhir/Measure/wmtty-diet-1.0.0/$evaluate-measure", Infrastructure.Fhir.Json("""
            {"resourceType":"Parameters","parameter":[{"name":"periodStart","valueDate":"2026-06"},{"name":"periodEnd","valueDate":"2026-08"},{"name":"reportType","valueCode":"population"}]}
            """));
        var body = await posted.BodyAsync();
        Assert.Equal(HttpStatusCode.OK, posted.StatusCode);

        var viaGet = await EvaluateAsync("wmtty-diet");
        body.AsObject().Remove("date");
        viaGet.AsObject().Remove("date");
        Assert.Equal(viaGet.ToJsonString(), body.ToJsonString());
    }

    [Fact]
    public async Task TheCsvHoldsTheSameFiguresWithSuppressedCountsStarred()
    {
        using var client = await population.App.ClientAsync("publichealth");
        using var response = await client.GetAsync($"/clinician/measures.csv?{Period}");
        var csv = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("attachment", response.Content.Headers.ContentDisposition?.ToString());
        var lines = csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("measure,month,breakdown,stratum,stratum_name,numerator,denominator,share", lines[0]);
        Assert.Contains("wmtty-recorded,2026-08,,,,35,,", lines);
        Assert.Contains("wmtty-recorded,2026-08,questionnaire-language,ur,Urdu,*,,", lines);
        Assert.Contains("wmtty-recorded,2026-08,questionnaire-language,en,English,*,,", lines);
        Assert.Contains("wmtty-interpreter-need,2026-08,,,,25,35,0.7143", lines);
        Assert.Contains("wmtty-diet,2026-08,answer,halal,Halal,*,35,", lines);
        Assert.Contains("wmtty-connector-help,2026-06,,,,20,20,1", lines);
        Assert.DoesNotContain("3LU", csv);
        Assert.DoesNotContain("7AB", csv);
    }
}

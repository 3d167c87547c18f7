using System.Net;
using Dapper;
using Microsoft.Data.Sqlite;
using Wmtty.Fhir.Measures;
using Wmtty.Tests.Infrastructure;

namespace Wmtty.Tests.Measures;

/// <summary>
/// Who may see the outcome figures (public-health staff and admins), that every look is audited, that the Measures are
/// published like the other definitions, and that every bad request gets a 4xx OperationOutcome.
/// </summary>
public sealed class MeasureAccessTests : AppTest
{
    private const string Evaluate = "/fhir/Measure/wmtty-recorded-1.0.0/$evaluate-measure";
    private const string Period = "periodStart=2026-01&periodEnd=2026-03";

    [Fact]
    public async Task EveryFigureIsAPublishedMeasureAnyoneSignedInMayRead()
    {
        using var ehr = await App.ClientAsync("ehr");
        var bundle = await (await ehr.GetAsync("/fhir/Measure?status=active&_count=50")).BodyAsync();
        var measures = bundle.Resources().ToList();

        Assert.Equal(OutcomeFigures.All.Select(f => $"{f.Id}-1.0.0").Order(), measures.Select(m => m.Text("id")).Order());
        var recorded = measures.Single(m => m.Text("id") == "wmtty-recorded-1.0.0");
        Assert.Equal("https://wmtty.example.org/fhir/Measure/wmtty-recorded", recorded.Text("url"));
        Assert.Equal("cohort", recorded["scoring"]!["coding"]![0]!["code"]!.GetValue<string>());
        Assert.Contains("rounded to the nearest 5", recorded.Text("guidance"));

        // The CapabilityStatement names the operation on Measure.
        var statement = await (await ehr.GetAsync("/fhir/metadata")).BodyAsync();
        var measure = statement["rest"]![0]!["resource"]!.AsArray().Single(r => r!.Text("type") == "Measure")!;
        Assert.Contains(measure["operation"]!.AsArray(), o => o!.Text("name") == "evaluate-measure"
            && o!.Text("definition") == "http://hl7.org/fhir/OperationDefinition/Measure-evaluate-measure");

        // Published by the service: nobody may change one.
        using var admin = await App.ClientAsync("admin");
        using var put = await admin.PutAsync("/fhir/Measure/wmtty-recorded-1.0.0", Infrastructure.Fhir.Json(recorded.ToJsonString().Replace("Patients with recorded preferences", "Changed", StringComparison.Ordinal)));
        await put.AssertOutcomeAsync(HttpStatusCode.UnprocessableEntity);
    }

    [Theory]
    [InlineData("clinician")]
    [InlineData("chaplain")]
    [InlineData("connector")]
    [InlineData("ehr")]
    [InlineData("ehrwriter")]
    public async Task OnlyPublicHealthStaffAndAdminsMaySeeTheFigures(string role)
    {
        using var client = await App.ClientAsync(role);
        using (var refused = await client.GetAsync($"{Evaluate}?{Period}"))
        {
            Assert.Contains("Wmtty.PublicHealth", await refused.AssertOutcomeAsync(HttpStatusCode.Forbidden));
        }

        using (var page = await client.GetAsync("/clinician/measures"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, page.StatusCode);
        }

        using (var csv = await client.GetAsync($"/clinician/measures.csv?{Period}"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, csv.StatusCode);
        }

        foreach (var allowed in new[] { "publichealth", "admin" })
        {
            using var ok = await App.ClientAsync(allowed);
            Assert.Equal(HttpStatusCode.OK, (await ok.GetAsync($"{Evaluate}?{Period}")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await ok.GetAsync("/clinician/measures")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await ok.GetAsync($"/clinician/measures.csv?{Period}")).StatusCode);
        }
    }

    [Fact]
    public async Task APatientAndAnonymousCallerAreRefused()
    {
        var (_, nhs) = await Responses.CreatePatientAsync(Client);
        using var patient = await App.ClientAsync("patient", nhs);
        await (await patient.GetAsync($"{Evaluate}?{Period}")).AssertOutcomeAsync(HttpStatusCode.Forbidden);
        using var anonymous = App.CreateClient();
        await (await anonymous.GetAsync($"{Evaluate}?{Period}")).AssertOutcomeAsync(HttpStatusCode.Unauthorized);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/clinician/measures")).StatusCode);
    }

    [Fact]
    public async Task EveryLookAtTheFiguresIsAuditedAllowedOrRefused()
    {
        using var health = await App.ClientAsync("publichealth");
        using var connector = await App.ClientAsync("connector");
        await health.GetAsync($"{Evaluate}?{Period}");
        await connector.GetAsync($"{Evaluate}?{Period}");
        await health.GetAsync("/clinician/measures");
        await health.GetAsync($"/clinician/measures.csv?{Period}");
        await App.FoldAuditJournalAsync();

        using var connection = new SqliteConnection($"Data Source={App.DatabasePath};Pooling=False");
        var rows = connection.Query<(string Interaction, string? Type, string? Id, long Status, string Roles)>(
            "SELECT interaction AS Interaction, resource_type AS Type, resource_id AS Id, status AS Status, roles AS Roles FROM audit_record ORDER BY audit_key").ToList();
        Assert.Contains(("$evaluate-measure", "Measure", "wmtty-recorded-1.0.0", 200L, "Wmtty.PublicHealth"), rows);
        Assert.Contains(("$evaluate-measure", "Measure", "wmtty-recorded-1.0.0", 403L, "Wmtty.Connector"), rows);
        Assert.Contains(("measures-page", "Measure", null, 200L, "Wmtty.PublicHealth"), rows);
        Assert.Contains(("measures-csv", "Measure", null, 200L, "Wmtty.PublicHealth"), rows);
        Assert.Equal(0, connection.ExecuteScalar<long>(
            "SELECT COUNT(*) FROM audit_patient p JOIN audit_record r ON r.audit_key = p.audit_key WHERE r.interaction LIKE '%measure%'")); // about no patient
    }

    [Theory]
    [InlineData(Evaluate, 400)] // no period
    [InlineData(Evaluate + "?periodStart=2026-01", 400)]
    [InlineData(Evaluate + "?periodStart=yesterday&periodEnd=2026-03", 400)]
    [InlineData(Evaluate + "?periodStart=2026-13&periodEnd=2026-14", 400)]
    [InlineData(Evaluate + "?periodStart=2026-02-30&periodEnd=2026-03", 400)]
    [InlineData(Evaluate + "?periodStart=2026-03&periodEnd=2026-01", 400)] // ends before it starts
    [InlineData(Evaluate + "?periodStart=2001-01&periodEnd=2026-03", 400)] // over 60 months
    [InlineData(Evaluate + "?periodStart=1990-01&periodEnd=1990-03", 400)]
    [InlineData(Evaluate + "?periodStart=2099-01&periodEnd=2099-03", 400)] // no figures for the future yet
    [InlineData(Evaluate + "?" + Period + "&subject=Patient/1", 400)]
    [InlineData(Evaluate + "?" + Period + "&reportType=subject-list", 400)]
    [InlineData(Evaluate + "?" + Period + "&colour=blue", 400)]
    [InlineData(Evaluate + "?" + Period + "&periodStart=2026-02", 400)] // repeated
    [InlineData("/fhir/Measure/no-such-measure/$evaluate-measure?" + Period, 404)]
    [InlineData("/fhir/Measure/..%2Fx/$evaluate-measure?" + Period, 400)]
    public async Task EveryBadRequestGetsA4xxOperationOutcome(string url, int status)
    {
        using var health = await App.ClientAsync("publichealth");
        using var response = await health.GetAsync(url);
        await response.AssertOutcomeAsync((HttpStatusCode)status);
    }

    [Fact]
    public async Task BadPostBodiesGetA4xxOperationOutcome()
    {
        using var health = await App.ClientAsync("publichealth");
        await (await health.PostAsync(Evaluate, Infrastructure.Fhir.Json("{\"resourceType\":\"Parameters\""))).AssertOutcomeAsync(HttpStatusCode.BadRequest);
        await (await health.PostAsync(Evaluate, Infrastructure.Fhir.Json("""{"resourceType":"Patient"}"""))).AssertOutcomeAsync(HttpStatusCode.BadRequest);
        await (await health.PostAsync(Evaluate, Infrastructure.Fhir.Json("""{"resourceType":"Parameters","parameter":[{"name":"periodStart","valueDate":"2026-03"},{"name":"periodEnd","valueDate":"2026-01"}]}""")))
            .AssertOutcomeAsync(HttpStatusCode.BadRequest);
        await (await health.PostAsync(Evaluate, Infrastructure.Fhir.Json("""{"resourceType":"Parameters","parameter":[{"name":"periodStart","resource":{"resourceType":"Patient"}}]}""")))
            .AssertOutcomeAsync(HttpStatusCode.BadRequest);
        Assert.Equal(HttpStatusCode.OK, (await health.PostAsync($"{Evaluate}?{Period}", null)).StatusCode); // parameters in the query
    }

    [Fact]
    public async Task APageWithABadFigureOrPeriodIsA400Page()
    {
        using var health = await App.ClientAsync("publichealth");
        foreach (var url in new[] { "/clinician/measures?measure=nothing", "/clinician/measures?periodStart=2026-05&periodEnd=2026-01", "/clinician/measures.csv?periodStart=soon" })
        {
            using var response = await health.GetAsync(url);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        }
    }
}

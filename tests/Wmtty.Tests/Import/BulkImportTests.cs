using System.Net;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Wmtty.Api.Import;
using Wmtty.Fhir.Questionnaires;
using Wmtty.Tests.Infrastructure;

namespace Wmtty.Tests.Import;

/// <summary>
/// The bulk import (<c>Wmtty.Api import FILE.ndjson</c>) on a real SQLite file: Patients and responses go in
/// with the same checks, extraction and indexes as over HTTP; bad lines are reported by number and store
/// nothing; importing the same file again changes nothing; the audit trail names the patients.
/// </summary>
public sealed class BulkImportTests : IAsyncLifetime
{
    private const int Patients = 12;
    private readonly WmttyApp app = new();
    private readonly string file = Path.Combine(Path.GetTempPath(), "wmtty-tests", Guid.NewGuid().ToString("N") + ".ndjson");
    private HttpClient client = null!;

    public async Task InitializeAsync()
    {
        client = await app.ClientAsync("ehrwriter");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        var lines = new List<string>();
        for (var i = 0; i < Patients; i++)
        {
            // Responses before Patients in the file: the import takes Patients first all the same.
            var response = Responses.Build($"imp-p-{i}", Responses.TypicalAnswers(), language: i % 2 == 0 ? "en" : "ur");
            response["id"] = $"imp-r-{i}";
            lines.Add(response.ToJsonString());
        }

        for (var i = 0; i < Patients; i++)
        {
            lines.Add(new JsonObject
            {
                ["resourceType"] = "Patient",
                ["id"] = $"imp-p-{i}",
                ["identifier"] = new JsonArray(new JsonObject { ["system"] = "https://fhir.nhs.uk/Id/nhs-number", ["value"] = NhsNumbers.Next() }),
                ["name"] = new JsonArray(new JsonObject { ["family"] = "Zebedee-Secret", ["given"] = new JsonArray("Anna") }),
            }.ToJsonString());
        }

        lines.Add("{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Zebedee-Secret\"}]}"); // no id
        lines.Add("{ this is not json, Zebedee-Secret");
        var badAnswer = Responses.Build("imp-p-0", new() { ["diet"] = [Responses.Coded(PreferenceCodes.Diet, "not-a-diet")] });
        badAnswer["id"] = "imp-bad-answer";
        lines.Add(badAnswer.ToJsonString());
        var noPatient = Responses.Build("imp-nobody", Responses.TypicalAnswers());
        noPatient["id"] = "imp-no-patient";
        lines.Add(noPatient.ToJsonString());
        lines.Add("");
        await File.WriteAllLinesAsync(file, lines);
    }

    public async Task DisposeAsync()
    {
        client.Dispose();
        await app.DisposeAsync();
        File.Delete(file);
    }

    private Task<ImportReport> ImportAsync() =>
        ActivatorUtilities.CreateInstance<BulkImporter>(app.Services).ImportAsync(file, new Uri("http://localhost/fhir/"), workers: 8, progress: null, CancellationToken.None);

    [Fact]
    public async Task ImportsPatientsAndResponsesWithTheirPreferencesAndReportsBadLinesByNumber()
    {
        var report = await ImportAsync();

        Assert.Equal(2 * Patients + 4, report.Lines);
        Assert.Equal(2 * Patients, report.Created);
        Assert.Equal(4, report.FailureCount);
        Assert.Equal([2 * Patients + 1, 2 * Patients + 2, 2 * Patients + 3, 2 * Patients + 4], report.Failures.Select(f => f.Line));
        Assert.All(report.Failures, f => Assert.DoesNotContain("Zebedee", f.Reason, StringComparison.Ordinal)); // never a value from the line

        // Each response was checked, extracted and indexed as over HTTP: $lastn and search find its Observations.
        var current = await Responses.LastNAsync(client, "patient=imp-p-3");
        Assert.True(current.Count >= 8, $"$lastn gave {current.Count} Observations");
        using var search = await client.GetAsync("/fhir/QuestionnaireResponse?subject=Patient/imp-p-3");
        Assert.Equal("imp-r-3", (await search.BodyAsync())["entry"]![0]!["resource"]!["id"]!.GetValue<string>());
        using var bad = await client.GetAsync("/fhir/QuestionnaireResponse/imp-bad-answer");
        Assert.Equal(HttpStatusCode.NotFound, bad.StatusCode); // refused whole: nothing half-stored
        using var orphan = await client.GetAsync("/fhir/QuestionnaireResponse/imp-no-patient");
        Assert.Equal(HttpStatusCode.NotFound, orphan.StatusCode);

        // The Patient follows its preference set (language, interpreter), as after a portal submission.
        using var patient = await client.GetAsync("/fhir/Patient/imp-p-3");
        Assert.NotNull((await patient.BodyAsync())["communication"]);

        // The audit trail names every imported patient against the import.
        await app.FoldAuditJournalAsync();
        await using var connection = new SqliteConnection($"Data Source={app.DatabasePath}");
        var audited = (await connection.QueryAsync<string>(
            "SELECT DISTINCT p.patient_id FROM audit_record r JOIN audit_patient p ON p.audit_key = r.audit_key WHERE r.interaction = 'import'")).ToHashSet();
        Assert.All(Enumerable.Range(0, Patients), i => Assert.Contains($"imp-p-{i}", audited));
    }

    [Fact]
    public async Task ImportingTheSameFileAgainChangesNothing()
    {
        await ImportAsync();
        var before = await VersionsAsync();
        var lastnBefore = (await Responses.LastNAsync(client, "patient=imp-p-5")).Select(Responses.Key).Order().ToList();

        var again = await ImportAsync();

        Assert.Equal(0, again.Created);
        Assert.Equal(0, again.Updated);
        Assert.Equal(2 * Patients, again.Unchanged);
        Assert.Equal(4, again.FailureCount);
        Assert.Equal(before, await VersionsAsync()); // no new version of anything, Patients (with what the responses gave them) included
        Assert.Equal(lastnBefore, (await Responses.LastNAsync(client, "patient=imp-p-5")).Select(Responses.Key).Order().ToList());
    }

    [Fact]
    public async Task AChangedLineMakesANewVersionOfThatResourceOnly()
    {
        await ImportAsync();
        var before = await VersionsAsync();
        var lines = await File.ReadAllLinesAsync(file);
        var changed = JsonNode.Parse(lines[Patients + 2])!; // imp-p-2
        changed["birthDate"] = "1970-01-01";
        lines[Patients + 2] = changed.ToJsonString();
        await File.WriteAllLinesAsync(file, lines);

        var report = await ImportAsync();

        Assert.Equal(1, report.Updated);
        var after = await VersionsAsync();
        Assert.Equal(before.Count, after.Count);
        Assert.Equal(before.Where(v => v.Id != "imp-p-2"), after.Where(v => v.Id != "imp-p-2"));
        Assert.Equal(before.Single(v => v.Id == "imp-p-2" && v.Type == "Patient").Version + 1, after.Single(v => v.Id == "imp-p-2" && v.Type == "Patient").Version);
        using var patient = await client.GetAsync("/fhir/Patient/imp-p-2");
        var body = await patient.BodyAsync();
        Assert.Equal("1970-01-01", body["birthDate"]!.GetValue<string>());
        Assert.NotNull(body["communication"]); // the preferences it had stay
    }

    private async Task<List<(string Type, string Id, long Version)>> VersionsAsync()
    {
        await using var connection = new SqliteConnection($"Data Source={app.DatabasePath}");
        return [.. await connection.QueryAsync<(string Type, string Id, long Version)>(
            "SELECT resource_type, resource_id, version FROM resource WHERE is_current = 1 ORDER BY resource_type, resource_id")];
    }
}

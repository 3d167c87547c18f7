using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Wmtty.Api.Rights;
using Wmtty.Tests.Infrastructure;

namespace Wmtty.Tests.Rights;

/// <summary>
/// The right of access (<c>$everything</c>), the right to erasure (<c>$erase</c>) and retention. Each test has a patient
/// with history (two responses, the first amended, a Consent and an invitation) beside another patient who must be untouched.
/// </summary>
public sealed class PatientRightsTests : AppTest
{
    // Free text only this test writes, in two scripts, so finding it in the file means finding this patient's words.
    private const string OwnWords = "Prosze mowic powoli, mam na imie Zofia-7f3c2a ਮੈਨੂੰ ਹੌਲੀ ਬੋਲੋ";

    private string patient = "", nhs = "", other = "";
    private HttpClient admin = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        admin = await App.ClientAsync("admin");
        (patient, nhs) = await Responses.CreatePatientAsync(Client);
        (other, _) = await Responses.CreatePatientAsync(Client);
        var answers = Responses.TypicalAnswers();
        answers["what-matters-most"] = [Responses.Text(OwnWords)];
        var first = await Responses.SubmitAsync(Client, Responses.Build(patient, answers, authored: "2026-11-01T10:00:00Z"));
        var amended = first.DeepClone().AsObject();
        amended["status"] = "amended";
        using (var put = await Client.PutAsync($"/fhir/QuestionnaireResponse/{first["id"]}", Infrastructure.Fhir.Json(amended)))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        await Responses.SubmitAsync(Client, Responses.Build(patient, Responses.TypicalAnswers(), authored: "2026-11-20T10:00:00Z"));
        await Responses.SubmitAsync(Client, Responses.Build(other, Responses.TypicalAnswers()));
        using (var consent = await Client.PostAsync("/fhir/Consent", Infrastructure.Fhir.Json(Access.ConsentTests.Withhold(patient, "beliefs-culture", "ehr-systems"))))
        {
            Assert.Equal(HttpStatusCode.Created, consent.StatusCode);
        }

        await Wmtty.Tests.Invitations.Invitations.CreateAsync(Client, nhs);
    }

    public override async Task DisposeAsync()
    {
        admin.Dispose();
        await base.DisposeAsync();
    }

    [Fact]
    public async Task EverythingGivesThePatientEveryVersionOfTheirDataAndNothingOfAnyoneElse()
    {
        using var self = await App.ClientAsync("patient", nhs);
        using var response = await self.GetAsync($"/fhir/Patient/{patient}/$everything");
        var bundle = await response.BodyAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("searchset", bundle["type"]!.GetValue<string>());
        var resources = bundle["entry"]!.AsArray().Select(e => e!["resource"]!).ToList();

        // Every stored version with content, as the database holds them: the amended response's first version included.
        var stored = Rows<(string Type, string Id, long Version)>(
            "SELECT resource_type AS Type, resource_id AS Id, version AS Version FROM resource WHERE compartment = @Patient AND json IS NOT NULL", new { Patient = patient });
        Assert.Equal(stored.Select(s => $"{s.Type}/{s.Id}/{s.Version}").Order(), resources.Select(r => $"{r["resourceType"]}/{r["id"]}/{r["meta"]!["versionId"]}").Order());
        Assert.Equal(stored.Count, bundle["total"]!.GetValue<int>());
        Assert.Contains(resources, r => r["resourceType"]!.GetValue<string>() == "QuestionnaireResponse" && r["meta"]!["versionId"]!.GetValue<string>() == "2");
        Assert.Contains(resources, r => r["resourceType"]!.GetValue<string>() == "Consent");
        Assert.Equal("Patient", resources[0]["resourceType"]!.GetValue<string>());
        Assert.DoesNotContain(other, bundle.ToJsonString());
        Assert.Contains(OwnWords, Strings(bundle));

        // An admin acting on the patient's request gets the same.
        using var asAdmin = await admin.GetAsync($"/fhir/Patient/{patient}/$everything");
        Assert.Equal(resources.Count, (await asAdmin.BodyAsync())["entry"]!.AsArray().Count);
    }

    [Fact]
    public async Task ThePatientDownloadsTheSameFromThePortal()
    {
        var link = (await Wmtty.Tests.Invitations.Invitations.CreateAsync(Client, nhs)).Link;
        using var browser = App.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        (await browser.GetAsync(Wmtty.Tests.Invitations.Invitations.PathOf(link))).Dispose();
        using (var start = await browser.GetAsync("/portal"))
        {
            Assert.Contains("href=\"/portal/my-information\" download", await start.Content.ReadAsStringAsync());
        }

        using var download = await browser.GetAsync("/portal/my-information");
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal("application/fhir+json", download.Content.Headers.ContentType?.MediaType);
        Assert.Equal("attachment", download.Content.Headers.ContentDisposition?.DispositionType);
        Assert.Contains("no-store", download.Headers.CacheControl?.ToString() ?? "");
        var file = await download.BodyAsync();

        using var asAdmin = await admin.GetAsync($"/fhir/Patient/{patient}/$everything");
        var viaFhir = await asAdmin.BodyAsync();
        Assert.Equal(Versions(viaFhir), Versions(file));
        Assert.Contains(OwnWords, Strings(file));

        await App.FoldAuditJournalAsync();
        Assert.Equal(2L, Scalar("""
            SELECT COUNT(*) FROM audit_record r JOIN audit_patient p ON p.audit_key = r.audit_key
            WHERE p.patient_id = @Patient AND r.interaction = '$everything' AND r.status = 200
            """, new { Patient = patient }));

        static List<string> Versions(JsonNode bundle) =>
            [.. bundle["entry"]!.AsArray().Select(e => $"{e!["resource"]!["resourceType"]}/{e["resource"]!["id"]}/{e["resource"]!["meta"]!["versionId"]}")];
    }

    [Fact]
    public async Task EverythingIsOnlyForThePatientAndAdmins()
    {
        using (var clinician = await Client.GetAsync($"/fhir/Patient/{patient}/$everything"))
        {
            await clinician.AssertOutcomeAsync(HttpStatusCode.Forbidden);
        }

        using var someoneElse = await App.ClientAsync("patient", NhsNumbers.Next());
        using (var response = await someoneElse.GetAsync($"/fhir/Patient/{patient}/$everything"))
        {
            await response.AssertOutcomeAsync(HttpStatusCode.NotFound);
        }

        using (var response = await admin.GetAsync($"/fhir/Patient/{patient}/$everything?_count=5"))
        {
            await response.AssertOutcomeAsync(HttpStatusCode.BadRequest);
        }

        using (var response = await admin.GetAsync("/fhir/Patient/no-such-patient/$everything"))
        {
            await response.AssertOutcomeAsync(HttpStatusCode.NotFound);
        }
    }

    [Fact]
    public async Task EraseDeletesEveryVersionIndexRowProjectionAndInvitationAndLeavesOthersAlone()
    {
        var before = Census(other);
        using var response = await admin.PostAsync($"/fhir/Patient/{patient}/$erase", null);
        var report = await response.BodyAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Parameters", report["resourceType"]!.GetValue<string>());
        Assert.Equal(1, Parameter(report, "invitations"));
        Assert.True(Parameter(report, "versions") > Parameter(report, "resources"), "the amended response and the Patient have earlier versions");

        Assert.Empty(Rows<string>("SELECT resource_id FROM resource WHERE compartment = @Patient OR resource_id = @Patient", new { Patient = patient }));
        foreach (var table in new[] { "token_index", "reference_index", "date_index", "string_index" })
        {
            Assert.Equal(0L, Scalar($"SELECT COUNT(*) FROM {table} WHERE resource_key NOT IN (SELECT resource_key FROM resource)"));
        }

        foreach (var table in new[] { "preference_response", "preference_current", "preference_current_rewrite", "consent_withheld" })
        {
            Assert.Equal(0L, Scalar($"SELECT COUNT(*) FROM {table} WHERE patient_id = @Patient", new { Patient = patient }));
        }

        Assert.Equal(0L, Scalar("SELECT COUNT(*) FROM preference_observation WHERE set_key NOT IN (SELECT set_key FROM preference_response)"));
        Assert.Equal(0L, Scalar("SELECT COUNT(*) FROM extracted_observation WHERE response_id NOT IN (SELECT resource_id FROM resource WHERE resource_type = 'QuestionnaireResponse')"));
        Assert.Equal(0L, Scalar("SELECT COUNT(*) FROM invitation WHERE nhs_number = @Nhs", new { Nhs = nhs }));
        Assert.Equal(before, Census(other));

        using (var read = await Client.GetAsync($"/fhir/Patient/{patient}"))
        {
            await read.AssertOutcomeAsync(HttpStatusCode.NotFound); // gone, not deleted: no 410
        }

        Assert.Empty(await Responses.LastNAsync(Client, $"subject:identifier=https://fhir.nhs.uk/Id/nhs-number|{nhs}"));
        Assert.Equal(12, (await Responses.LastNAsync(Client, $"patient={other}")).Count);

        // The audit trail records the erasure, by whom, and nothing of what was erased.
        await App.FoldAuditJournalAsync();
        var erasure = Rows<(string Action, string Interaction, long Status, string Roles)>("""
            SELECT r.action AS Action, r.interaction AS Interaction, r.status AS Status, r.roles AS Roles
            FROM audit_record r JOIN audit_patient p ON p.audit_key = r.audit_key
            WHERE p.patient_id = @Patient AND r.interaction = '$erase'
            """, new { Patient = patient });
        Assert.Equal(("E", "$erase", 200L, "Wmtty.Admin"), Assert.Single(erasure));

        using var again = await admin.PostAsync($"/fhir/Patient/{patient}/$erase", null);
        await again.AssertOutcomeAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task NoByteOfThePatientsOwnWordsRemainsInTheFilesAfterACheckpointAndVacuum()
    {
        var words = Encoding.UTF8.GetBytes(OwnWords);
        Checkpoint();
        Assert.True(FindInFiles(words), "the patient's words are in the database before the erasure (or this test could not fail)");

        using var response = await admin.PostAsync($"/fhir/Patient/{patient}/$erase", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Checkpoint();
        using (var connection = Open())
        {
            connection.Execute("VACUUM");
            connection.Execute("PRAGMA wal_checkpoint(TRUNCATE)");
        }

        Assert.False(FindInFiles(words), "a byte sequence of the erased patient's words is still in a file beside the database");
        Assert.False(FindInFiles(Encoding.UTF8.GetBytes("Zofia-7f3c2a")), "part of the erased patient's words is still in a file beside the database");
    }

    [Fact]
    public async Task OnlyAdminsMayErase()
    {
        var before = Census(patient);
        using (var clinician = await Client.PostAsync($"/fhir/Patient/{patient}/$erase", null))
        {
            await clinician.AssertOutcomeAsync(HttpStatusCode.Forbidden);
        }

        using var self = await App.ClientAsync("patient", nhs);
        using (var byPatient = await self.PostAsync($"/fhir/Patient/{patient}/$erase", null))
        {
            Assert.True(byPatient.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.NotFound, $"a patient erasing got {(int)byPatient.StatusCode}");
        }

        using (var unknown = await admin.PostAsync("/fhir/Patient/no-such-patient/$erase", null))
        {
            await unknown.AssertOutcomeAsync(HttpStatusCode.NotFound);
        }

        Assert.Equal(before, Census(patient));
    }

    [Fact]
    public async Task RetentionErasesPatientsWhoseDataHasNotChangedForThePeriodAndKeepsTheRest()
    {
        var (job, period) = Retention();
        var between = await MomentBetweenWritesAsync();
        var (late, _) = await Responses.CreatePatientAsync(Client);
        await Responses.SubmitAsync(Client, Responses.Build(late, Responses.TypicalAnswers()));

        // A day short of the period: nothing has expired.
        var early = await job.RunOnceAsync(between + period - TimeSpan.FromDays(1), default);
        Assert.Equal(0, early.Erased);
        Assert.Equal(3, Scalar("SELECT COUNT(*) FROM resource WHERE resource_type = 'Patient' AND is_current = 1"));

        // The period after a moment between the first two patients' last changes and the third's first.
        var report = await job.RunOnceAsync(between + period, default);
        Assert.Equal(2, report.Erased);
        Assert.Equal(0, report.Kept);
        Assert.Equal([late], Rows<string>("SELECT DISTINCT compartment FROM resource WHERE compartment IS NOT NULL"));
        Assert.Equal(12, (await Responses.LastNAsync(Client, $"patient={late}")).Count);
        Assert.Contains(App.Logs.Lines, m => m.Contains("Retention: 2 patients", StringComparison.Ordinal));

        await App.FoldAuditJournalAsync();
        Assert.Equal(2L, Scalar("SELECT COUNT(*) FROM audit_record WHERE interaction = '$erase' AND caller_kind = 'system' AND subject = 'wmtty-retention'"));
    }

    [Fact]
    public async Task RetentionErasesADeletedPatientsRemainingDataOnceThePeriodHasPassedSinceTheDeletion()
    {
        var (job, period) = Retention();
        var beforeDeletion = await MomentBetweenWritesAsync();
        using (var deleted = await admin.DeleteAsync($"/fhir/Patient/{patient}"))
        {
            Assert.True(deleted.IsSuccessStatusCode, $"deleting the Patient gave {(int)deleted.StatusCode}");
        }

        Assert.NotEmpty(Rows<string>("SELECT resource_id FROM resource WHERE compartment = @Patient", new { Patient = patient }));
        Assert.Equal(1, (await job.RunOnceAsync(beforeDeletion + period, default)).Erased); // only the other patient: the deletion is newer
        Assert.NotEmpty(Rows<string>("SELECT resource_id FROM resource WHERE compartment = @Patient", new { Patient = patient }));

        Assert.Equal(1, (await job.RunOnceAsync(DateTimeOffset.UtcNow + period + TimeSpan.FromSeconds(1), default)).Erased);
        Assert.Empty(Rows<string>("SELECT resource_id FROM resource WHERE compartment IS NOT NULL"));
    }

    [Fact]
    public async Task RetentionKeepsAPatientWhoseConsentIsNewerThanTheirPatientRecord()
    {
        var (job, period) = Retention();
        var (quiet, _) = await Responses.CreatePatientAsync(Client);
        await Responses.SubmitAsync(Client, Responses.Build(quiet, Responses.TypicalAnswers()));
        var between = await MomentBetweenWritesAsync();
        using (var consent = await Client.PostAsync("/fhir/Consent", Infrastructure.Fhir.Json(Access.ConsentTests.Withhold(quiet, "language-communication", "ehr-systems"))))
        {
            Assert.Equal(HttpStatusCode.Created, consent.StatusCode);
        }

        var patientUpdated = Scalar("SELECT last_updated FROM resource WHERE resource_type = 'Patient' AND resource_id = @Id AND is_current = 1", new { Id = quiet });
        Assert.True(patientUpdated < between.ToUnixTimeMilliseconds(), "the Patient itself is older than the cutoff, so it is a candidate");

        var report = await job.RunOnceAsync(between + period, default);

        Assert.Equal(2, report.Erased); // the two patients every test starts with; this one's Consent is newer
        Assert.Equal(1, report.Kept);
        Assert.NotEmpty(await Responses.LastNAsync(Client, $"patient={quiet}"));
    }

    private (RetentionJob Job, TimeSpan Period) Retention() =>
        (App.Services.GetRequiredService<RetentionJob>(), App.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<RetentionOptions>>().Value.Period);

    // A moment strictly after every write so far and before every write after it: versions are stamped in milliseconds.
    private static async Task<DateTimeOffset> MomentBetweenWritesAsync()
    {
        await Task.Delay(20);
        var moment = DateTimeOffset.UtcNow;
        await Task.Delay(20);
        return moment;
    }

    private static List<string> Strings(JsonNode? node) => node switch
    {
        JsonObject o => [.. o.SelectMany(p => Strings(p.Value))],
        JsonArray a => [.. a.SelectMany(Strings)],
        JsonValue v when v.TryGetValue<string>(out var text) => [text],
        _ => [],
    };

    private static int Parameter(JsonNode parameters, string name) =>
        parameters["parameter"]!.AsArray().Single(p => p!["name"]!.GetValue<string>() == name)!["valueInteger"]!.GetValue<int>();

    // Every row the patient has anywhere, as text: unchanged means untouched.
    private string Census(string patientId) => string.Join("\n",
        Rows<string>("SELECT resource_type || '/' || resource_id || '/' || version || '/' || is_current FROM resource WHERE compartment = @P ORDER BY 1", new { P = patientId })
            .Concat(Rows<string>("SELECT response_id FROM preference_response WHERE patient_id = @P ORDER BY 1", new { P = patientId }))
            .Concat(Rows<string>("SELECT hex(entries) FROM preference_current WHERE patient_id = @P", new { P = patientId }))
            .Concat(Rows<string>("SELECT CAST(COUNT(*) AS TEXT) FROM token_index WHERE resource_key IN (SELECT resource_key FROM resource WHERE compartment = @P)", new { P = patientId })));

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection($"Data Source={App.DatabasePath};Pooling=False");
        connection.Open();
        return connection;
    }

    private List<T> Rows<T>(string sql, object? parameters = null)
    {
        using var connection = Open();
        return [.. connection.Query<T>(sql, parameters)];
    }

    private long Scalar(string sql, object? parameters = null)
    {
        using var connection = Open();
        return connection.ExecuteScalar<long>(sql, parameters);
    }

    private void Checkpoint()
    {
        using var connection = Open();
        connection.Execute("PRAGMA busy_timeout = 5000; PRAGMA wal_checkpoint(TRUNCATE);");
    }

    // The database, its write-ahead log and anything else the service keeps beside it (the audit journal).
    private bool FindInFiles(byte[] needle) =>
        Directory.EnumerateFiles(App.DataDirectory, "*", SearchOption.AllDirectories).Any(file =>
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var memory = new MemoryStream();
            stream.CopyTo(memory);
            return memory.GetBuffer().AsSpan(0, (int)memory.Length).IndexOf(needle) >= 0;
        });
}

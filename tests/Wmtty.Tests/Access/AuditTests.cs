using System.Net;
using Microsoft.Data.Sqlite;
using Wmtty.Tests.Infrastructure;
using Xunit;

namespace Wmtty.Tests.Access;

/// <summary>Every access to patient data leaves an append-only audit record, allowed and refused alike, readable as AuditEvent.</summary>
public sealed class AuditTests : AppTest
{
    private const string FreeText = "Mam nadzieje ze nikt tego nie przeczyta 7f3a";
    private string patientId = "", nhs = "";

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        (patientId, nhs) = await Responses.CreatePatientAsync(Client);
        var answers = Responses.TypicalAnswers();
        answers["what-matters-most"] = [Responses.Text(FreeText)];
        await Responses.SubmitAsync(Client, Responses.Build(patientId, answers));
    }

    private async Task<List<System.Text.Json.Nodes.JsonNode>> AuditAsync(HttpClient client, string query)
    {
        using var response = await client.GetAsync($"/fhir/AuditEvent?{query}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return [.. (await response.BodyAsync()).Resources()];
    }

    [Fact]
    public async Task AllowedAndRefusedAccessAreBothRecordedAndAdminsReadThemAsAuditEvents()
    {
        using var ehr = await App.ClientAsync("ehr");
        using var read = await ehr.GetAsync($"/fhir/Observation/$lastn?patient={patientId}");
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        using var refused = await ehr.DeleteAsync($"/fhir/Patient/{patientId}");
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);

        using var admin = await App.ClientAsync("admin");
        var events = await AuditAsync(admin, $"patient=Patient/{patientId}&date=ge2000-01-01");
        var lastn = Assert.Single(events, e => e["subtype"]![0]!["display"]!.GetValue<string>() == "$lastn");
        Assert.Equal("0", lastn["outcome"]!.GetValue<string>());
        Assert.Equal("E", lastn["action"]!.GetValue<string>());
        Assert.Equal("Preferences.Read.All", lastn["agent"]![0]!["role"]![0]!["text"]!.GetValue<string>());
        Assert.Contains(lastn["entity"]!.AsArray(), e => e!["what"]!["reference"]?.GetValue<string>() == $"Patient/{patientId}");

        var denied = Assert.Single(events, e => e["subtype"]![0]!["code"]!.GetValue<string>() == "delete");
        Assert.Equal("4", denied["outcome"]!.GetValue<string>());
        Assert.StartsWith("403", denied["outcomeDesc"]!.GetValue<string>());

        // The writes are there too, committed with what they wrote.
        Assert.Contains(events, e => e["subtype"]![0]!["code"]!.GetValue<string>() == "create" && e["entity"]!.ToJsonString().Contains("QuestionnaireResponse"));

        // Each event can be read on its own, and date limits apply.
        using var one = await admin.GetAsync($"/fhir/AuditEvent/{lastn["id"]!.GetValue<string>()}");
        Assert.Equal(HttpStatusCode.OK, one.StatusCode);
        Assert.Empty(await AuditAsync(admin, $"patient={patientId}&date=lt2000-01-01"));
        foreach (var edge in new[] { "lt0001-01-01", "gt9999-12-31T23:59:59Z", "lt0001-01-01T00:00:00%2B14:00", "ge9999-12-31" })
        {
            using var atTheEdge = await admin.GetAsync($"/fhir/AuditEvent?date={edge}");
            Assert.Equal(HttpStatusCode.OK, atTheEdge.StatusCode);
        }

        using var badDate = await admin.GetAsync("/fhir/AuditEvent?date=yesterday");
        await badDate.AssertOutcomeAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task APatientSeesWhoLookedAtTheirPreferencesButNotOtherPeoplesRecords()
    {
        using var ehr = await App.ClientAsync("ehr");
        using var read = await ehr.GetAsync($"/fhir/Patient/{patientId}/$wmtty-summary");
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);

        using var patient = await App.ClientAsync("patient", nhs);
        var events = await AuditAsync(patient, "");
        var summary = Assert.Single(events, e => e["subtype"]![0]!["display"]!.GetValue<string>() == "$wmtty-summary");
        Assert.Equal("system", summary["agent"]![0]!["type"]!["text"]!.GetValue<string>());
        Assert.All(events, e => Assert.Contains($"Patient/{patientId}", e["entity"]!.ToJsonString()));

        var (other, otherNhs) = await Responses.CreatePatientAsync(Client);
        using var others = await patient.GetAsync($"/fhir/AuditEvent?patient={other}");
        await others.AssertOutcomeAsync(HttpStatusCode.NotFound);

        // A search that named both patients, and the other patient's refused attempt on this one, show
        // in this patient's view without the other patient's id.
        using var both = await Client.GetAsync($"/fhir/Observation?patient={patientId},{other}&_summary=count");
        Assert.Equal(HttpStatusCode.OK, both.StatusCode);
        using var prober = await App.ClientAsync("patient", otherNhs);
        using var probe = await prober.GetAsync($"/fhir/QuestionnaireResponse?subject=Patient/{patientId}");
        Assert.Equal(HttpStatusCode.NotFound, probe.StatusCode);
        var view = await AuditAsync(patient, "_count=200");
        Assert.Contains(view, e => e["agent"]![0]!["who"]!["display"]!.GetValue<string>() == "Someone else signed in as a patient");
        Assert.Contains(view, e => e["subtype"]![0]!["code"]!.GetValue<string>() == "search-type" && e["agent"]![0]!["type"]!["text"]!.GetValue<string>() == "user");
        Assert.All(view, e => Assert.DoesNotContain(other, e.ToJsonString()));
    }

    [Fact]
    public async Task TheTrailHoldsNoFreeTextAndCannotBeChanged()
    {
        using var clinician = await App.ClientAsync("clinician");
        using var search = await clinician.GetAsync($"/fhir/QuestionnaireResponse?patient={patientId}");
        Assert.Contains(FreeText, await search.Content.ReadAsStringAsync());

        // Before it is stored in the audit tables, the search's record is in the audit journal beside the database: that
        // file holds no free text either.
        var journal = Directory.GetFiles(App.DataDirectory, "wmtty.db-audit-*.journal");
        var journaled = string.Concat(journal.Select(File.ReadAllText));
        Assert.Contains("search-type", journaled);
        Assert.DoesNotContain(FreeText, journaled);
        Assert.DoesNotContain(nhs, journaled);
        Assert.DoesNotContain("Kowalska", journaled);
        await App.FoldAuditJournalAsync();

        using var connection = new SqliteConnection($"Data Source={App.DatabasePath}");
        connection.Open();
        using var dump = connection.CreateCommand();
        dump.CommandText = "SELECT group_concat(interaction || '|' || COALESCE(resource_type,'') || '|' || COALESCE(resource_id,'') || '|' || subject || '|' || COALESCE(subject_name,'') || '|' || COALESCE(roles,'') || '|' || COALESCE(request_id,''), '\n') FROM audit_record";
        var trail = (string)dump.ExecuteScalar()!;
        Assert.Contains("search-type", trail);
        Assert.DoesNotContain(FreeText, trail);
        Assert.DoesNotContain(nhs, trail);
        Assert.DoesNotContain("Kowalska", trail);

        foreach (var change in new[] { "UPDATE audit_record SET status = 200", "DELETE FROM audit_record", "DELETE FROM audit_patient" })
        {
            using var command = connection.CreateCommand();
            command.CommandText = change;
            var error = Assert.Throws<SqliteException>(() => command.ExecuteNonQuery());
            Assert.Contains("append-only", error.Message);
        }
    }
}

using System.Net;
using Wmtty.Tests.Infrastructure;
using F = Wmtty.Tests.Infrastructure.Fhir;

namespace Wmtty.Tests.Fhir;

/// <summary>This is health data: logs carry ids and counts, never names, NHS numbers or bodies.</summary>
public sealed class LoggingTests
{
    [Fact]
    public async Task NoPatientDataReachesTheLogsOnSuccessOrFailure()
    {
        await using var app = new WmttyApp();
        using var client = await app.ClientAsync();
        var nhs = NhsNumbers.Next();
        const string family = "Zzyzx-Quillfeather";

        var created = await client.CreateAsync(F.Patient(nhs, family: family, given: "Marguerite"));
        var id = created.Text("id");
        created["gender"] = "female";
        (await client.PutAsync($"/fhir/Patient/{id}", F.Json(created))).Dispose();
        (await client.GetAsync($"/fhir/Patient?identifier={nhs}&family={family}")).Dispose();
        (await client.GetAsync($"/fhir/Patient?birthdate=not-{nhs}")).Dispose();
        (await client.PostAsync("/fhir/Patient", F.Json(F.Patient(nhs[..9] + "0", family: family)))).Dispose();
        (await client.PostAsync("/fhir/Patient", F.Json($"{{\"resourceType\":\"Patient\",\"name\":[{{\"family\":\"{family}\"}}],\"gender\":\"{nhs}\"}}"))).Dispose();
        (await client.DeleteAsync($"/fhir/Patient/{id}")).Dispose();

        var logs = app.Logs.Lines.ToList();
        Assert.Contains(logs, line => line.Contains($"Patient/{id}", StringComparison.Ordinal)); // ids are logged
        foreach (var secret in new[] { nhs, nhs[..9] + "0", family, "Marguerite", "1980-04-02" })
        {
            Assert.DoesNotContain(logs, line => line.Contains(secret, StringComparison.OrdinalIgnoreCase));
        }
    }
}

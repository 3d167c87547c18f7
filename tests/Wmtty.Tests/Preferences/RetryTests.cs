using System.Net;
using System.Text.Json.Nodes;
using Wmtty.Fhir.Questionnaires;
using Wmtty.Tests.Infrastructure;
using Xunit;

namespace Wmtty.Tests.Preferences;

/// <summary>Retries are safe: the same response sent again changes nothing.</summary>
public sealed class RetryTests : AppTest
{
    [Fact]
    public async Task PuttingTheSameResponseAgainMakesNoCopiesAndAChangeStillCounts()
    {
        var (patientId, _) = await Responses.CreatePatientAsync(Client);
        var stored = await Responses.SubmitAsync(Client, Responses.Build(patientId, Responses.TypicalAnswers()));
        var id = stored["id"]!.GetValue<string>();
        var again = Responses.Build(patientId, Responses.TypicalAnswers());
        again["id"] = id;
        for (var i = 0; i < 3; i++)
        {
            using var put = await Client.PutAsync($"/fhir/QuestionnaireResponse/{id}", Infrastructure.Fhir.Json(again));
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        Assert.Equal(12, await CountAsync("Observation"));
        Assert.Equal("2", (await (await Client.GetAsync($"/fhir/Patient/{patientId}")).BodyAsync())["meta"]!["versionId"]!.GetValue<string>());

        var changed = Responses.TypicalAnswers();
        changed["diet"] = [Responses.Coded(PreferenceCodes.Diet, "halal")];
        var amended = Responses.Build(patientId, changed, status: "amended");
        amended["id"] = id;
        using var amend = await Client.PutAsync($"/fhir/QuestionnaireResponse/{id}", Infrastructure.Fhir.Json(amended));
        Assert.Equal(HttpStatusCode.OK, amend.StatusCode);
        Assert.Equal(24, await CountAsync("Observation"));
        Assert.Contains(await Responses.LastNAsync(Client, $"patient={patientId}"), o => Responses.Key(o).Contains("diet|halal", StringComparison.Ordinal));
    }
}

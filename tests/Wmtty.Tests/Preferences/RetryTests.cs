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
    public async Task PuttingTheSameResponseAgainMakesNoCopiesAndAnAmendmentReplacesOnlyWhatChanged()
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
        Assert.Equal(13, await CountAsync("Observation")); // only the changed answer is new
        using var finals = await Client.GetAsync($"/fhir/Observation?derived-from=QuestionnaireResponse/{id}&status=final&_count=50");
        var final = (await finals.BodyAsync())["entry"]!.AsArray();
        Assert.Equal(12, final.Count); // the replaced answer is no longer final: one response, one answer per question
        Assert.DoesNotContain(final, e => Responses.Key(e!["resource"]!).Contains("vegetarian", StringComparison.Ordinal));
        Assert.Contains(await Responses.LastNAsync(Client, $"patient={patientId}"), o => Responses.Key(o).Contains("diet|halal", StringComparison.Ordinal));
    }
}

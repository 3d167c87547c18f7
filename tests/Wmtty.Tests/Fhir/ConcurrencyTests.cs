using System.Net;
using Wmtty.Tests.Infrastructure;
using F = Wmtty.Tests.Infrastructure.Fhir;

namespace Wmtty.Tests.Fhir;

public sealed class ConcurrencyTests : AppTest
{
    [Fact]
    public async Task ParallelConditionalCreatesWithTheSameIdentifierMakeOnePatient()
    {
        var nhs = NhsNumbers.Next();
        var attempts = Enumerable.Range(0, 12).Select(async _ =>
        {
            using var response = await Client.SendAsync(HttpMethod.Post, "/fhir/Patient", F.Json(F.Patient(nhs)),
                ("If-None-Exist", $"identifier=https://fhir.nhs.uk/Id/nhs-number|{nhs}"));
            return (response.StatusCode, Id: (await response.BodyAsync()).Text("id"));
        });

        var results = await Task.WhenAll(attempts);

        Assert.Single(results, r => r.StatusCode == HttpStatusCode.Created);
        Assert.All(results, r => Assert.Contains(r.StatusCode, new[] { HttpStatusCode.Created, HttpStatusCode.OK }));
        Assert.Single(results.Select(r => r.Id).Distinct());
        using var count = await Client.GetAsync($"/fhir/Patient?identifier={nhs}&_summary=count");
        Assert.Equal(1, (await count.BodyAsync())["total"]!.GetValue<int>());
    }

    [Fact]
    public async Task OfTwoUpdatesWithTheSameIfMatchExactlyOneWins()
    {
        var created = await Client.CreateAsync(F.Patient(NhsNumbers.Next()));
        var id = created.Text("id");
        var updates = new[] { "male", "female", "other", "unknown" }.Select(async gender =>
        {
            var body = created.DeepClone();
            body["gender"] = gender;
            using var response = await Client.SendAsync(HttpMethod.Put, $"/fhir/Patient/{id}", F.Json(body), ("If-Match", "W/\"1\""));
            return response.StatusCode;
        });

        var statuses = await Task.WhenAll(updates);

        Assert.Single(statuses, s => s == HttpStatusCode.OK);
        Assert.Equal(3, statuses.Count(s => s == HttpStatusCode.PreconditionFailed));
        using var history = await Client.GetAsync($"/fhir/Patient/{id}/_history");
        Assert.Equal(2, (await history.BodyAsync())["entry"]!.AsArray().Count);
    }

    [Fact]
    public async Task ParallelUpdatesWithoutIfMatchEachGetTheirOwnVersion()
    {
        var created = await Client.CreateAsync(F.Patient(NhsNumbers.Next()));
        var id = created.Text("id");
        var statuses = await Task.WhenAll(Enumerable.Range(0, 8).Select(async i =>
        {
            var body = created.DeepClone();
            body["birthDate"] = $"19{60 + i}-01-01";
            using var response = await Client.PutAsync($"/fhir/Patient/{id}", F.Json(body));
            return response.StatusCode;
        }));

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
        using var read = await Client.GetAsync($"/fhir/Patient/{id}");
        Assert.Equal("W/\"9\"", read.ETag());
    }
}

using System.Net;
using System.Text.Json.Nodes;
using Wmtty.Tests.Infrastructure;
using F = Wmtty.Tests.Infrastructure.Fhir;

namespace Wmtty.Tests.Fhir;

public sealed class UpdateDeleteHistoryTests : IAsyncLifetime
{
    private readonly WmttyApp app = new();
    private HttpClient client = null!;

    public async Task InitializeAsync() => client = await app.ClientAsync();

    public async Task DisposeAsync() => await app.DisposeAsync();

    [Fact]
    public async Task UpdatingWithTheCurrentIfMatchMakesVersionTwo()
    {
        var created = await client.CreateAsync(F.Patient(NhsNumbers.Next()));
        var id = created.Text("id");
        created["gender"] = "female";
        using var response = await client.SendAsync(HttpMethod.Put, $"/fhir/Patient/{id}", F.Json(created), ("If-Match", "W/\"1\""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("W/\"2\"", response.ETag());
        var body = await response.BodyAsync();
        Assert.Equal("2", body["meta"]!.Text("versionId"));
        Assert.Equal("female", body.Text("gender"));
    }

    [Fact]
    public async Task UpdatingWithAStaleIfMatchIs412AndChangesNothing()
    {
        var created = await client.CreateAsync(F.Patient(NhsNumbers.Next()));
        var id = created.Text("id");
        created["gender"] = "female";
        using (var first = await client.SendAsync(HttpMethod.Put, $"/fhir/Patient/{id}", F.Json(created), ("If-Match", "W/\"1\"")))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        created["gender"] = "male";
        using var stale = await client.SendAsync(HttpMethod.Put, $"/fhir/Patient/{id}", F.Json(created), ("If-Match", "W/\"1\""));
        var text = await stale.AssertOutcomeAsync(HttpStatusCode.PreconditionFailed);
        Assert.Contains("current version is 2", text);

        using var read = await client.GetAsync($"/fhir/Patient/{id}");
        Assert.Equal("female", (await read.BodyAsync()).Text("gender"));
        Assert.Equal("W/\"2\"", read.ETag());
    }

    [Theory]
    [InlineData("1")]
    [InlineData("W/1")]
    [InlineData("\"abc\"")]
    [InlineData("W/\"-3\"")]
    public async Task AMalformedIfMatchIs400(string ifMatch)
    {
        var created = await client.CreateAsync(F.Patient(NhsNumbers.Next()));
        using var response = await client.SendAsync(HttpMethod.Put, $"/fhir/Patient/{created.Text("id")}", F.Json(created), ("If-Match", ifMatch));
        await response.AssertOutcomeAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task UpdatingAnUnknownIdCreatesItWith201()
    {
        var json = JsonNode.Parse(F.Patient(NhsNumbers.Next()))!;
        json["id"] = "chosen-" + Guid.NewGuid().ToString("N")[..8];
        using var response = await client.PutAsync($"/fhir/Patient/{json.Text("id")}", F.Json(json));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("W/\"1\"", response.ETag());
        Assert.EndsWith($"/fhir/Patient/{json.Text("id")}/_history/1", response.Headers.Location!.ToString());
    }

    [Fact]
    public async Task UpdatingWithABodyIdThatDiffersFromTheUrlIs400()
    {
        var created = await client.CreateAsync(F.Patient(NhsNumbers.Next()));
        created["id"] = "someone-else";
        using var response = await client.PutAsync("/fhir/Patient/not-the-same", F.Json(created));
        await response.AssertOutcomeAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task DeletingKeepsHistoryAndAReadAfterwardsIs410()
    {
        var created = await client.CreateAsync(F.Patient(NhsNumbers.Next()));
        var id = created.Text("id");

        using var delete = await client.DeleteAsync($"/fhir/Patient/{id}");
        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);

        using var read = await client.GetAsync($"/fhir/Patient/{id}");
        await read.AssertOutcomeAsync(HttpStatusCode.Gone);

        using var version1 = await client.GetAsync($"/fhir/Patient/{id}/_history/1");
        Assert.Equal(HttpStatusCode.OK, version1.StatusCode);

        using var version2 = await client.GetAsync($"/fhir/Patient/{id}/_history/2");
        await version2.AssertOutcomeAsync(HttpStatusCode.Gone);

        using var history = await client.GetAsync($"/fhir/Patient/{id}/_history");
        var bundle = await history.BodyAsync();
        var entries = bundle["entry"]!.AsArray();
        Assert.Equal(2, entries.Count);
        Assert.Equal("DELETE", entries[0]!["request"]!.Text("method"));
        Assert.Null(entries[0]!["resource"]);
        Assert.Equal("POST", entries[1]!["request"]!.Text("method"));

        using var search = await client.GetAsync($"/fhir/Patient?_id={id}");
        Assert.Equal(0, (await search.BodyAsync()).Count());
    }

    [Fact]
    public async Task DeletingTwiceIsHarmlessAndDeletingWhatNeverExistedIs404()
    {
        var created = await client.CreateAsync(F.Patient(NhsNumbers.Next()));
        var id = created.Text("id");
        using (var first = await client.DeleteAsync($"/fhir/Patient/{id}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, first.StatusCode);
        }

        using (var second = await client.DeleteAsync($"/fhir/Patient/{id}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, second.StatusCode);
        }

        using var history = await client.GetAsync($"/fhir/Patient/{id}/_history");
        Assert.Equal(2, (await history.BodyAsync())["entry"]!.AsArray().Count);

        using var never = await client.DeleteAsync("/fhir/Patient/never-was");
        await never.AssertOutcomeAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task DeletingWithAStaleIfMatchIs412()
    {
        var created = await client.CreateAsync(F.Patient(NhsNumbers.Next()));
        using var response = await client.SendAsync(HttpMethod.Delete, $"/fhir/Patient/{created.Text("id")}", null, ("If-Match", "W/\"9\""));
        await response.AssertOutcomeAsync(HttpStatusCode.PreconditionFailed);
        using var read = await client.GetAsync($"/fhir/Patient/{created.Text("id")}");
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
    }

    [Fact]
    public async Task UpdatingADeletedResourceBringsItBackAsANewVersion()
    {
        var created = await client.CreateAsync(F.Patient(NhsNumbers.Next()));
        var id = created.Text("id");
        (await client.DeleteAsync($"/fhir/Patient/{id}")).Dispose();
        using var response = await client.PutAsync($"/fhir/Patient/{id}", F.Json(created));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("W/\"3\"", response.ETag());
    }

    [Fact]
    public async Task HistoryIsNewestFirstAndPagesToTheEnd()
    {
        var created = await client.CreateAsync(F.Patient(NhsNumbers.Next()));
        var id = created.Text("id");
        for (var i = 0; i < 4; i++)
        {
            created["birthDate"] = $"19{70 + i}-01-01";
            (await client.PutAsync($"/fhir/Patient/{id}", F.Json(created))).Dispose();
        }

        var versions = new List<string>();
        string? next = $"/fhir/Patient/{id}/_history?_count=2";
        while (next is not null)
        {
            using var page = await client.GetAsync(next);
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            var bundle = await page.BodyAsync();
            Assert.Equal("history", bundle.Text("type"));
            versions.AddRange(bundle["entry"]!.AsArray().Select(e => e!["response"]!.Text("etag")));
            next = bundle.Link("next");
        }

        Assert.Equal(["W/\"5\"", "W/\"4\"", "W/\"3\"", "W/\"2\"", "W/\"1\""], versions);
    }

    [Fact]
    public async Task HistoryOfAnUnknownResourceIs404()
    {
        using var response = await client.GetAsync("/fhir/Patient/nobody/_history");
        await response.AssertOutcomeAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task ConditionalUpdateUpdatesTheOneMatchAndRefusesSeveral()
    {
        var nhs = NhsNumbers.Next();
        var created = await client.CreateAsync(F.Patient(nhs));
        var changed = JsonNode.Parse(F.Patient(nhs, family: "Updated"))!;
        using (var one = await client.PutAsync($"/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|{nhs}", F.Json(changed)))
        {
            Assert.Equal(HttpStatusCode.OK, one.StatusCode);
            var body = await one.BodyAsync();
            Assert.Equal(created.Text("id"), body.Text("id"));
            Assert.Equal("2", body["meta"]!.Text("versionId"));
        }

        var fresh = NhsNumbers.Next();
        using (var none = await client.PutAsync($"/fhir/Patient?identifier={fresh}", F.Json(F.Patient(fresh))))
        {
            Assert.Equal(HttpStatusCode.Created, none.StatusCode);
        }

        await client.CreateAsync(F.Patient(NhsNumbers.Next(), family: "Same"));
        await client.CreateAsync(F.Patient(NhsNumbers.Next(), family: "Same"));
        using var many = await client.PutAsync("/fhir/Patient?family:exact=Same", F.Json(F.Patient(NhsNumbers.Next(), family: "Same")));
        await many.AssertOutcomeAsync(HttpStatusCode.PreconditionFailed);
    }
}

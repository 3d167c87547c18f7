using System.Net;
using System.Text.Json.Nodes;
using Wmtty.Tests.Infrastructure;
using F = Wmtty.Tests.Infrastructure.Fhir;

namespace Wmtty.Tests.Fhir;

public sealed class UpdateDeleteHistoryTests : AppTest
{
    [Fact]
    public async Task UpdatingWithTheCurrentIfMatchMakesVersionTwo()
    {
        var created = await Client.CreateAsync(F.Patient(NhsNumbers.Next()));
        var id = created.Text("id");
        created["gender"] = "female";
        using var response = await Client.SendAsync(HttpMethod.Put, $"/fhir/Patient/{id}", F.Json(created), ("If-Match", "W/\"1\""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("W/\"2\"", response.ETag());
        var body = await response.BodyAsync();
        Assert.Equal("2", body["meta"]!.Text("versionId"));
        Assert.Equal("female", body.Text("gender"));
    }

    [Fact]
    public async Task UpdatingWithAStaleIfMatchIs412AndChangesNothing()
    {
        var created = await Client.CreateAsync(F.Patient(NhsNumbers.Next()));
        var id = created.Text("id");
        created["gender"] = "female";
        using (var first = await Client.SendAsync(HttpMethod.Put, $"/fhir/Patient/{id}", F.Json(created), ("If-Match", "W/\"1\"")))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        created["gender"] = "male";
        using var stale = await Client.SendAsync(HttpMethod.Put, $"/fhir/Patient/{id}", F.Json(created), ("If-Match", "W/\"1\""));
        var text = await stale.AssertOutcomeAsync(HttpStatusCode.PreconditionFailed);
        Assert.Contains("current version is W/\"2\"", text);

        using var read = await Client.GetAsync($"/fhir/Patient/{id}");
        Assert.Equal("female", (await read.BodyAsync()).Text("gender"));
        Assert.Equal("W/\"2\"", read.ETag());
    }

    [Theory]
    [InlineData("1")]
    [InlineData("W/1")]
    [InlineData("W/\"1")]
    [InlineData("\"1\" garbage")]
    public async Task AMalformedIfMatchIs400(string ifMatch)
    {
        var created = await Client.CreateAsync(F.Patient(NhsNumbers.Next()));
        using var response = await Client.SendAsync(HttpMethod.Put, $"/fhir/Patient/{created.Text("id")}", F.Json(created), ("If-Match", ifMatch));
        await response.AssertOutcomeAsync(HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("W/\"1\"", HttpStatusCode.OK)]
    [InlineData("\"1\"", HttpStatusCode.OK)]
    [InlineData("*", HttpStatusCode.OK)]
    [InlineData("W/\"7\", W/\"1\"", HttpStatusCode.OK)]
    [InlineData("W/\"01\"", HttpStatusCode.PreconditionFailed)]
    [InlineData("\"abc\"", HttpStatusCode.PreconditionFailed)]
    public async Task IfMatchComparesETagsAsRfc9110Says(string ifMatch, HttpStatusCode expected)
    {
        var created = await Client.CreateAsync(F.Patient(NhsNumbers.Next()));
        using var response = await Client.SendAsync(HttpMethod.Put, $"/fhir/Patient/{created.Text("id")}", F.Json(created), ("If-Match", ifMatch));
        Assert.Equal(expected, response.StatusCode);
    }

    [Fact]
    public async Task IfMatchStarOnAResourceThatDoesNotExistIs412()
    {
        var json = JsonNode.Parse(F.Patient(NhsNumbers.Next()))!;
        json["id"] = "not-there-" + Guid.NewGuid().ToString("N")[..8];
        using var response = await Client.SendAsync(HttpMethod.Put, $"/fhir/Patient/{json.Text("id")}", F.Json(json), ("If-Match", "*"));
        await response.AssertOutcomeAsync(HttpStatusCode.PreconditionFailed);
    }

    [Fact]
    public async Task IfNoneMatchStarMakesAPutCreateOnly()
    {
        var json = JsonNode.Parse(F.Patient(NhsNumbers.Next()))!;
        json["id"] = "create-only-" + Guid.NewGuid().ToString("N")[..8];
        using (var first = await Client.SendAsync(HttpMethod.Put, $"/fhir/Patient/{json.Text("id")}", F.Json(json), ("If-None-Match", "*")))
        {
            Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        }

        using var second = await Client.SendAsync(HttpMethod.Put, $"/fhir/Patient/{json.Text("id")}", F.Json(json), ("If-None-Match", "*"));
        await second.AssertOutcomeAsync(HttpStatusCode.PreconditionFailed);
    }

    [Fact]
    public async Task UpdatingAnUnknownIdCreatesItWith201()
    {
        var json = JsonNode.Parse(F.Patient(NhsNumbers.Next()))!;
        json["id"] = "chosen-" + Guid.NewGuid().ToString("N")[..8];
        using var response = await Client.PutAsync($"/fhir/Patient/{json.Text("id")}", F.Json(json));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("W/\"1\"", response.ETag());
        Assert.EndsWith($"/fhir/Patient/{json.Text("id")}/_history/1", response.Headers.Location!.ToString());
    }

    [Fact]
    public async Task UpdatingWithABodyIdThatDiffersFromTheUrlIs400()
    {
        var created = await Client.CreateAsync(F.Patient(NhsNumbers.Next()));
        created["id"] = "someone-else";
        using var response = await Client.PutAsync("/fhir/Patient/not-the-same", F.Json(created));
        await response.AssertOutcomeAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task DeletingKeepsHistoryAndAReadAfterwardsIs410()
    {
        var created = await Client.CreateAsync(F.Patient(NhsNumbers.Next()));
        var id = created.Text("id");

        using var delete = await Client.DeleteAsync($"/fhir/Patient/{id}");
        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);

        using var read = await Client.GetAsync($"/fhir/Patient/{id}");
        await read.AssertOutcomeAsync(HttpStatusCode.Gone);

        using var version1 = await Client.GetAsync($"/fhir/Patient/{id}/_history/1");
        Assert.Equal(HttpStatusCode.OK, version1.StatusCode);

        using var version2 = await Client.GetAsync($"/fhir/Patient/{id}/_history/2");
        await version2.AssertOutcomeAsync(HttpStatusCode.Gone);

        using var history = await Client.GetAsync($"/fhir/Patient/{id}/_history");
        var bundle = await history.BodyAsync();
        var entries = bundle["entry"]!.AsArray();
        Assert.Equal(2, entries.Count);
        Assert.Equal("DELETE", entries[0]!["request"]!.Text("method"));
        Assert.Null(entries[0]!["resource"]);
        Assert.Equal("POST", entries[1]!["request"]!.Text("method"));

        using var search = await Client.GetAsync($"/fhir/Patient?_id={id}");
        Assert.Equal(0, (await search.BodyAsync()).Count());
    }

    [Fact]
    public async Task DeletingTwiceIsHarmlessAndDeletingWhatNeverExistedIs404()
    {
        var created = await Client.CreateAsync(F.Patient(NhsNumbers.Next()));
        var id = created.Text("id");
        using (var first = await Client.DeleteAsync($"/fhir/Patient/{id}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, first.StatusCode);
        }

        using (var second = await Client.DeleteAsync($"/fhir/Patient/{id}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, second.StatusCode);
        }

        using var history = await Client.GetAsync($"/fhir/Patient/{id}/_history");
        Assert.Equal(2, (await history.BodyAsync())["entry"]!.AsArray().Count);

        using var never = await Client.DeleteAsync("/fhir/Patient/never-was");
        await never.AssertOutcomeAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task DeletingWithAStaleIfMatchIs412()
    {
        var created = await Client.CreateAsync(F.Patient(NhsNumbers.Next()));
        using var response = await Client.SendAsync(HttpMethod.Delete, $"/fhir/Patient/{created.Text("id")}", null, ("If-Match", "W/\"9\""));
        await response.AssertOutcomeAsync(HttpStatusCode.PreconditionFailed);
        using var read = await Client.GetAsync($"/fhir/Patient/{created.Text("id")}");
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
    }

    [Fact]
    public async Task UpdatingADeletedResourceBringsItBackAsANewVersion()
    {
        var created = await Client.CreateAsync(F.Patient(NhsNumbers.Next()));
        var id = created.Text("id");
        (await Client.DeleteAsync($"/fhir/Patient/{id}")).Dispose();
        using var response = await Client.PutAsync($"/fhir/Patient/{id}", F.Json(created));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("W/\"3\"", response.ETag());
    }

    [Fact]
    public async Task HistoryIsNewestFirstAndPagesToTheEnd()
    {
        var created = await Client.CreateAsync(F.Patient(NhsNumbers.Next()));
        var id = created.Text("id");
        for (var i = 0; i < 4; i++)
        {
            created["birthDate"] = $"19{70 + i}-01-01";
            (await Client.PutAsync($"/fhir/Patient/{id}", F.Json(created))).Dispose();
        }

        var versions = new List<string>();
        string? next = $"/fhir/Patient/{id}/_history?_count=2";
        while (next is not null)
        {
            using var page = await Client.GetAsync(next);
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
        using var response = await Client.GetAsync("/fhir/Patient/nobody/_history");
        await response.AssertOutcomeAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task ConditionalUpdateUpdatesTheOneMatchAndRefusesSeveral()
    {
        var nhs = NhsNumbers.Next();
        var created = await Client.CreateAsync(F.Patient(nhs));
        var changed = JsonNode.Parse(F.Patient(nhs, family: "Updated"))!;
        using (var one = await Client.PutAsync($"/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|{nhs}", F.Json(changed)))
        {
            Assert.Equal(HttpStatusCode.OK, one.StatusCode);
            var body = await one.BodyAsync();
            Assert.Equal(created.Text("id"), body.Text("id"));
            Assert.Equal("2", body["meta"]!.Text("versionId"));
        }

        using (var stale = await Client.SendAsync(HttpMethod.Put, $"/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|{nhs}", F.Json(changed), ("If-Match", "W/\"1\"")))
        {
            await stale.AssertOutcomeAsync(HttpStatusCode.PreconditionFailed);
        }

        var fresh = NhsNumbers.Next();
        using (var none = await Client.PutAsync($"/fhir/Patient?identifier={fresh}", F.Json(F.Patient(fresh))))
        {
            Assert.Equal(HttpStatusCode.Created, none.StatusCode);
        }

        await Client.CreateAsync(F.Patient(NhsNumbers.Next(), family: "Same"));
        await Client.CreateAsync(F.Patient(NhsNumbers.Next(), family: "Same"));
        using var many = await Client.PutAsync("/fhir/Patient?family:exact=Same", F.Json(F.Patient(NhsNumbers.Next(), family: "Same")));
        await many.AssertOutcomeAsync(HttpStatusCode.PreconditionFailed);
    }

    [Fact]
    public async Task AConditionalUpdateThatMatchesNothingNeverOverwritesTheIdInItsBody()
    {
        var bystander = await Client.CreateAsync(F.Patient(NhsNumbers.Next(), family: "Bystander"));
        var body = JsonNode.Parse(F.Patient(NhsNumbers.Next(), family: "Intruder"))!;
        body["id"] = bystander.Text("id");
        using var response = await Client.PutAsync($"/fhir/Patient?identifier=urn:none|{Guid.NewGuid():N}", F.Json(body));
        await response.AssertOutcomeAsync(HttpStatusCode.Conflict);

        using var read = await Client.GetAsync($"/fhir/Patient/{bystander.Text("id")}");
        Assert.Equal("Bystander", (await read.BodyAsync())["name"]![0]!.Text("family"));
    }

    [Theory]
    [InlineData("_cursor=k99999")]
    [InlineData("_count=1")]
    [InlineData("_sort=-_lastUpdated")]
    [InlineData("_summary=count")]
    public async Task PagingParametersInWriteCriteriaAre400(string control)
    {
        var nhs = NhsNumbers.Next();
        await Client.CreateAsync(F.Patient(nhs));
        using var create = await Client.SendAsync(HttpMethod.Post, "/fhir/Patient", F.Json(F.Patient(nhs)), ("If-None-Exist", $"identifier={nhs}&{control}"));
        await create.AssertOutcomeAsync(HttpStatusCode.BadRequest);
        using var update = await Client.PutAsync($"/fhir/Patient?identifier={nhs}&{control}", F.Json(F.Patient(nhs)));
        await update.AssertOutcomeAsync(HttpStatusCode.BadRequest);
        using var count = await Client.GetAsync($"/fhir/Patient?identifier={nhs}&_summary=count");
        Assert.Equal(1, (await count.BodyAsync())["total"]!.GetValue<int>());
    }

    [Fact]
    public async Task HistoryTellsHowEachVersionCameAbout()
    {
        var id = "told-" + Guid.NewGuid().ToString("N")[..8];
        var json = JsonNode.Parse(F.Patient(NhsNumbers.Next()))!;
        json["id"] = id;
        (await Client.PutAsync($"/fhir/Patient/{id}", F.Json(json))).Dispose();
        (await Client.PutAsync($"/fhir/Patient/{id}", F.Json(json))).Dispose();
        (await Client.DeleteAsync($"/fhir/Patient/{id}")).Dispose();
        (await Client.PutAsync($"/fhir/Patient/{id}", F.Json(json))).Dispose();

        using var history = await Client.GetAsync($"/fhir/Patient/{id}/_history");
        var entries = (await history.BodyAsync())["entry"]!.AsArray()
            .Select(e => $"{e!["request"]!.Text("method")} {e["response"]!.Text("status")}").ToList();
        Assert.Equal(["PUT 201", "DELETE 204", "PUT 200", "PUT 201"], entries);
    }
}

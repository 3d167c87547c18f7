using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Wmtty.Tests.Infrastructure;

namespace Wmtty.Tests.Fhir;

public sealed class CreateAndReadTests : AppTest
{
    [Fact]
    public async Task CreatingAPatientIs201WithLocationETagAndTheStoredResource()
    {
        var nhs = NhsNumbers.Next();
        using var response = await Client.PostAsync("/fhir/Patient", Infrastructure.Fhir.Json(Infrastructure.Fhir.Patient(nhs)));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("W/\"1\"", response.ETag());
        Assert.NotNull(response.Content.Headers.LastModified);
        Assert.Equal("application/fhir+json", response.Content.Headers.ContentType!.MediaType);
        var body = await response.BodyAsync();
        var id = body.Text("id");
        Assert.Equal($"http://localhost/fhir/Patient/{id}/_history/1", response.Headers.Location!.ToString());
        Assert.Equal("1", body["meta"]!.Text("versionId"));
        Assert.Equal(nhs, body["identifier"]![0]!.Text("value"));
    }

    [Fact]
    public async Task IdsTheServerChoosesAreTimeOrderedUuidsSoNewRowsGoToTheEndOfTheIdIndexes()
    {
        // UUID version 7 (RFC 9562): the creation time in milliseconds first, so ids made later sort later, and the
        // unique indexes on (type, id) take each new one at their end instead of on a random page.
        var (patientId, _) = await Responses.CreatePatientAsync(Client);
        await Task.Delay(5);
        var response = await Responses.SubmitAsync(Client, Responses.Build(patientId, Responses.TypicalAnswers()));
        var observations = (await (await Client.GetAsync($"/fhir/Observation?derived-from=QuestionnaireResponse/{response.Text("id")}&_count=100")).BodyAsync())
            .Resources().Select(o => o.Text("id")).ToList();
        Assert.NotEmpty(observations);
        foreach (var id in observations.Append(response.Text("id")).Append(patientId))
        {
            Assert.True(Guid.TryParseExact(id, "D", out var uuid), id);
            Assert.Equal(7, uuid.Version);
            Assert.True(Math.Abs((DateTimeOffset.UtcNow - UuidTime(id)).TotalMinutes) < 5, id); // now, not random bits
        }

        Assert.True(string.CompareOrdinal(patientId, response.Text("id")) < 0, "the response's id sorts after its patient's, made earlier");
        Assert.All(observations, id => Assert.True(string.CompareOrdinal(patientId, id) < 0, id));
    }

    private static DateTimeOffset UuidTime(string uuid) =>
        DateTimeOffset.FromUnixTimeMilliseconds(Convert.ToInt64(uuid.Replace("-", "", StringComparison.Ordinal)[..12], 16));

    [Fact]
    public async Task TheServerIgnoresAnIdSentOnCreate()
    {
        var json = JsonNode.Parse(Infrastructure.Fhir.Patient(NhsNumbers.Next()))!;
        json["id"] = "chosen-by-Client";
        var created = await Client.CreateAsync(json.ToJsonString());
        Assert.NotEqual("chosen-by-Client", created.Text("id"));
    }

    [Fact]
    public async Task ReadingReturnsTheStoredBytesWithETagAndLastModified()
    {
        var created = await Client.CreateAsync(Infrastructure.Fhir.Patient(NhsNumbers.Next(), family: "Wiśniewska"));
        using var response = await Client.GetAsync($"/fhir/Patient/{created.Text("id")}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("W/\"1\"", response.ETag());
        Assert.NotNull(response.Content.Headers.LastModified);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(created.ToJsonString(), JsonNode.Parse(text)!.ToJsonString());
        Assert.Contains("Wiśniewska", text); // written as itself, not as \u escapes
    }

    [Fact]
    public async Task ReadingWithAMatchingIfNoneMatchIs304()
    {
        var created = await Client.CreateAsync(Infrastructure.Fhir.Patient(NhsNumbers.Next()));
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/fhir/Patient/{created.Text("id")}");
        request.Headers.IfNoneMatch.Add(EntityTagHeaderValue.Parse("W/\"1\""));
        using var response = await Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotModified, response.StatusCode);
        Assert.Equal("W/\"1\"", response.ETag());
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task ReadingWithAStaleIfNoneMatchReturnsTheResource()
    {
        var created = await Client.CreateAsync(Infrastructure.Fhir.Patient(NhsNumbers.Next()));
        using var response = await Client.SendAsync(HttpMethod.Get, $"/fhir/Patient/{created.Text("id")}", null, ("If-None-Match", "W/\"7\""));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task ReadingWithIfModifiedSinceAfterTheChangeIs304()
    {
        var created = await Client.CreateAsync(Infrastructure.Fhir.Patient(NhsNumbers.Next()));
        using var response = await Client.SendAsync(HttpMethod.Get, $"/fhir/Patient/{created.Text("id")}", null,
            ("If-Modified-Since", DateTimeOffset.UtcNow.AddMinutes(1).ToString("R")));
        Assert.Equal(HttpStatusCode.NotModified, response.StatusCode);
    }

    [Fact]
    public async Task ReadingAnUnknownIdIs404WithAnOperationOutcome()
    {
        using var response = await Client.GetAsync("/fhir/Patient/does-not-exist");
        var text = await response.AssertOutcomeAsync(HttpStatusCode.NotFound);
        Assert.Contains("Patient/does-not-exist", text);
    }

    [Fact]
    public async Task VreadReturnsTheVersionAskedFor()
    {
        var created = await Client.CreateAsync(Infrastructure.Fhir.Patient(NhsNumbers.Next(), family: "First"));
        var id = created.Text("id");
        var changed = created.DeepClone();
        changed["name"]![0]!["family"] = "Second";
        using (var update = await Client.PutAsync($"/fhir/Patient/{id}", Infrastructure.Fhir.Json(changed)))
        {
            Assert.Equal(HttpStatusCode.OK, update.StatusCode);
        }

        using var first = await Client.GetAsync($"/fhir/Patient/{id}/_history/1");
        using var second = await Client.GetAsync($"/fhir/Patient/{id}/_history/2");
        Assert.Equal("First", (await first.BodyAsync())["name"]![0]!.Text("family"));
        Assert.Equal("W/\"1\"", first.ETag());
        Assert.Equal("Second", (await second.BodyAsync())["name"]![0]!.Text("family"));

        using var missing = await Client.GetAsync($"/fhir/Patient/{id}/_history/3");
        await missing.AssertOutcomeAsync(HttpStatusCode.NotFound);
        using var notANumber = await Client.GetAsync($"/fhir/Patient/{id}/_history/x");
        await notANumber.AssertOutcomeAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task PreferReturnMinimalGivesAnEmptyBodyAndPreferOperationOutcomeGivesAnOutcome()
    {
        using var minimal = await Client.SendAsync(HttpMethod.Post, "/fhir/Patient", Infrastructure.Fhir.Json(Infrastructure.Fhir.Patient(NhsNumbers.Next())), ("Prefer", "return=minimal"));
        Assert.Equal(HttpStatusCode.Created, minimal.StatusCode);
        Assert.Empty(await minimal.Content.ReadAsByteArrayAsync());
        Assert.NotNull(minimal.Headers.Location);

        using var outcome = await Client.SendAsync(HttpMethod.Post, "/fhir/Patient", Infrastructure.Fhir.Json(Infrastructure.Fhir.Patient(NhsNumbers.Next())), ("Prefer", "return=OperationOutcome"));
        Assert.Equal(HttpStatusCode.Created, outcome.StatusCode);
        var body = await outcome.BodyAsync();
        Assert.Equal("OperationOutcome", body.Text("resourceType"));
        Assert.Equal("information", body["issue"]![0]!.Text("severity"));
    }

    [Fact]
    public async Task ConditionalCreateReturnsTheExistingResourceInsteadOfASecond()
    {
        var nhs = NhsNumbers.Next();
        var created = await Client.CreateAsync(Infrastructure.Fhir.Patient(nhs));
        using var again = await Client.SendAsync(HttpMethod.Post, "/fhir/Patient", Infrastructure.Fhir.Json(Infrastructure.Fhir.Patient(nhs)),
            ("If-None-Exist", $"identifier=https://fhir.nhs.uk/Id/nhs-number|{nhs}"));

        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(created.Text("id"), (await again.BodyAsync()).Text("id"));
        using var search = await Client.GetAsync($"/fhir/Patient?identifier={nhs}&_total=accurate");
        Assert.Equal(1, (int)(await search.BodyAsync())["total"]!);
    }

    [Fact]
    public async Task ConditionalCreateWithNoMatchCreates()
    {
        var nhs = NhsNumbers.Next();
        using var response = await Client.SendAsync(HttpMethod.Post, "/fhir/Patient", Infrastructure.Fhir.Json(Infrastructure.Fhir.Patient(nhs)),
            ("If-None-Exist", $"identifier=https://fhir.nhs.uk/Id/nhs-number|{nhs}"));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task ConditionalCreateMatchingTwoIs412AndCreatesNothing()
    {
        await Client.CreateAsync(Infrastructure.Fhir.Patient(NhsNumbers.Next(), family: "Twin"));
        await Client.CreateAsync(Infrastructure.Fhir.Patient(NhsNumbers.Next(), family: "Twin"));
        using var response = await Client.SendAsync(HttpMethod.Post, "/fhir/Patient", Infrastructure.Fhir.Json(Infrastructure.Fhir.Patient(NhsNumbers.Next(), family: "Twin")),
            ("If-None-Exist", "family:exact=Twin"));
        await response.AssertOutcomeAsync(HttpStatusCode.PreconditionFailed);

        using var search = await Client.GetAsync("/fhir/Patient?family:exact=Twin&_summary=count");
        Assert.Equal(2, (int)(await search.BodyAsync())["total"]!);
    }

    [Fact]
    public async Task ConditionalCreateWithAnUnknownCriterionIs400()
    {
        using var response = await Client.SendAsync(HttpMethod.Post, "/fhir/Patient", Infrastructure.Fhir.Json(Infrastructure.Fhir.Patient(NhsNumbers.Next())),
            ("If-None-Exist", "favourite-colour=blue"));
        await response.AssertOutcomeAsync(HttpStatusCode.BadRequest);
    }
}

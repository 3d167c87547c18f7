using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Wmtty.Tests.Infrastructure;
using F = Wmtty.Tests.Infrastructure.Fhir;

namespace Wmtty.Tests.Search;

public sealed class SearchTests : AppTest
{
    private async Task<JsonNode> SearchAsync(string url, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var response = await Client.GetAsync(url);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{url}: expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        var bundle = JsonNode.Parse(text)!;
        Assert.Equal("searchset", bundle.Text("type"));
        return bundle;
    }

    private static HashSet<string> Ids(JsonNode bundle) => bundle.Resources().Select(r => r.Text("id")).ToHashSet();

    [Fact]
    public async Task PatientsAreFoundByNhsNumberWithOrWithoutTheSystem()
    {
        var nhs = NhsNumbers.Next();
        var patient = await Client.CreateAsync(F.Patient(nhs));
        await Client.CreateAsync(F.Patient(NhsNumbers.Next()));

        Assert.Equal([patient.Text("id")], Ids(await SearchAsync($"/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|{nhs}")));
        Assert.Equal([patient.Text("id")], Ids(await SearchAsync($"/fhir/Patient?identifier={nhs}")));
        Assert.Empty(Ids(await SearchAsync($"/fhir/Patient?identifier=http://other.example/ids|{nhs}")));
        Assert.Empty(Ids(await SearchAsync($"/fhir/Patient?identifier=|{nhs}")));
    }

    [Fact]
    public async Task NamesMatchByPrefixIgnoringCaseAndAccentsAndExactlyWithExact()
    {
        var zoe = await Client.CreateAsync(F.Patient(NhsNumbers.Next(), family: "Zoë-Łukasik"));
        await Client.CreateAsync(F.Patient(NhsNumbers.Next(), family: "Begum"));

        Assert.Equal([zoe.Text("id")], Ids(await SearchAsync("/fhir/Patient?family=zoe")));
        Assert.Equal([zoe.Text("id")], Ids(await SearchAsync("/fhir/Patient?name=ZOË")));
        Assert.Equal([zoe.Text("id")], Ids(await SearchAsync("/fhir/Patient?family:contains=lukas")));
        Assert.Equal([zoe.Text("id")], Ids(await SearchAsync("/fhir/Patient?family:exact=Zoë-Łukasik")));
        Assert.Empty(Ids(await SearchAsync("/fhir/Patient?family:exact=zoë-łukasik")));
    }

    [Fact]
    public async Task ObservationsAreFoundByPatientSubjectCodeCategoryStatusAndDate()
    {
        var patient = (await Client.CreateAsync(F.Patient(NhsNumbers.Next()))).Text("id");
        var other = (await Client.CreateAsync(F.Patient(NhsNumbers.Next()))).Text("id");
        var interpreter = (await Client.CreateAsync(F.Observation(patient, "54588-9", "2024-05-17T10:30:00Z"))).Text("id");
        var beliefs = (await Client.CreateAsync(F.Observation(patient, "81364-2", "2023-01-02T09:00:00Z"))).Text("id");
        var others = (await Client.CreateAsync(F.Observation(other, "54588-9", "2024-05-17T10:30:00Z"))).Text("id");
        var amended = (await Client.CreateAsync(F.Observation(patient, "95541-9", "2024-06-01", status: "amended"))).Text("id");

        Assert.Equal([interpreter, beliefs, amended], Ids(await SearchAsync($"/fhir/Observation?patient={patient}")));
        Assert.Equal([interpreter, beliefs, amended], Ids(await SearchAsync($"/fhir/Observation?patient=Patient/{patient}")));
        Assert.Equal([interpreter, beliefs, amended], Ids(await SearchAsync($"/fhir/Observation?subject=Patient/{patient}")));
        Assert.Equal([interpreter, beliefs, amended], Ids(await SearchAsync($"/fhir/Observation?subject:Patient={patient}")));
        Assert.Equal([interpreter, beliefs, amended], Ids(await SearchAsync($"/fhir/Observation?subject=http://localhost/fhir/Patient/{patient}")));
        Assert.Equal([interpreter], Ids(await SearchAsync($"/fhir/Observation?patient={patient}&code=http://loinc.org|54588-9")));
        Assert.Equal([interpreter, beliefs], Ids(await SearchAsync($"/fhir/Observation?patient={patient}&code=54588-9,81364-2")));
        Assert.Equal([interpreter, others], Ids(await SearchAsync("/fhir/Observation?code=54588-9")));
        Assert.Equal([interpreter, beliefs, amended], Ids(await SearchAsync($"/fhir/Observation?patient={patient}&category=social-history")));
        Assert.Equal([amended], Ids(await SearchAsync($"/fhir/Observation?patient={patient}&status=amended")));
        Assert.Equal([amended], Ids(await SearchAsync($"/fhir/Observation?patient={patient}&status=http://hl7.org/fhir/observation-status|amended")));

        Assert.Equal([interpreter], Ids(await SearchAsync($"/fhir/Observation?patient={patient}&date=2024-05")));
        Assert.Equal([interpreter, amended], Ids(await SearchAsync($"/fhir/Observation?patient={patient}&date=ge2024-01-01")));
        Assert.Equal([beliefs], Ids(await SearchAsync($"/fhir/Observation?patient={patient}&date=lt2024")));
        Assert.Equal([interpreter, amended], Ids(await SearchAsync($"/fhir/Observation?patient={patient}&date=gt2024-05-17T09:00:00Z&date=le2024-12-31")));
        Assert.Equal([interpreter], Ids(await SearchAsync($"/fhir/Observation?patient={patient}&date=2024-05-17T11:30:00%2B01:00")));
        Assert.Equal([beliefs, amended], Ids(await SearchAsync($"/fhir/Observation?patient={patient}&date=ne2024-05-17")));
    }

    [Fact]
    public async Task ReferencesCanBeSearchedByThePatientsNhsNumber()
    {
        var nhs = NhsNumbers.Next();
        var patient = (await Client.CreateAsync(F.Patient(nhs))).Text("id");
        var byReference = (await Client.CreateAsync(F.Observation(patient))).Text("id");

        var byIdentifier = JsonNode.Parse(F.Observation(patient))!;
        byIdentifier["subject"] = new JsonObject
        {
            ["type"] = "Patient",
            ["identifier"] = new JsonObject { ["system"] = "https://fhir.nhs.uk/Id/nhs-number", ["value"] = nhs },
        };
        var logical = (await Client.CreateAsync(byIdentifier.ToJsonString())).Text("id");
        await Client.CreateAsync(F.Observation((await Client.CreateAsync(F.Patient(NhsNumbers.Next()))).Text("id")));

        var found = Ids(await SearchAsync($"/fhir/Observation?subject:identifier=https://fhir.nhs.uk/Id/nhs-number|{nhs}"));
        Assert.Equal([byReference, logical], found);
        Assert.Equal([byReference, logical], Ids(await SearchAsync($"/fhir/Observation?patient:identifier=https://fhir.nhs.uk/Id/nhs-number|{nhs}")));
    }

    [Fact]
    public async Task QuestionnairesAreFoundByUrlVersionAndStatusAndResponsesByCanonical()
    {
        const string url = "https://wmtty.example/Questionnaire/what-matters";
        var v1 = (await Client.CreateAsync($$"""{"resourceType":"Questionnaire","url":"{{url}}","version":"1.0.0","status":"retired","name":"WhatMatters"}""")).Text("id");
        var v2 = (await Client.CreateAsync($$"""{"resourceType":"Questionnaire","url":"{{url}}","version":"2.0.0","status":"active","title":"What matters to you"}""")).Text("id");
        var patient = (await Client.CreateAsync(F.Patient(NhsNumbers.Next()))).Text("id");
        var response = (await Client.CreateAsync($$$"""
            {"resourceType":"QuestionnaireResponse","questionnaire":"{{{url}}}|2.0.0","status":"completed",
             "subject":{"reference":"Patient/{{{patient}}}"},"authored":"2024-05-17T10:30:00Z",
             "identifier":{"system":"https://wmtty.example/id","value":"r-1"}}
            """)).Text("id");

        Assert.Equal([v1, v2], Ids(await SearchAsync($"/fhir/Questionnaire?url={url}")));
        Assert.Equal([v2], Ids(await SearchAsync($"/fhir/Questionnaire?url={url}&version=2.0.0")));
        Assert.Equal([v2], Ids(await SearchAsync($"/fhir/Questionnaire?status=active&title=what&url={url}")));
        Assert.Equal([v1], Ids(await SearchAsync($"/fhir/Questionnaire?name=whatmatters&url={url}")));
        Assert.Equal([response], Ids(await SearchAsync($"/fhir/QuestionnaireResponse?questionnaire={url}")));
        Assert.Equal([response], Ids(await SearchAsync($"/fhir/QuestionnaireResponse?questionnaire={url}|2.0.0")));
        Assert.Empty(Ids(await SearchAsync($"/fhir/QuestionnaireResponse?questionnaire={url}|1.0.0")));
        Assert.Equal([response], Ids(await SearchAsync($"/fhir/QuestionnaireResponse?patient={patient}&status=completed&authored=2024-05-17")));
        Assert.Equal([response], Ids(await SearchAsync($"/fhir/QuestionnaireResponse?subject=Patient/{patient}&identifier=https://wmtty.example/id|r-1")));
    }

    [Fact]
    public async Task DerivedFromFindsTheObservationsOfAResponse()
    {
        var patient = (await Client.CreateAsync(F.Patient(NhsNumbers.Next()))).Text("id");
        var response = (await Client.CreateAsync(Responses.Build(patient, [], status: "in-progress").ToJsonString())).Text("id");
        var observation = JsonNode.Parse(F.Observation(patient))!;
        observation["derivedFrom"] = new JsonArray(new JsonObject { ["reference"] = $"QuestionnaireResponse/{response}" });
        var derived = (await Client.CreateAsync(observation.ToJsonString())).Text("id");
        await Client.CreateAsync(F.Observation(patient));

        Assert.Equal([derived], Ids(await SearchAsync($"/fhir/Observation?derived-from=QuestionnaireResponse/{response}")));
    }

    [Fact]
    public async Task IdAndLastUpdatedAreSearchable()
    {
        var first = (await Client.CreateAsync(F.Patient(NhsNumbers.Next()))).Text("id");
        var second = (await Client.CreateAsync(F.Patient(NhsNumbers.Next()))).Text("id");
        Assert.Equal([first, second], Ids(await SearchAsync($"/fhir/Patient?_id={first},{second}")));
        Assert.Equal([first], Ids(await SearchAsync($"/fhir/Patient?_id={first}")));
        Assert.Equal([first, second], Ids(await SearchAsync($"/fhir/Patient?_lastUpdated=ge{DateTime.UtcNow.AddHours(-1):yyyy-MM-ddTHH:mm:ss}Z")));
        Assert.Empty(Ids(await SearchAsync($"/fhir/Patient?_lastUpdated=gt{DateTime.UtcNow.AddHours(1):yyyy-MM-ddTHH:mm:ss}Z")));
    }

    [Fact]
    public async Task UnknownParametersAreIgnoredAndReportedOrRefusedWhenStrict()
    {
        var patient = await Client.CreateAsync(F.Patient(NhsNumbers.Next()));
        var bundle = await SearchAsync($"/fhir/Patient?_id={patient.Text("id")}&shoe-size=9");
        Assert.Equal(1, bundle.Count());
        var outcome = bundle["entry"]!.AsArray().Single(e => e!["search"]!.Text("mode") == "outcome")!["resource"]!;
        Assert.Equal("OperationOutcome", outcome.Text("resourceType"));
        Assert.Contains("shoe-size", outcome["issue"]![0]!.Text("diagnostics"));
        Assert.DoesNotContain("shoe-size", bundle.Link("self"));

        using var strict = await Client.SendAsync(HttpMethod.Get, "/fhir/Patient?shoe-size=9", null, ("Prefer", "handling=strict"));
        var text = await strict.AssertOutcomeAsync(HttpStatusCode.BadRequest);
        Assert.Contains("shoe-size", text);
    }

    [Theory]
    [InlineData("/fhir/Patient?birthdate=yesterday")]
    [InlineData("/fhir/Patient?birthdate=2024-13-01")]
    [InlineData("/fhir/Patient?birthdate=xx2024")]
    [InlineData("/fhir/Patient?_count=lots")]
    [InlineData("/fhir/Patient?_count=-1")]
    [InlineData("/fhir/Patient?_count=99999999999999999999")]
    [InlineData("/fhir/Patient?_sort=birthdate")]
    [InlineData("/fhir/Patient?_total=maybe")]
    [InlineData("/fhir/Patient?identifier:text=x")]
    [InlineData("/fhir/Patient?family:sounds-like=x")]
    [InlineData("/fhir/Observation?subject:Banana=1")]
    [InlineData("/fhir/Observation?code=a|b|c")]
    [InlineData("/fhir/Patient?_cursor=not-a-cursor")]
    public async Task MalformedSearchValuesAre400(string url)
    {
        using var response = await Client.GetAsync(url);
        await response.AssertOutcomeAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task HostileValuesAreJustValues()
    {
        await Client.CreateAsync(F.Patient(NhsNumbers.Next(), family: "O'Brien"));
        Assert.Equal(1, (await SearchAsync("/fhir/Patient?family=o'brien")).Count());
        Assert.Equal(0, (await SearchAsync("/fhir/Patient?family=x' OR '1'='1")).Count());
        Assert.Equal(0, (await SearchAsync("/fhir/Patient?identifier=1%27%3B%20DROP%20TABLE%20resource%3B--")).Count());
        Assert.Equal(1, (await SearchAsync("/fhir/Patient?_summary=count"))["total"]!.GetValue<int>());
    }

    [Fact]
    public async Task SummaryCountGivesOnlyTheTotalAndTotalAccurateAddsIt()
    {
        for (var i = 0; i < 3; i++)
        {
            await Client.CreateAsync(F.Patient(NhsNumbers.Next(), family: "Counted"));
        }

        var count = await SearchAsync("/fhir/Patient?family=counted&_summary=count");
        Assert.Equal(3, count["total"]!.GetValue<int>());
        Assert.Null(count["entry"]);

        var page = await SearchAsync("/fhir/Patient?family=counted&_count=2&_total=accurate");
        Assert.Equal(3, page["total"]!.GetValue<int>());
        Assert.Equal(2, page.Count());

        var plain = await SearchAsync("/fhir/Patient?family=counted");
        Assert.Null(plain["total"]);
    }

    [Fact]
    public async Task PagingFollowsNextLinksToTheEndWithoutRepeatsInEitherOrder()
    {
        var created = new List<string>();
        for (var i = 0; i < 7; i++)
        {
            created.Add((await Client.CreateAsync(F.Patient(NhsNumbers.Next(), family: "Paged"))).Text("id"));
        }

        foreach (var sort in new[] { "", "&_sort=_lastUpdated", "&_sort=-_lastUpdated" })
        {
            var seen = new List<string>();
            string? next = $"/fhir/Patient?family=paged&_count=3{sort}";
            var pages = 0;
            while (next is not null)
            {
                var bundle = await SearchAsync(next);
                Assert.True(bundle.Count() <= 3);
                seen.AddRange(bundle.Resources().Select(r => r.Text("id")));
                next = bundle.Link("next");
                pages++;
                Assert.True(pages < 10);
            }

            Assert.Equal(3, pages);
            Assert.Equal(sort.Contains('-') ? created.AsEnumerable().Reverse() : created, seen);
        }
    }

    [Fact]
    public async Task TheCountIsCappedAt200AndTheDefaultPageIs20()
    {
        for (var i = 0; i < 21; i++)
        {
            await Client.CreateAsync(F.Patient(NhsNumbers.Next(), family: "Many"));
        }

        var page = await SearchAsync("/fhir/Patient?family=many");
        Assert.Equal(20, page.Count());
        Assert.NotNull(page.Link("next"));

        var capped = await SearchAsync("/fhir/Patient?family=many&_count=5000");
        Assert.Equal(21, capped.Count());
        Assert.Contains("_count=200", capped.Link("self"));
    }

    [Fact]
    public async Task SearchByPostFormMatchesSearchByGet()
    {
        var nhs = NhsNumbers.Next();
        var patient = await Client.CreateAsync(F.Patient(nhs));
        using var response = await Client.PostAsync("/fhir/Patient/_search", new FormUrlEncodedContent([new("identifier", nhs)]));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var bundle = await response.BodyAsync();
        Assert.Equal([patient.Text("id")], Ids(bundle));
        Assert.Contains($"identifier={nhs}", bundle.Link("self"));

        using var wrongType = await Client.PostAsync("/fhir/Patient/_search", F.Json("{}"));
        await wrongType.AssertOutcomeAsync(HttpStatusCode.UnsupportedMediaType);
    }

    [Fact]
    public async Task SearchResultsCanBeAskedForInXml()
    {
        await Client.CreateAsync(F.Patient(NhsNumbers.Next()));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/fhir/Patient");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/fhir+xml"));
        using var response = await Client.SendAsync(request);
        Assert.Equal("application/fhir+xml", response.Content.Headers.ContentType!.MediaType);
        var xml = await response.Content.ReadAsStringAsync();
        Assert.StartsWith("<Bundle xmlns=\"http://hl7.org/fhir\">", xml);
    }

    [Fact]
    public async Task AResponseToALocalQuestionnaireIsFoundByItsReference()
    {
        // Responses name their questionnaire by canonical url|version; the service resolves it to the stored one.
        var questionnaire = (await Client.CreateAsync("""{"resourceType":"Questionnaire","status":"active","url":"https://wmtty.example/q/local","version":"1"}""")).Text("id");
        var patient = (await Client.CreateAsync(F.Patient(NhsNumbers.Next()))).Text("id");
        var response = $$$"""{"resourceType":"QuestionnaireResponse","status":"completed","questionnaire":"https://wmtty.example/q/local|1","subject":{"reference":"Patient/{{{patient}}}"}}""";
        var relative = (await Client.CreateAsync(response)).Text("id");
        var absolute = (await Client.CreateAsync(response)).Text("id");

        Assert.Equal([relative, absolute], Ids(await SearchAsync($"/fhir/QuestionnaireResponse?questionnaire=Questionnaire/{questionnaire}")));
        Assert.Equal([relative, absolute], Ids(await SearchAsync($"/fhir/QuestionnaireResponse?questionnaire=http://localhost/fhir/Questionnaire/{questionnaire}")));
    }

    [Fact]
    public async Task DatesInTheYear9999AreIndexedAndSearchable()
    {
        var patient = (await Client.CreateAsync(F.Patient(NhsNumbers.Next(), birthDate: "9999-12-31"))).Text("id");
        Assert.Equal([patient], Ids(await SearchAsync("/fhir/Patient?birthdate=9999-12-31")));
        Assert.Equal([patient], Ids(await SearchAsync("/fhir/Patient?birthdate=9999")));
        Assert.Equal([patient], Ids(await SearchAsync("/fhir/Patient?birthdate=ge9000")));
    }

    [Theory]
    [InlineData("_summary=count&_total=none")]
    [InlineData("_total=none&_summary=count")]
    [InlineData("_count=0")]
    public async Task ACountOnlySearchAlwaysHasItsTotal(string query)
    {
        await Client.CreateAsync(F.Patient(NhsNumbers.Next()));
        var bundle = await SearchAsync($"/fhir/Patient?{query}");
        Assert.Equal(1, bundle["total"]!.GetValue<int>());
        Assert.Null(bundle["entry"]);
    }

    [Fact]
    public async Task AnUpdateDuringPagingDoesNotMoveTheResourceToALaterPage()
    {
        var created = new List<JsonNode>();
        for (var i = 0; i < 6; i++)
        {
            created.Add(await Client.CreateAsync(F.Patient(NhsNumbers.Next(), family: "Walked")));
        }

        var first = await SearchAsync("/fhir/Patient?family=walked&_count=3");
        var seen = first.Resources().Select(r => r.Text("id")).ToList();
        var changed = created[0].DeepClone();
        changed["gender"] = "female";
        (await Client.PutAsync($"/fhir/Patient/{created[0].Text("id")}", F.Json(changed))).Dispose();

        string? next = first.Link("next");
        while (next is not null)
        {
            var page = await SearchAsync(next);
            seen.AddRange(page.Resources().Select(r => r.Text("id")));
            next = page.Link("next");
        }

        Assert.Equal(created.Select(c => c.Text("id")), seen);
    }

    [Fact]
    public async Task APatientParameterFindsReferencesMadeOnlyByNhsNumber()
    {
        var nhs = NhsNumbers.Next();
        var observation = JsonNode.Parse(F.Observation("x"))!;
        observation["subject"] = new JsonObject { ["identifier"] = new JsonObject { ["system"] = "https://fhir.nhs.uk/Id/nhs-number", ["value"] = nhs } };
        var id = (await Client.CreateAsync(observation.ToJsonString())).Text("id");

        Assert.Equal([id], Ids(await SearchAsync($"/fhir/Observation?patient:identifier=https://fhir.nhs.uk/Id/nhs-number|{nhs}")));
        Assert.Equal([id], Ids(await SearchAsync($"/fhir/Observation?subject:identifier={nhs}")));
    }
}

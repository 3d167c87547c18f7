using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Wmtty.Tests.Infrastructure;
using F = Wmtty.Tests.Infrastructure.Fhir;

namespace Wmtty.Tests.Fhir;

/// <summary>
/// Inputs a mutation fuzzer found (the last from <see cref="ResponseFuzzTests"/>); each once answered 500, changed data
/// silently, was read differently by format, or was stored though it is not valid FHIR.
/// </summary>
public sealed class FuzzFindingsTests : AppTest
{
    [Theory]
    [InlineData("/fhir/Patient?birthdate=%D9%A2%D9%A0%D9%A2%D9%A4")]
    [InlineData("/fhir/Patient?_lastUpdated=%EF%BC%92%EF%BC%90%EF%BC%92%EF%BC%94")]
    [InlineData("/fhir/Patient?birthdate=2024-05-17T10:00:00%2B%D9%A0%D9%A1:00")]
    [InlineData("/fhir/Patient/x/_history?_since=%E0%A5%A8%E0%A5%A6%E0%A5%A8%E0%A5%AA")]
    public async Task DatesWrittenInOtherDigitsAre400(string url)
    {
        using var response = await Client.GetAsync(url);
        await response.AssertOutcomeAsync(HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("0001-01-01T00:00:00.000%2B01:00")]
    [InlineData("9999-12-31T23:59:59-14:00")]
    public async Task HistorySinceTheEdgesOfTimeIsAnswered(string since)
    {
        var created = await Client.CreateAsync(F.Patient(NhsNumbers.Next()));
        using var response = await Client.GetAsync($"/fhir/Patient/{created.Text("id")}/_history?_since={since}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("""{"resourceType":"Patient","photo":[{"contentType":"image/png","data":""}]}""")]
    [InlineData("""{"resourceType":"Patient","name":[{"text":" "}]}""")]
    [InlineData("""{"resourceType":"Patient","address":[{"line":["  "]}]}""")]
    public async Task EmptyOrWhitespaceOnlyValuesAre400(string body)
    {
        using var response = await Client.PostAsync("/fhir/Patient", F.Json(body));
        await response.AssertOutcomeAsync(HttpStatusCode.BadRequest);
        Assert.Equal(0, await CountAsync("Patient"));
    }

    [Theory]
    [InlineData("""{"resourceType":"patient"}""")]
    [InlineData("""{"resourceType":"PATIENT","gender":"male"}""")]
    [InlineData("""{"resourceType":"Patient","resourceType":"Observation"}""")]
    [InlineData("""{"resourceType":"Patient","gender":"male","gender":"female"}""")]
    [InlineData("""{"resourceType":"Patient","name":[{"family":"A","family":"B"}]}""")]
    public async Task WrongCasedTypesAndRepeatedPropertiesAre400(string body)
    {
        using var response = await Client.PostAsync("/fhir/Patient", F.Json(body));
        await response.AssertOutcomeAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task AWrongCasedXmlRootIs400()
    {
        using var response = await Client.PostAsync("/fhir/Patient", new StringContent("""<patient xmlns="http://hl7.org/fhir"><gender value="male"/></patient>""", Encoding.UTF8, "application/fhir+xml"));
        await response.AssertOutcomeAsync(HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("1e-400")]
    [InlineData("3.000000000000000000000000000001")]
    [InlineData("9.99999999999999999999999999999e27")]
    [InlineData("1e400")]
    public async Task ADecimalThatCannotBeKeptExactlyIs400(string number)
    {
        var observation = JsonNode.Parse(F.Observation("p"))!.AsObject();
        observation.Remove("valueBoolean");
        var body = observation.ToJsonString().TrimEnd('}') + $",\"valueQuantity\":{{\"value\":{number}}}}}";
        using var response = await Client.PostAsync("/fhir/Observation", F.Json(body));
        await response.AssertOutcomeAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task ADecimalWithinRangeKeepsItsPrecision()
    {
        var observation = JsonNode.Parse(F.Observation("p"))!.AsObject();
        observation.Remove("valueBoolean");
        var body = observation.ToJsonString().TrimEnd('}') + ",\"valueQuantity\":{\"value\":1.50}}";
        var created = await Client.CreateAsync(body);
        Assert.Equal("1.50", created["valueQuantity"]!["value"]!.ToJsonString());
    }

    [Fact]
    public async Task XmlNarrativeMeetsTheSameXhtmlRulesAsJson()
    {
        const string xml = """<Patient xmlns="http://hl7.org/fhir"><text><status value="generated"/><div xmlns="http://www.w3.org/1999/xhtml"><img src="#photo"/></div></text></Patient>""";
        using var response = await Client.PostAsync("/fhir/Patient", new StringContent(xml, Encoding.UTF8, "application/fhir+xml"));
        await response.AssertOutcomeAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task DeepNarrativeRoundTripsThroughXml()
    {
        var div = "<div xmlns=\"http://www.w3.org/1999/xhtml\">" + string.Concat(Enumerable.Repeat("<div>", 34)) + "deep" + string.Concat(Enumerable.Repeat("</div>", 34)) + "</div>";
        var json = new JsonObject { ["resourceType"] = "Patient", ["text"] = new JsonObject { ["status"] = "generated", ["div"] = div } };
        var created = await Client.CreateAsync(json.ToJsonString());
        using var xml = await Client.GetAsync($"/fhir/Patient/{created.Text("id")}?_format=xml");
        var text = await xml.Content.ReadAsStringAsync();
        using var back = await Client.PutAsync($"/fhir/Patient/{created.Text("id")}", new StringContent(text, Encoding.UTF8, "application/fhir+xml"));
        Assert.Equal(HttpStatusCode.OK, back.StatusCode);
    }

    [Theory]
    [InlineData("text/xml")]
    [InlineData("application/xml+fhir")]
    public async Task OlderXmlMediaTypesAreAccepted(string mediaType)
    {
        var xml = $"""<Patient xmlns="http://hl7.org/fhir"><identifier><system value="https://fhir.nhs.uk/Id/nhs-number"/><value value="{NhsNumbers.Next()}"/></identifier></Patient>""";
        using var response = await Client.PostAsync("/fhir/Patient", new StringContent(xml, Encoding.UTF8, mediaType));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task AFormatGivenTwiceAppearsOnceInTheLinks()
    {
        using var response = await Client.PostAsync("/fhir/Patient/_search?_format=xml", new FormUrlEncodedContent([new("_format", "json")]));
        var bundle = await response.BodyAsync();
        var self = bundle.Link("self")!;
        Assert.Single(self.Split('&', '?'), p => p.StartsWith("_format=", StringComparison.Ordinal));
        using var follow = await Client.GetAsync(self);
        Assert.Equal(HttpStatusCode.OK, follow.StatusCode);
    }

    [Theory]
    [InlineData("author")]
    [InlineData("source")]
    public async Task AResponseWithALocalReferenceToNoContainedResourceIs400(string element)
    {
        var (patientId, _) = await Responses.CreatePatientAsync(Client);
        var response = Responses.Build(patientId, Responses.TypicalAnswers());
        response[element] = new JsonObject { ["reference"] = "#x" };
        using var posted = await Client.PostAsync("/fhir/QuestionnaireResponse", F.Json(response));
        Assert.Contains("ref-1", await posted.AssertOutcomeAsync(HttpStatusCode.BadRequest));
        Assert.Equal(0, await CountAsync("QuestionnaireResponse"));
    }

    [Theory]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"#p"}}""")]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"#p"},"performer":[{"reference":"#q"}],"contained":[{"resourceType":"Patient","id":"p"}]}""")]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"#p"},"contained":[{"resourceType":"Patient","id":"p","generalPractitioner":[{"reference":"#q"}]}]}""")]
    public async Task ALocalReferenceMustNameAContainedResource(string body)
    {
        using var response = await Client.PostAsync("/fhir/Observation", F.Json(body));
        Assert.Contains("ref-1", await response.AssertOutcomeAsync(HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task LocalReferencesToContainedResourcesAndToTheContainerAreAccepted()
    {
        await Client.CreateAsync("""
            {"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"#p"},"performer":[{"reference":"#q"}],
             "contained":[{"resourceType":"Patient","id":"p","generalPractitioner":[{"reference":"#q"}],"link":[{"other":{"reference":"#"},"type":"seealso"}]},{"resourceType":"Practitioner","id":"q"}]}
            """);
    }
}

using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Wmtty.Tests.Infrastructure;
using F = Wmtty.Tests.Infrastructure.Fhir;

namespace Wmtty.Tests.Fhir;

/// <summary>More of what careless and hostile clients send, found by trying to break the service.</summary>
public sealed class HostileInputMoreTests : AppTest
{
    [Theory]
    [InlineData("""{"resourceType":"Patient","contained":{}}""")]
    [InlineData("""{"resourceType":"Patient","contained":{"resourceType":"Patient","id":"a"}}""")]
    [InlineData("""{"resourceType":"Patient","contained":"x"}""")]
    [InlineData("""{"resourceType":"Patient","contained":null}""")]
    public async Task AContainedThatIsNotAnArrayIs400(string body)
    {
        using var response = await Client.PostAsync("/fhir/Patient", F.Json(body));
        await response.AssertOutcomeAsync(HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("/fhir/Patient?_count=%01&_format=xml")]
    [InlineData("/fhir/Patient/%01?_format=xml")]
    [InlineData("/fhir/Patient?_sort=%EF%BF%BE&_format=xml")]
    [InlineData("/fhir/Patient?birthdate=%01&_format=xml")]
    public async Task AnErrorQuotingUnprintableInputIsStillWrittenAsXml(string url)
    {
        using var response = await Client.GetAsync(url);
        Assert.True((int)response.StatusCode is >= 400 and < 500, $"{(int)response.StatusCode}");
        Assert.Equal("application/fhir+xml", response.Content.Headers.ContentType!.MediaType);
        System.Xml.Linq.XDocument.Parse(await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task AnIgnoredParameterWithAnUnprintableNameIsReportedInXml()
    {
        using var response = await Client.GetAsync("/fhir/Patient?%01=1&_format=xml");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        System.Xml.Linq.XDocument.Parse(await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("<script>alert(1)</script>")]
    [InlineData("<p onclick=\"alert(2)\">x</p>")]
    [InlineData("<iframe src=\"https://evil.example\"/>")]
    [InlineData("<a href=\"javascript:alert(1)\">x</a>")]
    [InlineData("<a href=\" JaVaScRiPt:alert(1)\">x</a>")]
    [InlineData("<a href=\"data:text/html,x\">x</a>")]
    [InlineData("<p><![CDATA[><img src=x onerror=alert(1)>]]></p>")]
    [InlineData("   ")]
    public async Task UnsafeNarrativeIsRefusedInXmlAsInJson(string inner)
    {
        var xml = $"""<Patient xmlns="http://hl7.org/fhir"><text><status value="generated"/><div xmlns="http://www.w3.org/1999/xhtml">{inner}</div></text></Patient>""";
        using var asXml = await Client.PostAsync("/fhir/Patient", new StringContent(xml, Encoding.UTF8, "application/fhir+xml"));
        await asXml.AssertOutcomeAsync(HttpStatusCode.BadRequest);

        var div = $"<div xmlns=\"http://www.w3.org/1999/xhtml\">{inner}</div>";
        var json = new JsonObject { ["resourceType"] = "Patient", ["text"] = new JsonObject { ["status"] = "generated", ["div"] = div } };
        using var asJson = await Client.PostAsync("/fhir/Patient", F.Json(json));
        await asJson.AssertOutcomeAsync(HttpStatusCode.BadRequest);
        Assert.Equal(0, await CountAsync("Patient"));
    }

    [Theory]
    [InlineData("<?xml version=\"1.0\"?><div xmlns=\"http://www.w3.org/1999/xhtml\"><p>x</p></div>")]
    [InlineData("<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>x</p></div><?pi x?>")]
    [InlineData("<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>x</p></div><div xmlns=\"http://www.w3.org/1999/xhtml\"><p>y</p></div>")]
    [InlineData("<p xmlns=\"http://www.w3.org/1999/xhtml\">x</p>")]
    [InlineData("<div xmlns=\"http://www.w3.org/1999/xhtml\"><!-- hidden --><p>x</p></div>")]
    public async Task NarrativeMustBeOneDivAndNothingElse(string div)
    {
        var json = new JsonObject { ["resourceType"] = "Patient", ["text"] = new JsonObject { ["status"] = "generated", ["div"] = div } };
        using var response = await Client.PostAsync("/fhir/Patient", F.Json(json));
        await response.AssertOutcomeAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task ABadHostHeaderIs400NotAnError()
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/fhir/Patient");
        request.Headers.TryAddWithoutValidation("Host", "a..b");
        using var response = await Client.SendAsync(request);
        await response.AssertOutcomeAsync(HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("identifier", """{"resourceType":"Patient","identifier":[{"system":"urn:long","value":"VALUE"}]}""")]
    [InlineData("family", """{"resourceType":"Patient","name":[{"family":"VALUE"}]}""")]
    public async Task AValueTooLongToSearchByIs422NotSilentlyUnsearchable(string param, string template)
    {
        var tooLong = Wmtty.Fhir.Search.SearchIndexer.MaxValueLength + 1;
        var body = template.Replace("VALUE", new string('x', tooLong));
        using var response = await Client.PostAsync("/fhir/Patient", F.Json(body));
        await response.AssertOutcomeAsync(HttpStatusCode.UnprocessableEntity);
        Assert.Contains($"'{param}' value is {tooLong} characters", await response.Content.ReadAsStringAsync());
        Assert.Equal(0, await CountAsync("Patient"));

        // The longest value the index keeps is stored and found by, in full.
        var longest = new string('x', tooLong - 1);
        await Client.CreateAsync(template.Replace("VALUE", longest));
        using var found = await Client.GetAsync($"/fhir/Patient?{param}={longest}");
        Assert.Single((await found.BodyAsync())["entry"]!.AsArray());
    }

    [Theory]
    [InlineData(".")]
    [InlineData("..")]
    public async Task IdsThatCannotBeAddressedAreRefused(string id)
    {
        var body = JsonNode.Parse(F.Patient(NhsNumbers.Next()))!;
        body["id"] = id;
        using var response = await Client.PutAsync("/fhir/Patient?identifier=urn:none|x", F.Json(body));
        await response.AssertOutcomeAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task GzipBodiesAreDecodedAndUnknownEncodingsRefused()
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(Encoding.UTF8.GetBytes(F.Patient(NhsNumbers.Next())));
        }

        var zipped = new ByteArrayContent(buffer.ToArray());
        zipped.Headers.ContentType = new MediaTypeHeaderValue("application/fhir+json");
        zipped.Headers.ContentEncoding.Add("gzip");
        using var created = await Client.PostAsync("/fhir/Patient", zipped);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        var odd = F.Json(F.Patient(NhsNumbers.Next()));
        odd.Headers.ContentEncoding.Add("compress");
        using var refused = await Client.PostAsync("/fhir/Patient", odd);
        await refused.AssertOutcomeAsync(HttpStatusCode.UnsupportedMediaType);
        Assert.Equal(1, await CountAsync("Patient"));
    }

    [Fact]
    public async Task FrameworkErrorsAnswerInTheFormatAskedFor()
    {
        using var response = await Client.GetAsync("/fhir/Banana?_format=xml");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/fhir+xml", response.Content.Headers.ContentType!.MediaType);
        Assert.Contains("<OperationOutcome", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task PostSearchHonoursFormatInTheFormAndRefusesOtherCharsets()
    {
        await Client.CreateAsync(F.Patient(NhsNumbers.Next()));
        using var xml = await Client.PostAsync("/fhir/Patient/_search", new FormUrlEncodedContent([new("_format", "xml")]));
        Assert.Equal("application/fhir+xml", xml.Content.Headers.ContentType!.MediaType);

        var latin = new StringContent("family=x", Encoding.Latin1);
        latin.Headers.ContentType = MediaTypeHeaderValue.Parse("application/x-www-form-urlencoded; charset=ISO-8859-1");
        using var refused = await Client.PostAsync("/fhir/Patient/_search", latin);
        await refused.AssertOutcomeAsync(HttpStatusCode.UnsupportedMediaType);
    }

    [Fact]
    public async Task AnEmptyResourceIsValidFhir()
    {
        using var response = await Client.PostAsync("/fhir/Patient", F.Json("""{"resourceType":"Patient"}"""));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Theory]
    [InlineData("ele-1", """{"resourceType":"Patient","_active":{"id":"x"}}""")]
    [InlineData("ext-1", """{"resourceType":"Patient","extension":[{"url":"http://x"}]}""")]
    [InlineData("ext-1", """{"resourceType":"Patient","extension":[{"url":"http://x","valueBoolean":true,"extension":[{"url":"y","valueBoolean":true}]}]}""")]
    [InlineData("dom-3", """{"resourceType":"Observation","status":"final","code":{"text":"x"},"contained":[{"resourceType":"Patient","id":"p"}]}""")]
    [InlineData("dom-4", """{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"#p"},"contained":[{"resourceType":"Patient","id":"p","meta":{"versionId":"3"}}]}""")]
    [InlineData("the id 'p'", """{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"#p"},"contained":[{"resourceType":"Patient","id":"p"},{"resourceType":"Patient","id":"p"}]}""")]
    [InlineData("per-1", """{"resourceType":"Observation","status":"final","code":{"text":"x"},"effectivePeriod":{"start":"2021","end":"2020"}}""")]
    public async Task FhirInvariantsAreEnforced(string rule, string body)
    {
        var type = JsonNode.Parse(body)!.Text("resourceType");
        using var response = await Client.PostAsync($"/fhir/{type}", F.Json(body));
        var text = await response.AssertOutcomeAsync(HttpStatusCode.BadRequest);
        Assert.Contains(rule, text);
    }

    [Fact]
    public async Task AContainedResourceThatIsReferredToIsAccepted()
    {
        await Client.CreateAsync("""{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"#p"},"contained":[{"resourceType":"Patient","id":"p"}]}""");
    }

    [Fact]
    public async Task RepeatedOrEmptyPagingParametersAreHandledPlainly()
    {
        using var repeated = await Client.GetAsync("/fhir/Patient?_count=1&_count=2");
        await repeated.AssertOutcomeAsync(HttpStatusCode.BadRequest);
        using var empty = await Client.GetAsync("/fhir/Patient?_count=&_sort=&_total=");
        Assert.Equal(HttpStatusCode.OK, empty.StatusCode);
    }

    [Fact]
    public async Task VersionIdsAreComparedAsWritten()
    {
        var created = await Client.CreateAsync(F.Patient(NhsNumbers.Next()));
        using var response = await Client.GetAsync($"/fhir/Patient/{created.Text("id")}/_history/01");
        await response.AssertOutcomeAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task AVersionedCanonicalOfALocalQuestionnaireIsSearchable()
    {
        var questionnaire = (await Client.CreateAsync("""{"resourceType":"Questionnaire","status":"active","url":"https://wmtty.example/q/versioned","version":"2"}""")).Text("id");
        var patient = (await Client.CreateAsync(F.Patient(NhsNumbers.Next()))).Text("id");
        var response = (await Client.CreateAsync($$$"""{"resourceType":"QuestionnaireResponse","status":"completed","questionnaire":"https://wmtty.example/q/versioned|2","subject":{"reference":"Patient/{{{patient}}}"}}""")).Text("id");
        foreach (var criteria in new[] { "https://wmtty.example/q/versioned|2", $"Questionnaire/{questionnaire}" })
        {
            using var search = await Client.GetAsync($"/fhir/QuestionnaireResponse?questionnaire={criteria}");
            Assert.Equal(response, Assert.Single((await search.BodyAsync()).Resources()).Text("id"));
        }
    }
}

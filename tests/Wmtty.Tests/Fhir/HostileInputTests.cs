using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Wmtty.Tests.Infrastructure;
using F = Wmtty.Tests.Infrastructure.Fhir;

namespace Wmtty.Tests.Fhir;

/// <summary>Inputs a careless or hostile client sends: refused with a 4xx, or stored and served in every format.</summary>
public sealed class HostileInputTests : AppTest
{
    private static JsonObject NestedQuestionnaire(int levels)
    {
        var root = new JsonObject { ["resourceType"] = "Questionnaire", ["status"] = "draft", ["url"] = "https://wmtty.example/deep" };
        var parent = root;
        for (var i = 0; i < levels; i++)
        {
            var item = new JsonObject { ["linkId"] = $"l{i}", ["type"] = i == levels - 1 ? "string" : "group", ["text"] = $"Level {i}" };
            parent["item"] = new JsonArray(item);
            parent = item;
        }

        return root;
    }

    [Fact]
    public async Task ADeeplyNestedQuestionnaireIsServedInEveryFormat()
    {
        var created = await Client.CreateAsync(NestedQuestionnaire(30).ToJsonString());
        var id = created.Text("id");
        foreach (var url in new[] { $"/fhir/Questionnaire/{id}?_pretty=true", $"/fhir/Questionnaire/{id}?_format=xml", $"/fhir/Questionnaire?_id={id}&_pretty=true", $"/fhir/Questionnaire?_id={id}&_format=xml", $"/fhir/Questionnaire/{id}/_history?_format=xml" })
        {
            using var response = await Client.GetAsync(url);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{url}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }

    [Theory]
    [InlineData("a\\u0000b")]
    [InlineData("a\\u0007b")]
    [InlineData("a\\u001Fb")]
    [InlineData("a\\uFFFEb")]
    [InlineData("a\\uFFFFb")]
    [InlineData("a\\uD800b")]
    [InlineData("a\uFFFEb")]
    public async Task CharactersFhirForbidsInStringsAre400(string family)
    {
        using var response = await Client.PostAsync("/fhir/Patient", F.Json($$"""{"resourceType":"Patient","name":[{"family":"{{family}}"}]}"""));
        await response.AssertOutcomeAsync(HttpStatusCode.BadRequest);
        Assert.Equal(0, await CountAsync("Patient"));
    }

    [Theory]
    [InlineData("Ahmed\\tKhan")]
    [InlineData("محمد")]
    [InlineData("😀")]
    [InlineData("\\u202Eevil\\u202C")]
    public async Task TabsRightToLeftTextAndEmojiAreKeptAndServedAsXml(string family)
    {
        var created = await Client.CreateAsync($$"""{"resourceType":"Patient","name":[{"family":"{{family}}"}]}""");
        using var xml = await Client.GetAsync($"/fhir/Patient/{created.Text("id")}?_format=xml");
        Assert.Equal(HttpStatusCode.OK, xml.StatusCode);
    }

    [Fact]
    public async Task SearchingWithCodePointsNormalizationRefusesIsNotAnError()
    {
        using var response = await Client.GetAsync("/fhir/Patient?family=x%EF%BF%BEy");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var surrogate = await Client.GetAsync("/fhir/Patient?family=x%ED%A0%80y");
        Assert.Equal(HttpStatusCode.OK, surrogate.StatusCode);
    }

    [Theory]
    [InlineData("""{"resourceType":"Patient","gender":"male"} trailing""")]
    [InlineData("""{"resourceType":"Patient","gender":"male"}{"resourceType":"Patient"}""")]
    [InlineData("""{"resourceType":"Patient","gender":"male"},""")]
    public async Task AnythingAfterTheResourceIs400(string body)
    {
        using var response = await Client.PostAsync("/fhir/Patient", F.Json(body));
        await response.AssertOutcomeAsync(HttpStatusCode.BadRequest);
        Assert.Equal(0, await CountAsync("Patient"));
    }

    [Theory]
    [InlineData("<div xmlns=\\\"http://www.w3.org/1999/xhtml\\\"><p>unclosed</div>")]
    [InlineData("not xhtml at all")]
    [InlineData("<div xmlns=\\\"http://www.w3.org/1999/xhtml\\\"><script>alert(1)</script></div>")]
    [InlineData("<div xmlns=\\\"http://www.w3.org/1999/xhtml\\\"><img src=\\\"x\\\" onerror=\\\"alert(1)\\\"/></div>")]
    public async Task NarrativeThatIsNotSafeXhtmlIs400(string div)
    {
        using var response = await Client.PostAsync("/fhir/Patient", F.Json($$$"""{"resourceType":"Patient","text":{"status":"generated","div":"{{{div}}}"}}"""));
        await response.AssertOutcomeAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task SafeNarrativeIsKept()
    {
        var created = await Client.CreateAsync("""{"resourceType":"Patient","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>Prefers <b>Urdu</b></p></div>"}}""");
        Assert.Contains("Urdu", created["text"]!.Text("div"));
    }

    [Fact]
    public async Task AByteOrderMarkAndAQuotedCharsetAreAccepted()
    {
        var body = Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes(F.Patient(NhsNumbers.Next()))).ToArray();
        var content = new ByteArrayContent(body);
        content.Headers.TryAddWithoutValidation("Content-Type", "application/fhir+json; charset=\"utf-8\"");
        using var response = await Client.PostAsync("/fhir/Patient", content);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task AnotherFhirVersionIsRefused()
    {
        var content = new StringContent(F.Patient(NhsNumbers.Next()), Encoding.UTF8);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/fhir+json; fhirVersion=3.0");
        using var body = await Client.PostAsync("/fhir/Patient", content);
        await body.AssertOutcomeAsync(HttpStatusCode.UnsupportedMediaType);

        using var request = new HttpRequestMessage(HttpMethod.Get, "/fhir/Patient");
        request.Headers.TryAddWithoutValidation("Accept", "application/fhir+json; fhirVersion=5.0");
        using var accept = await Client.SendAsync(request);
        await accept.AssertOutcomeAsync(HttpStatusCode.NotAcceptable);
    }

    [Theory]
    [InlineData("/fhir/patient")]
    [InlineData("/fhir/PATIENT/x")]
    [InlineData("/fhir/METADATA")]
    [InlineData("/FHIR/Patient")]
    public async Task ResourceTypeNamesAreCaseSensitive(string url)
    {
        using var response = await Client.GetAsync(url);
        await response.AssertOutcomeAsync(HttpStatusCode.NotFound);
        using var put = await Client.PutAsync(url.TrimEnd('/') + (url.EndsWith("/x") ? "" : "/lc-1"), F.Json("""{"resourceType":"Patient","id":"lc-1"}"""));
        Assert.Equal(HttpStatusCode.NotFound, put.StatusCode);
    }

    [Theory]
    [InlineData("/fhir/Patient/_history")]
    [InlineData("/fhir/Patient/$everything")]
    public async Task InteractionsThisServiceDoesNotOfferAre404(string url)
    {
        using var response = await Client.GetAsync(url);
        await response.AssertOutcomeAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task AnUnsupportedContentTypeSaysWhatToSend()
    {
        var content = new StringContent("hello", Encoding.UTF8, "text/plain");
        using var response = await Client.PostAsync("/fhir/Patient", content);
        var text = await response.AssertOutcomeAsync(HttpStatusCode.UnsupportedMediaType);
        Assert.Contains("application/fhir+json", text);
        using var search = await Client.PostAsync("/fhir/Patient/_search", F.Json("{}"));
        Assert.Contains("x-www-form-urlencoded", await search.AssertOutcomeAsync(HttpStatusCode.UnsupportedMediaType));
    }

    [Fact]
    public async Task AModifierExtensionTheServiceDoesNotUnderstandIs422()
    {
        using var response = await Client.PostAsync("/fhir/Patient", F.Json("""
            {"resourceType":"Patient","modifierExtension":[{"url":"https://example.org/not-really-a-patient","valueBoolean":true}]}
            """));
        var text = await response.AssertOutcomeAsync(HttpStatusCode.UnprocessableEntity);
        Assert.Contains("not-really-a-patient", text);

        using var nested = await Client.PostAsync("/fhir/Patient", F.Json("""
            {"resourceType":"Patient","contact":[{"modifierExtension":[{"url":"https://example.org/m","valueBoolean":true}],"name":{"family":"X"}}]}
            """));
        await nested.AssertOutcomeAsync(HttpStatusCode.UnprocessableEntity);

        using var rules = await Client.PostAsync("/fhir/Patient", F.Json("""{"resourceType":"Patient","implicitRules":"https://example.org/rules"}"""));
        await rules.AssertOutcomeAsync(HttpStatusCode.UnprocessableEntity);
        Assert.Equal(0, await CountAsync("Patient"));
    }

    [Fact]
    public async Task AContainedPatientWithAnInvalidNhsNumberIs422()
    {
        var observation = JsonNode.Parse(F.Observation("x"))!;
        observation["contained"] = new JsonArray(JsonNode.Parse("""{"resourceType":"Patient","id":"p","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"1111111112"}]}"""));
        observation["subject"] = new JsonObject { ["reference"] = "#p" };
        using var response = await Client.PostAsync("/fhir/Observation", F.Json(observation));
        var text = await response.AssertOutcomeAsync(HttpStatusCode.UnprocessableEntity);
        Assert.Contains("1111111112", text);
    }
}

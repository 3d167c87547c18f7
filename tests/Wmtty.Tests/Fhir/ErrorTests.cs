using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Wmtty.Tests.Infrastructure;
using F = Wmtty.Tests.Infrastructure.Fhir;

namespace Wmtty.Tests.Fhir;

/// <summary>Every refusal is an OperationOutcome with the right status, and stores nothing.</summary>
public sealed class ErrorTests : AppTest
{
    public static TheoryData<string, string> Unparseable => new()
    {
        { "malformed JSON", """{"resourceType":"Patient",,}""" },
        { "truncated body", """{"resourceType":"Patient","name":[{"family":"Kh""" },
        { "not an object", """[{"resourceType":"Patient"}]""" },
        { "a bare string", "\"Patient\"" },
        { "no resourceType", """{"name":[{"family":"Khan"}]}""" },
        { "unknown resourceType", """{"resourceType":"Banana"}""" },
        { "unknown element", """{"resourceType":"Patient","favouriteColour":"blue"}""" },
        { "wrong primitive type", """{"resourceType":"Patient","active":"yes"}""" },
        { "invalid date", """{"resourceType":"Patient","birthDate":"1980-02-30x"}""" },
        { "invalid code", """{"resourceType":"Patient","gender":"unknown-ish"}""" },
        { "empty string", """{"resourceType":"Patient","name":[{"family":""}]}""" },
        { "empty array", """{"resourceType":"Patient","name":[]}""" },
        { "comment in JSON", """{"resourceType":"Patient" /* hi */}""" },
        { "nested 10,000 deep", "{\"resourceType\":\"Patient\",\"extension\":" + string.Concat(Enumerable.Repeat("[", 10_000)) + string.Concat(Enumerable.Repeat("]", 10_000)) + "}" },
    };

    [Theory]
    [MemberData(nameof(Unparseable))]
    public async Task UnparseableBodiesAre400AndStoreNothing(string what, string body)
    {
        using var response = await Client.PostAsync("/fhir/Patient", F.Json(body));
        var text = await response.AssertOutcomeAsync(HttpStatusCode.BadRequest);
        Assert.False(string.IsNullOrWhiteSpace(text), what);
        Assert.Equal(0, await CountAsync("Patient"));
    }

    [Fact]
    public async Task ABodyOfTheWrongResourceTypeIs400()
    {
        using var response = await Client.PostAsync("/fhir/Patient", F.Json("""{"resourceType":"Observation","status":"final","code":{"text":"x"}}"""));
        var text = await response.AssertOutcomeAsync(HttpStatusCode.BadRequest);
        Assert.Contains("Observation", text);
    }

    [Fact]
    public async Task AnEmptyBodyIs400()
    {
        using var response = await Client.PostAsync("/fhir/Patient", F.Json(""));
        await response.AssertOutcomeAsync(HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("9434765918", "check digit should be 9, not 8")]
    [InlineData("943476591", "exactly 10 digits")]
    [InlineData("943 476 5919", "exactly 10 digits")]
    [InlineData("1000000010", "Modulus 11 check gives 10")]
    public async Task AnInvalidNhsNumberIs422WithTheReason(string nhs, string reason)
    {
        using var response = await Client.PostAsync("/fhir/Patient", F.Json(F.Patient(nhs)));
        var text = await response.AssertOutcomeAsync(HttpStatusCode.UnprocessableEntity);
        Assert.Contains(reason, text);
        Assert.Equal(0, await CountAsync("Patient"));
    }

    [Fact]
    public async Task AnInvalidNhsNumberInAReferenceIs422()
    {
        var observation = System.Text.Json.Nodes.JsonNode.Parse(F.Observation("x"))!;
        observation["subject"] = new System.Text.Json.Nodes.JsonObject
        {
            ["identifier"] = new System.Text.Json.Nodes.JsonObject { ["system"] = "https://fhir.nhs.uk/Id/nhs-number", ["value"] = "1234567890" },
        };
        using var response = await Client.PostAsync("/fhir/Observation", F.Json(observation));
        await response.AssertOutcomeAsync(HttpStatusCode.UnprocessableEntity);
    }

    [Fact]
    public async Task AnUnsupportedResourceTypeIs404()
    {
        using var response = await Client.GetAsync("/fhir/Encounter/1");
        var text = await response.AssertOutcomeAsync(HttpStatusCode.NotFound);
        Assert.Contains("Encounter", text);
    }

    [Theory]
    [InlineData("PATCH", "/fhir/Patient/1")]
    [InlineData("DELETE", "/fhir/Patient")]
    [InlineData("POST", "/fhir/Patient/1")]
    [InlineData("PUT", "/fhir/metadata")]
    public async Task AnUnsupportedMethodIs405(string method, string url)
    {
        using var response = await Client.SendAsync(new HttpRequestMessage(new HttpMethod(method), url) { Content = F.Json("{}") });
        await response.AssertOutcomeAsync(HttpStatusCode.MethodNotAllowed);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("application/fhir+json; charset=iso-8859-1")]
    [InlineData("application/pdf")]
    public async Task AnUnsupportedContentTypeIs415(string contentType)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(F.Patient(NhsNumbers.Next())));
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        using var response = await Client.PostAsync("/fhir/Patient", content);
        await response.AssertOutcomeAsync(HttpStatusCode.UnsupportedMediaType);
        Assert.Equal(0, await CountAsync("Patient"));
    }

    [Fact]
    public async Task AMissingContentTypeIs415()
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(F.Patient(NhsNumbers.Next())));
        using var response = await Client.PostAsync("/fhir/Patient", content);
        await response.AssertOutcomeAsync(HttpStatusCode.UnsupportedMediaType);
    }

    [Theory]
    [InlineData("text/csv")]
    [InlineData("application/pdf, image/png")]
    public async Task AnAcceptTheServiceCannotMeetIs406(string accept)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/fhir/Patient");
        request.Headers.TryAddWithoutValidation("Accept", accept);
        using var response = await Client.SendAsync(request);
        await response.AssertOutcomeAsync(HttpStatusCode.NotAcceptable);
    }

    [Fact]
    public async Task AnUnsupportedFormatParameterIs406AndNothingIsCreated()
    {
        using var response = await Client.PostAsync("/fhir/Patient?_format=turtle", F.Json(F.Patient(NhsNumbers.Next())));
        await response.AssertOutcomeAsync(HttpStatusCode.NotAcceptable);
        Assert.Equal(0, await CountAsync("Patient"));
    }

    [Fact]
    public async Task ABodyOverOneMegabyteIs413()
    {
        var big = F.Patient(NhsNumbers.Next()).Replace("\"Amina\"", "\"" + new string('a', 1024 * 1024) + "\"");
        using var response = await Client.PostAsync("/fhir/Patient", F.Json(big));
        await response.AssertOutcomeAsync(HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal(0, await CountAsync("Patient"));
    }

    [Fact]
    public async Task AChunkedBodyOverOneMegabyteIs413()
    {
        var big = F.Patient(NhsNumbers.Next()).Replace("\"Amina\"", "\"" + new string('a', 1100 * 1024) + "\"");
        var content = new StreamContent(new NonSeekableStream(Encoding.UTF8.GetBytes(big)));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/fhir+json");
        using var response = await Client.PostAsync("/fhir/Patient", content);
        await response.AssertOutcomeAsync(HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task AnInvalidIdInTheUrlIs400()
    {
        using var response = await Client.GetAsync("/fhir/Patient/" + Uri.EscapeDataString("1' OR '1'='1"));
        await response.AssertOutcomeAsync(HttpStatusCode.BadRequest);
        using var tooLong = await Client.GetAsync("/fhir/Patient/" + new string('a', 65));
        await tooLong.AssertOutcomeAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task WithoutATokenEveryFhirEndpointIs401ButMetadataIsOpen()
    {
        using var anonymous = App.CreateClient();
        using var read = await anonymous.GetAsync("/fhir/Patient/1");
        await read.AssertOutcomeAsync(HttpStatusCode.Unauthorized);
        Assert.Contains("Bearer", read.Headers.WwwAuthenticate.ToString());

        using var create = await anonymous.PostAsync("/fhir/Patient", F.Json(F.Patient(NhsNumbers.Next())));
        await create.AssertOutcomeAsync(HttpStatusCode.Unauthorized);

        using var metadata = await anonymous.GetAsync("/fhir/metadata");
        Assert.Equal(HttpStatusCode.OK, metadata.StatusCode);
    }

    [Fact]
    public async Task AForgedOrExpiredTokenIs401()
    {
        var token = await App.TokenAsync();
        var parts = token.Split('.');
        var forged = parts[0] + "." + parts[1] + "." + new string(parts[2].Reverse().ToArray());
        using var anonymous = App.CreateClient();
        anonymous.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", forged);
        using var response = await anonymous.GetAsync("/fhir/Patient");
        await response.AssertOutcomeAsync(HttpStatusCode.Unauthorized);

        anonymous.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "not-a-jwt");
        using var garbage = await anonymous.GetAsync("/fhir/Patient");
        await garbage.AssertOutcomeAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task DeeplyNestedXmlIs400NotACrash()
    {
        var xml = "<Patient xmlns=\"http://hl7.org/fhir\">" + string.Concat(Enumerable.Repeat("<extension url=\"x\">", 20_000))
            + string.Concat(Enumerable.Repeat("</extension>", 20_000)) + "</Patient>";
        using var response = await Client.PostAsync("/fhir/Patient", new StringContent(xml, Encoding.UTF8, "application/fhir+xml"));
        await response.AssertOutcomeAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task ASearchWithThousandsOfCriteriaIs400()
    {
        var ids = string.Join("&", Enumerable.Range(0, 5000).Select(i => $"_id=p{i}"));
        using var response = await Client.PostAsync("/fhir/Patient/_search", new StringContent(ids, Encoding.UTF8, "application/x-www-form-urlencoded"));
        await response.AssertOutcomeAsync(HttpStatusCode.BadRequest);
    }

    private sealed class NonSeekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();
    }
}

using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.Testing;
using Wmtty.Tests.Infrastructure;

namespace Wmtty.Tests.Portal;

/// <summary>The portal's forms under double clicks, resends and bodies no page of ours sends: one draft, one response, never a 500.</summary>
public sealed partial class PortalFormTests : AppTest
{
    private const string Canonical = "https://wmtty.example.org/fhir/Questionnaire/what-matters-to-you|1.0.0";

    [Fact]
    public async Task SendingTwiceStoresOneCompletedResponseAndKeepsWhoHelped()
    {
        var (browser, nhs) = await SignedInAsync();
        Assert.Equal(HttpStatusCode.SeeOther, (await PostAsync(browser, "/portal/start", ("helper", "connector"))).StatusCode);
        await PostAsync(browser, "/portal/section/1", ("questionnaire", Canonical), ("preferred-language", "1"), ("interpreter-needed", "false"), ("action", "continue"));
        Assert.Equal("/portal/done", (await PostAsync(browser, "/portal/review")).Headers.Location?.OriginalString);
        Assert.Equal("/portal", (await PostAsync(browser, "/portal/review")).Headers.Location?.OriginalString); // nothing in progress: nothing sent

        var responses = await ResponsesAsync(nhs);
        var completed = Assert.Single(responses, r => r["status"]!.GetValue<string>() == "completed");
        Assert.Equal("Community connector", completed["author"]?["display"]?.GetValue<string>());
    }

    [Fact]
    public async Task ADoubleClickOnTheFirstSaveLeavesOneDraft()
    {
        var (browser, nhs) = await SignedInAsync();
        var token = await TokenAsync(browser, "/portal");
        var form = () => new FormUrlEncodedContent(new Dictionary<string, string> { ["helper"] = "alone", ["__RequestVerificationToken"] = token });
        var both = await Task.WhenAll(browser.PostAsync("/portal/start", form()), browser.PostAsync("/portal/start", form()));
        Assert.All(both, r => Assert.Equal(HttpStatusCode.SeeOther, r.StatusCode));
        Assert.Single(await ResponsesAsync(nhs), r => r["status"]!.GetValue<string>() == "in-progress");
    }

    [Fact]
    public async Task StoppingWithARequiredAnswerMissingBringsThePatientBackToThatSection()
    {
        var (browser, _) = await SignedInAsync();
        await PostAsync(browser, "/portal/section/1", ("questionnaire", Canonical), ("preferred-language", "1"), ("interpreter-needed", "false"), ("action", "continue"));
        await PostAsync(browser, "/portal/section/2", ("questionnaire", Canonical), ("action", "continue"));
        await PostAsync(browser, "/portal/section/1", ("questionnaire", Canonical), ("preferred-language", "10"), ("action", "later")); // "another language", unnamed
        Assert.Equal("/portal/section/1", (await PostAsync(browser, "/portal/start", ("helper", "alone"))).Headers.Location?.OriginalString);
    }

    [Theory]
    [InlineData("application/json", "{\"helper\":\"alone\"}", HttpStatusCode.UnsupportedMediaType)]
    [InlineData("text/plain", "helper=alone", HttpStatusCode.UnsupportedMediaType)]
    [InlineData("multipart/form-data", "--x\r\n", HttpStatusCode.BadRequest)]
    [InlineData("multipart/form-data; boundary=x", "not multipart at all", HttpStatusCode.BadRequest)]
    [InlineData("application/x-www-form-urlencoded", "many", HttpStatusCode.BadRequest)]
    [InlineData("application/x-www-form-urlencoded", "huge", HttpStatusCode.RequestEntityTooLarge)]
    public async Task AFormNoPageOfOursWouldSendGetsAPageNeverA500AndChangesNothing(string contentType, string body, HttpStatusCode expected)
    {
        var (browser, nhs) = await SignedInAsync();
        var token = await TokenAsync(browser, "/portal");
        body = body switch
        {
            "many" => string.Join('&', Enumerable.Range(0, 1100).Select(i => $"f{i}=1")),
            "huge" => "what-matters-most=" + new string('a', 300 * 1024),
            _ => body,
        };
        foreach (var path in new[] { "/portal/start", "/portal/section/5", "/portal/sign-in" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body)) };
            request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
            request.Headers.Add("RequestVerificationToken", token);
            using var response = await browser.SendAsync(request);
            Assert.True(response.StatusCode == expected, $"{path} with {contentType}: expected {(int)expected}, got {(int)response.StatusCode}");
            Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        }

        Assert.Empty(await ResponsesAsync(nhs));
    }

    private async Task<(HttpClient Browser, string NhsNumber)> SignedInAsync()
    {
        var nhs = NhsNumbers.Next();
        var made = await Invitations.Invitations.CreateAsync(Client, nhs);
        var browser = App.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        (await browser.GetAsync(Invitations.Invitations.PathOf(made.Link))).Dispose();
        return (browser, nhs);
    }

    private static async Task<string> TokenAsync(HttpClient browser, string page)
    {
        using var response = await browser.GetAsync(page);
        var match = AntiforgeryField().Match(await response.Content.ReadAsStringAsync());
        Assert.True(match.Success, $"{page} has a form with an antiforgery token.");
        return match.Groups[1].Value;
    }

    private static async Task<HttpResponseMessage> PostAsync(HttpClient browser, string path, params (string Name, string Value)[] fields)
    {
        var token = await TokenAsync(browser, path.StartsWith("/portal/section", StringComparison.Ordinal) || path == "/portal/review" ? path : "/portal");
        var form = fields.Select(f => new KeyValuePair<string, string>(f.Name, f.Value)).Append(new("__RequestVerificationToken", token));
        return await browser.PostAsync(path, new FormUrlEncodedContent(form));
    }

    private async Task<List<JsonNode>> ResponsesAsync(string nhs)
    {
        using var response = await Client.GetAsync($"/fhir/QuestionnaireResponse?subject:identifier=https://fhir.nhs.uk/Id/nhs-number|{nhs}&_count=50");
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return [];
        }

        var bundle = await response.BodyAsync();
        return bundle["entry"]?.AsArray().Select(e => e!["resource"]!).ToList() ?? [];
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}

using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.Testing;
using Wmtty.Tests.Infrastructure;

namespace Wmtty.Tests.Clinician;

/// <summary>Reading the clinician pages as a browser would: HTML, never an OperationOutcome.</summary>
public static partial class Pages
{
    public static string SummaryPath(string nhs) => $"/clinician/patients/{nhs}";

    public static string HistoryPath(string nhs) => $"/clinician/patients/{nhs}/history";

    /// <summary>GETs a page and asserts its status and that it is an HTML page; returns the HTML.</summary>
    public static async Task<string> PageAsync(this HttpClient client, string path, HttpStatusCode status = HttpStatusCode.OK)
    {
        using var response = await client.GetAsync(path);
        return await HtmlAsync(response, status);
    }

    public static async Task<string> HtmlAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var html = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"Expected {(int)status}, got {(int)response.StatusCode}: {html}");
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.StartsWith("<!doctype html>\n<html lang=\"en\">", html);
        Assert.DoesNotContain("OperationOutcome", html);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.True(response.Headers.CacheControl?.NoStore, "A page about a patient must not be stored.");
        return html;
    }

    /// <summary>A client with no sign-in of its own that keeps cookies and does not follow redirects.</summary>
    public static HttpClient Browser(this WmttyApp app, string baseAddress = "http://localhost") =>
        app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true, BaseAddress = new Uri(baseAddress) });

    public static Task<HttpResponseMessage> PostFormAsync(this HttpClient client, string path, params (string Name, string Value)[] fields) =>
        client.PostAsync(path, new FormUrlEncodedContent(fields.Select(f => new KeyValuePair<string, string>(f.Name, f.Value))));

    /// <summary>The visible text of the page's main content, tags removed: to check what comes before what.</summary>
    public static string Text(string html) => Spaces().Replace(WebUtility.HtmlDecode(Tags().Replace(html[html.IndexOf("<main>", StringComparison.Ordinal)..], " ")), " ");

    /// <summary>A response's author: the patient themselves, or someone who helped, as the portal records it.</summary>
    public static JsonObject AuthoredBy(this JsonObject response, JsonObject author)
    {
        response["author"] = author;
        return response;
    }

    public static JsonObject PatientAuthor(string patientId) => new() { ["reference"] = $"Patient/{patientId}" };

    public static JsonObject ConnectorAuthor() => new() { ["type"] = "PractitionerRole", ["display"] = "Community connector" };

    [GeneratedRegex("<[^>]*>")]
    private static partial Regex Tags();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();
}

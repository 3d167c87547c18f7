using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Data.Sqlite;
using Wmtty.Tests.Infrastructure;

namespace Wmtty.Tests.Invitations;

/// <summary>Helpers for the invitation tests: making an invitation, opening its link as a browser would, and looking in the database.</summary>
internal static class Invitations
{
    public sealed record Made(string Id, string Link, string Token, JsonNode Body);

    public static async Task<Made> CreateAsync(HttpClient client, string nhsNumber, int? validForHours = null)
    {
        var body = validForHours is null ? new JsonObject { ["nhsNumber"] = nhsNumber } : new JsonObject { ["nhsNumber"] = nhsNumber, ["validForHours"] = validForHours };
        using var response = await client.PostAsJsonAsync("/invitations", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"Expected 201, got {(int)response.StatusCode}: {text}");
        var json = JsonNode.Parse(text)!;
        var link = json["link"]!.GetValue<string>();
        return new Made(json["id"]!.GetValue<string>(), link, link[(link.LastIndexOf('/') + 1)..], json);
    }

    /// <summary>A browser with no cookies that does not follow redirects, so each answer can be looked at.</summary>
    public static HttpClient Browser(WmttyApp app) =>
        app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });

    public static string PathOf(string link) => new Uri(link).AbsolutePath;

    /// <summary>The invitation cookie a response set, as a Cookie header value.</summary>
    public static string? SessionCookie(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Set-Cookie", out var cookies)
            ? cookies.Where(c => c.StartsWith("wmtty-invitation=", StringComparison.Ordinal)).Select(c => c.Split(';')[0]).FirstOrDefault()
            : null;

    public static string Sha256Hex(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(token)));

    public static long Count(WmttyApp app)
    {
        using var connection = new SqliteConnection($"Data Source={app.DatabasePath};Mode=ReadOnly;Pooling=False");
        return connection.ExecuteScalar<long>("SELECT COUNT(*) FROM invitation");
    }

    /// <summary>Asserts one of the patient pages: HTML, never cached, no script, no stack trace; returns its text.</summary>
    public static async Task<string> AssertPageAsync(HttpResponseMessage response, HttpStatusCode status, string heading)
    {
        var html = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"Expected {(int)status}, got {(int)response.StatusCode}: {html}");
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("no-store", response.Headers.CacheControl?.ToString() ?? "");
        Assert.StartsWith("<!doctype html>", html);
        Assert.Contains("<html lang=\"en\">", html);
        Assert.Contains("name=\"viewport\"", html);
        Assert.Contains("<title>", html);
        Assert.Equal(1, html.Split("<h1>").Length - 1);
        Assert.Contains($"<h1>{heading}</h1>", html.Replace("&#x27;", "'"));
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("http", html.Replace("http-equiv", ""), StringComparison.OrdinalIgnoreCase); // nothing loaded from elsewhere
        Assert.DoesNotContain("Exception", html);
        Assert.DoesNotContain("   at ", html);
        return html;
    }

    /// <summary>Asserts one of the questionnaire's pages: HTML in some language, never cached, only the service's own script and style; returns its text.</summary>
    public static async Task<string> AssertPortalPageAsync(HttpResponseMessage response, HttpStatusCode status, string heading)
    {
        var html = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"Expected {(int)status}, got {(int)response.StatusCode}: {html}");
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("no-store", response.Headers.CacheControl?.ToString() ?? "");
        Assert.StartsWith("<!doctype html>", html);
        Assert.Matches("<html lang=\"[a-z]{2,3}\" dir=\"(ltr|rtl)\">", html);
        Assert.Equal(1, html.Split("<h1>").Length - 1);
        Assert.Contains($"<h1>{heading}</h1>", html);
        Assert.Matches("<script src=\"/portal/assets/portal.js\\?v=[0-9a-f]+\" defer></script>", html);
        Assert.Single(html.Split("<script").Skip(1));
        Assert.DoesNotContain("http", html.Replace("http-equiv", ""), StringComparison.OrdinalIgnoreCase); // nothing loaded from elsewhere
        Assert.DoesNotContain("   at ", html);
        return html;
    }
}

using System.Net;
using Wmtty.Tests.Infrastructure;
using Xunit;

namespace Wmtty.Tests.Security;

/// <summary>Browsers from named EHR origins only; each client limited, with a 429 that says when to come back.</summary>
public sealed class ClientLimitsTests
{
    [Fact]
    public async Task OnlyNamedOriginsMayCallFromABrowser()
    {
        await using var app = new WmttyApp(new() { ["Cors:AllowedOrigins:0"] = "https://ehr.example.nhs.uk" });
        using var client = app.CreateClient();
        foreach (var (origin, allowed) in new[] { ("https://ehr.example.nhs.uk", true), ("https://evil.example.com", false) })
        {
            var preflight = new HttpRequestMessage(HttpMethod.Options, "/fhir/Observation/$lastn?patient=x");
            preflight.Headers.Add("Origin", origin);
            preflight.Headers.Add("Access-Control-Request-Method", "GET");
            preflight.Headers.Add("Access-Control-Request-Headers", "authorization");
            using var response = await client.SendAsync(preflight);
            Assert.Equal(allowed, response.Headers.TryGetValues("Access-Control-Allow-Origin", out var values) && values.Single() == origin);
        }

        using var metadata = await client.GetAsync("/fhir/metadata");
        Assert.True((await metadata.BodyAsync())["rest"]![0]!["security"]!["cors"]!.GetValue<bool>());
    }

    [Fact]
    public async Task AClientOverItsLimitGets429WithAnOutcomeAndRetryAfter()
    {
        await using var app = new WmttyApp(new() { ["RateLimiting:PermitsPerMinute"] = "5" });
        using var client = await app.ClientAsync();
        for (var i = 0; i < 5; i++)
        {
            using var ok = await client.GetAsync("/fhir/Patient");
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        using var limited = await client.GetAsync("/fhir/Patient");
        Assert.Contains("Too many requests", await limited.AssertOutcomeAsync(HttpStatusCode.TooManyRequests));
        Assert.True(limited.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        Assert.Equal("throttled", (await limited.BodyAsync())["issue"]![0]!["code"]!.GetValue<string>());
    }
}

using System.Net;
using Wmtty.Tests.Infrastructure;
using Xunit;

namespace Wmtty.Tests.Security;

/// <summary>Every response, page or API, success or error, carries the security headers and a request id.</summary>
public sealed class SecurityHeadersTests : AppTest
{
    [Theory]
    [InlineData("/fhir/metadata")]
    [InlineData("/fhir/Patient/nobody")]
    [InlineData("/swagger/index.html")]
    [InlineData("/health/live")]
    public async Task EveryResponseCarriesTheSecurityHeaders(string path)
    {
        using var response = await Client.GetAsync(path);
        var csp = Assert.Single(response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("script-src 'self'", csp);
        Assert.DoesNotContain("unsafe-inline' ;", csp);
        Assert.DoesNotContain("script-src 'self' 'unsafe-inline'", csp);
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        Assert.Equal("no-referrer", Assert.Single(response.Headers.GetValues("Referrer-Policy")));
        Assert.Equal("DENY", Assert.Single(response.Headers.GetValues("X-Frame-Options")));
        Assert.False(string.IsNullOrEmpty(Assert.Single(response.Headers.GetValues("X-Request-ID"))));
    }

    [Fact]
    public async Task APlainRequestIdIsEchoedAndAnythingElseReplaced()
    {
        using var plain = await Client.SendAsync(HttpMethod.Get, "/fhir/metadata", null, ("X-Request-ID", "ehr-4711.abc"));
        Assert.Equal("ehr-4711.abc", Assert.Single(plain.Headers.GetValues("X-Request-ID")));

        using var hostile = await Client.SendAsync(HttpMethod.Get, "/fhir/metadata", null, ("X-Request-ID", "<script>" + new string('x', 300)));
        var replaced = Assert.Single(hostile.Headers.GetValues("X-Request-ID"));
        Assert.DoesNotContain("<", replaced);
        Assert.True(replaced.Length <= 128);
    }

    [Fact]
    public async Task AnErrorStillCarriesTheHeaders()
    {
        using var response = await Client.PostAsync("/fhir/Patient", Infrastructure.Fhir.Json("{nope"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        Assert.True(response.Headers.Contains("Content-Security-Policy"));
    }
}

using System.Net;
using Wmtty.Tests.Infrastructure;

namespace Wmtty.Tests.Clinician;

/// <summary>
/// Only the clinician pages may be shown inside an EHR, and only by the origins configured in
/// <c>Clinician:FrameAncestors</c>; everything else, and everything without that setting, refuses framing.
/// </summary>
public sealed class FrameTests
{
    private const string Ehr = "https://ehr.example.nhs.uk";

    private static string Csp(HttpResponseMessage response) => Assert.Single(response.Headers.GetValues("Content-Security-Policy"));

    [Theory]
    [InlineData("/clinician")]
    [InlineData("/clinician/patients/1234567890")]
    [InlineData("/fhir/metadata")]
    public async Task WithoutFrameAncestorsNothingMayBeFramed(string path)
    {
        await using var app = new WmttyApp();
        using var client = await app.ClientAsync();
        using var response = await client.GetAsync(path);
        Assert.Contains("frame-ancestors 'none'", Csp(response));
        Assert.Equal("DENY", Assert.Single(response.Headers.GetValues("X-Frame-Options")));
    }

    [Fact]
    public async Task WithFrameAncestorsTheClinicianPagesAllowJustThoseOriginsAndTheSessionCookieWorksInTheirFrame()
    {
        await using var app = new WmttyApp(new()
        {
            ["Clinician:FrameAncestors:0"] = Ehr + "/",
            ["Clinician:FrameAncestors:1"] = "https://Other-EHR.example:8443",
        });
        using var client = await app.ClientAsync();
        var (patientId, nhs) = await Responses.CreatePatientAsync(client);
        await Responses.SubmitAsync(client, Responses.Build(patientId, Responses.TypicalAnswers()));

        foreach (var path in new[] { Pages.SummaryPath(nhs), "/clinician/patients/1234567890", "/clinician/nowhere" })
        {
            using var page = await client.GetAsync(path);
            Assert.Contains($"frame-ancestors 'self' {Ehr} https://other-ehr.example:8443;", Csp(page));
            Assert.False(page.Headers.Contains("X-Frame-Options"), path);
        }

        using var api = await client.GetAsync("/fhir/metadata");
        Assert.Contains("frame-ancestors 'none'", Csp(api));
        Assert.Equal("DENY", Assert.Single(api.Headers.GetValues("X-Frame-Options")));

        // Inside the EHR's frame every request is cross-site: the cookie must be SameSite=None, Secure, Partitioned.
        using var browser = app.Browser("https://localhost");
        using var started = await browser.PostFormAsync("/clinician/session", ("access_token", await app.TokenAsync("clinician")), ("return", Pages.SummaryPath(nhs)));
        Assert.Equal(HttpStatusCode.SeeOther, started.StatusCode);
        Assert.False(started.Headers.Contains("X-Frame-Options"));
        var cookie = Assert.Single(started.Headers.GetValues("Set-Cookie"), c => c.StartsWith("wmtty-staff=", StringComparison.Ordinal));
        Assert.Contains("samesite=none", cookie);
        Assert.Contains("secure", cookie);
        Assert.Contains("partitioned", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Interpreter needed: Polish", await browser.PageAsync(Pages.SummaryPath(nhs)));
    }

    [Theory]
    [InlineData("https://*.ehr.example.nhs.uk")]
    [InlineData("https://ehr.example.nhs.uk/launch")]
    [InlineData("ehr.example.nhs.uk")]
    [InlineData("javascript:alert(1)")]
    [InlineData("https://ehr.example.nhs.uk; script-src *")]
    [InlineData("https://ehr.example.nhs.uk?x=1")]
    [InlineData("https://user@ehr.example.nhs.uk")]
    [InlineData("*")]
    [InlineData(" ")]
    public void AFrameAncestorThatIsNotAPlainOriginStopsStartUp(string origin)
    {
        using var app = new WmttyApp(new() { ["Clinician:FrameAncestors:0"] = origin });
        var failure = Assert.ThrowsAny<Exception>(() => app.CreateClient());
        Assert.Contains("Clinician:FrameAncestors", failure.ToString());
    }
}

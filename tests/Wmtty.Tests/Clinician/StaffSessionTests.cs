using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Wmtty.Api.SignIn;
using Wmtty.Tests.Infrastructure;

namespace Wmtty.Tests.Clinician;

/// <summary>
/// The staff session: a browser cannot send a bearer header, so a token is posted once and kept as a
/// cookie for <c>/clinician</c>, standing for the same caller as the token.
/// </summary>
public sealed partial class StaffSessionTests : AppTest
{
    private string patientId = "", nhs = "";

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        (patientId, nhs) = await Responses.CreatePatientAsync(Client);
        await Responses.SubmitAsync(Client, Responses.Build(patientId, Responses.TypicalAnswers()));
    }

    private DevelopmentTokenIssuer Issuer => App.Services.GetRequiredService<DevelopmentTokenIssuer>();

    private static string? SessionCookie(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Set-Cookie", out var cookies) ? cookies.FirstOrDefault(c => c.StartsWith("wmtty-staff=", StringComparison.Ordinal)) : null;

    [Fact]
    public async Task AValidTokenStartsASessionAndThePageThenWorksWithTheCookieAlone()
    {
        using var browser = App.Browser();
        using var started = await browser.PostFormAsync("/clinician/session", ("access_token", await App.TokenAsync("clinician")), ("return", Pages.SummaryPath(nhs)));
        Assert.Equal(HttpStatusCode.SeeOther, started.StatusCode);
        Assert.Equal(Pages.SummaryPath(nhs), started.Headers.Location?.OriginalString);
        var cookie = SessionCookie(started) ?? throw new Xunit.Sdk.XunitException("No session cookie was set.");
        Assert.Contains("path=/clinician", cookie);
        Assert.Contains("httponly", cookie);
        Assert.Contains("samesite=lax", cookie);
        Assert.DoesNotContain("secure", cookie); // plain HTTP here; Secure comes with HTTPS
        Assert.DoesNotContain("expires=", cookie); // gone when the browser closes, and the ticket inside ends with the token

        Assert.Contains("Interpreter needed: Polish", await browser.PageAsync(Pages.SummaryPath(nhs)));
        await browser.PageAsync(Pages.HistoryPath(nhs));

        // The cookie is for the pages only: it does not open the FHIR API.
        using var fhir = new HttpRequestMessage(HttpMethod.Get, $"/fhir/Patient/{patientId}");
        fhir.Headers.Add("Cookie", cookie.Split(';')[0]);
        using var refused = await App.CreateClient().SendAsync(fhir);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    [Fact]
    public async Task TheSessionStandsForTheSameCallerAsTheToken()
    {
        using var chaplainBrowser = App.Browser();
        using var started = await chaplainBrowser.PostFormAsync("/clinician/session", ("access_token", await App.TokenAsync("chaplain")));
        Assert.Equal("/clinician", started.Headers.Location?.OriginalString);
        await chaplainBrowser.PageAsync(Pages.SummaryPath(nhs));
        using var chaplain = await App.ClientAsync("chaplain");
        await chaplain.PageAsync(Pages.SummaryPath(nhs));

        using var admin = await App.ClientAsync("admin");
        using var response = await admin.GetAsync($"/fhir/AuditEvent?patient=Patient/{patientId}&_count=100");
        var views = (await response.BodyAsync()).Resources().Where(e => e["subtype"]![0]!["display"]!.GetValue<string>() == "clinician-summary")
            .Select(e => e["agent"]!.ToJsonString()).ToList();
        Assert.Equal(2, views.Count);
        Assert.Equal(views[0], views[1]); // same subject, name, roles and client
        Assert.Contains("Wmtty.Chaplain", views[0]);
    }

    [Theory]
    [InlineData("forged")]
    [InlineData("expired")]
    [InlineData("garbage")]
    [InlineData("missing")]
    public async Task ATokenTheApiWouldRefuseStartsNoSession(string kind)
    {
        var token = kind switch
        {
            "forged" => ForgedSignature().Replace(Issuer.Mint(DevelopmentRole.Clinician, null), "$1AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
            "expired" => Issuer.Mint(DevelopmentRole.Clinician, null, d => { d.IssuedAt = DateTime.UtcNow.AddHours(-3); d.NotBefore = DateTime.UtcNow.AddHours(-3); d.Expires = DateTime.UtcNow.AddHours(-2); }),
            "garbage" => "not.a.token",
            _ => "",
        };
        using var browser = App.Browser();
        using var started = await browser.PostFormAsync("/clinician/session", ("access_token", token), ("return", Pages.SummaryPath(nhs)));
        await Pages.HtmlAsync(started, kind == "missing" ? HttpStatusCode.BadRequest : HttpStatusCode.Unauthorized);
        Assert.Null(SessionCookie(started));
        await browser.PageAsync(Pages.SummaryPath(nhs), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task APatientTokenDoesNotStartAStaffSession()
    {
        using var browser = App.Browser();
        using var started = await browser.PostFormAsync("/clinician/session", ("access_token", await App.TokenAsync("patient", nhs)));
        await Pages.HtmlAsync(started, HttpStatusCode.Forbidden);
        Assert.Null(SessionCookie(started));
    }

    [Theory]
    [InlineData("https://evil.example/clinician/patients/9434765919")]
    [InlineData("//evil.example/clinician")]
    [InlineData("/\\evil.example")]
    [InlineData("/clinician/../fhir/Patient")]
    [InlineData("/clinician/%2e%2e/fhir")]
    [InlineData("/fhir/metadata")]
    [InlineData("/clinicianx")]
    [InlineData("/clinician/\r\nSet-Cookie: x=1")]
    public async Task AReturnAnywhereButAClinicianPageIsRefusedAndStartsNoSession(string back)
    {
        using var browser = App.Browser();
        using var started = await browser.PostFormAsync("/clinician/session", ("access_token", await App.TokenAsync("clinician")), ("return", back));
        Assert.Contains("return", Pages.Text(await Pages.HtmlAsync(started, HttpStatusCode.BadRequest)));
        Assert.Null(started.Headers.Location);
        Assert.Null(SessionCookie(started));
    }

    [Fact]
    public async Task InDevelopmentTheSignInFormStartsTheSameSessionForAChosenRoleAndOnlyFromItsOwnPage()
    {
        using var browser = App.Browser();
        var form = await browser.PageAsync($"/clinician/sign-in?return={Uri.EscapeDataString(Pages.SummaryPath(nhs))}");
        Assert.Contains("<form method=\"post\" action=\"/clinician/sign-in\">", form);
        Assert.Contains($"<input type=\"hidden\" name=\"return\" value=\"{Pages.SummaryPath(nhs)}\">", form);

        // A post from another site, as a browser labels it, is refused.
        using var forged = new HttpRequestMessage(HttpMethod.Post, "/clinician/sign-in")
        {
            Content = new FormUrlEncodedContent([new("role", "admin"), new("return", Pages.SummaryPath(nhs))]),
        };
        forged.Headers.Add("Sec-Fetch-Site", "cross-site");
        using var refused = await browser.SendAsync(forged);
        await Pages.HtmlAsync(refused, HttpStatusCode.BadRequest);
        Assert.Null(SessionCookie(refused));

        using var ownPage = new HttpRequestMessage(HttpMethod.Post, "/clinician/sign-in")
        {
            Content = new FormUrlEncodedContent([new("role", "connector"), new("return", Pages.SummaryPath(nhs))]),
        };
        ownPage.Headers.Add("Sec-Fetch-Site", "same-origin");
        using var started = await browser.SendAsync(ownPage);
        Assert.Equal(HttpStatusCode.SeeOther, started.StatusCode);
        Assert.NotNull(SessionCookie(started));
        Assert.Contains("user/Patient.r", Pages.Text(await browser.PageAsync(Pages.SummaryPath(nhs), HttpStatusCode.Forbidden))); // a connector, as chosen
    }

    [Fact]
    public async Task OutsideDevelopmentThereIsNoSignInForm()
    {
        await using var production = new WmttyApp(new() { ["DevelopmentSignIn:Enabled"] = "false" });
        using var browser = production.Browser();
        await browser.PageAsync("/clinician/sign-in", HttpStatusCode.NotFound);
        var unauthorized = await browser.PageAsync(Pages.SummaryPath(nhs), HttpStatusCode.Unauthorized);
        Assert.DoesNotContain("sign-in", unauthorized);
    }

    // The signature is the JWT's third part: replacing it keeps header and payload intact.
    [GeneratedRegex(@"^([^.]+\.[^.]+\.).*$")]
    private static partial Regex ForgedSignature();
}

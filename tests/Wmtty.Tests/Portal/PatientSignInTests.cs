using System.Net;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Wmtty.Tests.Infrastructure;
using Wmtty.Tests.Invitations;

namespace Wmtty.Tests.Portal;

/// <summary>Coming into the portal by signing in rather than by a link: NHS login where configured, a stand-in in Development.</summary>
public sealed class PatientSignInTests
{
    private const string Authority = "https://auth.patient-sign-in.invalid";

    [Fact]
    public async Task WithAPatientIdentityProviderSignInGoesThereWithPkceForTheProfileScope()
    {
        await using var app = new WmttyApp(new()
        {
            ["PatientSignIn:Authority"] = Authority,
            ["PatientSignIn:Audience"] = "wmtty-portal",
            ["PatientSignIn:PortalClientSecret"] = "test-only-secret",
        });
        app.Replacements.Add(services => services.PostConfigure<OpenIdConnectOptions>("PatientPortal", options =>
        {
            // The provider's metadata, given here: tests never call out.
            var configuration = new OpenIdConnectConfiguration { Issuer = Authority, AuthorizationEndpoint = Authority + "/authorize", TokenEndpoint = Authority + "/token" };
            options.Configuration = configuration;
            options.ConfigurationManager = new StaticConfigurationManager<OpenIdConnectConfiguration>(configuration);
        }));
        using var browser = Invitations.Invitations.Browser(app);

        using var home = await browser.GetAsync("/portal");
        var html = await Invitations.Invitations.AssertPortalPageAsync(home, HttpStatusCode.Unauthorized, "Open the link you were sent");
        Assert.Contains("href=\"/portal/sign-in\">Sign in with NHS login</a>", html);

        using var signIn = await browser.GetAsync("/portal/sign-in");
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        var location = signIn.Headers.Location!;
        Assert.StartsWith(Authority + "/authorize?", location.AbsoluteUri);
        var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(location.Query);
        Assert.Equal("wmtty-portal", query["client_id"]);
        Assert.Equal("code", query["response_type"]);
        Assert.Equal("S256", query["code_challenge_method"]);
        Assert.Contains("profile", query["scope"].ToString().Split(' '));
        Assert.EndsWith("/portal/signed-in", query["redirect_uri"].ToString());
    }

    [Fact]
    public async Task InDevelopmentAStandInAsksForAValidNhsNumberAndStartsAPortalSession()
    {
        await using var app = new WmttyApp();
        using var browser = app.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        using var form = await browser.GetAsync("/portal/sign-in");
        var token = Antiforgery(await form.Content.ReadAsStringAsync());

        using var wrong = await browser.PostAsync("/portal/sign-in", new FormUrlEncodedContent(new Dictionary<string, string> { ["nhsNumber"] = "1234567890", ["__RequestVerificationToken"] = token }));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, wrong.StatusCode);
        Assert.Contains("Enter a valid 10-digit NHS number", await wrong.Content.ReadAsStringAsync());

        using var forged = await browser.PostAsync("/portal/sign-in", new FormUrlEncodedContent(new Dictionary<string, string> { ["nhsNumber"] = NhsNumbers.Next() }));
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode); // no antiforgery token: nothing happens

        using var right = await browser.PostAsync("/portal/sign-in", new FormUrlEncodedContent(new Dictionary<string, string> { ["nhsNumber"] = NhsNumbers.Next(), ["__RequestVerificationToken"] = token }));
        Assert.Equal(HttpStatusCode.SeeOther, right.StatusCode);
        using var start = await browser.GetAsync("/portal");
        await Invitations.Invitations.AssertPortalPageAsync(start, HttpStatusCode.OK, "What matters to you");
    }

    private static string Antiforgery(string html)
    {
        var match = System.Text.RegularExpressions.Regex.Match(html, "name=\"__RequestVerificationToken\" value=\"([^\"]+)\"");
        Assert.True(match.Success, "The form carries an antiforgery token.");
        return match.Groups[1].Value;
    }
}

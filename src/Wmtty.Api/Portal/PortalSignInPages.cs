using System.Text;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Wmtty.Api.SignIn;
using Wmtty.Fhir.Patients;
using static Wmtty.Api.Portal.PortalLayout;

namespace Wmtty.Api.Portal;

/// <summary>
/// Signing in to the portal without an invitation link. In Development a stand-in for NHS login asks
/// only for an NHS number; elsewhere there is no such page, and patients come in through their link.
/// </summary>
internal static class PortalSignInPages
{
    private const string NhsNumberField = "nhsNumber";

    public static void MapPortalSignIn(this RouteGroupBuilder portal)
    {
        portal.MapGet("/sign-in", (HttpContext http, CancellationToken _) => SignInPage(http));
        portal.MapGet("/sign-in/{outcome:regex(^(failed|not-verified)$)}", (string outcome, HttpContext http) => NotSignedIn(http, outcome));
        portal.MapPost("/sign-in", (HttpContext http, CancellationToken _) => SignInAsync(http));
    }

    /// <summary>Whether patients can sign in with the patient identity provider here (NHS login).</summary>
    public static async Task<bool> HasProviderAsync(HttpContext http) =>
        await http.RequestServices.GetRequiredService<IAuthenticationSchemeProvider>().GetSchemeAsync(PortalPatientSignIn.Scheme) is not null;

    // To the patient identity provider when there is one; Development's stand-in otherwise.
    private static async Task<IResult> SignInPage(HttpContext http)
    {
        if (await HasProviderAsync(http))
        {
            return Results.Challenge(new AuthenticationProperties { RedirectUri = http.Request.PathBase + PortalEndpoints.Path }, [PortalPatientSignIn.Scheme]);
        }

        return Form(http, null);
    }

    private static IResult NotSignedIn(HttpContext http, string outcome)
    {
        var layout = new PortalLayout("en", ["en"], http.Request.PathBase + PortalEndpoints.Path + "/sign-in");
        var why = outcome == "not-verified"
            ? "Your NHS login does not yet show who you are to the level needed for health records. You can prove who you are in the NHS App, or use the link you were sent."
            : "Something went wrong while signing you in. Please try again, or use the link you were sent.";
        var html = $"<h1>We could not sign you in</h1>\n<p>{Encode(why)}</p>\n<p><a href=\"{Attr(http.Request.PathBase + PortalEndpoints.Path + "/sign-in")}\">Try again</a></p>\n";
        return new HtmlPage(StatusCodes.Status401Unauthorized, layout.Render("We could not sign you in", html, signedIn: false));
    }

    private static IResult Form(HttpContext http, string? error)
    {
        if (http.RequestServices.GetService<DevelopmentTokenIssuer>() is null)
        {
            return PortalPages.NotFound;
        }

        var tokens = http.RequestServices.GetRequiredService<IAntiforgery>().GetAndStoreTokens(http);
        var html = new StringBuilder();
        html.Append("<h1>Sign in (Development)</h1>\n<p>This stands in for NHS login on a development machine. Enter the NHS number of a test patient.</p>\n");
        if (error is not null)
        {
            html.Append("<div class=\"error-summary\" role=\"alert\" aria-labelledby=\"error-summary-title\" tabindex=\"-1\"><h2 id=\"error-summary-title\">There is a problem</h2><ul><li><a href=\"#nhs-number\">")
                .Append(Encode(error)).Append("</a></li></ul></div>\n");
        }

        html.Append("<form method=\"post\" action=\"").Append(Attr(PortalEndpoints.Path + "/sign-in")).Append("\" novalidate>\n")
            .Append("<input type=\"hidden\" name=\"").Append(Attr(tokens.FormFieldName)).Append("\" value=\"").Append(Attr(tokens.RequestToken)).Append("\">\n")
            .Append("<div class=\"question").Append(error is null ? "" : " error").Append("\"><label for=\"nhs-number\">NHS number</label>\n")
            .Append(error is null ? "" : $"<p class=\"error-message\" id=\"nhs-number-error\"><span class=\"visually-hidden\">Error:</span> {Encode(error)}</p>\n")
            .Append("<input type=\"text\" inputmode=\"numeric\" autocomplete=\"off\" id=\"nhs-number\" name=\"").Append(NhsNumberField).Append('"')
            .Append(error is null ? "" : " aria-describedby=\"nhs-number-error\" aria-invalid=\"true\"").Append("></div>\n")
            .Append("<div class=\"actions\"><button type=\"submit\">Sign in</button></div>\n</form>\n");
        var layout = new PortalLayout("en", ["en"], http.Request.PathBase + PortalEndpoints.Path + "/sign-in");
        return new HtmlPage(error is null ? StatusCodes.Status200OK : StatusCodes.Status422UnprocessableEntity,
            layout.Render("Sign in (Development)", html.ToString(), hasErrors: error is not null, signedIn: false));
    }

    private static async Task<IResult> SignInAsync(HttpContext http)
    {
        if (http.RequestServices.GetService<DevelopmentTokenIssuer>() is null)
        {
            return PortalPages.NotFound;
        }

        if (await PortalForms.RefuseAsync(http) is { } refused)
        {
            return refused;
        }

        var form = await http.Request.ReadFormAsync(http.RequestAborted);
        var nhsNumber = new string([.. form[NhsNumberField].ToString().Where(c => !char.IsWhiteSpace(c))]);
        if (NhsNumber.Check(nhsNumber) is not null)
        {
            return Form(http, "Enter a valid 10-digit NHS number");
        }

        await http.SignInAsync(InvitationSignIn.Scheme, InvitationSignIn.SignedInPatient(nhsNumber, $"development-patient:{nhsNumber}"));
        return new SeeOther(PortalEndpoints.Path);
    }
}

using System.Text;
using Wmtty.Api.Errors;
using Wmtty.Api.SignIn;

namespace Wmtty.Api.Clinician;

/// <summary>
/// The pages for what went wrong on <c>/clinician</c>, with the same status as the FHIR API would give,
/// in words that say what to do. A refusal's own words are shown only where they are about the request
/// itself (a mistyped NHS number, a missing permission); a 404 never says whether a record exists.
/// </summary>
internal static class ClinicianPages
{
    public static ClinicianPage Problem(HttpContext http, int status, FhirException? refusal = null)
    {
        var detail = refusal?.Outcome.Issue.FirstOrDefault()?.Diagnostics;
        return status switch
        {
            StatusCodes.Status400BadRequest => Page(http, status, "This request could not be used", detail ?? "Check the address and try again."),
            StatusCodes.Status401Unauthorized => SignIn(http, detail),
            StatusCodes.Status403Forbidden => Page(http, status, "Your sign-in does not allow this", detail ?? "Ask for a Wmtty role that allows it."),
            StatusCodes.Status404NotFound when refusal is not null => Page(http, status, "No patient found",
                "There is no record you can see for this NHS number. Check the number, or whether the patient has told us what matters to them yet."),
            StatusCodes.Status404NotFound => Page(http, status, "Page not found", "There is nothing at this address."),
            StatusCodes.Status410Gone => Page(http, status, "This record was removed", "The patient's record has been deleted from this service."),
            StatusCodes.Status429TooManyRequests or StatusCodes.Status503ServiceUnavailable => Page(http, status, "The service is busy", "Try again in a moment."),
            < 500 => Page(http, status, "This request could not be used", "Go back and try again."),
            _ => Page(http, status, "Something went wrong",
                $"This is a problem in the service, not in what you did. Try again in a few minutes. If it keeps happening, quote reference {http.TraceIdentifier}."),
        };
    }

    /// <summary>A page with a heading and a paragraph, every text encoded.</summary>
    public static ClinicianPage Page(HttpContext http, int status, string heading, params string[] paragraphs)
    {
        var main = new StringBuilder().Append("<h1>").Text(heading).Append("</h1>\n");
        foreach (var paragraph in paragraphs)
        {
            main.Append("<p>").Text(paragraph).Append("</p>\n");
        }

        return new ClinicianPage(status, ClinicianLayout.Render(http, heading, main.ToString()));
    }

    // How to get in: from the EHR, by bearer token, or in Development, by the local sign-in form.
    private static ClinicianPage SignIn(HttpContext http, string? detail)
    {
        var main = new StringBuilder().Append("<h1>Sign in to see this page</h1>\n");
        if (detail is not null && !detail.StartsWith("Sign in:", StringComparison.Ordinal))
        {
            main.Append("<p>").Text(detail).Append("</p>\n");
        }

        main.Append("<p>Open this page from your electronic patient record, which signs you in. Your session lasts up to an hour.</p>\n");
        if (http.RequestServices.GetService<DevelopmentTokenIssuer>() is not null)
        {
            var back = http.Request.Method == HttpMethods.Get && ClinicianSignIn.IsReturnPath(http.Request.Path + http.Request.QueryString) ? http.Request.Path + http.Request.QueryString : ClinicianSession.Path;
            main.Append("<p>In Development: <a href=\"").Text(ClinicianLayout.Href(http, $"{ClinicianSignIn.DevelopmentPath}?return={Uri.EscapeDataString(back)}")).Append("\">sign in with a Development role</a>.</p>\n");
        }

        return new ClinicianPage(StatusCodes.Status401Unauthorized, ClinicianLayout.Render(http, "Sign in", main.ToString()));
    }
}

using System.Text;
using Wmtty.Api.Errors;
using Wmtty.Api.SignIn;

namespace Wmtty.Api.Clinician;

/// <summary>
/// Starting the staff session. <c>POST /clinician/session</c> takes <c>access_token</c> and an optional
/// <c>return</c> from an EHR's form post, so it carries no antiforgery token: the EHR cannot have one of
/// ours, and the token itself is the proof. A forged post could at most sign a browser in as whoever
/// holds the posted token, to pages that only read. In Development, <c>/clinician/sign-in</c> mints a
/// token for a chosen role and starts the same session; only its own page may post that form.
/// </summary>
internal static class ClinicianSignIn
{
    public const string SessionPath = ClinicianSession.Path + "/session";
    public const string DevelopmentPath = ClinicianSession.Path + "/sign-in";

    private static readonly DevelopmentRole[] StaffRoles = [DevelopmentRole.Clinician, DevelopmentRole.Chaplain, DevelopmentRole.Connector, DevelopmentRole.PublicHealth, DevelopmentRole.Admin];

    public static void MapClinicianSignIn(this RouteGroupBuilder clinician, bool development)
    {
        clinician.MapPost("/session", StartSession);
        if (development)
        {
            clinician.MapGet("/sign-in", DevelopmentForm);
            clinician.MapPost("/sign-in", DevelopmentSignIn);
        }
    }

    /// <summary>A page of this service under <c>/clinician</c>, as a path: never another site, nor a way out of <c>/clinician</c>.</summary>
    public static bool IsReturnPath(string? path) =>
        path is { Length: > 0 and <= 2048 }
        && (path == ClinicianSession.Path || path.StartsWith(ClinicianSession.Path + "/", StringComparison.Ordinal) || path.StartsWith(ClinicianSession.Path + "?", StringComparison.Ordinal))
        && !path.Contains("//", StringComparison.Ordinal) && !path.Contains('\\') && !path.Contains("/.", StringComparison.Ordinal)
        && !path.Contains("%2e", StringComparison.OrdinalIgnoreCase) && path.All(c => c is > ' ' and < '\u007f'); // it goes into a Location header: plain ASCII only

    private static async Task<IResult> StartSession(HttpContext http, CancellationToken cancellationToken)
    {
        var form = await FormAsync(http, cancellationToken);
        var back = Return(form["return"]); // checked first: a refused return starts no session
        await ClinicianSession.StartAsync(http, form["access_token"]);
        return SeeOther(http, back);
    }

    private static ClinicianPage DevelopmentForm(HttpContext http)
    {
        var back = Return(http.Request.Query["return"]);
        var main = new StringBuilder()
            .Append("<h1>Sign in for Development</h1>\n")
            .Append("<p>Development only. Choose a role: the service mints a token for it and starts the same session an EHR's hand-over would.</p>\n")
            .Append("<form method=\"post\" action=\"").Text(ClinicianLayout.Href(http, DevelopmentPath)).Append("\">\n")
            .Append("<input type=\"hidden\" name=\"return\" value=\"").Text(back).Append("\">\n")
            .Append("<fieldset>\n<legend>Sign in as</legend>\n");
        foreach (var role in StaffRoles)
        {
            var name = role.ToString().ToLowerInvariant();
            main.Append("<div class=\"choice\"><input type=\"radio\" name=\"role\" id=\"role-").Append(name).Append("\" value=\"").Append(name).Append('"')
                .Append(role == DevelopmentRole.Clinician ? " checked" : "").Append("> <label for=\"role-").Append(name).Append("\">").Text(role.ToString()).Append("</label></div>\n");
        }

        main.Append("</fieldset>\n<button type=\"submit\">Sign in</button>\n</form>\n");
        return new ClinicianPage(StatusCodes.Status200OK, ClinicianLayout.Render(http, "Sign in for Development", main.ToString()));
    }

    private static async Task<IResult> DevelopmentSignIn(HttpContext http, DevelopmentTokenIssuer issuer, CancellationToken cancellationToken)
    {
        // Fetch Metadata rather than IAntiforgery, whose one cookie the portal keeps to /portal: every current
        // browser says where a form post comes from, and only this form's own page may send it.
        if (http.Request.Headers["Sec-Fetch-Site"] is { Count: > 0 } site && site != "same-origin")
        {
            throw FhirException.BadRequest("This form can only be sent from its own page. Open the sign-in page again.");
        }

        var form = await FormAsync(http, cancellationToken);
        var back = Return(form["return"]);
        var role = StaffRoles.FirstOrDefault(r => string.Equals(r.ToString(), form["role"], StringComparison.OrdinalIgnoreCase));
        if (!StaffRoles.Contains(role) || form["role"].Count != 1)
        {
            throw FhirException.BadRequest("Choose one role: clinician, chaplain, connector, publichealth or admin.");
        }

        await ClinicianSession.StartAsync(http, issuer.Mint(role, null));
        return SeeOther(http, back);
    }

    private static string Return(string? given) =>
        string.IsNullOrEmpty(given) ? ClinicianSession.Path
        : IsReturnPath(given) ? given
        : throw FhirException.BadRequest("'return' must be a page of this service under /clinician, such as /clinician/patients/9434765919.");

    private static async Task<IFormCollection> FormAsync(HttpContext http, CancellationToken cancellationToken)
    {
        if (!http.Request.HasFormContentType)
        {
            throw FhirException.BadRequest("Send the fields as a form (application/x-www-form-urlencoded).");
        }

        try
        {
            return await http.Request.ReadFormAsync(cancellationToken);
        }
        catch (InvalidDataException)
        {
            throw FhirException.BadRequest("The form could not be read."); // too many or too long fields: the caller's mistake, not a failure here
        }
    }

    // 303: the browser follows with GET, and reloading the page does not post the token again.
    private static IResult SeeOther(HttpContext http, string path)
    {
        http.Response.Headers.CacheControl = "no-store";
        http.Response.Headers.Location = http.Request.PathBase + path;
        return TypedResults.StatusCode(StatusCodes.Status303SeeOther);
    }
}

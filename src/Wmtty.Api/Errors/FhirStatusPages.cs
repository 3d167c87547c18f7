using Wmtty.Api.Clinician;
using Wmtty.Api.Fhir;
using Wmtty.Api.Invitations;
using Wmtty.Api.Portal;
using Wmtty.Api.SignIn;
using Wmtty.Fhir.Resources;
using FhirOutcome = Wmtty.Fhir.Outcomes.Outcome;
using Wmtty.Fhir.Serialization;

namespace Wmtty.Api.Errors;

/// <summary>
/// Gives the bodiless error responses the framework makes itself (no route, wrong method, no token,
/// forbidden) an OperationOutcome when they are on <c>/fhir</c> or <c>/invitations</c>, a page for
/// patients on <c>/portal</c>, and one for clinicians on <c>/clinician</c>.
/// </summary>
internal static class FhirStatusPages
{
    public static IApplicationBuilder UseFhirStatusPages(this IApplicationBuilder app) =>
        app.UseStatusCodePages(async context =>
        {
            var http = context.HttpContext;
            var path = http.Request.Path;
            if (http.Response.ContentLength > 0 || http.Response.ContentType is not null)
            {
                return;
            }

            if (path.StartsWithSegments(InvitationSignIn.PortalPath))
            {
                await PortalPages.Problem(http.Response.StatusCode).ExecuteAsync(http);
                return;
            }

            if (path.StartsWithSegments(ClinicianSession.Path))
            {
                await ClinicianPages.Problem(http, http.Response.StatusCode).ExecuteAsync(http);
                return;
            }

            if (!path.StartsWithSegments("/fhir") && !path.StartsWithSegments(InvitationEndpoints.Path))
            {
                return;
            }

            var status = http.Response.StatusCode;
            var (code, text) = status switch
            {
                StatusCodes.Status401Unauthorized => (IssueType.Login, "Sign-in is required: send an access token as 'Authorization: Bearer <token>'."),
                StatusCodes.Status403Forbidden => (IssueType.Forbidden, "Your access token does not allow this request."),
                StatusCodes.Status404NotFound => (IssueType.NotFound, NotFoundText(http.Request.Path)),
                StatusCodes.Status405MethodNotAllowed => (IssueType.NotSupported, $"{http.Request.Method} is not supported on {Shorten(http.Request.Path.Value)}."),
                StatusCodes.Status415UnsupportedMediaType => (IssueType.NotSupported, FhirFormats.UnsupportedContentType(http.Request.ContentType)),
                _ => (IssueType.Processing, $"The request failed with HTTP status {status}."),
            };

            try
            {
                FhirFormats.Negotiate(http); // answer in the format asked for, when it is one the service speaks
            }
            catch (FhirException)
            {
                // Nothing acceptable was asked for: the error goes out as JSON, which every client reads.
            }

            await FhirResult.Of(status, FhirOutcome.Error(code, text)).ExecuteAsync(http);
        });

    private static string NotFoundText(PathString path)
    {
        var segments = path.Value!.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Length >= 2 && segments[0] == "fhir" && !ResourceTypes.IsSupported(segments[1]))
        {
            var type = FhirText.Shorten(segments[1], 64);
            return $"'{type}' is not a resource type this service supports. It supports {string.Join(", ", ResourceTypes.Supported)}.";
        }

        return $"Nothing is found at {Shorten(path.Value)}.";
    }

    private static string Shorten(string? text) => text is null ? "" : FhirText.Shorten(text, 200);
}

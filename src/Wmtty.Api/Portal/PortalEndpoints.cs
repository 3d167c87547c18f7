using Microsoft.AspNetCore.Authentication;
using Wmtty.Api.Access;
using Wmtty.Api.Fhir;
using Wmtty.Api.Invitations;
using Wmtty.Api.Logging;
using Wmtty.Api.SignIn;
using Wmtty.Data.Invitations;

namespace Wmtty.Api.Portal;

/// <summary>
/// <c>/portal</c>, the patient portal: for now, where an invitation link lands. Opening a link uses it
/// up and starts an invitation session; a link that cannot be used gets a page that says why and what to
/// do next. Pages, not API: they are left out of the OpenAPI document.
/// </summary>
internal static class PortalEndpoints
{
    private const string InvitationPath = "/invitation";

    public static WebApplication MapPortal(this WebApplication app)
    {
        var portal = app.MapGroup(InvitationSignIn.PortalPath).AllowAnonymous().ExcludeFromDescription();
        portal.MapGet($"{InvitationPath}/{{**token}}", Open); // every token string, even none, gets a page
        portal.MapGet("", Home);
        return app;
    }

    /// <summary>
    /// The link for a token, beside the FHIR base: https://host/portal/invitation/... for a base of
    /// https://host/fhir (configured as Fhir:BaseUrl, or else from the request).
    /// </summary>
    public static string InvitationLink(HttpContext http, string token) =>
        new Uri(FhirRequest.BaseUri(http), $"..{InvitationSignIn.PortalPath}{InvitationPath}/{token}").AbsoluteUri;

    private static async Task<IResult> Open(string? token, HttpContext http, IInvitationStore store, AccessPolicy policy, TimeProvider clock, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        // Browsers and mail scanners fetch links ahead of a click; that must not use the link up.
        if (IsPrefetch(http.Request))
        {
            PortalPage.NoStore(http.Response);
            return TypedResults.NoContent();
        }

        var redemption = InvitationTokens.IsWellFormed(token) ? await store.RedeemAsync(InvitationTokens.Hash(token!), clock.GetUtcNow(), cancellationToken) : null;
        var invitation = redemption?.Invitation;
        var caller = new Caller { Kind = CallerKind.Invitation, Scopes = [], Subject = invitation is null ? "anonymous" : InvitationSignIn.Subject(invitation.Id) };
        var record = new AccessRecord(caller, "E", "invitation-redeem", null, invitation?.Id, http.TraceIdentifier, clock);
        var logger = loggers.CreateLogger(InvitationEndpoints.LogCategory);
        var result = await AuditedRequest.RunAsync(http, record, async () =>
        {
            if (invitation is null)
            {
                logger.InvitationRefused("unknown", "(none)");
                return PortalPages.NotOpened;
            }

            record.AddPatient(await policy.FindPatientIdAsync(invitation.NhsNumber, cancellationToken));
            if (!redemption!.Redeemed)
            {
                logger.InvitationRefused(InvitationView.StatusName(redemption.State), invitation.Id);
                return redemption.State switch
                {
                    InvitationState.Used => PortalPages.AlreadyUsed,
                    InvitationState.Revoked => PortalPages.Cancelled,
                    _ => PortalPages.Expired,
                };
            }

            await http.SignInAsync(InvitationSignIn.Scheme, InvitationSignIn.Principal(invitation.Id, invitation.NhsNumber));
            logger.InvitationRedeemed(invitation.Id);
            return new SeeOther($"{http.Request.PathBase}{InvitationSignIn.PortalPath}");
        });
        return (IResult)result!;
    }

    // No session is not an error here: the page says how to get one, and never sends anyone to a login page.
    private static async Task Home(HttpContext http)
    {
        var session = await http.AuthenticateAsync(InvitationSignIn.Scheme);
        var page = session.Succeeded && PatientSignIn.NhsNumberOf(session.Principal) is not null ? PortalPages.SignedIn : PortalPages.NotSignedIn;
        await page.ExecuteAsync(http);
    }

    private static bool IsPrefetch(HttpRequest request) =>
        request.Headers["Sec-Purpose"].Concat(request.Headers["Purpose"]).Any(v => v?.Contains("prefetch", StringComparison.OrdinalIgnoreCase) == true);

    /// <summary>303 See Other: after the link is used, the browser fetches the portal with GET, and reloading does not reuse the link.</summary>
    private sealed class SeeOther(string location) : IResult, IStatusCodeHttpResult
    {
        public int? StatusCode => StatusCodes.Status303SeeOther;

        public Task ExecuteAsync(HttpContext httpContext)
        {
            PortalPage.NoStore(httpContext.Response);
            httpContext.Response.StatusCode = StatusCodes.Status303SeeOther;
            httpContext.Response.Headers.Location = location;
            return Task.CompletedTask;
        }
    }
}

using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
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
    public const string Path = InvitationSignIn.PortalPath;

    private const string InvitationPath = "/invitation";


    public static IServiceCollection AddPortal(this IServiceCollection services)
    {
        services.AddAntiforgery(options =>
        {
            options.Cookie.Name = "wmtty-antiforgery";
            options.Cookie.Path = Path;
            options.Cookie.SameSite = SameSiteMode.Strict;
            options.SuppressXFrameOptionsHeader = true; // the service's own headers already forbid framing
        });
        services.AddScoped<PortalDrafts>();
        return services;
    }

    public static WebApplication MapPortal(this WebApplication app)
    {
        var portal = app.MapGroup(InvitationSignIn.PortalPath).AllowAnonymous().ExcludeFromDescription()
            .WithMetadata(new RequestSizeLimitAttribute(PortalForms.MaxBytes));
        portal.MapGet($"{InvitationPath}/{{**token}}", Open); // every token string, even none, gets a page
        portal.MapQuestionnairePages();                        // the questionnaire, a section a page
        portal.MapPortalDownload();                            // everything held about the patient, as a file
        portal.MapPortalSignIn();                              // Development's stand-in for NHS login
        portal.MapGet($"{PortalLayout.AssetsPath}/{{name}}", (string name, HttpContext http) => PortalAssets.Serve(name, http));
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
            HtmlPage.NoStore(http.Response);
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
            if (!redemption!.Redeemed && redemption.State == InvitationState.Used && await IsSessionOfAsync(http, invitation.Id))
            {
                // The same link again in the browser it was opened in: carry on, rather than a page saying it was used.
                return new SeeOther(InvitationSignIn.PortalPath);
            }

            if (!redemption.Redeemed)
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
            return new SeeOther(InvitationSignIn.PortalPath);
        });
        return (IResult)result!;
    }

    private static async Task<bool> IsSessionOfAsync(HttpContext http, string invitationId)
    {
        var session = await http.AuthenticateAsync(InvitationSignIn.Scheme);
        return session.Succeeded && session.Principal!.FindFirst("sub")?.Value == InvitationSignIn.Subject(invitationId);
    }

    private static bool IsPrefetch(HttpRequest request) =>
        request.Headers["Sec-Purpose"].Concat(request.Headers["Purpose"]).Any(v => v?.Contains("prefetch", StringComparison.OrdinalIgnoreCase) == true);
}

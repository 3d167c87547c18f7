using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace Wmtty.Api.SignIn;

/// <summary>
/// The session a redeemed invitation link starts: a cookie scheme of its own, used only by the portal.
/// It is never the default scheme and its cookie is scoped to <c>/portal</c>, so it cannot authenticate
/// <c>/fhir</c> or <c>/invitations</c>. It lasts two hours from sign-in and is not extended by use.
/// </summary>
internal static class InvitationSignIn
{
    public const string Scheme = "Invitation";
    public const string CookieName = "wmtty-invitation";
    public const string PortalPath = "/portal";
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(2);

    public static AuthenticationBuilder AddInvitationCookie(this AuthenticationBuilder authentication) =>
        authentication.AddCookie(Scheme, options =>
        {
            options.Cookie.Name = CookieName;
            options.Cookie.HttpOnly = true;
            // Lax, not Strict: the link is opened from an email or text message, a cross-site navigation, and
            // a Strict cookie set during it is not sent with the redirect to /portal. The cookie is limited to
            // /portal, where every change is a form post that Lax does not carry cross-site.
            options.Cookie.SameSite = SameSiteMode.Lax;
            options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            options.ExpireTimeSpan = Lifetime;
            options.SlidingExpiration = false;
            options.Events.OnSigningIn = context =>
            {
                context.CookieOptions.Path = context.Request.PathBase + PortalPath;
                return Task.CompletedTask;
            };
            options.Events.OnSigningOut = context =>
            {
                context.CookieOptions.Path = context.Request.PathBase + PortalPath; // the same path, or the browser keeps it
                return Task.CompletedTask;
            };

            // The portal says itself what to do when there is no session; never a redirect to a login page.
            options.Events.OnRedirectToLogin = context => Status(context, StatusCodes.Status401Unauthorized);
            options.Events.OnRedirectToAccessDenied = context => Status(context, StatusCodes.Status403Forbidden);
        });

    /// <summary>The invitation session's principal: the NHS number the link was for, and the invitation as its subject.</summary>
    public static ClaimsPrincipal Principal(string invitationId, string nhsNumber) =>
        new(new ClaimsIdentity([new Claim(PatientSignIn.NhsNumberType, nhsNumber), new Claim("sub", Subject(invitationId))], PatientSignIn.InvitationIdentity));

    /// <summary>A portal session for a patient who signed in themselves (the patient identity provider, or Development's stand-in for it).</summary>
    public static ClaimsPrincipal SignedInPatient(string nhsNumber, string subject) =>
        new(new ClaimsIdentity([new Claim(PatientSignIn.NhsNumberType, nhsNumber), new Claim("sub", subject)], PatientSignIn.PatientIdentity));

    public static string Subject(string invitationId) => $"invitation:{invitationId}";

    private static Task Status(RedirectContext<CookieAuthenticationOptions> context, int status)
    {
        context.Response.StatusCode = status;
        return Task.CompletedTask;
    }
}

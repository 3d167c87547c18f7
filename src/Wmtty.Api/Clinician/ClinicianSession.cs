using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Wmtty.Api.Errors;
using Wmtty.Api.SignIn;

namespace Wmtty.Api.Clinician;

/// <summary>
/// The staff session of the clinician pages. A browser cannot send a bearer header when it navigates, so
/// an access token this API accepts (handed over by an EHR launch, or minted in Development) is checked
/// once by the same bearer schemes as <c>/fhir</c>, and its claims kept in a cookie for <c>/clinician</c>
/// only, for at most the token's remaining life and never more than an hour. The cookie scheme is never
/// the default, so it cannot authenticate <c>/fhir</c>.
/// </summary>
internal static class ClinicianSession
{
    public const string Scheme = "ClinicianSession";
    public const string CookieName = "wmtty-staff";
    public const string Path = "/clinician";
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromHours(1);

    // Far above any real access token; a bigger field is not worth validating.
    private const int MaxTokenLength = 16 * 1024;

    public static AuthenticationBuilder AddClinicianSession(this AuthenticationBuilder authentication)
    {
        var services = authentication.Services;
        services.AddOptions<ClinicianOptions>().BindConfiguration(ClinicianOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ClinicianOptions>, ClinicianOptionsValidation>();
        authentication.AddCookie(Scheme, options =>
        {
            options.Cookie.Name = CookieName;
            options.Cookie.HttpOnly = true;
            options.SlidingExpiration = false;
            options.Events.OnSigningIn = context =>
            {
                context.CookieOptions.Path = context.Request.PathBase + Path;
                return Task.CompletedTask;
            };

            // The pages say themselves how to sign in; never a redirect to a login page.
            options.Events.OnRedirectToLogin = context => Status(context, StatusCodes.Status401Unauthorized);
            options.Events.OnRedirectToAccessDenied = context => Status(context, StatusCodes.Status403Forbidden);
        });
        services.AddOptions<CookieAuthenticationOptions>(Scheme).Configure<IOptions<ClinicianOptions>>((options, clinician) =>
        {
            if (clinician.Value.IsFramed)
            {
                // Inside the EHR's frame every request is cross-site: only a SameSite=None cookie comes back,
                // browsers take that only when Secure, and those that keep third-party cookies apart need Partitioned.
                options.Cookie.SameSite = SameSiteMode.None;
                options.Cookie.SecurePolicy = CookieSecurePolicy.Always;
                options.Cookie.Extensions.Add("Partitioned");
            }
            else
            {
                // Lax: an EHR that opens the page in a new window navigates to it from another site.
                options.Cookie.SameSite = SameSiteMode.Lax;
                options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            }
        });
        return authentication;
    }

    /// <summary>
    /// With no bearer header, the session cookie signs the request in. A bearer header, valid or not,
    /// decides alone: a refused token is never quietly replaced by an older session.
    /// </summary>
    public static async Task UseSessionAsync(HttpContext http)
    {
        if (http.User.Identity?.IsAuthenticated == true || http.Request.Headers.Authorization.Count > 0)
        {
            return;
        }

        var session = await http.AuthenticateAsync(Scheme);
        if (session is { Succeeded: true, Principal: { } principal })
        {
            http.User = principal;
        }
    }

    /// <summary>Checks the token as <c>/fhir</c> would and starts a session with its claims; 401 when it is not accepted.</summary>
    public static async Task StartAsync(HttpContext http, string? accessToken)
    {
        if (string.IsNullOrWhiteSpace(accessToken) || accessToken.Length > MaxTokenLength)
        {
            throw FhirException.BadRequest("Send an access token in the form field access_token.");
        }

        // A fresh scope: the request's own scope has already run its bearer handler, which keeps its first result.
        await using var scope = http.RequestServices.CreateAsyncScope();
        var probe = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        probe.Request.Headers.Authorization = "Bearer " + accessToken.Trim();
        var result = await probe.AuthenticateAsync(PatientSignIn.SelectorScheme);
        if (result is not { Succeeded: true, Principal: { } principal })
        {
            throw Refused("The access token was not accepted: it may have expired, or not be meant for this service.");
        }

        if (PatientSignIn.NhsNumberOf(principal) is not null)
        {
            throw FhirException.Forbidden("This sign-in is for staff. Patients see their own page with their own token, or use the patient portal.");
        }

        var now = http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();
        var tokenExpires = result.Properties?.ExpiresUtc ?? new DateTimeOffset(new JsonWebToken(accessToken.Trim()).ValidTo, TimeSpan.Zero);
        var expires = tokenExpires < now + MaxLifetime ? tokenExpires : now + MaxLifetime;
        if (expires <= now)
        {
            throw Refused("The access token has expired. Open the page from your EHR again.");
        }

        var properties = new AuthenticationProperties { IssuedUtc = now, ExpiresUtc = expires, IsPersistent = false, AllowRefresh = false };
        await http.SignInAsync(Scheme, ClaimsOnly(principal), properties);
    }

    // The claims exactly as validated, so CallerMap reads the session as it reads the token; not the token itself.
    private static ClaimsPrincipal ClaimsOnly(ClaimsPrincipal principal) =>
        new(principal.Identities.Select(identity => new ClaimsIdentity(
            identity.Claims.Select(c => new Claim(c.Type, c.Value, c.ValueType, c.Issuer, c.OriginalIssuer)),
            identity.AuthenticationType, identity.NameClaimType, identity.RoleClaimType)));

    private static FhirException Refused(string text) =>
        new(StatusCodes.Status401Unauthorized, Wmtty.Fhir.Outcomes.Outcome.Error(IssueType.Login, text));

    private static Task Status(RedirectContext<CookieAuthenticationOptions> context, int status)
    {
        context.Response.StatusCode = status;
        return Task.CompletedTask;
    }
}

using System.Security.Claims;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.JsonWebTokens;
using Wmtty.Fhir.Patients;

namespace Wmtty.Api.SignIn;

/// <summary>
/// Section <c>PatientSignIn</c>: the patient identity provider, an OpenID Connect issuer in the manner of
/// NHS login. Its tokens carry the patient's NHS number in <see cref="NhsNumberClaim"/>.
/// </summary>
internal sealed class PatientSignInOptions
{
    public const string Section = "PatientSignIn";

    /// <summary>The provider's address, where its OpenID metadata and keys are found; for example https://auth.login.nhs.uk.</summary>
    public string? Authority { get; set; }

    /// <summary>The issuer its tokens name; the authority when not set.</summary>
    public string? Issuer { get; set; }

    /// <summary>The audience its tokens must be for: this service's client id at the provider.</summary>
    public string? Audience { get; set; }

    /// <summary>The claim that carries the NHS number.</summary>
    public string NhsNumberClaim { get; set; } = PatientSignIn.DefaultNhsNumberClaim;

    /// <summary>
    /// The identity proofing level a token must show in <c>identity_proofing_level</c> (NHS login: P9 is
    /// verified to the standard for health records). Empty to accept any.
    /// </summary>
    public string? RequiredProofingLevel { get; set; } = "P9";

    /// <summary>
    /// For patients signing in to the portal in a browser: the PEM file of the private key this service
    /// proves itself with at the token endpoint (private_key_jwt, as NHS login requires). Never in the repository.
    /// </summary>
    public string? PortalClientKeyPath { get; set; }

    /// <summary>The key's id (kid) as registered with the provider.</summary>
    public string? PortalClientKeyId { get; set; }

    /// <summary>Instead of a key, a client secret, for providers that use one.</summary>
    public string? PortalClientSecret { get; set; }

    /// <summary>The scopes asked for at sign-in; NHS login gives the NHS number with <c>profile</c>.</summary>
    public string PortalScopes { get; set; } = "openid profile";

    public bool IsConfigured => !string.IsNullOrWhiteSpace(Authority);

    /// <summary>Whether patients can sign in to the portal in a browser (OpenID Connect with a client key or secret).</summary>
    public bool PortalSignInConfigured => IsConfigured && (!string.IsNullOrWhiteSpace(PortalClientKeyPath) || !string.IsNullOrWhiteSpace(PortalClientSecret));
}

/// <summary>
/// The second bearer scheme, for patients, and the choice between it and Entra ID for each request: a
/// token goes to the scheme whose issuer it names, and is then fully validated there.
/// </summary>
internal static class PatientSignIn
{
    public const string Scheme = "Patient";
    public const string SelectorScheme = "Wmtty";
    public const string DefaultNhsNumberClaim = "nhs_number";

    /// <summary>The identity a validated patient token adds; only this scheme makes it, so no other token can pose as a patient.</summary>
    public const string PatientIdentity = "WmttyPatient";

    /// <summary>The identity an invitation session has.</summary>
    public const string InvitationIdentity = "WmttyInvitation";

    public const string NhsNumberType = "wmtty:nhs_number";

    public static string? NhsNumberOf(ClaimsPrincipal principal) =>
        principal.Identities.FirstOrDefault(i => i.AuthenticationType is PatientIdentity or InvitationIdentity)?.FindFirst(NhsNumberType)?.Value;

    public static void Configure(JwtBearerOptions options, PatientSignInOptions patient)
    {
        options.MapInboundClaims = false;
        options.Authority = patient.Authority;
        options.Audience = patient.Audience;
        options.TokenValidationParameters.ValidateAudience = true;
        options.TokenValidationParameters.ValidAudience = patient.Audience;
        options.TokenValidationParameters.ValidIssuer = IssuerOf(patient);
        options.TokenValidationParameters.ValidateIssuer = true;
        options.TokenValidationParameters.ValidateLifetime = true;
        options.TokenValidationParameters.RequireSignedTokens = true;
        options.TokenValidationParameters.RequireExpirationTime = true;
        options.Events = new JwtBearerEvents
        {
            OnTokenValidated = context =>
            {
                var nhs = context.Principal?.FindFirst(patient.NhsNumberClaim)?.Value;
                if (NhsNumber.Check(nhs) is not null)
                {
                    context.Fail("The patient token carries no valid NHS number.");
                    return Task.CompletedTask;
                }

                if (!string.IsNullOrEmpty(patient.RequiredProofingLevel)
                    && context.Principal!.FindFirst("identity_proofing_level")?.Value != patient.RequiredProofingLevel)
                {
                    context.Fail($"The patient's identity is not proven to level {patient.RequiredProofingLevel}.");
                    return Task.CompletedTask;
                }

                context.Principal!.AddIdentity(new ClaimsIdentity([new Claim(NhsNumberType, nhs!)], PatientIdentity));
                return Task.CompletedTask;
            },
        };
    }

    public static string? IssuerOf(PatientSignInOptions patient) =>
        (string.IsNullOrWhiteSpace(patient.Issuer) ? patient.Authority : patient.Issuer)?.TrimEnd('/');

    /// <summary>
    /// The most bearer headers whose scheme <see cref="Select"/> remembers (past it, it forgets them all), and the longest
    /// it remembers: at most 4 MB of text, whatever is sent.
    /// </summary>
    internal const int MaxRemembered = 1024, MaxRememberedLength = 4096;

    // The scheme each bearer header was sent to, by its exact text. An integration engine sends one token with every
    // request, and reading it to route was a sixteenth of what a $lastn request allocated (bench/README.md). Only the
    // route is remembered: the chosen scheme still validates the token on every request (ValidatedTokenCache).
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(string Header, string Issuer), string> Routed = new();

    /// <summary>The scheme for this request: the patient scheme when the bearer token names the patient issuer.</summary>
    public static string Select(HttpContext context, string? patientIssuer)
    {
        if (patientIssuer is null)
        {
            return JwtBearerDefaults.AuthenticationScheme;
        }

        var header = context.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return JwtBearerDefaults.AuthenticationScheme;
        }

        if (Routed.TryGetValue((header, patientIssuer), out var scheme))
        {
            return scheme;
        }

        scheme = Route(header, patientIssuer);
        if (header.Length > MaxRememberedLength)
        {
            return scheme;
        }

        if (Routed.Count >= MaxRemembered)
        {
            Routed.Clear();
        }

        Routed[(header, patientIssuer)] = scheme;
        return scheme;
    }

    private static string Route(string header, string patientIssuer)
    {
        try
        {
            // Only read here, to route; the chosen scheme validates everything, signature included.
            var issuer = new JsonWebToken(header[7..].Trim()).Issuer;
            return string.Equals(issuer?.TrimEnd('/'), patientIssuer, StringComparison.Ordinal) ? Scheme : JwtBearerDefaults.AuthenticationScheme;
        }
        catch (ArgumentException)
        {
            return JwtBearerDefaults.AuthenticationScheme; // not a JWT: the Entra scheme refuses it
        }
    }
}

using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;
using Wmtty.Fhir.Patients;

namespace Wmtty.Api.SignIn;

/// <summary>
/// Patients signing in to the portal in a browser with the patient identity provider (NHS login):
/// OpenID Connect, authorization code with PKCE, the client proven by a signed assertion
/// (private_key_jwt) or a secret. The NHS number and proofing level are checked exactly as for the
/// provider's bearer tokens, and the result is the same portal session an invitation link starts.
/// </summary>
internal static class PortalPatientSignIn
{
    public const string Scheme = "PatientPortal";
    public const string CallbackPath = "/portal/signed-in";

    public static AuthenticationBuilder AddPortalPatientSignIn(this AuthenticationBuilder authentication, PatientSignInOptions patient)
    {
        var key = LoadKey(patient);
        return authentication.AddOpenIdConnect(Scheme, options =>
        {
            options.Authority = patient.Authority;
            options.ClientId = patient.Audience;
            options.ClientSecret = string.IsNullOrWhiteSpace(patient.PortalClientSecret) ? null : patient.PortalClientSecret;
            options.ResponseType = OpenIdConnectResponseType.Code;
            options.UsePkce = true;
            options.CallbackPath = CallbackPath;
            options.SignInScheme = InvitationSignIn.Scheme;
            options.MapInboundClaims = false;
            options.SaveTokens = false; // the portal needs who, not the provider's tokens
            options.GetClaimsFromUserInfoEndpoint = true;
            options.Scope.Clear();
            foreach (var scope in patient.PortalScopes.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                options.Scope.Add(scope);
            }

            options.TokenValidationParameters.ValidIssuer = PatientSignIn.IssuerOf(patient);
            options.Events = new OpenIdConnectEvents
            {
                OnAuthorizationCodeReceived = context =>
                {
                    if (key is not null)
                    {
                        context.TokenEndpointRequest!.ClientAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
                        context.TokenEndpointRequest.ClientAssertion = Assertion(key, patient, context.Options.Configuration!.TokenEndpoint);
                    }

                    return Task.CompletedTask;
                },
                OnTicketReceived = context =>
                {
                    var principal = context.Principal!;
                    var nhsNumber = principal.FindFirst(patient.NhsNumberClaim)?.Value;
                    var proofed = string.IsNullOrEmpty(patient.RequiredProofingLevel) || principal.FindFirst("identity_proofing_level")?.Value == patient.RequiredProofingLevel;
                    if (NhsNumber.Check(nhsNumber) is not null || !proofed)
                    {
                        // Signed in, but not someone the service can match to a record safely: no session.
                        context.HandleResponse();
                        context.Response.Redirect($"{context.Request.PathBase}{InvitationSignIn.PortalPath}/sign-in/not-verified");
                        return Task.CompletedTask;
                    }

                    context.Principal = InvitationSignIn.SignedInPatient(nhsNumber!, $"patient-sign-in:{principal.FindFirst("sub")?.Value}");
                    context.ReturnUri = $"{context.Request.PathBase}{InvitationSignIn.PortalPath}";
                    return Task.CompletedTask;
                },
                OnRemoteFailure = context =>
                {
                    context.HandleResponse();
                    context.Response.Redirect($"{context.Request.PathBase}{InvitationSignIn.PortalPath}/sign-in/failed");
                    return Task.CompletedTask;
                },
            };
        });
    }

    private static RsaSecurityKey? LoadKey(PatientSignInOptions patient)
    {
        if (string.IsNullOrWhiteSpace(patient.PortalClientKeyPath))
        {
            return null;
        }

        var rsa = RSA.Create();
        rsa.ImportFromPem(File.ReadAllText(patient.PortalClientKeyPath));
        return new RsaSecurityKey(rsa) { KeyId = patient.PortalClientKeyId };
    }

    // A short-lived assertion, signed with the service's key, in place of a secret (RFC 7523).
    private static string Assertion(RsaSecurityKey key, PatientSignInOptions patient, string tokenEndpoint) =>
        new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = patient.Audience,
            Audience = tokenEndpoint,
            Claims = new Dictionary<string, object> { ["sub"] = patient.Audience!, ["jti"] = Guid.NewGuid().ToString("N") },
            IssuedAt = DateTime.UtcNow,
            Expires = DateTime.UtcNow.AddMinutes(1),
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.RsaSha512),
        });
}

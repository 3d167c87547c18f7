using System.Security.Cryptography;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Wmtty.Api.SignIn;

/// <summary>The kinds of caller a Development token can stand for.</summary>
internal enum DevelopmentRole
{
    /// <summary>An EHR system reading (app role Preferences.Read.All).</summary>
    Ehr,

    /// <summary>An integration engine that also writes (app role Preferences.ReadWrite.All).</summary>
    EhrWriter,

    Clinician,
    Chaplain,
    Connector,

    /// <summary>Public-health staff: the outcome figures only (user role Wmtty.PublicHealth).</summary>
    PublicHealth,
    Admin,

    /// <summary>A patient, from the patient identity provider rather than Entra ID.</summary>
    Patient,
}

/// <summary>
/// Mints Entra-shaped access tokens with a key made at start-up and never stored, and points the
/// Microsoft.Identity.Web bearer validation at that key. Nothing reaches the network: the issuer is
/// under the reserved <c>.invalid</c> domain.
/// </summary>
internal sealed class DevelopmentTokenIssuer : IDisposable
{
    public const string Issuer = "https://development-sign-in.wmtty.invalid/v2.0";

    /// <summary>The stand-in for the patient identity provider, with its own key.</summary>
    public const string PatientIssuer = "https://development-patient-sign-in.wmtty.invalid";

    public const string DefaultPatientAudience = "wmtty-development-patients";

    private readonly RSA rsa = RSA.Create(2048);
    private readonly RSA patientRsa = RSA.Create(2048);
    private readonly RsaSecurityKey key;
    private readonly RsaSecurityKey patientKey;
    private readonly PatientSignInOptions patient;
    private readonly string audience;
    private readonly string tenantId;
    private readonly TimeSpan lifetime;
    private readonly TimeProvider clock;

    public DevelopmentTokenIssuer(IConfiguration configuration, TimeProvider clock, PatientSignInOptions patient)
    {
        key = new RsaSecurityKey(rsa) { KeyId = Guid.NewGuid().ToString("N") };
        patientKey = new RsaSecurityKey(patientRsa) { KeyId = Guid.NewGuid().ToString("N") };
        this.patient = patient;
        var azureAd = configuration.GetSection(SignInSetup.AzureAdSection);
        audience = azureAd["Audience"] is { Length: > 0 } configured ? configured : azureAd["ClientId"]!;
        tenantId = azureAd["TenantId"] ?? "development";
        lifetime = TimeSpan.FromMinutes(configuration.GetValue(DevelopmentSignInOptions.Section + ":TokenLifetimeMinutes", 60));
        this.clock = clock;
    }

    public TimeSpan Lifetime => lifetime;

    /// <param name="adjust">Changes the token before it is signed; tests use it to make tokens that must be refused.</param>
    public string Mint(DevelopmentRole role, string? nhsNumber, Action<SecurityTokenDescriptor>? adjust = null)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        if (role == DevelopmentRole.Patient)
        {
            return MintPatient(nhsNumber!, now, adjust);
        }

        var claims = new Dictionary<string, object>
        {
            ["tid"] = tenantId,
            ["ver"] = "2.0",
            ["azp"] = "wmtty-development-client",
            ["oid"] = DeterministicId(role, nhsNumber),
            ["sub"] = DeterministicId(role, nhsNumber),
            ["name"] = $"Development {role.ToString().ToLowerInvariant()}",
        };

        switch (role)
        {
            case DevelopmentRole.Ehr:
                claims["idtyp"] = "app";
                claims["roles"] = new[] { AccessNames.ReadAllRole };
                break;
            case DevelopmentRole.EhrWriter:
                claims["idtyp"] = "app";
                claims["roles"] = new[] { AccessNames.ReadWriteAllRole };
                break;
            case DevelopmentRole.Admin:
                claims["scp"] = AccessNames.ReadWriteScope;
                claims["roles"] = new[] { AccessNames.AdminRole };
                break;
            case DevelopmentRole.Clinician:
                claims["scp"] = AccessNames.ReadWriteScope;
                claims["roles"] = new[] { AccessNames.ClinicianRole };
                break;
            case DevelopmentRole.Chaplain:
                claims["scp"] = AccessNames.ReadScope;
                claims["roles"] = new[] { AccessNames.ChaplainRole };
                break;
            case DevelopmentRole.Connector:
                claims["scp"] = AccessNames.ReadWriteScope;
                claims["roles"] = new[] { AccessNames.ConnectorRole };
                break;
            case DevelopmentRole.PublicHealth:
                claims["scp"] = AccessNames.ReadScope;
                claims["roles"] = new[] { AccessNames.PublicHealthRole };
                break;
        }

        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + lifetime,
            Claims = claims,
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.RsaSha256),
        };
        adjust?.Invoke(descriptor);
        return new JsonWebTokenHandler().CreateToken(descriptor);
    }

    // Shaped like an NHS login access token: the NHS number and the identity proofing level as claims.
    private string MintPatient(string nhsNumber, DateTime now, Action<SecurityTokenDescriptor>? adjust)
    {
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = PatientIssuer,
            Audience = patient.Audience ?? DefaultPatientAudience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + lifetime,
            Claims = new Dictionary<string, object>
            {
                ["sub"] = DeterministicId(DevelopmentRole.Patient, nhsNumber),
                ["client_id"] = "wmtty-development-portal",
                [patient.NhsNumberClaim] = nhsNumber,
                ["identity_proofing_level"] = "P9",
            },
            SigningCredentials = new SigningCredentials(patientKey, SecurityAlgorithms.RsaSha256),
        };
        adjust?.Invoke(descriptor);
        return new JsonWebTokenHandler().CreateToken(descriptor);
    }

    /// <summary>Makes the patient bearer handler trust the patient key, and only it, without fetching metadata.</summary>
    public void ConfigurePatients(JwtBearerOptions options)
    {
        var configuration = new OpenIdConnectConfiguration { Issuer = PatientIssuer };
        configuration.SigningKeys.Add(patientKey);
        options.Authority = null;
        options.Configuration = configuration;
        options.ConfigurationManager = new StaticConfigurationManager<OpenIdConnectConfiguration>(configuration);
        options.TokenValidationParameters.IssuerSigningKeys = [patientKey];
    }

    /// <summary>Makes the bearer handler trust this issuer's key, and only it, without fetching any metadata.</summary>
    public void Configure(JwtBearerOptions options)
    {
        var configuration = new OpenIdConnectConfiguration { Issuer = Issuer };
        configuration.SigningKeys.Add(key);
        options.Configuration = configuration;
        options.ConfigurationManager = new StaticConfigurationManager<OpenIdConnectConfiguration>(configuration);
        options.TokenValidationParameters.ValidIssuer = Issuer;
        options.TokenValidationParameters.ValidIssuers = [Issuer];
        options.TokenValidationParameters.IssuerValidator = null;
        options.TokenValidationParameters.IssuerSigningKey = key;
        options.TokenValidationParameters.IssuerSigningKeys = [key];
    }

    public void Dispose()
    {
        rsa.Dispose();
        patientRsa.Dispose();
    }

    // The same role and patient get the same object id across tokens, as a real directory would give.
    private static string DeterministicId(DevelopmentRole role, string? nhsNumber)
    {
        var hash = SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{role}:{nhsNumber}"));
        return new Guid(hash.AsSpan(0, 16)).ToString("D");
    }
}

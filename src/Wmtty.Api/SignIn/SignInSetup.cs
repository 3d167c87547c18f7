using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Identity.Web;
using Wmtty.Api.Clinician;

namespace Wmtty.Api.SignIn;

/// <summary>Bearer tokens from Microsoft Entra ID, validated by Microsoft.Identity.Web; in Development, a local issuer.</summary>
internal static class SignInSetup
{
    public const string AzureAdSection = "AzureAd";
    public const string RememberValidTokensSetting = "SignIn:RememberValidTokensSeconds";

    public static WebApplicationBuilder AddWmttySignIn(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var development = configuration.GetSection(DevelopmentSignInOptions.Section).Get<DevelopmentSignInOptions>() ?? new();
        if (development.Enabled && !builder.Environment.IsDevelopment())
        {
            throw new InvalidOperationException(
                $"{DevelopmentSignInOptions.Section}:Enabled is true in the '{builder.Environment.EnvironmentName}' environment. " +
                "Development sign-in lets anyone mint a token, so it only runs in Development. Remove the setting.");
        }

        var azureAd = configuration.GetSection(AzureAdSection);
        if (string.IsNullOrWhiteSpace(azureAd["ClientId"]) || string.IsNullOrWhiteSpace(azureAd["TenantId"]) || string.IsNullOrWhiteSpace(azureAd["Instance"]))
        {
            throw new InvalidOperationException(
                $"{AzureAdSection}:Instance, {AzureAdSection}:TenantId and {AzureAdSection}:ClientId must be set to the Entra ID app registration of the Wmtty API. See README, 'Sign-in'.");
        }

        var patient = configuration.GetSection(PatientSignInOptions.Section).Get<PatientSignInOptions>() ?? new();
        if (development.Enabled && !patient.IsConfigured)
        {
            patient.Authority = DevelopmentTokenIssuer.PatientIssuer;
            patient.Audience ??= DevelopmentTokenIssuer.DefaultPatientAudience;
        }

        if (patient.IsConfigured && string.IsNullOrWhiteSpace(patient.Audience))
        {
            throw new InvalidOperationException($"{PatientSignInOptions.Section}:Audience must be set: the client id this service has at the patient identity provider.");
        }

        var patientIssuer = patient.IsConfigured ? PatientSignIn.IssuerOf(patient) : null;
        var authentication = builder.Services.AddAuthentication(PatientSignIn.SelectorScheme);
        authentication.AddPolicyScheme(PatientSignIn.SelectorScheme, "Entra ID or patient sign-in", options =>
            options.ForwardDefaultSelector = context => PatientSignIn.Select(context, patientIssuer));
        authentication.AddMicrosoftIdentityWebApi(azureAd);
        authentication.AddInvitationCookie(); // the portal's invitation session; never the default, so never /fhir
        authentication.AddClinicianSession(); // the clinician page's staff session, from a token; never the default either
        if (patient.IsConfigured)
        {
            authentication.AddJwtBearer(PatientSignIn.Scheme, options => PatientSignIn.Configure(options, patient));
        }

        if (patient.PortalSignInConfigured)
        {
            authentication.AddPortalPatientSignIn(patient); // patients signing in to the portal in a browser
        }

        builder.Services.AddSingleton(patient);
        builder.Services.AddAuthorization();

        // Every bearer scheme remembers the tokens it validated, for a minute at most (ValidatedTokenCache); 0 turns it off.
        var remember = configuration.GetValue(RememberValidTokensSetting, 60);
        if (remember is < 0 or > 300)
        {
            throw new InvalidOperationException($"{RememberValidTokensSetting} must be from 0 (off) to 300 seconds; it is {remember}.");
        }

        builder.Services.PostConfigureAll<JwtBearerOptions>(options => ValidatedTokenCache.Install(options, TimeSpan.FromSeconds(remember), TimeProvider.System));

        if (development.Enabled)
        {
            builder.Services.AddSingleton<DevelopmentTokenIssuer>();
            builder.Services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
                .PostConfigure<DevelopmentTokenIssuer>((options, issuer) => issuer.Configure(options));
            if (patient.Authority == DevelopmentTokenIssuer.PatientIssuer)
            {
                builder.Services.AddOptions<JwtBearerOptions>(PatientSignIn.Scheme)
                    .PostConfigure<DevelopmentTokenIssuer>((options, issuer) => issuer.ConfigurePatients(options));
            }
        }

        return builder;
    }

    public static bool DevelopmentSignInEnabled(this WebApplication app) =>
        app.Services.GetService<DevelopmentTokenIssuer>() is not null;
}

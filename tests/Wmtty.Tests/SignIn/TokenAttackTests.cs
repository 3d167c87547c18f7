using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;
using Wmtty.Api.SignIn;
using Wmtty.Tests.Infrastructure;
using Xunit;

namespace Wmtty.Tests.SignIn;

/// <summary>Tokens that must be refused are refused, with an OperationOutcome, and nothing about the patient reaches the logs.</summary>
public sealed class TokenAttackTests : AppTest
{
    private string nhs = "";
    private string patientId = "";

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        (patientId, nhs) = await Responses.CreatePatientAsync(Client);
        await Responses.SubmitAsync(Client, Responses.Build(patientId, Responses.TypicalAnswers()));
    }

    private DevelopmentRole role = DevelopmentRole.Patient;

    private string Mint(Action<SecurityTokenDescriptor>? adjust = null) =>
        App.Services.GetRequiredService<DevelopmentTokenIssuer>().Mint(role, role == DevelopmentRole.Patient ? nhs : null, adjust);

    private static string Base64Url(string json) => Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static TheoryData<string, string> Attacks
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var attack in new[] { "forged-signature", "tampered-payload", "wrong-issuer", "wrong-audience", "expired", "not-yet-valid", "alg-none", "garbage", "other-schemes-key" })
            {
                data.Add(attack, "patient");   // the patient identity provider's scheme
                data.Add(attack, "clinician"); // Entra ID's
            }

            data.Add("weak-proofing", "patient"); // an identity not verified to P9
            data.Add("invalid-nhs", "patient");   // an NHS number that fails its check digit
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Attacks))]
    public async Task ABadTokenIsRefusedWith401AndLeavesNoPatientDataInTheLogs(string attack, string kind)
    {
        role = kind == "patient" ? DevelopmentRole.Patient : DevelopmentRole.Clinician;
        var token = attack switch
        {
            "forged-signature" => Mint()[..^6] + (Mint()[^6] == 'A' ? "BBBBBB" : "AAAAAA"),
            "tampered-payload" => TamperedPayload(Mint()),
            "wrong-issuer" => Mint(d => d.Issuer = "https://login.microsoftonline.com/someone-else/v2.0"),
            "wrong-audience" => Mint(d => d.Audience = "api://another-service"),
            "expired" => Mint(d => { d.IssuedAt = DateTime.UtcNow.AddHours(-3); d.NotBefore = DateTime.UtcNow.AddHours(-3); d.Expires = DateTime.UtcNow.AddHours(-2); }),
            "not-yet-valid" => Mint(d => { d.NotBefore = DateTime.UtcNow.AddHours(2); d.Expires = DateTime.UtcNow.AddHours(3); }),
            "alg-none" => $"{Base64Url("""{"alg":"none","typ":"JWT"}""")}.{Mint().Split('.')[1]}.",
            // Signed by the other scheme's key but naming this scheme's issuer: each scheme trusts only its own key.
            "other-schemes-key" => OtherSchemesKey(),
            "weak-proofing" => Mint(d => d.Claims["identity_proofing_level"] = "P5"),
            "invalid-nhs" => Mint(d => d.Claims[PatientSignIn.DefaultNhsNumberClaim] = "9434765918"),
            _ => "not.a.token",
        };

        using var client = App.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        foreach (var path in new[] { $"/fhir/Patient/{patientId}", $"/fhir/Observation/$lastn?patient={patientId}", $"/fhir/Patient/{patientId}/$wmtty-summary" })
        {
            using var response = await client.GetAsync(path);
            await response.AssertOutcomeAsync(HttpStatusCode.Unauthorized);
        }

        Assert.DoesNotContain(App.Logs.Lines, line => line.Contains(nhs, StringComparison.Ordinal) || line.Contains(token, StringComparison.Ordinal));
    }

    [Fact]
    public async Task TheGenuineTokenIsAccepted()
    {
        using var client = App.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Mint());
        using var response = await client.GetAsync("/fhir/metadata");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var read = await client.GetAsync($"/fhir/Observation/$lastn?patient={patientId}");
        Assert.Equal(HttpStatusCode.OK, read.StatusCode); // (who may read whose data is issue 4's authorization)
    }

    // The same signature over a payload that claims another NHS number, or another person.
    private string TamperedPayload(string genuine)
    {
        var parts = genuine.Split('.');
        var other = Mint(d => d.Claims[role == DevelopmentRole.Patient ? PatientSignIn.DefaultNhsNumberClaim : "oid"] = role == DevelopmentRole.Patient ? NhsNumbers.Next() : Guid.NewGuid().ToString()).Split('.')[1];
        return $"{parts[0]}.{other}.{parts[2]}";
    }

    private string OtherSchemesKey()
    {
        var issuer = App.Services.GetRequiredService<DevelopmentTokenIssuer>();
        return role == DevelopmentRole.Patient
            ? issuer.Mint(DevelopmentRole.Clinician, null, d => { d.Issuer = DevelopmentTokenIssuer.PatientIssuer; d.Audience = DevelopmentTokenIssuer.DefaultPatientAudience; d.Claims[PatientSignIn.DefaultNhsNumberClaim] = nhs; d.Claims["identity_proofing_level"] = "P9"; })
            : issuer.Mint(DevelopmentRole.Patient, nhs, d => { d.Issuer = DevelopmentTokenIssuer.Issuer; d.Audience = "api://wmtty-development"; d.Claims["scp"] = "Preferences.ReadWrite"; d.Claims["roles"] = new[] { "Wmtty.Clinician" }; });
    }
}

using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Wmtty.Api.SignIn;
using Wmtty.Tests.Infrastructure;

namespace Wmtty.Tests.SignIn;

public sealed class SignInTests
{
    private static readonly Dictionary<string, string?> EntraSettings = new()
    {
        ["AzureAd:TenantId"] = "00000000-0000-0000-0000-000000000001",
        ["AzureAd:ClientId"] = "00000000-0000-0000-0000-000000000002",
    };

    [Theory]
    [InlineData("ehr")]
    [InlineData("clinician")]
    [InlineData("admin")]
    public async Task EveryDevelopmentRoleGetsATokenTheBearerValidationAccepts(string role)
    {
        await using var app = new WmttyApp();
        using var client = await app.ClientAsync(role);
        using var response = await client.GetAsync("/fhir/Patient");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task APatientTokenCarriesTheNhsNumberAndNeedsAValidOne()
    {
        await using var app = new WmttyApp();
        var token = new JsonWebToken(await app.TokenAsync("patient", "9434765919"));
        Assert.Equal("9434765919", token.GetClaim("nhs_number").Value);
        Assert.Equal(DevelopmentTokenIssuer.PatientIssuer, token.Issuer); // the stand-in patient identity provider, not Entra ID
        Assert.Equal("P9", token.GetClaim("identity_proofing_level").Value);

        using var anonymous = app.CreateClient();
        using var missing = await anonymous.GetAsync("/dev/token?role=patient");
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        using var invalid = await anonymous.GetAsync("/dev/token?role=patient&nhs=9434765918");
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        Assert.Contains("check digit", await invalid.Content.ReadAsStringAsync());

        using var client = await app.ClientAsync("patient", "9434765919");
        using var response = await client.GetAsync("/fhir/Patient");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("superuser")]
    [InlineData("")]
    [InlineData("7")]
    public async Task AnUnknownRoleIs400(string role)
    {
        await using var app = new WmttyApp();
        using var client = app.CreateClient();
        using var response = await client.GetAsync($"/dev/token?role={role}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task TheTokenResponseHasTheAdvertisedShape()
    {
        await using var app = new WmttyApp();
        using var client = app.CreateClient();
        using var response = await client.GetAsync("/dev/token?role=ehr");
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.False(string.IsNullOrEmpty(body.GetProperty("access_token").GetString()));
        Assert.Equal(3600, body.GetProperty("expires_in").GetInt32());
        var token = new JsonWebToken(body.GetProperty("access_token").GetString());
        Assert.Equal("api://wmtty-development", token.GetClaim("aud").Value);
        Assert.Contains(token.Claims, c => c.Type == "roles" && c.Value == "Preferences.Read.All");
    }

    [Fact]
    public async Task ATokenFromAnotherInstanceIsRefused()
    {
        await using var first = new WmttyApp();
        await using var second = new WmttyApp();
        var token = await first.TokenAsync();
        using var client = second.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await client.GetAsync("/fhir/Patient");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public void ProductionRefusesToStartWithDevelopmentSignInEnabled()
    {
        using var app = new WmttyApp(new(EntraSettings) { ["DevelopmentSignIn:Enabled"] = "true" }, environment: "Production");
        var error = Assert.ThrowsAny<Exception>(() => app.CreateClient());
        Assert.Contains("Development sign-in", Flatten(error));
    }

    [Fact]
    public void StartingWithoutAnEntraRegistrationFailsWithAClearMessage()
    {
        using var app = new WmttyApp(environment: "Production");
        var error = Assert.ThrowsAny<Exception>(() => app.CreateClient());
        Assert.Contains("AzureAd:ClientId", Flatten(error));
    }

    [Fact]
    public async Task InProductionTheTokenEndpointDoesNotExistAndFhirNeedsAToken()
    {
        await using var app = new WmttyApp(EntraSettings, environment: "Production");
        using var client = app.CreateClient();
        using var token = await client.GetAsync("/dev/token?role=clinician");
        Assert.Equal(HttpStatusCode.NotFound, token.StatusCode);
        using var fhir = await client.GetAsync("/fhir/Patient");
        Assert.Equal(HttpStatusCode.Unauthorized, fhir.StatusCode);
        using var metadata = await client.GetAsync("/fhir/metadata");
        Assert.Equal(HttpStatusCode.OK, metadata.StatusCode);
    }

    private const string DevelopmentIssuer = "https://development-sign-in.wmtty.invalid/v2.0";

    private static string Flatten(Exception error)
    {
        var text = "";
        for (Exception? e = error; e is not null; e = e.InnerException)
        {
            text += e.Message + "\n";
        }

        return text;
    }
}

using System.Text;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Http;
using Wmtty.Api.SignIn;
using Xunit;

namespace Wmtty.Tests.SignIn;

/// <summary>
/// Which bearer scheme a request goes to (<see cref="PatientSignIn.Select"/>), which is remembered per header: a
/// remembered route must never send a token to the other scheme, whatever came before it.
/// </summary>
public sealed class SchemeSelectionTests
{
    private const string PatientIssuer = "https://patients.example.test";
    private const string OtherPatientIssuer = "https://other-patients.example.test";
    private const string EntraIssuer = "https://login.microsoftonline.com/tenant/v2.0";

    [Fact]
    public void EachTokenGoesToTheSchemeOfTheIssuerItNamesEveryTimeItIsSent()
    {
        var patient = Token(PatientIssuer);
        var staff = Token(EntraIssuer);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(PatientSignIn.Scheme, Select(patient, PatientIssuer));
            Assert.Equal(JwtBearerDefaults.AuthenticationScheme, Select(staff, PatientIssuer));
        }

        // The same text with a trailing slash on its issuer, and a token differing from a remembered one only in its issuer.
        Assert.Equal(PatientSignIn.Scheme, Select(Token(PatientIssuer + "/"), PatientIssuer));
        Assert.Equal(JwtBearerDefaults.AuthenticationScheme, Select(Token(PatientIssuer + "x"), PatientIssuer));
    }

    [Fact]
    public void ARouteIsRememberedForTheConfiguredPatientIssuerOnly()
    {
        var token = Token(PatientIssuer);
        Assert.Equal(PatientSignIn.Scheme, Select(token, PatientIssuer));
        Assert.Equal(JwtBearerDefaults.AuthenticationScheme, Select(token, OtherPatientIssuer));
        Assert.Equal(PatientSignIn.Scheme, Select(token, PatientIssuer));
    }

    [Fact]
    public void LongHeadersAndMoreHeadersThanItRemembersStillRouteByWhatTheySay()
    {
        var padding = new string('a', PatientSignIn.MaxRememberedLength);
        Assert.Equal(PatientSignIn.Scheme, Select(Token(PatientIssuer, padding), PatientIssuer));
        Assert.Equal(JwtBearerDefaults.AuthenticationScheme, Select(Token(EntraIssuer, padding), PatientIssuer));

        for (var i = 0; i < PatientSignIn.MaxRemembered + 10; i++)
        {
            var issuer = i % 2 == 0 ? PatientIssuer : EntraIssuer;
            var expected = i % 2 == 0 ? PatientSignIn.Scheme : JwtBearerDefaults.AuthenticationScheme;
            Assert.Equal(expected, Select(Token(issuer, i.ToString(System.Globalization.CultureInfo.InvariantCulture)), PatientIssuer));
        }
    }

    [Theory]
    [InlineData("Bearer not-a-token")]
    [InlineData("Basic dXNlcjpwYXNz")]
    [InlineData("")]
    public void AnythingElseGoesToTheEntraSchemeWhichRefusesIt(string header)
    {
        Assert.Equal(JwtBearerDefaults.AuthenticationScheme, SelectHeader(header, PatientIssuer));
        Assert.Equal(JwtBearerDefaults.AuthenticationScheme, SelectHeader(header, PatientIssuer));
    }

    private static string Select(string token, string patientIssuer) => SelectHeader("Bearer " + token, patientIssuer);

    private static string SelectHeader(string header, string patientIssuer)
    {
        var context = new DefaultHttpContext();
        if (header.Length > 0)
        {
            context.Request.Headers.Authorization = header;
        }

        return PatientSignIn.Select(context, patientIssuer);
    }

    // Unsigned: routing reads the issuer only, and the chosen scheme checks everything else.
    private static string Token(string issuer, string nonce = "") =>
        $"{Base64Url("""{"alg":"RS256","typ":"JWT"}""")}.{Base64Url($$"""{"iss":"{{issuer}}","nonce":"{{nonce}}"}""")}.c2lnbmF0dXJl";

    private static string Base64Url(string json) => Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

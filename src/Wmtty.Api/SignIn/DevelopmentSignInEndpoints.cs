using Wmtty.Fhir.Patients;

namespace Wmtty.Api.SignIn;

internal static class DevelopmentSignInEndpoints
{
    public const string TokenPath = "/dev/token";

    /// <summary>Maps <c>GET /dev/token</c>, only when the Development issuer is registered (Development only).</summary>
    public static WebApplication MapDevelopmentSignIn(this WebApplication app)
    {
        if (!app.DevelopmentSignInEnabled())
        {
            return app;
        }

        app.MapGet(TokenPath, IssueToken)
            .AllowAnonymous()
            .ExcludeFromDescription();
        return app;
    }

    private static IResult IssueToken(string? role, string? nhs, DevelopmentTokenIssuer issuer)
    {
        if (!Enum.TryParse<DevelopmentRole>(role, ignoreCase: true, out var parsed) || !Enum.IsDefined(parsed) || int.TryParse(role, out _))
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status400BadRequest,
                title: "Unknown role",
                detail: "Ask for role=" + string.Join(", ", Enum.GetNames<DevelopmentRole>().Select(n => n.ToLowerInvariant())) + ".");
        }

        if (parsed == DevelopmentRole.Patient && NhsNumber.Check(nhs) is { } problem)
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status400BadRequest,
                title: "A patient token needs a valid NHS number",
                detail: problem + " Try nhs=9434765919.");
        }

        var token = issuer.Mint(parsed, parsed == DevelopmentRole.Patient ? nhs : null);
        return TypedResults.Ok(new TokenResponse(token, (int)issuer.Lifetime.TotalSeconds));
    }

    private sealed record TokenResponse(
        [property: System.Text.Json.Serialization.JsonPropertyName("access_token")] string AccessToken,
        [property: System.Text.Json.Serialization.JsonPropertyName("expires_in")] int ExpiresIn)
    {
        [System.Text.Json.Serialization.JsonPropertyName("token_type")]
        public string TokenType => "Bearer";
    }
}

namespace Wmtty.Api.SignIn;

/// <summary>Section <c>DevelopmentSignIn</c>: a local token issuer for Development only.</summary>
internal sealed class DevelopmentSignInOptions
{
    public const string Section = "DevelopmentSignIn";

    public bool Enabled { get; set; }

    public int TokenLifetimeMinutes { get; set; } = 60;
}

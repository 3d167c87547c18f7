namespace Wmtty.Api.SignIn;

/// <summary>
/// The app roles and delegated scopes registered for the Wmtty API in Entra ID. README describes the
/// app registration that defines them, and CallerMap what each one allows.
/// </summary>
internal static class AccessNames
{
    /// <summary>App role for EHR systems reading preferences (client credentials).</summary>
    public const string ReadAllRole = "Preferences.Read.All";

    /// <summary>App role for systems that also write, such as an integration engine.</summary>
    public const string ReadWriteAllRole = "Preferences.ReadWrite.All";

    /// <summary>Role for service administrators: an app role for applications, and a user role for people.</summary>
    public const string AdminRole = "Wmtty.Admin";

    /// <summary>User role for clinicians, assigned in the enterprise application.</summary>
    public const string ClinicianRole = "Wmtty.Clinician";

    /// <summary>User role for the chaplaincy team.</summary>
    public const string ChaplainRole = "Wmtty.Chaplain";

    /// <summary>User role for community connectors, who invite and help patients.</summary>
    public const string ConnectorRole = "Wmtty.Connector";

    /// <summary>
    /// Role for public-health staff (an ICB's or a council's analysts), a user role for people and an app role for
    /// reporting applications: the de-identified outcome figures, and the definitions; never a patient's data.
    /// </summary>
    public const string PublicHealthRole = "Wmtty.PublicHealth";

    /// <summary>Delegated scope: read, within what the user's role allows.</summary>
    public const string ReadScope = "Preferences.Read";

    /// <summary>Delegated scope: read and write, within what the user's role allows.</summary>
    public const string ReadWriteScope = "Preferences.ReadWrite";
}

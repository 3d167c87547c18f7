namespace Wmtty.Api.SignIn;

/// <summary>
/// The app roles and delegated scopes registered for the Wmtty API in Entra ID, and the claim that
/// carries a patient's NHS number. README describes the app registration that defines them.
/// </summary>
internal static class AccessNames
{
    /// <summary>App role for EHR systems reading preferences (client credentials).</summary>
    public const string ReadAllRole = "Preferences.Read.All";

    /// <summary>App role for systems that also write, such as an integration engine.</summary>
    public const string ReadWriteAllRole = "Preferences.ReadWrite.All";

    /// <summary>App role for service administrators.</summary>
    public const string AdminRole = "Wmtty.Admin";

    /// <summary>User role for clinicians, assigned in the enterprise application.</summary>
    public const string ClinicianRole = "Wmtty.Clinician";

    /// <summary>Delegated scope for a signed-in clinician or connector.</summary>
    public const string ReadWriteScope = "Preferences.ReadWrite";

    /// <summary>Delegated scope a patient's own session carries.</summary>
    public const string PatientScope = "Preferences.Patient";

    /// <summary>The claim with the patient's NHS number in a patient token.</summary>
    public const string NhsNumberClaim = "nhs_number";
}

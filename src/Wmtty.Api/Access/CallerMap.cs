using System.Security.Claims;
using Wmtty.Api.SignIn;
using Wmtty.Fhir.Consents;
using Wmtty.Fhir.Resources;

namespace Wmtty.Api.Access;

/// <summary>
/// Maps a signed-in principal onto SMART App Launch v2 permissions, in one table. Entra ID app roles
/// give application callers <c>system/</c> scopes; a delegated caller gets the <c>user/</c> scopes of
/// their user role, cut down by the delegated scope the application asked for; a patient gets
/// <c>patient/</c> scopes over their own compartment.
/// </summary>
internal static class CallerMap
{
    private const string ScopeClaimLong = "http://schemas.microsoft.com/identity/claims/scope";

    private static readonly string[] DefinitionTypes = [ResourceTypes.Questionnaire, ResourceTypes.CodeSystem, ResourceTypes.ValueSet, ResourceTypes.OperationDefinition, ResourceTypes.Measure];

    /// <param name="Audience">Who the grant's holders are to a patient's Consent; null for a grant that reaches no patient's data.</param>
    private sealed record Grant(string[] Scopes, string? Audience, bool CanInvite = false);

    // Application permissions (client credentials): what the app role allows, as the application itself.
    private static readonly Dictionary<string, Grant> AppRoles = new(StringComparer.Ordinal)
    {
        [AccessNames.ReadAllRole] = new(["system/*.rs"], Audiences.EhrSystems),
        [AccessNames.ReadWriteAllRole] = new(["system/*.cruds"], Audiences.EhrSystems),
        [AccessNames.AdminRole] = new(["system/*.cruds", "system/Consent.cruds", "system/AuditEvent.rs"], Audiences.Administration, CanInvite: true),
        [AccessNames.PublicHealthRole] = new([.. Definitions("system")], null), // and the outcome figures (MeasureAccess)
    };

    // Delegated permissions: what the signed-in user's role allows, limited by the scope the app was given.
    private static readonly Dictionary<string, Grant> UserRoles = new(StringComparer.Ordinal)
    {
        // A clinician records a patient's Consent with them (audited); EHR systems and the other roles cannot change it.
        [AccessNames.ClinicianRole] = new(["user/*.cruds", "user/Consent.cru"], Audiences.CareTeam, CanInvite: true),
        [AccessNames.ChaplainRole] = new(["user/Patient.rs", "user/Observation.rs", "user/QuestionnaireResponse.rs", .. Definitions("user")], Audiences.Chaplaincy),
        [AccessNames.ConnectorRole] = new([.. Definitions("user")], Audiences.Connectors, CanInvite: true),
        [AccessNames.AdminRole] = new(["user/*.cruds", "user/Consent.cruds", "user/AuditEvent.rs"], Audiences.Administration, CanInvite: true),
        [AccessNames.PublicHealthRole] = new([.. Definitions("user")], null), // and the outcome figures (MeasureAccess)
    };

    private static readonly Dictionary<string, Interactions> DelegatedScopes = new(StringComparer.Ordinal)
    {
        [AccessNames.ReadScope] = Interactions.Read | Interactions.Search,
        [AccessNames.ReadWriteScope] = Interactions.All,
    };

    /// <summary>A patient's own data: read what is held, write their answers and their Consent, see who looked.</summary>
    public static IReadOnlyList<SmartScope> PatientScopes { get; } =
        [.. new[] { "patient/Patient.rs", "patient/Observation.rs", "patient/QuestionnaireResponse.crus", "patient/Consent.crus", "patient/AuditEvent.rs" }
            .Concat(Definitions("patient")).Select(SmartScope.Parse)];

    /// <summary>The caller, or null when the principal is not signed in.</summary>
    public static Caller? From(ClaimsPrincipal principal)
    {
        if (principal.Identity?.IsAuthenticated != true)
        {
            return null;
        }

        if (PatientSignIn.NhsNumberOf(principal) is { } nhsNumber)
        {
            return new Caller
            {
                Kind = principal.Identities.Any(i => i.AuthenticationType == PatientSignIn.InvitationIdentity) ? CallerKind.Invitation : CallerKind.Patient,
                Scopes = PatientScopes,
                Subject = Claim(principal, "sub") ?? "unknown",
                ClientId = Claim(principal, "azp") ?? Claim(principal, "client_id"),
                NhsNumber = nhsNumber,
            };
        }

        var roles = principal.FindAll("roles").Concat(principal.FindAll(ClaimTypes.Role)).Select(c => c.Value).Distinct(StringComparer.Ordinal).ToList();
        var scopeText = Claim(principal, "scp") ?? Claim(principal, ScopeClaimLong);
        var subject = Claim(principal, "oid") ?? Claim(principal, "http://schemas.microsoft.com/identity/claims/objectidentifier") ?? Claim(principal, "sub") ?? "unknown";
        var clientId = Claim(principal, "azp") ?? Claim(principal, "appid");
        var name = Claim(principal, "name") ?? Claim(principal, "app_displayname");

        List<Grant> grants;
        Interactions limit;
        CallerKind kind;
        if (scopeText is null)
        {
            // No delegated scope: the application calls as itself, with its app roles.
            kind = CallerKind.System;
            grants = [.. roles.Where(AppRoles.ContainsKey).Select(r => AppRoles[r])];
            limit = Interactions.All;
        }
        else
        {
            kind = CallerKind.User;
            grants = [.. roles.Where(UserRoles.ContainsKey).Select(r => UserRoles[r])];
            limit = scopeText.Split(' ', StringSplitOptions.RemoveEmptyEntries)
                .Aggregate(Interactions.None, (all, scope) => all | DelegatedScopes.GetValueOrDefault(scope));
        }

        return new Caller
        {
            Kind = kind,
            Scopes = [.. grants.SelectMany(g => g.Scopes).Select(SmartScope.Parse).Select(s => s.Limit(limit)).OfType<SmartScope>().Distinct()],
            Audiences = [.. grants.Select(g => g.Audience).OfType<string>().Distinct()],
            CanInvite = grants.Any(g => g.CanInvite) && limit.HasFlag(Interactions.Create),
            Subject = subject,
            Name = name,
            ClientId = clientId,
            Roles = roles,
        };
    }

    private static string? Claim(ClaimsPrincipal principal, string type) => principal.FindFirst(type)?.Value;

    private static IEnumerable<string> Definitions(string context) => DefinitionTypes.Select(t => $"{context}/{t}.rs");
}

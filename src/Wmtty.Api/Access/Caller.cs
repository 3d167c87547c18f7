using System.Security.Claims;


namespace Wmtty.Api.Access;

internal enum CallerKind
{
    /// <summary>An application calling as itself (client credentials), such as an EHR.</summary>
    System,

    /// <summary>A member of staff signed in through an application (delegated).</summary>
    User,

    /// <summary>A patient signed in with the patient identity provider.</summary>
    Patient,

    /// <summary>A patient who came in through an invitation link.</summary>
    Invitation,
}

/// <summary>
/// The caller of one request, as authorization sees it: their SMART permissions, the Consent audiences
/// they belong to, and for a patient, their NHS number and (once found) their Patient id.
/// </summary>
internal sealed class Caller
{
    public required CallerKind Kind { get; init; }

    public required IReadOnlyList<SmartScope> Scopes { get; init; }

    public IReadOnlyList<string> Audiences { get; init; } = [];

    /// <summary>The caller's object id or subject: who, for the audit trail.</summary>
    public required string Subject { get; init; }

    /// <summary>A member of staff's or an application's display name; never a patient's.</summary>
    public string? Name { get; init; }

    public string? ClientId { get; init; }

    public IReadOnlyList<string> Roles { get; init; } = [];

    /// <summary>May create and revoke invitation links.</summary>
    public bool CanInvite { get; init; }

    public string? NhsNumber { get; init; }

    /// <summary>For a patient: the id of their Patient resource, "" when none is stored yet. Null for staff and systems.</summary>
    public string? PatientId { get; set; }

    /// <summary>This request's audit record, for writes that commit it in their own transaction.</summary>
    public AccessRecord? Audit { get; set; }

    /// <summary>Per patient, the sections withheld from this caller: looked up once a request.</summary>
    public Dictionary<string, IReadOnlySet<string>> Withheld { get; } = new(StringComparer.Ordinal);

    public bool IsPatient => Kind is CallerKind.Patient or CallerKind.Invitation;

    public bool Allows(string resourceType, Interactions needed) => Scopes.Any(s => s.Grants(resourceType, needed));

    public string KindName => Kind.ToString().ToLowerInvariant();

    public override string ToString() => string.Join(' ', Scopes);

    private static readonly object Key = new();

    public static Caller? Of(HttpContext context) => context.Items.TryGetValue(Key, out var caller) ? caller as Caller : null;

    public static void Set(HttpContext context, Caller caller) => context.Items[Key] = caller;
}

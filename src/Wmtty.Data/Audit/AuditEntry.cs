namespace Wmtty.Data.Audit;

/// <summary>
/// One access to patient data, allowed or refused: who (<see cref="Subject"/>, <see cref="ClientId"/>,
/// <see cref="Roles"/>), which patients, what (<see cref="Interaction"/> on <see cref="ResourceType"/>),
/// when, and the HTTP status it got. <see cref="Key"/> is 0 until stored.
/// </summary>
public sealed record AuditEntry(
    DateTimeOffset Recorded,
    string Action,
    string Interaction,
    string? ResourceType,
    string? ResourceId,
    int Status,
    string CallerKind,
    string Subject,
    string? SubjectName,
    string? ClientId,
    string? Roles,
    string? RequestId,
    IReadOnlyList<string> Patients)
{
    public long Key { get; init; }
}

/// <summary>A page of the audit trail, newest first: for one patient, or all; between two instants; before a key.</summary>
public sealed record AuditQuery(string? PatientId, DateTimeOffset From, DateTimeOffset To, long BeforeKey, int Limit);

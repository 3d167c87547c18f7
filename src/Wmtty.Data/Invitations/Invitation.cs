namespace Wmtty.Data.Invitations;

/// <summary>Where an invitation link stands: a link is used once, and is then used for good.</summary>
public enum InvitationState
{
    Pending,
    Used,
    Revoked,
    Expired,
}

/// <summary>An invitation link for one patient, as stored: never its token, only who it is for and when it may be used.</summary>
public sealed record Invitation(
    string Id,
    string NhsNumber,
    string CreatedBy,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt,
    DateTimeOffset? UsedAt,
    DateTimeOffset? RevokedAt)
{
    /// <summary>Used and revoked are final; a link neither used nor revoked expires when its time is up.</summary>
    public InvitationState StateAt(DateTimeOffset now) =>
        UsedAt is not null ? InvitationState.Used
        : RevokedAt is not null ? InvitationState.Revoked
        : ExpiresAt <= now ? InvitationState.Expired
        : InvitationState.Pending;
}

/// <summary>
/// The outcome of redeeming a link: <see cref="Redeemed"/> when this request won it (it is now used);
/// otherwise the <see cref="State"/> that stopped it. <see cref="Invitation"/> is null when no link has the token.
/// </summary>
public sealed record Redemption(bool Redeemed, InvitationState State, Invitation? Invitation);

/// <summary>The link's state after revoking: <see cref="InvitationState.Revoked"/>, or <see cref="InvitationState.Used"/> when it could not be. Null invitation when unknown.</summary>
public sealed record Revocation(InvitationState State, Invitation? Invitation);

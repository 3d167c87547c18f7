using System.Data.Common;
using Dapper;
using Wmtty.Data.Storage;

namespace Wmtty.Data.Invitations;

/// <summary>Invitation links, found by id or by the SHA-256 of their token; the token itself is never stored.</summary>
public interface IInvitationStore
{
    Task CreateAsync(Invitation invitation, string tokenHash, CancellationToken cancellationToken);

    Task<Invitation?> ReadAsync(string id, CancellationToken cancellationToken);

    /// <summary>Uses the link if it is usable at <paramref name="now"/>; of concurrent redemptions, exactly one wins.</summary>
    Task<Redemption> RedeemAsync(string tokenHash, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Revokes an unused link; a revoked link stays revoked, and a used link cannot be.</summary>
    Task<Revocation> RevokeAsync(string id, DateTimeOffset now, CancellationToken cancellationToken);
}

internal sealed class InvitationStore(SqlDialect dialect, StoreRetry retry) : IInvitationStore
{
    public Task CreateAsync(Invitation invitation, string tokenHash, CancellationToken cancellationToken) =>
        retry.WriteAsync((connection, transaction, token) => connection.ExecuteAsync(new CommandDefinition(dialect.InsertInvitationSql, new
        {
            invitation.Id,
            TokenHash = tokenHash,
            invitation.NhsNumber,
            invitation.CreatedBy,
            CreatedAt = invitation.CreatedAt.ToUnixTimeMilliseconds(),
            ExpiresAt = invitation.ExpiresAt.ToUnixTimeMilliseconds(),
        }, transaction, cancellationToken: token)), cancellationToken);

    public Task<Invitation?> ReadAsync(string id, CancellationToken cancellationToken) =>
        retry.ReadAsync(async (connection, token) =>
        {
            var row = await connection.QuerySingleOrDefaultAsync<InvitationRow>(new CommandDefinition(dialect.ReadInvitationSql, new { Id = id }, cancellationToken: token));
            return row?.ToInvitation();
        }, cancellationToken);

    public Task<Redemption> RedeemAsync(string tokenHash, DateTimeOffset now, CancellationToken cancellationToken) =>
        retry.WriteAsync(async (connection, transaction, _) =>
        {
            var at = now.ToUnixTimeMilliseconds();
            var won = await connection.QuerySingleOrDefaultAsync<InvitationRow>(dialect.RedeemInvitationSql, new { TokenHash = tokenHash, Now = at }, transaction);
            var redemption = won is not null
                ? new Redemption(true, InvitationState.Pending, won.ToInvitation())
                : await ExplainAsync(connection, transaction, tokenHash, now);
            return redemption;
        }, cancellationToken);

    // Why a link could not be redeemed: it is unknown, or it was used, revoked or has expired.
    private async Task<Redemption> ExplainAsync(DbConnection connection, DbTransaction transaction, string tokenHash, DateTimeOffset now)
    {
        var row = await connection.QuerySingleOrDefaultAsync<InvitationRow>(dialect.ReadInvitationByHashSql, new { TokenHash = tokenHash }, transaction);
        var invitation = row?.ToInvitation();
        return new Redemption(false, invitation?.StateAt(now) ?? InvitationState.Pending, invitation);
    }

    public Task<Revocation> RevokeAsync(string id, DateTimeOffset now, CancellationToken cancellationToken) =>
        retry.WriteAsync(async (connection, transaction, _) =>
        {
            var changed = await connection.ExecuteAsync(dialect.RevokeInvitationSql, new { Id = id, Now = now.ToUnixTimeMilliseconds() }, transaction);
            var invitation = (await connection.QuerySingleOrDefaultAsync<InvitationRow>(dialect.ReadInvitationSql, new { Id = id }, transaction))?.ToInvitation();
            return new Revocation(changed == 1 ? InvitationState.Revoked : invitation?.StateAt(now) ?? InvitationState.Pending, invitation);
        }, cancellationToken);

    private sealed class InvitationRow
    {
        public string Id { get; set; } = "";
        public string TokenHash { get; set; } = "";
        public string NhsNumber { get; set; } = "";
        public string CreatedBy { get; set; } = "";
        public long CreatedAt { get; set; }
        public long ExpiresAt { get; set; }
        public long? UsedAt { get; set; }
        public long? RevokedAt { get; set; }

        public Invitation ToInvitation() => new(
            Id, NhsNumber, CreatedBy, FromMs(CreatedAt), FromMs(ExpiresAt),
            UsedAt is { } used ? FromMs(used) : null, RevokedAt is { } revoked ? FromMs(revoked) : null);

        private static DateTimeOffset FromMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);
    }
}

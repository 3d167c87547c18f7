-- Invitation links for patients with no online account (see the SQLite migration of the same number).
-- Only the SHA-256 of a link's token is kept. A link is used once: used_at is set by the single UPDATE
-- that redeems it, which only succeeds while the link is unused, not revoked and not expired.
CREATE TABLE invitation (
    invitation_id  NVARCHAR(64)  COLLATE Latin1_General_100_BIN2 NOT NULL CONSTRAINT pk_invitation PRIMARY KEY CLUSTERED,
    token_hash     NVARCHAR(64)  COLLATE Latin1_General_100_BIN2 NOT NULL CONSTRAINT uq_invitation_token UNIQUE, -- lower-case hex SHA-256
    nhs_number     NVARCHAR(32)  COLLATE Latin1_General_100_BIN2 NOT NULL,
    created_by     NVARCHAR(MAX) COLLATE Latin1_General_100_BIN2 NOT NULL,
    created_at     BIGINT        NOT NULL,
    expires_at     BIGINT        NOT NULL,
    used_at        BIGINT        NULL,
    revoked_at     BIGINT        NULL
);

-- Invitation links for patients with no online account. Only the SHA-256 of a link's token is kept,
-- so the database cannot give a usable link back. Times are Unix milliseconds, UTC. A link is used
-- once: used_at is set by the single UPDATE that redeems it, which only succeeds while the link is
-- unused, not revoked and not expired.
CREATE TABLE invitation (
    invitation_id  TEXT    PRIMARY KEY,
    token_hash     TEXT    NOT NULL UNIQUE, -- lower-case hex SHA-256 of the token
    nhs_number     TEXT    NOT NULL,
    created_by     TEXT    NOT NULL,        -- the inviting caller's subject
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    used_at        INTEGER NULL,
    revoked_at     INTEGER NULL
);

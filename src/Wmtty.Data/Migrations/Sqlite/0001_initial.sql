-- Every version of every resource. resource_key is monotonic and never reused (AUTOINCREMENT).
-- origin_key is the resource_key of the resource's first version, copied to every later one: the
-- default search order and its keyset, so a resource keeps its place in paging when it is updated.
-- request_method and response_status record how the version came about, for history.
-- json is the UTF-8 resource, meta included; NULL for a delete.
CREATE TABLE resource (
    resource_key     INTEGER PRIMARY KEY AUTOINCREMENT,
    resource_type    TEXT    NOT NULL,
    resource_id      TEXT    NOT NULL,
    version          INTEGER NOT NULL,
    is_current       INTEGER NOT NULL,
    is_deleted       INTEGER NOT NULL,
    last_updated     INTEGER NOT NULL, -- Unix milliseconds, UTC
    origin_key       INTEGER NULL,     -- set in the same transaction as the insert
    request_method   TEXT    NOT NULL, -- POST, PUT or DELETE
    response_status  INTEGER NOT NULL, -- 201, 200 or 204
    json             BLOB    NULL,
    CONSTRAINT uq_resource_version UNIQUE (resource_type, resource_id, version)
);

-- At most one current version of a resource.
CREATE UNIQUE INDEX ux_resource_current ON resource (resource_type, resource_id) WHERE is_current = 1;

-- Type-wide searches page through live current versions in origin or last-updated order.
CREATE INDEX ix_resource_live_origin ON resource (resource_type, origin_key) WHERE is_current = 1 AND is_deleted = 0;
CREATE INDEX ix_resource_live_updated ON resource (resource_type, last_updated, origin_key) WHERE is_current = 1 AND is_deleted = 0;

-- Search index rows belong to the current version only; they are rewritten with it.
CREATE TABLE token_index (
    resource_key   INTEGER NOT NULL REFERENCES resource (resource_key),
    resource_type  TEXT    NOT NULL,
    param          TEXT    NOT NULL,
    system         TEXT    NULL,
    code           TEXT    NOT NULL
);
CREATE INDEX ix_token_lookup ON token_index (resource_type, param, code, system, resource_key);
CREATE INDEX ix_token_system ON token_index (resource_type, param, system, resource_key);
CREATE INDEX ix_token_resource ON token_index (resource_key);

CREATE TABLE reference_index (
    resource_key       INTEGER NOT NULL REFERENCES resource (resource_key),
    resource_type      TEXT    NOT NULL,
    param              TEXT    NOT NULL,
    target_type        TEXT    NULL,
    target_id          TEXT    NULL,
    identifier_system  TEXT    NULL,
    identifier_value   TEXT    NULL
);
CREATE INDEX ix_reference_target ON reference_index (resource_type, param, target_id, target_type, resource_key);
CREATE INDEX ix_reference_identifier ON reference_index (resource_type, param, identifier_value, identifier_system, resource_key);
CREATE INDEX ix_reference_resource ON reference_index (resource_key);

CREATE TABLE date_index (
    resource_key   INTEGER NOT NULL REFERENCES resource (resource_key),
    resource_type  TEXT    NOT NULL,
    param          TEXT    NOT NULL,
    low            INTEGER NOT NULL, -- Unix milliseconds, inclusive
    high           INTEGER NOT NULL  -- Unix milliseconds, inclusive
);
CREATE INDEX ix_date_low ON date_index (resource_type, param, low, high, resource_key);
CREATE INDEX ix_date_high ON date_index (resource_type, param, high, resource_key);
CREATE INDEX ix_date_resource ON date_index (resource_key);

CREATE TABLE string_index (
    resource_key   INTEGER NOT NULL REFERENCES resource (resource_key),
    resource_type  TEXT    NOT NULL,
    param          TEXT    NOT NULL,
    value          TEXT    NOT NULL, -- lower case, accents removed: the default and :contains searches
    exact_value    TEXT    NOT NULL  -- as written: the :exact search
);
CREATE INDEX ix_string_lookup ON string_index (resource_type, param, value, resource_key);
CREATE INDEX ix_string_exact ON string_index (resource_type, param, exact_value, resource_key);
CREATE INDEX ix_string_resource ON string_index (resource_key);

-- The same schema as the SQLite migration of the same number, in T-SQL. Every text column uses the
-- binary collation Latin1_General_100_BIN2: ids, codes and strings compare exactly and case-sensitively,
-- as in SQLite, whatever the database's default collation. Indexed text is at most 256 characters (the
-- service refuses longer values to index), so every index key stays under SQL Server's 1,700 bytes.

-- Every version of every resource. resource_key is monotonic and never reused (IDENTITY).
-- origin_key is the resource_key of the resource's first version, copied to every later one: the
-- default search order and its keyset, so a resource keeps its place in paging when it is updated.
-- json is the UTF-8 resource, meta included; NULL for a delete.
CREATE TABLE resource (
    resource_key     BIGINT         IDENTITY(1, 1) NOT NULL CONSTRAINT pk_resource PRIMARY KEY CLUSTERED,
    resource_type    NVARCHAR(64)   COLLATE Latin1_General_100_BIN2 NOT NULL,
    resource_id      NVARCHAR(64)   COLLATE Latin1_General_100_BIN2 NOT NULL,
    version          BIGINT         NOT NULL,
    is_current       BIT            NOT NULL,
    is_deleted       BIT            NOT NULL,
    last_updated     BIGINT         NOT NULL, -- Unix milliseconds, UTC
    origin_key       BIGINT         NULL,     -- set in the same transaction as the insert
    request_method   NVARCHAR(8)    COLLATE Latin1_General_100_BIN2 NOT NULL,
    response_status  BIGINT         NOT NULL,
    json             VARBINARY(MAX) NULL,
    CONSTRAINT uq_resource_version UNIQUE (resource_type, resource_id, version)
);

-- At most one current version of a resource.
CREATE UNIQUE INDEX ux_resource_current ON resource (resource_type, resource_id) WHERE is_current = 1;

-- Type-wide searches page through live current versions in origin or last-updated order.
CREATE INDEX ix_resource_live_origin ON resource (resource_type, origin_key) WHERE is_current = 1 AND is_deleted = 0;
CREATE INDEX ix_resource_live_updated ON resource (resource_type, last_updated, origin_key) WHERE is_current = 1 AND is_deleted = 0;

-- Search index rows belong to the current version only; they are rewritten with it. Each table is
-- clustered on resource_key, so a version's rows are together and deleted together.
CREATE TABLE token_index (
    resource_key   BIGINT        NOT NULL CONSTRAINT fk_token_resource REFERENCES resource (resource_key),
    resource_type  NVARCHAR(64)  COLLATE Latin1_General_100_BIN2 NOT NULL,
    param          NVARCHAR(64)  COLLATE Latin1_General_100_BIN2 NOT NULL,
    system         NVARCHAR(256) COLLATE Latin1_General_100_BIN2 NULL,
    code           NVARCHAR(256) COLLATE Latin1_General_100_BIN2 NOT NULL
);
CREATE CLUSTERED INDEX ix_token_resource ON token_index (resource_key);
CREATE INDEX ix_token_lookup ON token_index (resource_type, param, code, system, resource_key);
CREATE INDEX ix_token_system ON token_index (resource_type, param, system, resource_key);

CREATE TABLE reference_index (
    resource_key       BIGINT        NOT NULL CONSTRAINT fk_reference_resource REFERENCES resource (resource_key),
    resource_type      NVARCHAR(64)  COLLATE Latin1_General_100_BIN2 NOT NULL,
    param              NVARCHAR(64)  COLLATE Latin1_General_100_BIN2 NOT NULL,
    target_type        NVARCHAR(64)  COLLATE Latin1_General_100_BIN2 NULL,
    target_id          NVARCHAR(256) COLLATE Latin1_General_100_BIN2 NULL,
    identifier_system  NVARCHAR(256) COLLATE Latin1_General_100_BIN2 NULL,
    identifier_value   NVARCHAR(256) COLLATE Latin1_General_100_BIN2 NULL
);
CREATE CLUSTERED INDEX ix_reference_resource ON reference_index (resource_key);
CREATE INDEX ix_reference_target ON reference_index (resource_type, param, target_id, target_type, resource_key);
CREATE INDEX ix_reference_identifier ON reference_index (resource_type, param, identifier_value, identifier_system, resource_key);

CREATE TABLE date_index (
    resource_key   BIGINT       NOT NULL CONSTRAINT fk_date_resource REFERENCES resource (resource_key),
    resource_type  NVARCHAR(64) COLLATE Latin1_General_100_BIN2 NOT NULL,
    param          NVARCHAR(64) COLLATE Latin1_General_100_BIN2 NOT NULL,
    low            BIGINT       NOT NULL, -- Unix milliseconds, inclusive
    high           BIGINT       NOT NULL  -- Unix milliseconds, inclusive
);
CREATE CLUSTERED INDEX ix_date_resource ON date_index (resource_key);
CREATE INDEX ix_date_low ON date_index (resource_type, param, low, high, resource_key);
CREATE INDEX ix_date_high ON date_index (resource_type, param, high, resource_key);

CREATE TABLE string_index (
    resource_key   BIGINT        NOT NULL CONSTRAINT fk_string_resource REFERENCES resource (resource_key),
    resource_type  NVARCHAR(64)  COLLATE Latin1_General_100_BIN2 NOT NULL,
    param          NVARCHAR(64)  COLLATE Latin1_General_100_BIN2 NOT NULL,
    value          NVARCHAR(256) COLLATE Latin1_General_100_BIN2 NOT NULL, -- lower case, accents removed
    exact_value    NVARCHAR(256) COLLATE Latin1_General_100_BIN2 NOT NULL  -- as written
);
CREATE CLUSTERED INDEX ix_string_resource ON string_index (resource_key);
CREATE INDEX ix_string_lookup ON string_index (resource_type, param, value, resource_key);
CREATE INDEX ix_string_exact ON string_index (resource_type, param, exact_value, resource_key);

-- Index rows name their resource type and search parameter by one small integer, not by two strings (see the SQLite
-- migration of the same number). Each index table is copied aside with its rows' keys, made again with param_key in
-- place of resource_type and param, and filled back; batches are split at GO so that each statement is compiled
-- against the table as it is by then. One transaction, like every migration.
CREATE TABLE index_param (
    param_key      INT          IDENTITY(1, 1) NOT NULL CONSTRAINT pk_index_param PRIMARY KEY CLUSTERED,
    resource_type  NVARCHAR(64) COLLATE Latin1_General_100_BIN2 NOT NULL,
    param          NVARCHAR(64) COLLATE Latin1_General_100_BIN2 NOT NULL,
    CONSTRAINT uq_index_param UNIQUE (resource_type, param)
);
GO
INSERT INTO index_param (resource_type, param)
SELECT resource_type, param FROM token_index
UNION SELECT resource_type, param FROM reference_index
UNION SELECT resource_type, param FROM date_index
UNION SELECT resource_type, param FROM string_index
ORDER BY 1, 2;
GO
SELECT i.resource_key, p.param_key, i.system, i.code
INTO token_index_staged
FROM token_index i INNER JOIN index_param p ON p.resource_type = i.resource_type AND p.param = i.param;
GO
DROP TABLE token_index;
GO
CREATE TABLE token_index (
    resource_key       BIGINT NOT NULL CONSTRAINT fk_token_resource REFERENCES resource (resource_key),
    param_key          INT    NOT NULL CONSTRAINT fk_token_param REFERENCES index_param (param_key),
    system             NVARCHAR(256) COLLATE Latin1_General_100_BIN2 NULL,
    code               NVARCHAR(256) COLLATE Latin1_General_100_BIN2 NOT NULL
);
CREATE CLUSTERED INDEX ix_token_resource ON token_index (resource_key);
GO
INSERT INTO token_index (resource_key, param_key, system, code)
SELECT resource_key, param_key, system, code FROM token_index_staged;
DROP TABLE token_index_staged;
CREATE INDEX ix_token_lookup ON token_index (param_key, code, system, resource_key);
CREATE INDEX ix_token_system ON token_index (param_key, system, resource_key);
GO
SELECT i.resource_key, p.param_key, i.target_type, i.target_id, i.identifier_system, i.identifier_value
INTO reference_index_staged
FROM reference_index i INNER JOIN index_param p ON p.resource_type = i.resource_type AND p.param = i.param;
GO
DROP TABLE reference_index;
GO
CREATE TABLE reference_index (
    resource_key       BIGINT NOT NULL CONSTRAINT fk_reference_resource REFERENCES resource (resource_key),
    param_key          INT    NOT NULL CONSTRAINT fk_reference_param REFERENCES index_param (param_key),
    target_type        NVARCHAR(64)  COLLATE Latin1_General_100_BIN2 NULL,
    target_id          NVARCHAR(256) COLLATE Latin1_General_100_BIN2 NULL,
    identifier_system  NVARCHAR(256) COLLATE Latin1_General_100_BIN2 NULL,
    identifier_value   NVARCHAR(256) COLLATE Latin1_General_100_BIN2 NULL
);
CREATE CLUSTERED INDEX ix_reference_resource ON reference_index (resource_key);
GO
INSERT INTO reference_index (resource_key, param_key, target_type, target_id, identifier_system, identifier_value)
SELECT resource_key, param_key, target_type, target_id, identifier_system, identifier_value FROM reference_index_staged;
DROP TABLE reference_index_staged;
CREATE INDEX ix_reference_target ON reference_index (param_key, target_id, target_type, resource_key);
CREATE INDEX ix_reference_identifier ON reference_index (param_key, identifier_value, identifier_system, resource_key);
GO
SELECT i.resource_key, p.param_key, i.low, i.high
INTO date_index_staged
FROM date_index i INNER JOIN index_param p ON p.resource_type = i.resource_type AND p.param = i.param;
GO
DROP TABLE date_index;
GO
CREATE TABLE date_index (
    resource_key       BIGINT NOT NULL CONSTRAINT fk_date_resource REFERENCES resource (resource_key),
    param_key          INT    NOT NULL CONSTRAINT fk_date_param REFERENCES index_param (param_key),
    low                BIGINT       NOT NULL,
    high               BIGINT       NOT NULL
);
CREATE CLUSTERED INDEX ix_date_resource ON date_index (resource_key);
GO
INSERT INTO date_index (resource_key, param_key, low, high)
SELECT resource_key, param_key, low, high FROM date_index_staged;
DROP TABLE date_index_staged;
CREATE INDEX ix_date_low ON date_index (param_key, low, high, resource_key);
CREATE INDEX ix_date_high ON date_index (param_key, high, resource_key);
GO
SELECT i.resource_key, p.param_key, i.value, i.exact_value
INTO string_index_staged
FROM string_index i INNER JOIN index_param p ON p.resource_type = i.resource_type AND p.param = i.param;
GO
DROP TABLE string_index;
GO
CREATE TABLE string_index (
    resource_key       BIGINT NOT NULL CONSTRAINT fk_string_resource REFERENCES resource (resource_key),
    param_key          INT    NOT NULL CONSTRAINT fk_string_param REFERENCES index_param (param_key),
    value              NVARCHAR(256) COLLATE Latin1_General_100_BIN2 NOT NULL,
    exact_value        NVARCHAR(256) COLLATE Latin1_General_100_BIN2 NOT NULL
);
CREATE CLUSTERED INDEX ix_string_resource ON string_index (resource_key);
GO
INSERT INTO string_index (resource_key, param_key, value, exact_value)
SELECT resource_key, param_key, value, exact_value FROM string_index_staged;
DROP TABLE string_index_staged;
CREATE INDEX ix_string_lookup ON string_index (param_key, value, resource_key);
CREATE INDEX ix_string_exact ON string_index (param_key, exact_value, resource_key);
GO

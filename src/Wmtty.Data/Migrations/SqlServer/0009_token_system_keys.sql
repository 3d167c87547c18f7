-- Token rows name their code system by one small integer (see the SQLite migration of the same number). The token
-- index is copied aside with its rows' keys, made again with system_key in place of system, and filled back; batches
-- are split at GO so that each statement is compiled against the table as it is by then. One transaction, like every
-- migration.
CREATE TABLE token_system (
    system_key  INT           IDENTITY(1, 1) NOT NULL CONSTRAINT pk_token_system PRIMARY KEY CLUSTERED,
    system      NVARCHAR(256) COLLATE Latin1_General_100_BIN2 NOT NULL,
    CONSTRAINT uq_token_system UNIQUE (system)
);
GO
INSERT INTO token_system (system)
SELECT DISTINCT system FROM token_index WHERE system IS NOT NULL ORDER BY system;
GO
SELECT i.resource_key, i.param_key, s.system_key, i.code
INTO token_index_staged
FROM token_index i LEFT JOIN token_system s ON s.system = i.system;
GO
DROP TABLE token_index;
GO
CREATE TABLE token_index (
    resource_key       BIGINT NOT NULL CONSTRAINT fk_token_resource REFERENCES resource (resource_key),
    param_key          INT    NOT NULL CONSTRAINT fk_token_param REFERENCES index_param (param_key),
    system_key         INT    NULL     CONSTRAINT fk_token_system REFERENCES token_system (system_key),
    code               NVARCHAR(256) COLLATE Latin1_General_100_BIN2 NOT NULL
);
CREATE CLUSTERED INDEX ix_token_resource ON token_index (resource_key);
GO
INSERT INTO token_index (resource_key, param_key, system_key, code)
SELECT resource_key, param_key, system_key, code FROM token_index_staged;
DROP TABLE token_index_staged;
CREATE INDEX ix_token_lookup ON token_index (param_key, code, system_key, resource_key);
CREATE INDEX ix_token_system ON token_index (param_key, system_key, resource_key);
GO

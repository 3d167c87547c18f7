-- Token rows name their code system by one small integer, as migration 8 did for the resource type and parameter. A
-- system is a URL ('http://snomed.info/sct', or this service's own, about 50 bytes), and it was in every token row and
-- in two of its three index entries. Keys are given out once, by the first write of a system, and never change or go.
-- A token without a system keeps system_key NULL.
CREATE TABLE token_system (
    system_key  INTEGER PRIMARY KEY,
    system      TEXT    NOT NULL,
    CONSTRAINT uq_token_system UNIQUE (system)
);

INSERT INTO token_system (system)
SELECT DISTINCT system FROM token_index WHERE system IS NOT NULL ORDER BY 1;

CREATE TABLE token_index_keyed (
    resource_key   INTEGER NOT NULL REFERENCES resource (resource_key),
    param_key      INTEGER NOT NULL REFERENCES index_param (param_key),
    system_key     INTEGER NULL     REFERENCES token_system (system_key),
    code           TEXT    NOT NULL
);
INSERT INTO token_index_keyed (resource_key, param_key, system_key, code)
SELECT t.resource_key, t.param_key, s.system_key, t.code
FROM token_index t LEFT JOIN token_system s ON s.system = t.system
ORDER BY t.rowid;
DROP TABLE token_index;
ALTER TABLE token_index_keyed RENAME TO token_index;
CREATE INDEX ix_token_lookup ON token_index (param_key, code, system_key, resource_key);
CREATE INDEX ix_token_system ON token_index (param_key, system_key, resource_key);
CREATE INDEX ix_token_resource ON token_index (resource_key);

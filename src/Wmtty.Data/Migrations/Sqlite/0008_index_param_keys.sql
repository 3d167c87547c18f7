-- Index rows name their resource type and search parameter by one small integer, not by two strings. Every index
-- row began with them, in the table and in each of its indexes ('Observation' and 'value-concept' are 24 bytes,
-- a key here is one or two). At 10,000 patients (bench/README.md, "The parameter keys"): the index tables a quarter
-- smaller, SQLite's own time for a response's rows 11% less, the bulk import 10% faster. Keys are given out once, by
-- the first write of a type's parameter, and never change or go.
CREATE TABLE index_param (
    param_key      INTEGER PRIMARY KEY,
    resource_type  TEXT    NOT NULL,
    param          TEXT    NOT NULL,
    CONSTRAINT uq_index_param UNIQUE (resource_type, param)
);

INSERT INTO index_param (resource_type, param)
SELECT resource_type, param FROM token_index
UNION SELECT resource_type, param FROM reference_index
UNION SELECT resource_type, param FROM date_index
UNION SELECT resource_type, param FROM string_index
ORDER BY 1, 2;

CREATE TABLE token_index_keyed (
    resource_key   INTEGER NOT NULL REFERENCES resource (resource_key),
    param_key      INTEGER NOT NULL REFERENCES index_param (param_key),
    system         TEXT    NULL,
    code           TEXT    NOT NULL
);
INSERT INTO token_index_keyed (resource_key, param_key, system, code)
SELECT t.resource_key, p.param_key, t.system, t.code
FROM token_index t JOIN index_param p ON p.resource_type = t.resource_type AND p.param = t.param
ORDER BY t.rowid;
DROP TABLE token_index;
ALTER TABLE token_index_keyed RENAME TO token_index;
CREATE INDEX ix_token_lookup ON token_index (param_key, code, system, resource_key);
CREATE INDEX ix_token_system ON token_index (param_key, system, resource_key);
CREATE INDEX ix_token_resource ON token_index (resource_key);

CREATE TABLE reference_index_keyed (
    resource_key       INTEGER NOT NULL REFERENCES resource (resource_key),
    param_key          INTEGER NOT NULL REFERENCES index_param (param_key),
    target_type        TEXT    NULL,
    target_id          TEXT    NULL,
    identifier_system  TEXT    NULL,
    identifier_value   TEXT    NULL
);
INSERT INTO reference_index_keyed (resource_key, param_key, target_type, target_id, identifier_system, identifier_value)
SELECT x.resource_key, p.param_key, x.target_type, x.target_id, x.identifier_system, x.identifier_value
FROM reference_index x JOIN index_param p ON p.resource_type = x.resource_type AND p.param = x.param
ORDER BY x.rowid;
DROP TABLE reference_index;
ALTER TABLE reference_index_keyed RENAME TO reference_index;
CREATE INDEX ix_reference_target ON reference_index (param_key, target_id, target_type, resource_key);
CREATE INDEX ix_reference_identifier ON reference_index (param_key, identifier_value, identifier_system, resource_key);
CREATE INDEX ix_reference_resource ON reference_index (resource_key);

CREATE TABLE date_index_keyed (
    resource_key   INTEGER NOT NULL REFERENCES resource (resource_key),
    param_key      INTEGER NOT NULL REFERENCES index_param (param_key),
    low            INTEGER NOT NULL, -- Unix milliseconds, inclusive
    high           INTEGER NOT NULL  -- Unix milliseconds, inclusive
);
INSERT INTO date_index_keyed (resource_key, param_key, low, high)
SELECT d.resource_key, p.param_key, d.low, d.high
FROM date_index d JOIN index_param p ON p.resource_type = d.resource_type AND p.param = d.param
ORDER BY d.rowid;
DROP TABLE date_index;
ALTER TABLE date_index_keyed RENAME TO date_index;
CREATE INDEX ix_date_low ON date_index (param_key, low, high, resource_key);
CREATE INDEX ix_date_high ON date_index (param_key, high, resource_key);
CREATE INDEX ix_date_resource ON date_index (resource_key);

CREATE TABLE string_index_keyed (
    resource_key   INTEGER NOT NULL REFERENCES resource (resource_key),
    param_key      INTEGER NOT NULL REFERENCES index_param (param_key),
    value          TEXT    NOT NULL, -- lower case, accents removed: the default and :contains searches
    exact_value    TEXT    NOT NULL  -- as written: the :exact search
);
INSERT INTO string_index_keyed (resource_key, param_key, value, exact_value)
SELECT s.resource_key, p.param_key, s.value, s.exact_value
FROM string_index s JOIN index_param p ON p.resource_type = s.resource_type AND p.param = s.param
ORDER BY s.rowid;
DROP TABLE string_index;
ALTER TABLE string_index_keyed RENAME TO string_index;
CREATE INDEX ix_string_lookup ON string_index (param_key, value, resource_key);
CREATE INDEX ix_string_exact ON string_index (param_key, exact_value, resource_key);
CREATE INDEX ix_string_resource ON string_index (resource_key);

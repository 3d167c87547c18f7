-- The SQLite migration of the same number cuts indexed strings an earlier build stored at up to 1,000
-- characters to 256. SQL Server's index columns have held at most 256 from the start (NVARCHAR(256)),
-- so nothing here is longer; the statements keep the two schemas at the same version, and say so.
UPDATE string_index SET value = LEFT(value, 256) WHERE LEN(value) > 256;
UPDATE string_index SET exact_value = LEFT(exact_value, 256) WHERE LEN(exact_value) > 256;

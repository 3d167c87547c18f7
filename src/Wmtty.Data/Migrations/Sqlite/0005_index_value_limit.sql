-- Indexed strings are now at most 256 characters (they were 1,000), so that every index key also fits
-- SQL Server's. Search values are cut to the same length, so values an earlier build indexed in full
-- are cut here too: :exact and starts-with searches for them keep matching. (SQLite counts characters
-- here; the service counts UTF-16 units, so a long value of emoji or other characters outside the Basic
-- Multilingual Plane may be cut a little longer than a search value is.)
UPDATE string_index SET value = substr(value, 1, 256) WHERE length(value) > 256;
UPDATE string_index SET exact_value = substr(exact_value, 1, 256) WHERE length(exact_value) > 256;

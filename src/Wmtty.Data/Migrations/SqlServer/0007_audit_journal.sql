-- How far each audit journal file has been folded into the audit tables (see the SQLite migration of the
-- same number). Only the SQLite build keeps a journal; on SQL Server audit records are committed to the
-- database directly and this table stays empty. It is here so both have the same schema versions.
CREATE TABLE audit_journal (
    journal_id      NVARCHAR(64) COLLATE Latin1_General_100_BIN2 NOT NULL CONSTRAINT pk_audit_journal PRIMARY KEY CLUSTERED,
    folded_through  BIGINT       NOT NULL
);

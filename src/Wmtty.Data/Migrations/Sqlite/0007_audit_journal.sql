-- How far each audit journal file has been folded into audit_record and audit_patient (AuditJournal): the
-- highest sequence number of that file already stored. Written in the transaction that stores the records,
-- so a file read again after a crash stores only what the database does not hold yet. SQLite only: on
-- SQL Server, audit records are committed to the database directly.
CREATE TABLE audit_journal (
    journal_id      TEXT    NOT NULL PRIMARY KEY,
    folded_through  INTEGER NOT NULL
);

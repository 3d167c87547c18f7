-- Each patient's current preferences in one row (see the SQLite migration of the same number).
CREATE TABLE preference_current (
    patient_id  NVARCHAR(64)   COLLATE Latin1_General_100_BIN2 NOT NULL CONSTRAINT pk_preference_current PRIMARY KEY CLUSTERED,
    entries     VARBINARY(MAX) NOT NULL
);

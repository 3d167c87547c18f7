-- The patients whose one-row projections were written before this version, to be rewritten deflated in the
-- background (see the SQLite migration of the same number).
CREATE TABLE preference_current_rewrite (
    patient_id  NVARCHAR(64) COLLATE Latin1_General_100_BIN2 NOT NULL CONSTRAINT pk_preference_current_rewrite PRIMARY KEY CLUSTERED
);

INSERT INTO preference_current_rewrite (patient_id)
SELECT patient_id FROM preference_current;

-- The patients whose one-row projections (preference_current) were written before this version, to be rewritten in
-- the current format. Builds from now on store the rows deflated (PreferenceProjection, format 2: about 6 times
-- smaller), and rows written before stay as they were until the patient's next write. The service works through this
-- list in the background after start-up (PreferenceStore.RewriteOldProjectionsAsync), a batch a transaction, and
-- takes each patient off it as it goes, so a restart carries on where it stopped and an empty list costs nothing.
-- Rows already deflated (written by the builds between format 2 and this migration) are only taken off.
CREATE TABLE preference_current_rewrite (
    patient_id  TEXT NOT NULL PRIMARY KEY
) WITHOUT ROWID;

INSERT INTO preference_current_rewrite (patient_id)
SELECT patient_id FROM preference_current;

-- What the outcome figures (issue 9, Wmtty.Fhir/Measures) count of each preference set, taken when the set is written and
-- removed with it, so the figures are counted in SQL without reading a resource: the language the questionnaire was
-- answered in, who helped (patient alone, connector, family, clinician), the patient's registered GP practice (ODS code)
-- and postcode district (the outward code only: a full postcode is never stored here), and each answer to the needs
-- questions (interpreter language, written format, reasonable adjustments, clinician gender, diet, faith needs), with
-- whether it is a need ("None", "No preference" and "Prefer not to say" are not). NULL where not recorded.
ALTER TABLE preference_response ADD COLUMN response_language TEXT NULL;
ALTER TABLE preference_response ADD COLUMN completed_by TEXT NULL;
ALTER TABLE preference_response ADD COLUMN gp_practice TEXT NULL;
ALTER TABLE preference_response ADD COLUMN postcode_district TEXT NULL;

CREATE TABLE preference_need (
    set_key  INTEGER NOT NULL REFERENCES preference_response (set_key),
    need     TEXT    NOT NULL, -- the question's code in the service's CodeSystem, e.g. 'diet'
    answer   TEXT    NOT NULL, -- the answer's code, e.g. 'halal'
    is_need  INTEGER NOT NULL, -- 1 for a need, 0 for 'none', 'no-preference' or 'prefer-not-to-say'
    PRIMARY KEY (set_key, need, answer)
) WITHOUT ROWID;

-- The sets written before this migration, whose facts the service takes in the background after start-up, a batch a
-- transaction, from their responses, Observations and Patients (MeasureBackfill), taking each off this list as it goes;
-- until then they count as "not recorded" in the breakdowns. A restart carries on where it stopped.
CREATE TABLE preference_measure_backfill (
    set_key  INTEGER NOT NULL PRIMARY KEY
) WITHOUT ROWID;

INSERT INTO preference_measure_backfill (set_key)
SELECT set_key FROM preference_response;

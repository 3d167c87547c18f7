-- Each patient's current preference set: the Observations extracted from their latest completed
-- QuestionnaireResponse (latest by authored time). A new set replaces the old one; the Observations
-- themselves are never deleted, so history keeps every earlier set. This is the $lastn hot path:
-- one patient's rows, by primary key, whatever the number of patients.
CREATE TABLE preference_set (
    patient_id   TEXT    NOT NULL PRIMARY KEY,
    response_id  TEXT    NOT NULL,
    authored     INTEGER NOT NULL  -- Unix milliseconds, UTC
) WITHOUT ROWID;

-- Which patient's set a response gave, when it is corrected, moved or deleted.
CREATE INDEX ix_preference_set_response ON preference_set (response_id);

CREATE TABLE preference_current (
    patient_id      TEXT    NOT NULL,
    observation_id  TEXT    NOT NULL,
    code_system     TEXT    NOT NULL, -- '' for a code without a system
    code            TEXT    NOT NULL,
    position        INTEGER NOT NULL, -- questionnaire order, for reading back in the order asked
    PRIMARY KEY (patient_id, observation_id)
) WITHOUT ROWID;

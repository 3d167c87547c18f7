-- The preference sets What Matters To You responses give. Each completed response that currently
-- gives a set has one preference_response row (replaced when the response is amended, removed when it
-- stops being complete, moves or is deleted) and its Observations in preference_observation. A
-- patient's current preferences are the set of their latest-authored response: found by index, one
-- patient's rows, whatever the number of patients. The Observations themselves are never deleted, so
-- history keeps every earlier set.
CREATE TABLE preference_response (
    set_key      INTEGER PRIMARY KEY AUTOINCREMENT, -- later writes win ties on authored
    response_id  TEXT    NOT NULL UNIQUE,
    patient_id   TEXT    NOT NULL,
    authored     INTEGER NOT NULL                   -- Unix milliseconds, UTC
);
CREATE INDEX ix_preference_response_patient ON preference_response (patient_id, authored, set_key);

CREATE TABLE preference_observation (
    set_key         INTEGER NOT NULL REFERENCES preference_response (set_key),
    observation_id  TEXT    NOT NULL,
    code_system     TEXT    NOT NULL, -- '' for a code without a system
    code            TEXT    NOT NULL,
    position        INTEGER NOT NULL, -- questionnaire order
    PRIMARY KEY (set_key, observation_id)
) WITHOUT ROWID;
CREATE INDEX ix_preference_observation_id ON preference_observation (observation_id);

-- Every Observation ever extracted from each response, whichever version: what is withdrawn when the
-- response turns out to be wrong. Only these, not whatever else claims to be derived from it.
CREATE TABLE extracted_observation (
    response_id     TEXT NOT NULL,
    observation_id  TEXT NOT NULL,
    PRIMARY KEY (response_id, observation_id)
) WITHOUT ROWID;

-- Each patient's current preferences in one row: what the join of preference_response,
-- preference_observation and resource gives for them (the current versions of the Observations of their
-- latest-authored set), encoded by PreferenceProjection. $lastn reads this one row instead of a row and an
-- index lookup per Observation. Rewritten in the transaction of every write that changes a set or one of
-- its Observations; a patient without a row (no set, or data stored before this migration) is read
-- through the join.
CREATE TABLE preference_current (
    patient_id  TEXT NOT NULL PRIMARY KEY,
    entries     BLOB NOT NULL
);

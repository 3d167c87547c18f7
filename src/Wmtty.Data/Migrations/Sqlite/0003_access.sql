-- Who may see what. compartment is the id of the Patient whose data a version is (the Patient itself,
-- or the subject of an Observation or QuestionnaireResponse, or the patient of a Consent); NULL for
-- definitions and for what names no patient known here. A patient's own reads and searches are
-- limited to their compartment by this column.
ALTER TABLE resource ADD COLUMN compartment TEXT NULL;

UPDATE resource SET compartment = resource_id WHERE resource_type = 'Patient';

-- Earlier versions take the patient their resource's current version names.
UPDATE resource SET compartment = (
    SELECT x.target_id
    FROM resource c
    JOIN reference_index x ON x.resource_key = c.resource_key
    WHERE c.resource_type = resource.resource_type AND c.resource_id = resource.resource_id AND c.is_current = 1
      AND x.param = 'patient' AND x.target_type = 'Patient'
    LIMIT 1)
WHERE resource_type IN ('Observation', 'QuestionnaireResponse');

CREATE INDEX ix_resource_compartment ON resource (compartment, resource_type, origin_key) WHERE is_current = 1 AND is_deleted = 0;

-- The sections a patient's active privacy Consents withhold, and from whom ('*': everyone but the
-- patient). Rewritten from the patient's Consents in the transaction that writes one of them.
CREATE TABLE consent_withheld (
    patient_id      TEXT NOT NULL,
    audience        TEXT NOT NULL,
    section_system  TEXT NOT NULL,
    section_code    TEXT NOT NULL,
    PRIMARY KEY (patient_id, audience, section_system, section_code)
) WITHOUT ROWID;

-- Every access to patient data, allowed or refused. Append-only: the triggers refuse any change.
-- It never holds what a patient wrote: no answers, no query strings, no names of patients.
CREATE TABLE audit_record (
    audit_key      INTEGER PRIMARY KEY AUTOINCREMENT,
    recorded       INTEGER NOT NULL, -- Unix milliseconds, UTC
    action         TEXT    NOT NULL, -- C, R, U, D or E (FHIR AuditEvent.action)
    interaction    TEXT    NOT NULL, -- read, search-type, create, ..., or an operation such as $lastn
    resource_type  TEXT    NULL,
    resource_id    TEXT    NULL,
    status         INTEGER NOT NULL, -- the HTTP status answered
    caller_kind    TEXT    NOT NULL, -- system, user, patient or invitation
    subject        TEXT    NOT NULL, -- the caller's object id or subject
    subject_name   TEXT    NULL,     -- a member of staff's or an application's display name; never a patient's
    client_id      TEXT    NULL,     -- the client application the token was issued to
    roles          TEXT    NULL,     -- the caller's roles, space-separated
    request_id     TEXT    NULL
);
CREATE INDEX ix_audit_recorded ON audit_record (recorded, audit_key);

CREATE TABLE audit_patient (
    patient_id  TEXT    NOT NULL,
    audit_key   INTEGER NOT NULL REFERENCES audit_record (audit_key),
    PRIMARY KEY (patient_id, audit_key)
) WITHOUT ROWID;

CREATE TRIGGER audit_record_append_only_update BEFORE UPDATE ON audit_record
BEGIN SELECT RAISE(ABORT, 'The audit trail is append-only.'); END;
CREATE TRIGGER audit_record_append_only_delete BEFORE DELETE ON audit_record
BEGIN SELECT RAISE(ABORT, 'The audit trail is append-only.'); END;
CREATE TRIGGER audit_patient_append_only_update BEFORE UPDATE ON audit_patient
BEGIN SELECT RAISE(ABORT, 'The audit trail is append-only.'); END;
CREATE TRIGGER audit_patient_append_only_delete BEFORE DELETE ON audit_patient
BEGIN SELECT RAISE(ABORT, 'The audit trail is append-only.'); END;

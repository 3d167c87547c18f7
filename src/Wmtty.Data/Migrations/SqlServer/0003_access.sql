-- Who may see what (see the SQLite migration of the same number). The new column must exist before
-- the batch that fills it is compiled, hence GO.
ALTER TABLE resource ADD compartment NVARCHAR(64) COLLATE Latin1_General_100_BIN2 NULL;
GO

UPDATE resource SET compartment = resource_id WHERE resource_type = N'Patient';

-- Earlier versions take the patient their resource's current version names.
UPDATE v SET compartment = (
    SELECT TOP (1) x.target_id
    FROM resource c
    INNER JOIN reference_index x ON x.resource_key = c.resource_key
    WHERE c.resource_type = v.resource_type AND c.resource_id = v.resource_id AND c.is_current = 1
      AND x.param = N'patient' AND x.target_type = N'Patient')
FROM resource v
WHERE v.resource_type IN (N'Observation', N'QuestionnaireResponse');

CREATE INDEX ix_resource_compartment ON resource (compartment, resource_type, origin_key) WHERE is_current = 1 AND is_deleted = 0;

-- The sections a patient's active privacy Consents withhold, and from whom ('*': everyone but the patient).
CREATE TABLE consent_withheld (
    patient_id      NVARCHAR(64)  COLLATE Latin1_General_100_BIN2 NOT NULL,
    audience        NVARCHAR(64)  COLLATE Latin1_General_100_BIN2 NOT NULL,
    section_system  NVARCHAR(256) COLLATE Latin1_General_100_BIN2 NOT NULL,
    section_code    NVARCHAR(64)  COLLATE Latin1_General_100_BIN2 NOT NULL,
    CONSTRAINT pk_consent_withheld PRIMARY KEY CLUSTERED (patient_id, audience, section_system, section_code)
);

-- Every access to patient data, allowed or refused. Append-only: the triggers below refuse any change.
-- It never holds what a patient wrote: no answers, no query strings, no names of patients. Columns that
-- no index uses are NVARCHAR(MAX), so nothing a caller sends can be too long to audit.
CREATE TABLE audit_record (
    audit_key      BIGINT        IDENTITY(1, 1) NOT NULL CONSTRAINT pk_audit_record PRIMARY KEY CLUSTERED,
    recorded       BIGINT        NOT NULL, -- Unix milliseconds, UTC
    action         NVARCHAR(8)   COLLATE Latin1_General_100_BIN2 NOT NULL,
    interaction    NVARCHAR(MAX) COLLATE Latin1_General_100_BIN2 NOT NULL,
    resource_type  NVARCHAR(MAX) COLLATE Latin1_General_100_BIN2 NULL,
    resource_id    NVARCHAR(MAX) COLLATE Latin1_General_100_BIN2 NULL,
    status         BIGINT        NOT NULL,
    caller_kind    NVARCHAR(32)  COLLATE Latin1_General_100_BIN2 NOT NULL,
    subject        NVARCHAR(MAX) COLLATE Latin1_General_100_BIN2 NOT NULL,
    subject_name   NVARCHAR(MAX) COLLATE Latin1_General_100_BIN2 NULL,
    client_id      NVARCHAR(MAX) COLLATE Latin1_General_100_BIN2 NULL,
    roles          NVARCHAR(MAX) COLLATE Latin1_General_100_BIN2 NULL,
    request_id     NVARCHAR(MAX) COLLATE Latin1_General_100_BIN2 NULL
);
CREATE INDEX ix_audit_recorded ON audit_record (recorded, audit_key);

CREATE TABLE audit_patient (
    patient_id  NVARCHAR(64) COLLATE Latin1_General_100_BIN2 NOT NULL,
    audit_key   BIGINT       NOT NULL CONSTRAINT fk_audit_patient_record REFERENCES audit_record (audit_key),
    CONSTRAINT pk_audit_patient PRIMARY KEY CLUSTERED (patient_id, audit_key)
);
GO

CREATE TRIGGER audit_record_append_only ON audit_record AFTER UPDATE, DELETE AS
BEGIN
    SET NOCOUNT ON;
    THROW 51010, N'The audit trail is append-only.', 1;
END;
GO

CREATE TRIGGER audit_patient_append_only ON audit_patient AFTER UPDATE, DELETE AS
BEGIN
    SET NOCOUNT ON;
    THROW 51010, N'The audit trail is append-only.', 1;
END;

-- The preference sets What Matters To You responses give (see the SQLite migration of the same number).
CREATE TABLE preference_response (
    set_key      BIGINT       IDENTITY(1, 1) NOT NULL CONSTRAINT pk_preference_response PRIMARY KEY CLUSTERED,
    response_id  NVARCHAR(64) COLLATE Latin1_General_100_BIN2 NOT NULL CONSTRAINT uq_preference_response UNIQUE,
    patient_id   NVARCHAR(64) COLLATE Latin1_General_100_BIN2 NOT NULL,
    authored     BIGINT       NOT NULL -- Unix milliseconds, UTC
);
CREATE INDEX ix_preference_response_patient ON preference_response (patient_id, authored, set_key);

CREATE TABLE preference_observation (
    set_key         BIGINT        NOT NULL CONSTRAINT fk_preference_observation_set REFERENCES preference_response (set_key),
    observation_id  NVARCHAR(64)  COLLATE Latin1_General_100_BIN2 NOT NULL,
    code_system     NVARCHAR(256) COLLATE Latin1_General_100_BIN2 NOT NULL, -- '' for a code without a system
    code            NVARCHAR(256) COLLATE Latin1_General_100_BIN2 NOT NULL,
    position        BIGINT        NOT NULL, -- questionnaire order
    CONSTRAINT pk_preference_observation PRIMARY KEY CLUSTERED (set_key, observation_id)
);
CREATE INDEX ix_preference_observation_id ON preference_observation (observation_id);

CREATE TABLE extracted_observation (
    response_id     NVARCHAR(64) COLLATE Latin1_General_100_BIN2 NOT NULL,
    observation_id  NVARCHAR(64) COLLATE Latin1_General_100_BIN2 NOT NULL,
    CONSTRAINT pk_extracted_observation PRIMARY KEY CLUSTERED (response_id, observation_id)
);

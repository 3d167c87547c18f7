-- What the outcome figures count of each preference set (see the SQLite migration of the same number).
ALTER TABLE preference_response ADD
    response_language  NVARCHAR(64) COLLATE Latin1_General_100_BIN2 NULL,
    completed_by       NVARCHAR(16) COLLATE Latin1_General_100_BIN2 NULL,
    gp_practice        NVARCHAR(16) COLLATE Latin1_General_100_BIN2 NULL,
    postcode_district  NVARCHAR(8)  COLLATE Latin1_General_100_BIN2 NULL;

CREATE TABLE preference_need (
    set_key  BIGINT       NOT NULL CONSTRAINT fk_preference_need_set REFERENCES preference_response (set_key),
    need     NVARCHAR(64) COLLATE Latin1_General_100_BIN2 NOT NULL,
    answer   NVARCHAR(64) COLLATE Latin1_General_100_BIN2 NOT NULL,
    is_need  INT          NOT NULL,
    CONSTRAINT pk_preference_need PRIMARY KEY CLUSTERED (set_key, need, answer)
);

-- The sets written before this migration, whose facts are taken in the background (see the SQLite migration).
CREATE TABLE preference_measure_backfill (
    set_key  BIGINT NOT NULL CONSTRAINT pk_preference_measure_backfill PRIMARY KEY CLUSTERED
);

INSERT INTO preference_measure_backfill (set_key)
SELECT set_key FROM preference_response;

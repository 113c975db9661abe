-- Version 6: what an upload set aside, kept with the load that read it.
-- Grain: one row per rejected row of a file: its row number (1 = the first data row),
-- the problems found (JSON list of {"column", "problem"}) and the row as read (JSON).
CREATE TABLE ingest_quarantine (
    ingest_id  BIGINT NOT NULL,
    row_number BIGINT NOT NULL,
    problems   VARCHAR NOT NULL,
    data       VARCHAR NOT NULL
);

-- Grain: one row per loaded row that carried columns the kind does not know: they are
-- kept here (JSON), never silently dropped, unless the user chose to drop them.
CREATE TABLE ingest_extra (
    ingest_id  BIGINT NOT NULL,
    row_number BIGINT NOT NULL,
    data       VARCHAR NOT NULL
);

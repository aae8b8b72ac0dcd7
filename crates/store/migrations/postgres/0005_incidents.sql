-- Incidents (issues labelled `incident`): the same tables, columns and meaning as
-- migrations/sqlite/0005_incidents.sql, with BIGINT, BOOLEAN and an identity column. Every time
-- is GitHub's (unix milliseconds), so a late or repeated delivery rewrites the same figures.
CREATE TABLE incidents (
    repo             TEXT    NOT NULL,
    number           BIGINT  NOT NULL,
    title            TEXT    NOT NULL,
    severity         TEXT,
    state            TEXT    NOT NULL,
    opened_at        BIGINT  NOT NULL,
    acknowledged_at  BIGINT,
    resolved_at      BIGINT,
    ack_deadline     BIGINT  NOT NULL,
    deadline_checked BOOLEAN NOT NULL DEFAULT FALSE,
    postmortem       TEXT,
    updated_at       BIGINT  NOT NULL,
    PRIMARY KEY (repo, number)
);

CREATE INDEX incidents_by_opened ON incidents (opened_at);
CREATE INDEX incidents_due ON incidents (ack_deadline) WHERE state = 'open' AND NOT deadline_checked;

-- The notification hook's outbox (see the SQLite migration).
CREATE TABLE incident_events (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    repo        TEXT   NOT NULL,
    number      BIGINT NOT NULL,
    kind        TEXT   NOT NULL,
    at          BIGINT NOT NULL,
    body        TEXT   NOT NULL,
    recorded_at BIGINT NOT NULL,
    UNIQUE (repo, number, kind, at)
);

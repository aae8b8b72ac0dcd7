-- Incidents (issues labelled `incident`): one row per issue, every time GitHub's (unix
-- milliseconds of the issue's created_at, the first assignment or outside comment, the closed_at
-- of the close that stands), so a late or repeated delivery rewrites the same figures.
CREATE TABLE incidents (
    repo             TEXT    NOT NULL,
    number           INTEGER NOT NULL,
    title            TEXT    NOT NULL,
    severity         TEXT,
    -- open, resolved (closed as completed, with a postmortem or waived) or dismissed (not planned)
    state            TEXT    NOT NULL,
    opened_at        INTEGER NOT NULL,
    acknowledged_at  INTEGER,
    resolved_at      INTEGER,
    -- when an owner is due (opened_at + incidents.acknowledge_within)
    ack_deadline     INTEGER NOT NULL,
    -- the incident was judged at or after its deadline (the timed check need not look again)
    deadline_checked INTEGER NOT NULL DEFAULT 0,
    postmortem       TEXT,
    updated_at       INTEGER NOT NULL,
    PRIMARY KEY (repo, number)
);

CREATE INDEX incidents_by_opened ON incidents (opened_at);
CREATE INDEX incidents_due ON incidents (ack_deadline) WHERE state = 'open' AND deadline_checked = 0;

-- The notification hook's outbox: what happened to incidents (opened, unacknowledged, resolved),
-- appended once per fact (kind and GitHub's time), for the notification work to send in id order.
CREATE TABLE incident_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    repo        TEXT    NOT NULL,
    number      INTEGER NOT NULL,
    kind        TEXT    NOT NULL,
    at          INTEGER NOT NULL,
    body        TEXT    NOT NULL,
    recorded_at INTEGER NOT NULL,
    UNIQUE (repo, number, kind, at)
);

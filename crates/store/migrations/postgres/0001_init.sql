-- plasma-ops store, PostgreSQL dialect: the same tables, columns and meaning as
-- migrations/sqlite/0001_init.sql, with BIGINT for integers, identity columns, BOOLEAN and BYTEA.
-- Timestamps are unix milliseconds. JSON columns stay TEXT so they read back exactly as written.

-- Every webhook delivery, committed before the 2xx goes back. The primary key is GitHub's
-- X-GitHub-Delivery id, which is what makes a redelivery a no-op.
CREATE TABLE deliveries (
    id           TEXT   NOT NULL PRIMARY KEY,
    event        TEXT   NOT NULL,
    action       TEXT,
    repository   TEXT,
    installation BIGINT,
    received_at  BIGINT NOT NULL,
    processed_at BIGINT,
    outcome      TEXT,
    body         BYTEA  NOT NULL
);

CREATE INDEX deliveries_unprocessed ON deliveries (received_at) WHERE processed_at IS NULL;

-- One row per job key (`owner/repo#n`) while it has work: the row is deleted when a run completes
-- with nothing new to do. An identity column never hands out an id twice: the action log refers
-- to job ids.
CREATE TABLE jobs (
    id                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_key            TEXT   NOT NULL UNIQUE,
    state              TEXT   NOT NULL CHECK (state IN ('pending', 'leased', 'dead')),
    -- attempts of the current series; reset when a run succeeds or a dead job is retried
    attempts           BIGINT NOT NULL DEFAULT 0,
    -- bumped by every lease and by every trigger that arrives while leased; never reset
    generation         BIGINT NOT NULL DEFAULT 0,
    -- the generation the current lease was granted at: the lease's identity
    lease_generation   BIGINT,
    run_after          BIGINT NOT NULL,
    lease_owner        TEXT,
    lease_expires      BIGINT,
    -- JSON array of delivery ids (or "sweep") for the current or next run
    causes             TEXT   NOT NULL DEFAULT '[]',
    -- JSON array of causes that arrived while leased: they need another run
    rerun_causes       TEXT   NOT NULL DEFAULT '[]',
    rerun_since        BIGINT,
    last_error         TEXT,
    first_triggered_at BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL
);

CREATE INDEX jobs_runnable ON jobs (state, run_after);
CREATE INDEX jobs_lease_expiry ON jobs (state, lease_expires);

-- Every write made to GitHub (or planned, in dry run).
CREATE TABLE actions (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_key     TEXT    NOT NULL,
    delivery_id TEXT,
    job_id      BIGINT,
    kind        TEXT    NOT NULL,
    dry_run     BOOLEAN NOT NULL,
    before_json TEXT    NOT NULL,
    after_json  TEXT    NOT NULL,
    acted_at    BIGINT  NOT NULL
);

CREATE INDEX actions_by_key ON actions (job_key, id);

-- CodeRabbit re-review requests, at most one per (pull request, head sha).
CREATE TABLE rereviews (
    job_key      TEXT   NOT NULL,
    head_sha     TEXT   NOT NULL,
    requested_at BIGINT NOT NULL,
    PRIMARY KEY (job_key, head_sha)
);

-- Agent labels plasma-ops applied, with the fingerprint of the files that earned each one.
CREATE TABLE agent_labels (
    job_key           TEXT NOT NULL,
    label             TEXT NOT NULL,
    files_fingerprint TEXT NOT NULL,
    PRIMARY KEY (job_key, label)
);

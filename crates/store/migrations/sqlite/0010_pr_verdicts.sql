-- The last verdict the reconciler reached per pull request, for the dashboard (issue 10): a page
-- reads this table and never GitHub. Written in the same transaction as the reconcile's actions.
-- Times are unix milliseconds; last_event_at is GitHub's (payload/API timestamps).
CREATE TABLE pr_verdicts (
    job_key       TEXT    NOT NULL PRIMARY KEY,
    repository    TEXT    NOT NULL,
    number        INTEGER NOT NULL,
    title         TEXT    NOT NULL,
    author        TEXT    NOT NULL,
    head_sha      TEXT    NOT NULL,
    open          INTEGER NOT NULL,
    state         TEXT    NOT NULL,
    first_blocker TEXT,
    findings      TEXT    NOT NULL,
    agent_labels  TEXT    NOT NULL,
    summary       TEXT    NOT NULL,
    last_event_at INTEGER,
    dry_run       INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    -- When the reconciler first judged it: the pipeline's age column.
    first_seen_at INTEGER NOT NULL
);

CREATE INDEX pr_verdicts_open ON pr_verdicts (open, state, repository, number);

-- The notification outbox: one row per (event, subject, dedupe key, target), written in the same
-- transaction as the state change that caused it, then sent by the service's notification workers.
-- The unique key is what makes a redelivered webhook or a replayed reconcile insert nothing new;
-- sent rows are kept so that key keeps holding after the message went out.
CREATE TABLE notifications (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    -- ready_to_merge, fix_waiting, ... (the configuration's event names)
    event         TEXT    NOT NULL,
    -- what it is about: `owner/repo#12`, `owner/repo@v1.2.0`, or `test`
    subject       TEXT    NOT NULL,
    -- what makes this occurrence distinct for the subject (a head SHA, a GitHub timestamp)
    dedupe_key    TEXT    NOT NULL,
    -- the configured target's name
    target        TEXT    NOT NULL,
    -- JSON: the message and the target's settings (names of secrets only, never their values)
    payload       TEXT    NOT NULL,
    -- pending -> leased -> sending -> sent; dead after the last attempt or an unknown outcome
    state         TEXT    NOT NULL CHECK (state IN ('pending', 'leased', 'sending', 'sent', 'dead')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    run_after     INTEGER NOT NULL,
    lease_owner   TEXT,
    lease_expires INTEGER,
    last_error    TEXT,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    sent_at       INTEGER,
    UNIQUE (event, subject, dedupe_key, target)
);

CREATE INDEX notifications_runnable ON notifications (state, run_after);
CREATE INDEX notifications_lease_expiry ON notifications (state, lease_expires);

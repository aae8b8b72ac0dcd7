-- Periodic work (the sweep) is claimed once per period, so several replicas run it once per period
-- between them: a lease on the schedule rather than leader election.
CREATE TABLE schedules (
    name       TEXT   NOT NULL PRIMARY KEY,
    -- who claimed the current period, and when (unix milliseconds)
    owner      TEXT   NOT NULL,
    claimed_at BIGINT NOT NULL,
    -- the next period may be claimed from this time on
    next_due   BIGINT NOT NULL
);

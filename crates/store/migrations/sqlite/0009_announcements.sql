-- What plasma-ops announces besides pull requests and incidents: releases (tags pushed) and ADR
-- proposals (the GitHub Discussion made for each). Both are remembered so that a redelivery, a
-- later push or a second replica finds the announcement instead of making another.

-- A tag pushed (created): recorded from the `push` delivery before it is acknowledged, announced
-- by the repository's deployments job, which marks it in the same transaction as the
-- notification rows it enqueues.
CREATE TABLE releases (
    repo         TEXT    NOT NULL,
    tag          TEXT    NOT NULL,
    sha          TEXT    NOT NULL,
    -- GitHub's time of the push (the repository's `pushed_at`), unix milliseconds
    pushed_at    INTEGER NOT NULL,
    pusher       TEXT,
    -- 0 until the deployments job enqueued its notifications (or found none routed)
    announced    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (repo, tag, sha)
);

CREATE INDEX releases_unannounced ON releases (repo) WHERE announced = 0;

-- The Discussion announcing an ADR proposal (a pull request adding `docs/adr/NNNN-*.md`, or an
-- `adr-change` issue): one per proposal, written in the same transaction as its `adr_proposed`
-- notification rows.
CREATE TABLE adr_discussions (
    repo              TEXT    NOT NULL,
    number            INTEGER NOT NULL,
    -- the ADR file (or the issue's title) the Discussion is about
    adr               TEXT    NOT NULL,
    discussion_id     TEXT    NOT NULL,
    discussion_url    TEXT    NOT NULL,
    -- GitHub's createdAt of the Discussion, unix milliseconds
    created_at        INTEGER NOT NULL,
    PRIMARY KEY (repo, number)
);

-- Deployments as GitHub reported them (`deployment` and `deployment_status` events), the change
-- each successful production deployment brought, and the answers to deployment protection rules.
-- Times are GitHub's (the payloads' created_at), unix milliseconds; ids are GitHub's.

CREATE TABLE deployments (
    repository  TEXT   NOT NULL,
    id          BIGINT NOT NULL,
    environment TEXT   NOT NULL,
    sha         TEXT   NOT NULL,
    git_ref     TEXT   NOT NULL,
    creator     TEXT,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (repository, id)
);

CREATE INDEX deployments_by_time ON deployments (repository, created_at);

-- Every status of a deployment; a redelivered status is the same row.
CREATE TABLE deployment_statuses (
    repository    TEXT   NOT NULL,
    deployment_id BIGINT NOT NULL,
    id            BIGINT NOT NULL,
    state         TEXT   NOT NULL,
    created_at    BIGINT NOT NULL,
    url           TEXT,
    description   TEXT,
    PRIMARY KEY (repository, id)
);

CREATE INDEX deployment_statuses_by_deployment ON deployment_statuses (repository, deployment_id);

-- What a successful production deployment was, against the one before it (previous_id).
CREATE TABLE deployment_changes (
    repository    TEXT   NOT NULL,
    deployment_id BIGINT NOT NULL,
    kind          TEXT   NOT NULL CHECK (kind IN ('first', 'change', 'redeploy', 'rollback')),
    previous_id   BIGINT,
    PRIMARY KEY (repository, deployment_id)
);

-- The commits a deployment brought, oldest first (position), with GitHub's committer date.
CREATE TABLE deployment_commits (
    repository    TEXT   NOT NULL,
    deployment_id BIGINT NOT NULL,
    position      BIGINT NOT NULL,
    sha           TEXT   NOT NULL,
    committed_at  BIGINT,
    PRIMARY KEY (repository, deployment_id, position)
);

-- The pull requests a deployment brought.
CREATE TABLE deployment_pulls (
    repository    TEXT   NOT NULL,
    deployment_id BIGINT NOT NULL,
    number        BIGINT NOT NULL,
    PRIMARY KEY (repository, deployment_id, number)
);

-- Requests of the production gate, one per (run, environment, deployment; 0 when GitHub made
-- none): a redelivered request is the same row, and answered_at makes the answer happen once.
CREATE TABLE deployment_gates (
    repository    TEXT   NOT NULL,
    run_id        BIGINT NOT NULL,
    environment   TEXT   NOT NULL,
    deployment_id BIGINT NOT NULL,
    sha           TEXT   NOT NULL,
    delivery_id   TEXT   NOT NULL,
    decision      TEXT,
    comment       TEXT,
    dry_run       BOOLEAN,
    decided_at    BIGINT,
    answered_at   BIGINT,
    PRIMARY KEY (repository, run_id, environment, deployment_id)
);

-- What replicas share so GitHub is read once and written once per repository (issue 14).

-- The configuration's invalidation epochs: a push that touches `.github/` on a branch bumps the
-- epoch of (repository, branch), and of (repository, '') when the branch is the default branch.
-- A replica keeps a configuration file it read together with the epoch it read it under and reads
-- it again once the epoch moved. changed_at is unix milliseconds (this service's clock).
CREATE TABLE config_epochs (
    repo       TEXT    NOT NULL,
    git_ref    TEXT    NOT NULL,
    epoch      INTEGER NOT NULL,
    changed_at INTEGER NOT NULL,
    PRIMARY KEY (repo, git_ref)
);

-- The repository labels plasma-ops creates: one row per (repository, label), claimed by one
-- worker of one replica at a time (holder, lease_until) while it creates the label, then marked
-- ensured (ensured_at), so no two workers anywhere create the same label.
CREATE TABLE label_claims (
    repo        TEXT    NOT NULL,
    label       TEXT    NOT NULL,
    holder      TEXT    NOT NULL,
    lease_until INTEGER NOT NULL,
    ensured_at  INTEGER,
    PRIMARY KEY (repo, label)
);

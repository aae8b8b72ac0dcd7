//! What replicas share so that GitHub is read once and written once per repository (issue 14):
//!
//! - configuration epochs: a push that touches `.github/` bumps the epoch of the branch it moved,
//!   and every replica re-reads a configuration file it keeps once the epoch it read it under is
//!   no longer the stored one. Bumped by the ingress before the delivery is acknowledged, so the
//!   next reconcile anywhere sees it.
//! - label claims: one row per (repository, label) plasma-ops creates. A worker claims the row
//!   (a lease), creates the label and marks it ensured; any other worker, on any replica, finds
//!   it claimed or ensured and does not create it again, so GitHub never answers `already_exists`
//!   to a write we planned.

use crate::error::StoreError;
use crate::exec::{Backend, Commit, Conn, Param};
use crate::rows::StoreRow;
use crate::types::Timestamp;

/// One configuration epoch: `git_ref` is a branch, or `""` for the default branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigEpoch {
    /// `owner/name`.
    pub repo: String,
    /// The branch, `""` for the repository's default branch.
    pub git_ref: String,
    /// How many times a push touched `.github/` there (0: never).
    pub epoch: i64,
}

/// What [`RepoCacheStore::claim_label`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelClaim {
    /// The caller holds the claim until its lease ends: it creates the label, then calls
    /// [`RepoCacheStore::label_ensured`] (or [`RepoCacheStore::release_label`] on failure).
    Mine,
    /// The label was ensured at this time (by anyone), after `stale_before`.
    Ensured {
        /// When it was ensured.
        at: Timestamp,
    },
    /// Another worker holds the claim until `until`.
    Held {
        /// The end of that worker's lease.
        until: Timestamp,
    },
}

/// The shared coordination of repository facts; implemented by every [`crate::Store`].
#[async_trait::async_trait]
pub trait RepoCacheStore: Send + Sync {
    /// Bumps the configuration epoch of each `(repository, ref)` in one transaction.
    async fn bump_config_epochs(
        &self,
        keys: &[(String, String)],
        now: Timestamp,
    ) -> Result<(), StoreError>;

    /// Every stored epoch of these repositories (all their refs); a key absent from the answer
    /// has epoch 0.
    async fn config_epochs(&self, repos: &[&str]) -> Result<Vec<ConfigEpoch>, StoreError>;

    /// Claims the creation of `label` in `repo` for `holder` until `lease_until`: granted when no
    /// one claimed it, when the last claim's lease ended without the label being ensured, or when
    /// it was ensured before `stale_before` (the caller saw the repository's labels after that
    /// time and the label was not among them: someone deleted it).
    async fn claim_label(
        &self,
        repo: &str,
        label: &str,
        holder: &str,
        lease_until: Timestamp,
        stale_before: Timestamp,
        now: Timestamp,
    ) -> Result<LabelClaim, StoreError>;

    /// The holder created the label (or found it there): marks it ensured. False when the claim
    /// was no longer the holder's.
    async fn label_ensured(
        &self,
        repo: &str,
        label: &str,
        holder: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError>;

    /// Gives a claim up without ensuring the label (the creation failed), so the next worker
    /// need not wait for the lease to run out.
    async fn release_label(&self, repo: &str, label: &str, holder: &str) -> Result<(), StoreError>;
}

const BUMP_EPOCH: &str = "INSERT INTO config_epochs (repo, git_ref, epoch, changed_at) \
     VALUES ($1, $2, 1, $3) ON CONFLICT (repo, git_ref) DO UPDATE \
     SET epoch = config_epochs.epoch + 1, changed_at = excluded.changed_at";

const SELECT_EPOCHS: &str =
    "SELECT repo, git_ref, epoch FROM config_epochs WHERE repo = $1 OR repo = $2";

/// `$5` now, `$6` stale_before.
const CLAIM_LABEL: &str = "INSERT INTO label_claims (repo, label, holder, lease_until, ensured_at) \
     VALUES ($1, $2, $3, $4, NULL) ON CONFLICT (repo, label) DO UPDATE \
     SET holder = excluded.holder, lease_until = excluded.lease_until, ensured_at = NULL \
     WHERE (label_claims.ensured_at IS NULL AND label_claims.lease_until <= $5) \
     OR label_claims.ensured_at < $6";

const SELECT_CLAIM: &str =
    "SELECT holder, lease_until, ensured_at FROM label_claims WHERE repo = $1 AND label = $2";

const LABEL_ENSURED: &str = "UPDATE label_claims SET ensured_at = $4, lease_until = 0 \
     WHERE repo = $1 AND label = $2 AND holder = $3 AND ensured_at IS NULL";

const RELEASE_LABEL: &str = "UPDATE label_claims SET lease_until = 0 \
     WHERE repo = $1 AND label = $2 AND holder = $3 AND ensured_at IS NULL";

#[async_trait::async_trait]
impl<B: Backend> RepoCacheStore for B {
    async fn bump_config_epochs(
        &self,
        keys: &[(String, String)],
        now: Timestamp,
    ) -> Result<(), StoreError> {
        const OP: &str = "bump configuration epochs";
        if keys.is_empty() {
            return Ok(());
        }
        let mut tx = self.write(OP).await?;
        for (repo, git_ref) in keys {
            let params = [Param::Text(repo), Param::Text(git_ref), Param::Int(now)];
            tx.execute(BUMP_EPOCH, &params, OP).await?;
        }
        tx.commit(OP).await
    }

    async fn config_epochs(&self, repos: &[&str]) -> Result<Vec<ConfigEpoch>, StoreError> {
        const OP: &str = "read configuration epochs";
        let mut out = Vec::new();
        if repos.is_empty() {
            return Ok(out);
        }
        let mut conn = self.read(OP).await?;
        // Two repositories a statement: a pull request needs its own and its organisation's.
        for pair in repos.chunks(2) {
            let second = pair.get(1).copied().unwrap_or(pair[0]);
            let params = [Param::Text(pair[0]), Param::Text(second)];
            for row in conn.fetch_all(SELECT_EPOCHS, &params, OP).await? {
                out.push(ConfigEpoch {
                    repo: row.text("repo", OP)?,
                    git_ref: row.text("git_ref", OP)?,
                    epoch: row.int("epoch", OP)?,
                });
            }
        }
        Ok(out)
    }

    async fn claim_label(
        &self,
        repo: &str,
        label: &str,
        holder: &str,
        lease_until: Timestamp,
        stale_before: Timestamp,
        now: Timestamp,
    ) -> Result<LabelClaim, StoreError> {
        const OP: &str = "claim a repository label";
        let mut tx = self.write(OP).await?;
        let params = [
            Param::Text(repo),
            Param::Text(label),
            Param::Text(holder),
            Param::Int(lease_until),
            Param::Int(now),
            Param::Int(stale_before),
        ];
        let granted = tx.execute(CLAIM_LABEL, &params, OP).await? == 1;
        let claim = if granted {
            LabelClaim::Mine
        } else {
            let params = [Param::Text(repo), Param::Text(label)];
            match tx.fetch_optional(SELECT_CLAIM, &params, OP).await? {
                None => LabelClaim::Held { until: now },
                Some(row) => match row.opt_int("ensured_at", OP)? {
                    Some(at) => LabelClaim::Ensured { at },
                    None if row.text("holder", OP)? == holder => LabelClaim::Mine,
                    None => LabelClaim::Held { until: row.int("lease_until", OP)? },
                },
            }
        };
        tx.commit(OP).await?;
        Ok(claim)
    }

    async fn label_ensured(
        &self,
        repo: &str,
        label: &str,
        holder: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        const OP: &str = "mark a repository label ensured";
        let mut tx = self.write(OP).await?;
        let params = [Param::Text(repo), Param::Text(label), Param::Text(holder), Param::Int(now)];
        let done = tx.execute(LABEL_ENSURED, &params, OP).await? == 1;
        tx.commit(OP).await?;
        Ok(done)
    }

    async fn release_label(&self, repo: &str, label: &str, holder: &str) -> Result<(), StoreError> {
        const OP: &str = "release a repository label claim";
        let mut tx = self.write(OP).await?;
        let params = [Param::Text(repo), Param::Text(label), Param::Text(holder)];
        tx.execute(RELEASE_LABEL, &params, OP).await?;
        tx.commit(OP).await
    }
}

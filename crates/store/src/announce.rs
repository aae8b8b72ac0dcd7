//! Announcements besides pull requests and incidents: releases (tags pushed) and the GitHub
//! Discussions announcing ADR proposals. Each is remembered here, and its notification rows are
//! enqueued in the same transaction as the record that says it was announced, so a redelivery, a
//! replayed job or a second replica finds the record and enqueues nothing new.

use crate::error::StoreError;
use crate::exec::{Backend, Commit, Conn, Param};
use crate::outbox::{self, NewNotification};
use crate::rows::StoreRow;
use crate::types::Timestamp;

/// A tag pushed, as the `push` delivery states it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRelease {
    /// `owner/name`.
    pub repo: String,
    /// The tag (`v1.2.0`, without `refs/tags/`).
    pub tag: String,
    /// The commit the tag points at.
    pub sha: String,
    /// GitHub's time of the push (the repository's `pushed_at`), unix milliseconds.
    pub pushed_at: Timestamp,
    /// Who pushed (a git identity).
    pub pusher: Option<String>,
}

/// A stored release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseRow {
    /// The release as recorded.
    pub release: NewRelease,
    /// Its notifications were enqueued (or none was routed).
    pub announced: bool,
}

/// The Discussion that announces an ADR proposal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdrDiscussion {
    /// `owner/name` of the pull request (or issue) proposing the ADR.
    pub repo: String,
    /// Its number.
    pub number: i64,
    /// The ADR file (`docs/adr/0007-cache.md`) or the title.
    pub adr: String,
    /// The Discussion's GraphQL node id.
    pub discussion_id: String,
    /// Its URL.
    pub discussion_url: String,
    /// GitHub's `createdAt` of the Discussion, unix milliseconds.
    pub created_at: Timestamp,
}

/// Releases and ADR Discussions; implemented by every [`crate::Store`].
#[async_trait::async_trait]
pub trait AnnouncementStore: Send + Sync {
    /// Records a tag pushed; false when it was recorded before (a redelivery).
    async fn record_release(&self, r: &NewRelease) -> Result<bool, StoreError>;

    /// The releases of `repo` not announced yet, oldest push first.
    async fn unannounced_releases(&self, repo: &str) -> Result<Vec<ReleaseRow>, StoreError>;

    /// Marks a release announced and, in the same transaction, enqueues its notifications. A
    /// release announced before (another replica got there first) enqueues nothing. Returns how
    /// many notifications were new.
    async fn announce_release(
        &self,
        r: &NewRelease,
        notifications: &[NewNotification],
        now: Timestamp,
    ) -> Result<u64, StoreError>;

    /// The Discussion remembered for a proposal, if any.
    async fn adr_discussion(
        &self,
        repo: &str,
        number: i64,
    ) -> Result<Option<AdrDiscussion>, StoreError>;

    /// Remembers the Discussion of a proposal and, in the same transaction, enqueues its
    /// `adr_proposed` notifications. When one is remembered already nothing changes and the one
    /// stored is returned (with `0` new notifications), so the caller links that one.
    async fn record_adr_discussion(
        &self,
        d: &AdrDiscussion,
        notifications: &[NewNotification],
        now: Timestamp,
    ) -> Result<(AdrDiscussion, u64), StoreError>;
}

const INSERT_RELEASE: &str = "INSERT INTO releases (repo, tag, sha, pushed_at, pusher) \
     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (repo, tag, sha) DO NOTHING";

const SELECT_UNANNOUNCED: &str = "SELECT repo, tag, sha, pushed_at, pusher, announced \
     FROM releases WHERE repo = $1 AND announced = $2 ORDER BY pushed_at, tag";

const MARK_ANNOUNCED: &str = "UPDATE releases SET announced = $4 \
     WHERE repo = $1 AND tag = $2 AND sha = $3 AND announced = $5";

const SELECT_ADR: &str = "SELECT repo, number, adr, discussion_id, discussion_url, created_at \
     FROM adr_discussions WHERE repo = $1 AND number = $2";

const INSERT_ADR: &str = "INSERT INTO adr_discussions \
     (repo, number, adr, discussion_id, discussion_url, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (repo, number) DO NOTHING";

fn decode_release(row: &impl StoreRow, op: &'static str) -> Result<ReleaseRow, StoreError> {
    Ok(ReleaseRow {
        release: NewRelease {
            repo: row.text("repo", op)?,
            tag: row.text("tag", op)?,
            sha: row.text("sha", op)?,
            pushed_at: row.int("pushed_at", op)?,
            pusher: row.opt_text("pusher", op)?,
        },
        announced: row.boolean("announced", op)?,
    })
}

fn decode_adr(row: &impl StoreRow, op: &'static str) -> Result<AdrDiscussion, StoreError> {
    Ok(AdrDiscussion {
        repo: row.text("repo", op)?,
        number: row.int("number", op)?,
        adr: row.text("adr", op)?,
        discussion_id: row.text("discussion_id", op)?,
        discussion_url: row.text("discussion_url", op)?,
        created_at: row.int("created_at", op)?,
    })
}

async fn select_adr<C: Conn>(
    conn: &mut C,
    repo: &str,
    number: i64,
    op: &'static str,
) -> Result<Option<AdrDiscussion>, StoreError> {
    let row = conn.fetch_optional(SELECT_ADR, &[Param::Text(repo), Param::Int(number)], op).await?;
    row.map(|r| decode_adr(&r, op)).transpose()
}

#[async_trait::async_trait]
impl<B: Backend> AnnouncementStore for B {
    async fn record_release(&self, r: &NewRelease) -> Result<bool, StoreError> {
        const OP: &str = "record a release";
        let mut tx = self.write(OP).await?;
        let params = [
            Param::Text(&r.repo),
            Param::Text(&r.tag),
            Param::Text(&r.sha),
            Param::Int(r.pushed_at),
            Param::OptText(r.pusher.as_deref()),
        ];
        let new = tx.execute(INSERT_RELEASE, &params, OP).await? == 1;
        tx.commit(OP).await?;
        Ok(new)
    }

    async fn unannounced_releases(&self, repo: &str) -> Result<Vec<ReleaseRow>, StoreError> {
        const OP: &str = "read releases not announced";
        let mut conn = self.read(OP).await?;
        let params = [Param::Text(repo), Param::Bool(false)];
        let rows = conn.fetch_all(SELECT_UNANNOUNCED, &params, OP).await?;
        rows.iter().map(|r| decode_release(r, OP)).collect()
    }

    async fn announce_release(
        &self,
        r: &NewRelease,
        notifications: &[NewNotification],
        now: Timestamp,
    ) -> Result<u64, StoreError> {
        const OP: &str = "announce a release";
        let mut tx = self.write(OP).await?;
        let params = [
            Param::Text(&r.repo),
            Param::Text(&r.tag),
            Param::Text(&r.sha),
            Param::Bool(true),
            Param::Bool(false),
        ];
        let mut inserted = 0;
        // Only the transaction that flips the flag enqueues: a second replica's finds it set.
        if tx.execute(MARK_ANNOUNCED, &params, OP).await? == 1 {
            inserted = outbox::enqueue_in(&mut tx, notifications, now).await?;
        }
        tx.commit(OP).await?;
        Ok(inserted)
    }

    async fn adr_discussion(
        &self,
        repo: &str,
        number: i64,
    ) -> Result<Option<AdrDiscussion>, StoreError> {
        const OP: &str = "read an ADR discussion";
        let mut conn = self.read(OP).await?;
        select_adr(&mut conn, repo, number, OP).await
    }

    async fn record_adr_discussion(
        &self,
        d: &AdrDiscussion,
        notifications: &[NewNotification],
        now: Timestamp,
    ) -> Result<(AdrDiscussion, u64), StoreError> {
        const OP: &str = "record an ADR discussion";
        let mut tx = self.write(OP).await?;
        let params = [
            Param::Text(&d.repo),
            Param::Int(d.number),
            Param::Text(&d.adr),
            Param::Text(&d.discussion_id),
            Param::Text(&d.discussion_url),
            Param::Int(d.created_at),
        ];
        let (kept, inserted) = if tx.execute(INSERT_ADR, &params, OP).await? == 1 {
            (d.clone(), outbox::enqueue_in(&mut tx, notifications, now).await?)
        } else {
            let stored = select_adr(&mut tx, &d.repo, d.number, OP).await?;
            (stored.unwrap_or_else(|| d.clone()), 0)
        };
        tx.commit(OP).await?;
        Ok((kept, inserted))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_selects_read_every_decoded_column() {
        for column in ["repo", "tag", "sha", "pushed_at", "pusher", "announced"] {
            assert!(SELECT_UNANNOUNCED.contains(column), "{column}");
        }
        for column in ["number", "adr", "discussion_id", "discussion_url", "created_at"] {
            assert!(SELECT_ADR.contains(column), "{column}");
        }
    }
}

//! The fleet's conditional-request cache (issue 14): GitHub answers' validators (`ETag`,
//! `Last-Modified`) and the bodies they validate, shared by every replica on one database.
//!
//! The GitHub client uses an entry only to make a request conditional and takes its body only
//! after GitHub answered `304 Not Modified`, so a stale entry costs a full read, never a wrong
//! answer. Bounded by rows, bytes and age ([`HttpCacheStore::prune_http_cache`]); the least
//! recently used go first.

use crate::error::StoreError;
use crate::exec::{Backend, Commit, Conn, Param};
use crate::rows::{StoreRow, to_u64};
use crate::types::Timestamp;

/// One cached answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpCacheEntry {
    /// The `ETag` GitHub gave with the body, if any.
    pub etag: Option<String>,
    /// The `Last-Modified` GitHub gave with the body, if any.
    pub last_modified: Option<String>,
    /// The `rel="next"` link of a page, so pagination goes on after a 304.
    pub next_link: Option<String>,
    /// The body.
    pub body: Vec<u8>,
}

impl HttpCacheEntry {
    /// Bytes the entry counts for against the byte bound (key included).
    pub fn size(&self, key: &str) -> u64 {
        let text = |s: &Option<String>| s.as_ref().map_or(0, String::len);
        (key.len()
            + self.body.len()
            + text(&self.etag)
            + text(&self.last_modified)
            + text(&self.next_link)) as u64
    }
}

/// What the cache holds under a key, beside the validators the caller holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpCacheLookup {
    /// No entry.
    Missing,
    /// An entry with the caller's validators (its body is not read).
    Same,
    /// An entry with other validators.
    Entry(HttpCacheEntry),
}

/// How much the cache holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HttpCacheUsage {
    /// Entries.
    pub rows: u64,
    /// Bytes they count for ([`HttpCacheEntry::size`]).
    pub bytes: u64,
}

const SELECT: &str = "SELECT etag, last_modified, next_link, body FROM http_cache \
     WHERE cache_key = $1";
/// The body only when the validators differ from the caller's (`''` standing for none: GitHub
/// never sends an empty `ETag`), so the common case, an entry this replica read itself, costs
/// one small row.
const SELECT_UNLESS: &str = "SELECT etag, last_modified, next_link, \
     CASE WHEN COALESCE(etag, '') = $2 AND COALESCE(last_modified, '') = $3 THEN NULL \
     ELSE body END AS body FROM http_cache WHERE cache_key = $1";
const UPSERT: &str = "INSERT INTO http_cache (cache_key, etag, last_modified, next_link, body, \
     size, stored_at, used_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) \
     ON CONFLICT (cache_key) DO UPDATE SET etag = excluded.etag, \
     last_modified = excluded.last_modified, next_link = excluded.next_link, \
     body = excluded.body, size = excluded.size, stored_at = excluded.stored_at, \
     used_at = excluded.used_at";
const TOUCH: &str = "UPDATE http_cache SET used_at = $2 WHERE cache_key = $1 AND used_at < $2";
const EXISTS: &str = "SELECT 1 AS one FROM http_cache WHERE cache_key = $1";
const DELETE: &str = "DELETE FROM http_cache WHERE cache_key = $1";
const DELETE_OLD: &str = "DELETE FROM http_cache WHERE used_at < $1";
/// Keeps the `$1` most recently used entries whose running size stays within `$2` bytes; the
/// rest (the least recently used) go. One statement both databases run alike (window functions).
const DELETE_OVER_BOUNDS: &str = "DELETE FROM http_cache WHERE cache_key IN (\
     SELECT cache_key FROM (SELECT cache_key, \
     ROW_NUMBER() OVER (ORDER BY used_at DESC, cache_key) AS n, \
     CAST(SUM(size) OVER (ORDER BY used_at DESC, cache_key) AS BIGINT) AS running FROM http_cache) ranked \
     WHERE n > $1 OR running > $2)";
const USAGE: &str =
    "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(size), 0) AS BIGINT) AS bytes FROM http_cache";

/// The shared conditional-request cache; every [`crate::Store`] has it.
#[async_trait::async_trait]
pub trait HttpCacheStore: Send + Sync {
    /// The entry under `key`, if any (reading does not mark it used: a 304 does, through
    /// [`HttpCacheStore::touch_http_cache`]).
    async fn http_cache(&self, key: &str) -> Result<Option<HttpCacheEntry>, StoreError>;

    /// The entry under `key` unless its validators are `etag` and `last_modified`: then
    /// [`HttpCacheLookup::Same`], without reading the body.
    async fn http_cache_unless(
        &self,
        key: &str,
        etag: Option<&str>,
        last_modified: Option<&str>,
    ) -> Result<HttpCacheLookup, StoreError>;

    /// Keeps `entry` under `key` (replacing what was there), used at `now`.
    async fn put_http_cache(
        &self,
        key: &str,
        entry: &HttpCacheEntry,
        now: Timestamp,
    ) -> Result<(), StoreError>;

    /// Marks `key` used at `now` (GitHub answered 304 to it); false when there is no such entry.
    async fn touch_http_cache(&self, key: &str, now: Timestamp) -> Result<bool, StoreError>;

    /// Forgets `key`.
    async fn remove_http_cache(&self, key: &str) -> Result<(), StoreError>;

    /// Deletes entries unused since before `unused_since`, then the least recently used until at
    /// most `max_rows` entries of at most `max_bytes` remain; returns how many went.
    async fn prune_http_cache(
        &self,
        max_rows: u64,
        max_bytes: u64,
        unused_since: Timestamp,
    ) -> Result<u64, StoreError>;

    /// How much the cache holds.
    async fn http_cache_usage(&self) -> Result<HttpCacheUsage, StoreError>;
}

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

#[async_trait::async_trait]
impl<B: Backend> HttpCacheStore for B {
    async fn http_cache(&self, key: &str) -> Result<Option<HttpCacheEntry>, StoreError> {
        const OP: &str = "read the shared HTTP cache";
        let mut conn = self.read(OP).await?;
        let Some(row) = conn.fetch_optional(SELECT, &[Param::Text(key)], OP).await? else {
            return Ok(None);
        };
        Ok(Some(HttpCacheEntry {
            etag: row.opt_text("etag", OP)?,
            last_modified: row.opt_text("last_modified", OP)?,
            next_link: row.opt_text("next_link", OP)?,
            body: row.bytes("body", OP)?,
        }))
    }

    async fn http_cache_unless(
        &self,
        key: &str,
        etag: Option<&str>,
        last_modified: Option<&str>,
    ) -> Result<HttpCacheLookup, StoreError> {
        const OP: &str = "read the shared HTTP cache";
        let mut conn = self.read(OP).await?;
        let params = [
            Param::Text(key),
            Param::Text(etag.unwrap_or_default()),
            Param::Text(last_modified.unwrap_or_default()),
        ];
        let Some(row) = conn.fetch_optional(SELECT_UNLESS, &params, OP).await? else {
            return Ok(HttpCacheLookup::Missing);
        };
        let Some(body) = row.opt_bytes("body", OP)? else { return Ok(HttpCacheLookup::Same) };
        Ok(HttpCacheLookup::Entry(HttpCacheEntry {
            etag: row.opt_text("etag", OP)?,
            last_modified: row.opt_text("last_modified", OP)?,
            next_link: row.opt_text("next_link", OP)?,
            body,
        }))
    }

    async fn put_http_cache(
        &self,
        key: &str,
        entry: &HttpCacheEntry,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        const OP: &str = "write the shared HTTP cache";
        let size = to_i64(entry.size(key));
        let params = [
            Param::Text(key),
            Param::OptText(entry.etag.as_deref()),
            Param::OptText(entry.last_modified.as_deref()),
            Param::OptText(entry.next_link.as_deref()),
            Param::Bytes(&entry.body),
            Param::Int(size),
            Param::Int(now),
        ];
        let mut tx = self.write(OP).await?;
        tx.execute(UPSERT, &params, OP).await?;
        tx.commit(OP).await
    }

    async fn touch_http_cache(&self, key: &str, now: Timestamp) -> Result<bool, StoreError> {
        const OP: &str = "mark a shared HTTP cache entry used";
        let mut tx = self.write(OP).await?;
        let touched = tx.execute(TOUCH, &[Param::Text(key), Param::Int(now)], OP).await? > 0;
        // Used at `now` or later already (another replica's 304) still counts as present.
        let present =
            touched || tx.fetch_optional(EXISTS, &[Param::Text(key)], OP).await?.is_some();
        tx.commit(OP).await?;
        Ok(present)
    }

    async fn remove_http_cache(&self, key: &str) -> Result<(), StoreError> {
        const OP: &str = "delete a shared HTTP cache entry";
        let mut tx = self.write(OP).await?;
        tx.execute(DELETE, &[Param::Text(key)], OP).await?;
        tx.commit(OP).await
    }

    async fn prune_http_cache(
        &self,
        max_rows: u64,
        max_bytes: u64,
        unused_since: Timestamp,
    ) -> Result<u64, StoreError> {
        const OP: &str = "prune the shared HTTP cache";
        let mut tx = self.write(OP).await?;
        let old = tx.execute(DELETE_OLD, &[Param::Int(unused_since)], OP).await?;
        let bounds = [Param::Int(to_i64(max_rows)), Param::Int(to_i64(max_bytes))];
        let over = tx.execute(DELETE_OVER_BOUNDS, &bounds, OP).await?;
        tx.commit(OP).await?;
        Ok(old + over)
    }

    async fn http_cache_usage(&self) -> Result<HttpCacheUsage, StoreError> {
        const OP: &str = "measure the shared HTTP cache";
        let mut conn = self.read(OP).await?;
        let row = conn.fetch_optional(USAGE, &[], OP).await?;
        let Some(row) = row else { return Ok(HttpCacheUsage::default()) };
        Ok(HttpCacheUsage {
            rows: to_u64(row.int("n", OP)?, "shared HTTP cache rows")?,
            bytes: to_u64(row.int("bytes", OP)?, "shared HTTP cache bytes")?,
        })
    }
}

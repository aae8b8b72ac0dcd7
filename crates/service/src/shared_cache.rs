//! The fleet's shared conditional-request cache (issue 14): the GitHub client's second level, kept
//! in the store every replica uses, so a pull request whose next job lands on another replica is
//! still revalidated for free (`304 Not Modified` is not charged to the rate limit).
//!
//! The client never answers from an entry without GitHub's 304 (see `plasma_github`'s
//! `SharedCache`); this module only keeps the entries bounded: every [`PRUNE_EVERY`] writes a
//! replica deletes what was unused for [`MAX_AGE`], then the least recently used beyond the
//! configured rows and bytes. Bodies larger than a sixty-fourth of the byte bound are not shared.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use plasma_github::{GitHubClient, SharedCache, SharedCacheFuture, SharedEntry, SharedLookup};
use plasma_store::{HttpCacheEntry, HttpCacheLookup, Store};

use crate::app::Clock;

/// Entries unused this long are deleted (a pull request untouched for a week is re-read once).
pub const MAX_AGE: Duration = Duration::from_secs(7 * 86_400);
/// A replica prunes after this many of its own writes.
pub const PRUNE_EVERY: u64 = 256;

/// How much the shared cache may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    /// Entries.
    pub rows: u64,
    /// Bytes of entries (key, validators and body).
    pub bytes: u64,
    /// Unused longer than this, an entry goes.
    pub max_age: Duration,
}

/// The store as the GitHub client's shared cache level.
pub struct StoreCache {
    store: Arc<dyn Store>,
    clock: Clock,
    bounds: Bounds,
    writes: AtomicU64,
}

impl StoreCache {
    /// A shared cache in `store`, bounded by `bounds`, timed by `clock`.
    pub fn new(store: Arc<dyn Store>, clock: Clock, bounds: Bounds) -> Self {
        StoreCache { store, clock, bounds, writes: AtomicU64::new(0) }
    }

    /// Deletes what is over the bounds; the number of entries deleted.
    pub async fn prune(&self) -> Result<u64, plasma_store::StoreError> {
        let age = i64::try_from(self.bounds.max_age.as_millis()).unwrap_or(i64::MAX);
        let unused_since = (self.clock)().saturating_sub(age);
        let deleted =
            self.store.prune_http_cache(self.bounds.rows, self.bounds.bytes, unused_since).await?;
        if deleted > 0 {
            metrics::counter!("plasma_ops_shared_cache_evicted_total").increment(deleted);
            tracing::debug!(deleted, "shared HTTP cache pruned");
        }
        Ok(deleted)
    }

    async fn wrote(&self) {
        if (self.writes.fetch_add(1, Ordering::Relaxed) + 1).is_multiple_of(PRUNE_EVERY)
            && let Err(e) = self.prune().await
        {
            tracing::warn!(error = %e, "shared HTTP cache not pruned; trying again later");
        }
    }
}

impl SharedCache for StoreCache {
    fn get<'a>(&'a self, key: &'a str) -> SharedCacheFuture<'a, Option<SharedEntry>> {
        Box::pin(async move {
            let entry = self.store.http_cache(key).await?;
            Ok(entry.map(|e| SharedEntry {
                etag: e.etag,
                last_modified: e.last_modified,
                next: e.next_link,
                body: e.body,
            }))
        })
    }

    fn get_unless<'a>(
        &'a self,
        key: &'a str,
        etag: Option<&'a str>,
        last_modified: Option<&'a str>,
    ) -> SharedCacheFuture<'a, SharedLookup> {
        Box::pin(async move {
            Ok(match self.store.http_cache_unless(key, etag, last_modified).await? {
                HttpCacheLookup::Missing => SharedLookup::Missing,
                HttpCacheLookup::Same => SharedLookup::Same,
                HttpCacheLookup::Entry(e) => SharedLookup::Entry(SharedEntry {
                    etag: e.etag,
                    last_modified: e.last_modified,
                    next: e.next_link,
                    body: e.body,
                }),
            })
        })
    }

    fn put<'a>(&'a self, key: &'a str, entry: &'a SharedEntry) -> SharedCacheFuture<'a, ()> {
        Box::pin(async move {
            let row = HttpCacheEntry {
                etag: entry.etag.clone(),
                last_modified: entry.last_modified.clone(),
                next_link: entry.next.clone(),
                body: entry.body.clone(),
            };
            if row.size(key) > self.bounds.bytes / 64 {
                return Ok(());
            }
            self.store.put_http_cache(key, &row, (self.clock)()).await?;
            self.wrote().await;
            Ok(())
        })
    }

    fn touch<'a>(&'a self, key: &'a str) -> SharedCacheFuture<'a, bool> {
        Box::pin(async move { Ok(self.store.touch_http_cache(key, (self.clock)()).await?) })
    }

    fn remove<'a>(&'a self, key: &'a str) -> SharedCacheFuture<'a, ()> {
        Box::pin(async move { Ok(self.store.remove_http_cache(key).await?) })
    }
}

/// Puts the store under `github`'s cache when the configuration allows (`entries` > 0); whether
/// it did.
pub fn install(
    github: &GitHubClient,
    store: Arc<dyn Store>,
    clock: Clock,
    entries: u64,
    bytes: u64,
) -> bool {
    if entries == 0 || bytes == 0 {
        return false;
    }
    let bounds = Bounds { rows: entries, bytes, max_age: MAX_AGE };
    github.set_shared_cache(Arc::new(StoreCache::new(store, clock, bounds)))
}

/// Describes the module's metric.
pub fn describe() {
    metrics::describe_counter!(
        "plasma_ops_shared_cache_evicted_total",
        "Entries this replica deleted from the shared conditional-request cache (unused for a \
         week, or the least recently used over the configured bounds)"
    );
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    async fn sqlite() -> (Arc<dyn Store>, tempfile_path::Guard) {
        let guard = tempfile_path::Guard::new();
        let store = plasma_store::open(&format!("sqlite://{}", guard.path)).await.unwrap();
        (store, guard)
    }

    /// A database file removed when dropped.
    mod tempfile_path {
        pub struct Guard {
            pub path: String,
        }
        impl Guard {
            pub fn new() -> Guard {
                let nanos = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos();
                let path = std::env::temp_dir()
                    .join(format!("plasma-shared-cache-{}-{nanos}.db", std::process::id()));
                Guard { path: path.display().to_string() }
            }
        }
        impl Drop for Guard {
            fn drop(&mut self) {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", self.path));
                }
            }
        }
    }

    fn entry(body: &str) -> SharedEntry {
        SharedEntry {
            etag: Some("\"e\"".into()),
            last_modified: None,
            next: Some("https://api.github.com/x?page=2".into()),
            body: body.as_bytes().to_vec(),
        }
    }

    #[tokio::test]
    async fn entries_round_trip_and_a_touch_finds_them() {
        let (store, _g) = sqlite().await;
        let now = Arc::new(AtomicU64::new(1_000));
        let clock_now = now.clone();
        let clock: Clock = Arc::new(move || clock_now.load(Ordering::Relaxed) as i64);
        let bounds = Bounds { rows: 10, bytes: 1 << 20, max_age: Duration::from_secs(60) };
        let cache = StoreCache::new(store.clone(), clock, bounds);
        assert_eq!(cache.get("installation:1 u").await.unwrap(), None);
        assert!(!cache.touch("installation:1 u").await.unwrap());
        cache.put("installation:1 u", &entry("body")).await.unwrap();
        cache.put("installation:1 old", &entry("old")).await.unwrap();
        assert_eq!(cache.get("installation:1 u").await.unwrap(), Some(entry("body")));
        assert_eq!(cache.get("installation:2 u").await.unwrap(), None);
        now.store(30_000, Ordering::Relaxed);
        assert!(cache.touch("installation:1 u").await.unwrap());
        // Too large for the bound: not shared.
        cache.put("installation:1 big", &entry(&"x".repeat(20_000))).await.unwrap();
        assert_eq!(cache.get("installation:1 big").await.unwrap(), None);
        // Unused for longer than the age bound: pruned; the touched one stays.
        now.store(50_000, Ordering::Relaxed);
        assert_eq!(cache.prune().await.unwrap(), 0, "both used within a minute");
        now.store(70_000, Ordering::Relaxed);
        assert_eq!(cache.prune().await.unwrap(), 1);
        assert!(cache.get("installation:1 old").await.unwrap().is_none());
        cache.remove("installation:1 u").await.unwrap();
        assert_eq!(store.http_cache_usage().await.unwrap().rows, 0);
    }

    #[tokio::test]
    async fn installed_only_when_bounded_above_zero() {
        let (store, _g) = sqlite().await;
        let gh = |_: ()| {
            GitHubClient::new(plasma_github::ClientConfig::with_token("t".to_string())).unwrap()
        };
        let clock: Clock = Arc::new(|| 0);
        let off = gh(());
        assert!(!install(&off, store.clone(), clock.clone(), 0, 1 << 20));
        assert!(!off.has_shared_cache());
        let on = gh(());
        assert!(install(&on, store, clock, 10, 1 << 20));
        assert!(on.has_shared_cache());
    }

    #[tokio::test]
    async fn every_prune_every_writes_the_bounds_are_applied() {
        let (store, _g) = sqlite().await;
        let clock: Clock = Arc::new(|| 5_000);
        let bounds = Bounds { rows: 100, bytes: 1 << 20, max_age: Duration::from_secs(3600) };
        let cache = StoreCache::new(store.clone(), clock, bounds);
        for i in 0..PRUNE_EVERY + 10 {
            cache.put(&format!("installation:1 u{i}"), &entry("b")).await.unwrap();
        }
        // Pruned to 100 at write 256, then 10 more.
        assert_eq!(store.http_cache_usage().await.unwrap().rows, 110);
    }
}

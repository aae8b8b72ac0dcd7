//! The conditional-request cache: the last validators (`ETag`, `Last-Modified`) and body per URL
//! and credential scope, so a repeated GET can send `If-None-Match` (or `If-Modified-Since`) and
//! reuse the body on `304 Not Modified` (which GitHub does not charge against the rate limit).
//!
//! Two levels: [`EtagCache`] in this process, and optionally a [`SharedCache`] every replica of
//! the service shares (the store), consulted before every conditional request: another replica
//! may have read the URL since this process did, and only the newest validator earns a 304.
//! Neither is ever an answer on its own: an entry only makes the request conditional, and its
//! body is used only after GitHub's 304 (no time-based staleness, so nothing older than GitHub's
//! answer).

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

/// A cached answer.
#[derive(Debug, Clone)]
pub(crate) struct Cached {
    /// The `ETag` GitHub gave with it.
    pub etag: Option<String>,
    /// The `Last-Modified` GitHub gave with it (used when there is no `ETag`).
    pub last_modified: Option<String>,
    /// The body.
    pub body: Arc<[u8]>,
    /// The `rel="next"` link of a page, so pagination continues on a 304.
    pub next: Option<String>,
    /// When the shared level last had this entry confirmed (stored or marked used); `None` when
    /// it has not yet.
    pub shared_at: Option<Instant>,
}

impl Cached {
    fn size(&self, key: &str) -> usize {
        key.len()
            + self.body.len()
            + self.etag.as_ref().map_or(0, String::len)
            + self.last_modified.as_ref().map_or(0, String::len)
    }

    /// Whether there is anything to make a request conditional with.
    pub fn has_validator(&self) -> bool {
        self.etag.is_some() || self.last_modified.is_some()
    }
}

/// An answer as the shared level keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedEntry {
    /// The `ETag` GitHub gave with the body.
    pub etag: Option<String>,
    /// The `Last-Modified` GitHub gave with the body.
    pub last_modified: Option<String>,
    /// The `rel="next"` link of a page.
    pub next: Option<String>,
    /// The body.
    pub body: Vec<u8>,
}

/// What the shared level holds under a key, beside what this process holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SharedLookup {
    /// Nothing.
    Missing,
    /// An answer with the validators the caller already holds (its body is not sent again).
    Same,
    /// A different answer (newer, as a rule: another replica read the URL since).
    Entry(SharedEntry),
}

/// What a shared-cache operation failed with; the client logs it and goes to GitHub.
pub type SharedCacheError = Box<dyn std::error::Error + Send + Sync>;

/// A shared-cache operation in progress.
pub type SharedCacheFuture<'a, T> =
    Pin<Box<dyn Future<Output = Result<T, SharedCacheError>> + Send + 'a>>;

/// The second level of the conditional-request cache, shared by every replica (the service puts
/// it in the store). Keys are `<scope> <url>`, the scope being `installation:<id>`, `app` or
/// `token:<fingerprint>` (a hash, never the token): one installation never reads another's
/// entry. Values never hold a header of the request (no `Authorization`), only GitHub's answer.
///
/// Failures are not fatal: the client logs them and asks GitHub plainly.
pub trait SharedCache: Send + Sync {
    /// The entry under `key`.
    fn get<'a>(&'a self, key: &'a str) -> SharedCacheFuture<'a, Option<SharedEntry>>;
    /// The entry under `key` unless it carries the validators `etag` and `last_modified` (those of
    /// the answer the caller holds): then [`SharedLookup::Same`], without the body. A level that
    /// can compare where it keeps the entries overrides this to spare sending the body.
    fn get_unless<'a>(
        &'a self,
        key: &'a str,
        etag: Option<&'a str>,
        last_modified: Option<&'a str>,
    ) -> SharedCacheFuture<'a, SharedLookup> {
        Box::pin(async move {
            Ok(match self.get(key).await? {
                None => SharedLookup::Missing,
                Some(e)
                    if e.etag.as_deref() == etag && e.last_modified.as_deref() == last_modified =>
                {
                    SharedLookup::Same
                }
                Some(e) => SharedLookup::Entry(e),
            })
        })
    }
    /// Keeps `entry` under `key`, replacing what was there (GitHub answered 200).
    fn put<'a>(&'a self, key: &'a str, entry: &'a SharedEntry) -> SharedCacheFuture<'a, ()>;
    /// Marks `key` used (GitHub answered 304 to it); false when there is no such entry.
    fn touch<'a>(&'a self, key: &'a str) -> SharedCacheFuture<'a, bool>;
    /// Forgets `key` (GitHub's new answer carries no validator).
    fn remove<'a>(&'a self, key: &'a str) -> SharedCacheFuture<'a, ()>;
}

impl From<SharedEntry> for Cached {
    fn from(e: SharedEntry) -> Self {
        Cached {
            etag: e.etag,
            last_modified: e.last_modified,
            body: Arc::from(e.body),
            next: e.next,
            shared_at: Some(Instant::now()),
        }
    }
}

impl From<&Cached> for SharedEntry {
    fn from(c: &Cached) -> Self {
        SharedEntry {
            etag: c.etag.clone(),
            last_modified: c.last_modified.clone(),
            next: c.next.clone(),
            body: c.body.to_vec(),
        }
    }
}

struct Entry {
    value: Cached,
    last_used: u64,
}

#[derive(Default)]
struct Inner {
    map: HashMap<String, Entry>,
    tick: u64,
    bytes: usize,
}

/// A bounded cache, least recently used out first. Eviction scans the map, but only when a bound
/// is crossed and then frees a tenth of it, so its cost is spread over many insertions.
pub(crate) struct EtagCache {
    inner: Mutex<Inner>,
    max_entries: usize,
    max_bytes: usize,
}

impl EtagCache {
    /// A cache of at most `max_entries` answers and `max_bytes` of bodies; zero disables it.
    pub fn new(max_entries: usize, max_bytes: usize) -> Self {
        EtagCache { inner: Mutex::new(Inner::default()), max_entries, max_bytes }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves a consistent map (every mutation is one step).
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The cached answer for `key`, marking it used.
    pub fn get(&self, key: &str) -> Option<Cached> {
        let mut inner = self.lock();
        inner.tick += 1;
        let tick = inner.tick;
        let entry = inner.map.get_mut(key)?;
        entry.last_used = tick;
        Some(entry.value.clone())
    }

    /// Remembers an answer; bodies larger than an eighth of the byte budget are not kept.
    pub fn put(&self, key: String, value: Cached) {
        let size = value.size(&key);
        if self.max_entries == 0 || size > self.max_bytes / 8 {
            return;
        }
        let mut inner = self.lock();
        inner.tick += 1;
        let tick = inner.tick;
        if let Some(old) = inner.map.insert(key.clone(), Entry { value, last_used: tick }) {
            inner.bytes -= old.value.size(&key);
        }
        inner.bytes += size;
        if inner.map.len() > self.max_entries || inner.bytes > self.max_bytes {
            let (entries, bytes) = (self.max_entries * 9 / 10, self.max_bytes * 9 / 10);
            Self::evict(&mut inner, entries, bytes);
        }
    }

    /// Forgets one answer.
    pub fn remove(&self, key: &str) {
        let mut inner = self.lock();
        if let Some(old) = inner.map.remove(key) {
            inner.bytes -= old.value.size(key);
        }
    }

    fn evict(inner: &mut Inner, max_entries: usize, max_bytes: usize) {
        let mut by_age: Vec<(u64, String)> =
            inner.map.iter().map(|(k, e)| (e.last_used, k.clone())).collect();
        by_age.sort_unstable();
        for (_, key) in by_age {
            if inner.map.len() <= max_entries && inner.bytes <= max_bytes {
                break;
            }
            if let Some(old) = inner.map.remove(&key) {
                inner.bytes -= old.value.size(&key);
            }
        }
    }

    /// Records that the shared level has `key` confirmed now.
    pub fn mark_shared(&self, key: &str) {
        if let Some(entry) = self.lock().map.get_mut(key) {
            entry.value.shared_at = Some(Instant::now());
        }
    }

    /// Number of cached answers.
    pub fn len(&self) -> usize {
        self.lock().map.len()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn cached(body: &str) -> Cached {
        Cached {
            etag: Some("\"e\"".into()),
            last_modified: None,
            body: Arc::from(body.as_bytes()),
            next: None,
            shared_at: None,
        }
    }

    #[test]
    fn least_recently_used_goes_first() {
        let cache = EtagCache::new(10, 1 << 20);
        for i in 0..10 {
            cache.put(format!("k{i}"), cached("x"));
        }
        // Touch k0 so k1 is the oldest.
        assert!(cache.get("k0").is_some());
        cache.put("k10".into(), cached("x"));
        assert_eq!(cache.len(), 9);
        assert!(cache.get("k0").is_some());
        assert!(cache.get("k1").is_none());
        assert!(cache.get("k2").is_none());
        assert!(cache.get("k10").is_some());
    }

    #[test]
    fn byte_budget_is_kept_and_replacing_counts_once() {
        let cache = EtagCache::new(1000, 8 * 100);
        let body = "b".repeat(80);
        for i in 0..20 {
            cache.put(format!("k{i}"), cached(&body));
            cache.put(format!("k{i}"), cached(&body));
        }
        let inner = cache.lock();
        assert!(inner.bytes <= 800, "{}", inner.bytes);
        let sum: usize = inner.map.iter().map(|(k, e)| e.value.size(k)).sum();
        assert_eq!(sum, inner.bytes);
        drop(inner);
        // Too large for the budget: not kept at all.
        cache.put("huge".into(), cached(&"h".repeat(200)));
        assert!(cache.get("huge").is_none());
        cache.remove("k19");
        assert!(cache.get("k19").is_none());
    }

    #[test]
    fn zero_disables() {
        let cache = EtagCache::new(0, 0);
        cache.put("k".into(), cached("x"));
        assert_eq!(cache.len(), 0);
    }
}

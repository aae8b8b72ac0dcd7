//! The conditional-request cache: the last `ETag` and body per URL and credential identity, so a
//! repeated GET can send `If-None-Match` and reuse the body on `304 Not Modified` (which GitHub does
//! not charge against the rate limit).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// A cached answer.
#[derive(Debug, Clone)]
pub(crate) struct Cached {
    /// The `ETag` GitHub gave with it.
    pub etag: String,
    /// The body.
    pub body: Arc<[u8]>,
    /// The `rel="next"` link of a page, so pagination continues on a 304.
    pub next: Option<String>,
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
        let size = key.len() + value.body.len() + value.etag.len();
        if self.max_entries == 0 || size > self.max_bytes / 8 {
            return;
        }
        let mut inner = self.lock();
        inner.tick += 1;
        let tick = inner.tick;
        if let Some(old) = inner.map.insert(key.clone(), Entry { value, last_used: tick }) {
            inner.bytes -= key.len() + old.value.body.len() + old.value.etag.len();
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
            inner.bytes -= key.len() + old.value.body.len() + old.value.etag.len();
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
                inner.bytes -= key.len() + old.value.body.len() + old.value.etag.len();
            }
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
        Cached { etag: "\"e\"".into(), body: Arc::from(body.as_bytes()), next: None }
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
        let sum: usize =
            inner.map.iter().map(|(k, e)| k.len() + e.value.body.len() + e.value.etag.len()).sum();
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

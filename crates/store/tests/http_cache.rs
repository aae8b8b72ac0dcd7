//! The fleet's shared conditional-request cache on both databases: entries round-trip and are
//! replaced, a 304's touch keeps an entry young, and the row, byte and age bounds evict the least
//! recently used first; two store instances (two replicas) see the same entries.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use plasma_store::{HttpCacheEntry, HttpCacheLookup, HttpCacheUsage};
use support::shared_tests;
use support::{T0, TestDb};

shared_tests!(
    entries_round_trip_are_replaced_and_seen_by_another_replica,
    a_touch_keeps_an_entry_young_and_reports_absence,
    row_bound_evicts_the_least_recently_used,
    byte_bound_evicts_the_least_recently_used,
    age_bound_deletes_entries_unused_too_long,
    a_lookup_with_the_same_validators_reads_no_body,
);

fn entry(etag: &str, body: &[u8]) -> HttpCacheEntry {
    HttpCacheEntry {
        etag: Some(format!("\"{etag}\"")),
        last_modified: None,
        next_link: None,
        body: body.to_vec(),
    }
}

const URL: &str = "https://api.github.com/repos/o/r/pulls/1";

fn key(installation: u64, url: &str) -> String {
    format!("installation:{installation} {url}")
}

async fn entries_round_trip_are_replaced_and_seen_by_another_replica(db: &TestDb) {
    let (a, b) = (db.open().await, db.open().await);
    assert_eq!(a.http_cache(&key(1, URL)).await.unwrap(), None);
    // Binary bodies survive (BLOB / BYTEA), and every optional field round-trips.
    let first = HttpCacheEntry {
        etag: Some("W/\"v1\"".into()),
        last_modified: Some("Wed, 21 Oct 2026 07:28:00 GMT".into()),
        next_link: Some(format!("{URL}?page=2")),
        body: vec![0, 159, 146, 150, b'{', b'}'],
    };
    a.put_http_cache(&key(1, URL), &first, T0).await.unwrap();
    assert_eq!(b.http_cache(&key(1, URL)).await.unwrap(), Some(first.clone()));
    // Keyed by installation: another installation's key finds nothing.
    assert_eq!(b.http_cache(&key(2, URL)).await.unwrap(), None);
    // A 200 replaces the entry whole (no field of the old one left behind).
    let second = entry("v2", b"{\"title\":\"second\"}");
    b.put_http_cache(&key(1, URL), &second, T0 + 1).await.unwrap();
    assert_eq!(a.http_cache(&key(1, URL)).await.unwrap(), Some(second.clone()));
    let usage = a.http_cache_usage().await.unwrap();
    assert_eq!(usage, HttpCacheUsage { rows: 1, bytes: second.size(&key(1, URL)) });
    a.remove_http_cache(&key(1, URL)).await.unwrap();
    assert_eq!(b.http_cache(&key(1, URL)).await.unwrap(), None);
    assert_eq!(a.http_cache_usage().await.unwrap(), HttpCacheUsage::default());
}

async fn a_touch_keeps_an_entry_young_and_reports_absence(db: &TestDb) {
    let s = db.open().await;
    assert!(!s.touch_http_cache(&key(1, URL), T0).await.unwrap());
    s.put_http_cache(&key(1, "old"), &entry("o", b"o"), T0).await.unwrap();
    s.put_http_cache(&key(1, "young"), &entry("y", b"y"), T0).await.unwrap();
    assert!(s.touch_http_cache(&key(1, "old"), T0 + 10).await.unwrap());
    // A touch at an earlier time than the last use (another replica's clock) still finds it.
    assert!(s.touch_http_cache(&key(1, "old"), T0 + 5).await.unwrap());
    // "young" was not touched, so it is now the least recently used and goes first.
    assert_eq!(s.prune_http_cache(1, u64::MAX, 0).await.unwrap(), 1);
    assert!(s.http_cache(&key(1, "old")).await.unwrap().is_some());
    assert!(s.http_cache(&key(1, "young")).await.unwrap().is_none());
}

async fn row_bound_evicts_the_least_recently_used(db: &TestDb) {
    let s = db.open().await;
    for i in 0..10 {
        s.put_http_cache(&key(1, &format!("u{i}")), &entry("e", b"body"), T0 + i).await.unwrap();
    }
    assert_eq!(s.prune_http_cache(10, u64::MAX, 0).await.unwrap(), 0, "within the bound");
    assert_eq!(s.prune_http_cache(4, u64::MAX, 0).await.unwrap(), 6);
    for i in 0..10 {
        let present = s.http_cache(&key(1, &format!("u{i}"))).await.unwrap().is_some();
        assert_eq!(present, i >= 6, "u{i}");
    }
    assert_eq!(s.http_cache_usage().await.unwrap().rows, 4);
}

async fn byte_bound_evicts_the_least_recently_used(db: &TestDb) {
    let s = db.open().await;
    let body = vec![b'x'; 1_000];
    let size = entry("e", &body).size(&key(1, "u0"));
    for i in 0..5 {
        s.put_http_cache(&key(1, &format!("u{i}")), &entry("e", &body), T0 + i).await.unwrap();
    }
    assert_eq!(s.http_cache_usage().await.unwrap().bytes, 5 * size);
    // Room for two and a half: the two most recently used stay.
    assert_eq!(s.prune_http_cache(100, 2 * size + size / 2, 0).await.unwrap(), 3);
    let usage = s.http_cache_usage().await.unwrap();
    assert_eq!(usage, HttpCacheUsage { rows: 2, bytes: 2 * size });
    assert!(s.http_cache(&key(1, "u4")).await.unwrap().is_some());
    assert!(s.http_cache(&key(1, "u3")).await.unwrap().is_some());
    assert!(s.http_cache(&key(1, "u2")).await.unwrap().is_none());
}

async fn age_bound_deletes_entries_unused_too_long(db: &TestDb) {
    let s = db.open().await;
    s.put_http_cache(&key(1, "a"), &entry("a", b"a"), T0).await.unwrap();
    s.put_http_cache(&key(1, "b"), &entry("b", b"b"), T0 + 100).await.unwrap();
    s.touch_http_cache(&key(1, "a"), T0 + 200).await.unwrap();
    assert_eq!(s.prune_http_cache(100, u64::MAX, T0 + 150).await.unwrap(), 1);
    assert!(s.http_cache(&key(1, "a")).await.unwrap().is_some());
    assert!(s.http_cache(&key(1, "b")).await.unwrap().is_none());
}

/// The lookup before every conditional request: the body comes back only when the validators
/// differ from the caller's (another replica read the URL since), and `Missing` when none is kept.
async fn a_lookup_with_the_same_validators_reads_no_body(db: &TestDb) {
    let store = db.open().await;
    let k = key(1, URL);
    assert_eq!(store.http_cache_unless(&k, None, None).await.unwrap(), HttpCacheLookup::Missing);
    store.put_http_cache(&k, &entry("v1", b"first"), T0).await.unwrap();
    let same = store.http_cache_unless(&k, Some("\"v1\""), None).await.unwrap();
    assert_eq!(same, HttpCacheLookup::Same);
    // An older validator, or none, gets the entry with its body.
    for held in [Some("\"v0\""), None] {
        let got = store.http_cache_unless(&k, held, None).await.unwrap();
        assert_eq!(got, HttpCacheLookup::Entry(entry("v1", b"first")), "{held:?}");
    }
    // Last-Modified counts too: the same ETag with another date is another answer.
    let dated = HttpCacheEntry {
        last_modified: Some("Sat, 05 Dec 2026 10:00:00 GMT".into()),
        ..entry("v2", b"")
    };
    store.put_http_cache(&k, &dated, T0 + 1).await.unwrap();
    let got = store.http_cache_unless(&k, Some("\"v2\""), None).await.unwrap();
    assert_eq!(got, HttpCacheLookup::Entry(dated.clone()), "an empty body is still a body");
    let same = store
        .http_cache_unless(&k, Some("\"v2\""), Some("Sat, 05 Dec 2026 10:00:00 GMT"))
        .await
        .unwrap();
    assert_eq!(same, HttpCacheLookup::Same);
}

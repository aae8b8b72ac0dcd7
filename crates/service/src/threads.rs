//! When to read a pull request's review threads again. GraphQL has no `ETag`: every read costs
//! rate-limit points, so the threads read for a reconcile are kept (per process) and reused while
//! nothing that could change them has happened. They are read again when:
//!
//! - the head commit or any review changed (a new CodeRabbit review opens threads, a push makes
//!   them outdated): the key is the head SHA and every review's id, state and time;
//! - the job was caused by a `pull_request_review_thread` delivery (a thread was resolved or
//!   unresolved, which changes neither the head nor the reviews);
//! - our summary comment is not the one this process last left there: another replica (or a
//!   person) changed it, so another replica may have seen newer threads. The summary lists the
//!   open threads, so whoever read newer threads rewrote it.
//!
//! Which reconciles need threads at all is the policy's decision
//! ([`plasma_policy::Policy::needs_review_threads`]); an approved, unreviewed or unchanged pull
//! request costs no GraphQL point.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Mutex;

use plasma_policy::PrSnapshot;
use plasma_policy::snapshot::ReviewThread;

/// Pull requests whose threads are kept; the map is cleared when it grows past this.
const MAX_ENTRIES: usize = 10_000;

/// The event whose deliveries say "a thread changed".
pub const THREAD_EVENT: &str = "pull_request_review_thread";

struct Entry {
    /// Head SHA and reviews the threads were read for.
    state: u64,
    threads: Vec<ReviewThread>,
    /// Our summary as this process last left it (`None` until the reconcile finished).
    summary: Option<u64>,
}

/// Review threads read per pull request (job key), with what they were read for.
#[derive(Default)]
pub struct ThreadCache {
    map: Mutex<HashMap<String, Entry>>,
}

fn hash<T: Hash + ?Sized>(v: &T) -> u64 {
    let mut h = DefaultHasher::new();
    v.hash(&mut h);
    h.finish()
}

/// The head SHA and every review (id, state, time, commit), order-independent.
fn review_state(pr: &PrSnapshot) -> u64 {
    let mut reviews: Vec<(u64, String, Option<i64>, Option<&str>)> = pr
        .reviews
        .iter()
        .flatten()
        .map(|r| {
            (
                r.id,
                format!("{:?}", r.state),
                r.submitted_at.map(|t| t.as_second()),
                r.commit_id.as_deref(),
            )
        })
        .collect();
    reviews.sort();
    hash(&(&pr.head.sha, reviews))
}

impl ThreadCache {
    /// The kept threads, when they are still good for `pr` with our summary comment `sticky`
    /// (its body, as just fetched) and the job was not caused by a thread event.
    pub fn get(
        &self,
        key: &str,
        pr: &PrSnapshot,
        sticky: Option<&str>,
    ) -> Option<Vec<ReviewThread>> {
        let map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        let e = map.get(key)?;
        let same_summary = e.summary.is_some() && e.summary == sticky.map(hash);
        (e.state == review_state(pr) && same_summary).then(|| e.threads.clone())
    }

    /// Keep threads just read for `pr`; the entry counts once [`ThreadCache::settle`] records the
    /// summary the reconcile left.
    pub fn put(&self, key: &str, pr: &PrSnapshot, threads: Vec<ReviewThread>) {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_ENTRIES && !map.contains_key(key) {
            map.clear();
        }
        map.insert(key.to_string(), Entry { state: review_state(pr), threads, summary: None });
    }

    /// The reconcile of `key` finished and left `summary` as our comment's body.
    pub fn settle(&self, key: &str, summary: Option<&str>) {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(e) = map.get_mut(key) {
            e.summary = summary.map(hash);
        }
    }

    /// Forget a pull request's threads (a failed reconcile, or one that no longer needs them).
    pub fn forget(&self, key: &str) {
        self.map.lock().unwrap_or_else(|e| e.into_inner()).remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plasma_policy::snapshot::{Actor, Review, ReviewState};

    fn pr(head: &str, reviews: Vec<(u64, ReviewState)>) -> PrSnapshot {
        let mut p = PrSnapshot::unknown("o/r", 1);
        p.head.sha = head.into();
        p.reviews = Some(
            reviews
                .into_iter()
                .map(|(id, state)| Review {
                    id,
                    author: Actor::user("coderabbitai[bot]"),
                    state,
                    commit_id: Some(head.into()),
                    submitted_at: None,
                    body: String::new(),
                })
                .collect(),
        );
        p
    }

    fn thread() -> ReviewThread {
        ReviewThread {
            id: "PRRT_1".into(),
            author: "coderabbitai".into(),
            resolved: false,
            outdated: false,
            path: "a.rs".into(),
            line: Some(1),
            url: String::new(),
        }
    }

    #[test]
    fn threads_are_reused_only_while_nothing_that_changes_them_happened() {
        let c = ThreadCache::default();
        let p = pr("h1", vec![(1, ReviewState::Commented)]);
        c.put("o/r#1", &p, vec![thread()]);
        assert_eq!(c.get("o/r#1", &p, Some("S")), None, "not settled yet");
        c.settle("o/r#1", Some("S"));
        assert_eq!(c.get("o/r#1", &p, Some("S")).map(|t| t.len()), Some(1));
        // Another summary: someone else (another replica) rewrote it.
        assert_eq!(c.get("o/r#1", &p, Some("T")), None);
        assert_eq!(c.get("o/r#1", &p, None), None);
        // A new head, or a new review.
        assert_eq!(c.get("o/r#1", &pr("h2", vec![(1, ReviewState::Commented)]), Some("S")), None);
        let more = pr("h1", vec![(1, ReviewState::Commented), (2, ReviewState::Commented)]);
        assert_eq!(c.get("o/r#1", &more, Some("S")), None);
        // Reviews in another order are the same reviews.
        let two = pr("h1", vec![(2, ReviewState::Commented), (1, ReviewState::Commented)]);
        c.put("o/r#1", &more, vec![]);
        c.settle("o/r#1", Some("S"));
        assert_eq!(c.get("o/r#1", &two, Some("S")), Some(vec![]));
        c.forget("o/r#1");
        assert_eq!(c.get("o/r#1", &two, Some("S")), None);
        c.settle("o/r#2", Some("S"));
        assert_eq!(c.get("o/r#2", &two, Some("S")), None);
    }
}

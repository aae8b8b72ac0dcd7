//! Minute samples for the ops page's charts, kept in memory for the last 24 hours: queue depth
//! by state and the GitHub calls made (all, 304, rate-limited) in each minute. Taken by a task of
//! `serve` once a minute and whenever `/ops` is read; a restart starts the history afresh (the
//! durable figures — the queue, the delivery latencies — come from the store).

use std::collections::VecDeque;
use std::sync::Mutex;

use serde::Serialize;

use crate::app::App;

/// The charts' window.
pub const WINDOW_MS: i64 = 24 * 60 * 60 * 1000;
const MINUTE_MS: i64 = 60_000;
/// One sample a minute over the window.
const CAPACITY: usize = 24 * 60;

/// One minute's figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Sample {
    /// The minute's start, Unix milliseconds.
    pub minute: i64,
    /// Jobs waiting.
    pub pending: u64,
    /// Jobs held by a worker.
    pub leased: u64,
    /// Dead-lettered jobs.
    pub dead: u64,
    /// GitHub requests counted so far (the client's running total).
    pub github_requests: u64,
    /// Of which answered 304.
    pub github_not_modified: u64,
    /// Refused for rate limits.
    pub github_rate_limited: u64,
}

/// The samples of the last 24 hours, oldest first.
#[derive(Debug, Default)]
pub struct OpsHistory {
    samples: Mutex<VecDeque<Sample>>,
}

impl OpsHistory {
    /// Records `s`, replacing a sample of the same minute, dropping those older than the window.
    pub fn record(&self, s: Sample) {
        let Ok(mut q) = self.samples.lock() else { return };
        if q.back().is_some_and(|b| b.minute == s.minute) {
            q.pop_back();
        }
        if q.back().is_some_and(|b| b.minute > s.minute) {
            return; // a clock that went back: keep the history monotonic
        }
        q.push_back(s);
        while q.len() > CAPACITY || q.front().is_some_and(|f| f.minute <= s.minute - WINDOW_MS) {
            q.pop_front();
        }
    }

    /// The samples, oldest first.
    pub fn samples(&self) -> Vec<Sample> {
        self.samples.lock().map(|q| q.iter().copied().collect()).unwrap_or_default()
    }
}

/// Takes this minute's sample from the store and the GitHub client.
pub async fn sample(app: &App, now: i64) {
    let Ok(depth) = app.store.queue_depth().await else { return };
    let stats = app.github.as_ref().map(|g| g.stats());
    app.history.record(Sample {
        minute: now - now.rem_euclid(MINUTE_MS),
        pending: depth.pending,
        leased: depth.leased,
        dead: depth.dead,
        github_requests: stats.as_ref().map_or(0, |s| s.requests),
        github_not_modified: stats.as_ref().map_or(0, |s| s.not_modified),
        github_rate_limited: stats.as_ref().map_or(0, |s| s.rate_limited),
    });
}

/// Samples once a minute until `stop` says so.
pub async fn run(app: std::sync::Arc<App>, mut stop: tokio::sync::watch::Receiver<bool>) {
    loop {
        sample(&app, app.now()).await;
        tokio::select! {
            _ = tokio::time::sleep(std::time::Duration::from_secs(60)) => {}
            _ = stop.changed() => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minute: i64, pending: u64) -> Sample {
        Sample {
            minute: minute * MINUTE_MS,
            pending,
            leased: 0,
            dead: 0,
            github_requests: 0,
            github_not_modified: 0,
            github_rate_limited: 0,
        }
    }

    #[test]
    fn one_sample_per_minute_over_a_day() {
        let h = OpsHistory::default();
        h.record(at(1, 1));
        h.record(at(1, 2));
        h.record(at(2, 3));
        assert_eq!(h.samples(), [at(1, 2), at(2, 3)]);
        // Going back in time is ignored.
        h.record(at(0, 9));
        assert_eq!(h.samples().len(), 2);
        // A day later the old minutes are gone.
        h.record(at(1 + 24 * 60, 4));
        assert_eq!(h.samples(), [at(2, 3), at(1 + 24 * 60, 4)]);
        for m in 0..3000 {
            h.record(at(10_000 + m, 1));
        }
        assert_eq!(h.samples().len(), CAPACITY);
    }
}

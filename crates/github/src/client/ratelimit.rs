//! Rate limits: the budget GitHub reports per credential (`X-RateLimit-*` headers), and the
//! reading of 403/429 answers that mean "slow down" rather than "forbidden".

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use reqwest::header::HeaderMap;

use super::error::RateLimitKind;

/// How long to wait on a secondary limit when GitHub gives no `Retry-After` (GitHub's guidance:
/// at least one minute).
pub(crate) const SECONDARY_DEFAULT_WAIT: Duration = Duration::from_secs(60);

/// The last budget GitHub reported for one credential and resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimitStatus {
    /// Whose budget: `token`, `app` or `installation:<id>` (never the token itself).
    pub identity: String,
    /// GitHub's resource, e.g. `core`, `search`, `graphql`.
    pub resource: String,
    /// Requests left in the window.
    pub remaining: u64,
    /// The window's size, when reported.
    pub limit: Option<u64>,
    /// When the window resets, in Unix seconds.
    pub reset: i64,
}

/// Budgets by (identity, resource).
#[derive(Default)]
pub(crate) struct RateLimits {
    map: Mutex<HashMap<(String, String), RateLimitStatus>>,
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim)
}

fn header_num<T: std::str::FromStr>(headers: &HeaderMap, name: &str) -> Option<T> {
    header(headers, name).and_then(|v| v.parse().ok())
}

impl RateLimits {
    fn lock(&self) -> MutexGuard<'_, HashMap<(String, String), RateLimitStatus>> {
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records the budget an answer reports; returns it when the answer carried one.
    pub fn observe(&self, identity: &str, headers: &HeaderMap) -> Option<RateLimitStatus> {
        let remaining = header_num::<u64>(headers, "x-ratelimit-remaining")?;
        let reset = header_num::<i64>(headers, "x-ratelimit-reset")?;
        let resource = header(headers, "x-ratelimit-resource").unwrap_or("core").to_string();
        let status = RateLimitStatus {
            identity: identity.to_string(),
            resource: resource.clone(),
            remaining,
            limit: header_num(headers, "x-ratelimit-limit"),
            reset,
        };
        self.lock().insert((identity.to_string(), resource), status.clone());
        Some(status)
    }

    /// How long to hold back before the next request of `identity` on `resource`: `Some` when
    /// fewer than `floor` requests remain and the window has not reset yet.
    pub fn wait_needed(
        &self,
        identity: &str,
        resource: &str,
        floor: u64,
        now: i64,
    ) -> Option<Duration> {
        let map = self.lock();
        let s = map.get(&(identity.to_string(), resource.to_string()))?;
        if s.remaining >= floor || s.reset <= now {
            return None;
        }
        // One extra second: GitHub's reset is rounded down.
        Some(Duration::from_secs((s.reset - now) as u64 + 1))
    }

    /// Every budget seen so far.
    pub fn all(&self) -> Vec<RateLimitStatus> {
        let mut v: Vec<RateLimitStatus> = self.lock().values().cloned().collect();
        v.sort_by(|a, b| (&a.identity, &a.resource).cmp(&(&b.identity, &b.resource)));
        v
    }
}

/// `Retry-After` in seconds (GitHub sends seconds, never a date).
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    header_num::<u64>(headers, "retry-after").map(Duration::from_secs)
}

/// Whether a 403 or 429 answer is a rate limit, and how long to wait. A 403 without any sign of
/// a limit is a permission problem and returns `None`.
pub(crate) fn classify(
    status: u16,
    headers: &HeaderMap,
    message: &str,
    now: i64,
) -> Option<(Duration, RateLimitKind)> {
    if status != 403 && status != 429 {
        return None;
    }
    let remaining = header_num::<u64>(headers, "x-ratelimit-remaining");
    let reset = header_num::<i64>(headers, "x-ratelimit-reset");
    let lower = message.to_ascii_lowercase();
    let secondary = lower.contains("secondary rate limit") || lower.contains("abuse");
    if let Some(wait) = retry_after(headers) {
        let kind = if remaining == Some(0) && !secondary {
            RateLimitKind::Primary
        } else {
            RateLimitKind::Secondary
        };
        return Some((wait, kind));
    }
    if remaining == Some(0) {
        let wait = reset.map(|r| (r - now).max(0) as u64 + 1).unwrap_or(60);
        let kind = if secondary { RateLimitKind::Secondary } else { RateLimitKind::Primary };
        return Some((Duration::from_secs(wait), kind));
    }
    if secondary || lower.contains("rate limit") || status == 429 {
        return Some((SECONDARY_DEFAULT_WAIT, RateLimitKind::Secondary));
    }
    None
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn budgets_are_kept_per_identity_and_resource() {
        let limits = RateLimits::default();
        let h = headers(&[
            ("x-ratelimit-remaining", "10"),
            ("x-ratelimit-reset", "1000"),
            ("x-ratelimit-limit", "5000"),
        ]);
        let s = limits.observe("installation:1", &h).unwrap();
        assert_eq!((s.remaining, s.limit, s.resource.as_str()), (10, Some(5000), "core"));
        assert_eq!(
            limits.wait_needed("installation:1", "core", 50, 990),
            Some(Duration::from_secs(11))
        );
        assert_eq!(limits.wait_needed("installation:1", "core", 5, 990), None);
        assert_eq!(limits.wait_needed("installation:1", "core", 50, 1000), None);
        assert_eq!(limits.wait_needed("installation:2", "core", 50, 990), None);
        assert!(limits.observe("token", &HeaderMap::new()).is_none());
        assert_eq!(limits.all().len(), 1);
    }

    #[test]
    fn limits_are_told_apart_from_permission_errors() {
        let now = 1000;
        let h = headers(&[("retry-after", "30")]);
        assert_eq!(
            classify(403, &h, "You have exceeded a secondary rate limit", now),
            Some((Duration::from_secs(30), RateLimitKind::Secondary))
        );
        assert_eq!(
            classify(429, &h, "", now),
            Some((Duration::from_secs(30), RateLimitKind::Secondary))
        );
        let h = headers(&[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", "1100")]);
        assert_eq!(
            classify(403, &h, "API rate limit exceeded", now),
            Some((Duration::from_secs(101), RateLimitKind::Primary))
        );
        let h = headers(&[("x-ratelimit-remaining", "4000")]);
        assert_eq!(
            classify(403, &h, "You have exceeded a secondary rate limit. Please wait", now),
            Some((SECONDARY_DEFAULT_WAIT, RateLimitKind::Secondary))
        );
        assert_eq!(classify(403, &h, "Resource not accessible by integration", now), None);
        assert_eq!(classify(404, &headers(&[("retry-after", "5")]), "", now), None);
    }
}

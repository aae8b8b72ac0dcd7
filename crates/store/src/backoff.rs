//! Retry delays: exponential backoff with full jitter, or GitHub's `Retry-After`.

use std::time::Duration;

use rand::Rng;

/// The ceiling after the first failed attempt.
pub const BACKOFF_BASE: Duration = Duration::from_secs(1);

/// The largest ceiling, however many attempts failed.
pub const BACKOFF_CAP: Duration = Duration::from_secs(10 * 60);

/// The longest wait after failed attempt `attempt` (counted from 1): `min(cap, base * 2^(attempt-1))`,
/// so the first retry waits at most the base and the ceiling doubles from there.
pub fn backoff_ceiling(attempt: u32) -> Duration {
    let doublings = attempt.saturating_sub(1);
    // 2^20 seconds is far past the cap: stop shifting before the multiplication could overflow.
    if doublings >= 20 {
        return BACKOFF_CAP;
    }
    BACKOFF_BASE.saturating_mul(1 << doublings).min(BACKOFF_CAP)
}

/// How long to wait after failed attempt `attempt`: exactly `retry_after` when GitHub gave one
/// (never shortened, even past the cap), otherwise uniform in `[0, backoff_ceiling(attempt)]`.
///
/// Full jitter rather than "ceiling plus a little": it spreads a burst of failures (say, every
/// job hitting the same GitHub outage) evenly over the window instead of re-synchronising them.
pub fn retry_delay(attempt: u32, retry_after: Option<Duration>) -> Duration {
    retry_delay_drawn(attempt, retry_after, |ceiling| rand::rng().random_range(0..=ceiling))
}

/// [`retry_delay`] with the jitter's random draw supplied: `draw` gets the ceiling in
/// milliseconds and returns a wait from 0 to it (clamped into that range), so the queue's
/// transitions stay pure and their tests pick the draw.
pub(crate) fn retry_delay_drawn(
    attempt: u32,
    retry_after: Option<Duration>,
    draw: impl FnOnce(i64) -> i64,
) -> Duration {
    match retry_after {
        Some(wait) => wait,
        None => {
            let ceiling = millis(backoff_ceiling(attempt));
            let chosen = draw(ceiling).clamp(0, ceiling);
            Duration::from_millis(u64::try_from(chosen).unwrap_or(0))
        }
    }
}

/// A duration as whole milliseconds, saturating instead of wrapping.
pub(crate) fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceiling_doubles_from_the_base_up_to_the_cap() {
        assert_eq!(backoff_ceiling(0), Duration::from_secs(1));
        assert_eq!(backoff_ceiling(1), Duration::from_secs(1));
        assert_eq!(backoff_ceiling(2), Duration::from_secs(2));
        assert_eq!(backoff_ceiling(3), Duration::from_secs(4));
        assert_eq!(backoff_ceiling(10), Duration::from_secs(512));
        assert_eq!(backoff_ceiling(11), BACKOFF_CAP);
        assert_eq!(backoff_ceiling(u32::MAX), BACKOFF_CAP);
    }

    #[test]
    fn jitter_stays_within_zero_and_the_ceiling() {
        for attempt in 1..=15 {
            let ceiling = backoff_ceiling(attempt);
            let samples: Vec<Duration> = (0..200).map(|_| retry_delay(attempt, None)).collect();
            assert!(samples.iter().all(|d| *d <= ceiling), "attempt {attempt}: {samples:?}");
            // Full jitter: not pinned to the ceiling (200 draws all at the ceiling is ~impossible).
            assert!(samples.iter().any(|d| *d < ceiling), "attempt {attempt}");
        }
    }

    #[test]
    fn retry_after_is_used_exactly_even_beyond_the_cap() {
        let long = Duration::from_secs(3600);
        assert_eq!(retry_delay(1, Some(long)), long);
        assert_eq!(retry_delay(30, Some(Duration::from_millis(1))), Duration::from_millis(1));
    }

    #[test]
    fn a_supplied_draw_is_used_and_kept_within_the_ceiling() {
        assert_eq!(retry_delay_drawn(3, None, |c| c), Duration::from_secs(4));
        assert_eq!(retry_delay_drawn(3, None, |_| 250), Duration::from_millis(250));
        assert_eq!(retry_delay_drawn(1, None, |_| 5_000), Duration::from_secs(1));
        assert_eq!(retry_delay_drawn(1, None, |_| -3), Duration::ZERO);
        let wait = Duration::from_secs(7);
        assert_eq!(retry_delay_drawn(1, Some(wait), |_| 0), wait);
    }

    #[test]
    fn millis_saturates() {
        assert_eq!(millis(Duration::MAX), i64::MAX);
        assert_eq!(millis(Duration::from_millis(1500)), 1500);
    }
}

//! The two summaries the report prints for a set of durations. The median is the middle value
//! (the mean of the two middle ones for an even count); p90 is the nearest-rank 90th percentile
//! (the smallest value with at least 90 % of the values at or below it), so each is a value a
//! reader can find in the data, and hand-computed test figures stay exact.

/// The median of `values`; `None` when empty.
pub fn median(values: &[f64]) -> Option<f64> {
    let v = sorted(values);
    let n = v.len();
    if n == 0 {
        return None;
    }
    let mid = n / 2;
    if n % 2 == 1 { v.get(mid).copied() } else { Some((v[mid - 1] + v[mid]) / 2.0) }
}

/// The nearest-rank 90th percentile of `values`; `None` when empty.
pub fn p90(values: &[f64]) -> Option<f64> {
    let v = sorted(values);
    if v.is_empty() {
        return None;
    }
    // ceil(0.9 n) as a 1-based rank, in integers so 0.9 * 10 is exactly 9.
    let rank = (v.len() * 9).div_ceil(10).max(1);
    v.get(rank - 1).copied()
}

fn sorted(values: &[f64]) -> Vec<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    v
}

/// Rounds to two decimals, the precision every figure is reported with.
pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Hours between two instants (unix milliseconds); never negative (a clock disagreement between
/// GitHub's services must not produce a negative wait).
pub fn hours(from: i64, to: i64) -> f64 {
    (to.saturating_sub(from)).max(0) as f64 / 3_600_000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_and_percentiles_by_hand() {
        let table: &[(&[f64], Option<f64>, Option<f64>)] = &[
            (&[], None, None),
            (&[5.0], Some(5.0), Some(5.0)),
            (&[1.0, 3.0], Some(2.0), Some(3.0)),
            (&[3.0, 1.0, 2.0], Some(2.0), Some(3.0)),
            (&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0], Some(5.5), Some(9.0)),
            (&[10.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 100.0], Some(6.0), Some(10.0)),
            (&[f64::NAN, 4.0], Some(4.0), Some(4.0)),
        ];
        for (values, m, p) in table {
            assert_eq!(median(values), *m, "median of {values:?}");
            assert_eq!(p90(values), *p, "p90 of {values:?}");
        }
    }

    #[test]
    fn hours_are_never_negative() {
        assert_eq!(hours(0, 5_400_000), 1.5);
        assert_eq!(hours(5_400_000, 0), 0.0);
        assert_eq!(round2(1.23456), 1.23);
    }
}

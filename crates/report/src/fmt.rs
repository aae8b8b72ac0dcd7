//! How figures read in the Markdown and HTML renderings: durations in hours or days, signed
//! differences, DORA figures with their unit.

use crate::model::{Count, DoraFigure, Durations};

/// A duration in hours as a reader wants it: hours below two days, days above; `-` when absent.
pub fn hours(h: Option<f64>) -> String {
    match h {
        None => "-".to_string(),
        Some(h) if h.abs() < 48.0 => format!("{h:.1} h"),
        Some(h) => format!("{:.1} d", h / 24.0),
    }
}

/// A signed difference of counts: `+2`, `-1`, `±0`.
pub fn delta(d: i64) -> String {
    match d {
        0 => "±0".to_string(),
        d if d > 0 => format!("+{d}"),
        d => d.to_string(),
    }
}

/// A signed difference of hours: `+1.5 h`, `-2.0 d`; `-` when absent.
pub fn delta_hours(d: Option<f64>) -> String {
    match d {
        None => "-".to_string(),
        Some(0.0) => "±0".to_string(),
        Some(d) if d > 0.0 => format!("+{}", hours(Some(d))),
        Some(d) => hours(Some(d)),
    }
}

/// `median / p90` of a set of durations.
pub fn spread(d: &Durations) -> String {
    if d.count == 0 {
        return "-".to_string();
    }
    format!("{} / {} (n={})", hours(d.median_hours), hours(d.p90_hours), d.count)
}

/// `median / p90` of the week before.
pub fn spread_before(d: &Durations) -> String {
    if d.previous_median_hours.is_none() {
        return "-".to_string();
    }
    format!("{} / {}", hours(d.previous_median_hours), hours(d.previous_p90_hours))
}

/// A count's change.
pub fn count_delta(c: &Count) -> String {
    delta(c.delta)
}

/// A DORA figure's value with its unit, or `no data`.
pub fn dora_value(f: &DoraFigure) -> String {
    match f.value {
        None => "no data".to_string(),
        Some(v) => match f.unit {
            "hours" => hours(Some(v)),
            "percent" => format!("{v:.1} %"),
            _ => format!("{} per week", crate::svg::num(v)),
        },
    }
}

/// A DORA figure's change against the week before.
pub fn dora_delta(f: &DoraFigure) -> String {
    match (f.delta, f.unit) {
        (None, _) => "-".to_string(),
        (Some(d), "hours") => delta_hours(Some(d)),
        (Some(0.0), "percent") => "±0".to_string(),
        (Some(d), "percent") => format!("{d:+.1} pt"),
        (Some(0.0), _) => "±0".to_string(),
        (Some(d), _) => format!("{:+}", d.round() as i64),
    }
}

/// A DORA figure's band, or `-`.
pub fn band(f: &DoraFigure) -> &'static str {
    f.band.map_or("-", crate::dora::Band::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_differences_read_naturally() {
        assert_eq!(hours(None), "-");
        assert_eq!(hours(Some(3.25)), "3.2 h");
        assert_eq!(hours(Some(72.0)), "3.0 d");
        assert_eq!(delta(3), "+3");
        assert_eq!(delta(-2), "-2");
        assert_eq!(delta(0), "±0");
        assert_eq!(delta_hours(Some(1.5)), "+1.5 h");
        assert_eq!(delta_hours(Some(-50.0)), "-2.1 d");
        assert_eq!(delta_hours(Some(0.0)), "±0");
        assert_eq!(delta_hours(None), "-");
    }
}

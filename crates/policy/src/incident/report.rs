//! What `plasma-ops incidents` reports: each recorded incident with its ages, and per severity the
//! median and 90th percentile of time to acknowledge and time to restore. Pure: the rows and
//! `now` come from the caller. Percentiles are nearest-rank (the smallest value with at least
//! that share of the values at or below it), so every figure is one an incident really had.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::Serialize;

/// One incident as recorded, times as GitHub gave them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedIncident {
    /// `owner/name`.
    pub repo: String,
    /// Issue number.
    pub number: u64,
    /// Title.
    pub title: String,
    /// Severity label.
    pub severity: Option<String>,
    /// Resolved (else open).
    pub resolved: bool,
    /// Opened.
    pub opened_at: Timestamp,
    /// Acknowledged.
    pub acknowledged_at: Option<Timestamp>,
    /// Resolved at.
    pub resolved_at: Option<Timestamp>,
    /// Postmortem link.
    pub postmortem: Option<String>,
}

/// One incident in the report (the `incidents` items of `plasma-ops incidents --format json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IncidentLine {
    /// `owner/name`.
    pub repo: String,
    /// Issue number.
    pub number: u64,
    /// Title.
    pub title: String,
    /// Severity label, `null` when it has none.
    pub severity: Option<String>,
    /// `open` or `resolved`.
    pub state: &'static str,
    /// RFC 3339.
    pub opened_at: String,
    /// RFC 3339 or `null`.
    pub acknowledged_at: Option<String>,
    /// RFC 3339 or `null`.
    pub resolved_at: Option<String>,
    /// Seconds from opened to acknowledged, `null` when not yet.
    pub time_to_acknowledge_s: Option<i64>,
    /// Seconds from opened to resolved, `null` when not yet.
    pub time_to_restore_s: Option<i64>,
    /// The postmortem link, `null` when missing.
    pub postmortem: Option<String>,
}

/// Median and 90th percentile of a figure, `null` when no incident has it yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Spread {
    /// How many incidents have the figure.
    pub count: usize,
    /// Nearest-rank median, seconds.
    pub median_s: Option<i64>,
    /// Nearest-rank 90th percentile, seconds.
    pub p90_s: Option<i64>,
}

/// The figures of one severity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SeveritySummary {
    /// Incidents of this severity.
    pub incidents: usize,
    /// Of which open.
    pub open: usize,
    /// Resolved without a postmortem link (waived).
    pub resolved_without_postmortem: usize,
    /// Time to acknowledge.
    pub time_to_acknowledge: Spread,
    /// Time to restore.
    pub time_to_restore: Spread,
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IncidentReport {
    /// Every incident, oldest first.
    pub incidents: Vec<IncidentLine>,
    /// Per severity (`none` for incidents without one), and `all`.
    pub summary: BTreeMap<String, SeveritySummary>,
}

/// Nearest-rank percentile `q` (0 < q <= 1) of sorted values.
pub fn percentile(sorted: &[i64], q: f64) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len()) - 1).copied()
}

fn spread(mut values: Vec<i64>) -> Spread {
    values.sort_unstable();
    Spread {
        count: values.len(),
        median_s: percentile(&values, 0.5),
        p90_s: percentile(&values, 0.9),
    }
}

/// Builds the report.
pub fn report(rows: &[RecordedIncident]) -> IncidentReport {
    let secs =
        |from: Timestamp, to: Option<Timestamp>| to.map(|t| t.as_second() - from.as_second());
    let incidents: Vec<IncidentLine> = rows
        .iter()
        .map(|r| IncidentLine {
            repo: r.repo.clone(),
            number: r.number,
            title: r.title.clone(),
            severity: r.severity.clone(),
            state: if r.resolved { "resolved" } else { "open" },
            opened_at: r.opened_at.to_string(),
            acknowledged_at: r.acknowledged_at.map(|t| t.to_string()),
            resolved_at: r.resolved_at.filter(|_| r.resolved).map(|t| t.to_string()),
            time_to_acknowledge_s: secs(r.opened_at, r.acknowledged_at),
            time_to_restore_s: secs(r.opened_at, r.resolved_at.filter(|_| r.resolved)),
            postmortem: r.postmortem.clone(),
        })
        .collect();
    let mut groups: BTreeMap<String, Vec<&IncidentLine>> = BTreeMap::new();
    for line in &incidents {
        let key = line.severity.clone().unwrap_or_else(|| "none".into());
        groups.entry(key).or_default().push(line);
        groups.entry("all".into()).or_default().push(line);
    }
    let summary = groups
        .into_iter()
        .map(|(k, lines)| {
            let s = SeveritySummary {
                incidents: lines.len(),
                open: lines.iter().filter(|l| l.state == "open").count(),
                resolved_without_postmortem: lines
                    .iter()
                    .filter(|l| l.state == "resolved" && l.postmortem.is_none())
                    .count(),
                time_to_acknowledge: spread(
                    lines.iter().filter_map(|l| l.time_to_acknowledge_s).collect(),
                ),
                time_to_restore: spread(lines.iter().filter_map(|l| l.time_to_restore_s).collect()),
            };
            (k, s)
        })
        .collect();
    IncidentReport { incidents, summary }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        assert_eq!(percentile(&[], 0.5), None);
        assert_eq!(percentile(&[7], 0.9), Some(7));
        assert_eq!(percentile(&[1, 2, 3, 4], 0.5), Some(2));
        assert_eq!(percentile(&[1, 2, 3, 4, 5], 0.5), Some(3));
        let ten: Vec<i64> = (1..=10).collect();
        assert_eq!(percentile(&ten, 0.9), Some(9));
        let eleven: Vec<i64> = (1..=11).collect();
        assert_eq!(percentile(&eleven, 0.9), Some(10));
    }

    #[test]
    fn the_report_per_severity() {
        let row =
            |n: u64, sev: Option<&str>, ack: Option<&str>, res: Option<&str>, pm: Option<&str>| {
                RecordedIncident {
                    repo: "o/r".into(),
                    number: n,
                    title: format!("incident {n}"),
                    severity: sev.map(str::to_string),
                    resolved: res.is_some(),
                    opened_at: t("2026-12-01T10:00:00Z"),
                    acknowledged_at: ack.map(t),
                    resolved_at: res.map(t),
                    postmortem: pm.map(str::to_string),
                }
            };
        let r = report(&[
            row(
                1,
                Some("sev1"),
                Some("2026-12-01T10:05:00Z"),
                Some("2026-12-01T11:00:00Z"),
                Some("https://x"),
            ),
            row(2, Some("sev1"), Some("2026-12-01T10:15:00Z"), Some("2026-12-01T13:00:00Z"), None),
            row(3, Some("sev2"), None, None, None),
            row(4, None, Some("2026-12-01T10:01:00Z"), None, None),
        ]);
        let sev1 = &r.summary["sev1"];
        assert_eq!((sev1.incidents, sev1.open, sev1.resolved_without_postmortem), (2, 0, 1));
        assert_eq!(
            sev1.time_to_acknowledge,
            Spread { count: 2, median_s: Some(300), p90_s: Some(900) }
        );
        assert_eq!(
            sev1.time_to_restore,
            Spread { count: 2, median_s: Some(3_600), p90_s: Some(10_800) }
        );
        assert_eq!(
            r.summary["sev2"].time_to_acknowledge,
            Spread { count: 0, median_s: None, p90_s: None }
        );
        assert_eq!(r.summary["none"].open, 1);
        assert_eq!(r.summary["all"].incidents, 4);
        let json = serde_json::to_value(&r.incidents[0]).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "repo": "o/r", "number": 1, "title": "incident 1", "severity": "sev1",
                "state": "resolved", "opened_at": "2026-12-01T10:00:00Z",
                "acknowledged_at": "2026-12-01T10:05:00Z", "resolved_at": "2026-12-01T11:00:00Z",
                "time_to_acknowledge_s": 300, "time_to_restore_s": 3600, "postmortem": "https://x"
            })
        );
        assert_eq!(r.incidents[2].state, "open");
        assert_eq!(r.incidents[2].time_to_restore_s, None);
    }
}

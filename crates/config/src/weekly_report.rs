//! `report:` section: when the service posts the weekly report (day, time, time zone; the week's
//! bounds are in that time zone too) and how the Projects v2 status update is judged from it.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `report:` section.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ReportConfig {
    /// The weekly report.
    pub weekly: WeeklyReportConfig,
}

/// A day of the week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum Weekday {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

impl Weekday {
    /// Days after Monday: 0 for Monday, 6 for Sunday.
    pub fn from_monday(self) -> u8 {
        self as u8
    }
}

/// `report.weekly`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct WeeklyReportConfig {
    /// Whether the service posts the report each week (to the targets `notifications.routes`
    /// gives the `weekly_report` event, and as a status update of the board when one is set up).
    pub enabled: bool,
    /// The day it is posted; it covers the last complete ISO week before it.
    pub day: Weekday,
    /// The local time it is posted, `HH:MM` (24-hour clock).
    pub time: String,
    /// The IANA time zone of `day` and `time` and of the week's bounds (`Europe/Berlin`).
    pub time_zone: String,
    /// How the board's status update is judged from the report.
    pub status: StatusThresholds,
}

impl Default for WeeklyReportConfig {
    fn default() -> Self {
        WeeklyReportConfig {
            enabled: false,
            day: Weekday::Monday,
            time: "09:00".into(),
            time_zone: "UTC".into(),
            status: StatusThresholds::default(),
        }
    }
}

impl WeeklyReportConfig {
    /// `time` as (hour, minute), or what is wrong with it.
    pub fn hour_minute(&self) -> Result<(u8, u8), String> {
        let bad =
            || format!("report.weekly.time `{}` is not HH:MM (24-hour), e.g. 09:00", self.time);
        let (h, m) = self.time.split_once(':').ok_or_else(bad)?;
        let (h, m): (u8, u8) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        if h > 23 || m > 59 || self.time.len() != 5 {
            return Err(bad());
        }
        Ok((h, m))
    }
}

/// `report.weekly.status`: the status update is `OFF_TRACK` when any `off_track` limit is
/// passed, else `AT_RISK` when any `at_risk` limit is, else `ON_TRACK`. A figure with no data
/// passes no limit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct StatusThresholds {
    /// Limits past which the week is at risk.
    pub at_risk: StatusLimits,
    /// Limits past which the week is off track.
    pub off_track: StatusLimits,
}

impl Default for StatusThresholds {
    fn default() -> Self {
        StatusThresholds {
            at_risk: StatusLimits {
                change_failure_rate_above: Some(15),
                lead_time_hours_above: Some(168),
                open_incidents_above: Some(0),
                oldest_waiting_hours_above: Some(72),
            },
            off_track: StatusLimits {
                change_failure_rate_above: Some(30),
                lead_time_hours_above: Some(720),
                open_incidents_above: Some(2),
                oldest_waiting_hours_above: Some(336),
            },
        }
    }
}

/// Limits on the week's figures; an unset limit is not checked.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct StatusLimits {
    /// Change failure rate, percent.
    pub change_failure_rate_above: Option<u32>,
    /// Median lead time for changes, hours.
    pub lead_time_hours_above: Option<u32>,
    /// Incidents opened this week and not resolved in it.
    pub open_incidents_above: Option<u64>,
    /// The oldest waiting pull request's wait, hours.
    pub oldest_waiting_hours_above: Option<u32>,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn defaults_post_nothing_until_enabled() {
        let c = ReportConfig::default();
        assert!(!c.weekly.enabled);
        assert_eq!(c.weekly.hour_minute(), Ok((9, 0)));
        assert_eq!(Weekday::Sunday.from_monday(), 6);
    }

    #[test]
    fn a_file_sets_day_time_and_zone() {
        let c: ReportConfig = yaml_serde::from_str(
            "weekly: {enabled: true, day: friday, time: \"16:30\", time_zone: Europe/Berlin, \
             status: {at_risk: {change_failure_rate_above: 10}}}",
        )
        .unwrap();
        assert_eq!(c.weekly.day, Weekday::Friday);
        assert_eq!(c.weekly.hour_minute(), Ok((16, 30)));
        assert_eq!(c.weekly.status.at_risk.change_failure_rate_above, Some(10));
        assert_eq!(c.weekly.status.at_risk.lead_time_hours_above, None);
        for bad in ["9:00", "24:00", "09:60", "nine"] {
            let w = WeeklyReportConfig { time: bad.into(), ..WeeklyReportConfig::default() };
            assert!(w.hour_minute().is_err(), "{bad}");
        }
        assert!(yaml_serde::from_str::<ReportConfig>("weekly: {days: monday}").is_err());
    }
}

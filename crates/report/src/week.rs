//! ISO weeks (`2026-W49`) and their bounds in a time zone: a report's week runs from Monday 00:00
//! to the next Monday 00:00 local time, so a team in Berlin and one in Tokyo each get the week
//! they lived through. The time zone is passed in (resolving a name reads the system's tz
//! database, which is the caller's business).

use std::fmt;
use std::str::FromStr;

use jiff::civil::{Date, ISOWeekDate, Weekday};
use jiff::tz::TimeZone;

/// An ISO 8601 week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IsoWeek {
    year: i16,
    week: i8,
}

/// Why a week could not be read or placed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WeekError {
    /// Not of the form `YYYY-Www`.
    #[error("`{0}` is not an ISO week: write it as YYYY-Www, for example 2026-W49")]
    Syntax(String),
    /// The year has no such week.
    #[error("{year} has no week {week}: ISO years have 52 or 53 weeks")]
    NoSuchWeek {
        /// The year.
        year: i16,
        /// The week asked for.
        week: i8,
    },
    /// Outside the calendar jiff supports.
    #[error("the time {0} is outside the supported calendar")]
    OutOfRange(i64),
}

impl IsoWeek {
    /// Week `week` of ISO year `year`.
    pub fn new(year: i16, week: i8) -> Result<Self, WeekError> {
        ISOWeekDate::new(year, week, Weekday::Monday)
            .map(|_| IsoWeek { year, week })
            .map_err(|_| WeekError::NoSuchWeek { year, week })
    }

    /// The week holding the instant `ms` (unix milliseconds) in `tz`.
    pub fn containing(ms: i64, tz: &TimeZone) -> Result<Self, WeekError> {
        let ts = jiff::Timestamp::from_millisecond(ms).map_err(|_| WeekError::OutOfRange(ms))?;
        let d = ts.to_zoned_datetime(tz.clone()).date().iso_week_date();
        Ok(IsoWeek { year: d.year(), week: d.week() })
    }

    /// The ISO year.
    pub fn year(self) -> i16 {
        self.year
    }

    /// The week number, 1 to 53.
    pub fn week(self) -> i8 {
        self.week
    }

    fn monday(self) -> Result<Date, WeekError> {
        ISOWeekDate::new(self.year, self.week, Weekday::Monday)
            .map(ISOWeekDate::date)
            .map_err(|_| WeekError::NoSuchWeek { year: self.year, week: self.week })
    }

    /// The starts of the week's seven days and of the next Monday, unix milliseconds in `tz`
    /// (eight instants; a day is not always 24 hours where clocks change).
    pub fn day_starts(self, tz: &TimeZone) -> Result<[i64; 8], WeekError> {
        let mut day = self.monday()?;
        let mut out = [0i64; 8];
        for slot in &mut out {
            *slot = day
                .to_zoned_datetime(tz.clone())
                .map_err(|_| WeekError::NoSuchWeek { year: self.year, week: self.week })?
                .timestamp()
                .as_millisecond();
            day = day
                .tomorrow()
                .map_err(|_| WeekError::NoSuchWeek { year: self.year, week: self.week })?;
        }
        Ok(out)
    }

    /// `[from, to)`: Monday 00:00 to the next Monday 00:00 in `tz`, unix milliseconds.
    pub fn bounds(self, tz: &TimeZone) -> Result<(i64, i64), WeekError> {
        let days = self.day_starts(tz)?;
        Ok((days[0], days[7]))
    }

    /// The week before.
    pub fn previous(self) -> Result<Self, WeekError> {
        let monday = self.monday()?;
        let d = monday
            .yesterday()
            .map_err(|_| WeekError::NoSuchWeek { year: self.year, week: self.week })?
            .iso_week_date();
        Ok(IsoWeek { year: d.year(), week: d.week() })
    }

    /// This week and the `n - 1` before it, oldest first.
    pub fn last(self, n: usize) -> Result<Vec<Self>, WeekError> {
        let mut weeks = vec![self];
        while weeks.len() < n {
            let w = weeks.last().copied().unwrap_or(self).previous()?;
            weeks.push(w);
        }
        weeks.reverse();
        Ok(weeks)
    }
}

impl fmt::Display for IsoWeek {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-W{:02}", self.year, self.week)
    }
}

impl FromStr for IsoWeek {
    type Err = WeekError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || WeekError::Syntax(s.chars().take(40).collect());
        let (y, w) = s.trim().split_once(['-']).ok_or_else(bad)?;
        let w = w.strip_prefix('W').or_else(|| w.strip_prefix('w')).ok_or_else(bad)?;
        if y.len() != 4 || w.len() != 2 || !y.bytes().chain(w.bytes()).all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let year: i16 = y.parse().map_err(|_| bad())?;
        let week: i8 = w.parse().map_err(|_| bad())?;
        IsoWeek::new(year, week)
    }
}

impl serde::Serialize for IsoWeek {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;

    fn berlin() -> TimeZone {
        // Central European rules, without reading the system's tz database in a unit test.
        TimeZone::posix("CET-1CEST,M3.5.0,M10.5.0/3").unwrap()
    }

    #[test]
    fn reads_and_writes_iso_weeks() {
        let w: IsoWeek = "2026-W49".parse().unwrap();
        assert_eq!((w.year(), w.week()), (2026, 49));
        assert_eq!(w.to_string(), "2026-W49");
        assert_eq!("2026-w01".parse::<IsoWeek>().unwrap().to_string(), "2026-W01");
        for bad in ["2026W49", "2026-49", "26-W49", "2026-W4", "2026-Wxx", ""] {
            assert!(matches!(bad.parse::<IsoWeek>(), Err(WeekError::Syntax(_))), "{bad}");
        }
        // 2026 has 53 ISO weeks, 2025 has 52.
        assert!("2026-W53".parse::<IsoWeek>().is_ok());
        assert_eq!(
            "2025-W53".parse::<IsoWeek>(),
            Err(WeekError::NoSuchWeek { year: 2025, week: 53 })
        );
    }

    #[test]
    fn bounds_are_local_mondays() {
        let w: IsoWeek = "2026-W49".parse().unwrap();
        // Monday 2026-11-30 00:00 UTC .. Monday 2026-12-07 00:00 UTC.
        assert_eq!(w.bounds(&TimeZone::UTC).unwrap(), (1_795_996_800_000, 1_796_601_600_000));
        // Berlin is UTC+1 in winter: an hour earlier.
        assert_eq!(w.bounds(&berlin()).unwrap(), (1_795_993_200_000, 1_796_598_000_000));
    }

    #[test]
    fn a_week_with_a_clock_change_is_not_168_hours() {
        // 2026-03-29 is the last Sunday of March: Berlin loses an hour in week 13.
        let w: IsoWeek = "2026-W13".parse().unwrap();
        let (from, to) = w.bounds(&berlin()).unwrap();
        assert_eq!(to - from, 167 * 3_600_000);
    }

    #[test]
    fn previous_and_last_cross_years() {
        let w: IsoWeek = "2027-W01".parse().unwrap();
        assert_eq!(w.previous().unwrap().to_string(), "2026-W53");
        let names: Vec<String> = w.last(3).unwrap().iter().map(ToString::to_string).collect();
        assert_eq!(names, ["2026-W52", "2026-W53", "2027-W01"]);
    }

    #[test]
    fn containing_uses_the_time_zone() {
        // Sunday 2026-12-06 23:30 UTC is Monday 00:30 in Berlin: the next week there.
        let t = 1_796_599_800_000;
        assert_eq!(IsoWeek::containing(t, &TimeZone::UTC).unwrap().to_string(), "2026-W49");
        assert_eq!(IsoWeek::containing(t, &berlin()).unwrap().to_string(), "2026-W50");
    }

    proptest! {
        #[test]
        fn parsing_never_panics(s in "\\PC{0,12}") {
            let _ = s.parse::<IsoWeek>();
        }

        #[test]
        fn display_parses_back(year in 1900i16..2400, week in 1i8..53) {
            let w = IsoWeek::new(year, week).unwrap();
            prop_assert_eq!(w.to_string().parse::<IsoWeek>().unwrap(), w);
            let (from, to) = w.bounds(&TimeZone::UTC).unwrap();
            prop_assert_eq!(IsoWeek::containing(from, &TimeZone::UTC).unwrap(), w);
            prop_assert_eq!(IsoWeek::containing(to - 1, &TimeZone::UTC).unwrap(), w);
        }
    }
}

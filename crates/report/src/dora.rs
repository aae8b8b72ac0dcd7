//! The DORA four keys: what each means here (written next to every figure), and the performance
//! bands, with the thresholds of the DORA 2023 State of DevOps report as Apache DevLake publishes
//! and computes them (devlake.apache.org/docs/Metrics/DeploymentFrequency, .../LeadTimeForChanges,
//! .../CFR, .../MTTR).

use serde::Serialize;

/// A DORA performance band.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Band {
    /// Elite performers.
    Elite,
    /// High performers.
    High,
    /// Medium performers.
    Medium,
    /// Low performers.
    Low,
}

impl Band {
    /// The band's name as printed.
    pub fn as_str(self) -> &'static str {
        match self {
            Band::Elite => "elite",
            Band::High => "high",
            Band::Medium => "medium",
            Band::Low => "low",
        }
    }
}

/// Deployment frequency: DevLake takes the median number of days per week with a deployment:
/// every day (7) is elite ("on demand"), at least one day a week high, at least one a month
/// medium, fewer low. For one week: every day of it, at least one day of it, at least one
/// deployment in the four weeks ending with it, none.
pub fn frequency_band(days_with_one: u64, any_in_four_weeks: bool) -> Band {
    if days_with_one >= 7 {
        Band::Elite
    } else if days_with_one >= 1 {
        Band::High
    } else if any_in_four_weeks {
        Band::Medium
    } else {
        Band::Low
    }
}

/// Lead time for changes, in hours: under a day elite, under a week high, under a month (30
/// days) medium, longer low.
pub fn lead_time_band(hours: f64) -> Band {
    if hours < 24.0 {
        Band::Elite
    } else if hours < 168.0 {
        Band::High
    } else if hours < 720.0 {
        Band::Medium
    } else {
        Band::Low
    }
}

/// Change failure rate, in percent: up to 5 % elite, up to 10 % high, up to 15 % medium, more
/// low.
pub fn change_failure_band(percent: f64) -> Band {
    if percent <= 5.0 {
        Band::Elite
    } else if percent <= 10.0 {
        Band::High
    } else if percent <= 15.0 {
        Band::Medium
    } else {
        Band::Low
    }
}

/// Time to restore, in hours: under an hour elite, under a day high, under a week medium,
/// longer low.
pub fn restore_band(hours: f64) -> Band {
    if hours < 1.0 {
        Band::Elite
    } else if hours < 24.0 {
        Band::High
    } else if hours < 168.0 {
        Band::Medium
    } else {
        Band::Low
    }
}

/// Deployment frequency's definition.
pub const FREQUENCY: &str = "Successful deployments to a production environment \
(`deployments.production`) in the week, each counted once at its first `success` status, and the \
share of the week's 7 days that had at least one. Band (DORA 2023 thresholds as Apache DevLake \
publishes them, devlake.apache.org/docs/Metrics/DeploymentFrequency): elite = a deployment every \
day (on demand); high = between once a day and once a week; medium = none this week but one in \
the last 4 weeks (between once a week and once a month); low = fewer than once a month.";

/// Lead time's definition.
pub const LEAD_TIME: &str = "Median time from the first commit of each pull request to the first \
successful production deployment that contained it, over the pull requests first deployed to \
production this week; when a pull request's first commit is not recorded its opening stands in \
(which shortens the figure, and the count of such is shown). Band (DORA 2023 / Apache DevLake, \
devlake.apache.org/docs/Metrics/LeadTimeForChanges): elite < 1 day; high < 1 week; medium < 1 \
month (30 days); low longer.";

/// Change failure rate's definition.
pub const CHANGE_FAILURE: &str = "Successful production deployments of the week followed by an \
incident (an `incident` issue of the same repository opened after the deployment and before the \
next successful production deployment there), over all successful production deployments of the \
week, in percent. Band (DORA 2023 / Apache DevLake, devlake.apache.org/docs/Metrics/CFR): elite \
<= 5 %; high <= 10 %; medium <= 15 %; low above.";

/// Time to restore's definition.
pub const RESTORE: &str = "Median time from opened to resolved of the incidents resolved this \
week that are tied to a deployment (a successful production deployment of the same repository \
came before the incident opened). Band (DORA 2023 / Apache DevLake, \
devlake.apache.org/docs/Metrics/MTTR): elite < 1 hour; high < 1 day; medium < 1 week; low \
longer.";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_at_their_edges() {
        let freq = [
            (7, false, Band::Elite),
            (6, true, Band::High),
            (1, false, Band::High),
            (0, true, Band::Medium),
            (0, false, Band::Low),
        ];
        for (days, month, band) in freq {
            assert_eq!(frequency_band(days, month), band, "{days} days");
        }
        let lead = [
            (23.99, Band::Elite),
            (24.0, Band::High),
            (167.9, Band::High),
            (168.0, Band::Medium),
            (719.0, Band::Medium),
            (720.0, Band::Low),
        ];
        for (h, band) in lead {
            assert_eq!(lead_time_band(h), band, "{h} h");
        }
        let cfr = [
            (0.0, Band::Elite),
            (5.0, Band::Elite),
            (5.1, Band::High),
            (10.0, Band::High),
            (15.0, Band::Medium),
            (15.1, Band::Low),
            (100.0, Band::Low),
        ];
        for (p, band) in cfr {
            assert_eq!(change_failure_band(p), band, "{p} %");
        }
        let ttr = [
            (0.5, Band::Elite),
            (1.0, Band::High),
            (23.9, Band::High),
            (24.0, Band::Medium),
            (168.0, Band::Low),
        ];
        for (h, band) in ttr {
            assert_eq!(restore_band(h), band, "{h} h");
        }
        assert_eq!(Band::Medium.as_str(), "medium");
    }
}

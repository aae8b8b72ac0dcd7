//! `plasma-ops incidents`: the incidents the service recorded, open and resolved, with their
//! severity, ages, time to acknowledge and to restore (median and p90 per severity) and their
//! postmortem link or what is missing. Reads the service's store (`PLASMA_OPS_DATABASE_URL`).

use std::path::PathBuf;

use anyhow::{Result, anyhow, bail};
use clap::Args;
use jiff::Timestamp;
use plasma_policy::incident::report::{IncidentReport, RecordedIncident, report};

use crate::args::{Format, Global};
use crate::exit;
use crate::output::{Out, print_json};
use crate::service_cmds::{load_config, open_store, runtime};

/// `incidents` arguments.
#[derive(Debug, Args)]
pub struct IncidentsArgs {
    /// Only incidents of this organisation's repositories.
    #[arg(long, value_name = "ORG")]
    pub org: Option<String>,
    /// Only incidents opened within this long (`90d`, `12h`, `30m`).
    #[arg(long, value_name = "DURATION", default_value = "90d")]
    pub since: String,
    /// Service configuration file, as for `serve` (where the store is).
    #[arg(long, value_name = "FILE", env = "PLASMA_OPS_CONFIG_FILE")]
    pub service_config: Option<PathBuf>,
}

/// Runs `incidents`.
pub fn run(_g: &Global, out: &Out, args: IncidentsArgs) -> Result<u8> {
    let Some(window) = plasma_config::parse_duration_secs(&args.since).filter(|s| *s > 0) else {
        bail!(
            "--since `{}` is not a duration; write a number and a unit: `90d`, `12h`, `30m`",
            args.since
        );
    };
    if let Some(org) = &args.org
        && (org.is_empty() || org.contains('/'))
    {
        bail!(
            "--org `{org}` is not an organisation name; give the owner alone, e.g. `plasma-engine`"
        );
    }
    let cfg = load_config(args.service_config.as_deref())?;
    let now = Timestamp::now();
    let since = now.as_millisecond().saturating_sub(window.saturating_mul(1000));
    let rows = runtime()?.block_on(async {
        let store = open_store(&cfg).await?;
        let rows = store.incidents(args.org.as_deref(), since).await.map_err(|e| anyhow!("{e}"));
        store.close().await;
        rows
    })?;
    let recorded: Vec<RecordedIncident> = rows
        .into_iter()
        .filter(|r| r.state != "dismissed")
        .filter_map(|r| {
            let ts = |ms: i64| Timestamp::from_millisecond(ms).ok();
            Some(RecordedIncident {
                number: u64::try_from(r.number).ok()?,
                opened_at: ts(r.opened_at)?,
                acknowledged_at: r.acknowledged_at.and_then(ts),
                resolved_at: r.resolved_at.and_then(ts),
                resolved: r.state == "resolved",
                repo: r.repo,
                title: r.title,
                severity: r.severity,
                postmortem: r.postmortem,
            })
        })
        .collect();
    let rep = report(&recorded);
    match out.format {
        Format::Json | Format::Sarif => print_json(&serde_json::to_value(&rep)?),
        _ => print!("{}", text(&rep, now)),
    }
    Ok(exit::OK)
}

fn human(secs: i64) -> String {
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3_600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h{:02}m", s / 3_600, (s % 3_600) / 60),
        s => format!("{}d{:02}h", s / 86_400, (s % 86_400) / 3_600),
    }
}

/// The text form: one line per incident, then the figures per severity.
pub fn text(r: &IncidentReport, now: Timestamp) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    if r.incidents.is_empty() {
        s.push_str("no incidents recorded in this window\n");
        return s;
    }
    for i in &r.incidents {
        let age = i
            .opened_at
            .parse::<Timestamp>()
            .map(|t| human(now.as_second() - t.as_second()))
            .unwrap_or_default();
        let ack = i
            .time_to_acknowledge_s
            .map_or("not acknowledged".into(), |s| format!("acknowledged after {}", human(s)));
        let restore =
            i.time_to_restore_s.map_or(String::new(), |s| format!(", restored after {}", human(s)));
        let pm = match (&i.postmortem, i.state) {
            (Some(url), _) => format!("postmortem {url}"),
            (None, "resolved") => "no postmortem (waived)".into(),
            (None, _) => "postmortem missing".into(),
        };
        let _ = writeln!(
            s,
            "{}#{} [{}] {} — {}, opened {} ago, {ack}{restore}; {pm}",
            i.repo,
            i.number,
            i.severity.as_deref().unwrap_or("no severity"),
            i.title,
            i.state,
            age,
        );
    }
    s.push_str("\nseverity   incidents  open  ack median  ack p90  restore median  restore p90\n");
    let f = |v: Option<i64>| v.map_or("-".to_string(), human);
    for (sev, x) in &r.summary {
        let _ = writeln!(
            s,
            "{sev:<10} {:>9}  {:>4}  {:>10}  {:>7}  {:>14}  {:>11}",
            x.incidents,
            x.open,
            f(x.time_to_acknowledge.median_s),
            f(x.time_to_acknowledge.p90_s),
            f(x.time_to_restore.median_s),
            f(x.time_to_restore.p90_s),
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_write_them() {
        assert_eq!(human(42), "42s");
        assert_eq!(human(300), "5m");
        assert_eq!(human(3_900), "1h05m");
        assert_eq!(human(90_000), "1d01h");
    }

    #[test]
    fn the_text_form() {
        let t = |s: &str| s.parse::<Timestamp>().unwrap();
        let rows = vec![
            RecordedIncident {
                repo: "o/gateway".into(),
                number: 7,
                title: "Gateway down".into(),
                severity: Some("sev1".into()),
                resolved: true,
                opened_at: t("2026-12-01T10:00:00Z"),
                acknowledged_at: Some(t("2026-12-01T10:04:00Z")),
                resolved_at: Some(t("2026-12-01T11:30:00Z")),
                postmortem: Some(
                    "https://github.com/o/docs/blob/main/docs/postmortems/a.md".into(),
                ),
            },
            RecordedIncident {
                repo: "o/brain".into(),
                number: 3,
                title: "Slow answers".into(),
                severity: None,
                resolved: false,
                opened_at: t("2026-12-02T09:00:00Z"),
                acknowledged_at: None,
                resolved_at: None,
                postmortem: None,
            },
        ];
        insta::assert_snapshot!(text(&report(&rows), t("2026-12-02T10:00:00Z")));
        assert_eq!(
            text(&report(&[]), t("2026-12-02T10:00:00Z")),
            "no incidents recorded in this window\n"
        );
    }
}

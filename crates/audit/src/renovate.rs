//! Renovate: a configuration in one of the file names Renovate reads (first found wins, in
//! Renovate's documented order), valid JSON or JSON5, with a weekly schedule and grouping so
//! updates arrive as the process's weekly batch pull requests.

use serde_json::Value;

use super::{Checkout, json5};
use plasma_config::report::RepoFinding;

/// Renovate's configuration file names, in the order it looks for them.
pub const LOCATIONS: [&str; 10] = [
    "renovate.json",
    "renovate.json5",
    ".github/renovate.json",
    ".github/renovate.json5",
    ".gitlab/renovate.json",
    ".gitlab/renovate.json5",
    ".renovaterc",
    ".renovaterc.json",
    ".renovaterc.json5",
    "package.json",
];

/// No configuration.
pub const MISSING: &str = "renovate-missing";
/// Not valid JSON / JSON5.
pub const SYNTAX: &str = "renovate-syntax";
/// No weekly schedule.
pub const SCHEDULE: &str = "renovate-schedule";
/// No grouping.
pub const GROUPING: &str = "renovate-grouping";

const DAYS: [&str; 9] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "weekend",
    "every week",
];
/// Renovate's schedule presets that run at most once a week.
const WEEKLY_PRESETS: [&str; 6] = [
    "schedule:weekly",
    "schedule:earlyMondays",
    "schedule:weekends",
    "schedule:monthly",
    "schedule:quarterly",
    "schedule:yearly",
];

/// Whether one `schedule` entry runs on at most one or two days a week (text or cron).
fn weekly_entry(s: &str) -> bool {
    let l = s.to_ascii_lowercase();
    if DAYS.iter().any(|d| l.contains(d)) && !l.contains("weekday") {
        return true;
    }
    // Cron: five fields, the day-of-week field restricted, or a day-of-month restriction.
    let fields: Vec<&str> = l.split_whitespace().collect();
    fields.len() == 5 && (fields[4] != "*" || fields[2] != "*")
}

/// The configuration and its file, or the findings for its absence or syntax.
fn load(checkout: &Checkout) -> Result<(&'static str, Value), Vec<RepoFinding>> {
    for path in LOCATIONS {
        if !checkout.has(path) {
            continue;
        }
        let Some(text) = checkout.text(path) else { return Err(vec![]) };
        let parsed = if path.ends_with(".json") && path != "package.json" {
            serde_json::from_str::<Value>(text).map_err(|e| {
                (
                    u32::try_from(e.line()).unwrap_or(0),
                    u32::try_from(e.column()).unwrap_or(0),
                    e.to_string(),
                )
            })
        } else {
            json5::parse(text).map_err(|e| (e.line, e.column, e.message))
        };
        match parsed {
            Err((line, column, msg)) => {
                let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
                return Err(vec![
                    RepoFinding::error(SYNTAX, format!("Not valid {}: {msg}.", if path.ends_with(".json") { "JSON" } else { "JSON5" }), "Fix the syntax here; Renovate stops with a config error on an unparseable file.")
                        .at(path)
                        .line_col(line.max(1), column.max(1)),
                ]);
            }
            Ok(v) if path == "package.json" => match v.get("renovate") {
                Some(r) => return Ok((path, r.clone())),
                None => continue,
            },
            Ok(v) => return Ok((path, v)),
        }
    }
    Err(vec![RepoFinding::error(
        MISSING,
        "No Renovate configuration, so dependency updates are not managed as the process requires.",
        "Add `renovate.json` with a weekly `schedule` and `packageRules` carrying `groupName` (`plasma-ops audit --fix` writes one).",
    )])
}

/// All Renovate findings.
pub fn check(checkout: &Checkout) -> Vec<RepoFinding> {
    let (path, v) = match load(checkout) {
        Ok(x) => x,
        Err(f) => return f,
    };
    let mut out = Vec::new();
    let extends: Vec<&str> = v
        .get("extends")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let schedule: Vec<&str> = match v.get("schedule") {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    let weekly = (!schedule.is_empty() && schedule.iter().all(|s| weekly_entry(s)))
        || (schedule.is_empty() && extends.iter().any(|e| WEEKLY_PRESETS.contains(e)));
    if !weekly {
        let shown = if schedule.is_empty() {
            "no `schedule` (and no weekly schedule preset)".to_string()
        } else {
            format!("`schedule` {schedule:?}")
        };
        out.push(
            RepoFinding::error(SCHEDULE, format!("Renovate has {shown}, not a weekly schedule, so updates arrive whenever they are released instead of as a weekly batch."), "Set `\"schedule\": [\"before 6am on monday\"]` (or extend `schedule:weekly`).")
                .at(path),
        );
    }
    let grouped = extends.iter().any(|e| e.starts_with("group:"))
        || v.get("groupName").and_then(Value::as_str).is_some()
        || v.get("packageRules").and_then(Value::as_array).is_some_and(|rules| {
            rules.iter().any(|r| r.get("groupName").and_then(Value::as_str).is_some())
        });
    if !grouped {
        out.push(
            RepoFinding::error(GROUPING, "Renovate groups nothing, so every dependency gets its own pull request instead of a weekly batch.", "Add `packageRules` with a `groupName` (e.g. all minor and patch updates) or extend `group:allNonMajor`.")
                .at(path),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(files: &[(&str, &str)]) -> Vec<String> {
        check(&Checkout::from_files(files.iter().copied()))
            .into_iter()
            .map(|f| f.finding.rule)
            .collect()
    }

    #[test]
    fn table() {
        let good =
            r#"{"schedule": ["before 6am on monday"], "packageRules": [{"groupName": "all"}]}"#;
        for (files, expect) in [
            (vec![("renovate.json", good)], vec![]),
            (vec![], vec![MISSING]),
            (vec![("package.json", "{\"name\": \"x\"}")], vec![MISSING]),
            (
                vec![(
                    "package.json",
                    "{\"renovate\": {\"extends\": [\"schedule:weekly\", \"group:allNonMajor\"]}}",
                )],
                vec![],
            ),
            (
                vec![(
                    ".github/renovate.json5",
                    "{ // c\n schedule: ['on saturday'], extends: ['group:all'], }",
                )],
                vec![],
            ),
            (
                vec![("renovate.json", "{\"schedule\": [\"every weekday\"]}")],
                vec![SCHEDULE, GROUPING],
            ),
            (
                vec![("renovate.json", "{\"schedule\": [\"* 0-3 * * 1\"], \"groupName\": \"x\"}")],
                vec![],
            ),
            (
                vec![("renovate.json", "{\"schedule\": [\"* 0-3 * * *\"], \"groupName\": \"x\"}")],
                vec![SCHEDULE],
            ),
            (vec![("renovate.json", "{\"a\": 1,}")], vec![SYNTAX]),
            (vec![(".renovaterc", "{extends: ['schedule:weekly', 'group:all']}")], vec![]),
        ] {
            assert_eq!(rules(&files), expect, "{files:?}");
        }
    }

    #[test]
    fn syntax_errors_are_located() {
        let f = check(&Checkout::from_files([("renovate.json", "{\n  \"a\": 1,\n}\n")]));
        assert_eq!((f[0].location.line, f[0].location.column), (Some(3), Some(1)), "{f:?}");
    }
}

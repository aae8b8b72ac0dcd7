//! `incidents:` section: how incidents are recognised (the `incident` label), which severity
//! labels they need, how soon someone must own them, and what counts as their postmortem. The
//! defaults are the process's: "incidents tracked via GitHub Issues labeled `incident` and linked
//! to postmortems".

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `incidents:` section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct IncidentsConfig {
    /// The label that makes an issue an incident.
    pub label: String,
    /// Severity labels, most severe first; an incident carries exactly one.
    pub severities: Vec<String>,
    /// The label (added by a human) that lets an incident close without a postmortem.
    pub waiver_label: String,
    /// How soon after opening an incident must have an assignee: a number and a unit, `s`, `m`,
    /// `h` or `d` (`30m`).
    pub acknowledge_within: String,
    /// What counts as a postmortem, and where its template lives.
    pub postmortem: PostmortemConfig,
}

/// `incidents.postmortem:` section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct PostmortemConfig {
    /// The template `plasma-ops audit` requires in every repository (`--fix` writes it).
    pub template: String,
    /// Links (in the body or any comment) that are a postmortem by themselves. Placeholders:
    /// `{org}` (must be the incident's organisation), `{repo}`, `{ref}`, `{path}`, `{number}`.
    pub links: Vec<String>,
    /// Links to issues or pull requests, which count when the linked item carries `label`
    /// (same placeholders).
    pub labelled_links: Vec<String>,
    /// The label a linked issue or pull request needs to count as a postmortem.
    pub label: String,
}

impl Default for IncidentsConfig {
    fn default() -> Self {
        IncidentsConfig {
            label: "incident".into(),
            severities: vec!["sev1".into(), "sev2".into(), "sev3".into()],
            waiver_label: "postmortem:waived".into(),
            acknowledge_within: "30m".into(),
            postmortem: PostmortemConfig::default(),
        }
    }
}

impl Default for PostmortemConfig {
    fn default() -> Self {
        PostmortemConfig {
            template: "docs/postmortems/TEMPLATE.md".into(),
            links: vec![
                "https://github.com/{org}/{repo}/blob/{ref}/docs/postmortems/{path}".into(),
                "https://github.com/{org}/{repo}/discussions/{number}".into(),
            ],
            labelled_links: vec![
                "https://github.com/{org}/{repo}/issues/{number}".into(),
                "https://github.com/{org}/{repo}/pull/{number}".into(),
            ],
            label: "postmortem".into(),
        }
    }
}

/// Parses a duration of the configuration (`90s`, `30m`, `4h`, `2d`) into seconds; `None` when it
/// is not one number followed by one of those units, or when it overflows.
pub fn parse_duration_secs(text: &str) -> Option<i64> {
    let t = text.trim();
    let unit = t.chars().last()?;
    let scale: i64 = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3_600,
        'd' => 86_400,
        _ => return None,
    };
    let digits = &t[..t.len() - 1];
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    digits.parse::<i64>().ok()?.checked_mul(scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        for (text, want) in [
            ("30m", Some(1_800)),
            ("90s", Some(90)),
            ("4h", Some(14_400)),
            ("2d", Some(172_800)),
            (" 1h ", Some(3_600)),
            ("m", None),
            ("30", None),
            ("-5m", None),
            ("1.5h", None),
            ("30x", None),
            ("", None),
            ("99999999999999999999d", None),
            ("9999999999999999d", None),
        ] {
            assert_eq!(parse_duration_secs(text), want, "{text}");
        }
    }

    #[test]
    fn defaults_are_the_process() {
        let c = IncidentsConfig::default();
        assert_eq!(c.label, "incident");
        assert_eq!(c.severities, ["sev1", "sev2", "sev3"]);
        assert_eq!(c.waiver_label, "postmortem:waived");
        assert_eq!(parse_duration_secs(&c.acknowledge_within), Some(1_800));
        assert_eq!(c.postmortem.template, "docs/postmortems/TEMPLATE.md");
    }
}

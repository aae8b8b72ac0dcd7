//! Incidents: issues labelled `incident` (configurable). Pure rules over what GitHub shows of
//! one incident: its severity, the deadline for an owner, whether it links its postmortem, and
//! whether a close must be undone. The service gathers the facts ([`IncidentFacts`]) and carries
//! out the decision ([`IncidentDecision`]); the clock is an input (`now`), and every time the
//! decision records is GitHub's, so a late or repeated delivery cannot move a figure.

use jiff::{SignedDuration, Timestamp};
use plasma_config::pattern::{CompiledTemplate, Placeholder};
use plasma_config::{Finding, IncidentsConfig, PolicyError, parse_duration_secs, rule_id};
use serde::{Deserialize, Serialize};

use crate::snapshot::{Actor, PrState};

pub mod report;

/// Hidden marker of the comment plasma-ops posts when it reopens an incident:
/// `<!-- plasma-ops:incident-reopen closed_at=<RFC 3339> by=<login> -->`. One per close, so a
/// repeated delivery of the close finds it and does not comment again.
pub const REOPEN_MARKER_PREFIX: &str = "<!-- plasma-ops:incident-reopen closed_at=";

/// Most links looked at per text: a body of a million links costs no more than this.
const MAX_LINKS_PER_TEXT: usize = 200;

/// Placeholders of postmortem link patterns.
const PLACEHOLDERS: &[Placeholder<'static>] = &[
    Placeholder {
        name: "org",
        strict: "[A-Za-z0-9][A-Za-z0-9-]*",
        lenient: "[^/]*",
        required: false,
    },
    Placeholder { name: "repo", strict: "[A-Za-z0-9._-]+", lenient: "[^/]*", required: false },
    Placeholder { name: "ref", strict: "[^/\\s]+", lenient: "[^/]*", required: false },
    Placeholder { name: "path", strict: "[^\\s]+", lenient: ".*", required: false },
    Placeholder { name: "number", strict: "[0-9]+", lenient: "[^/]*", required: false },
];

/// The compiled `incidents:` section.
#[derive(Debug, Clone)]
pub struct IncidentRules {
    cfg: IncidentsConfig,
    acknowledge_within: SignedDuration,
    links: Vec<CompiledTemplate>,
    labelled_links: Vec<CompiledTemplate>,
}

/// How an incident's severity labels stand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SeverityLabels {
    /// Exactly one.
    One(String),
    /// None.
    Missing,
    /// More than one, in configuration order.
    Several(Vec<String>),
}

/// A link found in an incident's text that may be its postmortem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkCandidate {
    /// A postmortem by itself (a file under `docs/postmortems/`, a Discussion).
    Postmortem(String),
    /// An issue or pull request, a postmortem when it carries the postmortem label.
    NeedsLabel {
        /// The link as written (without query or fragment).
        url: String,
        /// `owner/name` of the linked item.
        repo: String,
        /// Its number.
        number: u64,
    },
}

impl IncidentRules {
    /// Validates and compiles the section; every problem is returned, located by key.
    pub fn new(cfg: &IncidentsConfig) -> Result<Self, Vec<PolicyError>> {
        let mut errors = Vec::new();
        let err = |key: &str, message: String, hint: &str| PolicyError {
            key: key.into(),
            message,
            hint: hint.into(),
        };
        if cfg.label.trim().is_empty() {
            errors.push(err(
                "incidents.label",
                "the incident label is empty".into(),
                "set `label: incident`",
            ));
        }
        if cfg.severities.is_empty() || cfg.severities.iter().any(|s| s.trim().is_empty()) {
            errors.push(err(
                "incidents.severities",
                "the severity labels are empty or contain an empty name".into(),
                "list the labels, most severe first: `[sev1, sev2, sev3]`",
            ));
        }
        let template = cfg.postmortem.template.as_str();
        if template.is_empty()
            || template.starts_with('/')
            || template.contains('\\')
            || template.split('/').any(|seg| seg.is_empty() || seg == "..")
        {
            errors.push(err(
                "incidents.postmortem.template",
                format!("`{template}` is not a path inside the repository"),
                "use a relative path such as `docs/postmortems/TEMPLATE.md`",
            ));
        }
        let acknowledge_within = match parse_duration_secs(&cfg.acknowledge_within) {
            Some(s) if s > 0 => SignedDuration::from_secs(s),
            _ => {
                errors.push(err(
                    "incidents.acknowledge_within",
                    format!("`{}` is not a duration", cfg.acknowledge_within),
                    "write a number and a unit: `30m`, `2h`, `1d`",
                ));
                SignedDuration::ZERO
            }
        };
        let mut compile = |key: &str, list: &[String]| -> Vec<CompiledTemplate> {
            list.iter()
                .enumerate()
                .filter_map(|(i, p)| {
                    CompiledTemplate::new(
                        &format!("incidents.postmortem.{key}[{i}]"),
                        p,
                        PLACEHOLDERS,
                    )
                    .map_err(|e| errors.push(e.into()))
                    .ok()
                })
                .collect()
        };
        let links = compile("links", &cfg.postmortem.links);
        let labelled_links = compile("labelled_links", &cfg.postmortem.labelled_links);
        for (i, t) in labelled_links.iter().enumerate() {
            let needs = ["repo", "number"];
            if needs.iter().any(|n| !t.template().has(n)) {
                errors.push(err(
                    &format!("incidents.postmortem.labelled_links[{i}]"),
                    format!("`{}` does not name `{{repo}}` and `{{number}}`", t.template().source()),
                    "a labelled link must say which issue it is, e.g. `https://github.com/{org}/{repo}/issues/{number}`",
                ));
            }
        }
        if errors.is_empty() {
            Ok(IncidentRules { cfg: cfg.clone(), acknowledge_within, links, labelled_links })
        } else {
            Err(errors)
        }
    }

    /// The configuration compiled.
    pub fn config(&self) -> &IncidentsConfig {
        &self.cfg
    }

    /// Whether labels make an issue an incident (GitHub matches label names in any case).
    pub fn is_incident(&self, labels: &[String]) -> bool {
        labels.iter().any(|l| l.eq_ignore_ascii_case(&self.cfg.label))
    }

    /// Whether the waiver label is present.
    pub fn is_waived(&self, labels: &[String]) -> bool {
        labels.iter().any(|l| l.eq_ignore_ascii_case(&self.cfg.waiver_label))
    }

    /// The severity labels an issue carries, in configuration order.
    pub fn severity(&self, labels: &[String]) -> SeverityLabels {
        let found: Vec<String> = self
            .cfg
            .severities
            .iter()
            .filter(|s| labels.iter().any(|l| l.eq_ignore_ascii_case(s)))
            .cloned()
            .collect();
        match found.len() {
            0 => SeverityLabels::Missing,
            1 => SeverityLabels::One(found.into_iter().next().unwrap_or_default()),
            _ => SeverityLabels::Several(found),
        }
    }

    /// When an incident opened at `opened` must have an owner.
    pub fn ack_deadline(&self, opened: Timestamp) -> Timestamp {
        opened.checked_add(self.acknowledge_within).unwrap_or(opened)
    }

    /// The links in `text` that may be a postmortem of an incident of organisation `org`.
    pub fn link_candidates(&self, org: &str, text: &str) -> Vec<LinkCandidate> {
        let mut out = Vec::new();
        for url in urls(text).take(MAX_LINKS_PER_TEXT) {
            let same_org = |c: &regex::Captures<'_>| {
                c.name("org").is_none_or(|o| o.as_str().eq_ignore_ascii_case(org))
            };
            if self.links.iter().any(|t| t.captures(url).is_some_and(|c| same_org(&c))) {
                out.push(LinkCandidate::Postmortem(url.to_string()));
                continue;
            }
            for t in &self.labelled_links {
                let Some(c) = t.captures(url).filter(same_org) else { continue };
                let (Some(repo), Some(number)) = (c.name("repo"), c.name("number")) else {
                    continue;
                };
                let Ok(number) = number.as_str().parse::<u64>() else { continue };
                let owner = c.name("org").map_or(org, |o| o.as_str());
                out.push(LinkCandidate::NeedsLabel {
                    url: url.to_string(),
                    repo: format!("{owner}/{}", repo.as_str()),
                    number,
                });
                break;
            }
        }
        out
    }
}

/// Every `http(s)://` link of a text, cut at whitespace and Markdown punctuation, without a
/// trailing sentence mark, query or fragment.
fn urls(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        loop {
            let start = match (rest.find("https://"), rest.find("http://")) {
                (Some(a), Some(b)) => a.min(b),
                (Some(a), None) | (None, Some(a)) => a,
                (None, None) => return None,
            };
            let tail = &rest[start..];
            let end = tail
                .find(|c: char| {
                    c.is_whitespace() || matches!(c, ')' | ']' | '>' | '<' | '"' | '\'' | '`')
                })
                .unwrap_or(tail.len());
            let mut url = &tail[..end];
            rest = &tail[end..];
            if let Some(i) = url.find(['?', '#']) {
                url = &url[..i];
            }
            let url = url.trim_end_matches(['.', ',', ';', ':', '!']);
            if url.len() > "https://".len() {
                return Some(url);
            }
        }
    })
}

/// A close plasma-ops already answered with a reopen comment, read back from its marker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReopenMark {
    /// `closed_at` of the close it answered.
    pub closed_at: Timestamp,
    /// Who had closed it.
    pub by: String,
}

/// The reopen comment's marker for a close.
pub fn reopen_marker(closed_at: Timestamp, by: &str) -> String {
    format!("{REOPEN_MARKER_PREFIX}{closed_at} by={by} -->")
}

/// The reopen marks in comment bodies (plasma-ops's own comments only: the caller filters).
pub fn reopen_marks<'a>(bodies: impl IntoIterator<Item = &'a str>) -> Vec<ReopenMark> {
    let mut out = Vec::new();
    for body in bodies {
        let mut rest = body;
        while let Some(i) = rest.find(REOPEN_MARKER_PREFIX) {
            let after = &rest[i + REOPEN_MARKER_PREFIX.len()..];
            rest = after;
            let Some(end) = after.find("-->") else { break };
            let inner = after[..end].trim();
            let (at, by) = inner.split_once(" by=").unwrap_or((inner, ""));
            if let Ok(closed_at) = at.trim().parse::<Timestamp>() {
                out.push(ReopenMark { closed_at, by: by.trim().to_string() });
            }
        }
    }
    out
}

/// What GitHub shows of one incident, gathered by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentFacts {
    /// `owner/name`.
    pub repository: String,
    /// Issue number.
    pub number: u64,
    /// Title.
    pub title: String,
    /// Who opened it.
    pub author: Actor,
    /// Current labels.
    pub labels: Vec<String>,
    /// Current assignees.
    pub assignees: Vec<String>,
    /// Open or closed.
    pub state: PrState,
    /// GitHub's `state_reason` (`completed`, `not_planned`, `reopened`, ...); old servers send
    /// none, and a close without one counts as completed.
    pub state_reason: Option<String>,
    /// The issue's `created_at`.
    pub created_at: Timestamp,
    /// The issue's `closed_at`, when closed.
    pub closed_at: Option<Timestamp>,
    /// Who closed it (`closed_by`), when GitHub says.
    pub closed_by: Option<Actor>,
    /// The first `assigned` event's time.
    pub first_assigned_at: Option<Timestamp>,
    /// The first comment by a human other than the author.
    pub first_response_at: Option<Timestamp>,
    /// The postmortem link found (the caller resolved labelled links), if any.
    pub postmortem: Option<String>,
    /// Closes plasma-ops already answered (from its comments' markers).
    pub reopened: Vec<ReopenMark>,
    /// The login plasma-ops writes as.
    pub our_login: String,
}

/// What plasma-ops records of an incident (the store keeps it; the CLI reports it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IncidentRecord {
    /// `owner/name`.
    pub repository: String,
    /// Issue number.
    pub number: u64,
    /// Title.
    pub title: String,
    /// The severity label, when exactly one is present (the most severe of several).
    pub severity: Option<String>,
    /// `open`, `resolved` (closed as completed, and it stays closed) or `dismissed` (closed as
    /// not planned).
    pub state: IncidentState,
    /// GitHub's `created_at`.
    pub opened_at: Timestamp,
    /// First assignment or first comment by a human other than the author.
    pub acknowledged_at: Option<Timestamp>,
    /// `closed_at` of the close that stands.
    pub resolved_at: Option<Timestamp>,
    /// When an owner is due.
    pub ack_deadline: Timestamp,
    /// The postmortem link.
    pub postmortem: Option<String>,
}

/// An incident's state in the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentState {
    /// Open (or reopened for its postmortem).
    Open,
    /// Closed as completed, with a postmortem or waived.
    Resolved,
    /// Closed as not planned: not an incident after all.
    Dismissed,
}

impl IncidentState {
    /// The stored and printed word.
    pub fn as_str(self) -> &'static str {
        match self {
            IncidentState::Open => "open",
            IncidentState::Resolved => "resolved",
            IncidentState::Dismissed => "dismissed",
        }
    }

    /// The state a stored word names.
    pub fn parse(word: &str) -> Option<Self> {
        match word {
            "open" => Some(IncidentState::Open),
            "resolved" => Some(IncidentState::Resolved),
            "dismissed" => Some(IncidentState::Dismissed),
            _ => None,
        }
    }
}

/// The notification hook: what happened to an incident, for the notification work to send
/// (Slack, Rube MCP). Each carries GitHub's time of the fact, so the same fact is the same event
/// however often it is decided; the service appends them to the store's incident event outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum IncidentEvent {
    /// An incident exists (at the issue's `created_at`).
    Opened {
        /// When it was opened.
        at: Timestamp,
        /// Its severity, if labelled.
        severity: Option<String>,
    },
    /// Nobody acknowledged it by its deadline (at the deadline).
    Unacknowledged {
        /// The deadline that passed.
        at: Timestamp,
        /// Its severity, if labelled.
        severity: Option<String>,
    },
    /// Closed as completed with a postmortem or a waiver (at `closed_at`).
    Resolved {
        /// When it was closed.
        at: Timestamp,
        /// The postmortem link, `None` when waived.
        postmortem: Option<String>,
    },
}

impl IncidentEvent {
    /// `opened`, `unacknowledged` or `resolved`.
    pub fn kind(&self) -> &'static str {
        match self {
            IncidentEvent::Opened { .. } => "opened",
            IncidentEvent::Unacknowledged { .. } => "unacknowledged",
            IncidentEvent::Resolved { .. } => "resolved",
        }
    }

    /// GitHub's time of the fact.
    pub fn at(&self) -> Timestamp {
        match self {
            IncidentEvent::Opened { at, .. }
            | IncidentEvent::Unacknowledged { at, .. }
            | IncidentEvent::Resolved { at, .. } => *at,
        }
    }
}

/// The reopen plasma-ops must do: a comment (unless this close already has one) and the reopen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reopen {
    /// The comment to post, `None` when this close's comment already exists.
    pub comment: Option<String>,
}

/// Everything decided about one incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentDecision {
    /// Findings for the issue's summary.
    pub findings: Vec<Finding>,
    /// What to record.
    pub record: IncidentRecord,
    /// The reopen to carry out, if any.
    pub reopen: Option<Reopen>,
    /// Notification events (deduplicated downstream by kind and time).
    pub events: Vec<IncidentEvent>,
}

/// Decides about one incident at `now`.
pub fn decide(f: &IncidentFacts, rules: &IncidentRules, now: Timestamp) -> IncidentDecision {
    let cfg = &rules.cfg;
    let mut findings = Vec::new();
    let severity = match rules.severity(&f.labels) {
        SeverityLabels::One(s) => Some(s),
        SeverityLabels::Missing => {
            findings.push(Finding::error(
                rule_id::INCIDENT_SEVERITY,
                "the incident has no severity label",
                format!("add one of: {}", cfg.severities.join(", ")),
            ));
            None
        }
        SeverityLabels::Several(all) => {
            findings.push(Finding::error(
                rule_id::INCIDENT_SEVERITY,
                format!("{} severity labels ({}); an incident has one", all.len(), all.join(", ")),
                "keep the label of the severity it has now and remove the others",
            ));
            all.into_iter().next()
        }
    };
    let deadline = rules.ack_deadline(f.created_at);
    let acknowledged_at = match (f.first_assigned_at, f.first_response_at) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    let open = f.state == PrState::Open;
    if open && f.assignees.is_empty() {
        if now >= deadline {
            findings.push(Finding::error(
                rule_id::INCIDENT_OWNER,
                format!(
                    "no assignee {} after the incident was opened (due at {deadline})",
                    cfg.acknowledge_within
                ),
                "assign the person who owns the response",
            ));
        } else {
            findings.push(Finding::info(
                rule_id::INCIDENT_OWNER,
                format!("an assignee is due by {deadline}"),
                "assign the person who owns the response",
            ));
        }
    }
    let mut events = vec![IncidentEvent::Opened { at: f.created_at, severity: severity.clone() }];
    if now >= deadline && acknowledged_at.is_none_or(|a| a > deadline) {
        events.push(IncidentEvent::Unacknowledged { at: deadline, severity: severity.clone() });
    }
    let not_planned = f.state_reason.as_deref() == Some("not_planned");
    let waived = rules.is_waived(&f.labels);
    let mut reopen = None;
    let mut state = IncidentState::Open;
    let mut resolved_at = None;
    match (f.state, f.closed_at) {
        (PrState::Closed, _) if not_planned => state = IncidentState::Dismissed,
        (PrState::Closed, closed_at) => {
            let closed_at = closed_at.unwrap_or(f.created_at);
            if f.postmortem.is_some() || waived {
                state = IncidentState::Resolved;
                resolved_at = Some(closed_at);
                events.push(IncidentEvent::Resolved {
                    at: closed_at,
                    postmortem: f.postmortem.clone(),
                });
                if f.postmortem.is_none() {
                    findings.push(Finding::info(
                        rule_id::INCIDENT_POSTMORTEM,
                        format!("closed without a postmortem: waived by `{}`", cfg.waiver_label),
                        "nothing to do",
                    ));
                }
            } else {
                let (decided, finding) = reopen_decision(f, closed_at, cfg);
                reopen = decided;
                findings.push(finding);
            }
        }
        (PrState::Open, _) => {
            if f.postmortem.is_none() && !waived && !f.reopened.is_empty() {
                findings.push(missing_postmortem(
                    cfg,
                    "reopened because it was closed without a postmortem link",
                ));
            }
        }
    }
    let record = IncidentRecord {
        repository: f.repository.clone(),
        number: f.number,
        title: f.title.clone(),
        severity,
        state,
        opened_at: f.created_at,
        acknowledged_at,
        resolved_at,
        ack_deadline: deadline,
        postmortem: f.postmortem.clone(),
    };
    IncidentDecision { findings, record, reopen, events }
}

fn missing_postmortem(cfg: &IncidentsConfig, what: &str) -> Finding {
    Finding::error(
        rule_id::INCIDENT_POSTMORTEM,
        what.to_string(),
        format!(
            "link the postmortem (a file under `docs/postmortems/`, an issue or pull request labelled `{}`, or a Discussion) in the body or a comment, then close it; or have a maintainer add `{}`",
            cfg.postmortem.label, cfg.waiver_label
        ),
    )
}

/// A close as completed with no postmortem and no waiver: reopen it once per close; never a close
/// of our own; a bot's close only once per bot, so two bots cannot close and reopen for ever.
fn reopen_decision(
    f: &IncidentFacts,
    closed_at: Timestamp,
    cfg: &IncidentsConfig,
) -> (Option<Reopen>, Finding) {
    let closer = f.closed_by.as_ref();
    let closer_login = closer.map_or("", |a| a.login.as_str());
    if !f.our_login.is_empty() && closer_login.eq_ignore_ascii_case(&f.our_login) {
        return (
            None,
            missing_postmortem(
                cfg,
                "closed by plasma-ops itself without a postmortem link; left as it is",
            ),
        );
    }
    let answered = f.reopened.iter().any(|m| m.closed_at == closed_at);
    if !answered
        && closer.is_some_and(Actor::is_bot)
        && f.reopened.iter().any(|m| m.by.eq_ignore_ascii_case(closer_login))
    {
        return (
            None,
            missing_postmortem(
                cfg,
                &format!(
                    "closed again by the bot `{closer_login}` without a postmortem link; plasma-ops reopened its close once and does not reopen a bot's close twice"
                ),
            ),
        );
    }
    let comment = (!answered).then(|| reopen_comment(f, closed_at, closer_login, cfg));
    (
        Some(Reopen { comment }),
        missing_postmortem(
            cfg,
            "closed as completed without a postmortem link; plasma-ops reopens it",
        ),
    )
}

/// The comment that says what is missing and how to waive it.
pub fn reopen_comment(
    f: &IncidentFacts,
    closed_at: Timestamp,
    by: &str,
    cfg: &IncidentsConfig,
) -> String {
    let org = f.repository.split('/').next().unwrap_or_default();
    format!(
        "plasma-ops reopened this incident: it was closed as completed without a postmortem link.\n\n\
         **What is missing:** a link, in the description or a comment, to its postmortem: a file under \
         `docs/postmortems/` of a repository of `{org}` (start from `{template}`), an issue or pull request \
         labelled `{label}`, or a GitHub Discussion. Add it, then close the incident again.\n\n\
         **To close it without a postmortem:** a maintainer adds the label `{waiver}` and closes it. \
         If it was not an incident, close it as *not planned*.\n\n{marker}\n",
        template = cfg.postmortem.template,
        label = cfg.postmortem.label,
        waiver = cfg.waiver_label,
        marker = reopen_marker(closed_at, by),
    )
}

/// What `incident-severity` is, for `explain_rule`.
pub const ABOUT_SEVERITY: crate::rules::about::RuleAbout = crate::rules::about::RuleAbout {
    rule: r#"incident-severity"#,
    checks: r#"An issue labelled `incident` carries exactly one severity label."#,
    config: &[
        crate::rules::about::ConfigKey { key: "incidents.label", default: r#"incident"# },
        crate::rules::about::ConfigKey {
            key: "incidents.severities",
            default: r#"[sev1, sev2, sev3]"#,
        },
    ],
    passes: r#"`incident` and `sev2`"#,
    fails: r#"`incident` alone, or `sev1` and `sev3`"#,
};

/// What `incident-owner` is, for `explain_rule`.
pub const ABOUT_OWNER: crate::rules::about::RuleAbout = crate::rules::about::RuleAbout {
    rule: r#"incident-owner"#,
    checks: r#"An incident has an assignee within `incidents.acknowledge_within` of being opened."#,
    config: &[crate::rules::about::ConfigKey {
        key: "incidents.acknowledge_within",
        default: r#"30m"#,
    }],
    passes: r#"an incident assigned 10 minutes after it opened"#,
    fails: r#"an incident with no assignee 31 minutes after it opened"#,
};

/// What `incident-postmortem` is, for `explain_rule`.
pub const ABOUT_POSTMORTEM: crate::rules::about::RuleAbout = crate::rules::about::RuleAbout {
    rule: r#"incident-postmortem"#,
    checks: r#"An incident closed as completed links its postmortem (a file under `docs/postmortems/`, an issue or pull request labelled `postmortem`, a Discussion), or carries the waiver label; otherwise plasma-ops reopens it once per close."#,
    config: &[
        crate::rules::about::ConfigKey {
            key: "incidents.waiver_label",
            default: r#"postmortem:waived"#,
        },
        crate::rules::about::ConfigKey {
            key: "incidents.postmortem.label",
            default: r#"postmortem"#,
        },
    ],
    passes: r#"closed with a link to `docs/postmortems/2026-12-01-gateway.md` in a comment"#,
    fails: r#"closed as completed with no link and no `postmortem:waived`"#,
};

#[cfg(test)]
mod tests;

//! `notifications:`: where plasma-ops tells people what happened (Slack incoming webhooks, Rube
//! through MCP, a GitHub issue comment) and which events go where.
//!
//! Secrets never appear here: a target names the environment variable or file that holds its
//! webhook URL, and the MCP server's credentials stay in the MCP configuration file.

use std::collections::BTreeMap;
use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::PolicyError;

/// Every event a notification can announce; the names are the configuration's and the outbox's.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum NotifyEvent {
    /// A pull request became ready to merge.
    ReadyToMerge,
    /// A fix has waited on an agent (`status:needs-cursor-fix`) longer than `fix_waiting_after`.
    FixWaiting,
    /// An incident was opened.
    IncidentOpened,
    /// An incident missed its acknowledgement time.
    IncidentUnacknowledged,
    /// An incident was resolved.
    IncidentResolved,
    /// A production deployment.
    Deployment,
    /// A production rollback.
    Rollback,
    /// A release was cut (a tag).
    Release,
    /// An ADR proposal was opened.
    AdrProposed,
    /// The weekly report.
    WeeklyReport,
}

impl NotifyEvent {
    /// Every event, in the order of the documentation.
    pub const ALL: [NotifyEvent; 10] = [
        NotifyEvent::ReadyToMerge,
        NotifyEvent::FixWaiting,
        NotifyEvent::IncidentOpened,
        NotifyEvent::IncidentUnacknowledged,
        NotifyEvent::IncidentResolved,
        NotifyEvent::Deployment,
        NotifyEvent::Rollback,
        NotifyEvent::Release,
        NotifyEvent::AdrProposed,
        NotifyEvent::WeeklyReport,
    ];

    /// The configuration's name.
    pub fn as_str(self) -> &'static str {
        match self {
            NotifyEvent::ReadyToMerge => "ready_to_merge",
            NotifyEvent::FixWaiting => "fix_waiting",
            NotifyEvent::IncidentOpened => "incident_opened",
            NotifyEvent::IncidentUnacknowledged => "incident_unacknowledged",
            NotifyEvent::IncidentResolved => "incident_resolved",
            NotifyEvent::Deployment => "deployment",
            NotifyEvent::Rollback => "rollback",
            NotifyEvent::Release => "release",
            NotifyEvent::AdrProposed => "adr_proposed",
            NotifyEvent::WeeklyReport => "weekly_report",
        }
    }

    /// The event a stored name stands for.
    pub fn parse(name: &str) -> Option<NotifyEvent> {
        NotifyEvent::ALL.into_iter().find(|e| e.as_str() == name)
    }
}

impl fmt::Display for NotifyEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `notifications:` section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct NotificationsConfig {
    /// Named targets: `devops: {slack: {webhook_url_env: PLASMA_OPS_SLACK_WEBHOOK_URL}}`.
    pub targets: BTreeMap<String, NotifyTarget>,
    /// Which events go to which targets; an event no route names is not sent anywhere.
    pub routes: Vec<NotifyRoute>,
    /// How long a pull request may wait on `status:needs-cursor-fix` before `fix_waiting` is sent,
    /// measured from when GitHub says the label was added: `30m`, `4h`, `2d`.
    #[schemars(regex(pattern = r"^[0-9]+[mhd]$"))]
    pub fix_waiting_after: String,
}

impl Default for NotificationsConfig {
    fn default() -> Self {
        NotificationsConfig {
            targets: BTreeMap::new(),
            routes: Vec::new(),
            fix_waiting_after: "4h".into(),
        }
    }
}

/// One target: exactly one of `slack`, `mcp`, `github` (a map of one key rather than a YAML tag,
/// so it reads as the issue's interface writes it: `devops: {slack: {...}}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, Default)]
#[serde(default, deny_unknown_fields)]
pub struct NotifyTarget {
    /// A Slack incoming webhook.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slack: Option<SlackTarget>,
    /// A tool of an MCP server (Rube) from the MCP configuration file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mcp: Option<McpTarget>,
    /// A comment on a GitHub issue (or pull request), written with plasma-ops's own credentials.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub github: Option<GitHubTarget>,
}

/// What a target is, once validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind<'a> {
    /// `slack:`.
    Slack(&'a SlackTarget),
    /// `mcp:`.
    Mcp(&'a McpTarget),
    /// `github:`.
    Github(&'a GitHubTarget),
}

impl NotifyTarget {
    /// The one kind this target sets; `None` when it sets none or several.
    pub fn kind(&self) -> Option<TargetKind<'_>> {
        match (&self.slack, &self.mcp, &self.github) {
            (Some(s), None, None) => Some(TargetKind::Slack(s)),
            (None, Some(m), None) => Some(TargetKind::Mcp(m)),
            (None, None, Some(g)) => Some(TargetKind::Github(g)),
            _ => None,
        }
    }
}

/// `slack:` target. The webhook URL is a secret: name where it is, never the URL itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, Default)]
#[serde(default, deny_unknown_fields)]
pub struct SlackTarget {
    /// Environment variable of the service holding the webhook URL.
    pub webhook_url_env: Option<String>,
    /// File holding the webhook URL (one line).
    pub webhook_url_file: Option<String>,
    /// Channel to post to, when the webhook may choose (legacy webhooks; an app's incoming
    /// webhook always posts to the channel it was created for).
    pub channel: Option<String>,
    /// Channel per event kind, overriding `channel`: `{incident_opened: "#incidents"}`.
    pub channels: BTreeMap<NotifyEvent, String>,
}

/// `mcp:` target: a tool call on a server of the MCP configuration file (the seed's
/// `config/rube/mcp-config.template.json` format; `RUBE_MCP_CONFIG`, else
/// `~/.config/rube/mcp-config.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct McpTarget {
    /// The server's id in the MCP configuration file.
    pub server: String,
    /// The tool to call.
    pub tool: String,
    /// The tool's arguments: any JSON, where `{{title}}`, `{{text}}`, `{{url}}`, `{{event}}`,
    /// `{{subject}}`, `{{occurred_at}}` and `{{idempotency_key}}` in strings are replaced by the
    /// message's fields.
    pub arguments: Value,
    /// Another tool and arguments for some events: `{release: {tool: ..., arguments: {...}}}`.
    pub events: BTreeMap<NotifyEvent, McpCall>,
}

impl Default for McpTarget {
    fn default() -> Self {
        McpTarget {
            server: "rube".into(),
            tool: String::new(),
            arguments: Value::Object(serde_json::Map::new()),
            events: BTreeMap::new(),
        }
    }
}

/// A tool and its argument template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct McpCall {
    /// The tool to call.
    pub tool: String,
    /// Its arguments, a template as in `mcp.arguments`.
    #[serde(default)]
    pub arguments: Value,
}

/// `github:` target: a comment on an issue or pull request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GitHubTarget {
    /// `owner/repo` of the issue.
    pub repository: String,
    /// The issue (or pull request) number to comment on.
    pub issue: u64,
}

/// One route: these events go to these targets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NotifyRoute {
    /// Events this route sends.
    pub events: Vec<NotifyEvent>,
    /// Target names (keys of `notifications.targets`).
    pub targets: Vec<String>,
}

impl NotificationsConfig {
    /// The targets an event goes to, each once, in route order.
    pub fn targets_for(&self, event: NotifyEvent) -> Vec<(&str, &NotifyTarget)> {
        let mut out: Vec<(&str, &NotifyTarget)> = Vec::new();
        for route in self.routes.iter().filter(|r| r.events.contains(&event)) {
            for name in &route.targets {
                if out.iter().any(|(n, _)| *n == name.as_str()) {
                    continue;
                }
                if let Some(target) = self.targets.get(name) {
                    out.push((name.as_str(), target));
                }
            }
        }
        out
    }

    /// `fix_waiting_after` in milliseconds.
    pub fn fix_waiting_after_ms(&self) -> Result<i64, PolicyError> {
        parse_wait(&self.fix_waiting_after).ok_or_else(|| PolicyError {
            key: "notifications.fix_waiting_after".into(),
            message: format!("`{}` is not a duration", self.fix_waiting_after),
            hint: "write a whole number of minutes, hours or days: `30m`, `4h`, `2d`".into(),
        })
    }

    /// Everything the loader cannot check by shape: routes naming unknown targets, targets
    /// without a secret source or a tool, a bad duration.
    pub fn validate(&self) -> Vec<PolicyError> {
        let mut errors = Vec::new();
        if let Err(e) = self.fix_waiting_after_ms() {
            errors.push(e);
        }
        for (i, route) in self.routes.iter().enumerate() {
            for (j, name) in route.targets.iter().enumerate() {
                if !self.targets.contains_key(name) {
                    let known: Vec<&str> = self.targets.keys().map(String::as_str).collect();
                    errors.push(PolicyError {
                        key: format!("notifications.routes[{i}].targets[{j}]"),
                        message: format!("no target named `{name}`"),
                        hint: format!(
                            "define it under notifications.targets, or use one of: {}",
                            if known.is_empty() {
                                "(none defined)".into()
                            } else {
                                known.join(", ")
                            }
                        ),
                    });
                }
            }
        }
        for (name, target) in &self.targets {
            let key = format!("notifications.targets.{name}");
            let Some(kind) = target.kind() else {
                errors.push(PolicyError {
                    key,
                    message: "a target is exactly one of `slack`, `mcp` and `github`".into(),
                    hint: "write `NAME: {slack: {webhook_url_env: VAR}}`, `NAME: {mcp: {tool: \
                           TOOL}}` or `NAME: {github: {repository: owner/repo, issue: N}}`"
                        .into(),
                });
                continue;
            };
            match kind {
                TargetKind::Slack(s) => {
                    if s.webhook_url_env.is_some() == s.webhook_url_file.is_some() {
                        errors.push(PolicyError {
                            key: format!("{key}.slack"),
                            message: "give exactly one of `webhook_url_env` and \
                                      `webhook_url_file`"
                                .into(),
                            hint: "the webhook URL is a secret: keep it in the service's \
                                   environment (`webhook_url_env: PLASMA_OPS_SLACK_WEBHOOK_URL`) \
                                   or in a file"
                                .into(),
                        });
                    }
                }
                TargetKind::Mcp(m) => {
                    if m.tool.trim().is_empty() {
                        errors.push(PolicyError {
                            key: format!("{key}.mcp.tool"),
                            message: "no tool named".into(),
                            hint: "name the MCP tool to call, e.g. `RUBE_MULTI_EXECUTE_TOOL`"
                                .into(),
                        });
                    }
                    if m.server.trim().is_empty() {
                        errors.push(PolicyError {
                            key: format!("{key}.mcp.server"),
                            message: "no server named".into(),
                            hint: "name the server's id in the MCP configuration file (`rube`)"
                                .into(),
                        });
                    }
                }
                TargetKind::Github(g) => {
                    let parts: Vec<&str> = g.repository.split('/').collect();
                    if parts.len() != 2 || parts.iter().any(|p| p.is_empty()) || g.issue == 0 {
                        errors.push(PolicyError {
                            key: format!("{key}.github"),
                            message: format!(
                                "`{}#{}` is not an issue of a repository",
                                g.repository, g.issue
                            ),
                            hint: "write `repository: owner/repo` and `issue: N`".into(),
                        });
                    }
                }
            }
        }
        errors
    }
}

/// `30m`, `4h`, `2d` in milliseconds; `None` for anything else (or an overflow).
fn parse_wait(text: &str) -> Option<i64> {
    let text = text.trim();
    let unit = text.chars().last()?;
    let number: i64 = text.get(..text.len() - unit.len_utf8())?.parse().ok()?;
    let per = match unit {
        'm' => 60_000,
        'h' => 3_600_000,
        'd' => 86_400_000,
        _ => return None,
    };
    number.checked_mul(per).filter(|ms| *ms > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(yaml: &str) -> NotificationsConfig {
        yaml_serde::from_str(yaml).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_issue_interface_parses() {
        let n = parse(
            "targets:\n  devops: {slack: {webhook_url_env: PLASMA_OPS_SLACK_WEBHOOK_URL}}\n  \
             rube: {mcp: {server: rube, tool: RUBE_MULTI_EXECUTE_TOOL, arguments: {text: '{{text}}'}}}\n\
             routes:\n  - {events: [incident_opened, incident_resolved], targets: [devops, rube]}\n",
        );
        assert!(n.validate().is_empty(), "{:?}", n.validate());
        let to: Vec<&str> =
            n.targets_for(NotifyEvent::IncidentOpened).iter().map(|(name, _)| *name).collect();
        assert_eq!(to, ["devops", "rube"]);
        assert!(n.targets_for(NotifyEvent::Release).is_empty());
    }

    #[test]
    fn every_event_name_round_trips() {
        for e in NotifyEvent::ALL {
            assert_eq!(NotifyEvent::parse(e.as_str()), Some(e));
            assert_eq!(serde_json::to_value(e).unwrap(), Value::String(e.to_string()));
        }
        assert_eq!(NotifyEvent::parse("ready-to-merge"), None);
    }

    #[test]
    fn unknown_events_and_keys_are_errors() {
        let bad = yaml_serde::from_str::<NotificationsConfig>(
            "routes: [{events: [ready_for_merge], targets: [x]}]",
        );
        assert!(bad.is_err());
        let bad = yaml_serde::from_str::<NotificationsConfig>(
            "targets: {x: {slack: {webhook_url: https://hooks.slack.com/x}}}",
        );
        assert!(bad.is_err(), "a literal URL key does not exist");
    }

    #[test]
    fn validation_names_each_problem_by_key() {
        let n = parse(
            "fix_waiting_after: soon\n\
             targets:\n  a: {slack: {}}\n  b: {mcp: {tool: ' ', server: ''}}\n  \
             c: {github: {repository: nope, issue: 0}}\n  \
             d: {slack: {webhook_url_env: A, webhook_url_file: /f}}\n  \
             e: {}\n\
             routes: [{events: [release], targets: [a, zz]}]\n",
        );
        let keys: Vec<String> = n.validate().into_iter().map(|e| e.key).collect();
        assert_eq!(
            keys,
            [
                "notifications.fix_waiting_after",
                "notifications.routes[0].targets[1]",
                "notifications.targets.a.slack",
                "notifications.targets.b.mcp.tool",
                "notifications.targets.b.mcp.server",
                "notifications.targets.c.github",
                "notifications.targets.d.slack",
                "notifications.targets.e",
            ]
        );
    }

    #[test]
    fn a_target_named_twice_is_sent_once() {
        let n = parse(
            "targets: {a: {github: {repository: o/r, issue: 3}}}\n\
             routes: [{events: [release], targets: [a]}, {events: [release, deployment], targets: [a]}]\n",
        );
        assert_eq!(n.targets_for(NotifyEvent::Release).len(), 1);
    }

    #[test]
    fn waits_parse_in_minutes_hours_and_days() {
        for (text, ms) in [("30m", 1_800_000), ("4h", 14_400_000), ("2d", 172_800_000)] {
            assert_eq!(parse_wait(text), Some(ms), "{text}");
        }
        for text in ["", "h", "4", "4w", "-1h", "0m", "99999999999999999d", "4é"] {
            assert_eq!(parse_wait(text), None, "{text}");
        }
    }

    proptest::proptest! {
        #[test]
        fn any_text_parses_without_panicking(text in "\\PC{0,12}") {
            let _ = parse_wait(&text);
        }
    }
}

#[cfg(test)]
mod layer_tests {
    use crate::{ConfigSource, load};

    #[test]
    fn the_organisation_defines_targets_and_a_repository_routes_to_them() {
        let org = ConfigSource {
            name: "org.yml",
            text: "notifications:\n  targets:\n    devops: {slack: {webhook_url_env: PLASMA_OPS_SLACK_WEBHOOK_URL}}\n",
        };
        let repo = ConfigSource {
            name: "repo.yml",
            text: "notifications:\n  routes:\n    - {events: [ready_to_merge], targets: [devops]}\n",
        };
        let eff = load(Some(org), Some(repo)).unwrap_or_else(|e| panic!("{e}"));
        let n = &eff.config.notifications;
        assert!(n.validate().is_empty(), "{:?}", n.validate());
        assert_eq!(n.targets_for(crate::NotifyEvent::ReadyToMerge).len(), 1);
    }

    #[test]
    fn a_misspelt_event_is_located_in_its_file() {
        let repo = ConfigSource {
            name: "repo.yml",
            text: "notifications:\n  routes:\n    - {events: [ready-to-merge], targets: [devops]}\n",
        };
        let err = load(None, Some(repo)).unwrap_err().to_string();
        assert!(err.starts_with("repo.yml:3:"), "{err}");
    }
}

//! What a notification says, independent of where it goes, and how an event becomes outbox rows
//! (one per routed target, each carrying the target's settings as they were when it happened).

use plasma_config::{NotificationsConfig, NotifyEvent, NotifyTarget};
use plasma_store::NewNotification;
use serde::{Deserialize, Serialize};

/// The message of one event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// The event.
    pub event: NotifyEvent,
    /// What it is about: `owner/repo#12`.
    pub subject: String,
    /// One line: `Ready to merge: [PE-12] Gateway bootstrap`.
    pub title: String,
    /// A few lines of plain text (Slack mrkdwn is not interpreted in it).
    pub text: String,
    /// Where to look.
    #[serde(default)]
    pub url: Option<String>,
    /// When it happened, as GitHub says (RFC 3339), when known.
    #[serde(default)]
    pub occurred_at: Option<String>,
    /// Labelled facts shown as fields: `("Author", "octocat")`.
    #[serde(default)]
    pub fields: Vec<(String, String)>,
}

/// An outbox row's payload: the message and the settings of the target it goes to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payload {
    /// The message.
    pub message: Message,
    /// The target as configured when the event happened (names of secrets only).
    pub target: NotifyTarget,
}

impl Payload {
    /// Reads a stored payload.
    pub fn parse(text: &str) -> Result<Payload, serde_json::Error> {
        serde_json::from_str(text)
    }
}

/// The outbox rows for `message` under `config`: one per target its event is routed to, keyed by
/// (event, subject, `dedupe_key`, target) so that enqueuing the same occurrence again adds nothing.
pub fn plan(
    config: &NotificationsConfig,
    message: &Message,
    dedupe_key: &str,
) -> Vec<NewNotification> {
    config
        .targets_for(message.event)
        .into_iter()
        .filter_map(|(name, target)| {
            let payload = Payload { message: message.clone(), target: target.clone() };
            let payload = serde_json::to_string(&payload).ok()?;
            Some(NewNotification {
                event: message.event.as_str().to_owned(),
                subject: message.subject.clone(),
                dedupe_key: dedupe_key.to_owned(),
                target: name.to_owned(),
                payload,
            })
        })
        .collect()
}

/// `ready_to_merge` for a pull request: `occurred_at` is the newest GitHub timestamp among what
/// made it ready (reviews, checks), when the caller knows one.
pub fn ready_to_merge(
    repository: &str,
    number: u64,
    title: &str,
    author: &str,
    head_sha: &str,
    occurred_at: Option<String>,
) -> Message {
    let subject = format!("{repository}#{number}");
    let short = head_sha.get(..7).unwrap_or(head_sha);
    Message {
        event: NotifyEvent::ReadyToMerge,
        title: format!("Ready to merge: {subject} {title}"),
        text: format!(
            "{subject} \"{title}\" by {author} passes every rule of the process at {short}: \
             checks green, CodeRabbit and a human approved."
        ),
        url: Some(format!("https://github.com/{repository}/pull/{number}")),
        occurred_at,
        fields: vec![
            ("Pull request".into(), subject.clone()),
            ("Author".into(), author.to_owned()),
            ("Head".into(), short.to_owned()),
        ],
        subject,
    }
}

/// `fix_waiting`: a pull request has carried the fix label since `labeled_at` (GitHub's time).
pub fn fix_waiting(
    repository: &str,
    number: u64,
    title: &str,
    label: &str,
    labeled_at: &str,
    waited: &str,
    agents: &[String],
) -> Message {
    let subject = format!("{repository}#{number}");
    let who = if agents.is_empty() { "an agent".to_owned() } else { agents.join(", ") };
    Message {
        event: NotifyEvent::FixWaiting,
        title: format!("Fix waiting {waited}: {subject} {title}"),
        text: format!(
            "{subject} \"{title}\" has waited on {who} for {waited} (`{label}` since {labeled_at})."
        ),
        url: Some(format!("https://github.com/{repository}/pull/{number}")),
        occurred_at: Some(labeled_at.to_owned()),
        fields: vec![
            ("Pull request".into(), subject.clone()),
            ("Waiting on".into(), who),
            ("Since".into(), labeled_at.to_owned()),
        ],
        subject,
    }
}

/// `release`: a tag was created.
pub fn release(
    repository: &str,
    tag: &str,
    url: Option<String>,
    occurred_at: Option<String>,
) -> Message {
    let subject = format!("{repository}@{tag}");
    Message {
        event: NotifyEvent::Release,
        title: format!("Release {tag} of {repository}"),
        text: format!("{repository} released {tag}."),
        url,
        occurred_at,
        fields: vec![("Repository".into(), repository.to_owned()), ("Tag".into(), tag.to_owned())],
        subject,
    }
}

/// An incident as its notifications describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentFacts<'a> {
    /// `owner/name`.
    pub repository: &'a str,
    /// Issue number.
    pub number: u64,
    /// Title.
    pub title: &'a str,
    /// Severity label, when it has one.
    pub severity: Option<&'a str>,
}

impl IncidentFacts<'_> {
    fn subject(&self) -> String {
        format!("{}#{}", self.repository, self.number)
    }

    fn url(&self) -> Option<String> {
        Some(format!("https://github.com/{}/issues/{}", self.repository, self.number))
    }

    fn severity(&self) -> String {
        self.severity.unwrap_or("no severity").to_owned()
    }

    fn fields(&self) -> Vec<(String, String)> {
        vec![("Incident".into(), self.subject()), ("Severity".into(), self.severity())]
    }
}

/// `incident_opened`: the issue was opened at `at` (GitHub's `created_at`).
pub fn incident_opened(i: &IncidentFacts<'_>, at: &str) -> Message {
    let subject = i.subject();
    Message {
        event: NotifyEvent::IncidentOpened,
        title: format!("Incident opened ({}): {subject} {}", i.severity(), i.title),
        text: format!("{subject} \"{}\" was opened at {at} and needs an owner.", i.title),
        url: i.url(),
        occurred_at: Some(at.to_owned()),
        fields: i.fields(),
        subject,
    }
}

/// `incident_unacknowledged`: nobody took the incident by its deadline `deadline`.
pub fn incident_unacknowledged(i: &IncidentFacts<'_>, deadline: &str) -> Message {
    let subject = i.subject();
    let mut fields = i.fields();
    fields.push(("Deadline".into(), deadline.to_owned()));
    Message {
        event: NotifyEvent::IncidentUnacknowledged,
        title: format!("Incident without an owner ({}): {subject} {}", i.severity(), i.title),
        text: format!(
            "{subject} \"{}\" was due an owner by {deadline} and nobody has been assigned or \
             answered; assign someone.",
            i.title
        ),
        url: i.url(),
        occurred_at: Some(deadline.to_owned()),
        fields,
        subject,
    }
}

/// `incident_resolved`: closed at `at` with `postmortem` (`None`: waived).
pub fn incident_resolved(i: &IncidentFacts<'_>, at: &str, postmortem: Option<&str>) -> Message {
    let subject = i.subject();
    let pm = postmortem.unwrap_or("waived");
    let mut fields = i.fields();
    fields.push(("Postmortem".into(), pm.to_owned()));
    Message {
        event: NotifyEvent::IncidentResolved,
        title: format!("Incident resolved ({}): {subject} {}", i.severity(), i.title),
        text: format!("{subject} \"{}\" was resolved at {at}; postmortem: {pm}.", i.title),
        url: i.url(),
        occurred_at: Some(at.to_owned()),
        fields,
        subject,
    }
}

/// A successful production deployment as its notification describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeploymentFacts<'a> {
    /// `owner/name`.
    pub repository: &'a str,
    /// GitHub's id of the deployment.
    pub id: i64,
    /// The environment.
    pub environment: &'a str,
    /// The commit deployed.
    pub sha: &'a str,
    /// The commit of the deployment before it, when there was one.
    pub previous_sha: Option<&'a str>,
    /// `first`, `change`, `redeploy` or `rollback`.
    pub kind: &'a str,
    /// The pull requests it brought.
    pub pulls: &'a [u64],
    /// Who created it.
    pub creator: Option<&'a str>,
    /// When its success status was created (GitHub's time, RFC 3339).
    pub finished_at: &'a str,
    /// The status's link (logs or the environment), when it had one.
    pub url: Option<&'a str>,
}

fn short(sha: &str) -> &str {
    sha.get(..7).unwrap_or(sha)
}

/// `deployment` or, for a deployment of an ancestor of the previous one, `rollback`.
pub fn deployment(d: &DeploymentFacts<'_>) -> Message {
    let rollback = d.kind == "rollback";
    let subject = format!("{}@{}", d.repository, d.environment);
    let what = match d.kind {
        "rollback" => format!(
            "rolled `{}` back to {} from {}",
            d.environment,
            short(d.sha),
            d.previous_sha.map_or("?", short)
        ),
        "redeploy" => format!("redeployed {} to `{}`", short(d.sha), d.environment),
        "first" => {
            format!("deployed {} to `{}` (the first one recorded)", short(d.sha), d.environment)
        }
        _ => {
            let pulls = if d.pulls.is_empty() {
                "no pull request".to_owned()
            } else {
                d.pulls.iter().map(|n| format!("#{n}")).collect::<Vec<_>>().join(", ")
            };
            format!("deployed {} to `{}`, bringing {pulls}", short(d.sha), d.environment)
        }
    };
    let by = d.creator.map(|c| format!(" ({c})")).unwrap_or_default();
    let mut fields = vec![
        ("Environment".into(), d.environment.to_owned()),
        ("Commit".into(), short(d.sha).to_owned()),
        ("Kind".into(), d.kind.to_owned()),
    ];
    if let Some(p) = d.previous_sha {
        fields.push(("Previous".into(), short(p).to_owned()));
    }
    Message {
        event: if rollback { NotifyEvent::Rollback } else { NotifyEvent::Deployment },
        title: format!(
            "{} of {} to {}: {}",
            if rollback { "Rollback" } else { "Deployment" },
            d.repository,
            d.environment,
            short(d.sha)
        ),
        text: format!("{}{by} {what} at {}.", d.repository, d.finished_at),
        url: d
            .url
            .map(str::to_owned)
            .or_else(|| Some(format!("https://github.com/{}/deployments", d.repository))),
        occurred_at: Some(d.finished_at.to_owned()),
        fields,
        subject,
    }
}

/// `adr_proposed`: a pull request (or issue) proposes an ADR, announced as the Discussion
/// `discussion_url`.
pub fn adr_proposed(
    repository: &str,
    number: u64,
    title: &str,
    adr: &str,
    discussion_url: &str,
    occurred_at: &str,
) -> Message {
    let subject = format!("{repository}#{number}");
    Message {
        event: NotifyEvent::AdrProposed,
        title: format!("ADR proposed: {adr} ({subject})"),
        text: format!("{subject} \"{title}\" proposes {adr}. Discuss it at {discussion_url}."),
        url: Some(discussion_url.to_owned()),
        occurred_at: Some(occurred_at.to_owned()),
        fields: vec![
            ("Proposal".into(), subject.clone()),
            ("ADR".into(), adr.to_owned()),
            ("Discussion".into(), discussion_url.to_owned()),
        ],
        subject,
    }
}

/// The message `plasma-ops notify test TARGET` sends.
pub fn test_message(target: &str) -> Message {
    Message {
        event: NotifyEvent::ReadyToMerge,
        subject: "test".into(),
        title: format!("plasma-ops test message to `{target}`"),
        text: "If you can read this, plasma-ops can notify this target.".into(),
        url: None,
        occurred_at: None,
        fields: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(json: &str) -> NotificationsConfig {
        serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn one_row_per_routed_target_with_the_target_settings() {
        let c = config(
            r#"{"targets": {"devops": {"slack": {"webhook_url_env": "HOOK"}},
                            "rube": {"mcp": {"tool": "RUBE_MULTI_EXECUTE_TOOL"}}},
                "routes": [{"events": ["ready_to_merge"], "targets": ["devops", "rube"]},
                           {"events": ["release"], "targets": ["devops"]}]}"#,
        );
        let m = ready_to_merge("o/r", 12, "[PE-12] Gateway", "octocat", "abcdef0123", None);
        let rows = plan(&c, &m, "abcdef0123");
        let names: Vec<&str> = rows.iter().map(|r| r.target.as_str()).collect();
        assert_eq!(names, ["devops", "rube"]);
        assert!(rows.iter().all(|r| r.event == "ready_to_merge" && r.subject == "o/r#12"));
        let back = Payload::parse(&rows[0].payload).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back.message, m);
        assert!(back.target.slack.is_some());
        assert!(plan(&c, &fix_waiting("o/r", 1, "t", "l", "t0", "5h", &[]), "t0").is_empty());
    }

    #[test]
    fn messages_say_what_and_where() {
        let m = ready_to_merge("o/r", 12, "[PE-12] Gateway", "octocat", "abcdef0123", None);
        assert_eq!(m.title, "Ready to merge: o/r#12 [PE-12] Gateway");
        assert!(m.text.contains("abcdef0"), "{}", m.text);
        assert_eq!(m.url.as_deref(), Some("https://github.com/o/r/pull/12"));
        let agents = ["agent:backend".to_owned()];
        let f = fix_waiting(
            "o/r",
            3,
            "T",
            "status:needs-cursor-fix",
            "2026-12-01T10:00:00Z",
            "5h",
            &agents,
        );
        assert!(f.text.contains("agent:backend") && f.text.contains("2026-12-01T10:00:00Z"));
        assert_eq!(f.occurred_at.as_deref(), Some("2026-12-01T10:00:00Z"));
        let none = fix_waiting("o/r", 3, "T", "l", "x", "5h", &[]);
        assert!(none.text.contains("an agent"));
        let r = release("o/r", "v1.2.0", None, Some("2026-12-01T10:00:00Z".into()));
        assert_eq!((r.subject.as_str(), r.event), ("o/r@v1.2.0", NotifyEvent::Release));
        assert!(test_message("devops").title.contains("`devops`"));
    }

    #[test]
    fn incident_messages_carry_the_facts_and_github_times() {
        let i = IncidentFacts {
            repository: "o/r",
            number: 7,
            title: "API down",
            severity: Some("sev1"),
        };
        let o = incident_opened(&i, "2026-12-01T10:00:00Z");
        assert_eq!(o.event, NotifyEvent::IncidentOpened);
        assert_eq!(o.title, "Incident opened (sev1): o/r#7 API down");
        assert_eq!(o.url.as_deref(), Some("https://github.com/o/r/issues/7"));
        assert_eq!(o.occurred_at.as_deref(), Some("2026-12-01T10:00:00Z"));
        let u = incident_unacknowledged(&i, "2026-12-01T10:15:00Z");
        assert_eq!(u.event, NotifyEvent::IncidentUnacknowledged);
        assert!(u.text.contains("2026-12-01T10:15:00Z") && u.text.contains("assign"), "{}", u.text);
        let none = IncidentFacts { severity: None, ..i.clone() };
        let r = incident_resolved(&none, "2026-12-02T08:00:00Z", None);
        assert_eq!(r.title, "Incident resolved (no severity): o/r#7 API down");
        assert!(r.text.contains("postmortem: waived"), "{}", r.text);
        let r = incident_resolved(&i, "t", Some("https://x/pm"));
        assert!(r.fields.contains(&("Postmortem".into(), "https://x/pm".into())));
    }

    #[test]
    fn deployments_and_rollbacks_say_what_moved() {
        let d = DeploymentFacts {
            repository: "o/r",
            id: 9,
            environment: "production",
            sha: "bbbbbbbbbb",
            previous_sha: Some("aaaaaaaaaa"),
            kind: "change",
            pulls: &[3, 4],
            creator: Some("ci"),
            finished_at: "2026-12-01T10:00:00Z",
            url: None,
        };
        let m = deployment(&d);
        assert_eq!(m.event, NotifyEvent::Deployment);
        assert_eq!(m.title, "Deployment of o/r to production: bbbbbbb");
        assert_eq!(
            m.text,
            "o/r (ci) deployed bbbbbbb to `production`, bringing #3, #4 at 2026-12-01T10:00:00Z."
        );
        assert_eq!(m.subject, "o/r@production");
        let back = deployment(&DeploymentFacts {
            kind: "rollback",
            sha: "aaaaaaaaaa",
            previous_sha: Some("bbbbbbbbbb"),
            url: Some("https://logs"),
            ..d.clone()
        });
        assert_eq!(back.event, NotifyEvent::Rollback);
        assert!(
            back.text.contains("rolled `production` back to aaaaaaa from bbbbbbb"),
            "{}",
            back.text
        );
        assert_eq!(back.url.as_deref(), Some("https://logs"));
        let again = deployment(&DeploymentFacts { kind: "redeploy", pulls: &[], ..d.clone() });
        assert!(again.text.contains("redeployed bbbbbbb"), "{}", again.text);
        let first = deployment(&DeploymentFacts {
            kind: "first",
            previous_sha: None,
            creator: None,
            ..d.clone()
        });
        assert!(
            first.text.starts_with("o/r deployed bbbbbbb to `production` (the first"),
            "{}",
            first.text
        );
        let empty = deployment(&DeploymentFacts { pulls: &[], ..d });
        assert!(empty.text.contains("bringing no pull request"), "{}", empty.text);
    }

    #[test]
    fn an_adr_proposal_links_its_discussion() {
        let m = adr_proposed(
            "o/r",
            5,
            "ADR: cache",
            "docs/adr/0007-cache.md",
            "https://github.com/o/d/discussions/1",
            "2026-12-01T10:00:00Z",
        );
        assert_eq!(m.event, NotifyEvent::AdrProposed);
        assert_eq!(m.title, "ADR proposed: docs/adr/0007-cache.md (o/r#5)");
        assert_eq!(m.url.as_deref(), Some("https://github.com/o/d/discussions/1"));
    }
}

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
}

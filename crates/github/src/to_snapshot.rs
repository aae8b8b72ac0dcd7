//! Webhook events into the policy core's snapshots.
//!
//! A payload is one moment's partial view: it carries no file list, commits, reviews, check runs or
//! statuses, so those are `None` (unknown), never empty, and the rules that need them say "not
//! evaluated" instead of failing. A full snapshot comes from the GitHub API.

use plasma_policy::snapshot::{GitRef, SNAPSHOT_VERSION};
use plasma_policy::{IssueSnapshot, PrSnapshot};
use serde::Serialize;

use crate::model::actor_or_ghost;
use crate::webhook::{
    BranchRef, Issue, PullRequest, WebhookError, WebhookEvent, detect_event_name, parse_event,
    top_level_keys,
};

/// A snapshot of whichever kind the payload describes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
// One value per payload read, moved straight into a match: boxing would only cost callers.
#[allow(clippy::large_enum_variant)]
pub enum Snapshot {
    /// From a `pull_request` or `pull_request_review` event.
    Pr(PrSnapshot),
    /// From an `issues` event or an `issue_comment` event on an issue.
    Issue(IssueSnapshot),
}

/// The pull request of a `pull_request` or `pull_request_review` event, as a snapshot whose
/// files, commits, reviews, check runs and statuses are unknown.
pub fn pr_snapshot(ev: &WebhookEvent) -> Result<PrSnapshot, WebhookError> {
    match ev {
        WebhookEvent::PullRequest(e) => {
            Ok(from_pull_request(&e.repository.full_name, &e.pull_request))
        }
        // The event carries one review, not all of them: reviews stay unknown.
        WebhookEvent::PullRequestReview(e) => {
            Ok(from_pull_request(&e.repository.full_name, &e.pull_request))
        }
        other => Err(WebhookError::NotAPullRequestEvent {
            event: other.name().to_string(),
            concerns: concerns(other),
        }),
    }
}

/// The issue of an `issues` event, or of an `issue_comment` event on an issue (not on a pull
/// request), as a snapshot.
pub fn issue_snapshot(ev: &WebhookEvent) -> Result<IssueSnapshot, WebhookError> {
    let (repository, issue) = match ev {
        WebhookEvent::Issues(e) => (&e.repository, &e.issue),
        WebhookEvent::IssueComment(e) => (&e.repository, &e.issue),
        other => return Err(WebhookError::NotAnIssueEvent { event: other.name().to_string() }),
    };
    if issue.is_pull_request() {
        return Err(WebhookError::IssueIsPullRequest {
            event: ev.name().to_string(),
            number: issue.number,
        });
    }
    Ok(from_issue(&repository.full_name, issue))
}

/// Reads a payload and builds the snapshot it describes. Without an event name (`None` or blank;
/// GitHub Actions' event file has no header) the event is guessed with [`detect_event_name`].
pub fn snapshot_from_payload(
    event_name: Option<&str>,
    body: &[u8],
) -> Result<Snapshot, WebhookError> {
    let name = match event_name.map(str::trim).filter(|n| !n.is_empty()) {
        Some(name) => name,
        None => match detect_event_name(body) {
            Some(name) => name,
            None => {
                // Report invalid JSON as such before saying the shape is unknown.
                let keys = top_level_keys(body)?;
                let keys = if keys.is_empty() { "none".to_string() } else { keys.join(", ") };
                return Err(WebhookError::UnknownEvent { keys });
            }
        },
    };
    let ev = parse_event(name, body)?;
    match ev {
        WebhookEvent::PullRequest(_) | WebhookEvent::PullRequestReview(_) => {
            pr_snapshot(&ev).map(Snapshot::Pr)
        }
        WebhookEvent::Issues(_) | WebhookEvent::IssueComment(_) => {
            issue_snapshot(&ev).map(Snapshot::Issue)
        }
        _ => pr_snapshot(&ev).map(Snapshot::Pr),
    }
}

/// What a pull request object alone tells (the same in a webhook payload and a REST answer):
/// files, commits, reviews, check runs and statuses unknown. The fetcher fills those in.
pub(crate) fn from_pull_request(repository: &str, pr: &PullRequest) -> PrSnapshot {
    PrSnapshot {
        version: SNAPSHOT_VERSION,
        repository: repository.to_string(),
        number: pr.number,
        title: pr.title.clone(),
        body: pr.body.clone().unwrap_or_default(),
        state: pr.state,
        merged: pr.is_merged(),
        draft: pr.draft.unwrap_or(false),
        author: actor_or_ghost(pr.user.as_ref()),
        base: git_ref(&pr.base),
        head: git_ref(&pr.head),
        labels: pr.labels.iter().map(|l| l.name.clone()).collect(),
        files: None,
        commits: None,
        reviews: None,
        check_runs: None,
        statuses: None,
        rereview_requested_shas: Vec::new(),
        infra: None,
        review_threads: None,
    }
}

fn git_ref(r: &BranchRef) -> GitRef {
    GitRef { name: r.name.clone(), sha: r.sha.clone() }
}

/// What an issue object tells, the same in a webhook payload and a REST answer.
pub(crate) fn from_issue(repository: &str, issue: &Issue) -> IssueSnapshot {
    IssueSnapshot {
        version: SNAPSHOT_VERSION,
        repository: repository.to_string(),
        number: issue.number,
        title: issue.title.clone(),
        state: issue.effective_state(),
        labels: issue.label_names(),
        assignees: issue.assignee_logins(),
        author: actor_or_ghost(issue.user.as_ref()),
    }
}

/// What an event is about, for the message of [`WebhookError::NotAPullRequestEvent`].
fn concerns(ev: &WebhookEvent) -> String {
    let mut parts = Vec::new();
    if let Some(repo) = ev.repository() {
        parts.push(format!("repository {}", repo.full_name));
    }
    match ev.pull_request_numbers().as_slice() {
        [] => {}
        [one] => parts.push(format!("pull request #{one}")),
        many => {
            let list: Vec<String> = many.iter().map(|n| format!("#{n}")).collect();
            parts.push(format!("pull requests {}", list.join(", ")));
        }
    }
    if let Some(sha) = ev.head_sha() {
        parts.push(format!("commit {sha}"));
    }
    if parts.is_empty() { String::new() } else { format!(" (it concerns {})", parts.join(", ")) }
}

#[cfg(test)]
#[allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]
mod tests {
    use plasma_policy::snapshot::{ActorKind, PrState, ReviewState};
    use serde_json::{Value, json};

    use super::*;

    fn pr_payload() -> Value {
        json!({
            "action": "opened",
            "number": 12,
            "pull_request": {
                "number": 12,
                "title": "[PE-12] Gateway bootstrap",
                "body": "- [x] Tests run",
                "state": "open",
                "draft": false,
                "merged": false,
                "user": {"login": "bob", "type": "User", "site_admin": false},
                "head": {"ref": "gateway/PE-12-bootstrap-fastapi", "sha": "aaa1"},
                "base": {"ref": "main", "sha": "bbb2"},
                "labels": [{"name": "status:coderabbit-approved", "color": "0e8a16"}]
            },
            "repository": {"full_name": "plasma-engine/plasma-engine-gateway", "id": 1},
            "sender": {"login": "bob", "type": "User"}
        })
    }

    fn issue_payload() -> Value {
        json!({
            "action": "opened",
            "issue": {
                "number": 13,
                "title": "[PE-13] Rate limiting",
                "body": null,
                "state": "open",
                "user": {"login": "carol", "type": "User"},
                "labels": [{"name": "phase-0"}, {"name": "gateway"}],
                "assignees": [{"login": "dave", "type": "User"}]
            },
            "repository": {"full_name": "plasma-engine/plasma-engine-gateway"},
            "sender": {"login": "carol", "type": "User"}
        })
    }

    fn parse(name: &str, v: &Value) -> WebhookEvent {
        parse_event(name, v.to_string().as_bytes()).expect("payload parses")
    }

    #[test]
    fn pull_request_event_becomes_a_snapshot_with_unknown_collections() {
        let snap = pr_snapshot(&parse("pull_request", &pr_payload())).unwrap();
        assert_eq!(snap.version, SNAPSHOT_VERSION);
        assert_eq!(snap.repository, "plasma-engine/plasma-engine-gateway");
        assert_eq!(snap.number, 12);
        assert_eq!(snap.title, "[PE-12] Gateway bootstrap");
        assert_eq!(snap.body, "- [x] Tests run");
        assert_eq!(snap.state, PrState::Open);
        assert!(!snap.merged && !snap.draft);
        assert_eq!(snap.author.login, "bob");
        assert_eq!(snap.author.kind, ActorKind::User);
        assert_eq!(snap.head.name, "gateway/PE-12-bootstrap-fastapi");
        assert_eq!(snap.head.sha, "aaa1");
        assert_eq!(snap.base.name, "main");
        assert_eq!(snap.labels, vec!["status:coderabbit-approved"]);
        assert_eq!(snap.files, None);
        assert_eq!(snap.commits, None);
        assert_eq!(snap.reviews, None);
        assert_eq!(snap.check_runs, None);
        assert_eq!(snap.statuses, None);
        assert!(snap.rereview_requested_shas.is_empty());
    }

    #[test]
    fn snapshot_round_trips_through_the_documented_json_format() {
        let snap = pr_snapshot(&parse("pull_request", &pr_payload())).unwrap();
        let text = serde_json::to_string(&snap).unwrap();
        let back: PrSnapshot = serde_json::from_str(&text).unwrap();
        assert_eq!(back, snap);
    }

    #[test]
    fn null_body_missing_draft_and_null_labels_have_defaults() {
        let mut v = pr_payload();
        v["pull_request"]["body"] = Value::Null;
        v["pull_request"]["labels"] = Value::Null;
        v["pull_request"].as_object_mut().unwrap().remove("draft");
        let snap = pr_snapshot(&parse("pull_request", &v)).unwrap();
        assert_eq!(snap.body, "");
        assert!(!snap.draft);
        assert!(snap.labels.is_empty());
    }

    #[test]
    fn merged_comes_from_the_payload_or_merged_at() {
        let mut v = pr_payload();
        v["pull_request"]["state"] = json!("closed");
        v["pull_request"]["merged"] = json!(true);
        let snap = pr_snapshot(&parse("pull_request", &v)).unwrap();
        assert_eq!(snap.state, PrState::Closed);
        assert!(snap.merged);

        // pull_request_review payloads have no `merged`.
        v["pull_request"].as_object_mut().unwrap().remove("merged");
        v["pull_request"]["merged_at"] = json!("2026-11-01T10:00:00Z");
        v["review"] = json!({"id": 1, "state": "approved", "user": {"login": "alice"}});
        let snap = pr_snapshot(&parse("pull_request_review", &v)).unwrap();
        assert!(snap.merged);
        v["pull_request"]["merged_at"] = Value::Null;
        let snap = pr_snapshot(&parse("pull_request_review", &v)).unwrap();
        assert!(!snap.merged);
    }

    #[test]
    fn account_types_map_to_actor_kinds() {
        for (raw, kind) in [
            (json!("User"), ActorKind::User),
            (json!("Bot"), ActorKind::Bot),
            (json!("Organization"), ActorKind::Organization),
            (json!("Mannequin"), ActorKind::Mannequin),
            (json!("Enterprise"), ActorKind::User),
            (Value::Null, ActorKind::User),
        ] {
            let mut v = pr_payload();
            v["pull_request"]["user"]["type"] = raw.clone();
            let snap = pr_snapshot(&parse("pull_request", &v)).unwrap();
            assert_eq!(snap.author.kind, kind, "type {raw}");
        }
    }

    #[test]
    fn review_event_gives_the_pr_and_leaves_reviews_unknown() {
        let mut v = pr_payload();
        v["action"] = json!("submitted");
        v["review"] = json!({"id": 7, "state": "APPROVED", "user": {"login": "alice"}});
        let ev = parse("pull_request_review", &v);
        let WebhookEvent::PullRequestReview(e) = &ev else { panic!("wrong variant: {ev:?}") };
        assert_eq!(e.review.state, ReviewState::Approved);
        let snap = pr_snapshot(&ev).unwrap();
        assert_eq!(snap.number, 12);
        assert_eq!(snap.reviews, None);
    }

    #[test]
    fn pr_snapshot_of_another_event_names_the_event_and_what_it_concerns() {
        let v = json!({
            "action": "completed",
            "check_run": {"id": 5, "name": "test", "head_sha": "abc123",
                          "pull_requests": [{"number": 12}]},
            "repository": {"full_name": "o/r"}
        });
        let err = pr_snapshot(&parse("check_run", &v)).unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, WebhookError::NotAPullRequestEvent { .. }), "{err:?}");
        assert!(text.contains("`check_run`"), "{text}");
        assert!(text.contains("pull request #12"), "{text}");
        assert!(text.contains("commit abc123"), "{text}");

        let err = pr_snapshot(&parse("issues", &issue_payload())).unwrap_err();
        assert!(err.to_string().contains("`issues`"), "{err}");
        let err = pr_snapshot(&WebhookEvent::Other { name: "ping".into() }).unwrap_err();
        assert!(err.to_string().starts_with("a `ping` event carries no pull request to judge;"));
    }

    #[test]
    fn issue_event_becomes_a_snapshot() {
        let snap = issue_snapshot(&parse("issues", &issue_payload())).unwrap();
        assert_eq!(snap.version, SNAPSHOT_VERSION);
        assert_eq!(snap.repository, "plasma-engine/plasma-engine-gateway");
        assert_eq!(snap.number, 13);
        assert_eq!(snap.title, "[PE-13] Rate limiting");
        assert_eq!(snap.state, PrState::Open);
        assert_eq!(snap.labels, vec!["phase-0", "gateway"]);
        assert_eq!(snap.assignees, vec!["dave"]);
        assert_eq!(snap.author.login, "carol");
    }

    #[test]
    fn issue_without_state_or_labels_is_read_from_closed_at() {
        // GitHub's `pinned` and `unpinned` examples carry neither `state` nor `labels`.
        let mut v = issue_payload();
        let issue = v["issue"].as_object_mut().unwrap();
        issue.remove("state");
        issue.remove("labels");
        issue.insert("assignees".into(), Value::Null);
        issue.insert("assignee".into(), json!({"login": "erin"}));
        let snap = issue_snapshot(&parse("issues", &v)).unwrap();
        assert_eq!(snap.state, PrState::Open);
        assert!(snap.labels.is_empty());
        assert_eq!(snap.assignees, vec!["erin"]);
        v["issue"]["closed_at"] = json!("2026-11-01T10:00:00Z");
        assert_eq!(issue_snapshot(&parse("issues", &v)).unwrap().state, PrState::Closed);
    }

    #[test]
    fn issue_comment_on_an_issue_and_on_a_pull_request() {
        let mut v = issue_payload();
        v["action"] = json!("created");
        v["comment"] = json!({"id": 99, "body": "@coderabbitai review", "user": {"login": "x"}});
        let snap = issue_snapshot(&parse("issue_comment", &v)).unwrap();
        assert_eq!(snap.number, 13);

        v["issue"]["pull_request"] = json!({"url": "https://api.github.com/repos/o/r/pulls/13"});
        let ev = parse("issue_comment", &v);
        assert_eq!(ev.pull_request_numbers(), vec![13]);
        let err = issue_snapshot(&ev).unwrap_err();
        assert_eq!(
            err,
            WebhookError::IssueIsPullRequest { event: "issue_comment".into(), number: 13 }
        );
        assert!(err.to_string().contains("pull request #13"), "{err}");
    }

    #[test]
    fn issue_snapshot_of_another_event_names_it() {
        let err = issue_snapshot(&parse("pull_request", &pr_payload())).unwrap_err();
        assert_eq!(err, WebhookError::NotAnIssueEvent { event: "pull_request".into() });
        assert!(err.to_string().starts_with("a `pull_request` event carries no issue"));
    }

    #[test]
    fn snapshot_from_payload_uses_the_name_or_the_shape() {
        let pr = pr_payload().to_string();
        let issue = issue_payload().to_string();
        assert!(matches!(snapshot_from_payload(None, pr.as_bytes()), Ok(Snapshot::Pr(_))));
        assert!(matches!(
            snapshot_from_payload(Some("pull_request"), pr.as_bytes()),
            Ok(Snapshot::Pr(_))
        ));
        assert!(matches!(snapshot_from_payload(None, issue.as_bytes()), Ok(Snapshot::Issue(_))));
        assert!(matches!(
            snapshot_from_payload(Some(" "), issue.as_bytes()),
            Ok(Snapshot::Issue(_))
        ));

        // Named wrongly: a shape error that points at the missing field.
        let err = snapshot_from_payload(Some("issues"), pr.as_bytes()).unwrap_err();
        assert_eq!(err.path(), Some("issue"), "{err}");

        let err =
            snapshot_from_payload(None, br#"{"zen": "Keep it simple", "hook_id": 1}"#).unwrap_err();
        assert_eq!(err, WebhookError::UnknownEvent { keys: "hook_id, zen".into() });

        let err = snapshot_from_payload(None, b"{\"action\": \"opened\",\n  \"pull_request\": {")
            .unwrap_err();
        assert!(matches!(err, WebhookError::Truncated { line: 2, .. }), "{err:?}");

        let push = json!({"ref": "refs/heads/main", "before": "a", "after": "b", "commits": [],
                          "repository": {"full_name": "o/r"}});
        let err = snapshot_from_payload(None, push.to_string().as_bytes()).unwrap_err();
        assert!(
            matches!(&err, WebhookError::NotAPullRequestEvent { event, .. } if event == "push")
        );
    }

    #[test]
    fn snapshot_serializes_as_the_bare_snapshot() {
        let snap = snapshot_from_payload(None, issue_payload().to_string().as_bytes()).unwrap();
        let v = serde_json::to_value(&snap).unwrap();
        assert_eq!(v["number"], 13);
        assert!(serde_json::from_value::<IssueSnapshot>(v).is_ok());
    }

    /// The hand-written examples at the repository root must stay valid snapshots.
    #[test]
    fn example_snapshots_deserialize() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
        for name in ["snapshot.ready.json", "snapshot.needs-fix.json"] {
            let text = std::fs::read_to_string(root.join(name)).unwrap();
            let snap: PrSnapshot = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("examples/{name} is not a PrSnapshot: {e}"));
            assert_eq!(snap.repository, "plasma-engine/plasma-engine-gateway", "{name}");
            assert_eq!(snap.number, 12, "{name}");
            assert!(snap.files.is_some() && snap.commits.is_some() && snap.reviews.is_some());
        }
    }

    /// The hand-written example payloads convert, with the content they promise.
    #[test]
    fn example_payloads_convert() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
        let read = |name: &str| std::fs::read(root.join(name)).unwrap();

        let Snapshot::Pr(good) =
            snapshot_from_payload(None, &read("pull_request.opened.json")).unwrap()
        else {
            panic!("pull_request.opened.json is not a pull request")
        };
        assert_eq!(good.head.name, "gateway/PE-12-bootstrap-fastapi");
        assert_eq!(good.title, "[PE-12] Gateway bootstrap");
        assert!(!good.draft);
        for item in ["- [x] Tests run", "- [x] Lint pass", "- [x] Docs updated", "- [x] ADR impact"]
        {
            assert!(good.body.contains(item), "missing {item}");
        }

        let Snapshot::Pr(bad) =
            snapshot_from_payload(Some("pull_request"), &read("pull_request.bad.json")).unwrap()
        else {
            panic!("pull_request.bad.json is not a pull request")
        };
        assert_eq!(bad.head.name, "Feature/bootstrap");
        assert_eq!(bad.title, "gateway bootstrap");
        assert!(bad.draft);

        let Snapshot::Issue(issue) =
            snapshot_from_payload(Some("issues"), &read("issues.opened.json")).unwrap()
        else {
            panic!("issues.opened.json is not an issue")
        };
        assert_eq!(issue.title, "[PE-13] Rate limiting");
        assert_eq!(issue.labels, vec!["phase-0", "gateway", "needs-review"]);
    }
}

//! The shared types read both payload kinds: what each side sends, and what both reject.

use plasma_policy::snapshot::{ActorKind, PrState};
use serde_json::json;

use super::*;

#[test]
fn an_installation_reads_with_and_without_its_account() {
    // Webhooks other than `installation` send only the id.
    let webhook: Installation =
        serde_json::from_value(json!({"id": 7, "node_id": "MDIz"})).unwrap();
    assert_eq!(webhook, Installation { id: 7, account: None });
    // `GET /app/installations` names the account.
    let rest: Installation = serde_json::from_value(
        json!({"id": 7, "account": {"login": "octo-org", "id": 1, "type": "Organization"}}),
    )
    .unwrap();
    assert_eq!(rest.account.map(|a| a.actor_kind()), Some(ActorKind::Organization));
}

#[test]
fn a_pull_request_reads_from_a_list_and_from_a_webhook() {
    // A REST list entry: no `merged`, a deleted author.
    let listed: PullRequest = serde_json::from_value(json!({
        "number": 4, "title": "t", "state": "closed", "user": null,
        "merged_at": "2026-01-01T00:00:00Z",
        "head": {"ref": "f", "sha": "a", "repo": null}, "base": {"ref": "main", "sha": "b"},
        "labels": null
    }))
    .unwrap();
    assert!(listed.is_merged());
    assert_eq!(listed.state, PrState::Closed);
    assert_eq!(actor_or_ghost(listed.user.as_ref()).login, "ghost");
    assert!(listed.labels.is_empty());

    // A webhook's pull request with `merged` and an upper-case state.
    let hooked: PullRequest = serde_json::from_value(json!({
        "id": 1, "number": 4, "title": "t", "state": "OPEN", "merged": false, "merged_at": null,
        "user": {"login": "bob", "type": "User"},
        "head": {"ref": "f", "sha": "a", "label": "o:f", "repo": {"full_name": "o/r"}},
        "base": {"ref": "main", "sha": "b"}, "labels": [{"name": "bug", "color": "f00"}]
    }))
    .unwrap();
    assert!(!hooked.is_merged());
    assert_eq!(hooked.state, PrState::Open);
    assert_eq!(hooked.head.repo.map(|r| r.archived), Some(false));
}

#[test]
fn a_pull_request_state_github_never_sends_is_an_error() {
    for state in [json!(null), json!("merged"), json!(1)] {
        let pr = json!({"number": 4, "state": state,
                        "head": {"ref": "f", "sha": "a"}, "base": {"ref": "main", "sha": "b"}});
        assert!(serde_json::from_value::<PullRequest>(pr).is_err(), "{state}");
    }
}

#[test]
fn an_issue_without_state_is_closed_exactly_when_closed_at_is_set() {
    let issue = |closed_at: Option<&str>| -> Issue {
        serde_json::from_value(json!({"number": 1, "title": "t", "closed_at": closed_at})).unwrap()
    };
    assert_eq!(issue(None).effective_state(), PrState::Open);
    assert_eq!(issue(Some("2026-01-01T00:00:00Z")).effective_state(), PrState::Closed);
    assert!(issue(None).label_names().is_empty());
}

#[test]
fn a_comment_with_a_null_body_is_empty_and_a_bad_time_is_an_error() {
    let c: Comment = serde_json::from_value(json!({"id": 1, "body": null})).unwrap();
    assert_eq!(c.body, "");
    assert!(
        serde_json::from_value::<Comment>(json!({"id": 1, "created_at": "yesterday"})).is_err()
    );
}

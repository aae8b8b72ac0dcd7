use plasma_policy::snapshot::{PrState, ReviewState};
use serde_json::{Value, json};

use super::*;

fn pr_payload() -> Value {
    json!({
        "action": "synchronize",
        "number": 2,
        "before": "1111111111111111111111111111111111111111",
        "after": "2222222222222222222222222222222222222222",
        "pull_request": {
            "id": 279147437,
            "number": 2,
            "title": "Update the README with new information.",
            "body": null,
            "state": "open",
            "user": {"login": "Codertocat", "id": 21031067, "type": "User"},
            "head": {"ref": "changes", "sha": "2222222222222222222222222222222222222222",
                     "label": "Codertocat:changes", "repo": null},
            "base": {"ref": "master", "sha": "f95f852bd8fca8fcc58a9a2d6c842781e32a215e",
                     "repo": {"full_name": "Codertocat/Hello-World"}},
            "labels": [],
            "html_url": "https://github.com/Codertocat/Hello-World/pull/2",
            "unknown_future_field": {"nested": [1, 2, 3]}
        },
        "repository": {"id": 186853002, "full_name": "Codertocat/Hello-World",
                       "default_branch": "master", "created_at": 1557933565},
        "sender": {"login": "Codertocat", "type": "User"}
    })
}

fn review_payload(state: &str) -> Value {
    let mut v = pr_payload();
    v["action"] = json!("submitted");
    v["review"] = json!({
        "id": 237895671,
        "user": {"login": "coderabbitai[bot]", "type": "Bot"},
        "body": null,
        "commit_id": "2222222222222222222222222222222222222222",
        "submitted_at": "2019-05-15T15:20:38Z",
        "state": state
    });
    v
}

fn parse(name: &str, v: &Value) -> Result<WebhookEvent, WebhookError> {
    parse_event(name, serde_json::to_string_pretty(v).unwrap().as_bytes())
}

#[test]
fn pull_request_without_installation_parses() {
    let ev = parse("pull_request", &pr_payload()).unwrap();
    assert_eq!(ev.name(), "pull_request");
    assert_eq!(ev.action(), Some("synchronize"));
    assert_eq!(ev.installation_id(), None);
    assert_eq!(ev.repository().map(|r| r.full_name.as_str()), Some("Codertocat/Hello-World"));
    assert_eq!(ev.sender().map(|s| s.login.as_str()), Some("Codertocat"));
    assert_eq!(ev.pull_request_numbers(), vec![2]);
    assert_eq!(ev.head_sha(), Some("2222222222222222222222222222222222222222"));
    let WebhookEvent::PullRequest(e) = ev else { panic!("wrong variant") };
    assert_eq!(e.pull_request.body, None);
    assert_eq!(e.pull_request.draft, None);
    assert_eq!(e.pull_request.head.repo, None);
    assert_eq!(e.pull_request.state, PrState::Open);
    assert_eq!(e.before.as_deref(), Some("1111111111111111111111111111111111111111"));
}

#[test]
fn installation_id_is_read_when_present() {
    let mut v = pr_payload();
    v["installation"] =
        json!({"id": 2311213, "node_id": "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMg=="});
    assert_eq!(parse("pull_request", &v).unwrap().installation_id(), Some(2311213));
}

#[test]
fn missing_action_and_sender_are_tolerated() {
    let mut v = pr_payload();
    let obj = v.as_object_mut().unwrap();
    obj.remove("action");
    obj.remove("sender");
    let ev = parse("pull_request", &v).unwrap();
    assert_eq!(ev.action(), None);
    assert_eq!(ev.sender(), None);
}

#[test]
fn review_states_parse_in_both_cases() {
    for (raw, state) in [
        ("approved", ReviewState::Approved),
        ("APPROVED", ReviewState::Approved),
        ("changes_requested", ReviewState::ChangesRequested),
        ("CHANGES_REQUESTED", ReviewState::ChangesRequested),
        ("commented", ReviewState::Commented),
        ("COMMENTED", ReviewState::Commented),
        ("dismissed", ReviewState::Dismissed),
        ("DISMISSED", ReviewState::Dismissed),
        ("pending", ReviewState::Pending),
    ] {
        let ev = parse("pull_request_review", &review_payload(raw)).unwrap();
        let WebhookEvent::PullRequestReview(e) = ev else { panic!("wrong variant") };
        assert_eq!(e.review.state, state, "{raw}");
        assert_eq!(e.review.user.as_ref().map(|u| u.login.as_str()), Some("coderabbitai[bot]"));
        assert_eq!(e.review.body, None);
    }
}

#[test]
fn unknown_review_state_is_an_error_at_its_path() {
    let err = parse("pull_request_review", &review_payload("lgtm")).unwrap_err();
    assert_eq!(err.path(), Some("review.state"), "{err}");
    let text = err.to_string();
    assert!(text.contains("lgtm") && text.contains("APPROVED"), "{text}");
}

#[test]
fn wrong_type_names_the_path_line_and_column() {
    let mut v = pr_payload();
    v["pull_request"]["number"] = json!("two");
    let err = parse("pull_request", &v).unwrap_err();
    let WebhookError::Shape { event, path, line, column, detail, looks_like } = &err else {
        panic!("not a shape error: {err:?}")
    };
    assert_eq!(event, "pull_request");
    assert_eq!(looks_like, &None);
    assert_eq!(path, "pull_request.number");
    assert!(*line > 1 && *column > 1, "{line}:{column}");
    assert!(detail.contains("invalid type: string \"two\""), "{detail}");
    let text = err.to_string();
    assert!(text.contains("`pull_request.number`"), "{text}");
    assert!(text.contains(&format!("line {line}, column {column}")), "{text}");
    assert!(text.contains("X-GitHub-Event"), "{text}");
}

#[test]
fn missing_field_names_the_field_itself() {
    let mut v = pr_payload();
    v["pull_request"]["head"].as_object_mut().unwrap().remove("sha");
    let err = parse("pull_request", &v).unwrap_err();
    assert_eq!(err.path(), Some("pull_request.head.sha"), "{err}");
    assert!(err.to_string().contains("missing field `sha`"), "{err}");

    let err = parse_event("pull_request", br#"{"action": "opened"}"#).unwrap_err();
    assert_eq!(err.path(), Some("pull_request"), "{err}");
}

#[test]
fn payload_of_the_wrong_shape_is_an_error_with_a_path() {
    // A `push` payload announced as `check_run`.
    let push = json!({"ref": "refs/heads/main", "before": "a", "after": "b",
                      "repository": {"full_name": "o/r"}});
    let err = parse("check_run", &push).unwrap_err();
    assert_eq!(err.path(), Some("check_run"), "{err}");
    assert!(err.to_string().ends_with("(it looks like a `push` payload)"), "{err}");

    // An array instead of an object.
    let err = parse_event("issues", b"[1, 2]").unwrap_err();
    assert_eq!(err.path(), Some("."), "{err}");
    assert_eq!(err.position(), Some((1, 1)));

    // Labels that are not objects.
    let mut v = pr_payload();
    v["pull_request"]["labels"] = json!(["bug"]);
    let err = parse("pull_request", &v).unwrap_err();
    assert_eq!(err.path(), Some("pull_request.labels[0]"), "{err}");
}

#[test]
fn truncated_json_reports_line_and_column() {
    let text = serde_json::to_string_pretty(&pr_payload()).unwrap();
    let cut = &text.as_bytes()[..text.len() / 2];
    let err = parse_event("pull_request", cut).unwrap_err();
    let WebhookError::Truncated { line, column, .. } = err else {
        panic!("not a truncation: {err:?}")
    };
    let expected_line = cut.iter().filter(|b| **b == b'\n').count() + 1;
    assert_eq!(line, expected_line);
    assert!(column > 0);
    assert!(err.to_string().contains(&format!("ends early at line {line}, column {column}")));
    assert!(err.to_string().contains("redeliver"), "{err}");
}

#[test]
fn syntax_errors_report_line_and_column() {
    let err = parse_event("pull_request", b"{\n  \"action\": opened\n}").unwrap_err();
    assert!(matches!(err, WebhookError::Syntax { line: 2, column: 13, .. }), "{err:?}");
    assert_eq!(err.position(), Some((2, 13)));
    assert!(err.to_string().contains("not valid JSON at line 2, column 13"), "{err}");

    // Trailing bytes after a complete document.
    let mut text = serde_json::to_string(&pr_payload()).unwrap();
    text.push_str(" {}");
    let err = parse_event("pull_request", text.as_bytes()).unwrap_err();
    assert!(matches!(err, WebhookError::Syntax { line: 1, .. }), "{err:?}");
}

#[test]
fn empty_and_form_encoded_bodies_say_what_to_do() {
    let err = parse_event("pull_request", b"  \n").unwrap_err();
    assert_eq!(err, WebhookError::Empty { event: "pull_request".into() });
    let err = parse_event("push", b"payload=%7B%22ref%22%3A").unwrap_err();
    assert_eq!(err, WebhookError::FormEncoded { event: "push".into() });
    assert!(err.to_string().contains("application/json"), "{err}");
}

#[test]
fn byte_order_mark_is_accepted() {
    let mut body = b"\xEF\xBB\xBF".to_vec();
    body.extend_from_slice(pr_payload().to_string().as_bytes());
    assert!(parse_event("pull_request", &body).is_ok());
    assert_eq!(detect_event_name(&body), Some("pull_request"));
}

#[test]
fn other_events_are_checked_to_be_json_only() {
    let ev = parse_event("ping", br#"{"zen": "Design for failure.", "hook_id": 1}"#).unwrap();
    assert_eq!(ev, WebhookEvent::Other { name: "ping".into() });
    assert_eq!(ev.name(), "ping");
    assert_eq!(ev.repository(), None);
    assert!(ev.pull_request_numbers().is_empty());
    assert!(matches!(parse_event("ping", b"{\"zen\": "), Err(WebhookError::Truncated { .. })));
    assert!(matches!(parse_event(" push\n", b"{}"), Err(WebhookError::Shape { .. })));
}

#[test]
fn check_run_names_its_pull_requests_and_commit() {
    let v = json!({
        "action": "completed",
        "check_run": {
            "id": 128620228,
            "name": "Octocoders-linter",
            "head_sha": "ec26c3e57ca3a959ca5aad62de7213c562f8c821",
            "status": "completed",
            "conclusion": "success",
            "started_at": "2019-05-15T15:21:12Z",
            "completed_at": null,
            "pull_requests": [{"number": 2, "id": 279147437,
                               "head": {"ref": "changes", "sha": "ec26c3e"},
                               "base": {"ref": "master", "sha": "f95f852"}},
                              {"number": 2}],
            "check_suite": {"id": 118578147, "head_branch": null},
            "app": {"id": 29310, "slug": "octocoders-linter"}
        },
        "repository": {"full_name": "Codertocat/Hello-World"},
        "installation": {"id": 7}
    });
    let ev = parse("check_run", &v).unwrap();
    assert_eq!(ev.pull_request_numbers(), vec![2]);
    assert_eq!(ev.head_sha(), Some("ec26c3e57ca3a959ca5aad62de7213c562f8c821"));
    assert_eq!(ev.installation_id(), Some(7));
    let WebhookEvent::CheckRun(e) = ev else { panic!("wrong variant") };
    assert_eq!(e.check_run.conclusion.as_deref(), Some("success"));
    assert_eq!(e.check_run.check_suite.and_then(|s| s.head_branch), None);
}

#[test]
fn check_suite_of_a_fork_names_only_its_commit() {
    let v = json!({
        "action": "requested",
        "check_suite": {"id": 1, "head_sha": "abc", "head_branch": null, "pull_requests": null},
        "repository": {"full_name": "o/r"}
    });
    let ev = parse("check_suite", &v).unwrap();
    assert!(ev.pull_request_numbers().is_empty());
    assert_eq!(ev.head_sha(), Some("abc"));
}

#[test]
fn status_event_names_its_commit() {
    let v = json!({
        "id": 6805126730_u64,
        "sha": "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
        "name": "Codertocat/Hello-World",
        "context": "CodeRabbit",
        "state": "success",
        "description": null,
        "branches": [{"name": "master", "commit": {"sha": "6113728"}, "protected": false}],
        "repository": {"full_name": "Codertocat/Hello-World"}
    });
    let ev = parse("status", &v).unwrap();
    assert_eq!(ev.action(), None);
    assert_eq!(ev.head_sha(), Some("6113728f27ae82c7b1a177c8d03f9e96e0adf246"));
    let WebhookEvent::Status(e) = ev else { panic!("wrong variant") };
    assert_eq!(e.context, "CodeRabbit");
    assert_eq!(e.branches[0].name, "master");
}

#[test]
fn push_names_its_branch_and_new_tip() {
    let v = json!({
        "ref": "refs/heads/gateway/PE-12-bootstrap-fastapi",
        "before": "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
        "after": "0000000000000000000000000000000000000000",
        "created": false,
        "deleted": true,
        "forced": false,
        "base_ref": null,
        "commits": [],
        "head_commit": null,
        "pusher": {"name": "Codertocat", "email": null},
        "repository": {"full_name": "o/r", "created_at": 1557933565}
    });
    let ev = parse("push", &v).unwrap();
    assert_eq!(ev.head_sha(), None);
    let WebhookEvent::Push(e) = &ev else { panic!("wrong variant") };
    assert_eq!(e.branch(), Some("gateway/PE-12-bootstrap-fastapi"));
    assert_eq!(e.tag(), None);

    let mut v = v;
    v["after"] = json!("abc");
    v["deleted"] = json!(false);
    v["commits"] = json!([{"id": "abc", "message": "Fix", "added": ["a.py"], "modified": null}]);
    let ev = parse("push", &v).unwrap();
    assert_eq!(ev.head_sha(), Some("abc"));
    let WebhookEvent::Push(e) = &ev else { panic!("wrong variant") };
    assert_eq!(e.commits[0].added, vec!["a.py"]);
    assert!(e.commits[0].modified.is_empty());
}

#[test]
fn issues_event_on_a_pull_request_names_it() {
    let v = json!({
        "action": "milestoned",
        "issue": {"number": 2, "title": "t", "state": "open", "user": {"login": "u"},
                  "pull_request": {"url": "https://api.github.com/repos/o/r/pulls/2"}},
        "repository": {"full_name": "o/r"}
    });
    let ev = parse("issues", &v).unwrap();
    assert_eq!(ev.pull_request_numbers(), vec![2]);
    assert_eq!(ev.head_sha(), None);
}

#[test]
fn detects_events_from_their_shape() {
    let pr = pr_payload();
    let review = review_payload("approved");
    let cases = [
        (pr.clone(), Some("pull_request")),
        (review, Some("pull_request_review")),
        (json!({"pull_request": {}, "comment": {}}), Some("pull_request_review_comment")),
        (json!({"pull_request": {}, "thread": {}}), Some("pull_request_review_thread")),
        (json!({"issue": {}, "comment": {}}), Some("issue_comment")),
        (json!({"issue": {}}), Some("issues")),
        (json!({"check_run": {}, "deployment_status": {}}), Some("deployment_status")),
        (json!({"check_run": {}}), Some("check_run")),
        (json!({"check_suite": {}}), Some("check_suite")),
        (json!({"state": "success", "sha": "a", "context": "c"}), Some("status")),
        (json!({"ref": "refs/heads/x", "before": "a", "after": "b"}), Some("push")),
        (json!({"ref": "refs/heads/x", "before": "a", "commits": []}), Some("push")),
        (json!({"ref": "x", "ref_type": "branch"}), None),
        (json!({"pull_request": null, "issue": {}}), Some("issues")),
        (json!({"zen": "hi"}), None),
        (json!([1]), None),
    ];
    for (payload, expected) in cases {
        assert_eq!(detect_event_name(payload.to_string().as_bytes()), expected, "{payload}");
    }
    assert_eq!(detect_event_name(b"{\"pull_request\": "), None);
    assert_eq!(detect_event_name(b""), None);
}

#[test]
fn repository_splits_into_owner_and_name() {
    let ev = parse("pull_request", &pr_payload()).unwrap();
    let repo = ev.repository().unwrap();
    assert_eq!(repo.owner_and_name(), Some(("Codertocat", "Hello-World")));
    assert_eq!(repo.default_branch.as_deref(), Some("master"));
}

/// Whatever a payload is cut to, the answer is an error that says where, never a panic.
#[test]
fn every_truncation_is_an_error_with_a_position() {
    let full = serde_json::to_string(&review_payload("approved")).unwrap();
    for cut in 0..full.len() {
        let prefix = &full.as_bytes()[..cut];
        match parse_event("pull_request_review", prefix) {
            Ok(ev) => panic!("a {cut}-byte prefix parsed: {ev:?}"),
            Err(WebhookError::Empty { .. }) => assert!(prefix.trim_ascii().is_empty()),
            Err(e) => assert!(e.position().is_some(), "{cut} bytes: {e}"),
        }
    }
    assert!(parse_event("pull_request_review", full.as_bytes()).is_ok());
}

proptest::proptest! {
    /// Arbitrary bytes never panic, and every error renders.
    #[test]
    fn arbitrary_bytes_never_panic(body in proptest::collection::vec(proptest::num::u8::ANY, 0..256),
                                   event in proptest::sample::select(&KNOWN_EVENTS[..])) {
        if let Err(e) = parse_event(event, &body) {
            proptest::prop_assert!(!e.to_string().is_empty());
        }
        let _ = detect_event_name(&body);
    }

    /// Replacing any value of a valid payload with another JSON value never panics; a failure
    /// names a path.
    #[test]
    fn mutated_payloads_fail_with_a_path(
        index in 0usize..64,
        replacement in proptest::sample::select(vec![
            json!(null), json!(true), json!(-1), json!(1.5), json!("x"), json!([]), json!({}),
        ]),
    ) {
        let mut v = review_payload("approved");
        let mut pointers = Vec::new();
        collect_pointers(&v, String::new(), &mut pointers);
        let pointer = &pointers[index % pointers.len()];
        if let Some(slot) = v.pointer_mut(pointer) {
            *slot = replacement;
        }
        if let Err(e) = parse("pull_request_review", &v) {
            proptest::prop_assert!(e.path().is_some(), "{pointer}: {e}");
        }
    }
}

fn collect_pointers(v: &Value, at: String, out: &mut Vec<String>) {
    out.push(at.clone());
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                collect_pointers(child, format!("{at}/{k}"), out);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                collect_pointers(child, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn null_or_odd_state_is_a_type_error_at_its_path() {
    let mut v = pr_payload();
    v["pull_request"]["state"] = Value::Null;
    let err = parse("pull_request", &v).unwrap_err();
    assert_eq!(err.path(), Some("pull_request.state"), "{err}");
    assert!(err.to_string().contains("invalid type: null, expected a string"), "{err}");

    v["pull_request"]["state"] = json!("merged");
    let err = parse("pull_request", &v).unwrap_err();
    assert!(err.to_string().contains("unknown variant `merged`, expected `open` or `closed`"));

    v["pull_request"]["state"] = json!("OPEN");
    assert!(parse("pull_request", &v).is_ok());
}

/// serde_json reports a derived enum given a number as a syntax error; the payload is valid JSON,
/// so it must come out as a shape error with a path.
#[test]
fn type_errors_serde_json_calls_syntax_errors_are_shape_errors() {
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct WithEnum {
        state: PrState,
    }
    let err = decode::<WithEnum>("test", b"{\"state\": 1}").unwrap_err();
    assert_eq!(err.path(), Some("state"), "{err}");
    assert!(matches!(err, WebhookError::Shape { line: 1, .. }), "{err:?}");
    let err = decode::<WithEnum>("test", b"{\"state\": tru}").unwrap_err();
    assert!(matches!(err, WebhookError::Syntax { .. }), "{err:?}");
}

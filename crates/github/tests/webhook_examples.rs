//! Contract test: GitHub's published webhook example payloads (`@octokit/webhooks-examples`, pinned
//! in `tests/contract/package.json`) must all parse, and pull request and issue events must convert
//! into snapshots. Run `tests/contract/install.sh` once first.
//!
//! Every failure is collected and listed, so one run shows all of them.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use plasma_github::webhook::{WebhookError, WebhookEvent, detect_event_name, parse_event};
use plasma_github::{issue_snapshot, pr_snapshot};
use plasma_policy::PrSnapshot;
use serde::Deserialize;
use serde_json::{Value, json};

// --- Loader: self-contained, copy it into another crate's tests as is. -------------------------

/// One entry of `api.github.com/index.json`: an event and its example payloads.
#[derive(Debug, Deserialize)]
struct ExampleGroup {
    /// Event name, as in the `X-GitHub-Event` header.
    name: String,
    /// The actions the examples cover.
    #[serde(default)]
    #[allow(dead_code)]
    actions: Vec<String>,
    /// The payloads.
    examples: Vec<Value>,
}

/// Where `tests/contract/install.sh` puts GitHub's examples.
fn index_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(
        "../../tests/contract/node_modules/@octokit/webhooks-examples/api.github.com/index.json",
    )
}

/// Every example group; fails the test with what to do when the package is not installed.
fn load_index() -> Vec<ExampleGroup> {
    let path = index_path();
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!("cannot read {}: {e}; run tests/contract/install.sh first", path.display())
    });
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not the expected index: {e}", path.display()))
}

/// A payload as bytes, pretty-printed so that error positions point at readable lines.
fn body_of(example: &Value) -> Vec<u8> {
    serde_json::to_vec_pretty(example).expect("a JSON value serializes")
}

// -----------------------------------------------------------------------------------------------

const OUR_EVENTS: [&str; 11] = [
    "pull_request",
    "pull_request_review",
    "check_run",
    "check_suite",
    "status",
    "issues",
    "issue_comment",
    "push",
    "deployment",
    "deployment_status",
    "pull_request_review_thread",
];

/// A short name for one example in failure lists: `issues[19] (pinned)`.
fn label(event: &str, i: usize, example: &Value) -> String {
    match example.get("action").and_then(Value::as_str) {
        Some(action) => format!("{event}[{i}] ({action})"),
        None => format!("{event}[{i}]"),
    }
}

/// Checks one example of one of our events; returns what is wrong with it.
fn check_example(event: &str, example: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let body = body_of(example);

    match detect_event_name(&body) {
        Some(found) if found == event => {}
        other => problems.push(format!("detect_event_name gave {other:?}")),
    }

    let ev = match parse_event(event, &body) {
        Ok(ev) => ev,
        Err(e) => {
            problems.push(format!("parse_event: {e}"));
            return problems;
        }
    };
    if ev.name() != event {
        problems.push(format!("parsed as `{}`", ev.name()));
    }
    let repo = example.pointer("/repository/full_name").and_then(Value::as_str);
    if ev.repository().map(|r| r.full_name.as_str()) != repo {
        problems.push(format!("repository {:?}, payload says {repo:?}", ev.repository()));
    }
    let installation = example.pointer("/installation/id").and_then(Value::as_u64);
    if ev.installation_id() != installation {
        problems.push(format!(
            "installation {:?}, payload says {installation:?}",
            ev.installation_id()
        ));
    }
    if ev.action() != example.get("action").and_then(Value::as_str) {
        problems.push(format!("action {:?}", ev.action()));
    }

    match event {
        "pull_request" | "pull_request_review" => match pr_snapshot(&ev) {
            Ok(snap) => problems.extend(check_pr_snapshot(&snap, example)),
            Err(e) => problems.push(format!("pr_snapshot: {e}")),
        },
        "issues" | "issue_comment" => {
            let is_pr = example.pointer("/issue/pull_request").is_some_and(|v| !v.is_null());
            match (issue_snapshot(&ev), is_pr) {
                (Ok(snap), false) => {
                    let number = example.pointer("/issue/number").and_then(Value::as_u64);
                    if Some(snap.number) != number {
                        problems.push(format!("issue number {}", snap.number));
                    }
                }
                (Err(WebhookError::IssueIsPullRequest { .. }), true) => {}
                (Ok(_), true) => problems.push("an issue that is a pull request converted".into()),
                (Err(e), _) => problems.push(format!("issue_snapshot: {e}")),
            }
        }
        _ => {
            if let Ok(snap) = pr_snapshot(&ev) {
                problems.push(format!("pr_snapshot of a `{event}` event succeeded: {snap:?}"));
            }
            if ev.head_sha().is_none() && event != "push" {
                problems.push("no head SHA".into());
            }
        }
    }
    problems
}

/// The snapshot says what the payload says, leaves the unknowable unknown and is valid snapshot
/// JSON (`deny_unknown_fields`).
fn check_pr_snapshot(snap: &PrSnapshot, example: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let pr = &example["pull_request"];
    let expect = |what: &str, ok: bool, problems: &mut Vec<String>| {
        if !ok {
            problems.push(format!("snapshot {what} differs from the payload"));
        }
    };
    expect("number", Some(snap.number) == pr["number"].as_u64(), &mut problems);
    expect("title", Some(snap.title.as_str()) == pr["title"].as_str(), &mut problems);
    expect("body", snap.body == pr["body"].as_str().unwrap_or(""), &mut problems);
    expect("head ref", Some(snap.head.name.as_str()) == pr["head"]["ref"].as_str(), &mut problems);
    expect("head sha", Some(snap.head.sha.as_str()) == pr["head"]["sha"].as_str(), &mut problems);
    expect("base ref", Some(snap.base.name.as_str()) == pr["base"]["ref"].as_str(), &mut problems);
    expect(
        "author",
        Some(snap.author.login.as_str()) == pr["user"]["login"].as_str(),
        &mut problems,
    );
    expect("draft", snap.draft == pr["draft"].as_bool().unwrap_or(false), &mut problems);
    let labels: Vec<&str> = pr["labels"]
        .as_array()
        .map(|ls| ls.iter().filter_map(|l| l["name"].as_str()).collect())
        .unwrap_or_default();
    expect("labels", snap.labels == labels, &mut problems);
    let unknown = snap.files.is_none()
        && snap.commits.is_none()
        && snap.reviews.is_none()
        && snap.check_runs.is_none()
        && snap.statuses.is_none();
    expect("unknown collections", unknown, &mut problems);
    match serde_json::to_string(snap).map(|t| serde_json::from_str::<PrSnapshot>(&t)) {
        Ok(Ok(back)) if back == *snap => {}
        other => problems.push(format!("snapshot does not round-trip: {other:?}")),
    }
    problems
}

#[test]
fn every_example_of_our_events_parses_and_converts() {
    let index = load_index();
    let mut counts: BTreeMap<&str, usize> = OUR_EVENTS.iter().map(|e| (*e, 0)).collect();
    let mut failures = Vec::new();
    for group in &index {
        let Some(count) = counts.get_mut(group.name.as_str()) else { continue };
        for (i, example) in group.examples.iter().enumerate() {
            *count += 1;
            for problem in check_example(&group.name, example) {
                failures.push(format!("{}: {problem}", label(&group.name, i, example)));
            }
        }
    }
    let summary: Vec<String> = counts.iter().map(|(e, n)| format!("{e}: {n}")).collect();
    println!("examples checked per event: {}", summary.join(", "));
    let missing: Vec<&&str> = counts.iter().filter(|(_, n)| **n == 0).map(|(e, _)| e).collect();
    assert!(missing.is_empty(), "no examples for {missing:?} in {}", index_path().display());
    assert!(
        failures.is_empty(),
        "{} problem(s) with GitHub's examples ({}):\n{}",
        failures.len(),
        summary.join(", "),
        failures.join("\n")
    );
}

#[test]
fn detection_never_mistakes_another_event_for_ours() {
    let mut failures = Vec::new();
    let mut total = 0;
    for group in load_index() {
        for (i, example) in group.examples.iter().enumerate() {
            total += 1;
            let found = detect_event_name(&body_of(example));
            if found.is_some_and(|f| f != group.name) {
                failures.push(format!("{}: detected as {found:?}", label(&group.name, i, example)));
            }
        }
    }
    println!("examples of all events checked for detection: {total}");
    assert!(total > 0);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The first example of `event` whose action is `action`.
fn example(index: &[ExampleGroup], event: &str, action: &str) -> Value {
    index
        .iter()
        .filter(|g| g.name == event)
        .flat_map(|g| &g.examples)
        .find(|e| e["action"] == action)
        .cloned()
        .unwrap_or_else(|| panic!("no {event}.{action} example"))
}

/// Cases the examples lack (see /work/shared/CONTRACT-TESTING.md), built by editing real ones.
#[test]
fn edited_examples_cover_what_github_publishes_none_of() {
    let index = load_index();

    // Approved and changes-requested reviews, in webhook and REST casing.
    for state in ["approved", "changes_requested", "APPROVED", "CHANGES_REQUESTED"] {
        let mut v = example(&index, "pull_request_review", "submitted");
        v["review"]["state"] = json!(state);
        let ev = parse_event("pull_request_review", &body_of(&v)).unwrap();
        let WebhookEvent::PullRequestReview(e) = &ev else { panic!("wrong variant") };
        assert_eq!(
            format!("{:?}", e.review.state).to_lowercase(),
            state.to_lowercase().replace('_', "")
        );
        assert!(pr_snapshot(&ev).is_ok());
    }

    // A pull request edited.
    let mut v = example(&index, "pull_request", "opened");
    v["action"] = json!("edited");
    v["changes"] = json!({"title": {"from": "Old title"}, "body": {"from": null}});
    let ev = parse_event("pull_request", &body_of(&v)).unwrap();
    assert_eq!(ev.action(), Some("edited"));

    // A merged pull request closed.
    let mut v = example(&index, "pull_request", "closed");
    v["pull_request"]["merged"] = json!(true);
    v["pull_request"]["merged_at"] = json!("2019-05-15T15:30:00Z");
    let snap = pr_snapshot(&parse_event("pull_request", &body_of(&v)).unwrap()).unwrap();
    assert!(snap.merged);

    // An issue_comment on a pull request names the pull request and is no issue.
    let mut v = example(&index, "issue_comment", "created");
    let number = v["issue"]["number"].as_u64().unwrap();
    v["issue"]["pull_request"] = json!({"url": "https://api.github.com/repos/o/r/pulls/1"});
    let ev = parse_event("issue_comment", &body_of(&v)).unwrap();
    assert_eq!(ev.pull_request_numbers(), vec![number]);
    assert!(matches!(issue_snapshot(&ev), Err(WebhookError::IssueIsPullRequest { .. })));

    // No installation, for every one of our events.
    for event in OUR_EVENTS {
        let group = index.iter().find(|g| g.name == event).unwrap();
        let mut v = group.examples[0].clone();
        v.as_object_mut().unwrap().remove("installation");
        let ev = parse_event(event, &body_of(&v)).unwrap();
        assert_eq!(ev.installation_id(), None, "{event}");
    }
}

/// Collects the paths of all object keys (`pull_request.head.ref`), and separately those whose
/// value is `null` or `[]`; arrays are looked into element by element (`labels[].name`).
fn key_paths(v: &Value, prefix: &str, paths: &mut BTreeSet<String>, nulls: &mut BTreeSet<String>) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                let path = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                paths.insert(path.clone());
                if child.is_null() || child.as_array().is_some_and(Vec::is_empty) {
                    nulls.insert(path.clone());
                }
                key_paths(child, &path, paths, nulls);
            }
        }
        Value::Array(items) => {
            items.iter().for_each(|item| key_paths(item, &format!("{prefix}[]"), paths, nulls))
        }
        _ => {}
    }
}

/// Our hand-written payloads in `examples/` keep the shape of the real example they were made
/// from (the `opened` one with an `organization`).
#[test]
fn our_example_payloads_have_the_real_shape() {
    let index = load_index();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let cases = [
        ("pull_request.opened.json", "pull_request"),
        ("pull_request.bad.json", "pull_request"),
        ("issues.opened.json", "issues"),
    ];
    for (file, event) in cases {
        let ours: Value = serde_json::from_slice(&std::fs::read(root.join(file)).unwrap()).unwrap();
        let real = index
            .iter()
            .filter(|g| g.name == event)
            .flat_map(|g| &g.examples)
            .find(|e| e["action"] == "opened" && e.get("organization").is_some())
            .unwrap();
        let (mut want, mut have, mut ours_null, mut ignored) = Default::default();
        key_paths(real, "", &mut want, &mut ignored);
        key_paths(&ours, "", &mut have, &mut ours_null);
        // Where ours is `null` or `[]` (no assignee, no labels), the real one's contents are not due.
        let under_null = |p: &str| {
            ours_null.iter().any(|n: &String| {
                p.starts_with(&format!("{n}.")) || p.starts_with(&format!("{n}[]"))
            })
        };
        let missing: Vec<&String> =
            want.iter().filter(|p| !have.contains(*p) && !under_null(p)).collect();
        assert!(missing.is_empty(), "examples/{file} lacks {missing:?}");
        assert_eq!(detect_event_name(&body_of(&ours)), Some(event), "{file}");
        parse_event(event, &body_of(&ours)).unwrap_or_else(|e| panic!("examples/{file}: {e}"));
    }
}

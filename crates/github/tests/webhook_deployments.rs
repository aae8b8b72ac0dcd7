//! Contract test for the deployment events: GitHub's published `deployment` and
//! `deployment_status` examples (`@octokit/webhooks-examples`) parse with every field plasma-ops
//! records, and a `deployment_protection_rule` payload (GitHub publishes no example of it) built
//! from real pieces has exactly the shape GitHub's OpenAPI description documents for it.
//! Run `tests/contract/install.sh` once first.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use plasma_github::webhook::{WebhookEvent, detect_event_name, parse_event};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Debug, Deserialize)]
struct ExampleGroup {
    name: String,
    examples: Vec<Value>,
}

fn contract_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/contract")
}

fn load_index() -> Vec<ExampleGroup> {
    let path =
        contract_dir().join("node_modules/@octokit/webhooks-examples/api.github.com/index.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!("cannot read {}: {e}; run tests/contract/install.sh first", path.display())
    });
    serde_json::from_str(&text).unwrap()
}

fn examples(index: &[ExampleGroup], event: &str) -> Vec<Value> {
    index.iter().filter(|g| g.name == event).flat_map(|g| g.examples.clone()).collect()
}

fn body(v: &Value) -> Vec<u8> {
    serde_json::to_vec_pretty(v).unwrap()
}

fn ms(v: &Value) -> i64 {
    v.as_str().unwrap().parse::<jiff::Timestamp>().unwrap().as_millisecond()
}

#[test]
fn deployment_examples_parse_with_what_is_recorded() {
    let index = load_index();
    let all = examples(&index, "deployment");
    assert!(!all.is_empty(), "no deployment examples");
    for (i, ex) in all.iter().enumerate() {
        assert_eq!(detect_event_name(&body(ex)), Some("deployment"), "deployment[{i}]");
        let ev =
            parse_event("deployment", &body(ex)).unwrap_or_else(|e| panic!("deployment[{i}]: {e}"));
        let WebhookEvent::Deployment(e) = &ev else { panic!("deployment[{i}]: {ev:?}") };
        let d = &ex["deployment"];
        assert_eq!(Some(e.deployment.id), d["id"].as_u64());
        assert_eq!(Some(e.deployment.sha.as_str()), d["sha"].as_str());
        assert_eq!(Some(e.deployment.git_ref.as_str()), d["ref"].as_str());
        assert_eq!(Some(e.deployment.environment.as_str()), d["environment"].as_str());
        assert_eq!(
            e.deployment.creator.as_ref().map(|c| c.login.as_str()),
            d["creator"]["login"].as_str()
        );
        assert_eq!(e.deployment.created_at.as_millisecond(), ms(&d["created_at"]));
        assert_eq!(ev.head_sha(), d["sha"].as_str());
        assert_eq!(ev.installation_id(), ex.pointer("/installation/id").and_then(Value::as_u64));
        assert!(ev.pull_request_numbers().is_empty());
    }
    println!("deployment examples: {}", all.len());
}

#[test]
fn deployment_status_examples_parse_with_what_is_recorded() {
    let index = load_index();
    let all = examples(&index, "deployment_status");
    assert!(!all.is_empty(), "no deployment_status examples");
    for (i, ex) in all.iter().enumerate() {
        assert_eq!(
            detect_event_name(&body(ex)),
            Some("deployment_status"),
            "deployment_status[{i}]"
        );
        let ev = parse_event("deployment_status", &body(ex)).unwrap();
        let WebhookEvent::DeploymentStatus(e) = &ev else { panic!("deployment_status[{i}]") };
        let s = &ex["deployment_status"];
        assert_eq!(Some(e.deployment_status.id), s["id"].as_u64());
        assert_eq!(Some(e.deployment_status.state.as_str()), s["state"].as_str());
        assert_eq!(e.deployment_status.created_at.as_millisecond(), ms(&s["created_at"]));
        let url = [s["log_url"].as_str(), s["target_url"].as_str()]
            .into_iter()
            .flatten()
            .find(|u| !u.is_empty());
        assert_eq!(e.deployment_status.url(), url);
        assert_eq!(Some(e.deployment.id), ex["deployment"]["id"].as_u64());
        assert_eq!(ev.action(), ex["action"].as_str());
    }
    // Every state GitHub documents reads, and a payload without an installation is accepted.
    let mut ex = all[0].clone();
    ex.as_object_mut().unwrap().remove("installation");
    for state in ["error", "failure", "inactive", "in_progress", "queued", "pending", "success"] {
        ex["deployment_status"]["state"] = json!(state);
        let ev = parse_event("deployment_status", &body(&ex)).unwrap();
        let WebhookEvent::DeploymentStatus(e) = &ev else { panic!() };
        assert_eq!(e.deployment_status.state, state);
        assert_eq!(ev.installation_id(), None);
    }
    // A status without its time is refused: recording it would need a time GitHub never gave.
    ex["deployment_status"].as_object_mut().unwrap().remove("created_at");
    let err = parse_event("deployment_status", &body(&ex)).unwrap_err().to_string();
    assert!(err.contains("created_at"), "{err}");
}

/// A `deployment_protection_rule` payload made of a real deployment example's parts.
fn protection_rule(index: &[ExampleGroup]) -> Value {
    let status = examples(index, "deployment_status")
        .into_iter()
        .find(|e| e.get("installation").is_some() && e.get("organization").is_some())
        .unwrap();
    json!({
        "action": "requested",
        "environment": "production",
        "event": "push",
        "sha": status["deployment"]["sha"],
        "ref": "refs/heads/main",
        "deployment_callback_url": "https://api.github.com/repos/Codertocat/Hello-World/actions/runs/289782451/deployment_protection_rule",
        "deployment": status["deployment"],
        "pull_requests": [],
        "repository": status["repository"],
        "organization": status["organization"],
        "installation": status["installation"],
        "sender": status["sender"],
    })
}

#[test]
fn a_protection_rule_request_has_the_documented_shape_and_parses() {
    let index = load_index();
    let payload = protection_rule(&index);
    let spec_path = contract_dir().join("openapi/api.github.com.json");
    let spec: Value = serde_json::from_slice(&std::fs::read(&spec_path).unwrap_or_else(|e| {
        panic!("cannot read {}: {e}; run tests/contract/install.sh first", spec_path.display())
    }))
    .unwrap();
    let documented: BTreeSet<&str> = spec
        .pointer("/components/schemas/webhook-deployment-protection-rule-requested/properties")
        .and_then(Value::as_object)
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let sent: BTreeSet<&str> = payload.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(sent, documented, "the payload's keys are exactly the documented ones");

    assert_eq!(detect_event_name(&body(&payload)), Some("deployment_protection_rule"));
    let ev = parse_event("deployment_protection_rule", &body(&payload)).unwrap();
    let WebhookEvent::DeploymentProtectionRule(e) = &ev else { panic!("{ev:?}") };
    assert_eq!(e.run_id(), Some(289782451));
    assert_eq!(e.environment, "production");
    assert_eq!(ev.head_sha(), payload["deployment"]["sha"].as_str());
    assert_eq!(ev.repository().map(|r| r.full_name.as_str()), Some("Codertocat/Hello-World"));
    assert_eq!(ev.installation_id(), payload.pointer("/installation/id").and_then(Value::as_u64));
    assert_eq!(ev.action(), Some("requested"));
    assert!(ev.sender().is_some());

    // Without a deployment (a run that creates none), the run's own commit is the one waiting.
    let mut bare = payload.clone();
    bare["deployment"] = Value::Null;
    let ev = parse_event("deployment_protection_rule", &body(&bare)).unwrap();
    assert_eq!(ev.head_sha(), payload["sha"].as_str());
    // Without a callback URL there is nowhere to answer: refused, naming the field.
    bare.as_object_mut().unwrap().remove("deployment_callback_url");
    let err = parse_event("deployment_protection_rule", &body(&bare)).unwrap_err().to_string();
    assert!(err.contains("deployment_callback_url"), "{err}");
}

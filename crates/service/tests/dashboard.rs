//! The dashboard through `serve` (issue 10): signed deliveries in, the fake GitHub answering, the
//! pages out — what they show, that repository-controlled strings stay text, that every route
//! answers JSON when asked, and that no page calls GitHub.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::Duration;

use plasma_fakehub::FakeReview;
use serde_json::Value;
use support::*;

const SETTLE: Duration = Duration::from_secs(20);
const XSS: &str = "<script>alert(1)</script>";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipeline_pull_request_and_ops_pages_from_signed_deliveries() {
    let mut env = Env::new("dashboard").await;
    let n = good_pull(&env.hub);
    let xss = env.hub.add_pull(
        REPO,
        plasma_fakehub::FakePull {
            title: XSS.into(),
            user: "mallory<b>".into(),
            head_ref: "x\"><img src=x onerror=alert(2)>".into(),
            ..plasma_fakehub::FakePull::default()
        },
    );
    assert_eq!(env.deliver("pull_request", "d-dash-1", &pr_event("opened", n)).await, 202);
    assert_eq!(env.deliver("pull_request", "d-dash-2", &pr_event("opened", xss)).await, 202);
    env.settle(SETTLE).await;
    env.hub.add_review(REPO, n, FakeReview::new(CODERABBIT, "CHANGES_REQUESTED"));
    assert_eq!(env.deliver("pull_request_review", "d-dash-3", &review_event(n)).await, 202);
    env.settle(SETTLE).await;

    let calls_before = env.app().github.as_ref().unwrap().stats().requests;
    let get = |path: &str, json: bool| {
        let mut req = env.http.get(env.url(path));
        if json {
            req = req.header("accept", "application/json");
        }
        async move {
            let resp = req.send().await.unwrap();
            let status = resp.status().as_u16();
            let ctype = resp
                .headers()
                .get("content-type")
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_default();
            (status, ctype, resp.text().await.unwrap())
        }
    };

    // The pipeline: both pull requests, grouped; the hostile strings as text.
    let (status, ctype, html) = get("/", false).await;
    assert_eq!(status, 200, "{html}");
    assert!(ctype.starts_with("text/html"), "{ctype}");
    assert!(html.contains("Gateway bootstrap"), "{html}");
    assert!(html.contains("Needs fix"), "{html}");
    assert!(html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"), "{html}");
    assert!(!html.contains(XSS), "{html}");
    assert!(!html.contains("mallory<b>"), "{html}");
    assert!(html.contains(&format!("https://github.com/{REPO}/pull/{n}")), "{html}");
    assert!(html.contains("agent:python"), "{html}");
    assert!(!html.contains("test-installation-token"));

    let (_, ctype, json) = get("/", true).await;
    assert!(ctype.starts_with("application/json"), "{ctype}");
    let model: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(model["total"], 2, "{model}");
    let fix =
        model["groups"].as_array().unwrap().iter().find(|g| g["state"] == "needs_fix").unwrap();
    assert_eq!(fix["rows"][0]["number"], n, "{model}");
    assert_eq!(fix["rows"][0]["author"], "bob", "{model}");

    // Filters.
    let (_, _, json) = get("/?author=bob", true).await;
    let model: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(model["total"], 1, "{model}");
    let (_, _, json) = get("/?agent=agent%3Apython", true).await;
    assert_eq!(serde_json::from_str::<Value>(&json).unwrap()["total"], 1);
    let (_, _, json) = get("/?repo=someone%2Felse", true).await;
    assert_eq!(serde_json::from_str::<Value>(&json).unwrap()["total"], 0);

    // The pull request: verdict, findings, summary as HTML, the timeline with delivery ids.
    let path = format!("/pr/{REPO}/{n}");
    let (status, _, html) = get(&path, false).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("d-dash-1") && html.contains("d-dash-3"), "{html}");
    assert!(html.contains("applied"), "{html}");
    assert!(html.contains("<h2>Summary</h2>"), "{html}");
    let (_, _, json) = get(&path, true).await;
    let model: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(model["verdict"]["state"], "needs_fix", "{model}");
    assert_eq!(model["timeline"][0]["delivery_id"], "d-dash-1", "{model}");
    assert!(model["timeline"][0]["jobs"][0]["writes"][0]["kind"].is_string(), "{model}");
    let (_, _, html) = get(&format!("/pr/{REPO}/{xss}"), false).await;
    assert!(html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"), "{html}");
    assert!(!html.contains(XSS) && !html.contains("<img src=x"), "{html}");
    let (status, _, _) = get(&format!("/pr/{REPO}/99999"), false).await;
    assert_eq!(status, 404);

    // Operations: queue, GitHub calls, charts drawn on the server.
    let (status, _, html) = get("/ops", false).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("<svg class=\"chart\""), "{html}");
    assert!(html.contains("Dead letters"), "{html}");
    let (_, _, json) = get("/ops", true).await;
    let model: Value = serde_json::from_str(&json).unwrap();
    assert!(model["github"]["requests"].as_u64().unwrap() > 0, "{model}");
    assert!(model["latency"]["count"].as_u64().unwrap() >= 3, "{model}");
    assert_eq!(model["queue"]["dead"], 0, "{model}");

    // No page called GitHub.
    assert_eq!(env.app().github.as_ref().unwrap().stats().requests, calls_before);
    env.stop().await;
}

//! `POST /repos/{owner}/{repo}/check-runs`: stored like GitHub stores it, invalid bodies refused
//! with GitHub's 422 shape.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use plasma_fakehub::FakeHub;
use serde_json::{Value, json};

#[tokio::test]
async fn check_runs_are_created_listed_and_validated() {
    let hub = FakeHub::start().await.unwrap();
    hub.add_repo("o/r");
    let http = reqwest::Client::new();
    let url = format!("{}/repos/o/r/check-runs", hub.url());
    let post = |body: Value| http.post(&url).bearer_auth("ghs_test").json(&body).send();
    let sha = "0123456789abcdef0123456789abcdef01234567";
    let ok = json!({
        "name": "coverage", "head_sha": sha, "status": "completed", "conclusion": "failure",
        "output": {"title": "t", "summary": "s", "annotations": [
            {"path": "a.rs", "start_line": 1, "end_line": 1, "annotation_level": "failure", "message": "m"}
        ]}
    });
    let resp = post(ok).await.unwrap();
    assert_eq!(resp.status(), 201);
    let v: Value = resp.json().await.unwrap();
    assert_eq!((v["name"].as_str(), v["conclusion"].as_str()), (Some("coverage"), Some("failure")));
    assert_eq!(v["output"]["annotations_count"], 1);
    let listed: Value = http
        .get(format!("{}/repos/o/r/commits/{sha}/check-runs", hub.url()))
        .bearer_auth("ghs_test")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["check_runs"][0]["name"], "coverage");
    let too_many: Vec<Value> = (0..51)
        .map(|i| json!({"path": "a.rs", "start_line": i + 1, "end_line": i + 1, "annotation_level": "notice", "message": "m"}))
        .collect();
    let bad = [
        json!({"head_sha": sha}),
        json!({"name": "c", "head_sha": sha, "status": "completed"}),
        json!({"name": "c", "head_sha": sha, "conclusion": "great"}),
        json!({"name": "c", "head_sha": sha, "conclusion": "success", "output": {"annotations": too_many}}),
    ];
    for body in bad {
        let resp = post(body.clone()).await.unwrap();
        assert_eq!(resp.status(), 422, "{body}");
    }
    let resp = http
        .post(format!("{}/repos/o/none/check-runs", hub.url()))
        .bearer_auth("ghs_test")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
}

//! The fake's own behaviour, straight over HTTP (no Prism): pagination, conditional requests,
//! rate limits, authentication, faults and label semantics.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use base64::Engine as _;
use plasma_fakehub::{
    FakeCheckRun, FakeComment, FakeCommit, FakeFile, FakeHub, FakeIssue, FakePull, FakeReview,
    FakeStatus, Fault, RecordedRequest,
};
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

const REPO: &str = "octo-org/app";

struct Client {
    fake: FakeHub,
    http: reqwest::Client,
}

impl Client {
    async fn new() -> Self {
        let fake = FakeHub::start().await.unwrap();
        fake.add_repo(REPO);
        Self { fake, http: reqwest::Client::new() }
    }

    fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let url = if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{path}", self.fake.url())
        };
        self.http
            .request(method, url)
            .header("accept", "application/vnd.github+json")
            .header("x-github-api-version", "2022-11-28")
            .header("user-agent", "plasma-ops-test")
            .header("authorization", "token x")
    }

    async fn get(&self, path: &str) -> Response {
        self.request(Method::GET, path).send().await.unwrap()
    }

    async fn json(&self, path: &str) -> Value {
        let resp = self.get(path).await;
        assert_eq!(resp.status(), StatusCode::OK, "GET {path}");
        resp.json().await.unwrap()
    }

    async fn send(&self, method: Method, path: &str, body: Value) -> (StatusCode, Value) {
        let resp = self.request(method, path).json(&body).send().await.unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}

fn header(resp: &Response, name: &str) -> Option<String> {
    resp.headers().get(name).map(|v| v.to_str().unwrap().to_owned())
}

fn names(v: &Value) -> Vec<String> {
    v.as_array().unwrap().iter().map(|l| l["name"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn pagination_follows_link_headers_built_from_the_public_base_url() {
    let c = Client::new().await;
    let n = c.fake.add_pull(REPO, FakePull::default());
    let files: Vec<FakeFile> = (0..5).map(|i| FakeFile::modified(&format!("src/{i}.rs"))).collect();
    c.fake.set_files(REPO, n, files);

    let first = c.get(&format!("/repos/{REPO}/pulls/{n}/files?per_page=2")).await;
    let link = header(&first, "link").unwrap();
    let base = c.fake.url();
    assert_eq!(
        link,
        format!(
            "<{base}/repos/{REPO}/pulls/{n}/files?per_page=2&page=2>; rel=\"next\", \
             <{base}/repos/{REPO}/pulls/{n}/files?per_page=2&page=3>; rel=\"last\""
        )
    );
    let body: Value = first.json().await.unwrap();
    assert_eq!(body.as_array().unwrap().len(), 2);

    let middle = c.get(&format!("/repos/{REPO}/pulls/{n}/files?per_page=2&page=2")).await;
    let link = header(&middle, "link").unwrap();
    assert!(
        link.contains("page=1>; rel=\"prev\"") && link.contains("page=3>; rel=\"next\""),
        "{link}"
    );
    assert!(link.contains("rel=\"first\""), "{link}");
    let last: Value = c.json(&format!("/repos/{REPO}/pulls/{n}/files?per_page=2&page=3")).await;
    assert_eq!(last[0]["filename"], "src/4.rs");

    // One page: no Link header. Default page size is 30, the maximum 100.
    let single = c.get(&format!("/repos/{REPO}/pulls/{n}/files")).await;
    assert_eq!(header(&single, "link"), None);

    // Behind a proxy, links point at the proxy.
    c.fake.set_public_base_url("http://127.0.0.1:4010/");
    let proxied = c.get(&format!("/repos/{REPO}/pulls/{n}/files?per_page=1")).await;
    assert!(header(&proxied, "link").unwrap().starts_with("<http://127.0.0.1:4010/repos/"));
    let pr: Value = c.json(&format!("/repos/{REPO}/pulls/{n}")).await;
    assert_eq!(pr["url"], format!("http://127.0.0.1:4010/repos/{REPO}/pulls/{n}"));
}

#[tokio::test]
async fn etag_and_if_none_match_give_a_free_304() {
    let c = Client::new().await;
    let n = c.fake.add_pull(REPO, FakePull::default());
    let path = format!("/repos/{REPO}/pulls/{n}");

    let first = c.get(&path).await;
    let etag = header(&first, "etag").unwrap();
    assert!(etag.starts_with("W/\""), "{etag}");
    let remaining: u32 = header(&first, "x-ratelimit-remaining").unwrap().parse().unwrap();
    assert_eq!(header(&first, "x-ratelimit-limit").as_deref(), Some("5000"));
    assert_eq!(header(&first, "x-ratelimit-resource").as_deref(), Some("core"));
    assert_eq!(header(&first, "x-ratelimit-used"), Some((5000 - remaining).to_string()));

    let cached = c.request(Method::GET, &path).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(cached.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(header(&cached, "etag").as_deref(), Some(etag.as_str()));
    assert_eq!(
        header(&cached, "x-ratelimit-remaining"),
        Some(remaining.to_string()),
        "304 is free"
    );
    assert!(cached.bytes().await.unwrap().is_empty());

    // A change makes the old tag stale.
    c.fake.edit_pull(REPO, n, "feat: renamed", None);
    let changed =
        c.request(Method::GET, &path).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(changed.status(), StatusCode::OK);
    assert_eq!(header(&changed, "x-ratelimit-remaining"), Some((remaining - 1).to_string()));
    assert_ne!(header(&changed, "etag").unwrap(), etag);

    let recorded: Vec<(u16, bool)> =
        c.fake.requests().iter().map(|r| (r.status, r.if_none_match)).collect();
    assert_eq!(recorded, [(200, false), (304, true), (200, true)]);
    c.fake.reset_requests();
    assert!(c.fake.requests().is_empty());
}

#[tokio::test]
async fn authentication_tokens_and_installations() {
    let c = Client::new().await;
    c.fake.add_installation(7, &[REPO, "octo-org/other"]);
    c.fake.add_installation(8, &["someone/else"]);

    let anonymous =
        c.http.get(format!("{}/repos/{REPO}/pulls", c.fake.url())).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let body: Value = anonymous.json().await.unwrap();
    assert_eq!(body["message"], "Requires authentication");

    // The App endpoint wants a JWT.
    let (status, _) = c.send(Method::POST, "/app/installations/7/access_tokens", json!({})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let token_url = format!("{}/app/installations/7/access_tokens", c.fake.url());
    let resp = c.http.post(&token_url).bearer_auth("aaa.bbb.ccc").send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let token: Value = resp.json().await.unwrap();
    let token = token["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("ghs_"));
    let unknown = format!("{}/app/installations/99/access_tokens", c.fake.url());
    let resp = c.http.post(&unknown).bearer_auth("aaa.bbb.ccc").send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);

    // The installation token sees its installation's repositories only.
    let url = format!("{}/installation/repositories", c.fake.url());
    let resp =
        c.http.get(&url).header("authorization", format!("token {token}")).send().await.unwrap();
    let repos: Value = resp.json().await.unwrap();
    assert_eq!(repos["total_count"], 2);
    let full: Vec<&str> = repos["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["full_name"].as_str().unwrap())
        .collect();
    assert_eq!(full, ["octo-org/app", "octo-org/other"]);
    assert_eq!(c.fake.requests().last().unwrap().authorization, Some(format!("token {token}")));
}

#[tokio::test]
async fn primary_rate_limit_counts_down_and_runs_out() {
    let c = Client::new().await;
    let reset = jiff::Timestamp::now().as_second() + 600;
    c.fake.set_rate_limit(2, reset);
    let one = c.get(&format!("/repos/{REPO}/labels")).await;
    assert_eq!(header(&one, "x-ratelimit-remaining").as_deref(), Some("1"));
    assert_eq!(header(&one, "x-ratelimit-reset"), Some(reset.to_string()));
    let two = c.get(&format!("/repos/{REPO}/labels")).await;
    assert_eq!(two.status(), StatusCode::OK);
    let out = c.get(&format!("/repos/{REPO}/labels")).await;
    assert_eq!(out.status(), StatusCode::FORBIDDEN);
    assert_eq!(header(&out, "x-ratelimit-remaining").as_deref(), Some("0"));
    let body: Value = out.json().await.unwrap();
    assert!(body["message"].as_str().unwrap().starts_with("API rate limit exceeded"));
    // /rate_limit itself is free and still answers.
    let limits = c.json("/rate_limit").await;
    assert_eq!(limits["resources"]["core"]["remaining"], 0);
    assert_eq!(limits["rate"]["reset"], reset);
    // A reset time in the past refills the window.
    c.fake.set_rate_limit(0, 0);
    assert_eq!(c.get(&format!("/repos/{REPO}/labels")).await.status(), StatusCode::OK);
    assert_eq!(c.fake.rate_limit_remaining(), 4999);
}

#[tokio::test]
async fn server_errors_are_consumed_in_order_and_can_target_a_route() {
    let c = Client::new().await;
    let n = c.fake.add_pull(REPO, FakePull::default());
    c.fake.inject(Fault::Status { code: 502, times: 2, route: None });
    c.fake.inject(Fault::Status { code: 500, times: 1, route: None });
    let path = format!("/repos/{REPO}/pulls/{n}");
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(c.get(&path).await.status().as_u16());
    }
    assert_eq!(statuses, [502, 502, 500, 200]);

    // A route-limited fault waits for its route; other requests pass.
    c.fake.inject(Fault::Status {
        code: 500,
        times: 1,
        route: Some(format!("/repos/{REPO}/issues")),
    });
    assert_eq!(c.get(&path).await.status(), StatusCode::OK);
    let (status, body) = c
        .send(Method::POST, &format!("/repos/{REPO}/issues/{n}/comments"), json!({"body": "x"}))
        .await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(body["message"].is_string());
    assert!(c.fake.comments_of(REPO, n).is_empty(), "a failed write changes nothing");
    let (status, _) = c
        .send(Method::POST, &format!("/repos/{REPO}/issues/{n}/comments"), json!({"body": "x"}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
}

#[tokio::test]
async fn secondary_rate_limit_says_retry_after() {
    let c = Client::new().await;
    c.fake.inject(Fault::SecondaryRateLimit { retry_after_secs: 7, times: 1 });
    let resp = c.get(&format!("/repos/{REPO}/labels")).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert_eq!(header(&resp, "retry-after").as_deref(), Some("7"));
    let body: Value = resp.json().await.unwrap();
    assert!(
        body["message"].as_str().unwrap().starts_with("You have exceeded a secondary rate limit")
    );
    assert_eq!(c.get(&format!("/repos/{REPO}/labels")).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn slow_answers_and_dropped_connections() {
    let c = Client::new().await;
    c.fake.inject(Fault::Slow { millis: 300, times: 1 });
    let started = Instant::now();
    assert_eq!(c.get("/rate_limit").await.status(), StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(300));

    c.fake.inject(Fault::DropConnection { times: 1 });
    let err = c.request(Method::GET, "/rate_limit").send().await.expect_err("no answer");
    assert!(!err.is_status(), "{err}");
    assert_eq!(c.get("/rate_limit").await.status(), StatusCode::OK, "the next request is answered");
    let statuses: Vec<u16> = c.fake.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [200, RecordedRequest::DROPPED, 200]);
}

#[tokio::test]
async fn label_semantics_match_github() {
    let c = Client::new().await;
    let n =
        c.fake.add_pull(REPO, FakePull { labels: vec!["bug".to_owned()], ..FakePull::default() });
    let labels = format!("/repos/{REPO}/labels");

    let (status, created) = c
        .send(
            Method::POST,
            &labels,
            json!({"name": "status:needs-review", "color": "#FBCA04", "description": "d"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(created["color"], "fbca04");
    // Names match case-insensitively; an existing one is GitHub's 422 already_exists.
    let (status, err) = c.send(Method::POST, &labels, json!({"name": "STATUS:needs-review"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["message"], "Validation Failed");
    assert_eq!(
        err["errors"][0],
        json!({"resource": "Label", "code": "already_exists", "field": "name"})
    );
    let (status, _) = c.send(Method::POST, &labels, json!({"color": "ffffff"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // Adding creates missing repository labels and keeps existing ones; answers the full set.
    let issue_labels = format!("/repos/{REPO}/issues/{n}/labels");
    let (status, now) = c
        .send(
            Method::POST,
            &issue_labels,
            json!({"labels": ["status:needs-review", "agent:cursor"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(names(&now), ["agent:cursor", "bug", "status:needs-review"]);
    assert_eq!(c.fake.repo_labels(REPO), ["agent:cursor", "bug", "status:needs-review"]);
    let again = c.send(Method::POST, &issue_labels, json!({"labels": ["Agent:Cursor"]})).await.1;
    assert_eq!(names(&again).len(), 3, "no duplicate by case");

    // Removing one answers what is left; an absent one is 404.
    let (status, left) =
        c.send(Method::DELETE, &format!("{issue_labels}/agent%3Acursor"), Value::Null).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(names(&left), ["bug", "status:needs-review"]);
    let (status, err) =
        c.send(Method::DELETE, &format!("{issue_labels}/agent%3Acursor"), Value::Null).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(err["message"], "Label does not exist");

    // A human's changes are state too, and are told apart in the label events.
    c.fake.add_label_by_human(REPO, n, "needs discussion");
    c.fake.remove_label_by_human(REPO, n, "bug");
    assert_eq!(c.fake.labels_of(REPO, n), ["needs discussion", "status:needs-review"]);
    let read = c.json(&issue_labels).await;
    assert_eq!(names(&read), ["needs discussion", "status:needs-review"]);
    let events: Vec<(String, String, String)> =
        c.fake.label_events(REPO, n).into_iter().map(|e| (e.action, e.label, e.actor)).collect();
    assert_eq!(
        events[0],
        ("labeled".into(), "status:needs-review".into(), "plasma-ops[bot]".into())
    );
    assert_eq!(events.last().unwrap(), &("unlabeled".into(), "bug".into(), "a-human".into()));

    // Clearing all labels.
    let (status, _) = c.send(Method::DELETE, &issue_labels, Value::Null).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(c.fake.labels_of(REPO, n).is_empty());
}

#[tokio::test]
async fn writes_are_reflected_by_later_reads() {
    let c = Client::new().await;
    let n = c.fake.add_pull(REPO, FakePull::default());
    c.fake.add_comment(REPO, n, "alice", "first");
    let comments = format!("/repos/{REPO}/issues/{n}/comments");

    let (status, posted) =
        c.send(Method::POST, &comments, json!({"body": "<!-- plasma-ops:summary -->"})).await;
    assert_eq!(status, StatusCode::CREATED);
    let id = posted["id"].as_u64().unwrap();
    assert_eq!(posted["user"]["login"], "plasma-ops[bot]");
    assert_eq!(posted["user"]["type"], "Bot");
    let (status, edited) = c
        .send(
            Method::PATCH,
            &format!("/repos/{REPO}/issues/comments/{id}"),
            json!({"body": "edited"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(edited["body"], "edited");
    let (status, _) = c
        .send(Method::PATCH, &format!("/repos/{REPO}/issues/comments/999999"), json!({"body": "x"}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let listed = c.json(&comments).await;
    assert_eq!(listed.as_array().unwrap().len(), 2);
    assert_eq!(listed[1]["body"], "edited");
    assert_eq!(
        c.fake.comments_of(REPO, n)[1],
        FakeComment { id, body: "edited".to_owned(), user: "plasma-ops[bot]".to_owned() }
    );
    let pr = c.json(&format!("/repos/{REPO}/pulls/{n}")).await;
    assert_eq!(pr["comments"], 2);

    // Statuses: stored, newest first, by SHA or by the branch that points at it.
    let sha = c.fake.head_sha(REPO, n).unwrap();
    c.fake.add_status(REPO, &sha, FakeStatus::new("ci/build", "success"));
    let body =
        json!({"state": "pending", "context": "plasma-ops/process", "description": "Evaluating"});
    let (status, created) =
        c.send(Method::POST, &format!("/repos/{REPO}/statuses/{sha}"), body).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(created["creator"]["login"], "plasma-ops[bot]");
    let (status, _) = c
        .send(Method::POST, &format!("/repos/{REPO}/statuses/{sha}"), json!({"state": "great"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let listed = c.json(&format!("/repos/{REPO}/commits/{sha}/statuses")).await;
    let contexts: Vec<&str> =
        listed.as_array().unwrap().iter().map(|s| s["context"].as_str().unwrap()).collect();
    assert_eq!(contexts, ["plasma-ops/process", "ci/build"]);
    assert_eq!(c.fake.statuses_of(REPO, &sha)[0].state, "pending");
}

#[tokio::test]
async fn pull_request_snapshot_routes() {
    let c = Client::new().await;
    let pull = FakePull { head_ref: "feature/x".to_owned(), ..FakePull::titled("feat: x") };
    let n = c.fake.add_pull(REPO, pull);
    let closed = c.fake.add_pull(REPO, FakePull { merged: true, ..FakePull::titled("fix: old") });
    c.fake.add_commit(REPO, n, FakeCommit::verified(&"a".repeat(40), "feat: one"));
    c.fake.push_commit(REPO, n, FakeCommit::unsigned(&"b".repeat(40), "fix: two"));
    let head = "b".repeat(40);
    assert_eq!(c.fake.head_sha(REPO, n), Some(head.clone()));
    c.fake.add_review(REPO, n, FakeReview::new("coderabbitai[bot]", "CHANGES_REQUESTED"));
    c.fake.add_check_run(REPO, &head, FakeCheckRun::completed("build", "failure"));
    c.fake.add_check_run(REPO, &head, FakeCheckRun::completed("build", "success"));
    c.fake.add_check_run(REPO, &head, FakeCheckRun::in_progress("lint"));

    let open = c.json(&format!("/repos/{REPO}/pulls?state=open")).await;
    assert_eq!(open.as_array().unwrap().len(), 1);
    let all = c.json(&format!("/repos/{REPO}/pulls?state=all")).await;
    assert_eq!(all[0]["number"], closed, "newest first");
    let merged = c.json(&format!("/repos/{REPO}/pulls/{closed}")).await;
    assert_eq!(
        (merged["state"].as_str(), merged["merged"].as_bool()),
        (Some("closed"), Some(true))
    );

    let pr = c.json(&format!("/repos/{REPO}/pulls/{n}")).await;
    assert_eq!(pr["head"]["sha"], head.as_str());
    assert_eq!(pr["head"]["ref"], "feature/x");
    assert_eq!(pr["commits"], 2);

    let commits = c.json(&format!("/repos/{REPO}/pulls/{n}/commits")).await;
    assert_eq!(commits[0]["commit"]["verification"]["verified"], true);
    assert_eq!(commits[1]["commit"]["verification"]["reason"], "unsigned");
    assert_eq!(commits[1]["parents"][0]["sha"], "a".repeat(40).as_str());
    let reviews = c.json(&format!("/repos/{REPO}/pulls/{n}/reviews")).await;
    assert_eq!(reviews[0]["state"], "CHANGES_REQUESTED");
    assert_eq!(reviews[0]["commit_id"], head.as_str());

    // filter=latest (default) keeps the newest run per name; refs with `/` arrive as %2F.
    let latest = c.json(&format!("/repos/{REPO}/commits/feature%2Fx/check-runs")).await;
    assert_eq!(latest["total_count"], 2);
    assert_eq!(latest["check_runs"][1]["conclusion"], "success");
    assert_eq!(latest["check_runs"][0]["pull_requests"][0]["number"], n);
    let every = c.json(&format!("/repos/{REPO}/commits/{head}/check-runs?filter=all")).await;
    assert_eq!(every["total_count"], 3);
    let pulls = c.json(&format!("/repos/{REPO}/commits/{}/pulls", "a".repeat(40))).await;
    assert_eq!(pulls[0]["number"], n);

    let issue = c.json(&format!("/repos/{REPO}/issues/{n}")).await;
    assert!(issue["pull_request"]["url"].is_string());
    let plain = c.fake.add_issue(REPO, FakeIssue::default());
    let issue = c.json(&format!("/repos/{REPO}/issues/{plain}")).await;
    assert!(issue.get("pull_request").is_none());
    assert_eq!(
        c.get(&format!("/repos/{REPO}/pulls/{plain}")).await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn contents_are_base64_by_ref_and_404_when_absent() {
    let c = Client::new().await;
    let text = "policy:\n  labels: true\n".repeat(10);
    c.fake.set_file_content(REPO, "main", ".github/plasma.yml", &text);
    c.fake.set_file_content(REPO, "feature", ".github/plasma.yml", "evil: true\n");
    let n = c.fake.add_pull(REPO, FakePull::default());
    let pr = c.json(&format!("/repos/{REPO}/pulls/{n}")).await;
    let base_sha = pr["base"]["sha"].as_str().unwrap().to_owned();

    for path in [
        format!("/repos/{REPO}/contents/.github%2Fplasma.yml?ref=main"),
        format!("/repos/{REPO}/contents/.github/plasma.yml"),
        format!("/repos/{REPO}/contents/.github/plasma.yml?ref={base_sha}"),
    ] {
        let file = c.json(&path).await;
        assert_eq!(file["encoding"], "base64");
        let packed = file["content"].as_str().unwrap().replace('\n', "");
        let decoded = base64::engine::general_purpose::STANDARD.decode(packed).unwrap();
        assert_eq!(String::from_utf8(decoded).unwrap(), text, "{path}");
    }
    let missing = c.get(&format!("/repos/{REPO}/contents/.github%2Fnone.yml?ref=main")).await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let body: Value = missing.json().await.unwrap();
    assert_eq!(body["message"], "Not Found");
}

#[tokio::test]
async fn unknown_routes_and_repositories_are_githubs_404() {
    let c = Client::new().await;
    for path in ["/nope", "/repos/octo-org/missing/pulls", "/repos/octo-org/app/pulls/abc"] {
        let resp = c.get(path).await;
        assert_eq!(resp.status(), StatusCode::NOT_FOUND, "{path}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["message"], "Not Found");
        assert!(body["documentation_url"].is_string());
    }
    let (status, _) = c.send(Method::PUT, &format!("/repos/{REPO}/labels"), json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

//! The fake's honesty: every route, called the way plasma-ops calls GitHub, through Stoplight Prism
//! loaded with GitHub's official OpenAPI description. Any request or response that breaks the
//! description fails the test. Needs `tests/contract/install.sh` (Node.js, Prism, the spec).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use plasma_fakehub::{
    FakeCheckRun, FakeCommit, FakeFile, FakeHub, FakeIssue, FakePull, FakeReview, FakeStatus,
    Fault, Prism, is_undocumented_status, start_with_prism, strict_check, violations,
};
use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const REPO: &str = "plasma-engine/plasma-ops";

/// Calls through Prism with plasma-ops's headers and collects every contract problem.
struct Harness {
    client: reqwest::Client,
    prism: Prism,
    problems: Vec<String>,
    calls: usize,
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

impl Harness {
    fn headers(auth: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("accept", HeaderValue::from_static("application/vnd.github+json"));
        h.insert("x-github-api-version", HeaderValue::from_static("2022-11-28"));
        h.insert("user-agent", HeaderValue::from_static("plasma-ops/0.1 (contract test)"));
        h.insert("authorization", HeaderValue::from_str(auth).unwrap());
        h
    }

    /// One call to `path` (relative to Prism, or an absolute URL from a `Link` header).
    async fn call_with(
        &mut self,
        method: Method,
        path: &str,
        body: Option<Value>,
        headers: HeaderMap,
        expect: u16,
    ) -> Answer {
        let url = if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{path}", self.prism.url())
        };
        let mut req = self.client.request(method.clone(), &url).headers(headers);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.unwrap_or_else(|e| panic!("{method} {url}: {e}"));
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await.unwrap();
        self.calls += 1;
        if let Some(v) = violations(&headers, &bytes) {
            self.problems.push(format!("{method} {path} -> {status}: {v}"));
        } else if status.as_u16() != expect {
            self.problems.push(format!(
                "{method} {path}: expected {expect}, got {status}: {}",
                String::from_utf8_lossy(&bytes)
            ));
        }
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Answer { status, headers, body }
    }

    /// A soft assertion, reported together with the contract problems so all of them show.
    fn check<T: PartialEq + std::fmt::Debug>(&mut self, what: &str, got: T, want: T) {
        if got != want {
            self.problems.push(format!("{what}: got {got:?}, want {want:?}"));
        }
    }

    async fn call(
        &mut self,
        method: Method,
        path: &str,
        body: Option<Value>,
        expect: u16,
    ) -> Answer {
        self.call_with(method, path, body, Self::headers("token x"), expect).await
    }

    async fn get(&mut self, path: &str) -> Answer {
        self.call(Method::GET, path, None, 200).await
    }

    /// Follows `Link: rel="next"` from `path` to the end; returns the number of pages and items.
    async fn get_all(&mut self, path: &str, items: impl Fn(&Value) -> usize) -> (usize, usize) {
        let mut next = Some(path.to_owned());
        let (mut pages, mut count) = (0, 0);
        while let Some(url) = next.take() {
            let answer = self.get(&url).await;
            pages += 1;
            count += items(&answer.body);
            next = next_link(&answer.headers);
            if let Some(n) = &next {
                assert!(n.starts_with(&self.prism.url()), "Link must point at Prism: {n}");
            }
            assert!(pages < 50, "pagination does not end at {url}");
        }
        (pages, count)
    }
}

fn next_link(headers: &HeaderMap) -> Option<String> {
    let link = headers.get("link")?.to_str().ok()?;
    link.split(',').find(|p| p.contains("rel=\"next\"")).and_then(|p| {
        let start = p.find('<')? + 1;
        let end = p.find('>')?;
        Some(p[start..end].to_owned())
    })
}

fn array_len(v: &Value) -> usize {
    v.as_array().map_or(0, Vec::len)
}

/// A pull request with everything the snapshot fetcher reads.
fn seed(fake: &FakeHub) -> (u64, String) {
    fake.add_installation(42, &[REPO, "plasma-engine/.github"]);
    fake.add_repo("plasma-engine/engine");
    fake.add_repo_label(REPO, "status:needs-review", "fbca04", Some("Waiting for a review"));
    fake.add_repo_label(REPO, "agent:cursor", "5319e7", None);
    let n = fake.add_pull(
        REPO,
        FakePull {
            title: "feat(policy): add the review loop".to_owned(),
            head_ref: "feature/review-loop".to_owned(),
            labels: vec!["status:needs-review".to_owned(), "area/ci".to_owned()],
            ..FakePull::default()
        },
    );
    fake.add_pull(REPO, FakePull { draft: true, ..FakePull::titled("chore: draft") });
    fake.add_pull(REPO, FakePull { merged: true, ..FakePull::titled("fix: merged one") });
    fake.add_issue(REPO, FakeIssue { labels: vec!["bug".to_owned()], ..FakeIssue::default() });
    fake.add_issue(REPO, FakeIssue { state: "closed".to_owned(), ..FakeIssue::default() });
    fake.set_files(
        REPO,
        n,
        vec![
            FakeFile::modified("crates/policy/src/lib.rs"),
            FakeFile::added("docs/review loop.md", 12),
            FakeFile {
                previous_filename: Some("old.rs".to_owned()),
                status: "renamed".to_owned(),
                patch: None,
                ..FakeFile::modified("new.rs")
            },
        ],
    );
    let c1 = "1111111111111111111111111111111111111111";
    let c2 = "2222222222222222222222222222222222222222";
    fake.add_commit(REPO, n, FakeCommit::verified(c1, "feat(policy): review loop"));
    fake.push_commit(
        REPO,
        n,
        FakeCommit { author_login: None, ..FakeCommit::unsigned(c2, "fix: typo\n\nLonger body.") },
    );
    fake.add_review(REPO, n, FakeReview::new("coderabbitai[bot]", "CHANGES_REQUESTED"));
    fake.add_review(
        REPO,
        n,
        FakeReview { body: "LGTM".to_owned(), ..FakeReview::new("alice", "APPROVED") },
    );
    fake.add_review(REPO, n, FakeReview::new("bob", "COMMENTED"));
    fake.add_review(REPO, n, FakeReview::new("carol", "PENDING"));
    fake.add_check_run(REPO, c2, FakeCheckRun::completed("build", "success"));
    fake.add_check_run(REPO, c2, FakeCheckRun::in_progress("test"));
    fake.add_check_run(REPO, c2, FakeCheckRun::completed("CodeRabbit", "neutral"));
    fake.add_status(REPO, c2, FakeStatus::new("ci/legacy", "success"));
    fake.add_status(
        REPO,
        c2,
        FakeStatus {
            description: Some("Waiting".to_owned()),
            target_url: Some("https://ci.example.com/1".to_owned()),
            ..FakeStatus::new("ci/other", "pending")
        },
    );
    fake.add_comment(REPO, n, "alice", "Looks good, small nit.");
    fake.add_comment(REPO, n, "coderabbitai[bot]", "**Actionable comments posted: 2**");
    fake.set_file_content(
        REPO,
        "main",
        ".github/plasma.yml",
        &"review:\n  required: 1\n  # a line long enough to wrap the base64 text\n".repeat(4),
    );
    (n, c2.to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_satisfies_githubs_openapi_description() {
    let (fake, prism) = start_with_prism().await.unwrap_or_else(|e| panic!("{e}"));
    eprintln!("Prism (pid {}) listening after {:.1?}", prism.pid(), prism.startup_time());
    let (n, head) = seed(&fake);
    fake.record_exchanges(true);
    let mut h = Harness { client: reqwest::Client::new(), prism, problems: Vec::new(), calls: 0 };
    let r = format!("/repos/{REPO}");

    // App authentication: a JWT gets an installation token, which lists the installation's repos.
    let jwt = Harness::headers("Bearer eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiIxIn0.c2lnbmF0dXJl");
    let path = "/app/installations/42/access_tokens";
    let token = h.call_with(Method::POST, path, Some(json!({})), jwt, 201).await;
    let token = token.body["token"].as_str().unwrap_or_default().to_owned();
    h.check("installation token prefix", token.starts_with("ghs_"), true);
    let jwt = Harness::headers("Bearer eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiIxIn0.c2lnbmF0dXJl");
    let unknown = "/app/installations/999/access_tokens";
    h.call_with(Method::POST, unknown, Some(json!({})), jwt, 404).await;
    let auth = Harness::headers(&format!("token {token}"));
    let path = "/installation/repositories?per_page=1";
    let repos = h.call_with(Method::GET, path, None, auth.clone(), 200).await;
    h.check("installation repositories", repos.body["total_count"].clone(), json!(2));
    if let Some(next) = next_link(&repos.headers) {
        h.call_with(Method::GET, &next, None, auth, 200).await;
    } else {
        h.check("installation repositories have a next page", false, true);
    }

    // Who plasma-ops writes as: the App (a JWT) by its slug, a user's token by its login; an
    // installation token is nobody's user (403, as on GitHub).
    let jwt = Harness::headers("Bearer eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiIxIn0.c2lnbmF0dXJl");
    let app = h.call_with(Method::GET, "/app", None, jwt, 200).await;
    h.check("the App's slug", app.body["slug"].clone(), json!("plasma-ops"));
    let user = h.call_with(Method::GET, "/user", None, Harness::headers("token x"), 200).await;
    h.check("the token's user", user.body["login"].clone(), json!("plasma-ops[bot]"));
    let auth = Harness::headers(&format!("token {token}"));
    h.call_with(Method::GET, "/user", None, auth, 403).await;

    // Pull requests and everything the snapshot fetcher reads: (pages, items).
    let got = h.get_all(&format!("{r}/pulls?state=open&per_page=1"), array_len).await;
    h.check("open pulls, one per page", got, (2, 2));
    h.get(&format!("{r}/pulls?state=all")).await;
    h.get(&format!("{r}/pulls/{n}")).await;
    h.get(&format!("{r}/pulls/{}", n + 1)).await; // the draft
    h.get(&format!("{r}/pulls/{}", n + 2)).await; // the merged one
    h.call(Method::GET, &format!("{r}/pulls/999"), None, 404).await;
    let got = h.get_all(&format!("{r}/pulls/{n}/files?per_page=2"), array_len).await;
    h.check("files", got, (2, 3));
    let got = h.get_all(&format!("{r}/pulls/{n}/reviews?per_page=100"), array_len).await;
    h.check("reviews", got, (1, 4));
    let got = h.get_all(&format!("{r}/pulls/{n}/commits?per_page=1"), array_len).await;
    h.check("commits", got, (2, 2));
    let runs = |v: &Value| array_len(&v["check_runs"]);
    let got = h.get_all(&format!("{r}/commits/{head}/check-runs?per_page=2"), runs).await;
    h.check("check runs", got, (2, 3));
    // A branch with a slash is sent percent-encoded (Prism matches no route otherwise).
    let by_branch = h.get(&format!("{r}/commits/feature%2Freview-loop/check-runs")).await;
    h.check("check runs by branch", by_branch.body["total_count"].clone(), json!(3));
    let got = h.get_all(&format!("{r}/commits/{head}/statuses"), array_len).await;
    h.check("statuses", got, (1, 2));
    let pulls_of_commit = h.get(&format!("{r}/commits/{head}/pulls")).await;
    h.check("pulls of the head commit", array_len(&pulls_of_commit.body), 1);

    // Labels: the repository's, create (and "already exists"), add, remove, clear.
    h.get(&format!("{r}/labels?per_page=100")).await;
    let label = json!({"name": "status:approved", "color": "0e8a16", "description": "Approved"});
    let created = h.call(Method::POST, &format!("{r}/labels"), Some(label), 201).await;
    h.check("created label", created.body["name"].clone(), json!("status:approved"));
    let same = json!({"name": "Status:Approved"});
    let again = h.call(Method::POST, &format!("{r}/labels"), Some(same), 422).await;
    h.check("label exists", again.body["errors"][0]["code"].clone(), json!("already_exists"));
    h.get(&format!("{r}/issues/{n}/labels")).await;
    let add = json!({"labels": ["status:approved", "agent:cursor"]});
    let added = h.call(Method::POST, &format!("{r}/issues/{n}/labels"), Some(add), 200).await;
    h.check("labels after adding", array_len(&added.body), 4);
    let one = format!("{r}/issues/{n}/labels/status%3Aneeds-review");
    h.call(Method::DELETE, &one, None, 200).await;
    h.call(Method::DELETE, &format!("{r}/issues/{n}/labels/area%2Fci"), None, 200).await;
    h.call(Method::DELETE, &one, None, 404).await;
    h.check(
        "labels left",
        fake.labels_of(REPO, n),
        vec!["agent:cursor".to_owned(), "status:approved".to_owned()],
    );
    h.call(Method::DELETE, &format!("{r}/issues/{}/labels", n + 1), None, 204).await;

    // Comments: list, the sticky summary created once and edited in place, a re-review request.
    let got = h.get_all(&format!("{r}/issues/{n}/comments?per_page=1"), array_len).await;
    h.check("comments", got, (2, 2));
    let summary = json!({"body": "<!-- plasma-ops:summary -->\nAll good"});
    let sticky =
        h.call(Method::POST, &format!("{r}/issues/{n}/comments"), Some(summary), 201).await;
    let id = sticky.body["id"].as_u64().unwrap_or_default();
    let edit = json!({"body": "<!-- plasma-ops:summary -->\nStill good"});
    let edited = h.call(Method::PATCH, &format!("{r}/issues/comments/{id}"), Some(edit), 200).await;
    h.check("comment author", edited.body["user"]["login"].clone(), json!("plasma-ops[bot]"));
    let review = json!({"body": "@coderabbitai review"});
    h.call(Method::POST, &format!("{r}/issues/{n}/comments"), Some(review), 201).await;

    // Commit status on the head.
    let status = json!({"state": "failure", "context": "plasma-ops/process",
        "description": "2 findings", "target_url": "https://plasma-ops.example.com/pr/1"});
    h.call(Method::POST, &format!("{r}/statuses/{head}"), Some(status), 201).await;
    let newest = fake.statuses_of(REPO, &head).first().map(|s| s.context.clone());
    h.check("newest status", newest.as_deref(), Some("plasma-ops/process"));

    // Contents from the base branch (the path's `/` percent-encoded); a missing file is a 404.
    let file = h.get(&format!("{r}/contents/.github%2Fplasma.yml?ref=main")).await;
    h.check("content encoding", file.body["encoding"].clone(), json!("base64"));
    let missing = format!("{r}/contents/.github%2Fmissing.yml?ref=main");
    h.call(Method::GET, &missing, None, 404).await;

    // Issues (a pull request is one too) and the rate limit.
    let issue = h.get(&format!("{r}/issues/{n}")).await;
    h.check("issue of a pull request", issue.body["pull_request"].is_object(), true);
    let plain = h.get(&format!("{r}/issues/{}", n + 3)).await;
    h.check("plain issue", plain.body.get("pull_request").is_none(), true);
    h.get(&format!("{r}/issues/{}", n + 4)).await; // closed
    h.get("/rate_limit").await;

    // Conditional request: a 304 passes Prism too.
    let first = h.get(&format!("{r}/pulls/{n}")).await;
    let mut conditional = Harness::headers("token x");
    if let Some(etag) = first.headers.get("etag") {
        conditional.insert("if-none-match", etag.clone());
    }
    let path = format!("{r}/pulls/{n}");
    let cached = h.call_with(Method::GET, &path, None, conditional, 304).await;
    h.check("conditional request", cached.status, StatusCode::NOT_MODIFIED);

    // Deployments: comparing two commits of the history (both directions, and paged), and the
    // answer to a custom deployment protection rule, recorded by the fake.
    let sha = |i: u32| format!("{i:040x}");
    for i in 1..=3u32 {
        let parents = if i == 1 { vec![] } else { vec![sha(i - 1)] };
        fake.add_repo_commit(
            REPO,
            FakeCommit { parents, ..FakeCommit::verified(&sha(i), "feat: x") },
        );
    }
    let ahead = h.get(&format!("{r}/compare/{}...{}", sha(1), sha(3))).await;
    h.check(
        "compare ahead",
        (ahead.body["status"].clone(), array_len(&ahead.body["commits"])),
        (json!("ahead"), 2),
    );
    let behind = h.get(&format!("{r}/compare/{}...{}?per_page=1&page=1", sha(3), sha(1))).await;
    h.check("compare behind", behind.body["status"].clone(), json!("behind"));
    let paged = h.get(&format!("{r}/compare/{}...{}?per_page=1&page=2", sha(1), sha(3))).await;
    h.check("compare page 2", paged.body["commits"][0]["sha"].clone(), json!(sha(3)));
    h.call(Method::GET, &format!("{r}/compare/{}...{}", sha(1), sha(9)), None, 404).await;
    let gate = json!({"environment_name": "production", "state": "rejected", "comment": "#4 did not pass"});
    let path = format!("{r}/actions/runs/77/deployment_protection_rule");
    h.call(Method::POST, &path, Some(gate), 204).await;
    let answers = fake.gate_answers();
    h.check("gate answers", answers.len(), 1);
    h.check(
        "gate answer",
        answers.first().map(|a| (a.run_id, a.state.clone())),
        Some((77, Some("rejected".to_owned()))),
    );

    // Prism coerces scalar types; check the same answers again without coercion.
    let strict = strict_check(&fake.exchanges()).unwrap_or_else(|e| panic!("{e}"));
    eprintln!("strict check: {} bodies validated without type coercion", strict.checked);
    h.problems.extend(strict.problems.iter().map(|p| format!("strict: {p}")));
    h.problems.extend(strict.undocumented.iter().map(|p| format!("undocumented status: {p}")));

    let logged = h.prism.logged_problems();
    let reached = fake.requests().len();
    eprintln!("{} calls through Prism, {reached} reached the fake", h.calls);
    assert!(
        h.problems.is_empty() && logged.is_empty(),
        "contract problems:\n{}\nPrism log:\n{}",
        h.problems.join("\n"),
        logged.join("\n")
    );
    assert_eq!(reached, h.calls, "every call went through to the fake");
}

/// What the lead's scenario tests will meet through Prism: injected faults come back as GitHub
/// sent them, flagged only as "status not in the description"; a request that breaks the
/// description never reaches the fake.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prism_passes_faults_through_and_stops_invalid_requests() {
    let (fake, prism) = start_with_prism().await.unwrap_or_else(|e| panic!("{e}"));
    let n = fake.add_pull(REPO, FakePull::default());
    let client = reqwest::Client::new();
    let send = |method: Method, path: String, body: Option<Value>| {
        let mut req = client
            .request(method, format!("{}{path}", prism.url()))
            .headers(Harness::headers("token x"));
        if let Some(body) = body {
            req = req.json(&body);
        }
        async move {
            let resp = req.send().await.unwrap();
            let (status, headers) = (resp.status(), resp.headers().clone());
            let bytes = resp.bytes().await.unwrap();
            (status, headers.clone(), violations(&headers, &bytes))
        }
    };
    let pull = format!("/repos/{REPO}/pulls/{n}");

    // 500 is in the description of GET a pull request; 502 is not: a warning, nothing else.
    fake.inject(Fault::Status { code: 500, times: 1, route: None });
    let (status, _, violation) = send(Method::GET, pull.clone(), None).await;
    assert_eq!((status.as_u16(), violation), (500, None));
    fake.inject(Fault::Status { code: 502, times: 1, route: None });
    let (status, _, violation) = send(Method::GET, pull.clone(), None).await;
    assert_eq!(status.as_u16(), 502);
    assert!(violation.as_deref().is_some_and(is_undocumented_status), "{violation:?}");

    // The secondary rate limit keeps its Retry-After through the proxy.
    fake.inject(Fault::SecondaryRateLimit { retry_after_secs: 3, times: 1 });
    let (status, headers, violation) = send(Method::GET, format!("{pull}/files"), None).await;
    assert_eq!(status.as_u16(), 403);
    assert_eq!(headers.get("retry-after").and_then(|v| v.to_str().ok()), Some("3"));
    assert!(violation.as_deref().is_some_and(is_undocumented_status), "{violation:?}");

    // A dropped connection becomes Prism's own 500 (type FetchError, not a contract violation).
    fake.inject(Fault::DropConnection { times: 1 });
    let (status, _, violation) = send(Method::GET, pull.clone(), None).await;
    assert_eq!((status.as_u16(), violation), (500, None));

    // Requests Prism refuses before the fake sees them (traps for the client).
    fake.reset_requests();
    let empty = json!({"labels": []});
    let (status, _, violation) =
        send(Method::POST, format!("/repos/{REPO}/issues/{n}/labels"), Some(empty)).await;
    assert_eq!(status.as_u16(), 422);
    assert!(violation.is_some_and(|v| v.contains("minItems")));
    let (status, _, violation) =
        send(Method::GET, format!("/repos/{REPO}/contents/.github/plasma.yml"), None).await;
    assert_eq!(status.as_u16(), 404);
    assert!(
        violation.is_some_and(|v| v.contains("NO_PATH_MATCHED")),
        "an unencoded `/` in {{path}}"
    );
    let (status, _, violation) =
        send(Method::GET, format!("/repos/{REPO}/commits/feature/x/check-runs"), None).await;
    assert_eq!(status.as_u16(), 404);
    assert!(
        violation.is_some_and(|v| v.contains("NO_PATH_MATCHED")),
        "an unencoded `/` in {{ref}}"
    );
    assert!(fake.requests().is_empty(), "Prism answered these itself");

    // The log tells the same story, for clients that do not show response headers.
    let logged = prism.logged_problems();
    assert!(logged.iter().any(|l| is_undocumented_status(l)), "{logged:#?}");
    assert!(logged.iter().any(|l| l.contains("NO_PATH_MATCHED_ERROR")), "{logged:#?}");
}

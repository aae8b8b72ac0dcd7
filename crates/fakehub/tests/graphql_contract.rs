//! The fake's GraphQL answers checked against GitHub's published schema: each answer to
//! plasma-ops's real operation (the `.graphql` file the client sends) is executed with
//! graphql-js against `@octokit/graphql-schema` with the answer as the root value. Every selected
//! field must resolve to a value of its schema type (non-null fields present, enum and scalar
//! values valid, abstract types named by `__typename`), and the result must equal the answer, so
//! it has no field the operation does not select. Errors must be GraphQL-shaped. Run
//! `tests/contract/install.sh` once first; without it the test fails and says so.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use plasma_fakehub::{FakeHub, FakePull, FakeThread};
use serde_json::{Value, json};

const REPO: &str = "plasma-engine/plasma-ops";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `node tests/contract/graphql-check.mjs execute` over the cases: (names checked, problems).
fn execute(cases: &Value) -> (Vec<String>, Vec<String>) {
    let contract = root().join("tests/contract");
    let schema = contract.join("node_modules/@octokit/graphql-schema/schema.json");
    assert!(
        schema.is_file(),
        "{} is missing: run tests/contract/install.sh first (needs Node.js and npm)",
        schema.display()
    );
    let mut child = Command::new("node")
        .arg(contract.join("graphql-check.mjs"))
        .arg("execute")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run node ({e}); install Node.js 18 or newer"));
    child.stdin.take().unwrap().write_all(cases.to_string().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("graphql-check.mjs said no JSON ({e}): {}", String::from_utf8_lossy(&out.stderr))
    });
    let list = |k: &str| -> Vec<String> {
        report[k].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect()
    };
    (list("checked"), list("problems"))
}

async fn post(
    hub: &FakeHub,
    document: &str,
    variables: Value,
) -> (reqwest::header::HeaderMap, Value) {
    let resp = reqwest::Client::new()
        .post(format!("{}/graphql", hub.url()))
        .header("authorization", "Bearer ghs_test")
        .json(
            &json!({ "query": document, "operationName": "ReviewThreads", "variables": variables }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let headers = resp.headers().clone();
    (headers, resp.json().await.unwrap())
}

#[tokio::test]
async fn review_thread_answers_have_the_shape_githubs_schema_gives() {
    let document =
        std::fs::read_to_string(root().join("crates/github/graphql/review_threads.graphql"))
            .unwrap();
    let hub = FakeHub::start().await.unwrap();
    let n = hub.add_pull(REPO, FakePull::default());
    let empty = hub.add_pull(REPO, FakePull::default());
    for i in 0..103u64 {
        let mut t = FakeThread::open("coderabbitai", &format!("src/f{i}.rs"), i + 1);
        t.resolved = i % 3 == 0;
        t.outdated = i % 5 == 0;
        if i == 7 {
            t.line = None;
        }
        hub.add_review_thread(REPO, n, t);
    }
    let vars = |number: u64, after: Option<&str>| json!({ "owner": "plasma-engine", "name": "plasma-ops", "number": number, "after": after });
    let (headers, first) = post(&hub, &document, vars(n, None)).await;
    assert_eq!(headers["x-ratelimit-resource"], "graphql");
    let page = &first["data"]["repository"]["pullRequest"]["reviewThreads"];
    assert_eq!(page["nodes"].as_array().unwrap().len(), 100);
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
    let cursor = page["pageInfo"]["endCursor"].as_str().unwrap().to_string();
    let (_, second) = post(&hub, &document, vars(n, Some(&cursor))).await;
    assert_eq!(
        second["data"]["repository"]["pullRequest"]["reviewThreads"]["nodes"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    let (_, none) = post(&hub, &document, vars(empty, None)).await;
    let (_, no_pull) = post(&hub, &document, vars(999, None)).await;
    assert_eq!(no_pull["errors"][0]["type"], "NOT_FOUND");
    let (_, no_repo) = post(
        &hub,
        &document,
        json!({ "owner": "nobody", "name": "nothing", "number": 1, "after": null }),
    )
    .await;
    assert_eq!(no_repo["errors"][0]["type"], "NOT_FOUND");
    let cases: Vec<Value> = [
        ("first page of 100", first, vars(n, None)),
        ("last page", second, vars(n, Some(&cursor))),
        ("no thread", none, vars(empty, None)),
        ("no such pull request", no_pull, vars(999, None)),
        (
            "no such repository",
            no_repo,
            json!({ "owner": "nobody", "name": "nothing", "number": 1, "after": null }),
        ),
    ]
    .into_iter()
    .map(|(name, answer, variables)| {
        json!({ "name": name, "document": document, "variables": variables, "answer": answer })
    })
    .collect();
    let (checked, problems) = execute(&Value::Array(cases));
    assert_eq!(checked.len(), 5);
    assert!(
        problems.is_empty(),
        "answers GitHub's schema would not give:\n{}",
        problems.join("\n")
    );
}

#[tokio::test]
async fn the_checker_catches_an_answer_the_schema_would_not_give() {
    let document =
        std::fs::read_to_string(root().join("crates/github/graphql/review_threads.graphql"))
            .unwrap();
    let hub = FakeHub::start().await.unwrap();
    let n = hub.add_pull(REPO, FakePull::default());
    hub.add_review_thread(REPO, n, FakeThread::open("coderabbitai", "a.rs", 1));
    let vars =
        json!({ "owner": "plasma-engine", "name": "plasma-ops", "number": n, "after": null });
    let (_, mut answer) = post(&hub, &document, vars.clone()).await;
    let node = &mut answer["data"]["repository"]["pullRequest"]["reviewThreads"]["nodes"][0];
    node["isResolved"] = json!("no");
    node["extra"] = json!(1);
    let cases =
        json!([{ "name": "tampered", "document": document, "variables": vars, "answer": answer }]);
    let (_, problems) = execute(&cases);
    assert!(problems.iter().any(|p| p.contains("isResolved")), "{problems:?}");
}

#[tokio::test]
async fn points_are_charged_to_the_graphql_budget_and_refused_when_spent() {
    let hub = FakeHub::start().await.unwrap();
    let n = hub.add_pull(REPO, FakePull::default());
    let before_core = hub.rate_limit_remaining();
    let before = hub.graphql_points_remaining();
    let vars = json!({ "owner": "plasma-engine", "name": "plasma-ops", "number": n });
    let (headers, answer) = post(&hub, "query ReviewThreads { x }", vars.clone()).await;
    assert_eq!(hub.graphql_points_remaining(), before - 1);
    assert_eq!(hub.rate_limit_remaining(), before_core, "GraphQL is not charged to core");
    assert_eq!(answer["data"]["rateLimit"]["cost"], 1);
    assert_eq!(headers["x-ratelimit-remaining"].to_str().unwrap(), (before - 1).to_string());
    hub.set_graphql_rate_limit(0, i64::MAX / 2);
    let (_, refused) = post(&hub, "query ReviewThreads { x }", vars).await;
    assert_eq!(refused["errors"][0]["type"], "RATE_LIMITED");
    assert!(hub.requests().iter().all(|r| r.is_graphql() && !r.is_write()));
}

#[tokio::test]
async fn unknown_operations_and_bad_bodies_are_refused_as_github_does() {
    let hub = FakeHub::start().await.unwrap();
    let http = reqwest::Client::new();
    let url = format!("{}/graphql", hub.url());
    let answer: Value = http
        .post(&url)
        .header("authorization", "Bearer ghs_test")
        .json(&json!({ "query": "query Nope { viewer { login } }" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["errors"][0]["type"], "UNKNOWN_OPERATION");
    assert!(answer["errors"][0]["message"].as_str().unwrap().contains("`Nope`"));
    let resp = http
        .post(&url)
        .header("authorization", "Bearer ghs_test")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let resp = http.post(&url).json(&json!({ "query": "{ x }" })).send().await.unwrap();
    assert_eq!(resp.status(), 401, "GraphQL needs a credential like every call");
}

async fn post_op(hub: &FakeHub, file: &str, operation: &str, variables: Value) -> (String, Value) {
    let document =
        std::fs::read_to_string(root().join("crates/github/graphql").join(file)).unwrap();
    let answer: Value = reqwest::Client::new()
        .post(format!("{}/graphql", hub.url()))
        .header("authorization", "Bearer ghs_test")
        .json(&json!({ "query": document, "operationName": operation, "variables": variables }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (document, answer)
}

#[tokio::test]
async fn discussion_answers_have_the_shape_githubs_schema_gives() {
    const DOCS: &str = "plasma-engine/plasma-engine-docs";
    let hub = FakeHub::start().await.unwrap();
    hub.add_repo(DOCS);
    hub.add_repo(REPO);
    hub.enable_discussions(DOCS, &["General", "ADR"]);
    let place_vars = json!({ "owner": "plasma-engine", "name": "plasma-engine-docs" });
    let (place_doc, empty) =
        post_op(&hub, "adr_discussions.graphql", "AdrDiscussions", place_vars.clone()).await;
    let repo = &empty["data"]["repository"];
    assert_eq!(repo["hasDiscussionsEnabled"], true);
    let category = repo["discussionCategories"]["nodes"][1]["id"].as_str().unwrap().to_string();
    let create_vars = json!({
        "repository": repo["id"], "category": category,
        "title": "ADR proposal: docs/adr/0007-cache.md", "body": "<!-- plasma-ops:adr:o/r#5 -->\nbody",
    });
    let (create_doc, created) =
        post_op(&hub, "create_discussion.graphql", "CreateDiscussion", create_vars.clone()).await;
    assert!(
        created["data"]["createDiscussion"]["discussion"]["url"]
            .as_str()
            .unwrap()
            .ends_with("/discussions/1")
    );
    let (_, listed) =
        post_op(&hub, "adr_discussions.graphql", "AdrDiscussions", place_vars.clone()).await;
    assert_eq!(listed["data"]["repository"]["discussions"]["nodes"].as_array().unwrap().len(), 1);
    // Discussions off, no such repository, a category id that does not resolve, and the refusal
    // GitHub gives an App without `discussions: write`.
    let off_vars = json!({ "owner": "plasma-engine", "name": "plasma-ops" });
    let (_, off) =
        post_op(&hub, "adr_discussions.graphql", "AdrDiscussions", off_vars.clone()).await;
    assert_eq!(off["data"]["repository"]["hasDiscussionsEnabled"], false);
    let none_vars = json!({ "owner": "nobody", "name": "nothing" });
    let (_, none) =
        post_op(&hub, "adr_discussions.graphql", "AdrDiscussions", none_vars.clone()).await;
    assert_eq!(none["errors"][0]["type"], "NOT_FOUND");
    let mut bad_category = create_vars.clone();
    bad_category["category"] = json!("DIC_kwDOfake999999");
    let (_, no_category) =
        post_op(&hub, "create_discussion.graphql", "CreateDiscussion", bad_category.clone()).await;
    assert_eq!(no_category["errors"][0]["type"], "NOT_FOUND");
    hub.deny_discussion_writes(DOCS);
    let (_, denied) =
        post_op(&hub, "create_discussion.graphql", "CreateDiscussion", create_vars.clone()).await;
    assert_eq!(denied["errors"][0]["type"], "FORBIDDEN");
    assert_eq!(denied["errors"][0]["message"], "Resource not accessible by integration");
    assert_eq!(hub.discussions(DOCS).len(), 1);
    let case = |name: &str, document: &str, variables: &Value, answer: Value| json!({ "name": name, "document": document, "variables": variables, "answer": answer });
    let cases = json!([
        case("no discussion yet", &place_doc, &place_vars, empty),
        case("one discussion", &place_doc, &place_vars, listed),
        case("discussions off", &place_doc, &off_vars, off),
        case("no such repository", &place_doc, &none_vars, none),
        case("created", &create_doc, &create_vars, created),
        case("no such category", &create_doc, &bad_category, no_category),
        case("not accessible", &create_doc, &create_vars, denied),
    ]);
    let (checked, problems) = execute(&cases);
    assert_eq!(checked.len(), 7);
    assert!(
        problems.is_empty(),
        "answers GitHub's schema would not give:\n{}",
        problems.join("\n")
    );
}

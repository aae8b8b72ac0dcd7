//! The fake's Projects (v2) answers checked against GitHub's published schema, as
//! `graphql_contract.rs` checks the review threads: each answer to plasma-ops's real operation
//! file is executed with graphql-js against `@octokit/graphql-schema` with the answer as the root
//! value and must come back unchanged. Also the behaviour the board relies on: a user's project
//! is invisible (null, no error), a refused option id, adding a card twice gives one card.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use plasma_fakehub::{FakeHub, FakeIssue, FakeProject, FakePull};
use serde_json::{Value, json};

const REPO: &str = "plasma-engine/plasma-ops";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn document(file: &str) -> String {
    std::fs::read_to_string(root().join("crates/github/graphql").join(file)).unwrap()
}

/// `node tests/contract/graphql-check.mjs execute` over the cases: (names checked, problems).
fn execute(cases: &Value) -> (Vec<String>, Vec<String>) {
    let contract = root().join("tests/contract");
    let schema = contract.join("node_modules/@octokit/graphql-schema/schema.json");
    assert!(
        schema.is_file(),
        "{} is missing: run tests/contract/install.sh first",
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

async fn post(hub: &FakeHub, op: &str, document: &str, variables: &Value) -> Value {
    let resp = reqwest::Client::new()
        .post(format!("{}/graphql", hub.url()))
        .header("authorization", "Bearer ghs_test")
        .json(&json!({ "query": document, "operationName": op, "variables": variables }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    resp.json().await.unwrap()
}

#[tokio::test]
async fn project_answers_have_the_shape_githubs_schema_gives() {
    let hub = FakeHub::start().await.unwrap();
    let issue =
        hub.add_issue(REPO, FakeIssue { title: "Bootstrap".into(), ..FakeIssue::default() });
    let pr = hub.add_pull(
        REPO,
        FakePull {
            title: format!("[PE-{issue}] Bootstrap"),
            head_ref: format!("ops/PE-{issue}-bootstrap"),
            ..FakePull::default()
        },
    );
    hub.set_review_requests(REPO, pr, 1);
    let project = hub.add_project(FakeProject::org("plasma-engine", 3));
    let mut user = FakeProject::org("alice", 4);
    user.user_owned = true;
    user.visible_to_app = false;
    hub.add_project(user);

    let mut cases = Vec::new();
    let mut case = |name: &str, file: &str, vars: Value, answer: &Value| {
        cases.push(json!({ "name": name, "document": document(file), "variables": vars, "answer": answer }));
    };
    let board = |owner: &str, number: u64, field: &str| json!({ "owner": owner, "number": number, "field": field });

    let org = post(
        &hub,
        "ProjectBoardOrg",
        &document("project_board_org.graphql"),
        &board("plasma-engine", 3, "Status"),
    )
    .await;
    let options =
        org["data"]["organization"]["projectV2"]["field"]["options"].as_array().unwrap().clone();
    assert_eq!(options.len(), 5);
    case("org project", "project_board_org.graphql", board("plasma-engine", 3, "Status"), &org);
    let no_field = post(
        &hub,
        "ProjectBoardOrg",
        &document("project_board_org.graphql"),
        &board("plasma-engine", 3, "Stage"),
    )
    .await;
    assert!(no_field["data"]["organization"]["projectV2"]["field"].is_null());
    case(
        "no such field",
        "project_board_org.graphql",
        board("plasma-engine", 3, "Stage"),
        &no_field,
    );
    let not_org = post(
        &hub,
        "ProjectBoardOrg",
        &document("project_board_org.graphql"),
        &board("alice", 4, "Status"),
    )
    .await;
    assert_eq!(not_org["errors"][0]["type"], "NOT_FOUND");
    case(
        "a user is no organisation",
        "project_board_org.graphql",
        board("alice", 4, "Status"),
        &not_org,
    );
    let user = post(
        &hub,
        "ProjectBoardUser",
        &document("project_board_user.graphql"),
        &board("alice", 4, "Status"),
    )
    .await;
    assert!(user["data"]["user"]["projectV2"].is_null() && user.get("errors").is_none(), "{user}");
    case(
        "user project invisible to an App",
        "project_board_user.graphql",
        board("alice", 4, "Status"),
        &user,
    );

    let search = format!("org:plasma-engine is:pr in:title \"PE-{issue}\"");
    let issue_vars = json!({ "owner": "plasma-engine", "name": "plasma-ops", "number": issue, "field": "Status", "search": search });
    let before = post(&hub, "BoardIssue", &document("board_issue.graphql"), &issue_vars).await;
    let found = &before["data"]["search"]["nodes"];
    assert_eq!(found.as_array().unwrap().len(), 1);
    assert_eq!(found[0]["reviewRequests"]["totalCount"], 1);
    case("issue without a card", "board_issue.graphql", issue_vars.clone(), &before);
    let content = before["data"]["repository"]["issue"]["id"].as_str().unwrap().to_string();

    let add_vars = json!({ "project": project, "content": content });
    let added =
        post(&hub, "AddProjectItem", &document("add_project_item.graphql"), &add_vars).await;
    let item = added["data"]["addProjectV2ItemById"]["item"]["id"].as_str().unwrap().to_string();
    case("card added", "add_project_item.graphql", add_vars.clone(), &added);
    let again =
        post(&hub, "AddProjectItem", &document("add_project_item.graphql"), &add_vars).await;
    assert_eq!(
        again["data"]["addProjectV2ItemById"]["item"]["id"],
        item.as_str(),
        "one card per issue"
    );

    let field = org["data"]["organization"]["projectV2"]["field"]["id"].as_str().unwrap();
    let review = options.iter().find(|o| o["name"] == "Review").unwrap()["id"].as_str().unwrap();
    let set_vars = json!({ "project": project, "item": item, "field": field, "option": review });
    let set =
        post(&hub, "SetProjectItemStatus", &document("set_project_item_status.graphql"), &set_vars)
            .await;
    case("status set", "set_project_item_status.graphql", set_vars, &set);
    assert_eq!(hub.project_card("plasma-engine", 3, REPO, issue).as_deref(), Some("Review"));
    let bad_vars =
        json!({ "project": project, "item": item, "field": field, "option": "opt999999" });
    let refused =
        post(&hub, "SetProjectItemStatus", &document("set_project_item_status.graphql"), &bad_vars)
            .await;
    assert!(refused["errors"][0]["message"].as_str().unwrap().contains("option"));
    case("unknown option refused", "set_project_item_status.graphql", bad_vars, &refused);

    let update_vars = json!({ "project": project, "status": "AT_RISK", "body": "W49: 2 incidents open", "start": "2026-11-30" });
    let update = post(
        &hub,
        "CreateProjectStatusUpdate",
        &document("create_project_status_update.graphql"),
        &update_vars,
    )
    .await;
    assert_eq!(update["data"]["createProjectV2StatusUpdate"]["statusUpdate"]["status"], "AT_RISK");
    case("status update posted", "create_project_status_update.graphql", update_vars, &update);
    assert_eq!(
        hub.project_status_updates("plasma-engine", 3),
        vec![(
            "AT_RISK".to_string(),
            "W49: 2 incidents open".to_string(),
            "2026-11-30".to_string()
        )]
    );
    let unknown = json!({ "project": "PVT_kwDOfake999999", "status": "ON_TRACK", "body": "x", "start": "2026-11-30" });
    let refused = post(
        &hub,
        "CreateProjectStatusUpdate",
        &document("create_project_status_update.graphql"),
        &unknown,
    )
    .await;
    assert_eq!(refused["errors"][0]["type"], "NOT_FOUND");
    case(
        "status update on an unknown project",
        "create_project_status_update.graphql",
        unknown,
        &refused,
    );

    hub.set_state(REPO, issue, "closed", false);
    let after = post(&hub, "BoardIssue", &document("board_issue.graphql"), &issue_vars).await;
    let i = &after["data"]["repository"]["issue"];
    assert_eq!(
        (i["state"].as_str(), i["stateReason"].as_str()),
        (Some("CLOSED"), Some("COMPLETED"))
    );
    assert_eq!(i["projectItems"]["nodes"][0]["fieldValueByName"]["name"], "Review");
    case("closed issue with its card", "board_issue.graphql", issue_vars.clone(), &after);
    let missing = json!({ "owner": "plasma-engine", "name": "plasma-ops", "number": 999, "field": "Status", "search": "is:pr" });
    let none = post(&hub, "BoardIssue", &document("board_issue.graphql"), &missing).await;
    assert_eq!(none["errors"][0]["type"], "NOT_FOUND");
    case("no such issue", "board_issue.graphql", missing, &none);

    for n in 0..120 {
        hub.move_project_card("plasma-engine", 3, REPO, 1000 + n, "Backlog");
    }
    let items_vars = json!({ "project": project, "field": "Status", "after": null });
    let page = post(&hub, "ProjectItems", &document("project_items.graphql"), &items_vars).await;
    let conn = &page["data"]["node"]["items"];
    assert_eq!(conn["nodes"].as_array().unwrap().len(), 100);
    assert_eq!(conn["nodes"][0]["content"]["number"], issue);
    case("project cards, first page", "project_items.graphql", items_vars, &page);
    let next =
        json!({ "project": project, "field": "Status", "after": conn["pageInfo"]["endCursor"] });
    let last = post(&hub, "ProjectItems", &document("project_items.graphql"), &next).await;
    assert_eq!(last["data"]["node"]["items"]["pageInfo"]["hasNextPage"], false);
    case("project cards, last page", "project_items.graphql", next, &last);

    // A pull request keyed in its branch alone, linking the issue: on the issue's timeline.
    let branch_only = hub.add_pull(
        REPO,
        FakePull {
            title: "Bootstrap".into(),
            head_ref: format!("ops/PE-{issue}-more"),
            body: Some(format!("Part of {REPO}#{issue}")),
            ..FakePull::default()
        },
    );
    let linked = post(&hub, "BoardIssue", &document("board_issue.graphql"), &issue_vars).await;
    let timeline = &linked["data"]["repository"]["issue"]["timelineItems"]["nodes"];
    assert!(
        timeline.as_array().unwrap().iter().any(|e| e["source"]["number"] == branch_only),
        "{timeline}"
    );
    case("issue with a cross-reference", "board_issue.graphql", issue_vars.clone(), &linked);
    let pull_vars =
        json!({ "owner": "plasma-engine", "name": "plasma-ops", "number": branch_only });
    let one = post(&hub, "KeyedPull", &document("keyed_pull.graphql"), &pull_vars).await;
    assert_eq!(
        one["data"]["repository"]["pullRequest"]["headRefName"],
        format!("ops/PE-{issue}-more")
    );
    case("one pull request", "keyed_pull.graphql", pull_vars, &one);
    let no_pull = json!({ "owner": "plasma-engine", "name": "plasma-ops", "number": issue });
    let none = post(&hub, "KeyedPull", &document("keyed_pull.graphql"), &no_pull).await;
    assert_eq!(none["errors"][0]["type"], "NOT_FOUND", "an issue is no pull request");
    case("no such pull request", "keyed_pull.graphql", no_pull, &none);
    for _ in 0..101 {
        hub.add_issue(REPO, FakeIssue::default());
    }
    let open_vars = json!({ "owner": "plasma-engine", "name": "plasma-ops", "after": null });
    let open = post(&hub, "OpenIssues", &document("open_issues.graphql"), &open_vars).await;
    let conn = &open["data"]["repository"]["issues"];
    assert_eq!(conn["nodes"].as_array().unwrap().len(), 100);
    assert_eq!(conn["pageInfo"]["hasNextPage"], true);
    case("open issues, first page", "open_issues.graphql", open_vars, &open);
    let next = json!({ "owner": "plasma-engine", "name": "plasma-ops", "after": conn["pageInfo"]["endCursor"] });
    let rest = post(&hub, "OpenIssues", &document("open_issues.graphql"), &next).await;
    // 101 open: the first issue was closed above, and pull requests are not issues.
    assert_eq!(rest["data"]["repository"]["issues"]["nodes"].as_array().unwrap().len(), 1);
    case("open issues, last page", "open_issues.graphql", next, &rest);

    let count = cases.len();
    let (checked, problems) = execute(&Value::Array(cases));
    assert_eq!(checked.len(), count);
    assert!(
        problems.is_empty(),
        "answers GitHub's schema would not give:\n{}",
        problems.join("\n")
    );
}

#[tokio::test]
async fn a_renamed_option_keeps_its_id_and_a_recreated_one_does_not() {
    let hub = FakeHub::start().await.unwrap();
    hub.add_issue(REPO, FakeIssue::default());
    hub.add_project(FakeProject::org("plasma-engine", 3));
    let vars = json!({ "owner": "plasma-engine", "number": 3, "field": "Status" });
    let doc = document("project_board_org.graphql");
    let ids = |v: &Value| -> Vec<(String, String)> {
        v["data"]["organization"]["projectV2"]["field"]["options"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| {
                (o["id"].as_str().unwrap().to_string(), o["name"].as_str().unwrap().to_string())
            })
            .collect()
    };
    let before = ids(&post(&hub, "ProjectBoardOrg", &doc, &vars).await);
    hub.rename_project_option("plasma-engine", 3, "Review", "In review");
    let renamed = ids(&post(&hub, "ProjectBoardOrg", &doc, &vars).await);
    assert_eq!(before[2].0, renamed[2].0);
    assert_eq!(renamed[2].1, "In review");
    hub.recreate_project_option("plasma-engine", 3, "Done");
    let recreated = ids(&post(&hub, "ProjectBoardOrg", &doc, &vars).await);
    let done = |v: &[(String, String)]| v.iter().find(|(_, n)| n == "Done").unwrap().0.clone();
    assert_ne!(done(&before), done(&recreated));
}

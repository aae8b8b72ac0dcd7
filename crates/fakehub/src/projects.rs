//! Projects (v2) in the fake: projects with a single-select status field, their cards, and the
//! GraphQL operations plasma-ops sends about them (`ProjectBoardOrg`, `ProjectBoardUser`,
//! `BoardIssue`, `AddProjectItem`, `SetProjectItemStatus`, `ProjectItems`). Tests set the state
//! (a project, its options, a card's column, a renamed option) as a person would in GitHub's UI.
//!
//! As GitHub does for an App: a project marked `visible_to_app: false` (a user's project) is
//! answered as `projectV2: null`, with no error.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::FakeHub;
use crate::graphql::error;
use crate::state::{IssueRec, State as FakeState};

/// A project to create with [`FakeHub::add_project`].
#[derive(Clone, Debug)]
pub struct FakeProject {
    /// Organisation or user login.
    pub owner: String,
    /// Owned by a user (looked up by `user(login:)`), else an organisation.
    pub user_owned: bool,
    /// Its number.
    pub number: u64,
    /// Its title.
    pub title: String,
    /// The single-select field's name.
    pub field: String,
    /// The field's option names.
    pub options: Vec<String>,
    /// Whether the credentials see it (GitHub shows an App no user-owned project).
    pub visible_to_app: bool,
}

impl FakeProject {
    /// An organisation's project with a `Status` field of the process's columns and `Blocked`.
    pub fn org(owner: &str, number: u64) -> Self {
        FakeProject {
            owner: owner.into(),
            user_owned: false,
            number,
            title: format!("{owner} board"),
            field: "Status".into(),
            options: ["Backlog", "In Progress", "Review", "Done", "Blocked"]
                .map(String::from)
                .to_vec(),
            visible_to_app: true,
        }
    }
}

#[derive(Clone, Debug)]
pub(crate) struct ProjectRec {
    pub id: u64,
    pub field_id: u64,
    pub project: FakeProject,
    /// Option id -> name (ids stay when a name changes, as in GitHub).
    pub options: Vec<(u64, String)>,
    pub items: Vec<ItemRec>,
    /// Status updates posted, oldest first: (status, body, start date).
    pub status_updates: Vec<(String, String, String)>,
}

#[derive(Clone, Debug)]
pub(crate) struct ItemRec {
    pub id: u64,
    /// (lower-case `owner/name`, issue number).
    pub content: (String, u64),
    pub option: Option<u64>,
}

/// Projects, requested reviewers and issues' `state_reason`, for the board.
#[derive(Default)]
pub(crate) struct ProjectsState {
    pub projects: Vec<ProjectRec>,
    /// Reviewers requested, by (lower-case `owner/name`, pull request number).
    pub review_requests: BTreeMap<(String, u64), u64>,
    /// `state_reason` set by a test (`reopened`, `not_planned`), by issue.
    pub state_reasons: BTreeMap<(String, u64), String>,
    /// Projects mutations received (`AddProjectItem`, `SetProjectItemStatus`), refused ones too.
    pub mutations: u64,
}

fn project_id(id: u64) -> String {
    format!("PVT_kwDOfake{id}")
}
fn field_id(id: u64) -> String {
    format!("PVTSSF_kwDOfake{id}")
}
fn item_id(id: u64) -> String {
    format!("PVTI_kwDOfake{id}")
}
fn option_id(id: u64) -> String {
    format!("opt{id}")
}
fn issue_node(id: u64) -> String {
    format!("I_kwDO{id:08}")
}

fn parse_id(text: &str, prefix: &str) -> Option<u64> {
    text.strip_prefix(prefix)?.parse().ok()
}

fn project_json(p: &ProjectRec, field: &str) -> Value {
    let field_value = (p.project.field == field).then(|| {
        json!({
            "__typename": "ProjectV2SingleSelectField",
            "id": field_id(p.field_id),
            "name": p.project.field,
            "options": p.options.iter().map(|(id, name)| json!({"id": option_id(*id), "name": name})).collect::<Vec<_>>(),
        })
    });
    json!({
        "id": project_id(p.id),
        "title": p.project.title,
        "url": format!(
            "https://github.com/{}/{}/projects/{}",
            if p.project.user_owned { "users" } else { "orgs" },
            p.project.owner,
            p.project.number
        ),
        "field": field_value,
    })
}

/// `ProjectBoardOrg` / `ProjectBoardUser`.
pub(crate) fn project_board(st: &FakeState, vars: &Value, rate_limit: Value, user: bool) -> Value {
    let owner = vars["owner"].as_str().unwrap_or_default();
    let number = vars["number"].as_u64().unwrap_or_default();
    let field = vars["field"].as_str().unwrap_or_default();
    let root = if user { "user" } else { "organization" };
    let owns = |p: &&ProjectRec| p.project.owner.eq_ignore_ascii_case(owner);
    let owner_exists =
        st.projects.projects.iter().filter(owns).any(|p| p.project.user_owned == user)
            || (!user && st.repos.values().any(|r| r.owner.eq_ignore_ascii_case(owner)));
    if !owner_exists {
        let kind = if user { "User" } else { "Organization" };
        let message = format!("Could not resolve to an {kind} with the login of '{owner}'.");
        return json!({
            "data": { "rateLimit": rate_limit, root: null },
            "errors": [error(&message, &[root], "NOT_FOUND")],
        });
    }
    let project = st
        .projects
        .projects
        .iter()
        .filter(owns)
        .find(|p| p.project.user_owned == user && p.project.number == number)
        .filter(|p| p.project.visible_to_app)
        .map(|p| project_json(p, field));
    json!({ "data": { "rateLimit": rate_limit, root: { "projectV2": project } } })
}

/// The quoted term and the `org:`/`repo:` scope of a search such as
/// `org:o is:pr in:title "PE-12"`.
fn search_terms(q: &str) -> (String, Option<String>, Option<String>) {
    let term = q.split('"').nth(1).unwrap_or_default().to_string();
    let word = |prefix: &str| {
        q.split_whitespace().find_map(|w| w.strip_prefix(prefix)).map(str::to_ascii_lowercase)
    };
    (term, word("org:"), word("repo:"))
}

/// A pull request as the `KeyedPull` fragment of `BoardIssue` gives it.
fn keyed_pull(st: &FakeState, key: &str, owner: &str, name: &str, issue: &IssueRec) -> Value {
    let pull = issue.pull.as_ref();
    let state = match (issue.state.as_str(), pull.is_some_and(|p| p.merged_at.is_some())) {
        ("open", _) => "OPEN",
        (_, true) => "MERGED",
        _ => "CLOSED",
    };
    let requested =
        st.projects.review_requests.get(&(key.to_string(), issue.number)).copied().unwrap_or(0);
    json!({
        "__typename": "PullRequest",
        "number": issue.number,
        "title": issue.title,
        "headRefName": pull.map(|p| p.head_ref.clone()).unwrap_or_default(),
        "state": state,
        "isDraft": pull.is_some_and(|p| p.draft),
        "repository": { "nameWithOwner": format!("{owner}/{name}") },
        "reviewRequests": { "totalCount": requested },
        "reviews": { "totalCount": pull.map_or(0, |p| p.reviews.len()) },
    })
}

/// Whether `body` mentions issue `number` of `issue_repo` (lower-case `owner/name`) as GitHub
/// links it: `owner/name#N` or its URL anywhere, `#N` alone from the same repository.
fn mentions(body: &str, from_repo: &str, issue_repo: &str, number: u64) -> bool {
    let body = body.to_ascii_lowercase();
    let word_end = |rest: &str| !rest.starts_with(|c: char| c.is_ascii_alphanumeric());
    let found =
        |needle: &str| body.match_indices(needle).any(|(i, m)| word_end(&body[i + m.len()..]));
    found(&format!("{issue_repo}#{number}"))
        || found(&format!("github.com/{issue_repo}/issues/{number}"))
        || (from_repo == issue_repo
            && body.match_indices(&format!("#{number}")).any(|(i, m)| {
                let before_ok =
                    !body[..i].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '/');
                before_ok && word_end(&body[i + m.len()..])
            }))
}

/// `BoardIssue`.
pub(crate) fn board_issue(st: &FakeState, vars: &Value, rate_limit: Value) -> Value {
    let owner = vars["owner"].as_str().unwrap_or_default();
    let name = vars["name"].as_str().unwrap_or_default();
    let full = format!("{owner}/{name}").to_ascii_lowercase();
    let number = vars["number"].as_u64().unwrap_or_default();
    let field = vars["field"].as_str().unwrap_or_default();
    let (term, org, repo_scope) = search_terms(vars["search"].as_str().unwrap_or_default());
    let mut pulls = Vec::new();
    for (key, repo) in &st.repos {
        let in_scope = org.as_ref().is_none_or(|o| repo.owner.eq_ignore_ascii_case(o))
            && repo_scope.as_ref().is_none_or(|r| r == key);
        if !in_scope || term.is_empty() {
            continue;
        }
        for issue in repo.issues.values() {
            if issue.pull.is_none() || !issue.title.contains(&term) {
                continue;
            }
            pulls.push(keyed_pull(st, key, &repo.owner, &repo.name, issue));
        }
    }
    let search = json!({ "nodes": pulls });
    let Some(repo) = st.repo(&full) else {
        let message = format!("Could not resolve to a Repository with the name '{owner}/{name}'.");
        return json!({
            "data": { "rateLimit": rate_limit, "repository": null, "search": search },
            "errors": [error(&message, &["repository"], "NOT_FOUND")],
        });
    };
    let Some(issue) = repo.issues.get(&number).filter(|i| i.pull.is_none()) else {
        let message = format!("Could not resolve to an Issue with the number of {number}.");
        return json!({
            "data": { "rateLimit": rate_limit, "repository": { "issue": null }, "search": search },
            "errors": [error(&message, &["repository", "issue"], "NOT_FOUND")],
        });
    };
    let reason = st
        .projects
        .state_reasons
        .get(&(full.clone(), number))
        .cloned()
        .or_else(|| (issue.state == "closed").then(|| "completed".to_string()));
    // Cross-references: pull requests of the same owner whose body mentions the issue (GitHub
    // records them at once; the fake works them out on each read).
    let mut timeline: Vec<Value> = Vec::new();
    for (key, r) in st.repos.iter().filter(|(_, r)| r.owner.eq_ignore_ascii_case(owner)) {
        for i in r.issues.values().filter(|i| i.pull.is_some()) {
            if i.body.as_deref().is_some_and(|b| mentions(b, key, &full, number)) {
                timeline.push(json!({
                    "__typename": "CrossReferencedEvent",
                    "source": keyed_pull(st, key, &r.owner, &r.name, i),
                }));
            }
        }
    }
    let items: Vec<Value> = st
        .projects
        .projects
        .iter()
        .flat_map(|p| {
            p.items.iter().filter(|i| i.content == (full.clone(), number)).map(move |i| {
                json!({
                    "id": item_id(i.id),
                    "project": { "id": project_id(p.id) },
                    "fieldValueByName": field_value(p, i, field),
                })
            })
        })
        .collect();
    json!({ "data": {
        "rateLimit": rate_limit,
        "repository": { "issue": {
            "id": issue_node(issue.id),
            "title": issue.title,
            "state": issue.state.to_ascii_uppercase(),
            "stateReason": reason.map(|r| r.to_ascii_uppercase()),
            "projectItems": { "nodes": items },
            "timelineItems": { "nodes": timeline },
        } },
        "search": search,
    } })
}

fn field_value(p: &ProjectRec, i: &ItemRec, field: &str) -> Value {
    if p.project.field != field {
        return Value::Null;
    }
    match i.option.and_then(|o| p.options.iter().find(|(id, _)| *id == o)) {
        Some((id, name)) => json!({
            "__typename": "ProjectV2ItemFieldSingleSelectValue",
            "name": name,
            "optionId": option_id(*id),
        }),
        None => Value::Null,
    }
}

/// `AddProjectItem`: the existing card when the issue already has one.
pub(crate) fn add_item(st: &mut FakeState, vars: &Value) -> Value {
    st.projects.mutations += 1;
    let project = vars["project"].as_str().and_then(|p| parse_id(p, "PVT_kwDOfake"));
    let content = vars["content"].as_str().and_then(|c| parse_id(c, "I_kwDO"));
    let found = content.and_then(|id| {
        st.repos.iter().find_map(|(key, r)| {
            r.issues.values().find(|i| i.id == id).map(|i| (key.clone(), i.number))
        })
    });
    let next = st.id();
    let Some(p) = st.projects.projects.iter_mut().find(|p| Some(p.id) == project) else {
        return not_found(
            "Could not resolve to a node with the global id of the project.",
            "addProjectV2ItemById",
        );
    };
    let Some(content) = found else {
        return not_found(
            "Could not resolve to a node with the global id of the content.",
            "addProjectV2ItemById",
        );
    };
    let id = match p.items.iter().find(|i| i.content == content) {
        Some(i) => i.id,
        None => {
            p.items.push(ItemRec { id: next, content, option: None });
            next
        }
    };
    json!({ "data": { "addProjectV2ItemById": { "item": { "id": item_id(id) } } } })
}

fn not_found(message: &str, path: &str) -> Value {
    json!({ "data": { path: null }, "errors": [error(message, &[path], "NOT_FOUND")] })
}

/// `SetProjectItemStatus`: an option id the field no longer has is refused, as GitHub does.
pub(crate) fn set_status(st: &mut FakeState, vars: &Value) -> Value {
    const PATH: &str = "updateProjectV2ItemFieldValue";
    st.projects.mutations += 1;
    let project = vars["project"].as_str().and_then(|p| parse_id(p, "PVT_kwDOfake"));
    let item = vars["item"].as_str().and_then(|i| parse_id(i, "PVTI_kwDOfake"));
    let field = vars["field"].as_str().and_then(|f| parse_id(f, "PVTSSF_kwDOfake"));
    let option = vars["option"].as_str().and_then(|o| parse_id(o, "opt"));
    let Some(p) = st.projects.projects.iter_mut().find(|p| Some(p.id) == project) else {
        return not_found("Could not resolve to a node with the global id of the project.", PATH);
    };
    if Some(p.field_id) != field {
        return not_found("Could not resolve to a node with the global id of the field.", PATH);
    }
    let Some(option) = option.filter(|o| p.options.iter().any(|(id, _)| id == o)) else {
        let message = "The single select option Id does not belong to the field";
        return json!({ "data": { PATH: null }, "errors": [error(message, &[PATH], "UNPROCESSABLE")] });
    };
    let Some(i) = p.items.iter_mut().find(|i| Some(i.id) == item) else {
        return not_found("Could not resolve to a node with the global id of the item.", PATH);
    };
    i.option = Some(option);
    json!({ "data": { PATH: { "projectV2Item": { "id": item_id(i.id) } } } })
}

/// `CreateProjectStatusUpdate`: an unknown project is refused as GitHub does; the status must be
/// one of the enum's values (GitHub refuses others before running the mutation).
pub(crate) fn create_status_update(st: &mut FakeState, vars: &Value) -> Value {
    const PATH: &str = "createProjectV2StatusUpdate";
    const STATUSES: [&str; 5] = ["AT_RISK", "COMPLETE", "INACTIVE", "OFF_TRACK", "ON_TRACK"];
    st.projects.mutations += 1;
    let project = vars["project"].as_str().and_then(|p| parse_id(p, "PVT_kwDOfake"));
    let status = vars["status"].as_str().unwrap_or_default().to_string();
    if !STATUSES.contains(&status.as_str()) {
        let message = format!(
            "Variable $status of type ProjectV2StatusUpdateStatus! was provided invalid value ({status})"
        );
        return json!({ "errors": [error(&message, &[], "INVALID")] });
    }
    let next = st.id();
    let Some(p) = st.projects.projects.iter_mut().find(|p| Some(p.id) == project) else {
        return not_found("Could not resolve to a node with the global id of the project.", PATH);
    };
    let body = vars["body"].as_str().unwrap_or_default().to_string();
    let start = vars["start"].as_str().unwrap_or_default().to_string();
    p.status_updates.push((status.clone(), body, start));
    json!({ "data": { PATH: { "statusUpdate": { "id": format!("PVTSU_kwDOfake{next}"), "status": status } } } })
}

/// `KeyedPull`: one pull request.
pub(crate) fn pull(st: &FakeState, vars: &Value, rate_limit: Value) -> Value {
    let owner = vars["owner"].as_str().unwrap_or_default();
    let name = vars["name"].as_str().unwrap_or_default();
    let full = format!("{owner}/{name}").to_ascii_lowercase();
    let number = vars["number"].as_u64().unwrap_or_default();
    let Some(repo) = st.repo(&full) else {
        let message = format!("Could not resolve to a Repository with the name '{owner}/{name}'.");
        return json!({
            "data": { "rateLimit": rate_limit, "repository": null },
            "errors": [error(&message, &["repository"], "NOT_FOUND")],
        });
    };
    let Some(issue) = repo.issues.get(&number).filter(|i| i.pull.is_some()) else {
        let message = format!("Could not resolve to a PullRequest with the number of {number}.");
        return json!({
            "data": { "rateLimit": rate_limit, "repository": { "pullRequest": null } },
            "errors": [error(&message, &["repository", "pullRequest"], "NOT_FOUND")],
        });
    };
    let pull = keyed_pull(st, &full, &repo.owner, &repo.name, issue);
    json!({ "data": { "rateLimit": rate_limit, "repository": { "pullRequest": pull } } })
}

/// `OpenIssues`: open issues (no pull requests), oldest first, 100 a page.
pub(crate) fn open_issues(st: &FakeState, vars: &Value, rate_limit: Value) -> Value {
    let owner = vars["owner"].as_str().unwrap_or_default();
    let name = vars["name"].as_str().unwrap_or_default();
    let Some(repo) = st.repo(&format!("{owner}/{name}")) else {
        let message = format!("Could not resolve to a Repository with the name '{owner}/{name}'.");
        return json!({
            "data": { "rateLimit": rate_limit, "repository": null },
            "errors": [error(&message, &["repository"], "NOT_FOUND")],
        });
    };
    let open: Vec<u64> = repo
        .issues
        .values()
        .filter(|i| i.pull.is_none() && i.state == "open")
        .map(|i| i.number)
        .collect();
    let start = vars["after"]
        .as_str()
        .and_then(|c| c.strip_prefix("cursor:"))
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or(0)
        .min(open.len());
    let end = (start + 100).min(open.len());
    let nodes: Vec<Value> = open[start..end].iter().map(|n| json!({ "number": n })).collect();
    json!({ "data": {
        "rateLimit": rate_limit,
        "repository": { "issues": {
            "pageInfo": { "hasNextPage": end < open.len(), "endCursor": (end > start).then(|| format!("cursor:{end}")) },
            "nodes": nodes,
        } },
    } })
}

/// `ProjectItems`: 100 cards a page.
pub(crate) fn items(st: &FakeState, vars: &Value, rate_limit: Value) -> Value {
    let project = vars["project"].as_str().and_then(|p| parse_id(p, "PVT_kwDOfake"));
    let field = vars["field"].as_str().unwrap_or_default();
    let Some(p) = st.projects.projects.iter().find(|p| Some(p.id) == project) else {
        return json!({ "data": { "rateLimit": rate_limit, "node": null } });
    };
    let start = vars["after"]
        .as_str()
        .and_then(|c| c.strip_prefix("cursor:"))
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or(0)
        .min(p.items.len());
    let end = (start + 100).min(p.items.len());
    let nodes: Vec<Value> = p.items[start..end]
        .iter()
        .map(|i| {
            let content = st.repo(&i.content.0).and_then(|r| {
                r.issues.get(&i.content.1).map(|issue| {
                    json!({
                        "__typename": "Issue",
                        "number": issue.number,
                        "title": issue.title,
                        "repository": { "nameWithOwner": format!("{}/{}", r.owner, r.name) },
                    })
                })
            });
            json!({ "id": item_id(i.id), "fieldValueByName": field_value(p, i, field), "content": content })
        })
        .collect();
    json!({ "data": {
        "rateLimit": rate_limit,
        "node": { "__typename": "ProjectV2", "items": {
            "pageInfo": { "hasNextPage": end < p.items.len(), "endCursor": (end > start).then(|| format!("cursor:{end}")) },
            "nodes": nodes,
        } },
    } })
}

impl FakeHub {
    /// Creates a project; returns its node id.
    pub fn add_project(&self, project: FakeProject) -> String {
        let mut st = self.inner.shared.lock();
        let id = st.id();
        let field_id = st.id();
        let options = project.options.iter().map(|n| (st.id(), n.clone())).collect();
        st.projects.projects.push(ProjectRec {
            id,
            field_id,
            project,
            options,
            items: Vec::new(),
            status_updates: Vec::new(),
        });
        project_id(id)
    }

    fn with_project<T>(
        &self,
        owner: &str,
        number: u64,
        f: impl FnOnce(&mut ProjectRec) -> T,
    ) -> Option<T> {
        let mut st = self.inner.shared.lock();
        st.projects
            .projects
            .iter_mut()
            .find(|p| p.project.owner.eq_ignore_ascii_case(owner) && p.project.number == number)
            .map(f)
    }

    /// Renames an option of the project's status field (its id stays, as in GitHub).
    pub fn rename_project_option(&self, owner: &str, number: u64, from: &str, to: &str) {
        self.with_project(owner, number, |p| {
            for (_, name) in p.options.iter_mut().filter(|(_, n)| n == from) {
                *name = to.to_string();
            }
        });
    }

    /// Deletes the option and adds a new one of the same name (a new id): what a person who
    /// deletes and recreates a column does; cached option ids are then refused.
    pub fn recreate_project_option(&self, owner: &str, number: u64, name: &str) {
        let next = self.inner.shared.lock().id();
        self.with_project(owner, number, |p| {
            p.options.retain(|(_, n)| n != name);
            p.options.push((next, name.to_string()));
        });
    }

    /// The column (option name) of an issue's card; `None` without a card or a status.
    pub fn project_card(&self, owner: &str, number: u64, repo: &str, issue: u64) -> Option<String> {
        self.with_project(owner, number, |p| {
            let content = (repo.to_ascii_lowercase(), issue);
            let item = p.items.iter().find(|i| i.content == content)?;
            let opt = item.option?;
            p.options.iter().find(|(id, _)| *id == opt).map(|(_, n)| n.clone())
        })
        .flatten()
    }

    /// The status updates posted on a project, oldest first: (status, body, start date).
    pub fn project_status_updates(
        &self,
        owner: &str,
        number: u64,
    ) -> Vec<(String, String, String)> {
        self.with_project(owner, number, |p| p.status_updates.clone()).unwrap_or_default()
    }

    /// Moves an issue's card to `column` as a person dragging it does (adds the card if missing).
    pub fn move_project_card(
        &self,
        owner: &str,
        number: u64,
        repo: &str,
        issue: u64,
        column: &str,
    ) {
        let next = self.inner.shared.lock().id();
        self.with_project(owner, number, |p| {
            let option = p.options.iter().find(|(_, n)| n == column).map(|(id, _)| *id);
            let content = (repo.to_ascii_lowercase(), issue);
            match p.items.iter_mut().find(|i| i.content == content) {
                Some(i) => i.option = option,
                None => p.items.push(ItemRec { id: next, content, option }),
            }
        });
    }

    /// Projects mutations received so far (GraphQL writes; the request log counts them as reads).
    pub fn project_mutations(&self) -> u64 {
        self.inner.shared.lock().projects.mutations
    }

    /// Sets how many reviewers are requested on a pull request.
    pub fn set_review_requests(&self, full_name: &str, number: u64, count: u64) {
        let key = (full_name.to_ascii_lowercase(), number);
        self.inner.shared.lock().projects.review_requests.insert(key, count);
    }

    /// Sets an issue's `state_reason` as GraphQL answers it (`reopened`, `not_planned`).
    pub fn set_state_reason(&self, full_name: &str, number: u64, reason: Option<&str>) {
        let key = (full_name.to_ascii_lowercase(), number);
        let mut st = self.inner.shared.lock();
        match reason {
            Some(r) => st.projects.state_reasons.insert(key, r.to_string()),
            None => st.projects.state_reasons.remove(&key),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_are_links_github_would_make() {
        let table = [
            ("Closes #12", "o/r", "o/r", 12, true),
            ("Closes #123", "o/r", "o/r", 12, false),
            ("Closes #12.", "o/r", "o/r", 12, true),
            ("see o/tracker#12", "o/r", "o/tracker", 12, true),
            ("see #12", "o/r", "o/tracker", 12, false),
            ("https://github.com/O/Tracker/issues/12", "o/r", "o/tracker", 12, true),
            ("abc#12", "o/r", "o/r", 12, false),
        ];
        for (body, from, to, n, want) in table {
            assert_eq!(mentions(body, from, to, n), want, "{body}");
        }
    }

    #[test]
    fn search_terms_are_read() {
        let (t, o, r) = search_terms("org:Plasma is:pr in:title \"PE-12\"");
        assert_eq!((t.as_str(), o.as_deref(), r), ("PE-12", Some("plasma"), None));
        let (t, o, r) = search_terms("repo:o/R is:pr");
        assert_eq!((t.as_str(), o, r.as_deref()), ("", None, Some("o/r")));
    }
}

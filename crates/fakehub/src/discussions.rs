//! Discussions in the fake: per repository, whether they are on, their categories and the
//! Discussions made, answered to the `AdrDiscussions` query and the `CreateDiscussion` mutation
//! the way GitHub answers them, including its misleading refusal when the App lacks the
//! `discussions: write` permission ("Resource not accessible by integration", `FORBIDDEN`).

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::FakeHub;
use crate::graphql::error;
use crate::state::{State as FakeState, iso, now};

/// Node id prefixes, GitHub-like.
const CATEGORY_PREFIX: &str = "DIC_kwDOfake";
const DISCUSSION_PREFIX: &str = "D_kwDOfake";

/// Discussions of every repository, by lower-case `owner/name`.
#[derive(Default)]
pub(crate) struct DiscussionsState {
    repos: BTreeMap<String, RepoDiscussions>,
    /// Mutations answered (creations and refusals), for tests.
    pub mutations: u64,
}

#[derive(Default)]
struct RepoDiscussions {
    enabled: bool,
    /// The App may not write Discussions here (GitHub refuses as "not accessible").
    write_denied: bool,
    categories: Vec<(u64, String)>,
    discussions: Vec<FakeDiscussion>,
}

/// A Discussion the fake holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeDiscussion {
    /// Its number in the repository.
    pub number: u64,
    /// The category's name.
    pub category: String,
    /// Title.
    pub title: String,
    /// Body (Markdown).
    pub body: String,
    /// Page.
    pub url: String,
    id: u64,
    created_at: String,
}

fn repo_node_id(id: u64) -> String {
    format!("R_kgDO{id:08}")
}

/// `AdrDiscussions`: the repository's id, Discussions switch, categories and newest Discussions.
pub(crate) fn place(st: &FakeState, vars: &Value, rate_limit: Value) -> Value {
    let owner = vars["owner"].as_str().unwrap_or_default();
    let name = vars["name"].as_str().unwrap_or_default();
    let full = format!("{owner}/{name}");
    let Some(repo) = st.repo(&full) else {
        let message = format!("Could not resolve to a Repository with the name '{full}'.");
        return json!({
            "data": { "rateLimit": rate_limit, "repository": null },
            "errors": [error(&message, &["repository"], "NOT_FOUND")],
        });
    };
    let empty = RepoDiscussions::default();
    let d = st.discussions.repos.get(&full.to_ascii_lowercase()).unwrap_or(&empty);
    let categories: Vec<Value> = d
        .categories
        .iter()
        .map(|(id, name)| json!({ "id": format!("{CATEGORY_PREFIX}{id}"), "name": name }))
        .collect();
    let discussions: Vec<Value> = d
        .discussions
        .iter()
        .rev()
        .take(50)
        .map(|x| {
            json!({
                "id": format!("{DISCUSSION_PREFIX}{}", x.id),
                "url": x.url,
                "body": x.body,
                "createdAt": x.created_at,
            })
        })
        .collect();
    json!({ "data": { "rateLimit": rate_limit, "repository": {
        "id": repo_node_id(repo.id),
        "hasDiscussionsEnabled": d.enabled,
        "discussionCategories": { "nodes": categories },
        "discussions": { "nodes": discussions },
    } } })
}

fn refuse(message: &str, kind: &str) -> Value {
    json!({
        "data": { "createDiscussion": null },
        "errors": [error(message, &["createDiscussion"], kind)],
    })
}

/// `CreateDiscussion`.
pub(crate) fn create(st: &mut FakeState, vars: &Value) -> Value {
    st.discussions.mutations += 1;
    let repo_id = vars["repository"].as_str().and_then(|r| r.strip_prefix("R_kgDO"));
    let found = st
        .repos
        .iter()
        .find(|(_, r)| repo_id.and_then(|id| id.parse::<u64>().ok()) == Some(r.id))
        .map(|(key, r)| (key.clone(), r.full_name()));
    let Some((key, full)) = found else {
        return refuse(
            "Could not resolve to a node with the global id of the repository.",
            "NOT_FOUND",
        );
    };
    let next = st.id();
    let d = st.discussions.repos.entry(key).or_default();
    if d.write_denied {
        return refuse("Resource not accessible by integration", "FORBIDDEN");
    }
    if !d.enabled {
        return refuse("Discussions are disabled for this repository.", "UNPROCESSABLE");
    }
    let category = vars["category"]
        .as_str()
        .and_then(|c| c.strip_prefix(CATEGORY_PREFIX))
        .and_then(|c| c.parse::<u64>().ok());
    let Some((_, category)) = d.categories.iter().find(|(id, _)| Some(*id) == category).cloned()
    else {
        return refuse(
            "Could not resolve to a node with the global id of the category.",
            "NOT_FOUND",
        );
    };
    let number = u64::try_from(d.discussions.len()).unwrap_or(u64::MAX).saturating_add(1);
    let disc = FakeDiscussion {
        number,
        category,
        title: vars["title"].as_str().unwrap_or_default().to_string(),
        body: vars["body"].as_str().unwrap_or_default().to_string(),
        url: format!("https://github.com/{full}/discussions/{number}"),
        id: next,
        created_at: iso(now()),
    };
    let answer = json!({ "data": { "createDiscussion": { "discussion": {
        "id": format!("{DISCUSSION_PREFIX}{}", disc.id),
        "url": disc.url,
        "createdAt": disc.created_at,
    } } } });
    d.discussions.push(disc);
    answer
}

impl FakeHub {
    /// Turns Discussions on in `full_name` (which must exist) with these categories.
    pub fn enable_discussions(&self, full_name: &str, categories: &[&str]) {
        let mut st = self.inner.shared.lock();
        let ids: Vec<u64> = categories.iter().map(|_| st.id()).collect();
        let d = st.discussions.repos.entry(full_name.to_ascii_lowercase()).or_default();
        d.enabled = true;
        d.categories = ids.into_iter().zip(categories.iter().map(|c| c.to_string())).collect();
    }

    /// Makes `CreateDiscussion` in `full_name` answer as GitHub does when the App lacks
    /// `discussions: write`.
    pub fn deny_discussion_writes(&self, full_name: &str) {
        let mut st = self.inner.shared.lock();
        st.discussions.repos.entry(full_name.to_ascii_lowercase()).or_default().write_denied = true;
    }

    /// The Discussions made in `full_name`, oldest first.
    pub fn discussions(&self, full_name: &str) -> Vec<FakeDiscussion> {
        let st = self.inner.shared.lock();
        st.discussions
            .repos
            .get(&full_name.to_ascii_lowercase())
            .map(|d| d.discussions.clone())
            .unwrap_or_default()
    }
}

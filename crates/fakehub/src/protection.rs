//! Branch protection, repository rulesets and environments: the settings `plasma-ops audit
//! --remote` reads. Answers follow GitHub's: 404 `Branch not protected` for an unprotected
//! branch, 403 for a token without administration read, 404 for an environment that does not
//! exist.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use serde_json::{Value, json};

use crate::FakeHub;
use crate::routes::Reply;
use crate::state::Shared;

const DOCS: &str = "https://docs.github.com/rest/branches/branch-protection";

/// A repository's protection settings in the fake.
#[derive(Debug, Clone, Default)]
pub struct FakeProtection {
    /// Classic protection by branch name (the body of `GET .../protection`); a branch without
    /// an entry is not protected.
    pub classic: BTreeMap<String, Value>,
    /// Whether the token may read classic protection (it needs administration read).
    pub classic_forbidden: bool,
    /// Active ruleset rules by branch (the body of `GET .../rules/branches/{branch}`).
    pub rules: BTreeMap<String, Vec<Value>>,
    /// Environments by name (the body of `GET .../environments/{name}`).
    pub environments: BTreeMap<String, Value>,
}

/// Protection of every repository, by lower-case `owner/name`.
#[derive(Debug, Clone, Default)]
pub(crate) struct ProtectionState(BTreeMap<String, FakeProtection>);

impl FakeHub {
    /// Sets the protection settings of `full_name` (adding the repository if needed).
    pub fn set_protection(&self, full_name: &str, protection: FakeProtection) {
        let mut st = self.inner.shared.lock();
        st.ensure_repo(full_name);
        st.protection.0.insert(full_name.to_ascii_lowercase(), protection);
    }
}

/// The routes, merged into the fake's router.
pub(crate) fn routes() -> Router<Shared> {
    Router::new()
        .route("/repos/{owner}/{repo}/branches/{branch}/protection", get(classic))
        .route("/repos/{owner}/{repo}/rules/branches/{branch}", get(rules))
        .route("/repos/{owner}/{repo}/environments/{name}", get(environment))
}

type Answer = Result<Reply, Reply>;

/// The repository's settings; 404 for a repository the fake does not have.
fn settings(shared: &Shared, owner: &str, repo: &str) -> Result<FakeProtection, Reply> {
    let st = shared.lock();
    let full = format!("{owner}/{repo}");
    st.repo(&full).ok_or_else(Reply::not_found)?;
    Ok(st.protection.0.get(&full.to_ascii_lowercase()).cloned().unwrap_or_default())
}

async fn classic(
    State(shared): State<Shared>,
    Path((owner, repo, branch)): Path<(String, String, String)>,
) -> Answer {
    let p = settings(&shared, &owner, &repo)?;
    if p.classic_forbidden {
        return Err(Reply::error(
            StatusCode::FORBIDDEN,
            "Resource not accessible by personal access token",
            DOCS,
        ));
    }
    match p.classic.get(&branch) {
        Some(body) => Ok(Reply::json(StatusCode::OK, body.clone())),
        None => Err(Reply::error(StatusCode::NOT_FOUND, "Branch not protected", DOCS)),
    }
}

async fn rules(
    State(shared): State<Shared>,
    Path((owner, repo, branch)): Path<(String, String, String)>,
) -> Answer {
    let p = settings(&shared, &owner, &repo)?;
    Ok(Reply::json(StatusCode::OK, Value::Array(p.rules.get(&branch).cloned().unwrap_or_default())))
}

async fn environment(
    State(shared): State<Shared>,
    Path((owner, repo, name)): Path<(String, String, String)>,
) -> Answer {
    let p = settings(&shared, &owner, &repo)?;
    match p.environments.get(&name) {
        Some(env) => {
            let mut env = env.clone();
            if let Some(obj) = env.as_object_mut() {
                obj.entry("name").or_insert_with(|| json!(name));
            }
            Ok(Reply::json(StatusCode::OK, env))
        }
        None => Err(Reply::not_found()),
    }
}

//! `deployment`, `deployment_status` and `deployment_protection_rule` events: what was deployed
//! where, how each deployment went (every status with GitHub's time), and a request to approve or
//! reject a deployment as a custom protection rule.

use jiff::Timestamp;
use serde::Deserialize;

use crate::model::{Account, Installation, Repository, null_as_default};

/// A deployment, as the three events carry it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Deployment {
    /// GitHub's id.
    pub id: u64,
    /// The commit deployed.
    pub sha: String,
    /// The ref it was requested for (branch, tag or SHA).
    #[serde(default, rename = "ref", deserialize_with = "null_as_default")]
    pub git_ref: String,
    /// The environment (`production`, `staging`, ...).
    pub environment: String,
    /// `deploy` or a custom task.
    #[serde(default)]
    pub task: Option<String>,
    /// Who created it.
    #[serde(default)]
    pub creator: Option<Account>,
    /// When GitHub created it.
    pub created_at: Timestamp,
}

/// One status of a deployment.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DeploymentStatus {
    /// GitHub's id.
    pub id: u64,
    /// `error`, `failure`, `inactive`, `in_progress`, `queued`, `pending` or `success`.
    pub state: String,
    /// When GitHub created it: the time the deployment reached this state.
    pub created_at: Timestamp,
    /// The status's link (often the workflow run).
    #[serde(default)]
    pub target_url: Option<String>,
    /// The log's link (newer payloads; `target_url` in older ones).
    #[serde(default)]
    pub log_url: Option<String>,
    /// The deployed environment's URL.
    #[serde(default)]
    pub environment_url: Option<String>,
    /// A short description.
    #[serde(default)]
    pub description: Option<String>,
    /// Who created it.
    #[serde(default)]
    pub creator: Option<Account>,
}

impl DeploymentStatus {
    /// The link a person follows: the log's URL, else the target URL; empty ones are none.
    pub fn url(&self) -> Option<&str> {
        [self.log_url.as_deref(), self.target_url.as_deref()]
            .into_iter()
            .flatten()
            .find(|u| !u.trim().is_empty())
    }
}

/// A `deployment` event (`created`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DeploymentEvent {
    /// `created`.
    #[serde(default)]
    pub action: Option<String>,
    /// The deployment.
    pub deployment: Deployment,
    /// The repository.
    pub repository: Repository,
    /// Present when a GitHub App received the event.
    #[serde(default)]
    pub installation: Option<Installation>,
    /// Who triggered the event.
    #[serde(default)]
    pub sender: Option<Account>,
}

/// A `deployment_status` event (`created`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DeploymentStatusEvent {
    /// `created`.
    #[serde(default)]
    pub action: Option<String>,
    /// The new status.
    pub deployment_status: DeploymentStatus,
    /// The deployment it belongs to.
    pub deployment: Deployment,
    /// The repository.
    pub repository: Repository,
    /// Present when a GitHub App received the event.
    #[serde(default)]
    pub installation: Option<Installation>,
    /// Who triggered the event.
    #[serde(default)]
    pub sender: Option<Account>,
}

/// A `deployment_protection_rule` event (`requested`): GitHub asks the App to approve or reject
/// a deployment of a workflow run to an environment.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DeploymentProtectionRuleEvent {
    /// `requested`.
    #[serde(default)]
    pub action: Option<String>,
    /// The environment waiting for the answer.
    pub environment: String,
    /// The event that started the workflow (`push`, `workflow_dispatch`, ...).
    #[serde(default)]
    pub event: Option<String>,
    /// The commit the workflow runs on (newer payloads).
    #[serde(default)]
    pub sha: Option<String>,
    /// The ref the workflow runs on (newer payloads).
    #[serde(default, rename = "ref")]
    pub git_ref: Option<String>,
    /// Where the answer goes: `.../actions/runs/{run_id}/deployment_protection_rule`.
    pub deployment_callback_url: String,
    /// The deployment, when GitHub created one.
    #[serde(default)]
    pub deployment: Option<Deployment>,
    /// The repository.
    pub repository: Repository,
    /// Present when a GitHub App received the event.
    #[serde(default)]
    pub installation: Option<Installation>,
    /// Who triggered the event.
    #[serde(default)]
    pub sender: Option<Account>,
    /// Pull requests GitHub associates with the run (only numbers are read).
    #[serde(default, deserialize_with = "null_as_default")]
    pub pull_requests: Vec<NumberOnly>,
}

/// A pull request of which only the number is read.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct NumberOnly {
    /// Its number.
    pub number: u64,
}

impl DeploymentProtectionRuleEvent {
    /// The workflow run waiting, read from the callback URL; `None` when the URL does not end in
    /// `/actions/runs/{run_id}/deployment_protection_rule`. The answer is sent through the
    /// client's own base URL with this id, never to the URL the payload names.
    pub fn run_id(&self) -> Option<u64> {
        let path = self.deployment_callback_url.split(['?', '#']).next()?;
        let mut parts = path.trim_end_matches('/').rsplit('/');
        let (last, id, runs, actions) =
            (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        if last != "deployment_protection_rule" || runs != "runs" || actions != "actions" {
            return None;
        }
        id.parse().ok()
    }

    /// The commit waiting to be deployed: the deployment's, else the run's.
    pub fn commit(&self) -> Option<&str> {
        self.deployment.as_ref().map(|d| d.sha.as_str()).or(self.sha.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(url: &str) -> DeploymentProtectionRuleEvent {
        serde_json::from_value(serde_json::json!({
            "action": "requested", "environment": "production", "sha": "abc",
            "deployment_callback_url": url,
            "repository": {"full_name": "o/r", "name": "r", "owner": {"login": "o"}},
        }))
        .unwrap()
    }

    #[test]
    fn the_run_comes_from_the_callback_url() {
        let url = "https://api.github.com/repos/o/r/actions/runs/42/deployment_protection_rule";
        assert_eq!(rule(url).run_id(), Some(42));
        assert_eq!(rule(&format!("{url}/")).run_id(), Some(42));
        assert_eq!(
            rule("https://api.github.com/repos/o/r/actions/runs/x/deployment_protection_rule")
                .run_id(),
            None
        );
        assert_eq!(
            rule("https://api.github.com/repos/o/r/actions/jobs/42/deployment_protection_rule")
                .run_id(),
            None
        );
        assert_eq!(rule("https://evil.example/42").run_id(), None);
        assert_eq!(rule("").run_id(), None);
        assert_eq!(rule(url).commit(), Some("abc"));
    }

    proptest::proptest! {
        /// Any callback URL is read without panicking, and the run id is found exactly when the
        /// path ends in GitHub's shape.
        #[test]
        fn any_callback_url_is_read_safely(url in ".{0,200}", id in 0u64..u64::MAX) {
            let _ = rule(&url).run_id();
            let shaped = format!("https://ghe.example/api/v3/repos/o/r/actions/runs/{id}/deployment_protection_rule");
            proptest::prop_assert_eq!(rule(&shaped).run_id(), Some(id));
            let suffixed = format!("{shaped}{url}");
            if !url.starts_with(['?', '#', '/']) && !url.is_empty() {
                proptest::prop_assert_eq!(rule(&suffixed).run_id(), None);
            }
        }
    }

    #[test]
    fn a_status_link_is_the_log_else_the_target() {
        let s = |log: Option<&str>, target: Option<&str>| DeploymentStatus {
            id: 1,
            state: "success".into(),
            created_at: Timestamp::UNIX_EPOCH,
            target_url: target.map(String::from),
            log_url: log.map(String::from),
            environment_url: None,
            description: None,
            creator: None,
        };
        assert_eq!(s(Some("l"), Some("t")).url(), Some("l"));
        assert_eq!(s(Some(""), Some("t")).url(), Some("t"));
        assert_eq!(s(None, Some("")).url(), None);
    }
}

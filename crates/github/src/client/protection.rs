//! Read-only calls for `plasma-ops audit --remote`: classic branch protection, the ruleset rules
//! that apply to a branch, and an environment's protection rules. Each answer says whether the
//! thing exists, or whether this token may not read it: GitHub answers 404 "Branch not protected"
//! for an unprotected branch, but also 403 or a bare 404 when the token lacks admin read, and
//! those must never be reported as "missing".

use plasma_audit::protection::Remote;
use serde_json::Value;

use super::route::route;
use super::{Call, GitHubClient, GitHubError, Scope, Shape};

/// Whether a 404's message is GitHub's "this branch has no protection" (as opposed to "not found
/// for you").
fn not_protected(e: &GitHubError) -> bool {
    matches!(e, GitHubError::Status { status: 404, message, .. } if message.to_ascii_lowercase().contains("not protected"))
}

/// 403, and 404 other than "Branch not protected", mean: not readable with this token.
fn classify<T>(r: Result<T, GitHubError>, absent_on_404: bool) -> Result<Remote<T>, GitHubError> {
    match r {
        Ok(v) => Ok(Remote::Found(v)),
        Err(e) if not_protected(&e) => Ok(Remote::Absent),
        Err(e) if e.is_not_found() && absent_on_404 => Ok(Remote::Absent),
        Err(e) if matches!(e.status(), Some(403 | 404)) => Ok(Remote::NoPermission),
        Err(e) => Err(e),
    }
}

fn split(repo: &str) -> Result<(&str, &str), GitHubError> {
    match repo.split_once('/') {
        Some((o, n)) if !o.is_empty() && !n.is_empty() && !n.contains('/') => Ok((o, n)),
        _ => Err(GitHubError::InvalidRepo { repo: repo.to_string() }),
    }
}

impl GitHubClient {
    /// `GET /repos/{owner}/{repo}/branches/{branch}/protection`.
    pub async fn branch_protection(
        &self,
        repo: &str,
        branch: &str,
    ) -> Result<Remote<Value>, GitHubError> {
        let (owner, name) = split(repo)?;
        let call = Call::get(
            route("/repos/{owner}/{repo}/branches/{branch}/protection", &[owner, name, branch]),
            Scope::Repo { installation: None, owner, name },
        );
        classify(self.fetch(call).await, false)
    }

    /// `GET /repos/{owner}/{repo}/rules/branches/{branch}`: every active ruleset rule for the
    /// branch (all pages).
    pub async fn branch_rules(
        &self,
        repo: &str,
        branch: &str,
    ) -> Result<Remote<Vec<Value>>, GitHubError> {
        let (owner, name) = split(repo)?;
        let call = Call::get(
            route("/repos/{owner}/{repo}/rules/branches/{branch}", &[owner, name, branch]),
            Scope::Repo { installation: None, owner, name },
        );
        classify(self.list(call, Shape::Array).await, false)
    }

    /// `GET /repos/{owner}/{repo}/environments/{environment_name}`; a 404 means the environment
    /// does not exist (reading environments needs only read access).
    pub async fn environment(
        &self,
        repo: &str,
        environment: &str,
    ) -> Result<Remote<Value>, GitHubError> {
        let (owner, name) = split(repo)?;
        let call = Call::get(
            route(
                "/repos/{owner}/{repo}/environments/{environment_name}",
                &[owner, name, environment],
            ),
            Scope::Repo { installation: None, owner, name },
        );
        classify(self.fetch(call).await, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(status: u16, message: &str) -> GitHubError {
        GitHubError::Status {
            method: "GET".into(),
            path: "/x".into(),
            status,
            message: message.into(),
            codes: vec![],
            hint: String::new(),
            attempts: 1,
        }
    }

    #[test]
    fn not_protected_absent_and_forbidden_are_told_apart() {
        let c = |e, absent| classify::<Value>(Err(e), absent);
        assert_eq!(c(status(404, "Branch not protected"), false).unwrap(), Remote::Absent);
        assert_eq!(c(status(404, "Not Found"), false).unwrap(), Remote::NoPermission);
        assert_eq!(
            c(status(403, "Resource not accessible by integration"), false).unwrap(),
            Remote::NoPermission
        );
        assert_eq!(c(status(404, "Not Found"), true).unwrap(), Remote::Absent);
        assert!(c(status(500, "boom"), false).is_err());
        assert_eq!(classify(Ok(Value::Null), false).unwrap(), Remote::Found(Value::Null));
        assert!(split("a/b/c").is_err() && split("a").is_err() && split("a/b").is_ok());
    }
}

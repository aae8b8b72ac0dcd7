//! Which jobs a webhook triggers. A PR job key is `owner/repo#n`; an issue's `issue:owner/repo#n`;
//! a commit whose pull requests must first be looked up `sha:owner/repo@<sha>`.

use plasma_github::WebhookEvent;

/// A job key parsed back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobKey {
    /// Reconcile a pull request.
    Pr { repo: String, number: u64 },
    /// Evaluate an issue.
    Issue { repo: String, number: u64 },
    /// Find the open pull requests of a commit and trigger them.
    Sha { repo: String, sha: String },
}

impl JobKey {
    /// Parse a stored key.
    pub fn parse(key: &str) -> Option<JobKey> {
        if let Some(rest) = key.strip_prefix("issue:") {
            let (repo, n) = rest.rsplit_once('#')?;
            return Some(JobKey::Issue { repo: repo.into(), number: n.parse().ok()? });
        }
        if let Some(rest) = key.strip_prefix("sha:") {
            let (repo, sha) = rest.rsplit_once('@')?;
            return Some(JobKey::Sha { repo: repo.into(), sha: sha.into() });
        }
        let (repo, n) = key.rsplit_once('#')?;
        if repo.split('/').count() != 2 {
            return None;
        }
        Some(JobKey::Pr { repo: repo.into(), number: n.parse().ok()? })
    }

    /// The stored form.
    pub fn render(&self) -> String {
        match self {
            JobKey::Pr { repo, number } => format!("{repo}#{number}"),
            JobKey::Issue { repo, number } => format!("issue:{repo}#{number}"),
            JobKey::Sha { repo, sha } => format!("sha:{repo}@{sha}"),
        }
    }

    /// The repository `owner/name`.
    pub fn repo(&self) -> &str {
        match self {
            JobKey::Pr { repo, .. } | JobKey::Issue { repo, .. } | JobKey::Sha { repo, .. } => repo,
        }
    }
}

const PR_ACTIONS: &[&str] = &[
    "opened",
    "edited",
    "synchronize",
    "reopened",
    "ready_for_review",
    "converted_to_draft",
    "labeled",
    "unlabeled",
    "closed",
];
const REVIEW_ACTIONS: &[&str] = &["submitted", "dismissed", "edited"];

/// The jobs an event triggers (empty: record only).
pub fn job_keys(ev: &WebhookEvent) -> Vec<JobKey> {
    let Some(repo) = ev.repository().map(|r| r.full_name.clone()) else {
        return vec![];
    };
    let action_in = |allowed: &[&str]| ev.action().is_none_or(|a| allowed.contains(&a));
    match ev {
        WebhookEvent::PullRequest(_) if action_in(PR_ACTIONS) => prs(ev, &repo),
        WebhookEvent::PullRequestReview(_) if action_in(REVIEW_ACTIONS) => prs(ev, &repo),
        WebhookEvent::IssueComment(_) => prs(ev, &repo),
        WebhookEvent::CheckRun(_) | WebhookEvent::CheckSuite(_) | WebhookEvent::Status(_) => {
            let numbers = ev.pull_request_numbers();
            if numbers.is_empty() {
                // Fork branches and statuses name no pull request: look them up by SHA.
                ev.head_sha()
                    .map(|sha| vec![JobKey::Sha { repo, sha: sha.to_string() }])
                    .unwrap_or_default()
            } else {
                numbers
                    .into_iter()
                    .map(|number| JobKey::Pr { repo: repo.clone(), number })
                    .collect()
            }
        }
        WebhookEvent::Issues(e) => {
            if ev.pull_request_numbers().is_empty() {
                vec![JobKey::Issue { repo, number: e.issue.number }]
            } else {
                prs(ev, &repo)
            }
        }
        _ => vec![],
    }
}

fn prs(ev: &WebhookEvent, repo: &str) -> Vec<JobKey> {
    ev.pull_request_numbers()
        .into_iter()
        .map(|number| JobKey::Pr { repo: repo.to_string(), number })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip() {
        for k in [
            JobKey::Pr { repo: "o/r".into(), number: 12 },
            JobKey::Issue { repo: "o/r".into(), number: 3 },
            JobKey::Sha { repo: "o/r".into(), sha: "abc".into() },
        ] {
            assert_eq!(JobKey::parse(&k.render()), Some(k));
        }
        assert_eq!(JobKey::parse("nonsense"), None);
        assert_eq!(JobKey::parse("o/r#x"), None);
    }
}

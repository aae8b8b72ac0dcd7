//! Which jobs a webhook triggers: a pull request's, an issue's, or a commit's whose pull requests
//! must first be looked up ([`JobKey`]).

use plasma_github::WebhookEvent;

pub use plasma_store::JobKey;

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
/// A thread resolved or unresolved changes which CodeRabbit threads are open.
const THREAD_ACTIONS: &[&str] = &["resolved", "unresolved"];

/// The jobs an event triggers (empty: record only).
pub fn job_keys(ev: &WebhookEvent) -> Vec<JobKey> {
    let Some(repo) = ev.repository().map(|r| r.full_name.clone()) else {
        return vec![];
    };
    let action_in = |allowed: &[&str]| ev.action().is_none_or(|a| allowed.contains(&a));
    match ev {
        // Every pull request action can move its issue's card (review_requested included).
        WebhookEvent::PullRequest(_) => {
            let mut keys = if action_in(PR_ACTIONS) { prs(ev, &repo) } else { vec![] };
            keys.extend(
                ev.pull_request_numbers()
                    .into_iter()
                    .map(|number| JobKey::BoardPr { repo: repo.clone(), number }),
            );
            keys
        }
        WebhookEvent::PullRequestReview(_) if action_in(REVIEW_ACTIONS) => prs(ev, &repo),
        // A comment on an issue can acknowledge an incident or link its postmortem.
        WebhookEvent::IssueComment(e) if !e.issue.is_pull_request() => {
            vec![JobKey::Issue { repo, number: e.issue.number }]
        }
        WebhookEvent::IssueComment(_) => prs(ev, &repo),
        WebhookEvent::PullRequestReviewThread(_) if action_in(THREAD_ACTIONS) => prs(ev, &repo),
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
                let number = e.issue.number;
                vec![JobKey::Issue { repo: repo.clone(), number }, JobKey::Board { repo, number }]
            } else {
                prs(ev, &repo)
            }
        }
        WebhookEvent::Deployment(_) | WebhookEvent::DeploymentStatus(_) => {
            vec![JobKey::Deployments { repo }]
        }
        WebhookEvent::DeploymentProtectionRule(_) => vec![JobKey::Gate { repo }],
        // A tag created is a release, announced by the repository's deployments job.
        WebhookEvent::Push(e) if crate::deployments::release_fact(e).is_some() => {
            vec![JobKey::Deployments { repo }]
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
            assert_eq!(k.to_string().parse::<JobKey>().ok(), Some(k));
        }
        assert_eq!("nonsense".parse::<JobKey>().ok(), None);
        assert_eq!("o/r#x".parse::<JobKey>().ok(), None);
    }
}

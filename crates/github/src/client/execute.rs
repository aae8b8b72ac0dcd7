//! The plan executor: carries out the policy core's writes in order, stopping at the first error.
//! The job is retried and the plan recomputed from fresh state, so a partly applied plan is safe.

use plasma_policy::plan::{Plan, Write};
use serde::Serialize;

use super::endpoints::{AddLabelsOutcome, LabelOutcome, RemoveOutcome};
use super::{GitHubClient, GitHubError};

/// What a write came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// GitHub carried it out; `id` of the comment or status it made or edited.
    Done {
        /// Comment or status id, when the write has one.
        id: Option<u64>,
    },
    /// Nothing needed doing: the label already existed, or was already absent.
    AlreadyInPlace,
    /// The answer was lost, and re-reading showed the write had been carried out.
    Recovered {
        /// Comment id, when the write has one.
        id: Option<u64>,
    },
}

/// One write of a plan and what it came to, for the action log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Applied {
    /// The write.
    pub write: Write,
    /// What it came to.
    pub outcome: Outcome,
}

impl GitHubClient {
    /// Carries out a plan's writes in order on pull request (or issue) `number`; stops at the
    /// first error.
    pub async fn execute(
        &self,
        installation: Option<u64>,
        repo: &str,
        number: u64,
        plan: &Plan,
    ) -> Result<Vec<Applied>, GitHubError> {
        self.execute_with(installation, repo, number, plan, |_| {}).await
    }

    /// [`GitHubClient::execute`], calling `on_applied` after each write, so the caller can record
    /// every write as it happens (the ones before an error included).
    pub async fn execute_with(
        &self,
        installation: Option<u64>,
        repo: &str,
        number: u64,
        plan: &Plan,
        mut on_applied: impl FnMut(&Applied) + Send,
    ) -> Result<Vec<Applied>, GitHubError> {
        let rc = self.repo(installation, repo)?;
        let mut done = Vec::with_capacity(plan.writes.len());
        for write in &plan.writes {
            let outcome = match write {
                Write::CreateLabel { name, color, description } => {
                    match rc.create_label(name, color, description).await? {
                        LabelOutcome::Created => Outcome::Done { id: None },
                        LabelOutcome::AlreadyExists => Outcome::AlreadyInPlace,
                    }
                }
                Write::RemoveLabel { name } => match rc.remove_label(number, name).await? {
                    RemoveOutcome::Removed => Outcome::Done { id: None },
                    RemoveOutcome::AlreadyAbsent => Outcome::AlreadyInPlace,
                },
                Write::AddLabels { labels } => match rc.add_labels(number, labels).await? {
                    AddLabelsOutcome::Added => Outcome::Done { id: None },
                    AddLabelsOutcome::Recovered => Outcome::Recovered { id: None },
                },
                Write::CreateComment { body } | Write::RequestRereview { body, .. } => {
                    let c = rc.create_comment(number, body).await?;
                    let id = Some(c.comment.id);
                    if c.recovered { Outcome::Recovered { id } } else { Outcome::Done { id } }
                }
                Write::UpdateComment { id, body } => {
                    let c = rc.update_comment(*id, body).await?;
                    Outcome::Done { id: Some(c.id) }
                }
                Write::ReopenIssue => {
                    rc.reopen_issue(number).await?;
                    Outcome::Done { id: None }
                }
                Write::SetStatus { sha, context, state, description } => {
                    let s = rc.create_status(sha, state, context, description, None).await?;
                    Outcome::Done { id: Some(s.id) }
                }
            };
            tracing::info!(repo, number, write = write.kind(), ?outcome, "applied");
            let applied = Applied { write: write.clone(), outcome };
            on_applied(&applied);
            done.push(applied);
        }
        Ok(done)
    }
}

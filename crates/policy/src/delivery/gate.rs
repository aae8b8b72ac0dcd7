//! The production gate: plasma-ops as a custom deployment protection rule. A deployment to a
//! gated environment is approved only when every pull request it brings passed the process on its
//! head, nothing reached the branch without a pull request, and (once incidents are tracked) the
//! repository has no open sev1 incident. A rejection lists what a person can do about each reason.

use plasma_config::DeploymentsConfig;
use serde::Serialize;

use super::ChangeKind;

/// At most this many reasons are spelled out in the answer; the rest are counted.
const MAX_REASONS: usize = 10;

/// A pull request a deployment brings, and the process's verdict on its head commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullCheck {
    /// Its number.
    pub number: u64,
    /// Whether it was merged.
    pub merged: bool,
    /// Its head commit when merged.
    pub head_sha: String,
    /// The newest state of the process's status (or check run conclusion) on that commit:
    /// `success`, `failure`, `error`, `pending`; `None` when the process never reported there.
    pub process: Option<String>,
}

/// What is known about the deployment waiting at the gate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GateFacts {
    /// What the deployment is relative to the environment's last successful deployment.
    pub change: ChangeKind,
    /// Every pull request it brings.
    pub pulls: Vec<PullCheck>,
    /// Commits it brings that no pull request contains (pushed straight to the branch).
    pub commits_without_pull: Vec<String>,
    /// Open `sev1` incidents in the repository. `None` while plasma-ops tracks no incidents: the
    /// condition is then not applied (the incident records are a separate feature; when they
    /// exist the caller passes their count).
    pub open_sev1: Option<u32>,
}

/// The answer to GitHub: `approved` or `rejected`, and the comment shown on the run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GateDecision {
    /// Whether the deployment may proceed.
    pub approved: bool,
    /// Why not, one actionable sentence each; empty when approved.
    pub reasons: Vec<String>,
    /// The comment sent with the answer.
    pub comment: String,
}

impl GateDecision {
    /// GitHub's word for the answer: `approved` or `rejected`.
    pub fn state(&self) -> &'static str {
        if self.approved { "approved" } else { "rejected" }
    }
}

/// The first seven characters of a SHA, as GitHub shows them.
fn short(sha: &str) -> &str {
    sha.get(..7).unwrap_or(sha)
}

fn approve(comment: String) -> GateDecision {
    GateDecision { approved: true, reasons: Vec::new(), comment }
}

/// Decides a deployment of `sha` to `environment`; `context` is the process's status context
/// (`plasma-ops/process`). An environment that is not opted in is approved with a comment saying
/// so: plasma-ops answers every request it receives, so a protection rule added by mistake never
/// holds a deployment for GitHub's thirty days.
pub fn decide(
    cfg: &DeploymentsConfig,
    environment: &str,
    sha: &str,
    facts: &GateFacts,
    context: &str,
) -> GateDecision {
    if !cfg.is_gated(environment) {
        return approve(format!(
            "plasma-ops does not gate `{environment}` (it is not in `deployments.gate` of \
             .github/plasma.yml); approved without checks"
        ));
    }
    let mut reasons = Vec::new();
    // A rollback or redeploy brings nothing new: it is what a person reaches for during an
    // incident, so not even an open sev1 holds it back.
    match facts.change {
        ChangeKind::Rollback => {
            return approve(format!(
                "plasma-ops: rollback of `{environment}` to {}: it brings no new change",
                short(sha)
            ));
        }
        ChangeKind::Redeploy => {
            return approve(format!(
                "plasma-ops: redeploy of {} to `{environment}`: it brings no new change",
                short(sha)
            ));
        }
        ChangeKind::First | ChangeKind::Change => {}
    }
    if let Some(n) = facts.open_sev1.filter(|n| *n > 0) {
        reasons.push(format!(
            "{n} open sev1 incident(s) in this repository: only rollbacks and redeploys go to \
             `{environment}` until they are resolved; close the incident or deploy the last good \
             commit"
        ));
    }
    for p in &facts.pulls {
        let head = short(&p.head_sha);
        if !p.merged {
            reasons.push(format!(
                "#{} is not merged: only merged pull requests may reach `{environment}`; merge it \
                 or deploy a commit without it",
                p.number
            ));
            continue;
        }
        match p.process.as_deref() {
            Some("success") => {}
            None => reasons.push(format!(
                "#{} has no `{context}` result on its head {head}: plasma-ops never judged it \
                 (merged in a dry run or before plasma-ops was installed); run `plasma-ops \
                 reconcile` on it or deploy a commit without it",
                p.number
            )),
            Some(state) => reasons.push(format!(
                "#{} did not pass `{context}` on its head {head} (it is `{state}`): fix what the \
                 plasma-ops summary on #{} lists in a new pull request, or deploy a commit \
                 without it",
                p.number, p.number
            )),
        }
    }
    if !facts.commits_without_pull.is_empty() {
        let shas: Vec<&str> =
            facts.commits_without_pull.iter().take(MAX_REASONS).map(|s| short(s)).collect();
        reasons.push(format!(
            "{} commit(s) reached the branch without a pull request ({}): changes reach \
             `{environment}` only through reviewed pull requests; revert them through one",
            facts.commits_without_pull.len(),
            shas.join(", ")
        ));
    }
    if reasons.is_empty() {
        let numbers: Vec<String> = facts.pulls.iter().map(|p| format!("#{}", p.number)).collect();
        let comment = match numbers.len() {
            0 => format!("plasma-ops: {} brings no pull request to `{environment}`", short(sha)),
            n => format!(
                "plasma-ops: the {n} pull request(s) {} brings ({}) passed `{context}`",
                short(sha),
                numbers.join(", ")
            ),
        };
        return approve(comment);
    }
    let mut listed: Vec<String> = reasons.iter().take(MAX_REASONS).cloned().collect();
    if reasons.len() > MAX_REASONS {
        listed.push(format!("and {} more", reasons.len() - MAX_REASONS));
    }
    let comment = format!(
        "plasma-ops rejected {} for `{environment}`:\n- {}",
        short(sha),
        listed.join("\n- ")
    );
    GateDecision { approved: false, reasons, comment }
}

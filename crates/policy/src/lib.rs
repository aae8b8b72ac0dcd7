//! The pull-request and issue process of plasma-ops: snapshots, the rules that judge them, agent
//! dispatch, verdicts and the plan (the labels, comment, status and re-review requests a pull
//! request should have, as the minimal list of writes).
//!
//! Nothing in this crate performs I/O, spawns tasks or reads the clock: every function takes plain
//! data and returns plain data, so every front door (the CLI, the service) and every test gets the same
//! answer for the same input.

pub mod board;
pub mod delivery;
pub mod dispatch;
pub mod incident;
pub mod issue_form;
pub mod plan;
pub mod policy;
pub mod render;
pub mod rules;
pub mod snapshot;
#[cfg(test)]
mod test_support;
pub mod verdict;

pub use plasma_config::{Finding, PolicyError, Severity, rule_id};
pub use policy::{Policy, compile_policy};
pub use snapshot::{IssueSnapshot, PrSnapshot};
pub use verdict::{
    IssueVerdict, Verdict, add_issue_findings, evaluate, evaluate_issue, evaluate_issue_with,
};

//! The pure policy core of plasma-ops: the Plasma Engine DevOps process as data and rules.
//!
//! Nothing in this crate performs I/O, spawns tasks or reads the clock: every function takes plain
//! data and returns plain data, so the CLI, the service, the MCP server and tests all get the same
//! answer for the same input.

pub mod audit;
pub mod commitlint;
pub mod config;
pub mod conventional;
pub mod coverage;
pub mod dispatch;
pub mod finding;
pub mod history;
pub mod issue_key;
pub mod plan;
pub mod policy;
pub mod release;
pub mod render;
pub mod report;
pub mod rules;
pub mod snapshot;
#[cfg(test)]
mod test_support;
pub mod verdict;

pub use finding::{Finding, Severity, rule_id};
pub use policy::{Policy, PolicyError};
pub use snapshot::{IssueSnapshot, PrSnapshot};
pub use verdict::{IssueVerdict, Verdict, evaluate, evaluate_issue};

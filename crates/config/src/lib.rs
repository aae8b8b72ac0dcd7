//! The vocabulary every plasma-ops product shares: the configuration model and its built-in
//! defaults (the process, exactly), the layered loader and its guard, findings and the report
//! they make, issue keys, and the bounded pattern templates issue keys compile with.
//!
//! Pure: no I/O, no threads, no clock. The pull-request process (`plasma-policy`), the audit
//! (`plasma-audit`), history and releases (`plasma-history`) and the coverage gate
//! (`plasma-coverage`) each compile their own part of a [`Config`]; none of them depends on
//! another through this crate.

pub mod adr;
mod audit;
pub mod board;
mod commit_messages;
mod compile;
mod coverage;
mod deployments;
mod error;
mod extras;
pub mod finding;
pub mod guard;
mod incidents;
mod infra;
pub mod issue_key;
mod load;
mod locate;
mod model;
mod notifications;
mod overrides;
pub mod pattern;
mod release;
pub mod report;
mod weekly_report;

pub use adr::{AdrConfig, AdrDiscussions};
pub use audit::*;
pub use board::{BoardColumns, BoardConfig, ProjectRef};
pub use commit_messages::*;
pub use compile::{LocatedErrors, compile, locate};
pub use coverage::*;
pub use deployments::DeploymentsConfig;
pub use error::PolicyError;
pub use extras::*;
pub use finding::{Finding, Severity, rule_id};
pub use incidents::*;
pub use infra::*;
pub use load::*;
pub use model::*;
pub use notifications::*;
pub use release::*;
pub use report::{Location, RepoFinding, RepoReport};
pub use weekly_report::{
    ReportConfig, StatusLimits, StatusThresholds, Weekday, WeeklyReportConfig,
};

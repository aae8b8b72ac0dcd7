//! The pure policy core of plasma-ops: the Plasma Engine DevOps process as data and rules.
//!
//! Nothing in this crate performs I/O, spawns tasks or reads the clock: every function takes plain
//! data and returns plain data, so the CLI, the service, the MCP server and tests all get the same
//! answer for the same input.

pub mod config;
pub mod dispatch;
pub mod finding;
pub mod rules;
pub mod snapshot;

pub use finding::{Finding, Severity, rule_id};
pub use snapshot::{IssueSnapshot, PrSnapshot};

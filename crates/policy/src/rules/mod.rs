//! The rules, one module each.
pub mod about;
pub mod approval;
pub mod branch;
pub mod checklist;
pub mod checks;
pub mod commits;
pub mod infra_approval;
pub mod issue_labels;
pub mod review_loop;
pub mod review_threads;
pub mod state;
pub mod title;

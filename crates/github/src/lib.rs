//! GitHub for plasma-ops: webhook payload types and their conversion into the policy core's
//! snapshots.
//!
//! Webhooks only tell plasma-ops *what to look at again*; [`webhook::parse_event`] reads the
//! handful of fields that matter from a payload, and [`to_snapshot`] turns pull request and issue
//! events into [`plasma_policy::PrSnapshot`] and [`plasma_policy::IssueSnapshot`], leaving
//! everything a payload cannot know (files, commits, reviews, checks) as unknown.

pub mod to_snapshot;
pub mod webhook;

pub use to_snapshot::{Snapshot, issue_snapshot, pr_snapshot, snapshot_from_payload};
pub use webhook::{WebhookError, WebhookEvent, detect_event_name, parse_event};

//! GitHub for plasma-ops: webhook payload types and their conversion into the policy core's
//! snapshots, webhook signatures, and the REST client with its snapshot fetcher and plan executor.
//!
//! Webhooks only tell plasma-ops *what to look at again*; [`webhook::parse_event`] reads the
//! handful of fields that matter from a payload, and [`to_snapshot`] turns pull request and issue
//! events into [`plasma_policy::PrSnapshot`] and [`plasma_policy::IssueSnapshot`], leaving
//! everything a payload cannot know (files, commits, reviews, checks) as unknown.
//! [`GitHubClient::fetch_pr`] reads all of it through the REST API, and
//! [`GitHubClient::execute`] carries out a plan.
//!
//! Both sides read GitHub's objects (accounts, labels, repositories, pull requests, issues,
//! comments, ...) into the one set of types in [`model`].

pub mod client;
pub mod model;
pub mod secret;
pub mod signature;
pub mod to_snapshot;
pub mod webhook;

pub use client::{
    Applied, Auth, ClientConfig, ClientStats, FetchOptions, FetchedIssue, FetchedPr, GitHubClient,
    GitHubError, Operation, OperationKind, Outcome, RateLimitKind, RateLimitStatus, RepoClient,
    ops,
};
/// GitHub Projects (v2): the project board's reads and writes.
pub use client::{BoardIssue, IssueCard, KeyedPull, ProjectBoard, ProjectCard, ProjectLookup};
/// The fleet's shared second level of the conditional-request cache.
pub use client::{SharedCache, SharedCacheError, SharedCacheFuture, SharedEntry, SharedLookup};
pub use secret::Secret;
pub use signature::{sign, verify_signature};
pub use to_snapshot::{Snapshot, issue_snapshot, pr_snapshot, snapshot_from_payload};
pub use webhook::{WebhookError, WebhookEvent, detect_event_name, parse_event};

//! The GitHub objects that both the REST client ([`crate::client`]) and the webhook parser
//! ([`crate::webhook`]) read: one type per object, wherever GitHub sends the same shape.
//!
//! GitHub describes an account, a label, a repository, an App, an installation, a pull request (with its
//! branch ends), an issue or a comment the same way in a REST answer and in a webhook payload, give or take
//! a few fields. Those objects live here once; a field that one payload kind lacks is `Option`
//! (or `#[serde(default)]`) and its comment says which. They are lenient in the same way: unknown
//! fields are ignored and what GitHub may omit or send as `null` has a default, so a payload is
//! rejected only for a wrong type or a value GitHub never sends (a pull request `state` other
//! than `open` or `closed`). A rejection is a serde error, which the webhook parser reports with
//! the field's JSON path; untrusted input never panics.
//!
//! Objects whose two readings really disagree stay apart, next to the payload that sends them,
//! each with a comment saying why:
//!
//! - reviews ([`crate::webhook::Review`], [`crate::client::ReviewInfo`]): a webhook rejects an
//!   unknown review state at its path; the fetcher skips such a review instead of failing.
//! - check runs ([`crate::webhook::CheckRun`], [`crate::client::CheckRunInfo`]): a webhook must
//!   name the head SHA; the REST list is read by head SHA and parses the times.
//! - [`crate::webhook::ShaRef`] and [`crate::client::ShaRef`] are different objects (a branch end
//!   in a check run's pull request list; a commit's parent) that share a name.
//! - a `status` event is a status with its fields at the top level of the payload, so it shares
//!   nothing with [`crate::client::StatusInfo`].
//!
//! Webhook-only objects (events, check suites, pushes) stay in [`crate::webhook`], REST-only
//! answers (files, commits, contents, rate limits) in [`crate::client`].

//! Nothing here holds a secret, so the derived `Debug` is safe.

mod account;
mod comment;
mod issue;
mod label;
mod pull_request;
mod repository;

use plasma_policy::snapshot::PrState;
use serde::{Deserialize, Deserializer};

pub use account::Account;
pub(crate) use account::actor_or_ghost;
pub use comment::Comment;
pub use issue::{Issue, IssuePullRequest};
pub use label::Label;
pub use pull_request::{BranchRef, PullRequest};
pub use repository::{App, Installation, Repository};

/// Reads `null` as the type's default: GitHub sends `null` for some lists and flags that are
/// usually present, and old payloads omit them (pair with `#[serde(default)]`).
pub(crate) fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Reads `open` or `closed` (any case) from a string. serde_json reports a derived enum given a
/// non-string (`null`, a number) as a JSON *syntax* error; reading a string first makes it a type
/// error at the right path.
pub(crate) fn pr_state<'de, D: Deserializer<'de>>(d: D) -> Result<PrState, D::Error> {
    let raw = String::deserialize(d)?;
    parse_pr_state(&raw)
}

/// [`pr_state`] for an optional field: `null` or absent is `None`.
pub(crate) fn opt_pr_state<'de, D: Deserializer<'de>>(d: D) -> Result<Option<PrState>, D::Error> {
    Option::<String>::deserialize(d)?.map(|raw| parse_pr_state(&raw)).transpose()
}

fn parse_pr_state<E: serde::de::Error>(raw: &str) -> Result<PrState, E> {
    if raw.eq_ignore_ascii_case("open") {
        Ok(PrState::Open)
    } else if raw.eq_ignore_ascii_case("closed") {
        Ok(PrState::Closed)
    } else {
        Err(E::unknown_variant(raw, &["open", "closed"]))
    }
}

#[cfg(test)]
#[allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]
mod tests;

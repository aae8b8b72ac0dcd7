//! The GitHub objects that both the REST client ([`crate::client`]) and the webhook parser
//! ([`crate::webhook`]) read: one type per object, wherever GitHub sends the same shape.
//!
//! GitHub describes an account, a label, a repository, an installation or a pull request branch
//! the same way in a REST answer and in a webhook payload, give or take a few fields. Those
//! objects live here once; a field that one payload kind lacks is `Option` (or `#[serde(default)]`)
//! and its comment says which. Everything is lenient in the same way: unknown fields are
//! ignored, and what GitHub may omit or send as `null` has a default, so untrusted input is
//! rejected with an error (which the webhook parser turns into a JSON path) and never panics.
//!
//! Objects whose two shapes really disagree stay apart, next to the payload that sends them:
//!
//! - pull requests, issues, reviews, check runs and comments: the webhook types are strict where
//!   a payload is the only thing plasma-ops knows (`state` is typed and a `null` or unknown state
//!   is an error at its path; `title` and the author are required), while the REST types take
//!   strings and defaults because the fetcher decides what an odd value means (an unknown review
//!   state is logged and the review skipped, a missing author becomes `ghost`). Their times also
//!   differ: REST answers are parsed as timestamps, webhook times are kept as sent.
//! - `ShaRef`: the REST one is a commit's parent (`{sha, url}`, `sha` required); the webhook one is
//!   the branch end of a pull request listed in a check run (`{ref, sha}`, both optional).
//!
//! Nothing here holds a secret, so the derived `Debug` is safe.

mod account;
mod branch;
mod label;
mod repository;

use plasma_policy::snapshot::PrState;
use serde::{Deserialize, Deserializer};

pub use account::Account;
pub(crate) use account::actor_or_ghost;
pub use branch::BranchRef;
pub use label::Label;
pub use repository::{Installation, Repository};

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

//! Objects that appear in many events: repository, installation, account, label.

use plasma_policy::snapshot::{ActorKind, PrState};
use serde::{Deserialize, Deserializer};

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

/// The repository the event happened in.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Repository {
    /// Numeric id.
    #[serde(default)]
    pub id: Option<u64>,
    /// `owner/name`.
    pub full_name: String,
    /// The default branch, where the organisation's and repository's configuration lives.
    #[serde(default)]
    pub default_branch: Option<String>,
}

impl Repository {
    /// `owner` and `name` from `full_name`; `None` when it has no `/`.
    pub fn owner_and_name(&self) -> Option<(&str, &str)> {
        self.full_name.split_once('/')
    }
}

/// The GitHub App installation that received the event; absent for repository and organisation
/// webhooks, and in several of GitHub's own examples.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct Installation {
    /// Installation id, needed to mint an installation token.
    pub id: u64,
}

/// A user, bot, organisation or mannequin as GitHub sends it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Account {
    /// Login, e.g. `octocat` or `coderabbitai[bot]`.
    pub login: String,
    /// Numeric id.
    #[serde(default)]
    pub id: Option<u64>,
    /// GitHub's `type` (`User`, `Bot`, `Organization`, `Mannequin`, ...), as sent.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
}

impl Account {
    /// The policy core's account kind; a missing or unknown `type` counts as a user.
    pub fn actor_kind(&self) -> ActorKind {
        match self.kind.as_deref() {
            Some(k) if k.eq_ignore_ascii_case("Bot") => ActorKind::Bot,
            Some(k) if k.eq_ignore_ascii_case("Organization") => ActorKind::Organization,
            Some(k) if k.eq_ignore_ascii_case("Mannequin") => ActorKind::Mannequin,
            _ => ActorKind::User,
        }
    }

    /// The policy core's actor for this account.
    pub fn to_actor(&self) -> plasma_policy::snapshot::Actor {
        plasma_policy::snapshot::Actor { login: self.login.clone(), kind: self.actor_kind() }
    }
}

/// A label attached to an issue or pull request.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Label {
    /// Label name.
    pub name: String,
}

//! Accounts: users, bots, organisations and mannequins.

use plasma_policy::snapshot::{Actor, ActorKind};
use serde::Deserialize;

/// A user, bot, organisation or mannequin, as GitHub sends it everywhere: a pull request's or
/// issue's author, a reviewer, a webhook's `sender`, `GET /user`, an installation's account.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Account {
    /// Login, e.g. `octocat` or `coderabbitai[bot]`.
    pub login: String,
    /// Numeric id; always sent by GitHub, but not needed, so not required (test payloads and
    /// GitHub Enterprise Server examples lack it).
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
    pub fn to_actor(&self) -> Actor {
        Actor { login: self.login.clone(), kind: self.actor_kind() }
    }
}

/// GitHub shows deleted accounts as `ghost`; the REST API sends `null`.
pub(crate) fn actor_or_ghost(account: Option<&Account>) -> Actor {
    account
        .map(Account::to_actor)
        .unwrap_or(Actor { login: "ghost".into(), kind: ActorKind::Mannequin })
}

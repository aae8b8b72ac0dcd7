//! Organisation teams and their members: what the `infra-approval` rule reads
//! (`GET /orgs/{org}/teams/{team_slug}/members`). A team the fake does not have is GitHub's 404,
//! which GitHub also answers for a secret team the token cannot see.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::Uri;
use axum::routing::get;

use crate::FakeHub;
use crate::routes::{Reply, list, objects};
use crate::state::Shared;

/// Team members by lower-case `org/team-slug`.
#[derive(Debug, Clone, Default)]
pub(crate) struct TeamState(BTreeMap<String, Vec<String>>);

impl FakeHub {
    /// Creates (or replaces) team `slug` of organisation `org` with these member logins.
    pub fn set_team_members(&self, org: &str, slug: &str, members: &[&str]) {
        let key = format!("{org}/{slug}").to_ascii_lowercase();
        let members = members.iter().map(|m| (*m).to_owned()).collect();
        self.inner.shared.lock().teams.0.insert(key, members);
    }
}

/// The routes, merged into the fake's router.
pub(crate) fn routes() -> Router<Shared> {
    Router::new().route("/orgs/{org}/teams/{team_slug}/members", get(members))
}

async fn members(
    State(shared): State<Shared>,
    Path((org, slug)): Path<(String, String)>,
    uri: Uri,
    RawQuery(raw): RawQuery,
) -> Result<Reply, Reply> {
    let st = shared.lock();
    let key = format!("{org}/{slug}").to_ascii_lowercase();
    let logins = st.teams.0.get(&key).ok_or_else(Reply::not_found)?;
    let o = objects(&st);
    let items = logins.iter().map(|l| o.user(l)).collect();
    Ok(list(items, &st.public_url, &uri, raw.as_deref()))
}

//! `/report`: the weekly report page (issue 13), the same page `plasma-ops report weekly
//! --format html` writes, read from the store like every dashboard page. `?week=2026-W49`
//! (default: the last complete week), `?repo=OWNER/NAME` or `?org=ORG` (default: everything),
//! `?tz=Europe/Berlin` for the week's bounds (default UTC). JSON when asked, as the other pages.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use plasma_report::{IsoWeek, Scope};
use serde::Deserialize;

use crate::app::App;
use crate::weekly_report::{self, ReportError};

/// The page's query.
#[derive(Debug, Default, Deserialize)]
pub struct ReportQuery {
    /// `2026-W49`.
    pub week: Option<String>,
    /// `owner/name`.
    pub repo: Option<String>,
    /// An organisation.
    pub org: Option<String>,
    /// An IANA time zone.
    pub tz: Option<String>,
}

/// The scope a query asks for; an empty field is no filter (the form sends both).
pub fn scope(q: &ReportQuery) -> Result<Scope, String> {
    let repo = q.repo.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let org = q.org.as_deref().map(str::trim).filter(|s| !s.is_empty());
    match (repo, org) {
        (Some(_), Some(_)) => Err("give repo or org, not both".into()),
        (Some(r), None) => {
            let ok = r
                .split_once('/')
                .is_some_and(|(o, n)| !o.is_empty() && !n.is_empty() && !n.contains('/'));
            if ok { Ok(Scope::Repo(r.to_string())) } else { Err("repo must be OWNER/NAME".into()) }
        }
        (None, Some(o)) if o.contains('/') => Err("org must be an organisation name".into()),
        (None, Some(o)) => Ok(Scope::Org(o.to_string())),
        (None, None) => Ok(Scope::All),
    }
}

fn bad(why: impl std::fmt::Display) -> Response {
    (StatusCode::BAD_REQUEST, format!("{why}\n")).into_response()
}

/// The handler.
pub async fn page(
    State(app): State<Arc<App>>,
    Query(q): Query<ReportQuery>,
    headers: HeaderMap,
) -> Response {
    let scope = match scope(&q) {
        Ok(s) => s,
        Err(why) => return bad(why),
    };
    let tz_name = q.tz.clone().filter(|t| !t.trim().is_empty()).unwrap_or_else(|| "UTC".into());
    let tz = match weekly_report::time_zone(&tz_name) {
        Ok(tz) => tz,
        Err(e) => return bad(e),
    };
    let week = match q.week.as_deref().map(str::trim).filter(|w| !w.is_empty()) {
        Some(w) => match w.parse::<IsoWeek>() {
            Ok(w) => w,
            Err(e) => return bad(e),
        },
        None => match jiff::Timestamp::from_millisecond(app.now())
            .map_err(|_| ReportError::TimeZone(tz_name.clone()))
            .and_then(|now| weekly_report::last_complete_week(now, &tz))
        {
            Ok(w) => w,
            Err(e) => return bad(e),
        },
    };
    let production = plasma_config::DeploymentsConfig::default().production;
    let report = match weekly_report::load(
        app.store.as_ref(),
        scope,
        week,
        &tz,
        &tz_name,
        &production,
    )
    .await
    {
        Ok(r) => r,
        Err(ReportError::Store(e)) => return super::store_failed(&e),
        Err(e) => return bad(e),
    };
    let ctx = plasma_report::html::PageContext {
        dashboard: true,
        repo: q.repo.clone().unwrap_or_default(),
        org: q.org.clone().unwrap_or_default(),
    };
    let html = plasma_report::html::render(&report, &ctx);
    super::answer(&headers, &report, html)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn q(repo: Option<&str>, org: Option<&str>) -> ReportQuery {
        ReportQuery {
            repo: repo.map(String::from),
            org: org.map(String::from),
            ..ReportQuery::default()
        }
    }

    #[test]
    fn the_scope_comes_from_the_query() {
        assert_eq!(scope(&q(None, None)).unwrap(), Scope::All);
        assert_eq!(scope(&q(Some(""), Some(""))).unwrap(), Scope::All, "an empty form field");
        assert_eq!(scope(&q(Some("a/b"), Some(" "))).unwrap(), Scope::Repo("a/b".into()));
        assert_eq!(scope(&q(None, Some("plasma"))).unwrap(), Scope::Org("plasma".into()));
        for bad in [q(Some("a/b"), Some("c")), q(Some("ab"), None), q(None, Some("a/b"))] {
            assert!(scope(&bad).is_err());
        }
    }

    async fn get(query: &str) -> (StatusCode, String) {
        let store = plasma_store::open("sqlite::memory:").await.unwrap();
        let cfg =
            crate::config::ServiceConfig::load(&std::collections::BTreeMap::new(), None).unwrap();
        // Wednesday 2026-12-09 12:00 UTC: the last complete week is 2026-W49.
        let app = App::new(cfg, store, None, Arc::new(|| 1_796_817_600_000));
        let q: Query<ReportQuery> =
            Query::try_from_uri(&format!("http://localhost/report?{query}").parse().unwrap())
                .unwrap();
        let resp = page(State(app), q, HeaderMap::new()).await;
        let status = resp.status();
        let body = axum::body::to_bytes(resp.into_body(), 1 << 22).await.unwrap();
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    #[tokio::test]
    async fn the_page_reports_the_last_complete_week_by_default() {
        let (status, html) = get("").await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("2026-W49"), "{html}");
        assert!(html.contains("<svg"), "charts are server-side SVG");
        assert!(!html.contains("<script"), "no JavaScript");
        let (status, html) = get("week=2026-W48&org=plasma&tz=Europe/Berlin").await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("2026-W48"), "{html}");
    }

    #[tokio::test]
    async fn a_bad_query_is_a_400_that_says_what_is_wrong() {
        for (query, says) in [
            ("week=2026-W99", "week 99"),
            ("tz=Nowhere/Land", "Nowhere/Land"),
            ("repo=ab", "OWNER/NAME"),
            ("org=a/b", "organisation"),
        ] {
            let (status, body) = get(query).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
            assert!(body.contains(says), "{query}: {body}");
        }
    }
}

//! `POST /repos/{owner}/{repo}/check-runs`: create a check run, as a command run in CI does to
//! report under its own name (the coverage gate). The run is stored like the ones tests add; the
//! answer echoes the output that was sent (title, summary, annotation count) so a test can see
//! what the client posted. Validation follows GitHub's documented rules for the fields we use.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::json;

use super::{Answer, Reply, objects, parse_body, repo};
use crate::model::FakeCheckRun;
use crate::state::{CheckRunRec, Shared, now};

const DOCS: &str = "https://docs.github.com/rest/checks/runs#create-a-check-run";

pub(super) async fn create_check_run(
    State(shared): State<Shared>,
    Path((owner, name)): Path<(String, String)>,
    body: Bytes,
) -> Answer {
    let body = parse_body(&body)?;
    let mut st = shared.lock();
    let full = repo(&st, &owner, &name)?.full_name();
    let text = |k: &str| body[k].as_str().map(str::to_owned);
    let (Some(run_name), Some(sha)) = (text("name"), text("head_sha")) else {
        return Err(Reply::invalid("CheckRun", "name/head_sha", "missing_field", DOCS));
    };
    let status = text("status").unwrap_or_else(|| "queued".to_owned());
    let conclusion = text("conclusion");
    let conclusions =
        ["action_required", "cancelled", "failure", "neutral", "success", "skipped", "timed_out"];
    if conclusion.as_deref().is_some_and(|c| !conclusions.contains(&c))
        || (status == "completed" && conclusion.is_none())
    {
        return Err(Reply::invalid("CheckRun", "conclusion", "invalid", DOCS));
    }
    let annotations = body["output"]["annotations"].as_array().map(Vec::len).unwrap_or(0);
    if annotations > 50 {
        return Err(Reply::invalid("CheckRun", "annotations", "too_many", DOCS));
    }
    let id = st.id();
    let suite_id = st.id();
    let app_slug = st.bot_login.trim_end_matches("[bot]").to_owned();
    let rec = CheckRunRec {
        id,
        suite_id,
        sha,
        run: FakeCheckRun { name: run_name, status, conclusion, app_slug },
        started_at: now(),
    };
    let repo_ref = repo(&st, &owner, &name)?;
    let mut answer = objects(&st).check_run(repo_ref, &rec, Vec::new());
    answer["output"]["title"] = body["output"]["title"].clone();
    answer["output"]["summary"] = body["output"]["summary"].clone();
    answer["output"]["annotations_count"] = json!(annotations);
    if let Some(r) = st.repo_mut(&full) {
        r.check_runs.push(rec);
    }
    Ok(Reply::json(StatusCode::CREATED, answer))
}

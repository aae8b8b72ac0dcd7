//! Issue state and history, as the incident rules use them: `PATCH /repos/{owner}/{repo}/issues/
//! {issue_number}` (state and `state_reason`), `GET .../issues/{issue_number}/events`, and the
//! directory listing of the contents API (the issue templates).

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, Uri};
use serde_json::{Value, json};

use super::{Answer, Reply, issue, list, number, objects, parse_body, repo};
use crate::objects::seg;
use crate::state::{IssueEventRec, Shared, now};
use crate::state::{fake_sha, iso};

const UPDATE_DOCS: &str = "https://docs.github.com/rest/issues/issues#update-an-issue";

pub(super) async fn update_issue(
    State(shared): State<Shared>,
    Path((owner, name, n)): Path<(String, String, String)>,
    body: Bytes,
) -> Answer {
    let body = parse_body(&body)?;
    let mut st = shared.lock();
    let full = repo(&st, &owner, &name)?.full_name();
    let num = number(&n)?;
    let state = match body.get("state") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s == "open" || s == "closed" => Some(s.clone()),
        Some(_) => return Err(Reply::invalid("Issue", "state", "invalid", UPDATE_DOCS)),
    };
    let reason = body.get("state_reason").and_then(Value::as_str).map(str::to_owned);
    let actor = st.bot_login.clone();
    let id = st.id();
    let issue = st.issue_mut(&full, num)?;
    if let Some(state) = state
        && state != issue.state
    {
        let at = now();
        if state == "open" {
            issue.closed_at = None;
            issue.state_reason = Some("reopened".into());
        } else {
            issue.closed_at = Some(at);
            issue.closed_by = Some(actor.clone());
            issue.state_reason = Some(reason.unwrap_or_else(|| "completed".into()));
        }
        let event = if state == "open" { "reopened" } else { "closed" };
        issue.events.push(IssueEventRec {
            id,
            event: event.into(),
            actor,
            assignee: None,
            created_at: at,
        });
        issue.state = state;
        issue.updated_at = at;
    }
    let repo = repo(&st, &owner, &name)?;
    let issue = super::issue(repo, &n)?;
    Ok(Reply::json(StatusCode::OK, objects(&st).issue(repo, issue)))
}

pub(super) async fn list_issue_events(
    State(shared): State<Shared>,
    Path((owner, name, n)): Path<(String, String, String)>,
    uri: Uri,
    RawQuery(raw): RawQuery,
) -> Answer {
    let st = shared.lock();
    let repo = repo(&st, &owner, &name)?;
    let issue = issue(repo, &n)?;
    let o = objects(&st);
    let api = st.public_url.trim_end_matches('/');
    let items = issue.events.iter().map(|e| {
            let mut v = json!({
                "id": e.id,
                "node_id": format!("IE_kwDO{:08}", e.id),
                "url": format!("{api}/repos/{}/{}/issues/events/{}", seg(&repo.owner), seg(&repo.name), e.id),
                "actor": o.user(&e.actor),
                "event": e.event,
                "commit_id": null,
                "commit_url": null,
                "created_at": iso(e.created_at),
                "performed_via_github_app": null
            });
            if let Some(a) = &e.assignee {
                v["assignee"] = o.user(a);
                v["assigner"] = o.user(&e.actor);
            }
            (e.created_at, v)
        });
    // The label changes people and apps made (`labeled-issue-event` / `unlabeled-issue-event`),
    // interleaved with the other events by time, oldest first, as GitHub lists them.
    let labels = issue.label_events.iter().enumerate().map(|(i, e)| {
        let id = issue.number * 1_000 + i as u64 + 1;
        let color = repo.label(&e.label).map_or("ededed".to_owned(), |l| l.color.clone());
        let v = json!({
            "id": id,
            "node_id": format!("LE_kwDO{id:08}"),
            "url": format!("{api}/repos/{}/{}/issues/events/{id}", seg(&repo.owner), seg(&repo.name)),
            "actor": o.user(&e.actor),
            "event": e.action,
            "commit_id": null,
            "commit_url": null,
            "created_at": iso(e.created_at),
            "performed_via_github_app": null,
            "label": {"name": e.label, "color": color}
        });
        (e.created_at, v)
    });
    let mut all: Vec<_> = items.chain(labels).collect();
    all.sort_by_key(|(at, _)| *at);
    let items = all.into_iter().map(|(_, v)| v).collect();
    Ok(list(items, &st.public_url, &uri, raw.as_deref()))
}

/// `content-directory`: the files directly under `dir` at `git_ref`, or `None` when there are none.
pub(super) fn directory(
    st: &crate::state::State,
    repo: &crate::state::Repo,
    candidates: &[String],
    dir: &str,
) -> Option<Value> {
    let prefix = format!("{}/", dir.trim_end_matches('/'));
    let (git_ref, files): (&String, Vec<(&String, &String)>) = candidates.iter().find_map(|r| {
        let files: Vec<(&String, &String)> = repo
            .contents
            .iter()
            .filter(|((fr, p), _)| {
                fr == r && p.strip_prefix(&prefix).is_some_and(|rest| !rest.contains('/'))
            })
            .map(|((_, p), t)| (p, t))
            .collect();
        (!files.is_empty()).then_some((r, files))
    })?;
    let api = st.public_url.trim_end_matches('/');
    let r = format!("{api}/repos/{}/{}", seg(&repo.owner), seg(&repo.name));
    let h = format!("https://github.com/{}/{}", seg(&repo.owner), seg(&repo.name));
    let entries: Vec<Value> = files
        .into_iter()
        .map(|(p, text)| {
            let sha = fake_sha(&format!("blob {text}"));
            let name = p.rsplit('/').next().unwrap_or(p);
            let self_url = format!("{r}/contents/{p}?ref={}", seg(git_ref));
            let git_url = format!("{r}/git/blobs/{sha}");
            let html_url = format!("{h}/blob/{}/{p}", seg(git_ref));
            json!({
                "type": "file",
                "size": text.len(),
                "name": name,
                "path": p,
                "sha": sha,
                "url": self_url,
                "git_url": git_url,
                "html_url": html_url,
                "download_url": format!("https://raw.githubusercontent.com/{}/{}/{}/{p}", seg(&repo.owner), seg(&repo.name), seg(git_ref)),
                "_links": {"self": self_url, "git": git_url, "html": html_url}
            })
        })
        .collect();
    Some(Value::Array(entries))
}

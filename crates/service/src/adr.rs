//! ADR proposals announced as GitHub Discussions: a pull request that adds `NNNN-*.md` under one
//! of `adr.dirs` (or an open issue labelled `adr.label`, the `adr-change` template's) is announced
//! once in the repository and category of `adr.discussions`, and the pull request's summary links
//! the Discussion.
//!
//! Once: the Discussion is remembered in the store (table `adr_discussions`) in the same
//! transaction as its `adr_proposed` notification rows, and later events find it there. A crash
//! between GitHub creating the Discussion and that commit is covered by a marker in the
//! Discussion's body (`<!-- plasma-ops:adr:owner/repo#N -->`): before creating one, the newest
//! Discussions of the repository are searched for the marker, and one found is remembered
//! instead of making another. Two replicas reconciling the same pull request at the same moment
//! cannot happen: the job queue runs one job per key at a time.
//!
//! GitHub answers a missing `discussions: write` permission with a misleading "not found" or
//! "Resource not accessible by integration"; that, a missing category and Discussions turned off
//! are written on the summary and in the log with what to do.

use plasma_config::Config;
use plasma_github::GitHubClient;
use plasma_github::client::{DiscussionPlace, DiscussionRef, explain_discussion_error};
use plasma_notify::message;
use plasma_policy::PrSnapshot;
use plasma_policy::plan::{CurrentState, Decision, Write};
use plasma_policy::snapshot::{IssueSnapshot, PrState};
use plasma_store::AdrDiscussion;
use tracing::{info, warn};

use crate::app::App;

/// What became of a proposal's announcement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Announcement {
    /// The Discussion (made now, found by its marker, or remembered).
    Linked(AdrDiscussion),
    /// It could not be made; why, and what to do.
    Failed(String),
    /// A dry run: nothing is made.
    DryRun,
}

/// A proposal: the pull request or issue, and the ADR it proposes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal {
    /// `owner/name`.
    pub repo: String,
    /// Pull request or issue number.
    pub number: u64,
    /// Its title.
    pub title: String,
    /// The ADR file, or the issue's title.
    pub adr: String,
    /// A pull request (else an issue).
    pub pull: bool,
}

impl Proposal {
    fn marker(&self) -> String {
        format!("<!-- plasma-ops:adr:{}#{} -->", self.repo, self.number)
    }

    fn url(&self) -> String {
        let kind = if self.pull { "pull" } else { "issues" };
        format!("https://github.com/{}/{kind}/{}", self.repo, self.number)
    }

    /// The Discussion's title and body.
    pub fn discussion(&self) -> (String, String) {
        let title = format!("ADR proposal: {} ({}#{})", self.adr, self.repo, self.number);
        let body = format!(
            "{}\n**{}#{}** proposes an architecture decision: **{}**.\n\n\
             - Proposal: {}\n- ADR: `{}`\n\n\
             Discuss the decision here; the proposal's review happens on the {}.\n",
            self.marker(),
            self.repo,
            self.number,
            self.title,
            self.url(),
            self.adr,
            if self.pull { "pull request" } else { "issue" },
        );
        (title, body)
    }
}

/// The proposal a pull request makes: an open pull request adding an ADR file.
pub fn pull_proposal(config: &Config, pr: &PrSnapshot) -> Option<Proposal> {
    if pr.state != PrState::Open {
        return None;
    }
    let adr = pr
        .files
        .iter()
        .flatten()
        .filter(|f| f.status == "added")
        .find_map(|f| config.adr.proposal_file(&f.path))?;
    Some(Proposal {
        repo: pr.repository.clone(),
        number: pr.number,
        title: pr.title.clone(),
        adr: adr.to_string(),
        pull: true,
    })
}

/// The proposal an issue makes: an open issue carrying `adr.label`.
pub fn issue_proposal(config: &Config, issue: &IssueSnapshot) -> Option<Proposal> {
    let labelled = issue.labels.iter().any(|l| l.eq_ignore_ascii_case(&config.adr.label));
    if issue.state != PrState::Open || !labelled {
        return None;
    }
    Some(Proposal {
        repo: issue.repository.clone(),
        number: issue.number,
        title: issue.title.clone(),
        adr: issue.title.clone(),
        pull: false,
    })
}

/// Announces `proposal` unless it was announced before; `None` when announcements are not
/// configured (`adr.discussions`).
pub async fn announce(
    app: &App,
    gh: &GitHubClient,
    config: &Config,
    proposal: &Proposal,
) -> Option<Announcement> {
    let place = config.adr.discussions.as_ref()?;
    let number = i64::try_from(proposal.number).unwrap_or(i64::MAX);
    match app.store.adr_discussion(&proposal.repo, number).await {
        Ok(Some(d)) => return Some(Announcement::Linked(d)),
        Ok(None) => {}
        Err(e) => {
            warn!(repo = %proposal.repo, number, error = %e, "cannot read the ADR announcement; the next event tries again");
            return Some(Announcement::Failed(format!("the store could not be read ({e})")));
        }
    }
    if app.dry_run() {
        info!(repo = %proposal.repo, number, adr = %proposal.adr, "dry run: the ADR proposal would be announced as a Discussion");
        return Some(Announcement::DryRun);
    }
    let target = place.repo.clone().unwrap_or_else(|| proposal.repo.clone());
    let outcome = match discussion_for(app, gh, &target, &place.category, proposal).await {
        Ok(d) => remember(app, config, proposal, d).await,
        Err(why) => Err(why),
    };
    Some(match outcome {
        Ok(d) => {
            info!(repo = %proposal.repo, number, discussion = %d.discussion_url, "ADR proposal announced");
            Announcement::Linked(d)
        }
        Err(why) => {
            warn!(repo = %proposal.repo, number, target = %target, reason = %why, "ADR proposal not announced");
            Announcement::Failed(why)
        }
    })
}

/// The Discussion for `proposal` in `target`: one made before (its marker) or a new one.
async fn discussion_for(
    app: &App,
    gh: &GitHubClient,
    target: &str,
    category: &str,
    proposal: &Proposal,
) -> Result<DiscussionRef, String> {
    let rc = gh.repo(app.installation_of(target), target).map_err(|e| e.to_string())?;
    let place = rc
        .discussion_place(category, &proposal.marker())
        .await
        .map_err(|e| explain_discussion_error(target, &e))?;
    let (repository_id, category_id) = match place {
        DiscussionPlace::Ready { existing: Some(d), .. } => return Ok(d),
        DiscussionPlace::Ready { repository_id, category_id, existing: None } => {
            (repository_id, category_id)
        }
        DiscussionPlace::NoRepository => {
            return Err(format!(
                "GitHub says it cannot find {target} (it answers so when the App is not installed \
                 there or lacks the `Discussions` permission): install the App on {target} and \
                 give it `Discussions: Read and write`, or set `adr.discussions.repo`"
            ));
        }
        DiscussionPlace::Disabled => {
            return Err(format!(
                "Discussions are turned off in {target}: turn them on (Settings → General → \
                 Features → Discussions) or set `adr.discussions.repo` to a repository that has them"
            ));
        }
        DiscussionPlace::NoCategory { categories } => {
            let known = if categories.is_empty() {
                "it has none".to_string()
            } else {
                format!("it has {}", categories.join(", "))
            };
            return Err(format!(
                "{target} has no Discussion category named `{category}` ({known}): create it or \
                 set `adr.discussions.category` to one of them"
            ));
        }
    };
    let (title, body) = proposal.discussion();
    rc.create_discussion(&repository_id, &category_id, &title, &body)
        .await
        .map_err(|e| explain_discussion_error(target, &e))
}

/// Remembers the Discussion with its `adr_proposed` notifications, in one transaction; the one
/// remembered already wins.
async fn remember(
    app: &App,
    config: &Config,
    proposal: &Proposal,
    d: DiscussionRef,
) -> Result<AdrDiscussion, String> {
    let row = AdrDiscussion {
        repo: proposal.repo.clone(),
        number: i64::try_from(proposal.number).unwrap_or(i64::MAX),
        adr: proposal.adr.clone(),
        discussion_id: d.id.clone(),
        discussion_url: d.url.clone(),
        created_at: d.created_at.as_millisecond(),
    };
    let m = message::adr_proposed(
        &proposal.repo,
        proposal.number,
        &proposal.title,
        &proposal.adr,
        &d.url,
        &d.created_at.to_string(),
    );
    let notes = message::plan(&config.notifications, &m, &d.id);
    let (kept, enqueued) = app
        .store
        .record_adr_discussion(&row, &notes, app.now())
        .await
        .map_err(|e| format!("the Discussion {} was made but cannot be remembered ({e}); the next event finds it by its marker", d.url))?;
    if enqueued > 0 {
        app.notify.notify_waiters();
    }
    Ok(kept)
}

/// The summary's section about the announcement.
pub fn summary_section(a: &Announcement, proposal: &Proposal) -> Option<String> {
    match a {
        Announcement::Linked(d) => Some(format!(
            "\n#### ADR proposal\n\n`{}` is announced for discussion: {}\n",
            proposal.adr, d.discussion_url
        )),
        Announcement::Failed(why) => Some(format!(
            "\n#### ADR proposal\n\n⚠️ `{}` could not be announced as a GitHub Discussion: {}\n",
            proposal.adr,
            why.replace('\n', " ")
        )),
        Announcement::DryRun => None,
    }
}

/// Adds `section` to the pull request's summary in `decision` (its verdict and the sticky
/// comment's write), keeping the comment untouched when it already reads so.
pub fn add_to_summary(decision: &mut Decision, current: &CurrentState, section: &str) {
    let Some(v) = decision.verdict.as_mut() else { return };
    if !v.summary.ends_with('\n') {
        v.summary.push('\n');
    }
    v.summary.push_str(section);
    let body = v.summary.clone();
    let sticky = decision
        .plan
        .writes
        .iter()
        .position(|w| matches!(w, Write::CreateComment { .. } | Write::UpdateComment { .. }));
    let wanted = match &current.sticky_comment {
        Some((id, old)) if *old != body => Some(Write::UpdateComment { id: *id, body }),
        Some(_) => None,
        None => Some(Write::CreateComment { body }),
    };
    match (sticky, wanted) {
        (Some(i), Some(w)) => decision.plan.writes[i] = w,
        (Some(i), None) => {
            decision.plan.writes.remove(i);
        }
        (None, Some(w)) => {
            // Where `plan` puts the summary: after the label writes, before the status.
            let at = decision
                .plan
                .writes
                .iter()
                .position(|w| matches!(w, Write::SetStatus { .. } | Write::RequestRereview { .. }))
                .unwrap_or(decision.plan.writes.len());
            decision.plan.writes.insert(at, w);
        }
        (None, None) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plasma_policy::plan::Plan;

    fn pr(files: serde_json::Value, state: &str) -> PrSnapshot {
        serde_json::from_value(serde_json::json!({
            "repository": "o/r", "number": 5, "title": "ADR: cache", "state": state,
            "author": {"login": "bob"}, "base": {"ref": "main", "sha": "b"},
            "head": {"ref": "r/PE-5-adr", "sha": "h"}, "files": files
        }))
        .unwrap_or_else(|e| panic!("{e}"))
    }

    fn file(path: &str, status: &str) -> serde_json::Value {
        serde_json::json!({"path": path, "status": status, "additions": 1, "deletions": 0})
    }

    #[test]
    fn an_added_numbered_adr_file_is_a_proposal_and_other_changes_are_not() {
        let c = Config::default();
        let added = pr(
            serde_json::json!([
                file("src/a.rs", "modified"),
                file("docs/adr/0007-cache.md", "added")
            ]),
            "open",
        );
        let p = pull_proposal(&c, &added).unwrap_or_else(|| panic!("a proposal"));
        assert_eq!((p.adr.as_str(), p.number, p.pull), ("docs/adr/0007-cache.md", 5, true));
        let modified = pr(serde_json::json!([file("docs/adr/0007-cache.md", "modified")]), "open");
        assert!(pull_proposal(&c, &modified).is_none());
        let closed = pr(serde_json::json!([file("docs/adr/0007-cache.md", "added")]), "closed");
        assert!(pull_proposal(&c, &closed).is_none());
        let unknown = pr(serde_json::Value::Null, "open");
        assert!(pull_proposal(&c, &unknown).is_none());
    }

    #[test]
    fn the_discussion_carries_the_marker_and_links_the_proposal() {
        let p = Proposal {
            repo: "o/r".into(),
            number: 5,
            title: "ADR: cache".into(),
            adr: "docs/adr/0007-cache.md".into(),
            pull: true,
        };
        let (title, body) = p.discussion();
        assert_eq!(title, "ADR proposal: docs/adr/0007-cache.md (o/r#5)");
        assert!(body.starts_with("<!-- plasma-ops:adr:o/r#5 -->\n"), "{body}");
        assert!(body.contains("https://github.com/o/r/pull/5"), "{body}");
        let issue = Proposal { pull: false, ..p.clone() };
        assert!(issue.discussion().1.contains("https://github.com/o/r/issues/5"));
        let failed =
            summary_section(&Announcement::Failed("no\ncategory".into()), &p).unwrap_or_default();
        assert!(failed.contains("⚠️") && failed.contains("no category"), "{failed}");
        assert_eq!(summary_section(&Announcement::DryRun, &p), None);
    }

    fn decision(summary: &str, writes: Vec<Write>) -> Decision {
        let pr = pr(serde_json::json!([]), "open");
        let policy = plasma_policy::Policy::process_default().unwrap_or_else(|e| panic!("{e:?}"));
        let mut d = plasma_policy::plan::decide(
            &pr,
            &CurrentState::default(),
            &plasma_policy::plan::Memory::default(),
            &policy,
            &plasma_policy::plan::PlanOptions::default(),
        );
        if let Some(v) = d.verdict.as_mut() {
            v.summary = summary.to_string();
        }
        d.plan = Plan { writes };
        d
    }

    #[test]
    fn the_section_joins_the_sticky_summary_once() {
        let status = Write::SetStatus {
            sha: "h".into(),
            context: "c".into(),
            state: "success".into(),
            description: "d".into(),
        };
        // No comment yet: the summary with the section is created before the status.
        let mut d = decision("S\n", vec![status.clone()]);
        add_to_summary(&mut d, &CurrentState::default(), "X\n");
        assert_eq!(d.plan.writes[0], Write::CreateComment { body: "S\nX\n".into() });
        assert_eq!(d.plan.writes[1], status);
        // The comment already reads so: the plan's update goes.
        let current =
            CurrentState { sticky_comment: Some((9, "S\nX\n".into())), ..Default::default() };
        let mut d = decision("S", vec![Write::UpdateComment { id: 9, body: "S".into() }]);
        add_to_summary(&mut d, &current, "X\n");
        assert!(d.plan.writes.is_empty(), "{:?}", d.plan.writes);
        // An old comment is brought up to date.
        let current =
            CurrentState { sticky_comment: Some((9, "old".into())), ..Default::default() };
        let mut d = decision("S\n", vec![Write::UpdateComment { id: 9, body: "S\n".into() }]);
        add_to_summary(&mut d, &current, "X\n");
        assert_eq!(d.plan.writes, [Write::UpdateComment { id: 9, body: "S\nX\n".into() }]);
    }
}

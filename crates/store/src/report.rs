//! What the weekly report reads (issue 13): the facts of the deliveries (kept in `report_facts`
//! after retention prunes a delivery, and read straight from deliveries not harvested yet), the
//! incidents, the deployments with their statuses and pull requests, and the last verdict of
//! each open pull request. Every time is GitHub's; a delivery's arrival time only narrows which
//! rows are read. Written once against [`Conn`], like the queue, for both databases.

use std::collections::{BTreeMap, BTreeSet};

use plasma_report::facts::{self, Fact};
use plasma_report::{Deployment, Incident, ReportInput, Scope, Waiting};

use crate::error::StoreError;
use crate::exec::{Backend, Commit, Conn, Param};
use crate::rows::{StoreRow, to_u64};
use crate::types::Timestamp;

/// The report's reads and the harvest of facts; implemented by every [`crate::Store`].
#[async_trait::async_trait]
pub trait ReportStore: Send + Sync {
    /// The report's input for `scope` from GitHub time `since` on (facts of pull requests,
    /// boards and tags; incidents; deployments), with `production` naming the production
    /// environments (a deployment whose change was recorded is production whatever its name).
    async fn report_input(
        &self,
        scope: &Scope,
        since: Timestamp,
        production: &[String],
    ) -> Result<ReportInput, StoreError>;

    /// Reduces up to `limit` deliveries received before `received_before` and not harvested yet
    /// to their facts, kept after the delivery is pruned. Returns how many were harvested;
    /// harvesting a delivery twice writes nothing new.
    async fn harvest_report_facts(
        &self,
        received_before: Timestamp,
        limit: u32,
    ) -> Result<u64, StoreError>;
}

const SELECT_FACTS: &str = "SELECT facts FROM report_facts WHERE at >= $1";
const SELECT_UNHARVESTED: &str = "SELECT d.id, d.event, d.body FROM deliveries d \
     WHERE d.event IN ('pull_request', 'pull_request_review', 'projects_v2_item', 'release', 'push') \
     AND d.received_at >= $1 \
     AND NOT EXISTS (SELECT 1 FROM report_facts f WHERE f.delivery_id = d.id)";
const SELECT_TO_HARVEST: &str = "SELECT d.id, d.event, d.body FROM deliveries d \
     WHERE d.event IN ('pull_request', 'pull_request_review', 'projects_v2_item', 'release', 'push') \
     AND d.received_at < $1 \
     AND NOT EXISTS (SELECT 1 FROM report_facts f WHERE f.delivery_id = d.id) \
     ORDER BY d.received_at, d.id LIMIT $2";
const INSERT_FACTS: &str = "INSERT INTO report_facts (delivery_id, repository, org, at, facts) \
     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (delivery_id) DO NOTHING";
const SELECT_INCIDENTS: &str = "SELECT repo, number, title, state, opened_at, acknowledged_at, \
     resolved_at, postmortem FROM incidents WHERE opened_at >= $1 OR resolved_at >= $1";
const SELECT_INCIDENT_REPOS: &str = "SELECT DISTINCT repo FROM incidents";
const SELECT_DEPLOYMENTS: &str = "SELECT repository, id, environment, sha, created_at \
     FROM deployments WHERE created_at >= $1";
const SELECT_STATUSES: &str = "SELECT s.repository, s.deployment_id, s.state, s.created_at \
     FROM deployment_statuses s JOIN deployments d \
     ON d.repository = s.repository AND d.id = s.deployment_id \
     WHERE d.created_at >= $1 ORDER BY s.created_at, s.id";
const SELECT_CHANGES: &str = "SELECT c.repository, c.deployment_id FROM deployment_changes c \
     JOIN deployments d ON d.repository = c.repository AND d.id = c.deployment_id \
     WHERE d.created_at >= $1";
const SELECT_PULLS: &str = "SELECT p.repository, p.deployment_id, p.number \
     FROM deployment_pulls p JOIN deployments d \
     ON d.repository = p.repository AND d.id = p.deployment_id \
     WHERE d.created_at >= $1 ORDER BY p.number";
const SELECT_WAITING: &str = "SELECT repository, number, title, state, first_blocker, \
     first_seen_at FROM pr_verdicts WHERE open = $1 AND state <> 'ready'";

fn in_scope(scope: &Scope, repo: Option<&str>, org: Option<&str>) -> bool {
    match scope {
        Scope::All => true,
        Scope::Repo(r) => repo.is_some_and(|x| x.eq_ignore_ascii_case(r)),
        Scope::Org(o) => org.is_some_and(|x| x.eq_ignore_ascii_case(o)),
    }
}

fn org_of(repo: &str) -> Option<&str> {
    repo.split_once('/').map(|(o, _)| o)
}

fn repo_in(scope: &Scope, repo: &str) -> bool {
    in_scope(scope, Some(repo), org_of(repo))
}

/// A board move is in a repository's scope when the project belongs to its owner.
fn board_in(scope: &Scope, org: Option<&str>) -> bool {
    match scope {
        Scope::Repo(r) => org.is_some_and(|o| org_of(r).is_some_and(|x| x.eq_ignore_ascii_case(o))),
        other => in_scope(other, None, org),
    }
}

fn stored_facts(json: &str) -> Vec<Fact> {
    // A row this version cannot read (written by a newer one) is skipped, not fatal.
    serde_json::from_str(json).unwrap_or_default()
}

#[async_trait::async_trait]
impl<B: Backend> ReportStore for B {
    async fn report_input(
        &self,
        scope: &Scope,
        since: Timestamp,
        production: &[String],
    ) -> Result<ReportInput, StoreError> {
        const OP: &str = "read the weekly report's input";
        let mut conn = self.read(OP).await?;
        let at = [Param::Int(since)];
        let mut all: Vec<Fact> = Vec::new();
        for row in conn.fetch_all(SELECT_FACTS, &at, OP).await? {
            all.extend(stored_facts(&row.text("facts", OP)?));
        }
        // Deliveries not harvested yet: a day of slack, as a delivery may arrive after the
        // event it reports (the facts' own times decide the week).
        let slack = [Param::Int(since.saturating_sub(86_400_000))];
        for row in conn.fetch_all(SELECT_UNHARVESTED, &slack, OP).await? {
            all.extend(facts::extract(&row.text("event", OP)?, &row.bytes("body", OP)?));
        }
        let facts: Vec<Fact> = all
            .into_iter()
            .filter(|f| match f {
                Fact::Board { org, .. } => board_in(scope, Some(org)),
                other => in_scope(scope, other.repo(), other.org()),
            })
            .collect();
        let assembled = facts::assemble(&facts);

        let mut incidents = Vec::new();
        for r in conn.fetch_all(SELECT_INCIDENTS, &at, OP).await? {
            let repo = r.text("repo", OP)?;
            if !repo_in(scope, &repo) {
                continue;
            }
            let resolved = r.text("state", OP)? == "resolved";
            incidents.push(Incident {
                number: to_u64(r.int("number", OP)?, "incident number")?,
                title: r.text("title", OP)?,
                opened_at: r.int("opened_at", OP)?,
                acknowledged_at: r.opt_int("acknowledged_at", OP)?,
                resolved_at: if resolved { r.opt_int("resolved_at", OP)? } else { None },
                postmortem: r.opt_text("postmortem", OP)?.is_some_and(|p| !p.trim().is_empty()),
                repo,
            });
        }
        let mut incidents_recorded = false;
        for r in conn.fetch_all(SELECT_INCIDENT_REPOS, &[], OP).await? {
            incidents_recorded |= repo_in(scope, &r.text("repo", OP)?);
        }

        let mut deployments: BTreeMap<(String, i64), Deployment> = BTreeMap::new();
        for r in conn.fetch_all(SELECT_DEPLOYMENTS, &at, OP).await? {
            let repo = r.text("repository", OP)?;
            if !repo_in(scope, &repo) {
                continue;
            }
            let id = r.int("id", OP)?;
            let environment = r.text("environment", OP)?;
            let d = Deployment {
                production: production.iter().any(|p| p.eq_ignore_ascii_case(&environment)),
                repo: repo.clone(),
                id,
                environment,
                sha: r.text("sha", OP)?,
                created_at: r.int("created_at", OP)?,
                ..Deployment::default()
            };
            deployments.insert((repo, id), d);
        }
        for r in conn.fetch_all(SELECT_STATUSES, &at, OP).await? {
            let key = (r.text("repository", OP)?, r.int("deployment_id", OP)?);
            if let Some(d) = deployments.get_mut(&key) {
                let at = r.int("created_at", OP)?;
                match r.text("state", OP)?.as_str() {
                    "success" => d.succeeded_at = Some(d.succeeded_at.map_or(at, |s| s.min(at))),
                    "failure" | "error" => d.failed = true,
                    _ => {}
                }
            }
        }
        for r in conn.fetch_all(SELECT_CHANGES, &at, OP).await? {
            let key = (r.text("repository", OP)?, r.int("deployment_id", OP)?);
            if let Some(d) = deployments.get_mut(&key) {
                d.production = true;
            }
        }
        for r in conn.fetch_all(SELECT_PULLS, &at, OP).await? {
            let key = (r.text("repository", OP)?, r.int("deployment_id", OP)?);
            if let Some(d) = deployments.get_mut(&key) {
                d.pulls.push(to_u64(r.int("number", OP)?, "pull request number")?);
            }
        }

        let opened: BTreeMap<(&str, u64), i64> = assembled
            .pulls
            .iter()
            .filter_map(|p| p.opened_at.map(|o| ((p.repo.as_str(), p.number), o)))
            .collect();
        let mut waiting = Vec::new();
        for r in conn.fetch_all(SELECT_WAITING, &[Param::Bool(true)], OP).await? {
            let repo = r.text("repository", OP)?;
            if !repo_in(scope, &repo) {
                continue;
            }
            let number = to_u64(r.int("number", OP)?, "pull request number")?;
            let first_seen = r.int("first_seen_at", OP)?;
            let since = opened.get(&(repo.as_str(), number)).copied().unwrap_or(first_seen);
            let state = r.text("state", OP)?;
            let blocker =
                r.opt_text("first_blocker", OP)?.unwrap_or_else(|| state.replace('_', " "));
            waiting.push(Waiting { title: r.text("title", OP)?, repo, number, since, blocker });
        }

        let board_seen = facts.iter().any(|f| matches!(f, Fact::Board { .. }));
        Ok(ReportInput {
            pulls: assembled.pulls,
            waiting,
            board: board_seen.then_some(assembled.board),
            incidents,
            incidents_recorded,
            tags: assembled.tags,
            deployments: deployments.into_values().collect(),
        })
    }

    async fn harvest_report_facts(
        &self,
        received_before: Timestamp,
        limit: u32,
    ) -> Result<u64, StoreError> {
        const OP: &str = "harvest the weekly report's facts";
        let mut tx = self.write(OP).await?;
        let params = [Param::Int(received_before), Param::Int(i64::from(limit))];
        let rows = tx.fetch_all(SELECT_TO_HARVEST, &params, OP).await?;
        let mut n = 0u64;
        for row in rows {
            let id = row.text("id", OP)?;
            let found = facts::extract(&row.text("event", OP)?, &row.bytes("body", OP)?);
            let repos: BTreeSet<&str> = found.iter().filter_map(Fact::repo).collect();
            let orgs: BTreeSet<&str> = found.iter().filter_map(Fact::org).collect();
            let at = found.iter().map(Fact::at).max().unwrap_or(0);
            let json = serde_json::to_string(&found).unwrap_or_else(|_| "[]".to_string());
            let params = [
                Param::Text(&id),
                Param::OptText(repos.first().copied()),
                Param::OptText(orgs.first().copied()),
                Param::Int(at),
                Param::Text(&json),
            ];
            n += tx.execute(INSERT_FACTS, &params, OP).await?;
        }
        tx.commit(OP).await?;
        Ok(n)
    }
}

//! Repository labels, listed once per repository at a time and created once per label whatever
//! the number of workers or replicas.
//!
//! Four workers reconciling four pull requests of one repository at the same moment would each
//! list the labels, each find `status:needs-coderabbit-review` missing and each create it: one
//! creation and three `422 already_exists`. Here:
//!
//! - a listing is single-flight per repository: askers that arrive while one is in flight take
//!   its answer (it is conditional, so an unchanged list is a free 304);
//! - a planned creation goes through [`LabelRegistry::ensure`], under the repository's lock in
//!   this process and a claim on (repository, label) in the store across replicas: the claim's
//!   holder creates the label and marks it ensured; everyone else finds it claimed (and waits for
//!   the holder) or ensured (and skips it). A `422 already_exists` is then never planned: it can
//!   only come from a person creating the label in the same instant, and still counts as done.
//! - "ensured" is trusted only against listings that may predate it: a listing made well after
//!   the label was ensured that lacks it means someone deleted it, and it is created again.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use plasma_github::client::LabelOutcome;
use plasma_github::{GitHubClient, Outcome};
use plasma_store::LabelClaim;

use crate::app::App;
use crate::reconcile::ReconcileError;

/// How long a claim on a label's creation lasts: one POST, retried a few times.
const CLAIM_FOR: Duration = Duration::from_secs(30);
/// How long another worker's claim is waited for before the job is retried.
const WAIT_AT_MOST: Duration = Duration::from_secs(60);
/// Listings that started less than this after a label was ensured may predate the creation
/// (clocks of replicas differ by milliseconds; GitHub's own lists settle within seconds).
const STALE_MARGIN_MS: i64 = 5_000;
/// Repositories kept, at most.
const MAX_REPOS: usize = 20_000;
/// A listing this young is reused rather than revalidated: a sweep reconciles every pull request
/// of a repository within it, and the labels we created since are added to it, so the sweep lists
/// once (a revalidation right after our own creation would be a charged 200). A label a person
/// deletes within it is seen by the next listing.
const LISTING_REUSED_MS: i64 = 5 * 60 * 1000;

/// One label to create (what the plan's `CreateLabel` says).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLabel {
    /// Name.
    pub name: String,
    /// Colour, hex without `#`.
    pub color: String,
    /// Description.
    pub description: String,
}

/// The repository's labels as one listing found them.
#[derive(Debug, Clone)]
pub struct Listing {
    /// Label names.
    pub names: Vec<String>,
    /// When the listing started (service clock, Unix ms): what is ensured is judged against it.
    pub started_at: i64,
    /// The registry's sequence number when it finished.
    done_seq: u64,
}

#[derive(Default)]
struct RepoLabels {
    listing: Option<Listing>,
    /// Labels known to exist since (service clock): created here or found ensured in the store.
    ensured: HashMap<String, i64>,
}

/// The registry; one per process.
pub struct LabelRegistry {
    repos: Mutex<HashMap<String, Arc<tokio::sync::Mutex<RepoLabels>>>>,
    seq: AtomicU64,
    /// Who claims labels in the store: unique per process.
    holder: String,
}

impl Default for LabelRegistry {
    fn default() -> Self {
        let holder = format!("{}-{}", std::process::id(), rand::random::<u32>());
        LabelRegistry { repos: Mutex::default(), seq: AtomicU64::new(0), holder }
    }
}

impl LabelRegistry {
    fn slot(&self, repo: &str) -> Arc<tokio::sync::Mutex<RepoLabels>> {
        let mut repos = self.repos.lock().unwrap_or_else(|e| e.into_inner());
        if repos.len() >= MAX_REPOS && !repos.contains_key(repo) {
            repos.clear();
        }
        Arc::clone(repos.entry(repo.to_string()).or_default())
    }

    /// The repository's labels, from a listing that finished after this call began (its own, or
    /// the one in flight when it arrived) or started less than [`LISTING_REUSED_MS`] ago, with the
    /// labels created here since.
    pub async fn list(
        &self,
        app: &App,
        gh: &GitHubClient,
        inst: Option<u64>,
        repo: &str,
    ) -> Result<Listing, ReconcileError> {
        let asked = self.seq.fetch_add(1, Ordering::SeqCst);
        let slot = self.slot(repo);
        let mut labels = slot.lock().await;
        if let Some(l) = &labels.listing
            && (l.done_seq > asked || app.now().saturating_sub(l.started_at) < LISTING_REUSED_MS)
        {
            return Ok(l.clone());
        }
        let started_at = app.now();
        let names = gh.repo(inst, repo)?.list_labels().await?.into_iter().map(|l| l.name).collect();
        let done_seq = self.seq.fetch_add(1, Ordering::SeqCst);
        let listing = Listing { names, started_at, done_seq };
        labels.listing = Some(listing.clone());
        Ok(listing)
    }

    /// Creates the labels a plan asked for that nobody created since `listed_at` (when the listing
    /// the plan was made from started). Returns what became of each, in order; stops at the first
    /// error.
    pub async fn ensure(
        &self,
        app: &App,
        gh: &GitHubClient,
        inst: Option<u64>,
        repo: &str,
        wanted: &[NewLabel],
        listed_at: i64,
    ) -> Result<Vec<(NewLabel, Outcome)>, ReconcileError> {
        let slot = self.slot(repo);
        let mut labels = slot.lock().await;
        let rc = gh.repo(inst, repo)?;
        let stale_before = listed_at.saturating_sub(STALE_MARGIN_MS);
        let mut out = Vec::with_capacity(wanted.len());
        for label in wanted {
            if labels.ensured.get(&label.name).is_some_and(|at| *at >= stale_before) {
                out.push((label.clone(), Outcome::AlreadyInPlace));
                continue;
            }
            let (outcome, at) = self.create_once(app, &rc, repo, label, stale_before).await?;
            labels.ensured.insert(label.name.clone(), at);
            if let Some(l) = labels.listing.as_mut()
                && !l.names.contains(&label.name)
            {
                l.names.push(label.name.clone());
            }
            out.push((label.clone(), outcome));
        }
        Ok(out)
    }

    /// One label: claim it in the store, create it if the claim is ours, else wait for whoever
    /// holds it or take that it is ensured.
    async fn create_once(
        &self,
        app: &App,
        rc: &plasma_github::RepoClient,
        repo: &str,
        label: &NewLabel,
        stale_before: i64,
    ) -> Result<(Outcome, i64), ReconcileError> {
        let claim_ms = i64::try_from(CLAIM_FOR.as_millis()).unwrap_or(i64::MAX);
        let give_up =
            app.now().saturating_add(i64::try_from(WAIT_AT_MOST.as_millis()).unwrap_or(0));
        loop {
            let now = app.now();
            let claim = app
                .store
                .claim_label(repo, &label.name, &self.holder, now + claim_ms, stale_before, now)
                .await?;
            match claim {
                LabelClaim::Ensured { at } => return Ok((Outcome::AlreadyInPlace, at)),
                LabelClaim::Mine => {
                    let created =
                        rc.create_label(&label.name, &label.color, &label.description).await;
                    let outcome = match created {
                        Ok(LabelOutcome::Created) => Outcome::Done { id: None },
                        Ok(LabelOutcome::AlreadyExists) => {
                            tracing::warn!(
                                repo,
                                label = %label.name,
                                "label created by someone else in the same instant; taken as done"
                            );
                            Outcome::AlreadyInPlace
                        }
                        Err(e) => {
                            let _ = app.store.release_label(repo, &label.name, &self.holder).await;
                            return Err(e.into());
                        }
                    };
                    let at = app.now();
                    app.store.label_ensured(repo, &label.name, &self.holder, at).await?;
                    return Ok((outcome, at));
                }
                LabelClaim::Held { until } => {
                    if now >= give_up {
                        return Err(ReconcileError {
                            message: format!(
                                "the creation of label `{}` in {repo} is claimed by another \
                                 worker that has not finished; retrying",
                                label.name
                            ),
                            retry_after: Some(Duration::from_secs(5)),
                            status: None,
                        });
                    }
                    // The holder makes one POST; look again shortly, never past its lease.
                    let wait = until.saturating_sub(now).clamp(10, 200);
                    tokio::time::sleep(Duration::from_millis(u64::try_from(wait).unwrap_or(200)))
                        .await;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::collections::BTreeMap;

    use plasma_fakehub::FakeHub;
    use plasma_github::{Auth, ClientConfig, Secret};

    use super::*;
    use crate::config::ServiceConfig;

    const REPO: &str = "plasma/engine";

    async fn app(hub: &FakeHub, name: &str) -> (Arc<App>, GitHubClient, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join(format!("{name}.db"));
        let env: BTreeMap<String, String> = [
            ("PLASMA_OPS_DATABASE_URL".to_string(), format!("sqlite://{}", db.display())),
            ("PLASMA_OPS_GITHUB_TOKEN".to_string(), "labels-token".to_string()),
        ]
        .into_iter()
        .collect();
        let cfg = ServiceConfig::load(&env, None).unwrap();
        let store = plasma_store::open(&cfg.database_url).await.unwrap();
        let gh = GitHubClient::new(
            ClientConfig::new(Auth::Token(Secret::new("labels-token"))).base_url(hub.url()),
        )
        .unwrap();
        (App::new(cfg, store, Some(gh.clone()), crate::app::system_clock()), gh, dir)
    }

    fn label(name: &str) -> NewLabel {
        NewLabel { name: name.into(), color: "d73a4a".into(), description: "test".into() }
    }

    fn posts(hub: &FakeHub) -> Vec<u16> {
        hub.requests()
            .iter()
            .filter(|r| r.method == "POST" && r.path.ends_with("/labels"))
            .map(|r| r.status)
            .collect()
    }

    #[tokio::test]
    async fn a_label_is_created_once_and_kept_in_the_listing() {
        let hub = FakeHub::start().await.unwrap();
        hub.add_repo(REPO);
        let (app, gh, _dir) = app(&hub, "once").await;
        let listing = app.labels.list(&app, &gh, None, REPO).await.unwrap();
        assert!(!listing.names.contains(&"x".to_string()));
        let wanted = [label("x"), label("x")];
        let done = app.labels.ensure(&app, &gh, None, REPO, &wanted, listing.started_at).await;
        let outcomes: Vec<Outcome> = done.unwrap().into_iter().map(|(_, o)| o).collect();
        assert_eq!(outcomes, [Outcome::Done { id: None }, Outcome::AlreadyInPlace]);
        assert_eq!(posts(&hub), [201]);
        // The listing is reused, with the label added; GitHub is not asked again.
        hub.reset_requests();
        let again = app.labels.list(&app, &gh, None, REPO).await.unwrap();
        assert!(again.names.contains(&"x".to_string()));
        assert!(hub.requests().is_empty());
    }

    #[tokio::test]
    async fn a_label_a_person_created_meanwhile_is_taken_as_done() {
        let hub = FakeHub::start().await.unwrap();
        hub.add_repo(REPO);
        let (app, gh, _dir) = app(&hub, "person").await;
        let listing = app.labels.list(&app, &gh, None, REPO).await.unwrap();
        assert!(hub.add_repo_label(REPO, "y", "ededed", None));
        let wanted = [label("y")];
        let done = app.labels.ensure(&app, &gh, None, REPO, &wanted, listing.started_at).await;
        assert_eq!(done.unwrap()[0].1, Outcome::AlreadyInPlace);
        assert_eq!(posts(&hub), [422]);
    }

    #[tokio::test]
    async fn another_workers_claim_is_waited_for_and_a_failed_creation_released() {
        let hub = FakeHub::start().await.unwrap();
        hub.add_repo(REPO);
        let (app, gh, _dir) = app(&hub, "claims").await;
        // Another replica claimed "z" and died: its short lease ends, and "z" is created here.
        let now = app.now();
        let claim = app.store.claim_label(REPO, "z", "dead-replica", now + 300, 0, now).await;
        assert_eq!(claim.unwrap(), LabelClaim::Mine);
        let done = app.labels.ensure(&app, &gh, None, REPO, &[label("z")], now).await.unwrap();
        assert_eq!(done[0].1, Outcome::Done { id: None });
        assert_eq!(posts(&hub), [201]);
        // A repository GitHub does not know: the creation fails and the claim is released.
        let err = app.labels.ensure(&app, &gh, None, "plasma/nowhere", &[label("w")], now).await;
        assert_eq!(err.unwrap_err().status, Some(404));
        let now = app.now();
        let next = app.store.claim_label("plasma/nowhere", "w", "next", now + 1_000, 0, now).await;
        assert_eq!(next.unwrap(), LabelClaim::Mine, "released: no wait for the failed lease");
    }
}

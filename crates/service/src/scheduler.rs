//! The sweep: every `sweep_interval`, enqueue every open pull request of every repository we
//! cover, so anything a missed webhook left behind is healed. With ETags an unchanged pull request
//! costs almost no rate limit.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tracing::{debug, info, warn};

use crate::app::App;
use crate::keys::JobKey;

/// Run the sweep until stopped. The first sweep runs shortly after start, to heal what happened
/// while the service was down.
pub async fn run(app: Arc<App>, mut stop: watch::Receiver<bool>) {
    let owner = format!("{}-{}", std::process::id(), rand::random::<u32>());
    let mut wait = Duration::from_secs(5).min(app.cfg.sweep_interval);
    loop {
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            // `installation` and `installation_repositories` events: the covered repositories
            // changed, so look at their pull requests now rather than at the next period.
            _ = app.sweep_now.notified() => {}
            _ = stop.changed() => return,
        }
        if *stop.borrow() {
            return;
        }
        // With several replicas on one database, one of them sweeps each period: a lease on the
        // schedule in the store, not an election protocol of our own.
        match app.store.claim_schedule("sweep", &owner, app.cfg.sweep_interval, app.now()).await {
            Ok(true) => match sweep(&app).await {
                Ok(n) => info!(pull_requests = n, "sweep enqueued open pull requests"),
                Err(e) => warn!(error = %e, "sweep failed; next one at the usual interval"),
            },
            Ok(false) => debug!("another replica sweeps this period"),
            Err(e) => warn!(error = %e, "cannot claim the sweep; trying again next period"),
        }
        wait = app.cfg.sweep_interval;
    }
}

/// One sweep; returns how many jobs (pull requests, and cards of repositories with a board) were
/// enqueued.
pub async fn sweep(app: &App) -> Result<usize, String> {
    let Some(gh) = &app.github else { return Ok(0) };
    let mut targets: Vec<(Option<u64>, String)> =
        app.cfg.repositories.iter().map(|r| (None, r.clone())).collect();
    if gh.is_app() {
        for inst in gh.app_installations().await.map_err(|e| e.to_string())? {
            for r in gh.installation_repositories(Some(inst.id)).await.map_err(|e| e.to_string())? {
                if r.archived {
                    continue;
                }
                app.remember_installation(&r.full_name, inst.id);
                targets.push((Some(inst.id), r.full_name));
            }
        }
    }
    // Dead-lettered jobs stay dead until a person retries them (`plasma-ops jobs --retry`) or a
    // new event about the pull request arrives; the periodic sweep must not quietly revive them.
    let dead: std::collections::HashSet<String> = app
        .store
        .jobs(plasma_store::JobFilter::Dead)
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(|j| j.key)
        .collect();
    let mut n = 0;
    for (inst, repo) in targets {
        let pulls = gh
            .repo(inst, &repo)
            .map_err(|e| e.to_string())?
            .list_open_pulls()
            .await
            .map_err(|e| e.to_string())?;
        for pr in pulls {
            let key = JobKey::Pr { repo: repo.clone(), number: pr.number };
            if dead.contains(&key.to_string()) {
                continue;
            }
            app.store
                .trigger(&key, &plasma_store::Cause::Sweep, app.now())
                .await
                .map_err(|e| e.to_string())?;
            n += 1;
        }
        // Cards too, when the repository has a board: one listing of its open issues (see
        // `board::sweep_repo` for the cost). A board that cannot be read does not stop the sweep.
        match crate::board::sweep_repo(app, inst, &repo, &dead).await {
            Ok(cards) => n += cards,
            Err(e) => warn!(repo, error = %e, "sweep: the board's open issues were not listed"),
        }
    }
    app.notify.notify_waiters();
    Ok(n)
}

//! Retention: processed deliveries older than `keep_deliveries` (7 days by default) and actions
//! older than `keep_actions` (90 days) are deleted once an hour, so a store serving dozens of
//! repositories for months stays the size of its retention window. Deliveries still owed work
//! are never deleted. With several replicas one of them prunes each hour (a schedule lease, as
//! for the sweep).

use std::sync::Arc;
use std::time::Duration;

use plasma_store::{Prunable, Timestamp};
use tokio::sync::watch;
use tracing::{debug, info, warn};

use crate::app::App;
use crate::metrics::PRUNED;

/// How often retention runs.
pub const PERIOD: Duration = Duration::from_secs(3_600);

/// Run retention until stopped; the first pass comes a minute after start, out of the way of the
/// first sweep.
pub async fn run(app: Arc<App>, mut stop: watch::Receiver<bool>) {
    if app.cfg.keep_deliveries.is_none() && app.cfg.keep_actions.is_none() {
        return;
    }
    let owner = format!("{}-{}", std::process::id(), rand::random::<u32>());
    let mut wait = Duration::from_secs(60);
    loop {
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = stop.changed() => return,
        }
        if *stop.borrow() {
            return;
        }
        wait = PERIOD;
        match app.store.claim_schedule("retention", &owner, PERIOD, app.now()).await {
            Ok(true) => {
                if let Err(e) = prune_once(&app).await {
                    warn!(error = %e, "retention failed; trying again next period");
                }
            }
            Ok(false) => debug!("another replica prunes this period"),
            Err(e) => warn!(error = %e, "cannot claim retention; trying again next period"),
        }
    }
}

fn cutoff(now: Timestamp, keep: Duration) -> Timestamp {
    now.saturating_sub(i64::try_from(keep.as_millis()).unwrap_or(i64::MAX))
}

/// One retention pass: deletes what is older than the configured windows. Returns the rows
/// deleted (deliveries, actions).
pub async fn prune_once(app: &App) -> Result<(u64, u64), plasma_store::StoreError> {
    let now = app.now();
    let mut counts = [0u64; 2];
    for (i, (what, keep)) in
        [(Prunable::Deliveries, app.cfg.keep_deliveries), (Prunable::Actions, app.cfg.keep_actions)]
            .into_iter()
            .enumerate()
    {
        let Some(keep) = keep else { continue };
        let n = plasma_store::prune(&*app.store, what, cutoff(now, keep)).await?;
        metrics::counter!(PRUNED, "table" => what.as_str()).increment(n);
        counts[i] = n;
    }
    info!(
        deliveries = counts[0],
        actions = counts[1],
        "retention deleted processed deliveries and actions older than their windows"
    );
    Ok((counts[0], counts[1]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cutoff_saturates() {
        assert_eq!(cutoff(10_000, Duration::from_secs(3)), 7_000);
        assert_eq!(cutoff(0, Duration::from_secs(u64::MAX)), -i64::MAX);
    }
}

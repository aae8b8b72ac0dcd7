//! The incidents' timed check: an incident that nobody owns raises no webhook when its deadline
//! passes, so once a minute (one replica per minute, by a lease on the schedule in the store) every
//! open incident whose deadline has passed and that was not judged since is queued for its
//! reconcile, which adds the finding to its summary and the `unacknowledged` event to the outbox.

use std::sync::Arc;
use std::time::Duration;

use plasma_store::Cause;
use tokio::sync::watch;
use tracing::{debug, info, warn};

use crate::app::App;
use crate::keys::JobKey;

/// How often deadlines are looked at: a deadline is noticed at most this late.
pub const PERIOD: Duration = Duration::from_secs(60);

/// Most incidents queued per check; the rest wait for the next minute.
const BATCH: u32 = 500;

/// The first check runs this soon after start, for deadlines that passed while the service was
/// down.
const FIRST: Duration = Duration::from_secs(2);

/// Runs the check until stopped.
pub async fn run(app: Arc<App>, mut stop: watch::Receiver<bool>) {
    let owner = format!("{}-{}", std::process::id(), rand::random::<u32>());
    let mut wait = FIRST;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = stop.changed() => return,
        }
        if *stop.borrow() {
            return;
        }
        match app.store.claim_schedule("incident-deadlines", &owner, PERIOD, app.now()).await {
            Ok(true) => match check_due(&app).await {
                Ok(0) => {}
                Ok(n) => info!(incidents = n, "queued incidents past their owner deadline"),
                Err(e) => warn!(error = %e, "incident deadline check failed; next one in a minute"),
            },
            Ok(false) => debug!("another replica checks incident deadlines this minute"),
            Err(e) => warn!(error = %e, "cannot claim the incident deadline check"),
        }
        wait = PERIOD;
    }
}

/// Queues every open incident past its deadline not judged since; returns how many.
pub async fn check_due(app: &App) -> Result<usize, plasma_store::StoreError> {
    let due = app.store.incidents_due(app.now(), BATCH).await?;
    for row in &due {
        let Ok(number) = u64::try_from(row.number) else { continue };
        let key = JobKey::Issue { repo: row.repo.clone(), number };
        app.store.trigger(&key, &Cause::Sweep, app.now()).await?;
    }
    if !due.is_empty() {
        app.notify.notify_waiters();
    }
    Ok(due.len())
}

//! A worker: lease a job, keep the lease alive while reconciling, then complete or fail it. The
//! store guarantees one worker per key; a crashed worker's lease expires and another takes over.

use std::sync::Arc;
use std::time::Duration;

use plasma_store::{FailOutcome, Job};
use tokio::sync::watch;
use tracing::{Instrument, error, info, info_span, warn};

use crate::app::App;
use crate::metrics::{DELIVERY_TO_APPLIED, JOB_ATTEMPTS, STORE_UP};
use crate::reconcile;

/// How often an idle worker looks for due retries when nothing wakes it.
const IDLE_POLL: Duration = Duration::from_millis(250);

/// First and longest wait between attempts to reach a store that is down. Doubling from a
/// quarter second reaches the cap in six failures, so a database back after a restart is used
/// again within seconds, while an outage of minutes costs each worker one attempt per 8 s.
const STORE_BACKOFF_MIN: Duration = Duration::from_millis(250);
const STORE_BACKOFF_MAX: Duration = Duration::from_secs(8);

/// Run until `stop` turns true.
pub async fn run(app: Arc<App>, worker: String, mut stop: watch::Receiver<bool>) {
    let mut backoff = STORE_BACKOFF_MIN;
    let mut down_since: Option<std::time::Instant> = None;
    loop {
        if *stop.borrow() {
            return;
        }
        let leased = app.store.lease(&worker, app.cfg.lease, app.now()).await;
        if leased.is_ok() {
            backoff = STORE_BACKOFF_MIN;
            if let Some(since) = down_since.take() {
                metrics::gauge!(STORE_UP).set(1.0);
                info!(worker = %worker, down_s = since.elapsed().as_secs_f64(), "store reachable again; resuming");
            }
        }
        match leased {
            Ok(Some(job)) => run_job(&app, &worker, job).await,
            Ok(None) => {
                let notified = app.notify.notified();
                tokio::select! {
                    _ = notified => {}
                    _ = tokio::time::sleep(IDLE_POLL) => {}
                    _ = stop.changed() => {}
                }
            }
            Err(e) => {
                // The store is unreachable: back off (full jitter, so replicas and workers do not
                // reconnect in lockstep); the lease protocol makes resuming safe. The pool opens
                // fresh connections by itself once the database answers again.
                metrics::gauge!(STORE_UP).set(0.0);
                down_since.get_or_insert_with(std::time::Instant::now);
                let wait = backoff.mul_f64(rand::random::<f64>()).max(STORE_BACKOFF_MIN);
                warn!(worker = %worker, error = %e, retry_in_ms = wait.as_millis() as u64, "cannot lease a job; retrying");
                backoff = (backoff * 2).min(STORE_BACKOFF_MAX);
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = stop.changed() => {}
                }
            }
        }
    }
}

async fn run_job(app: &Arc<App>, worker: &str, job: Job) {
    let delivery_id = reconcile::cause(&job).unwrap_or_else(|| "sweep".into());
    let span = info_span!("job", job_id = job.id, job_key = %job.key, attempt = job.attempt, %delivery_id, worker);
    // In the trace of the delivery that caused it, whichever replica enqueued it.
    let causes: Vec<&str> =
        job.causes.iter().filter_map(plasma_store::Cause::delivery_id).collect();
    crate::telemetry::job_started(&span, causes.first().copied(), &job.key.to_string(), &causes);
    async {
        // Every lease counts as an attempt, so a job whose worker keeps crashing (it never gets
        // to `fail`) is dead-lettered here instead of being retried for ever.
        if job.attempt > app.cfg.max_attempts {
            let why = format!("abandoned by its worker {} times (crash or lost lease)", job.attempt - 1);
            let _ = app.store.fail(&job, &why, None, app.cfg.max_attempts, app.now()).await;
            metrics::counter!(JOB_ATTEMPTS, "outcome" => "dead").increment(1);
            error!(error = %why, "job dead-lettered");
            return;
        }
        let heartbeat = spawn_heartbeat(Arc::clone(app), job.clone());
        let result = reconcile::run(app, &job).await;
        heartbeat.abort();
        let now = app.now();
        match result {
            Ok(outcome) => {
                if let Err(e) = app.store.complete(&job, now).await {
                    warn!(error = %e, "could not complete the job; its lease will expire and it runs again");
                    metrics::counter!(JOB_ATTEMPTS, "outcome" => "lease_lost").increment(1);
                    return;
                }
                // `complete` marked the job's deliveries processed in its own transaction.
                let secs = (now - job.first_triggered_at).max(0) as f64 / 1000.0;
                metrics::histogram!(DELIVERY_TO_APPLIED).record(secs);
                metrics::counter!(JOB_ATTEMPTS, "outcome" => "done").increment(1);
                info!(writes = outcome.writes, dry_run = outcome.dry_run, latency_s = secs, "job done");
            }
            Err(e) => {
                let failed = app.store.fail(&job, &e.message, e.retry_after, app.cfg.max_attempts, now).await;
                match failed {
                    Ok(FailOutcome::Retry { at }) => {
                        metrics::counter!(JOB_ATTEMPTS, "outcome" => "retry").increment(1);
                        warn!(error = %e.message, retry_in_ms = at - now, "job failed; will retry");
                    }
                    Ok(FailOutcome::Dead) => {
                        metrics::counter!(JOB_ATTEMPTS, "outcome" => "dead").increment(1);
                        error!(error = %e.message, "job dead-lettered");
                    }
                    Err(se) => {
                        metrics::counter!(JOB_ATTEMPTS, "outcome" => "lease_lost").increment(1);
                        warn!(error = %e.message, store_error = %se, "could not record the failure");
                    }
                }
            }
        }
    }
    .instrument(span)
    .await
}

/// Renew the lease at a third of its length while the job runs.
fn spawn_heartbeat(app: Arc<App>, job: Job) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let every = app.cfg.lease / 3;
        loop {
            tokio::time::sleep(every).await;
            match app.store.renew(&job, app.cfg.lease, app.now()).await {
                Ok(true) => {}
                Ok(false) => {
                    warn!(job_key = %job.key, "lease lost while running");
                    return;
                }
                Err(e) => warn!(job_key = %job.key, error = %e, "could not renew the lease"),
            }
        }
    })
}

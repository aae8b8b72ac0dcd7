//! The job queue's state machine: every change a job row can make (trigger, lease, renew,
//! complete, fail, retry a dead job) as a pure function of the row as read, the time and the
//! jitter's random draw.
//!
//! Both backends read the row inside a transaction that keeps it from changing (SQLite's single
//! writer, PostgreSQL's row lock), call one of these and write back what it returns; so the rules
//! of the queue are written, and tested, once, and a backend only decides how to lock and query.

use std::time::Duration;

use crate::backoff::{millis, retry_delay_drawn};
use crate::causes::{self, Cause};
use crate::error::StoreError;
use crate::key::JobKey;
use crate::types::{FailOutcome, Job, Timestamp, TriggerOutcome};

/// Where a job stands; stored as `pending`, `leased` or `dead`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Waiting to run (including while backing off).
    Pending,
    /// Held by a worker (the lease may have expired).
    Leased,
    /// Out of attempts.
    Dead,
}

impl Phase {
    /// The stored text.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Phase::Pending => "pending",
            Phase::Leased => "leased",
            Phase::Dead => "dead",
        }
    }

    /// Reads the stored text; `key` names the job in the error.
    pub(crate) fn parse(text: &str, key: &str) -> Result<Phase, StoreError> {
        match text {
            "pending" => Ok(Phase::Pending),
            "leased" => Ok(Phase::Leased),
            "dead" => Ok(Phase::Dead),
            other => Err(StoreError::Corrupt {
                what: format!("state of job {key:?}"),
                detail: format!("unknown state {other:?}"),
            }),
        }
    }
}

/// A job row, every column the queue decides on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct JobState {
    /// The row id (never reused; meaningless before the row is inserted).
    pub(crate) id: i64,
    pub(crate) key: String,
    pub(crate) phase: Phase,
    /// Attempts since the last successful run (or since the job was revived).
    pub(crate) attempts: i64,
    /// Moves on at every lease and at every trigger during a run.
    pub(crate) generation: i64,
    pub(crate) run_after: Timestamp,
    pub(crate) lease_owner: Option<String>,
    pub(crate) lease_expires: Option<Timestamp>,
    /// The generation the current lease was granted at.
    pub(crate) lease_generation: Option<i64>,
    /// The causes of the pending (or running) run.
    pub(crate) causes: Vec<Cause>,
    /// The causes that arrived while the job was leased.
    pub(crate) rerun_causes: Vec<Cause>,
    /// When the first of `rerun_causes` arrived.
    pub(crate) rerun_since: Option<Timestamp>,
    pub(crate) last_error: Option<String>,
    pub(crate) first_triggered_at: Timestamp,
    pub(crate) updated_at: Timestamp,
}

impl JobState {
    /// The causes of the current run followed by those that arrived during it.
    pub(crate) fn all_causes(&self) -> Vec<Cause> {
        let mut all = self.causes.clone();
        causes::merge(&mut all, &self.rerun_causes);
        all
    }

    /// The earliest trigger still owed a run.
    pub(crate) fn earliest_trigger(&self) -> Timestamp {
        self.rerun_since.map_or(self.first_triggered_at, |t| t.min(self.first_triggered_at))
    }

    /// Whether `job`'s lease is still the one this row carries.
    fn held_by(&self, job: &Job) -> bool {
        self.phase == Phase::Leased
            && self.lease_owner.as_deref() == Some(job.lease_owner.as_str())
            && self.lease_generation == Some(job.generation)
    }

    /// The row with no lease and no owed rerun: what every path out of `leased` starts from.
    fn released(self, now: Timestamp) -> JobState {
        JobState {
            lease_owner: None,
            lease_expires: None,
            lease_generation: None,
            rerun_causes: Vec::new(),
            rerun_since: None,
            updated_at: now,
            ..self
        }
    }
}

/// What to write after a transition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Write {
    /// A new row (unless a concurrent insert of the key won; then read again).
    Insert(JobState),
    /// Overwrite the row read, provided its generation is still the one read.
    Update(JobState),
    /// Delete the row: every trigger it carried has been served.
    Delete,
}

/// A trigger for `key` with `cause`, given the row of the key if there is one.
pub(crate) fn trigger(
    current: Option<JobState>,
    key: &str,
    cause: &Cause,
    now: Timestamp,
) -> (TriggerOutcome, Write) {
    let Some(job) = current else {
        let new = JobState {
            id: 0,
            key: key.to_owned(),
            phase: Phase::Pending,
            attempts: 0,
            generation: 0,
            run_after: now,
            lease_owner: None,
            lease_expires: None,
            lease_generation: None,
            causes: vec![cause.clone()],
            rerun_causes: Vec::new(),
            rerun_since: None,
            last_error: None,
            first_triggered_at: now,
            updated_at: now,
        };
        return (TriggerOutcome::Enqueued, Write::Insert(new));
    };
    match job.phase {
        Phase::Pending => {
            // Absorbed: the pending run will read the pull request afresh anyway; a job backing
            // off keeps its `run_after`.
            let mut job = JobState { updated_at: now, ..job };
            causes::merge(&mut job.causes, [cause]);
            (TriggerOutcome::Coalesced, Write::Update(job))
        }
        Phase::Leased => {
            // The running attempt may already have read the pull request: bump the generation
            // so `complete` knows another run is owed.
            let mut job = JobState {
                generation: job.generation.saturating_add(1),
                rerun_since: Some(job.rerun_since.unwrap_or(now)),
                updated_at: now,
                ..job
            };
            causes::merge(&mut job.rerun_causes, [cause]);
            (TriggerOutcome::Rerun, Write::Update(job))
        }
        Phase::Dead => {
            // Level-triggered: a new event is a new reason to look, so a dead job gets a fresh
            // series of attempts rather than silently swallowing the event.
            let mut job = JobState {
                phase: Phase::Pending,
                attempts: 0,
                run_after: now,
                updated_at: now,
                ..job
            };
            causes::merge(&mut job.causes, [cause]);
            (TriggerOutcome::Enqueued, Write::Update(job))
        }
    }
}

/// Whether a row read by the lease query may be leased now: pending and due, or leased with an
/// expired lease (its worker crashed).
pub(crate) fn runnable(job: &JobState, now: Timestamp) -> bool {
    match job.phase {
        Phase::Pending => job.run_after <= now,
        Phase::Leased => job.lease_expires.is_some_and(|t| t <= now),
        Phase::Dead => false,
    }
}

/// What leasing a runnable row decided.
#[derive(Debug)]
pub(crate) enum Leasing {
    /// The row to write and the [`Job`] to hand out.
    Granted(JobState, Job),
    /// The row's key is not a [`JobKey`] (the database was changed outside plasma-ops): no worker
    /// could run it, so it is dead-lettered with the reason rather than leased, or left to block
    /// the queue.
    Unreadable(JobState),
}

/// Leases a runnable job to `worker`. Each lease counts as an attempt.
pub(crate) fn lease(
    job: JobState,
    worker: &str,
    lease_for: Duration,
    now: Timestamp,
) -> Result<Leasing, StoreError> {
    let key = match job.key.parse::<JobKey>() {
        Ok(key) => key,
        Err(e) => {
            let causes = job.all_causes();
            let first_triggered_at = job.earliest_trigger();
            let dead = JobState {
                phase: Phase::Dead,
                causes,
                first_triggered_at,
                last_error: Some(e.to_string()),
                ..job.released(now)
            };
            return Ok(Leasing::Unreadable(dead));
        }
    };
    // A lease taken over from a crashed worker folds in the triggers that arrived meanwhile.
    let causes = job.all_causes();
    let first_triggered_at = job.earliest_trigger();
    let attempts = job.attempts.saturating_add(1);
    let attempt = crate::rows::to_u32(attempts, "attempt count", &job.key)?;
    let generation = job.generation.saturating_add(1);
    let lease_expires = now.saturating_add(millis(lease_for));
    let leased = JobState {
        phase: Phase::Leased,
        attempts,
        generation,
        lease_owner: Some(worker.to_owned()),
        lease_expires: Some(lease_expires),
        lease_generation: Some(generation),
        causes: causes.clone(),
        rerun_causes: Vec::new(),
        rerun_since: None,
        first_triggered_at,
        updated_at: now,
        ..job
    };
    let handed_out = Job {
        id: leased.id,
        key,
        attempt,
        generation,
        lease_owner: worker.to_owned(),
        lease_expires,
        causes,
        first_triggered_at,
    };
    Ok(Leasing::Granted(leased, handed_out))
}

/// Extends `job`'s lease; `None` when the lease was lost (the row is not held by it).
pub(crate) fn renew(
    current: JobState,
    job: &Job,
    lease_for: Duration,
    now: Timestamp,
) -> Option<JobState> {
    if !current.held_by(job) {
        return None;
    }
    Some(JobState {
        lease_expires: Some(now.saturating_add(millis(lease_for))),
        updated_at: now,
        ..current
    })
}

/// The holder of `job`'s lease finished it: done, or pending again when it was triggered during
/// the run (the run may have missed what those triggers announced).
pub(crate) fn complete(current: JobState, job: &Job, now: Timestamp) -> Result<Write, StoreError> {
    if !current.held_by(job) {
        return Err(lease_lost(job));
    }
    if current.generation == job.generation {
        return Ok(Write::Delete);
    }
    let first_triggered_at = current.rerun_since.unwrap_or(now);
    let causes = current.rerun_causes.clone();
    Ok(Write::Update(JobState {
        phase: Phase::Pending,
        attempts: 0,
        run_after: now,
        causes,
        last_error: None,
        first_triggered_at,
        ..current.released(now)
    }))
}

/// A failed attempt of `job`: what the store should record about it.
pub(crate) struct Failure<'a> {
    /// The error message kept as `last_error`.
    pub(crate) error: &'a str,
    /// GitHub's `Retry-After`, honoured exactly.
    pub(crate) retry_after: Option<Duration>,
    /// Attempts allowed before the job is dead-lettered.
    pub(crate) max_attempts: u32,
}

/// The holder of `job`'s lease failed it: out of attempts and not triggered again means
/// dead-lettered; triggered again meanwhile starts a fresh series (as a trigger just after the
/// dead-lettering would have); otherwise a retry after the backoff, or exactly after GitHub's
/// `Retry-After`. `draw` picks the jitter: given the ceiling in milliseconds, a value from 0 to it.
pub(crate) fn fail(
    current: JobState,
    job: &Job,
    failure: &Failure<'_>,
    now: Timestamp,
    draw: impl FnOnce(i64) -> i64,
) -> Result<(FailOutcome, JobState), StoreError> {
    if !current.held_by(job) {
        return Err(lease_lost(job));
    }
    let causes = current.all_causes();
    let retriggered = current.generation != job.generation;
    let out_of_attempts = job.attempt >= failure.max_attempts;
    let last_error = Some(failure.error.to_owned());
    if out_of_attempts && !retriggered {
        let dead = JobState { phase: Phase::Dead, causes, last_error, ..current.released(now) };
        return Ok((FailOutcome::Dead, dead));
    }
    let (attempts, delay) = if out_of_attempts {
        (0, retry_delay_drawn(1, failure.retry_after, draw))
    } else {
        (current.attempts, retry_delay_drawn(job.attempt, failure.retry_after, draw))
    };
    let at = now.saturating_add(millis(delay));
    let first_triggered_at = current.earliest_trigger();
    let retry = JobState {
        phase: Phase::Pending,
        run_after: at,
        attempts,
        causes,
        last_error,
        first_triggered_at,
        ..current.released(now)
    };
    Ok((FailOutcome::Retry { at }, retry))
}

/// Makes a dead job pending again with its attempts reset; `None` when it is not dead.
pub(crate) fn retry_dead(current: JobState, now: Timestamp) -> Option<JobState> {
    if current.phase != Phase::Dead {
        return None;
    }
    Some(JobState {
        phase: Phase::Pending,
        attempts: 0,
        run_after: now,
        updated_at: now,
        ..current
    })
}

/// The error for a worker whose lease is no longer the row's.
pub(crate) fn lease_lost(job: &Job) -> StoreError {
    StoreError::LeaseLost { id: job.id, key: job.key.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Timestamp = 1_000_000;
    const KEY: &str = "o/r#1";
    const MINUTE: Duration = Duration::from_secs(60);

    fn strings(list: &[&str]) -> Vec<Cause> {
        list.iter().map(|s| c(s)).collect()
    }

    fn c(text: &str) -> Cause {
        Cause::from(text.to_owned())
    }

    fn pending(causes: &[&str]) -> JobState {
        match trigger(None, KEY, &c(causes.first().copied().unwrap_or("d0")), NOW - 100) {
            (_, Write::Insert(mut job)) => {
                job.id = 7;
                job.causes = strings(causes);
                job
            }
            other => panic!("a first trigger inserts: {other:?}"),
        }
    }

    fn leased(causes: &[&str]) -> (JobState, Job) {
        granted(lease(pending(causes), "w1", MINUTE, NOW - 50))
    }

    fn granted(leasing: Result<Leasing, StoreError>) -> (JobState, Job) {
        match leasing.unwrap() {
            Leasing::Granted(row, job) => (row, job),
            other => panic!("expected a lease: {other:?}"),
        }
    }

    fn updated(write: Write) -> JobState {
        match write {
            Write::Update(job) => job,
            other => panic!("expected an update: {other:?}"),
        }
    }

    fn failure(max_attempts: u32) -> Failure<'static> {
        Failure { error: "boom", retry_after: None, max_attempts }
    }

    #[test]
    fn phases_round_trip_and_unknown_ones_are_corrupt() {
        for phase in [Phase::Pending, Phase::Leased, Phase::Dead] {
            assert_eq!(Phase::parse(phase.as_str(), KEY).unwrap(), phase);
        }
        let err = Phase::parse("paused", KEY).unwrap_err();
        assert!(err.to_string().contains("o/r#1"), "{err}");
    }

    #[test]
    fn trigger_table() {
        // (row before, cause, outcome, causes after, rerun causes after)
        let (running, _) = leased(&["d1"]);
        let dead = JobState { phase: Phase::Dead, attempts: 5, ..pending(&["d1"]) };
        type Case = (
            Option<JobState>,
            &'static str,
            TriggerOutcome,
            &'static [&'static str],
            &'static [&'static str],
        );
        let cases: Vec<Case> = vec![
            (None, "d1", TriggerOutcome::Enqueued, &["d1"], &[]),
            (Some(pending(&["d1"])), "d2", TriggerOutcome::Coalesced, &["d1", "d2"], &[]),
            (Some(pending(&["d1"])), "d1", TriggerOutcome::Coalesced, &["d1"], &[]),
            (Some(running), "d2", TriggerOutcome::Rerun, &["d1"], &["d2"]),
            (Some(dead), "d2", TriggerOutcome::Enqueued, &["d1", "d2"], &[]),
        ];
        for (before, cause, outcome, after, rerun) in cases {
            let label = format!("{before:?} + {cause}");
            let (got, write) = trigger(before, KEY, &c(cause), NOW);
            assert_eq!(got, outcome, "{label}");
            let job = match write {
                Write::Insert(job) | Write::Update(job) => job,
                Write::Delete => panic!("{label}: a trigger never deletes"),
            };
            assert_eq!(job.causes, strings(after), "{label}");
            assert_eq!(job.rerun_causes, strings(rerun), "{label}");
            assert_eq!(job.updated_at, NOW, "{label}");
        }
    }

    #[test]
    fn a_new_job_is_due_at_once() {
        let (_, write) = trigger(None, KEY, &c("d1"), NOW);
        let Write::Insert(job) = write else { panic!("{write:?}") };
        assert_eq!((job.phase, job.attempts, job.generation), (Phase::Pending, 0, 0));
        assert_eq!((job.run_after, job.first_triggered_at), (NOW, NOW));
    }

    #[test]
    fn a_trigger_keeps_a_backing_off_job_waiting() {
        let backing_off = JobState { run_after: NOW + 5_000, attempts: 2, ..pending(&["d1"]) };
        let job = updated(trigger(Some(backing_off), KEY, &c("d2"), NOW).1);
        assert_eq!((job.run_after, job.attempts), (NOW + 5_000, 2));
    }

    #[test]
    fn a_trigger_during_a_run_moves_the_generation_and_keeps_the_first_rerun_time() {
        let (running, lease) = leased(&["d1"]);
        let once = updated(trigger(Some(running), KEY, &c("d2"), NOW).1);
        assert_eq!(once.generation, lease.generation + 1);
        assert_eq!(once.rerun_since, Some(NOW));
        let twice = updated(trigger(Some(once), KEY, &c("d3"), NOW + 9).1);
        assert_eq!(twice.generation, lease.generation + 2);
        assert_eq!(twice.rerun_since, Some(NOW));
        assert_eq!(twice.lease_generation, Some(lease.generation), "the lease stays valid");
    }

    #[test]
    fn reviving_a_dead_job_starts_a_fresh_series_due_now() {
        let dead = JobState {
            phase: Phase::Dead,
            attempts: 5,
            run_after: NOW - 1_000,
            last_error: Some("boom".into()),
            ..pending(&["d1"])
        };
        let job = updated(trigger(Some(dead), KEY, &c("sweep"), NOW).1);
        assert_eq!((job.phase, job.attempts, job.run_after), (Phase::Pending, 0, NOW));
        assert_eq!(job.last_error.as_deref(), Some("boom"), "kept until a run succeeds");
    }

    #[test]
    fn runnable_table() {
        let (running, _) = leased(&["d1"]);
        let cases = [
            (JobState { run_after: NOW, ..pending(&["d1"]) }, true),
            (JobState { run_after: NOW + 1, ..pending(&["d1"]) }, false),
            (JobState { lease_expires: Some(NOW), ..running.clone() }, true),
            (JobState { lease_expires: Some(NOW + 1), ..running }, false),
            (JobState { phase: Phase::Dead, ..pending(&["d1"]) }, false),
        ];
        for (job, expected) in cases {
            assert_eq!(runnable(&job, NOW), expected, "{job:?}");
        }
    }

    #[test]
    fn a_lease_counts_an_attempt_and_moves_the_generation() {
        let job = JobState { attempts: 2, generation: 4, ..pending(&["d1"]) };
        let (row, handed) = granted(lease(job, "w1", MINUTE, NOW));
        assert_eq!((handed.attempt, handed.generation), (3, 5));
        assert_eq!((row.attempts, row.generation, row.lease_generation), (3, 5, Some(5)));
        assert_eq!(row.phase, Phase::Leased);
        assert_eq!(row.lease_owner.as_deref(), Some("w1"));
        assert_eq!(handed.lease_expires, NOW + 60_000);
        assert_eq!(row.lease_expires, Some(NOW + 60_000));
        assert_eq!((handed.id, handed.key.to_string()), (7, KEY.to_owned()));
    }

    #[test]
    fn taking_over_an_expired_lease_folds_in_the_triggers_of_the_crashed_run() {
        let (running, _) = leased(&["d1"]);
        let retriggered = updated(trigger(Some(running), KEY, &c("d2"), NOW - 200).1);
        let (row, handed) = granted(lease(retriggered, "w2", MINUTE, NOW));
        assert_eq!(handed.causes, strings(&["d1", "d2"]));
        assert_eq!(handed.first_triggered_at, NOW - 200, "the earlier of the two");
        assert!(row.rerun_causes.is_empty() && row.rerun_since.is_none());
        assert_eq!(handed.attempt, 2);
    }

    #[test]
    fn a_row_whose_key_is_unreadable_is_dead_lettered_instead_of_leased() {
        let (running, _) = leased(&["d1"]);
        let retriggered = updated(trigger(Some(running), KEY, &c("d2"), NOW - 5).1);
        let row = JobState { key: "o/r#x".into(), lease_expires: Some(NOW), ..retriggered };
        let Leasing::Unreadable(dead) = lease(row, "w2", MINUTE, NOW).unwrap() else {
            panic!("an unreadable key is never leased");
        };
        assert_eq!(dead.phase, Phase::Dead);
        assert!(dead.last_error.as_deref().is_some_and(|e| e.contains("o/r#x")), "{dead:?}");
        assert_eq!(dead.causes, strings(&["d1", "d2"]));
        assert_eq!((dead.lease_owner, dead.rerun_since), (None, None));
    }

    #[test]
    fn an_attempt_count_out_of_range_is_corrupt() {
        let job = JobState { attempts: i64::from(u32::MAX), ..pending(&["d1"]) };
        assert!(matches!(lease(job, "w1", MINUTE, NOW), Err(StoreError::Corrupt { .. })));
    }

    #[test]
    fn renew_extends_only_the_holders_lease() {
        let (row, job) = leased(&["d1"]);
        let renewed = renew(row.clone(), &job, MINUTE, NOW).unwrap();
        assert_eq!(renewed.lease_expires, Some(NOW + 60_000));
        assert_eq!(renewed.generation, row.generation);
        let other = Job { lease_owner: "w2".into(), ..job.clone() };
        assert_eq!(renew(row.clone(), &other, MINUTE, NOW), None);
        let stale = Job { generation: job.generation - 1, ..job.clone() };
        assert_eq!(renew(row.clone(), &stale, MINUTE, NOW), None);
        let done = JobState { phase: Phase::Pending, ..row };
        assert_eq!(renew(done, &job, MINUTE, NOW), None);
    }

    #[test]
    fn complete_deletes_a_job_not_triggered_during_the_run() {
        let (row, job) = leased(&["d1"]);
        assert_eq!(complete(row, &job, NOW).unwrap(), Write::Delete);
    }

    #[test]
    fn complete_requeues_a_job_triggered_during_the_run_with_those_causes_only() {
        let (row, job) = leased(&["d1"]);
        let row = JobState { attempts: 3, last_error: Some("x".into()), ..row };
        let retriggered = updated(trigger(Some(row), KEY, &c("d2"), NOW - 10).1);
        let next = updated(complete(retriggered, &job, NOW).unwrap());
        assert_eq!(next.phase, Phase::Pending);
        assert_eq!(next.causes, strings(&["d2"]));
        assert_eq!((next.attempts, next.run_after, next.first_triggered_at), (0, NOW, NOW - 10));
        assert_eq!(
            (next.lease_owner, next.lease_expires, next.lease_generation),
            (None, None, None)
        );
        assert!(next.rerun_causes.is_empty() && next.rerun_since.is_none());
        assert_eq!(next.last_error, None);
    }

    #[test]
    fn a_lost_lease_cannot_complete_or_fail() {
        let (row, job) = leased(&["d1"]);
        let taken =
            granted(lease(JobState { lease_expires: Some(NOW), ..row }, "w2", MINUTE, NOW)).0;
        assert!(matches!(
            complete(taken.clone(), &job, NOW),
            Err(StoreError::LeaseLost { id: 7, .. })
        ));
        let result = fail(taken, &job, &failure(5), NOW, |c| c);
        assert!(matches!(result, Err(StoreError::LeaseLost { .. })));
    }

    #[test]
    fn fail_table() {
        // (attempt failing, max attempts, retriggered during it, retry_after, draw)
        //   -> (outcome delay or dead, attempts kept)
        struct Case {
            attempt: i64,
            max: u32,
            retriggered: bool,
            retry_after: Option<Duration>,
            draw: fn(i64) -> i64,
            expect: Option<(i64, i64)>,
        }
        let top = |c: i64| c;
        let bottom = |_: i64| 0;
        let cases = [
            // First failure: backoff up to the 1 s base; the draw is used as given.
            Case {
                attempt: 1,
                max: 5,
                retriggered: false,
                retry_after: None,
                draw: top,
                expect: Some((1_000, 1)),
            },
            Case {
                attempt: 1,
                max: 5,
                retriggered: false,
                retry_after: None,
                draw: bottom,
                expect: Some((0, 1)),
            },
            // The ceiling doubles per attempt.
            Case {
                attempt: 3,
                max: 5,
                retriggered: false,
                retry_after: None,
                draw: top,
                expect: Some((4_000, 3)),
            },
            // Retry-After is honoured exactly, never jittered.
            Case {
                attempt: 2,
                max: 5,
                retriggered: false,
                retry_after: Some(Duration::from_secs(3600)),
                draw: bottom,
                expect: Some((3_600_000, 2)),
            },
            // Out of attempts: dead.
            Case {
                attempt: 5,
                max: 5,
                retriggered: false,
                retry_after: None,
                draw: top,
                expect: None,
            },
            // Out of attempts but triggered during the attempt: a fresh series, first backoff.
            Case {
                attempt: 5,
                max: 5,
                retriggered: true,
                retry_after: None,
                draw: top,
                expect: Some((1_000, 0)),
            },
            // Triggered again while attempts remain: an ordinary retry with the count kept.
            Case {
                attempt: 2,
                max: 5,
                retriggered: true,
                retry_after: None,
                draw: top,
                expect: Some((2_000, 2)),
            },
        ];
        for (i, case) in cases.iter().enumerate() {
            let (row, job) = leased(&["d1"]);
            let row = JobState { attempts: case.attempt, ..row };
            let job = Job { attempt: u32::try_from(case.attempt).unwrap(), ..job };
            let row = if case.retriggered {
                updated(trigger(Some(row), KEY, &c("d2"), NOW - 5).1)
            } else {
                row
            };
            let failure = Failure { retry_after: case.retry_after, ..failure(case.max) };
            let (outcome, after) = fail(row, &job, &failure, NOW, case.draw).unwrap();
            assert_eq!(after.last_error.as_deref(), Some("boom"), "case {i}");
            assert_eq!(
                (after.lease_owner.clone(), after.lease_generation),
                (None, None),
                "case {i}"
            );
            assert!(after.rerun_causes.is_empty() && after.rerun_since.is_none(), "case {i}");
            let expected_causes: &[&str] = if case.retriggered { &["d1", "d2"] } else { &["d1"] };
            assert_eq!(after.causes, strings(expected_causes), "case {i}");
            match case.expect {
                None => {
                    assert_eq!(outcome, FailOutcome::Dead, "case {i}");
                    assert_eq!(
                        (after.phase, after.attempts),
                        (Phase::Dead, case.attempt),
                        "case {i}"
                    );
                }
                Some((delay, attempts)) => {
                    assert_eq!(outcome, FailOutcome::Retry { at: NOW + delay }, "case {i}");
                    assert_eq!(after.phase, Phase::Pending, "case {i}");
                    assert_eq!(
                        (after.run_after, after.attempts),
                        (NOW + delay, attempts),
                        "case {i}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_retry_keeps_the_earliest_trigger_for_latency() {
        let (row, job) = leased(&["d1"]);
        let first = row.first_triggered_at;
        let row = updated(trigger(Some(row), KEY, &c("d2"), NOW - 5).1);
        let (_, after) = fail(row, &job, &failure(5), NOW, |c| c).unwrap();
        assert_eq!(after.first_triggered_at, first.min(NOW - 5));
    }

    #[test]
    fn retry_dead_only_revives_dead_jobs() {
        let dead = JobState { phase: Phase::Dead, attempts: 5, run_after: 0, ..pending(&["d1"]) };
        let revived = retry_dead(dead, NOW).unwrap();
        assert_eq!((revived.phase, revived.attempts, revived.run_after), (Phase::Pending, 0, NOW));
        assert_eq!(revived.causes, strings(&["d1"]));
        assert_eq!(retry_dead(pending(&["d1"]), NOW), None);
        assert_eq!(retry_dead(leased(&["d1"]).0, NOW), None);
    }
}

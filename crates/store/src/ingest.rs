//! What a group of deliveries committed together writes, decided in memory.
//!
//! A store that records concurrent deliveries in one transaction (PostgreSQL's group commit)
//! reads the job rows of every key the group names once, locked, then runs the queue's pure
//! transition ([`crate::queue::trigger`]) for each delivery in arrival order on those in-memory
//! rows, exactly as [`crate::exec::record_in`] would on the database one delivery after the
//! other, and writes each changed row once. The outcome each caller gets is the one the
//! sequential path would have given it.

use std::collections::{BTreeMap, BTreeSet};

use crate::causes::Cause;
use crate::key::JobKey;
use crate::queue::{self, JobState, Write};
use crate::types::{NewDelivery, RecordOutcome, Timestamp};

/// One delivery of a group, as its caller gave it.
#[derive(Debug)]
pub(crate) struct Item<'a> {
    pub(crate) delivery: &'a NewDelivery,
    pub(crate) keys: &'a [JobKey],
    pub(crate) now: Timestamp,
}

/// The job rows a group writes, and what each caller is answered.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Plan {
    /// Per item, in the order given.
    pub(crate) outcomes: Vec<RecordOutcome>,
    /// Rows of keys that had none when read, sorted by key.
    pub(crate) inserts: Vec<JobState>,
    /// Rows read and changed: (row id, generation read, the new row), sorted by key.
    pub(crate) updates: Vec<(i64, i64, JobState)>,
}

/// The delivery ids of a group the insert must try, each once, sorted (so two groups inserting
/// the same ids take the index entries in the same order): a delivery id repeated within the
/// group is recorded at most once, by its first occurrence.
pub(crate) fn unique_deliveries<'a>(items: &[Item<'a>]) -> Vec<&'a NewDelivery> {
    let mut by_id: BTreeMap<&str, &NewDelivery> = BTreeMap::new();
    for item in items {
        by_id.entry(item.delivery.id.as_str()).or_insert(item.delivery);
    }
    by_id.into_values().collect()
}

/// Every job key the group names, as stored, sorted and once each: the rows to read and lock, in
/// the one global order every writer locks job rows in.
pub(crate) fn keys_to_lock(items: &[Item<'_>]) -> Vec<String> {
    let keys: BTreeSet<String> =
        items.iter().flat_map(|item| item.keys.iter().map(JobKey::to_string)).collect();
    keys.into_iter().collect()
}

/// A key's job row while a group is decided.
struct Slot {
    /// The row's id and generation as read, or `None` when the key had no row.
    read: Option<(i64, i64)>,
    /// The row as the triggers so far left it.
    now: Option<JobState>,
    /// Whether any delivery of the group triggered it.
    changed: bool,
}

/// Decides the group: `stored` holds the delivery ids the insert stored (the others were in the
/// database already), `rows` the job rows read for [`keys_to_lock`].
pub(crate) fn plan(items: &[Item<'_>], stored: &BTreeSet<String>, rows: Vec<JobState>) -> Plan {
    let mut jobs: BTreeMap<String, Slot> = rows
        .into_iter()
        .map(|row| {
            let read = Some((row.id, row.generation));
            (row.key.clone(), Slot { read, now: Some(row), changed: false })
        })
        .collect();
    let mut recorded: BTreeSet<&str> = BTreeSet::new();
    let mut outcomes = Vec::with_capacity(items.len());
    for item in items {
        let id = item.delivery.id.as_str();
        // Only the first occurrence of an id the insert stored is new; any other is a duplicate.
        if !stored.contains(id) || !recorded.insert(id) {
            outcomes.push(RecordOutcome::Duplicate);
            continue;
        }
        let mut keys: Vec<String> = item.keys.iter().map(JobKey::to_string).collect();
        let first_key = keys.first().cloned();
        keys.sort_unstable();
        keys.dedup();
        let cause = Cause::Delivery(item.delivery.id.clone());
        let mut first = None;
        for key in keys {
            let slot =
                jobs.entry(key.clone()).or_insert(Slot { read: None, now: None, changed: false });
            let (outcome, write) = queue::trigger(slot.now.take(), &key, &cause, item.now);
            match write {
                Write::Insert(job) | Write::Update(job) => slot.now = Some(job),
                // A trigger never finishes a job; kept total rather than assumed.
                Write::Delete => slot.now = None,
            }
            slot.changed = true;
            if first_key.as_ref() == Some(&key) {
                first = Some(outcome);
            }
        }
        outcomes.push(RecordOutcome::Recorded { job: first });
    }
    let mut plan = Plan { outcomes, ..Plan::default() };
    for Slot { read, now, changed } in jobs.into_values() {
        match (changed, read, now) {
            (true, None, Some(job)) => plan.inserts.push(job),
            (true, Some((id, generation)), Some(job)) => plan.updates.push((id, generation, job)),
            _ => {}
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queue::Phase;
    use crate::types::TriggerOutcome;

    fn delivery(id: &str) -> NewDelivery {
        NewDelivery {
            id: id.to_owned(),
            event: "pull_request".to_owned(),
            action: None,
            repository: None,
            installation: None,
            received_at: 5,
            body: Vec::new(),
        }
    }

    fn key(text: &str) -> JobKey {
        text.parse().unwrap()
    }

    fn row(id: i64, key: &str, phase: Phase, generation: i64) -> JobState {
        let (_, write) = queue::trigger(None, key, &Cause::Sweep, 1);
        let Write::Insert(mut job) = write else { panic!("a first trigger inserts") };
        job.id = id;
        job.phase = phase;
        job.generation = generation;
        job
    }

    fn ids(causes: &[Cause]) -> Vec<String> {
        causes.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn deliveries_are_inserted_once_each_in_id_order() {
        let (b, a, b2) = (delivery("b"), delivery("a"), delivery("b"));
        let items = [
            Item { delivery: &b, keys: &[], now: 1 },
            Item { delivery: &a, keys: &[], now: 1 },
            Item { delivery: &b2, keys: &[], now: 1 },
        ];
        let unique: Vec<&str> = unique_deliveries(&items).iter().map(|d| d.id.as_str()).collect();
        assert_eq!(unique, ["a", "b"]);
    }

    #[test]
    fn keys_are_locked_sorted_and_once() {
        let (a, b) = (delivery("a"), delivery("b"));
        let ka = [key("o/r#2"), key("o/r#1")];
        let kb = [key("o/r#1"), key("o/q#9")];
        let items =
            [Item { delivery: &a, keys: &ka, now: 1 }, Item { delivery: &b, keys: &kb, now: 1 }];
        assert_eq!(keys_to_lock(&items), ["o/q#9", "o/r#1", "o/r#2"]);
    }

    #[test]
    fn a_group_on_one_new_key_inserts_one_row_with_every_cause() {
        let (a, b, c) = (delivery("a"), delivery("b"), delivery("c"));
        let k = [key("o/r#1")];
        let items = [
            Item { delivery: &a, keys: &k, now: 10 },
            Item { delivery: &b, keys: &k, now: 11 },
            Item { delivery: &c, keys: &k, now: 12 },
        ];
        let stored: BTreeSet<String> = ["a", "b", "c"].map(String::from).into();
        let plan = plan(&items, &stored, Vec::new());
        assert_eq!(
            plan.outcomes,
            [
                RecordOutcome::Recorded { job: Some(TriggerOutcome::Enqueued) },
                RecordOutcome::Recorded { job: Some(TriggerOutcome::Coalesced) },
                RecordOutcome::Recorded { job: Some(TriggerOutcome::Coalesced) },
            ]
        );
        assert!(plan.updates.is_empty());
        let [job] = plan.inserts.as_slice() else { panic!("{:?}", plan.inserts) };
        assert_eq!(job.key, "o/r#1");
        assert_eq!(job.phase, Phase::Pending);
        assert_eq!(job.run_after, 10);
        assert_eq!(job.first_triggered_at, 10);
        assert_eq!(job.updated_at, 12);
        assert_eq!(ids(&job.causes), ["a", "b", "c"]);
    }

    #[test]
    fn stored_ids_and_repeats_decide_duplicates() {
        let (a, a2, old) = (delivery("a"), delivery("a"), delivery("old"));
        let k = [key("o/r#1")];
        let items = [
            Item { delivery: &old, keys: &k, now: 10 },
            Item { delivery: &a, keys: &k, now: 10 },
            Item { delivery: &a2, keys: &k, now: 10 },
        ];
        // "old" was in the database before the group; "a" is new, once.
        let stored: BTreeSet<String> = ["a"].map(String::from).into();
        let plan = plan(&items, &stored, Vec::new());
        assert_eq!(
            plan.outcomes,
            [
                RecordOutcome::Duplicate,
                RecordOutcome::Recorded { job: Some(TriggerOutcome::Enqueued) },
                RecordOutcome::Duplicate,
            ]
        );
        assert_eq!(plan.inserts.len(), 1);
        assert_eq!(ids(&plan.inserts[0].causes), ["a"]);
    }

    #[test]
    fn rows_read_are_updated_by_the_queue_rules_and_keep_their_read_generation() {
        let (a, b) = (delivery("a"), delivery("b"));
        // #1 is leased (a rerun is owed), #2 pending (absorbed), #3 dead (revived).
        let keys = [key("o/r#1"), key("o/r#2"), key("o/r#3")];
        let items = [
            Item { delivery: &a, keys: &keys, now: 20 },
            Item { delivery: &b, keys: &keys[..1], now: 21 },
        ];
        let rows = vec![
            row(7, "o/r#1", Phase::Leased, 4),
            row(8, "o/r#2", Phase::Pending, 2),
            row(9, "o/r#3", Phase::Dead, 6),
        ];
        let stored: BTreeSet<String> = ["a", "b"].map(String::from).into();
        let plan = plan(&items, &stored, rows);
        assert_eq!(
            plan.outcomes,
            [
                RecordOutcome::Recorded { job: Some(TriggerOutcome::Rerun) },
                RecordOutcome::Recorded { job: Some(TriggerOutcome::Rerun) },
            ]
        );
        assert!(plan.inserts.is_empty());
        type Summary = (i64, i64, Phase, i64, Vec<String>, Vec<String>);
        let summary: Vec<Summary> = plan
            .updates
            .iter()
            .map(|(id, read, job)| {
                (*id, *read, job.phase, job.generation, ids(&job.causes), ids(&job.rerun_causes))
            })
            .collect();
        assert_eq!(
            summary,
            [
                // Two triggers while leased: the generation moves on twice, both owed a rerun.
                (7, 4, Phase::Leased, 6, ids(&[Cause::Sweep]), vec!["a".into(), "b".into()]),
                (8, 2, Phase::Pending, 2, vec!["sweep".into(), "a".into()], vec![]),
                (9, 6, Phase::Pending, 6, vec!["sweep".into(), "a".into()], vec![]),
            ]
        );
        assert_eq!(plan.updates[0].2.rerun_since, Some(20));
    }

    #[test]
    fn rows_no_delivery_changed_are_not_written() {
        let old = delivery("old");
        let k = [key("o/r#1")];
        let items = [Item { delivery: &old, keys: &k, now: 10 }];
        let plan = plan(&items, &BTreeSet::new(), vec![row(3, "o/r#1", Phase::Pending, 0)]);
        assert_eq!(plan.outcomes, [RecordOutcome::Duplicate]);
        assert!(plan.inserts.is_empty() && plan.updates.is_empty());
    }

    #[test]
    fn the_first_key_given_reports_the_outcome_and_no_keys_report_none() {
        let (a, b) = (delivery("a"), delivery("b"));
        // The first key given is #2 (pending: coalesced), although #1 sorts first (new: enqueued).
        let keys = [key("o/r#2"), key("o/r#1")];
        let items =
            [Item { delivery: &a, keys: &keys, now: 1 }, Item { delivery: &b, keys: &[], now: 1 }];
        let stored: BTreeSet<String> = ["a", "b"].map(String::from).into();
        let plan = plan(&items, &stored, vec![row(5, "o/r#2", Phase::Pending, 0)]);
        assert_eq!(
            plan.outcomes,
            [
                RecordOutcome::Recorded { job: Some(TriggerOutcome::Coalesced) },
                RecordOutcome::Recorded { job: None },
            ]
        );
    }
}

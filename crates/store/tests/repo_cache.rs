//! The configuration epochs and label claims replicas share (issue 14), on both databases: an
//! epoch moves only when bumped, and a label's creation is claimed by one holder at a time,
//! whatever the number of stores (replicas) racing for it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::BTreeMap;

use plasma_store::{LabelClaim, Store};
use support::shared_tests;
use support::{T0, TestDb};

shared_tests!(
    epochs_start_at_zero_and_move_only_when_bumped,
    a_label_is_claimed_once_then_ensured,
    a_lapsed_or_released_claim_is_taken_over,
    a_label_ensured_before_a_fresh_listing_is_claimed_again,
    two_replicas_racing_claim_each_label_once,
);

const REPO: &str = "plasma/engine";
const LABEL: &str = "status:needs-coderabbit-review";

fn epochs_of(list: Vec<plasma_store::ConfigEpoch>) -> BTreeMap<(String, String), i64> {
    list.into_iter().map(|e| ((e.repo, e.git_ref), e.epoch)).collect()
}

async fn epochs_start_at_zero_and_move_only_when_bumped(db: &TestDb) {
    let store = db.open().await;
    assert!(store.config_epochs(&[REPO, "plasma/.github"]).await.unwrap().is_empty());
    assert!(store.config_epochs(&[]).await.unwrap().is_empty());
    let main = (REPO.to_string(), "main".to_string());
    let default = (REPO.to_string(), String::new());
    store.bump_config_epochs(&[main.clone(), default.clone()], T0).await.unwrap();
    store.bump_config_epochs(std::slice::from_ref(&main), T0 + 1).await.unwrap();
    store.bump_config_epochs(&[("plasma/.github".into(), String::new())], T0).await.unwrap();
    store.bump_config_epochs(&[], T0).await.unwrap();
    let got = epochs_of(store.config_epochs(&[REPO, "plasma/.github"]).await.unwrap());
    assert_eq!(got.get(&main), Some(&2));
    assert_eq!(got.get(&default), Some(&1));
    assert_eq!(got.get(&("plasma/.github".into(), String::new())), Some(&1));
    assert_eq!(got.len(), 3);
    // Another repository's epochs are not read; three repositories take two statements.
    let only = epochs_of(store.config_epochs(&["plasma/.github"]).await.unwrap());
    assert_eq!(only.len(), 1);
    let three = store.config_epochs(&["x/y", REPO, "plasma/.github"]).await.unwrap();
    assert_eq!(three.len(), 3);
}

async fn a_label_is_claimed_once_then_ensured(db: &TestDb) {
    let store = db.open().await;
    let claim = |holder: &'static str, now| {
        let store = store.clone();
        async move { store.claim_label(REPO, LABEL, holder, now + 30_000, 0, now).await.unwrap() }
    };
    assert_eq!(claim("a", T0).await, LabelClaim::Mine);
    // The holder asking again keeps it; anyone else waits for it.
    assert_eq!(claim("a", T0 + 1).await, LabelClaim::Mine);
    assert_eq!(claim("b", T0 + 2).await, LabelClaim::Held { until: T0 + 30_000 });
    assert!(!store.label_ensured(REPO, LABEL, "b", T0 + 3).await.unwrap(), "not b's claim");
    assert!(store.label_ensured(REPO, LABEL, "a", T0 + 4).await.unwrap());
    assert!(!store.label_ensured(REPO, LABEL, "a", T0 + 5).await.unwrap(), "ensured once");
    assert_eq!(claim("b", T0 + 6).await, LabelClaim::Ensured { at: T0 + 4 });
    // Another label of the same repository is its own claim.
    let other = store.claim_label(REPO, "agent:docs", "b", T0 + 60_000, 0, T0).await.unwrap();
    assert_eq!(other, LabelClaim::Mine);
}

async fn a_lapsed_or_released_claim_is_taken_over(db: &TestDb) {
    let store = db.open().await;
    assert_eq!(
        store.claim_label(REPO, LABEL, "a", T0 + 10, 0, T0).await.unwrap(),
        LabelClaim::Mine
    );
    // a died: once its lease ended, b takes the claim.
    assert_eq!(
        store.claim_label(REPO, LABEL, "b", T0 + 20, 0, T0 + 5).await.unwrap(),
        LabelClaim::Held { until: T0 + 10 }
    );
    assert_eq!(
        store.claim_label(REPO, LABEL, "b", T0 + 40, 0, T0 + 10).await.unwrap(),
        LabelClaim::Mine
    );
    assert!(!store.label_ensured(REPO, LABEL, "a", T0 + 11).await.unwrap(), "a lost it");
    // b's creation failed: it releases, and c need not wait for b's lease.
    store.release_label(REPO, LABEL, "b").await.unwrap();
    assert_eq!(
        store.claim_label(REPO, LABEL, "c", T0 + 50, 0, T0 + 12).await.unwrap(),
        LabelClaim::Mine
    );
    // Releasing a claim one does not hold changes nothing.
    store.release_label(REPO, LABEL, "b").await.unwrap();
    assert_eq!(
        store.claim_label(REPO, LABEL, "d", T0 + 60, 0, T0 + 13).await.unwrap(),
        LabelClaim::Held { until: T0 + 50 }
    );
}

async fn a_label_ensured_before_a_fresh_listing_is_claimed_again(db: &TestDb) {
    let store = db.open().await;
    assert_eq!(
        store.claim_label(REPO, LABEL, "a", T0 + 10, 0, T0).await.unwrap(),
        LabelClaim::Mine
    );
    assert!(store.label_ensured(REPO, LABEL, "a", T0 + 1).await.unwrap());
    // A listing from before the creation may simply be stale: ensured stands.
    assert_eq!(
        store.claim_label(REPO, LABEL, "b", T0 + 100, T0, T0 + 2).await.unwrap(),
        LabelClaim::Ensured { at: T0 + 1 }
    );
    // A listing made well after it that lacks the label: a person deleted it; create it again.
    assert_eq!(
        store.claim_label(REPO, LABEL, "b", T0 + 100, T0 + 50, T0 + 60).await.unwrap(),
        LabelClaim::Mine
    );
    assert!(store.label_ensured(REPO, LABEL, "b", T0 + 61).await.unwrap());
}

async fn two_replicas_racing_claim_each_label_once(db: &TestDb) {
    let (one, two) = (db.open().await, db.open().await);
    let labels: Vec<String> = (0..8).map(|i| format!("label-{i}")).collect();
    let race = |store: std::sync::Arc<dyn Store>, holder: &'static str| {
        let labels = labels.clone();
        tokio::spawn(async move {
            let mut mine = Vec::new();
            for l in &labels {
                if store.claim_label(REPO, l, holder, T0 + 30_000, 0, T0).await.unwrap()
                    == LabelClaim::Mine
                {
                    mine.push(l.clone());
                }
            }
            mine
        })
    };
    let (a, b, c) = tokio::join!(race(one.clone(), "a"), race(two.clone(), "b"), race(one, "c"));
    let mut all: Vec<String> = [a.unwrap(), b.unwrap(), c.unwrap()].concat();
    all.sort();
    assert_eq!(all, labels, "each label claimed by exactly one holder");
}

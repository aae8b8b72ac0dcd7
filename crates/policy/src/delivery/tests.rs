use plasma_config::DeploymentsConfig;

use super::gate::{GateFacts, PullCheck, decide};
use super::*;

fn st(id: u64, state: &str, at: i64) -> StatusFact {
    StatusFact { id, state: state.into(), created_at: at }
}

#[test]
fn settle_table() {
    // (statuses, state, finished_at)
    let cases: Vec<(Vec<StatusFact>, &str, Option<i64>)> = vec![
        (vec![], "pending", None),
        (vec![st(1, "queued", 10), st(2, "in_progress", 20)], "in_progress", None),
        (vec![st(1, "in_progress", 10), st(2, "success", 30)], "success", Some(30)),
        // Delivered out of order: time decides, not arrival.
        (vec![st(2, "success", 30), st(1, "in_progress", 10)], "success", Some(30)),
        (vec![st(1, "in_progress", 10), st(2, "failure", 25)], "failure", Some(25)),
        (vec![st(1, "error", 10)], "error", Some(10)),
        // Superseded by a newer deployment: still a success, finished when it succeeded.
        (vec![st(1, "success", 30), st(2, "inactive", 90)], "success", Some(30)),
        (vec![st(1, "inactive", 5)], "inactive", None),
        // A later failure overrides an earlier success.
        (vec![st(1, "success", 30), st(2, "failure", 40)], "failure", Some(40)),
        // Same millisecond: the higher id is newer.
        (vec![st(7, "success", 30), st(6, "in_progress", 30)], "success", Some(30)),
    ];
    for (statuses, state, finished) in cases {
        let s = settle(&statuses);
        assert_eq!((s.state.as_str(), s.finished_at), (state, finished), "{statuses:?}");
        assert_eq!(s.successful(), state == "success");
    }
}

fn fin(id: u64, sha: &str, at: i64) -> Finished {
    Finished { id, sha: sha.into(), finished_at: at }
}

#[test]
fn previous_is_the_last_success_before() {
    let all = vec![fin(1, "a", 10), fin(2, "b", 20), fin(3, "c", 20), fin(4, "d", 40)];
    assert_eq!(previous(&all, &all[0]), None);
    assert_eq!(previous(&all, &all[1]).map(|d| d.id), Some(1));
    assert_eq!(previous(&all, &all[2]).map(|d| d.id), Some(2));
    assert_eq!(previous(&all, &all[3]).map(|d| d.id), Some(3));
}

fn cmp(status: &str, commits: &[&str]) -> Comparison {
    Comparison { status: status.into(), commits: commits.iter().map(|c| c.to_string()).collect() }
}

/// (previous commit, comparison, expected kind and commits)
type ClassifyCase =
    (Option<&'static str>, Option<Comparison>, Option<(ChangeKind, Vec<&'static str>)>);

#[test]
fn classify_table() {
    let ahead = cmp("ahead", &["b1", "b2"]);
    let cases: Vec<ClassifyCase> = vec![
        (None, None, Some((ChangeKind::First, vec![]))),
        (Some("AAA"), None, Some((ChangeKind::Redeploy, vec![]))),
        (Some("old"), Some(ahead), Some((ChangeKind::Change, vec!["b1", "b2"]))),
        (Some("old"), Some(cmp("diverged", &["h1"])), Some((ChangeKind::Change, vec!["h1"]))),
        (Some("new"), Some(cmp("behind", &[])), Some((ChangeKind::Rollback, vec![]))),
        (Some("old"), Some(cmp("identical", &[])), Some((ChangeKind::Redeploy, vec![]))),
        (Some("old"), None, None),
        (Some("old"), Some(cmp("strange", &[])), None),
    ];
    for (prev, comparison, want) in cases {
        let got = classify("aaa", prev, comparison.as_ref());
        let want = want.map(|(k, c)| (k, c.into_iter().map(String::from).collect::<Vec<_>>()));
        assert_eq!(got, want, "{prev:?} {comparison:?}");
    }
    assert_eq!(comparison_needed("aaa", None), None);
    assert_eq!(comparison_needed("aaa", Some("AAA")), None);
    assert_eq!(comparison_needed("aaa", Some("bbb")), Some(("bbb", "aaa")));
}

#[test]
fn kinds_round_trip() {
    for k in [ChangeKind::First, ChangeKind::Change, ChangeKind::Redeploy, ChangeKind::Rollback] {
        assert_eq!(ChangeKind::parse(k.as_str()), Some(k));
    }
    assert_eq!(ChangeKind::parse("other"), None);
}

#[test]
fn brought_pulls_are_the_merged_ones_once() {
    let p = |number, merged| PullFact { number, merged, head_sha: "h".into() };
    let facts = [p(5, true), p(3, true), p(5, true), p(9, false)];
    assert_eq!(brought_pulls(&facts), vec![3, 5]);
}

fn pull(number: u64, merged: bool, process: Option<&str>) -> PullCheck {
    PullCheck {
        number,
        merged,
        head_sha: format!("{number:0>7}abcdef"),
        process: process.map(String::from),
    }
}

fn gated() -> DeploymentsConfig {
    DeploymentsConfig { gate: vec!["production".into()], ..DeploymentsConfig::default() }
}

#[test]
fn gate_table() {
    let facts = |change, pulls: Vec<PullCheck>, loose: Vec<&str>, sev1| GateFacts {
        change,
        pulls,
        commits_without_pull: loose.into_iter().map(String::from).collect(),
        open_sev1: sev1,
    };
    // (environment, facts, approved, words every reason or the comment must contain)
    let cases: Vec<(&str, GateFacts, bool, Vec<&str>)> = vec![
        (
            "production",
            facts(
                ChangeKind::Change,
                vec![pull(1, true, Some("success")), pull(2, true, Some("success"))],
                vec![],
                None,
            ),
            true,
            vec!["#1, #2", "passed `plasma-ops/process`"],
        ),
        (
            "production",
            facts(
                ChangeKind::Change,
                vec![pull(1, true, Some("success")), pull(2, true, Some("failure"))],
                vec![],
                None,
            ),
            false,
            vec!["#2 did not pass `plasma-ops/process` on its head 0000002 (it is `failure`)"],
        ),
        (
            "production",
            facts(ChangeKind::Change, vec![pull(4, true, None)], vec![], None),
            false,
            vec!["#4 has no `plasma-ops/process` result", "plasma-ops reconcile"],
        ),
        (
            "production",
            facts(ChangeKind::First, vec![pull(6, false, Some("success"))], vec![], None),
            false,
            vec!["#6 is not merged"],
        ),
        (
            "production",
            facts(ChangeKind::Change, vec![], vec!["deadbeef00"], None),
            false,
            vec!["1 commit(s) reached the branch without a pull request (deadbee)"],
        ),
        (
            "production",
            facts(ChangeKind::Change, vec![pull(1, true, Some("success"))], vec![], Some(2)),
            false,
            vec!["2 open sev1 incident(s)"],
        ),
        // No incident tracking yet, or none open: the first condition alone decides.
        (
            "production",
            facts(ChangeKind::Change, vec![pull(1, true, Some("success"))], vec![], Some(0)),
            true,
            vec!["#1"],
        ),
        (
            "production",
            facts(ChangeKind::Rollback, vec![], vec![], Some(1)),
            true,
            vec!["rollback of `production`"],
        ),
        ("production", facts(ChangeKind::Redeploy, vec![], vec![], None), true, vec!["redeploy"]),
        (
            "production",
            facts(ChangeKind::Change, vec![], vec![], None),
            true,
            vec!["brings no pull request"],
        ),
        // Not opted in: approved, and the comment says why nothing was checked.
        (
            "staging",
            facts(ChangeKind::Change, vec![pull(2, true, Some("failure"))], vec![], None),
            true,
            vec!["does not gate `staging`", "deployments.gate"],
        ),
    ];
    for (env, facts, approved, words) in cases {
        let d = decide(&gated(), env, "abcdef0123", &facts, "plasma-ops/process");
        assert_eq!(d.approved, approved, "{env} {facts:?}: {d:?}");
        assert_eq!(d.state(), if approved { "approved" } else { "rejected" });
        assert_eq!(d.reasons.is_empty(), approved);
        for w in words {
            assert!(d.comment.contains(w), "{w:?} not in {:?}", d.comment);
        }
    }
}

#[test]
fn a_long_rejection_is_cut_and_counted() {
    let pulls: Vec<PullCheck> = (1..=14).map(|n| pull(n, true, Some("failure"))).collect();
    let facts = GateFacts {
        change: ChangeKind::Change,
        pulls,
        commits_without_pull: vec![],
        open_sev1: None,
    };
    let d = decide(&gated(), "production", "abc", &facts, "plasma-ops/process");
    assert_eq!(d.reasons.len(), 14);
    assert!(d.comment.starts_with("plasma-ops rejected abc for `production`:"));
    assert!(d.comment.ends_with("- and 4 more"), "{}", d.comment);
    assert!(!d.comment.contains("#11 "));
}

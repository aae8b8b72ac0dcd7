//! What plasma-ops remembers about a pull request between two reconciles, as plain data the plan
//! reads and returns. The store only keeps these facts; the rules that read them live here:
//!
//! - a human who removes an `agent:*` label wins until the files that earned it change;
//! - a CodeRabbit re-review is requested at most once per head commit.
//!
//! Keeping them here means "what would plasma-ops do to this pull request" is answerable from the
//! snapshot plus this memory alone, in a unit test, without a database.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::snapshot::PrSnapshot;
use crate::verdict::Verdict;

/// Facts remembered about one pull request, read before a reconcile and written after it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Memory {
    /// A re-review of the head commit being judged was already requested (the comment itself may
    /// be gone, or may not be recognisable as ours).
    pub rereview_requested_for_head: bool,
    /// Agent labels plasma-ops applied, each with the fingerprint of the files that earned it
    /// ([`fingerprints`]), sorted by label.
    pub applied_agent_labels: Vec<(String, String)>,
}

/// A stable fingerprint of the files that earned each agent label of the verdict: (label,
/// fingerprint), in the dispatch's label order. Empty when the files are unknown.
///
/// SHA-256 over the paths, truncated to 12 bytes: the stored fingerprints of earlier releases
/// stay valid, so an upgrade does not forget which labels a human removed.
pub fn fingerprints(v: &Verdict) -> Vec<(String, String)> {
    let Some(d) = &v.dispatch else { return vec![] };
    d.labels
        .iter()
        .map(|label| {
            let mut h = Sha256::new();
            for f in d.files.iter().filter(|f| f.labels.contains(label)) {
                h.update(f.path.as_bytes());
                h.update([0]);
            }
            (label.clone(), hex::encode(&h.finalize()[..12]))
        })
        .collect()
}

/// Agent labels not to add back: plasma-ops applied them, the pull request no longer carries
/// them (a human removed them), and the files that earned them are the same files now.
pub fn suppressed_agent_labels(pr: &PrSnapshot, v: &Verdict, memory: &Memory) -> Vec<String> {
    let now = fingerprints(v);
    memory
        .applied_agent_labels
        .iter()
        .filter(|(label, print)| {
            !pr.labels.contains(label) && now.iter().any(|(l, p)| l == label && p == print)
        })
        .map(|(label, _)| label.clone())
        .collect()
}

/// The memory to keep once `plan` is applied: whether a re-review of the head now exists, and the
/// agent labels the verdict wants with their current fingerprints. A suppressed label stays
/// remembered (with the fingerprint it was suppressed at), so it stays suppressed until its files
/// change.
pub fn remember(v: &Verdict, memory: &Memory, plan: &super::Plan) -> Memory {
    let requested_now =
        plan.writes.iter().any(|w| matches!(w, super::Write::RequestRereview { .. }));
    let wanted = v.desired_labels.as_deref().unwrap_or_default();
    let mut applied_agent_labels: Vec<(String, String)> =
        fingerprints(v).into_iter().filter(|(l, _)| wanted.contains(l)).collect();
    applied_agent_labels.sort();
    Memory {
        rereview_requested_for_head: memory.rereview_requested_for_head || requested_now,
        applied_agent_labels,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Policy;
    use crate::plan::{CurrentState, PlanOptions, Write, applied, decide};
    use crate::snapshot::{ChangedFile, ReviewState};
    use crate::test_support::{HEAD, OLD, pr, review};

    const PY: &str = "agent:python";

    fn file(path: &str) -> ChangedFile {
        ChangedFile {
            path: path.into(),
            status: "modified".into(),
            additions: 1,
            deletions: 0,
            previous_path: None,
        }
    }

    /// CodeRabbit asked for changes on the head, so the Python file earns `agent:python`.
    fn needs_fix(files: &[&str], labels: &[&str]) -> PrSnapshot {
        let mut p = pr();
        p.files = Some(files.iter().map(|f| file(f)).collect());
        p.commits = Some(vec![]);
        p.check_runs = Some(vec![]);
        p.statuses = Some(vec![]);
        p.reviews = Some(vec![review(
            1,
            "coderabbitai[bot]",
            ReviewState::ChangesRequested,
            HEAD,
            "2026-01-01T00:00:00Z",
        )]);
        p.labels = labels.iter().map(|l| l.to_string()).collect();
        p
    }

    /// The fingerprint `agent:python` had when plasma-ops applied it for `files`.
    fn applied_for(files: &[&str]) -> Memory {
        let p = needs_fix(files, &[]);
        let v = crate::evaluate(&p, &Policy::process_default().unwrap());
        Memory {
            rereview_requested_for_head: false,
            applied_agent_labels: fingerprints(&v).into_iter().filter(|(l, _)| l == PY).collect(),
        }
    }

    fn adds(plan: &crate::plan::Plan, label: &str) -> bool {
        plan.writes
            .iter()
            .any(|w| matches!(w, Write::AddLabels { labels } if labels.iter().any(|l| l == label)))
    }

    fn requests(plan: &crate::plan::Plan) -> bool {
        plan.writes.iter().any(|w| matches!(w, Write::RequestRereview { .. }))
    }

    #[test]
    fn a_human_who_removes_an_agent_label_wins_until_its_files_change() {
        let policy = Policy::process_default().unwrap();
        let opts = PlanOptions::default();
        let once = ["app/main.py"];
        let grown = ["app/main.py", "app/new.py"];
        /// (case, files now, labels on the pull request, memory, label added, label remembered)
        type Case<'a> = (&'a str, &'a [&'a str], &'a [&'a str], Memory, bool, bool);
        let cases: [Case; 6] = [
            ("never applied: added", &once, &[], Memory::default(), true, true),
            (
                "applied and still there: nothing to do",
                &once,
                &[PY],
                applied_for(&once),
                false,
                true,
            ),
            (
                "a human removed it, files unchanged: stays removed",
                &once,
                &[],
                applied_for(&once),
                false,
                true,
            ),
            (
                "a human removed it, a file added: it returns",
                &grown,
                &[],
                applied_for(&once),
                true,
                true,
            ),
            (
                "a human removed it, a file renamed: it returns",
                &["app/other.py"],
                &[],
                applied_for(&once),
                true,
                true,
            ),
            (
                "a human removed it, no Python left: not wanted, forgotten",
                &["docs/a.md"],
                &[],
                applied_for(&once),
                false,
                false,
            ),
        ];
        for (case, files, labels, memory, added, kept) in cases {
            let p = needs_fix(files, labels);
            let d = decide(&p, &CurrentState::default(), &memory, &policy, &opts);
            assert_eq!(adds(&d.plan, PY), added, "{case}: {:?}", d.plan);
            assert!(
                !d.plan
                    .writes
                    .iter()
                    .any(|w| matches!(w, Write::RemoveLabel { name } if name == PY)),
                "{case}: a label the pull request does not carry is never removed"
            );
            let remembered = d.memory.applied_agent_labels.iter().find(|(l, _)| l == PY);
            assert_eq!(remembered.is_some(), kept, "{case}: {:?}", d.memory);
            // Deciding again from what the plan leaves behind changes nothing more.
            let (p2, cur2) = applied(&p, &CurrentState::default(), &d.plan);
            let again = decide(&p2, &cur2, &d.memory, &policy, &opts);
            assert!(again.plan.is_empty(), "{case}: {:?}", again.plan);
            assert_eq!(again.memory, d.memory, "{case}");
        }
    }

    #[test]
    fn a_re_review_is_requested_once_per_head() {
        let policy = Policy::process_default().unwrap();
        let opts = PlanOptions::default();
        // CodeRabbit reviewed an older commit only: the head needs a review.
        let mut p = needs_fix(&["app/main.py"], &[]);
        p.reviews = Some(vec![review(
            1,
            "coderabbitai[bot]",
            ReviewState::ChangesRequested,
            OLD,
            "2026-01-01T00:00:00Z",
        )]);
        let requested = Memory { rereview_requested_for_head: true, ..Memory::default() };
        // (case, memory for the head judged, requested now, remembered after)
        let cases = [
            ("new head, nothing remembered: requested", Memory::default(), true, true),
            ("already requested for this head: not again", requested, false, true),
        ];
        let mut summaries = Vec::new();
        for (case, memory, request, remembered) in cases {
            let d = decide(&p, &CurrentState::default(), &memory, &policy, &opts);
            assert_eq!(requests(&d.plan), request, "{case}: {:?}", d.plan);
            assert_eq!(d.memory.rereview_requested_for_head, remembered, "{case}");
            let v = d.verdict.unwrap();
            assert!(v.review.rereview.requested_for_head, "{case}");
            summaries.push(v.summary);
        }
        assert_eq!(summaries[0], summaries[1], "asking does not change the summary");
        // The fetched snapshot is judged as it is: the memory is an input, not an edit of it.
        assert!(p.rereview_requested_shas.is_empty());
        // A plain verdict (no memory) handed to `plan` with the memory still does not ask again.
        let v = crate::evaluate(&p, &policy);
        let requested = Memory { rereview_requested_for_head: true, ..Memory::default() };
        let pl = crate::plan::plan(&p, &v, &CurrentState::default(), &requested, &policy, &opts);
        assert!(!requests(&pl), "{pl:?}");
    }

    #[test]
    fn a_configuration_error_keeps_the_memory() {
        let p = needs_fix(&["app/main.py"], &[]);
        let memory = applied_for(&["app/main.py"]);
        let d = crate::plan::decide_config_error(
            &p,
            "bad",
            &CurrentState::default(),
            &memory,
            &PlanOptions::default(),
        );
        assert_eq!(d.memory, memory);
        assert!(d.verdict.is_none());
    }

    #[test]
    fn fingerprints_follow_the_files_that_earned_each_label() {
        let a = applied_for(&["app/main.py"]).applied_agent_labels;
        assert_eq!(a, applied_for(&["app/main.py"]).applied_agent_labels, "stable");
        assert_ne!(a, applied_for(&["app/main.py", "app/b.py"]).applied_agent_labels);
        // 12 bytes of SHA-256, hex: the format earlier releases stored.
        assert!(a.iter().all(|(_, p)| p.len() == 24 && p.chars().all(|c| c.is_ascii_hexdigit())));
    }
}

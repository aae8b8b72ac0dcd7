//! The plan: the difference between what a pull request shows and what the verdict wants, as the
//! shortest list of writes. Pure data, so "what would plasma-ops do here" is answerable in a unit
//! test, from the CLI and from the MCP server alike; `plasma-github` only executes it.
//!
//! Applying a plan and planning again yields an empty plan: that is the idempotence the service
//! relies on (duplicate and out-of-order deliveries are harmless by construction).
//!
//! What plasma-ops remembers between reconciles ([`Memory`]) is an input like the snapshot, and
//! [`decide`] returns the memory to keep: a reconcile is fetch, decide, apply, remember.

pub mod memory;

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

pub use memory::{Memory, fingerprints, remember, suppressed_agent_labels};

use crate::policy::Policy;
use crate::snapshot::{PrSnapshot, PrState};
use crate::verdict::{IssueVerdict, Verdict, evaluate_with};

/// Hidden marker in plasma-ops's re-review comments: `<!-- plasma-ops:rereview sha=<sha> -->`.
/// Finding it in existing comments means a fresh database does not ask again.
pub const REREVIEW_MARKER_PREFIX: &str = "<!-- plasma-ops:rereview sha=";

/// The re-review comment body for a head SHA: the trigger, then the marker.
pub fn rereview_body(trigger: &str, sha: &str) -> String {
    format!("{trigger}\n\n{REREVIEW_MARKER_PREFIX}{sha} -->")
}

/// SHAs named by re-review markers in comment bodies.
pub fn rereview_shas_in<'a>(bodies: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut out = BTreeSet::new();
    for body in bodies {
        let mut rest = body;
        while let Some(i) = rest.find(REREVIEW_MARKER_PREFIX) {
            let after = &rest[i + REREVIEW_MARKER_PREFIX.len()..];
            let mut sha: String = after.chars().take_while(|c| c.is_ascii_hexdigit()).collect();
            if !sha.is_empty() {
                // The request made after CodeRabbit reviewed the head has a key of its own.
                if after[sha.len()..].starts_with(crate::rules::review_loop::AFTER_REVIEW_SUFFIX) {
                    sha.push_str(crate::rules::review_loop::AFTER_REVIEW_SUFFIX);
                }
                out.insert(sha);
            }
            rest = after;
        }
    }
    out.into_iter().collect()
}

/// What the pull request shows now, beyond its snapshot.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentState {
    /// Labels that exist in the repository (to know which to create); `None` when unknown, in
    /// which case labels are created on demand and "already exists" counts as success.
    pub repo_labels: Option<Vec<String>>,
    /// plasma-ops's sticky comment (found by [`crate::render::SUMMARY_MARKER`]): id and body.
    pub sticky_comment: Option<(u64, String)>,
    /// Our commit status on the head SHA: state and description.
    pub status: Option<(String, String)>,
}

/// One write to GitHub.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Write {
    /// Create a label in the repository.
    CreateLabel { name: String, color: String, description: String },
    /// Add labels to the pull request.
    AddLabels { labels: Vec<String> },
    /// Remove one label from the pull request.
    RemoveLabel { name: String },
    /// Create the sticky summary comment.
    CreateComment { body: String },
    /// Edit the sticky summary comment in place.
    UpdateComment { id: u64, body: String },
    /// Set the commit status on the head SHA.
    SetStatus { sha: String, context: String, state: String, description: String },
    /// Ask CodeRabbit for a review (an issue comment with the trigger and a marker).
    RequestRereview { sha: String, body: String },
}

impl Write {
    /// Short name for logs and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Write::CreateLabel { .. } => "create_label",
            Write::AddLabels { .. } => "add_labels",
            Write::RemoveLabel { .. } => "remove_label",
            Write::CreateComment { .. } => "create_comment",
            Write::UpdateComment { .. } => "update_comment",
            Write::SetStatus { .. } => "set_status",
            Write::RequestRereview { .. } => "request_rereview",
        }
    }
}

/// Options of the planner that are the service's, not the repository's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanOptions {
    /// Commit status context.
    pub status_context: String,
}

impl Default for PlanOptions {
    fn default() -> Self {
        PlanOptions { status_context: "plasma-ops/process".into() }
    }
}

/// The writes that bring the pull request to its desired state, in the order to apply them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// Writes, in order: labels to create, labels to remove, labels to add, comment, status,
    /// re-review.
    pub writes: Vec<Write>,
}

impl Plan {
    /// Nothing to do.
    pub fn is_empty(&self) -> bool {
        self.writes.is_empty()
    }
}

/// Status state and description for a verdict.
pub fn status_for(v: &Verdict) -> (String, String) {
    let blockers = v.blockers().count();
    let (state, text) = if v.ready {
        ("success", "ready to merge: every process rule passed".to_string())
    } else if blockers > 0 {
        let first = v.blockers().next().map(|f| f.rule.as_str()).unwrap_or("");
        ("failure", format!("{blockers} blocker(s), first: {first}"))
    } else {
        ("pending", "no blockers, waiting for reviews or checks".to_string())
    };
    // GitHub truncates descriptions at 140 characters.
    (state.to_string(), text.chars().take(140).collect())
}

/// Everything one reconcile of a pull request decides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The verdict; `None` when the configuration could not be used.
    pub verdict: Option<Verdict>,
    /// The writes that bring the pull request to its desired state.
    pub plan: Plan,
    /// What to remember once the plan is applied (unchanged when nothing was decided).
    pub memory: Memory,
}

/// Judge a pull request with what is remembered of it, plan the writes, and say what to remember
/// once they are applied.
pub fn decide(
    pr: &PrSnapshot,
    current: &CurrentState,
    memory: &Memory,
    policy: &Policy,
    opts: &PlanOptions,
) -> Decision {
    let verdict = evaluate_with(pr, policy, memory);
    let plan = plan(pr, &verdict, current, memory, policy, opts);
    let memory = remember(&verdict, memory, &plan);
    Decision { verdict: Some(verdict), plan, memory }
}

/// [`decide`] when the configuration cannot be used: the failing status and comment of
/// [`plan_config_error`], and the memory kept as it was (no rule could be judged).
pub fn decide_config_error(
    pr: &PrSnapshot,
    message: &str,
    current: &CurrentState,
    memory: &Memory,
    opts: &PlanOptions,
) -> Decision {
    Decision {
        verdict: None,
        plan: plan_config_error(pr, message, current, opts),
        memory: memory.clone(),
    }
}

/// Plan the writes for one pull request. `memory` says which agent labels a human removed (not
/// added back while their files stay the same) and whether the head's re-review was requested.
pub fn plan(
    pr: &PrSnapshot,
    v: &Verdict,
    current: &CurrentState,
    memory: &Memory,
    policy: &Policy,
    opts: &PlanOptions,
) -> Plan {
    let mut writes = Vec::new();
    // Closed pull requests: no re-review, no dispatch, no new comment, labels left alone.
    if pr.state != PrState::Open {
        return Plan { writes };
    }
    let cfg = policy.config();
    let owned = |l: &str| cfg.labels.owned_prefixes.iter().any(|p| l.starts_with(p.as_str()));
    // A human who removes an agent label wins until the files that earned it change.
    let suppressed = suppressed_agent_labels(pr, v, memory);
    if let Some(desired) = &v.desired_labels {
        let have: BTreeSet<&str> = pr.labels.iter().map(String::as_str).collect();
        let want: BTreeSet<&str> = desired
            .iter()
            .map(String::as_str)
            .filter(|l| !suppressed.iter().any(|s| s == l))
            .collect();
        let add: Vec<&str> = want.iter().copied().filter(|l| !have.contains(l)).collect();
        // Only owned labels are ever removed; a human's labels are never touched.
        let remove: Vec<&str> = have
            .iter()
            .copied()
            .filter(|l| owned(l) && !want.contains(l))
            .filter(|l| {
                // A suppressed agent label was removed by a human already; nothing to do.
                !suppressed.iter().any(|s| s == l)
            })
            .collect();
        for name in &add {
            let exists = current.repo_labels.as_ref().is_some_and(|r| r.iter().any(|x| x == name));
            if !exists {
                let def = cfg.labels.definitions.iter().find(|d| d.name == *name);
                writes.push(Write::CreateLabel {
                    name: name.to_string(),
                    color: def.map(|d| d.color.clone()).unwrap_or_else(|| "ededed".into()),
                    description: def.map(|d| d.description.clone()).unwrap_or_default(),
                });
            }
        }
        for name in remove {
            writes.push(Write::RemoveLabel { name: name.to_string() });
        }
        if !add.is_empty() {
            writes.push(Write::AddLabels { labels: add.iter().map(|s| s.to_string()).collect() });
        }
    }
    match &current.sticky_comment {
        Some((id, body)) if body != &v.summary => {
            writes.push(Write::UpdateComment { id: *id, body: v.summary.clone() });
        }
        Some(_) => {}
        None => writes.push(Write::CreateComment { body: v.summary.clone() }),
    }
    let (state, description) = status_for(v);
    if current.status.as_ref() != Some(&(state.clone(), description.clone())) {
        writes.push(Write::SetStatus {
            sha: pr.head.sha.clone(),
            context: opts.status_context.clone(),
            state,
            description,
        });
    }
    // The verdict of `evaluate_with` already knows the memory; one of plain `evaluate` does not.
    let rr = &v.review.rereview;
    if rr.request && (rr.after_review || !memory.rereview_requested_for_head) {
        let key = rr.marker_key();
        writes.push(Write::RequestRereview {
            body: rereview_body(&cfg.coderabbit.rereview_trigger, &key),
            sha: key,
        });
    }
    Plan { writes }
}

/// The plan when the configuration cannot be used: a failing status that points at the error and
/// the sticky comment explaining it. Labels are left alone (we cannot know the rules).
pub fn plan_config_error(
    pr: &PrSnapshot,
    message: &str,
    current: &CurrentState,
    opts: &PlanOptions,
) -> Plan {
    let mut writes = Vec::new();
    if pr.state != PrState::Open {
        return Plan { writes };
    }
    let body = crate::render::config_error_summary(message);
    match &current.sticky_comment {
        Some((id, old)) if *old != body => writes.push(Write::UpdateComment { id: *id, body }),
        Some(_) => {}
        None => writes.push(Write::CreateComment { body }),
    }
    let first = message.lines().next().unwrap_or("invalid configuration");
    let description: String = format!("configuration error: {first}").chars().take(140).collect();
    let want = ("failure".to_string(), description.clone());
    if current.status.as_ref() != Some(&want) {
        writes.push(Write::SetStatus {
            sha: pr.head.sha.clone(),
            context: opts.status_context.clone(),
            state: "failure".into(),
            description,
        });
    }
    Plan { writes }
}

/// The plan for an issue: its findings as one sticky comment (labels are the humans' to change).
/// A clean issue without a comment gets none; an existing comment is kept current.
pub fn plan_issue(v: &IssueVerdict, sticky: Option<&(u64, String)>) -> Plan {
    let body = crate::render::issue_summary(v);
    let clean = v.findings.iter().all(|f| f.severity == crate::Severity::Info);
    let writes = match sticky {
        Some((id, old)) if *old != body => vec![Write::UpdateComment { id: *id, body }],
        Some(_) => vec![],
        None if clean => vec![],
        None => vec![Write::CreateComment { body }],
    };
    Plan { writes }
}

/// The state a plan leaves behind, for tests and dry runs: apply `plan` to `pr` and `current`.
pub fn applied(pr: &PrSnapshot, current: &CurrentState, plan: &Plan) -> (PrSnapshot, CurrentState) {
    let mut pr = pr.clone();
    let mut cur = current.clone();
    for w in &plan.writes {
        match w {
            Write::CreateLabel { name, .. } => {
                cur.repo_labels.get_or_insert_with(Vec::new).push(name.clone())
            }
            Write::AddLabels { labels } => pr.labels.extend(labels.iter().cloned()),
            Write::RemoveLabel { name } => pr.labels.retain(|l| l != name),
            Write::CreateComment { body } => cur.sticky_comment = Some((1, body.clone())),
            Write::UpdateComment { id, body } => cur.sticky_comment = Some((*id, body.clone())),
            Write::SetStatus { state, description, .. } => {
                cur.status = Some((state.clone(), description.clone()))
            }
            Write::RequestRereview { sha, .. } => pr.rereview_requested_shas.push(sha.clone()),
        }
    }
    (pr, cur)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluate;
    use crate::snapshot::{ChangedFile, ReviewState};
    use crate::test_support::{HEAD, pr, review};

    fn policy() -> Policy {
        Policy::process_default().unwrap()
    }

    fn full() -> PrSnapshot {
        let mut p = pr();
        p.files = Some(vec![ChangedFile {
            path: "app/main.py".into(),
            status: "modified".into(),
            additions: 1,
            deletions: 0,
            previous_path: None,
        }]);
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
        p.labels = vec!["bug".into(), "status:coderabbit-approved".into(), "agent:docs".into()];
        p
    }

    #[test]
    fn first_plan_then_nothing() {
        let policy = policy();
        let p = full();
        let cur = CurrentState { repo_labels: Some(vec!["bug".into()]), ..Default::default() };
        let v = evaluate(&p, &policy);
        let first = plan(&p, &v, &cur, &Memory::default(), &policy, &PlanOptions::default());
        let kinds: Vec<&str> = first.writes.iter().map(Write::kind).collect();
        assert_eq!(
            kinds,
            [
                "create_label",
                "create_label",
                "remove_label",
                "remove_label",
                "add_labels",
                "create_comment",
                "set_status"
            ]
        );
        // The human's `bug` label is never touched.
        assert!(
            !first.writes.iter().any(|w| matches!(w, Write::RemoveLabel { name } if name == "bug"))
        );
        let (p2, cur2) = applied(&p, &cur, &first);
        let v2 = evaluate(&p2, &policy);
        let second = plan(&p2, &v2, &cur2, &Memory::default(), &policy, &PlanOptions::default());
        assert!(second.is_empty(), "{second:?}");
    }

    #[test]
    fn rereview_once_per_sha() {
        let policy = policy();
        let mut p = full();
        p.reviews = Some(vec![]);
        let cur = CurrentState::default();
        let v = evaluate(&p, &policy);
        let first = plan(&p, &v, &cur, &Memory::default(), &policy, &PlanOptions::default());
        let body = first.writes.iter().find_map(|w| match w {
            Write::RequestRereview { body, .. } => Some(body.clone()),
            _ => None,
        });
        let body = body.unwrap();
        assert!(body.starts_with("@coderabbitai review\n"));
        assert_eq!(rereview_shas_in([body.as_str()]), vec![HEAD.to_string()]);
        let (p2, cur2) = applied(&p, &cur, &first);
        let v2 = evaluate(&p2, &policy);
        assert!(
            plan(&p2, &v2, &cur2, &Memory::default(), &policy, &PlanOptions::default()).is_empty()
        );
    }

    #[test]
    fn one_request_after_a_review_without_approval_and_without_open_threads() {
        let policy = policy();
        let mut p = full();
        // The request made when the head had no review yet, then CodeRabbit's COMMENTED review.
        p.rereview_requested_shas = vec![HEAD.into()];
        p.reviews = Some(vec![review(
            9,
            "coderabbitai[bot]",
            crate::snapshot::ReviewState::Commented,
            HEAD,
            "2026-01-02T00:00:00Z",
        )]);
        p.review_threads = Some(vec![]);
        let cur = CurrentState::default();
        // The store remembers the first request: it does not hold back the one after the review.
        let memory = Memory { rereview_requested_for_head: true, ..Memory::default() };
        let v = crate::verdict::evaluate_with(&p, &policy, &memory);
        let first = plan(&p, &v, &cur, &memory, &policy, &PlanOptions::default());
        let body = first
            .writes
            .iter()
            .find_map(|w| match w {
                Write::RequestRereview { body, .. } => Some(body.clone()),
                _ => None,
            })
            .unwrap();
        assert_eq!(rereview_shas_in([body.as_str()]), vec![format!("{HEAD}+reviewed")]);
        assert!(v.summary.contains("requested again for"), "{}", v.summary);
        let (p2, cur2) = applied(&p, &cur, &first);
        let v2 = crate::verdict::evaluate_with(&p2, &policy, &memory);
        assert!(plan(&p2, &v2, &cur2, &memory, &policy, &PlanOptions::default()).is_empty());
        assert_eq!(v2.summary, v.summary, "posting the request does not change the summary");
    }

    #[test]
    fn a_broken_configuration_is_a_failing_status_not_a_crash() {
        let p = full();
        let msg = ".github/plasma.yml:3:5: unknown field `tilte`";
        let pl = plan_config_error(&p, msg, &CurrentState::default(), &PlanOptions::default());
        assert!(pl.writes.iter().any(|w| matches!(w, Write::SetStatus { state, description, .. }
            if state == "failure" && description.contains("plasma.yml:3:5"))));
        let (_, cur) = applied(&p, &CurrentState::default(), &pl);
        assert!(plan_config_error(&p, msg, &cur, &PlanOptions::default()).is_empty());
    }

    #[test]
    fn closed_pull_requests_get_no_writes() {
        let policy = policy();
        let mut p = full();
        p.state = PrState::Closed;
        let v = evaluate(&p, &policy);
        assert!(
            plan(
                &p,
                &v,
                &CurrentState::default(),
                &Memory::default(),
                &policy,
                &PlanOptions::default()
            )
            .is_empty()
        );
    }

    #[test]
    fn the_sticky_comment_is_edited_only_when_its_text_changes() {
        let policy = policy();
        let p = full();
        let v = evaluate(&p, &policy);
        let cur = CurrentState { sticky_comment: Some((7, "old".into())), ..Default::default() };
        let pl = plan(&p, &v, &cur, &Memory::default(), &policy, &PlanOptions::default());
        assert!(pl.writes.iter().any(|w| matches!(w, Write::UpdateComment { id: 7, .. })));
        let cur =
            CurrentState { sticky_comment: Some((7, v.summary.clone())), ..Default::default() };
        let pl = plan(&p, &v, &cur, &Memory::default(), &policy, &PlanOptions::default());
        assert!(
            !pl.writes
                .iter()
                .any(|w| matches!(w, Write::UpdateComment { .. } | Write::CreateComment { .. }))
        );
        assert!(crate::render::SUMMARY_MARKER.starts_with("<!--"));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

        /// Level-triggered reconciliation rests on this: once a plan is applied, planning again
        /// from the resulting state yields nothing to do.
        #[test]
        fn applying_a_plan_reaches_a_fixed_point(p in crate::verdict::tests::arb_pr()) {
            let policy = policy();
            let cur = CurrentState::default();
            let v = evaluate(&p, &policy);
            let first = plan(&p, &v, &cur, &Memory::default(), &policy, &PlanOptions::default());
            let (p2, cur2) = applied(&p, &cur, &first);
            let v2 = evaluate(&p2, &policy);
            let second = plan(&p2, &v2, &cur2, &Memory::default(), &policy, &PlanOptions::default());
            proptest::prop_assert!(second.is_empty(), "{:?}", second);
            // Never a label outside the owned prefixes.
            for w in &first.writes {
                if let Write::RemoveLabel { name } = w {
                    proptest::prop_assert!(name.starts_with("status:") || name.starts_with("agent:"));
                }
            }
        }
    }
}

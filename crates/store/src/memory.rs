//! The facts the reconciler keeps about one pull request between runs. Only facts: the rules that
//! read them (a human's removal of an agent label wins; one re-review per head) are the policy
//! core's (`plasma_policy::plan::memory`).

/// What is remembered of one pull request, for the head commit being judged.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrMemory {
    /// A re-review of the head commit was requested.
    pub rereview_requested_for_head: bool,
    /// Agent labels plasma-ops applied, with the fingerprint of the files that earned each,
    /// sorted by label.
    pub applied_agent_labels: Vec<(String, String)>,
}

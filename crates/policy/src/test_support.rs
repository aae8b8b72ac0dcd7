//! Builders shared by the rules' tests.

use crate::snapshot::*;

pub(crate) const HEAD: &str = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678";
pub(crate) const OLD: &str = "0000000111111122222223333333444444455555";

/// An open, non-draft pull request `plasma-engine/plasma-engine-gateway#12` that knows nothing
/// beyond its payload (files, commits, reviews and checks are unknown).
pub(crate) fn pr() -> PrSnapshot {
    PrSnapshot {
        version: SNAPSHOT_VERSION,
        repository: "plasma-engine/plasma-engine-gateway".into(),
        number: 12,
        title: "[PE-12] Gateway bootstrap".into(),
        body: "- [x] Tests run\n- [x] Lint pass\n- [x] Docs updated\n- [x] ADR impact: none\n"
            .into(),
        state: PrState::Open,
        merged: false,
        draft: false,
        author: Actor::user("bob"),
        base: GitRef { name: "main".into(), sha: OLD.into() },
        head: GitRef { name: "gateway/PE-12-bootstrap-fastapi".into(), sha: HEAD.into() },
        labels: vec![],
        files: None,
        commits: None,
        reviews: None,
        check_runs: None,
        statuses: None,
        rereview_requested_shas: vec![],
        infra: None,
        review_threads: None,
    }
}

/// A submitted review.
pub(crate) fn review(id: u64, login: &str, state: ReviewState, sha: &str, at: &str) -> Review {
    Review {
        id,
        author: Actor {
            login: login.into(),
            kind: if login.ends_with("[bot]") { ActorKind::Bot } else { ActorKind::User },
        },
        state,
        commit_id: Some(sha.into()),
        submitted_at: at.parse().ok(),
        body: String::new(),
    }
}

//! Local git inspection for plasma-ops: the commits of a range with their signatures, branches and
//! tags, read with gix (one walk, no `git` process per commit), signature verification with the
//! same external verifiers git uses (`gpg`, `gpgsm`, `ssh-keygen`) run in parallel, and the few
//! writes a release needs (an annotated tag, a branch), done with the `git` binary so hooks and
//! configuration behave exactly as the user's own git, as are the work-tree questions (its files,
//! the lines changed since a base) the audit and the coverage gate ask. Every git, gpg and
//! ssh-keygen process plasma-ops starts is started here.
//!
//! No rule lives here: this crate reports facts, the policy core judges them.

mod error;
mod range;
mod refs;
mod repo;
mod verify;
mod walk;
mod worktree;
mod write;

pub use error::GitError;
pub use gix::ObjectId;
pub use range::{RangeSpec, Resolved};
pub use refs::{RefInfo, RefKind};
pub use repo::{CommitInfo, GitRepo, Signature, SignatureKind};
pub use verify::{SignatureStatus, VerifyOptions, verify_all, verify_one};
pub use worktree::{
    added_files, changed_lines, listed_files, parse_diff, toplevel, tracked_files, verify_commit,
};
pub use write::GIT;

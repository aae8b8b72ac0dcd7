//! Commit history as the process wants it: Conventional Commits parsed as commitlint parses them,
//! a commitlint-compatible linter, the history rules (signatures, linear history, messages, tags)
//! and release planning (the next semantic version and its notes).
//!
//! Pure: git facts come in as plain data, read by `plasma-gitrepo`; nothing here reads the clock.

pub mod commitlint;
pub mod conventional;
pub mod release;
pub mod rules;

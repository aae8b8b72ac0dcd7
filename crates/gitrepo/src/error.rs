//! Errors of this crate: what failed, on which repository or revision, and what to do.

use std::path::PathBuf;

/// Anything that stops a git inspection or write.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// No repository at or above the path.
    #[error(
        "{path}: not inside a git repository ({detail}); run the command in a clone or pass its path"
    )]
    NotARepository {
        /// Where we looked.
        path: PathBuf,
        /// What gix said.
        detail: String,
    },
    /// A revision or range that does not resolve.
    #[error(
        "revision `{spec}` does not resolve: {detail}; check the name with `git rev-parse {spec}`"
    )]
    BadRevision {
        /// The spec as given.
        spec: String,
        /// What gix said.
        detail: String,
    },
    /// A range form we do not support.
    #[error("range `{spec}` is not supported: {why}")]
    UnsupportedRange {
        /// The spec as given.
        spec: String,
        /// Why, and what to use instead.
        why: String,
    },
    /// Reading objects or references failed (a corrupt or unusual repository).
    #[error("reading {what}: {detail}")]
    Read {
        /// What we were reading.
        what: String,
        /// What gix said.
        detail: String,
    },
    /// A write was refused because the repository is not in a state where it is safe.
    #[error("{0}")]
    Refused(String),
    /// Running an external program (`git`, `gpg`, `ssh-keygen`) failed.
    #[error("running `{program}`: {detail}")]
    Command {
        /// The program and its first arguments.
        program: String,
        /// Its error output or the OS error.
        detail: String,
    },
}

impl GitError {
    pub(crate) fn read(what: impl Into<String>, e: impl std::fmt::Display) -> Self {
        GitError::Read { what: what.into(), detail: e.to_string() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_error_names_what_was_read_and_why() {
        let e = GitError::read("commit 1234abc", "object not found");
        assert!(
            matches!(&e, GitError::Read { what, detail } if what == "commit 1234abc" && detail == "object not found"),
            "{e:?}"
        );
        assert!(e.to_string().contains("commit 1234abc"), "{e}");
        assert!(e.to_string().contains("object not found"), "{e}");
    }
}

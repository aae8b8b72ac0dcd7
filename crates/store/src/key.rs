//! The key of a job: what a job is about. One job row exists per key.
//!
//! Stored (and serialised) as text: a pull request `owner/repo#n`, an issue `issue:owner/repo#n`,
//! a commit whose pull requests must first be looked up `sha:owner/repo@<sha>`, a repository's
//! deployments `deployments:owner/repo` and its production gate `gate:owner/repo`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// What a job is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum JobKey {
    /// Reconcile a pull request.
    Pr {
        /// `owner/name`.
        repo: String,
        /// The pull request's number.
        number: u64,
    },
    /// Evaluate an issue.
    Issue {
        /// `owner/name`.
        repo: String,
        /// The issue's number.
        number: u64,
    },
    /// Find the open pull requests of a commit and trigger them.
    Sha {
        /// `owner/name`.
        repo: String,
        /// The commit.
        sha: String,
    },
    /// Work out what a repository's deployments were and brought (rollbacks, pull requests).
    Deployments {
        /// `owner/name`.
        repo: String,
    },
    /// Answer a repository's waiting deployment protection rules (the production gate).
    Gate {
        /// `owner/name`.
        repo: String,
    },
    /// Put an issue's card in its column on the project board.
    Board {
        /// `owner/name` of the issue's repository.
        repo: String,
        /// The issue's number.
        number: u64,
    },
    /// Move the card of the issue a pull request's key names (found from its title or branch).
    BoardPr {
        /// `owner/name` of the pull request's repository.
        repo: String,
        /// The pull request's number.
        number: u64,
    },
}

/// A text that is not a job key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unreadable job key {0:?}: a key is `owner/repo#N` (pull request), `issue:owner/repo#N` or \
     `sha:owner/repo@SHA`, `deployments:owner/repo`, `gate:owner/repo`, `board:owner/repo#N` or \
     `board-pr:owner/repo#N`"
)]
pub struct JobKeyError(pub String);

impl JobKey {
    /// The repository `owner/name`.
    pub fn repo(&self) -> &str {
        match self {
            JobKey::Pr { repo, .. } | JobKey::Issue { repo, .. } | JobKey::Sha { repo, .. } => repo,
            JobKey::Deployments { repo } | JobKey::Gate { repo } => repo,
            JobKey::Board { repo, .. } | JobKey::BoardPr { repo, .. } => repo,
        }
    }
}

impl fmt::Display for JobKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JobKey::Pr { repo, number } => write!(f, "{repo}#{number}"),
            JobKey::Issue { repo, number } => write!(f, "issue:{repo}#{number}"),
            JobKey::Sha { repo, sha } => write!(f, "sha:{repo}@{sha}"),
            JobKey::Deployments { repo } => write!(f, "deployments:{repo}"),
            JobKey::Gate { repo } => write!(f, "gate:{repo}"),
            JobKey::Board { repo, number } => write!(f, "board:{repo}#{number}"),
            JobKey::BoardPr { repo, number } => write!(f, "board-pr:{repo}#{number}"),
        }
    }
}

impl FromStr for JobKey {
    type Err = JobKeyError;

    fn from_str(key: &str) -> Result<JobKey, JobKeyError> {
        let unreadable = || JobKeyError(key.to_owned());
        if let Some(rest) = key.strip_prefix("issue:") {
            let (repo, n) = rest.rsplit_once('#').ok_or_else(unreadable)?;
            let number = n.parse().map_err(|_| unreadable())?;
            return Ok(JobKey::Issue { repo: repo.into(), number });
        }
        let whole_repo = |repo: &str| repo.split('/').count() == 2 && !repo.contains('#');
        for (prefix, pr) in [("board:", false), ("board-pr:", true)] {
            if let Some(rest) = key.strip_prefix(prefix) {
                let (repo, n) = rest.rsplit_once('#').ok_or_else(unreadable)?;
                let number = n.parse().map_err(|_| unreadable())?;
                if !whole_repo(repo) {
                    return Err(unreadable());
                }
                let repo = repo.to_string();
                return Ok(if pr {
                    JobKey::BoardPr { repo, number }
                } else {
                    JobKey::Board { repo, number }
                });
            }
        }
        if let Some(repo) = key.strip_prefix("deployments:").filter(|r| whole_repo(r)) {
            return Ok(JobKey::Deployments { repo: repo.into() });
        }
        if let Some(repo) = key.strip_prefix("gate:").filter(|r| whole_repo(r)) {
            return Ok(JobKey::Gate { repo: repo.into() });
        }
        if let Some(rest) = key.strip_prefix("sha:") {
            let (repo, sha) = rest.rsplit_once('@').ok_or_else(unreadable)?;
            return Ok(JobKey::Sha { repo: repo.into(), sha: sha.into() });
        }
        let (repo, n) = key.rsplit_once('#').ok_or_else(unreadable)?;
        if repo.split('/').count() != 2 {
            return Err(unreadable());
        }
        let number = n.parse().map_err(|_| unreadable())?;
        Ok(JobKey::Pr { repo: repo.into(), number })
    }
}

impl TryFrom<String> for JobKey {
    type Error = JobKeyError;

    fn try_from(key: String) -> Result<JobKey, JobKeyError> {
        key.parse()
    }
}

impl From<JobKey> for String {
    fn from(key: JobKey) -> String {
        key.to_string()
    }
}

#[cfg(test)]
mod tests {
    use rand::{Rng, SeedableRng};

    use super::*;

    fn pr(repo: &str, number: u64) -> JobKey {
        JobKey::Pr { repo: repo.into(), number }
    }

    #[test]
    fn text_table() {
        let table = [
            ("o/r#12", pr("o/r", 12)),
            ("issue:o/r#3", JobKey::Issue { repo: "o/r".into(), number: 3 }),
            ("sha:o/r@abc", JobKey::Sha { repo: "o/r".into(), sha: "abc".into() }),
            ("plasma-engine/plasma.ops#0", pr("plasma-engine/plasma.ops", 0)),
            ("deployments:o/r", JobKey::Deployments { repo: "o/r".into() }),
            ("gate:o/r", JobKey::Gate { repo: "o/r".into() }),
            ("board:o/r#7", JobKey::Board { repo: "o/r".into(), number: 7 }),
            ("board-pr:o/r#8", JobKey::BoardPr { repo: "o/r".into(), number: 8 }),
        ];
        assert_eq!(JobKey::Sha { repo: "o/r".into(), sha: "abc".into() }.repo(), "o/r");
        for (text, key) in table {
            assert_eq!(text.parse::<JobKey>(), Ok(key.clone()), "{text}");
            assert_eq!(key.to_string(), text);
            assert_eq!(serde_json::to_string(&key).unwrap(), format!("\"{text}\""));
        }
    }

    #[test]
    fn unreadable_keys_are_refused() {
        for text in [
            "nonsense",
            "o/r#x",
            "o#1",
            "a/b/c#1",
            "issue:o/r",
            "issue:o/r#-1",
            "sha:o/r",
            "",
            "gate:o",
            "deployments:a/b/c",
            "board:o/r",
            "board:o#1",
            "board-pr:o/r#x",
        ] {
            let err = text.parse::<JobKey>().unwrap_err();
            assert_eq!(err, JobKeyError(text.to_owned()));
            assert!(serde_json::from_str::<JobKey>(&format!("{text:?}")).is_err(), "{text}");
        }
        assert!(JobKeyError("o/r#x".into()).to_string().contains("owner/repo#N"));
    }

    /// Every key reads back as itself, through `Display`/`FromStr` and through JSON, so rows
    /// stored as text before the type existed keep their meaning.
    #[test]
    fn every_key_round_trips() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let word = |rng: &mut rand::rngs::StdRng| -> String {
            let alphabet: Vec<char> = "abcXYZ019-_.#@:".chars().collect();
            let len = rng.random_range(1..10);
            (0..len).map(|_| alphabet[rng.random_range(0..alphabet.len())]).collect()
        };
        for _ in 0..2_000 {
            let repo = format!("{}/{}", word(&mut rng), word(&mut rng)).replace(['/', '#'], "x");
            let repo = format!("{}/{}", &repo[..1], &repo[1..]);
            let number = rng.random_range(0..u64::MAX);
            let key = match rng.random_range(0..3) {
                0 => pr(&repo, number),
                1 => JobKey::Issue { repo, number },
                _ => JobKey::Sha {
                    repo: repo.replace('@', "x"),
                    sha: word(&mut rng).replace('@', "x"),
                },
            };
            assert_eq!(key.to_string().parse::<JobKey>(), Ok(key.clone()), "{key}");
            let json = serde_json::to_string(&key).unwrap();
            assert_eq!(serde_json::from_str::<JobKey>(&json).unwrap(), key);
        }
    }
}

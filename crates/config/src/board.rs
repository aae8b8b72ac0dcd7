//! `board:` section: the GitHub Projects (v2) board whose cards plasma-ops moves, the
//! single-select field that holds a card's column, and the option names of the process's four
//! columns. The project is written as its URL or `OWNER/NUMBER`; [`ProjectRef::parse`] reads it.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::PolicyError;

/// `board:` section. Without `project` plasma-ops moves no card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct BoardConfig {
    /// The project: `https://github.com/orgs/ORG/projects/N`,
    /// `https://github.com/users/USER/projects/N` or `ORG/N`. Unset: no board.
    pub project: Option<String>,
    /// The single-select field that holds a card's column.
    pub status_field: String,
    /// The option of `status_field` each column of the process is called.
    pub columns: BoardColumns,
}

impl Default for BoardConfig {
    fn default() -> Self {
        BoardConfig {
            project: None,
            status_field: "Status".into(),
            columns: BoardColumns::default(),
        }
    }
}

/// `board.columns`: option names, one per column of the process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct BoardColumns {
    /// An open issue with no pull request.
    pub backlog: String,
    /// A pull request open as a draft or without a review request.
    pub in_progress: String,
    /// A pull request ready for review or with a review requested.
    pub review: String,
    /// A merged pull request, or the issue closed as completed.
    pub done: String,
}

impl Default for BoardColumns {
    fn default() -> Self {
        BoardColumns {
            backlog: "Backlog".into(),
            in_progress: "In Progress".into(),
            review: "Review".into(),
            done: "Done".into(),
        }
    }
}

impl BoardColumns {
    /// The four names with their keys, in the process's order.
    pub fn named(&self) -> [(&'static str, &str); 4] {
        [
            ("backlog", &self.backlog),
            ("in_progress", &self.in_progress),
            ("review", &self.review),
            ("done", &self.done),
        ]
    }
}

/// Who owns a project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ProjectOwnerKind {
    /// `https://github.com/orgs/...`.
    Organization,
    /// `https://github.com/users/...`.
    User,
    /// `OWNER/N`: an organisation's, else a user's.
    Unknown,
}

/// A project as configured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProjectRef {
    /// Organisation or user.
    pub kind: ProjectOwnerKind,
    /// Its login.
    pub owner: String,
    /// The project's number (in its URL).
    pub number: u64,
}

impl fmt::Display for ProjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            ProjectOwnerKind::User => {
                write!(f, "https://github.com/users/{}/projects/{}", self.owner, self.number)
            }
            _ => write!(f, "https://github.com/orgs/{}/projects/{}", self.owner, self.number),
        }
    }
}

/// A GitHub login: 1 to 39 ASCII letters, digits or inner hyphens.
fn is_login(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 39
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

fn number(s: &str) -> Option<u64> {
    let valid = !s.is_empty() && s.len() <= 9 && s.bytes().all(|b| b.is_ascii_digit());
    valid.then(|| s.parse().ok()).flatten().filter(|n| *n > 0)
}

impl ProjectRef {
    /// Reads `https://github.com/orgs/ORG/projects/N` (also `users/`, with or without scheme,
    /// a trailing slash or `/views/M`) or `OWNER/N`.
    pub fn parse(text: &str) -> Option<ProjectRef> {
        let t = text.trim();
        let t = t.strip_prefix("https://").or_else(|| t.strip_prefix("http://")).unwrap_or(t);
        let t = t.trim_end_matches('/');
        let parts: Vec<&str> = t.split('/').collect();
        let (kind, owner, n) = match parts.as_slice() {
            [owner, n] => (ProjectOwnerKind::Unknown, *owner, *n),
            ["github.com", scope, owner, "projects", n, rest @ ..]
                if rest.is_empty() || (rest.len() == 2 && rest[0] == "views") =>
            {
                let kind = match *scope {
                    "orgs" => ProjectOwnerKind::Organization,
                    "users" => ProjectOwnerKind::User,
                    _ => return None,
                };
                (kind, *owner, *n)
            }
            _ => return None,
        };
        if !is_login(owner) {
            return None;
        }
        Some(ProjectRef { kind, owner: owner.to_string(), number: number(n)? })
    }
}

impl BoardConfig {
    /// The configured project, `None` when the board is off; an unreadable one is an error.
    pub fn project_ref(&self) -> Result<Option<ProjectRef>, PolicyError> {
        let Some(text) = &self.project else { return Ok(None) };
        ProjectRef::parse(text).map(Some).ok_or_else(|| PolicyError {
            key: "board.project".into(),
            message: format!("`{}` is not a project", text.chars().take(120).collect::<String>()),
            hint: "write the project's URL (`https://github.com/orgs/ORG/projects/N` or \
                   `https://github.com/users/USER/projects/N`) or `ORG/N`"
                .into(),
        })
    }

    /// Every problem the loader cannot see: an unreadable project, an empty field or column
    /// name, two columns with one name.
    pub fn validate(&self) -> Vec<PolicyError> {
        let mut errors: Vec<PolicyError> = self.project_ref().err().into_iter().collect();
        if self.status_field.trim().is_empty() {
            errors.push(PolicyError {
                key: "board.status_field".into(),
                message: "the field name is empty".into(),
                hint: "name the project's single-select field, e.g. `Status`".into(),
            });
        }
        let named = self.columns.named();
        for (i, (key, name)) in named.iter().enumerate() {
            if name.trim().is_empty() {
                errors.push(PolicyError {
                    key: format!("board.columns.{key}"),
                    message: "the column name is empty".into(),
                    hint: "name an option of the status field".into(),
                });
            } else if let Some((other, _)) = named[..i].iter().find(|(_, n)| n == name) {
                errors.push(PolicyError {
                    key: format!("board.columns.{key}"),
                    message: format!("`{name}` is also `board.columns.{other}`"),
                    hint: "give each column its own option: the column says where a card is".into(),
                });
            }
        }
        errors
    }
}

/// `owner/name`, as `issue_key.tracker` is written.
pub fn is_repo_name(s: &str) -> bool {
    match s.split_once('/') {
        Some((owner, name)) => {
            is_login(owner)
                && !name.is_empty()
                && name.len() <= 100
                && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
                && name != "."
                && name != ".."
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(kind: ProjectOwnerKind, owner: &str, number: u64) -> Option<ProjectRef> {
        Some(ProjectRef { kind, owner: owner.into(), number })
    }

    #[test]
    fn projects_are_read_from_urls_and_short_forms() {
        use ProjectOwnerKind::*;
        let table = [
            (
                "https://github.com/orgs/plasma-engine/projects/3",
                r(Organization, "plasma-engine", 3),
            ),
            ("github.com/orgs/plasma-engine/projects/3/", r(Organization, "plasma-engine", 3)),
            ("https://github.com/orgs/o/projects/3/views/2", r(Organization, "o", 3)),
            ("https://github.com/users/alice/projects/12", r(User, "alice", 12)),
            ("plasma-engine/3", r(Unknown, "plasma-engine", 3)),
            (" plasma-engine/3 ", r(Unknown, "plasma-engine", 3)),
            ("plasma-engine/0", None),
            ("plasma-engine/x", None),
            ("plasma-engine/99999999999", None),
            ("https://github.com/teams/o/projects/3", None),
            ("https://github.com/orgs/o/projects/3/items/1", None),
            ("-bad/3", None),
            ("a b/3", None),
            ("3", None),
            ("", None),
        ];
        for (text, want) in table {
            assert_eq!(ProjectRef::parse(text), want, "{text}");
        }
        let p = ProjectRef::parse("o/3").unwrap();
        assert_eq!(p.to_string(), "https://github.com/orgs/o/projects/3");
        let p = ProjectRef::parse("github.com/users/u/projects/4").unwrap();
        assert_eq!(p.to_string(), "https://github.com/users/u/projects/4");
    }

    #[test]
    fn defaults_are_the_process_columns_and_no_board() {
        let b = BoardConfig::default();
        assert_eq!(b.project_ref(), Ok(None));
        assert!(b.validate().is_empty());
        let names: Vec<&str> = b.columns.named().iter().map(|(_, n)| *n).collect();
        assert_eq!(names, ["Backlog", "In Progress", "Review", "Done"]);
    }

    #[test]
    fn problems_name_their_key() {
        let b: BoardConfig = yaml_serde::from_str(
            "project: not a project\nstatus_field: ' '\ncolumns: {review: Backlog, done: ''}",
        )
        .unwrap();
        let keys: Vec<String> = b.validate().into_iter().map(|e| e.key).collect();
        assert_eq!(
            keys,
            ["board.project", "board.status_field", "board.columns.review", "board.columns.done"]
        );
        assert!(yaml_serde::from_str::<BoardConfig>("colums: {}").is_err());
    }

    #[test]
    fn tracker_names_are_owner_slash_name() {
        for ok in ["plasma-engine/plasma-ops", "o/r.s_t"] {
            assert!(is_repo_name(ok), "{ok}");
        }
        for bad in ["o", "o/", "/r", "o/r/s", "o/..", "o/r s", "-o/r"] {
            assert!(!is_repo_name(bad), "{bad}");
        }
    }
}

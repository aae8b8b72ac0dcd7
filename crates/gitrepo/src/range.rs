//! Which commits a command looks at. The rules (documented in docs/cli-json.md):
//!
//! - `A..B`: commits reachable from `B` and not from `A` (git's meaning).
//! - `A...B`: commits reachable from either but not from their merge base.
//! - a single revision `R`: `R` and its whole ancestry.
//! - `R^!`: just `R`.
//! - nothing (the default): on the main branch, all of it; on any other branch, the commits since
//!   it left main (`main..HEAD`, with `origin/main` when there is no local `main`); with neither
//!   `main` nor `origin/main`, all of HEAD's ancestry.

use gix::ObjectId;
use gix::revision::plumbing::Spec;

use crate::error::GitError;
use crate::repo::GitRepo;

/// A range as the user wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RangeSpec {
    /// The default rule, relative to the named main branch.
    Default {
        /// Short name of the main branch, usually `main`.
        main: String,
    },
    /// A git revision or range expression.
    Expr(String),
}

/// A range resolved to commits to include and commits whose ancestry is excluded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// Walk from these.
    pub include: Vec<ObjectId>,
    /// Do not cross these or list any of their ancestors.
    pub exclude: Vec<ObjectId>,
    /// What the range means, for messages (`feature/x since it left main`).
    pub label: String,
    /// Whether the range is the main branch itself (so merges there break linear history).
    pub on_main: bool,
}

impl GitRepo {
    /// Resolves `spec` into commits to walk.
    pub fn resolve_range(&self, spec: &RangeSpec) -> Result<Resolved, GitError> {
        match spec {
            RangeSpec::Default { main } => self.default_range(main),
            RangeSpec::Expr(expr) => self.expr_range(expr),
        }
    }

    fn default_range(&self, main: &str) -> Result<Resolved, GitError> {
        let head = self.head_id()?;
        let branch = self.current_branch()?;
        if branch.as_deref() == Some(main) {
            return Ok(Resolved {
                include: vec![head],
                exclude: vec![],
                label: format!("{main} (all of it)"),
                on_main: true,
            });
        }
        let here = branch.clone().unwrap_or_else(|| "HEAD".to_string());
        for base in [format!("refs/heads/{main}"), format!("refs/remotes/origin/{main}")] {
            if let Ok(id) = self.resolve_commit(&base) {
                let short =
                    base.trim_start_matches("refs/heads/").trim_start_matches("refs/remotes/");
                return Ok(Resolved {
                    include: vec![head],
                    exclude: vec![id],
                    label: format!("{here} since it left {short}"),
                    on_main: false,
                });
            }
        }
        Ok(Resolved {
            include: vec![head],
            exclude: vec![],
            label: format!("{here} (all of it: no `{main}` or `origin/{main}` to start from)"),
            on_main: false,
        })
    }

    fn expr_range(&self, expr: &str) -> Result<Resolved, GitError> {
        let bad = |detail: String| GitError::BadRevision { spec: expr.to_string(), detail };
        let spec = self.repo.rev_parse(expr).map_err(|e| bad(e.to_string()))?.detach();
        let label = expr.to_string();
        let on_main = false;
        let peel =
            |id: ObjectId| -> Result<ObjectId, GitError> { self.resolve_commit(&id.to_string()) };
        match spec {
            Spec::Include(id) => {
                Ok(Resolved { include: vec![peel(id)?], exclude: vec![], label, on_main })
            }
            Spec::Range { from, to } => Ok(Resolved {
                include: vec![peel(to)?],
                exclude: vec![peel(from)?],
                label,
                on_main,
            }),
            Spec::Merge { theirs, ours } => {
                let (theirs, ours) = (peel(theirs)?, peel(ours)?);
                let base = self.repo.merge_base(theirs, ours).map_err(|e| bad(e.to_string()))?;
                Ok(Resolved {
                    include: vec![theirs, ours],
                    exclude: base.map(gix::Id::detach).into_iter().collect(),
                    label,
                    on_main,
                })
            }
            Spec::ExcludeParents(id) => {
                let id = peel(id)?;
                let c = self.commit_info(id)?;
                let exclude = c
                    .parents
                    .iter()
                    .filter_map(|p| ObjectId::from_hex(p.as_bytes()).ok())
                    .collect();
                Ok(Resolved { include: vec![id], exclude, label, on_main })
            }
            Spec::IncludeOnlyParents(id) => {
                let c = self.commit_info(peel(id)?)?;
                let include = c
                    .parents
                    .iter()
                    .filter_map(|p| ObjectId::from_hex(p.as_bytes()).ok())
                    .collect();
                Ok(Resolved { include, exclude: vec![], label, on_main })
            }
            Spec::Exclude(_) => Err(GitError::UnsupportedRange {
                spec: expr.to_string(),
                why: "an exclusion alone selects no commits; write `A..B`".into(),
            }),
        }
    }
}

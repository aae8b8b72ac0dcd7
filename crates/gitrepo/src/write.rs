//! The writes a release needs: an annotated tag and a branch. They go through the `git` binary so
//! the user's configuration (`tag.gpgSign`, hooks, `user.*`) applies exactly as if they typed the
//! command. The dirty check uses `git status --porcelain` for the same reason: it honours the index,
//! `.gitignore`, filters and submodules exactly as git does.

use std::process::Command;

use crate::error::GitError;
use crate::repo::GitRepo;

/// The git executable.
pub const GIT: &str = "git";

impl GitRepo {
    fn git(&self, args: &[&str]) -> Result<String, GitError> {
        let mut cmd = Command::new(GIT);
        match self.workdir() {
            Some(wd) => cmd.arg("-C").arg(wd),
            None => cmd.arg("--git-dir").arg(self.git_dir()),
        };
        let program = format!("git {}", args.iter().take(2).copied().collect::<Vec<_>>().join(" "));
        let out = cmd
            .args(args)
            .output()
            .map_err(|e| GitError::Command { program: program.clone(), detail: e.to_string() })?;
        if !out.status.success() {
            return Err(GitError::Command {
                program,
                detail: String::from_utf8_lossy(&out.stderr).trim().to_string(),
            });
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Tracked files with changes, staged or not (`git status --porcelain --untracked-files=no`).
    /// Untracked files are left out: they cannot end up in a tag or branch made from a commit.
    pub fn dirty_paths(&self) -> Result<Vec<String>, GitError> {
        let out = self.git(&["status", "--porcelain", "--untracked-files=no"])?;
        Ok(out
            .lines()
            .filter(|l| !l.is_empty())
            .map(|l| l.get(3..).unwrap_or(l).to_string())
            .collect())
    }

    /// Refuses unless the working tree is clean and `main` is checked out: a release is cut from
    /// main as it is, never from local edits or another branch.
    pub fn ensure_clean_on(&self, main: &str) -> Result<(), GitError> {
        let dirty = self.dirty_paths()?;
        if !dirty.is_empty() {
            let shown: Vec<_> = dirty.iter().take(5).map(String::as_str).collect();
            let more = if dirty.len() > 5 {
                format!(" and {} more", dirty.len() - 5)
            } else {
                String::new()
            };
            return Err(GitError::Refused(format!(
                "the working tree has uncommitted changes ({}{more}); commit or stash them first",
                shown.join(", ")
            )));
        }
        match self.current_branch()? {
            Some(b) if b == main => Ok(()),
            Some(b) => Err(GitError::Refused(format!(
                "on branch `{b}`, not `{main}`; releases are cut from `{main}`: run `git switch {main}`"
            ))),
            None => Err(GitError::Refused(format!(
                "HEAD is detached; releases are cut from `{main}`: run `git switch {main}`"
            ))),
        }
    }

    /// Whether `refs/tags/<tag>` exists.
    pub fn tag_exists(&self, tag: &str) -> bool {
        self.repo.try_find_reference(format!("refs/tags/{tag}").as_str()).ok().flatten().is_some()
    }

    /// Whether `refs/heads/<branch>` exists.
    pub fn branch_exists(&self, branch: &str) -> bool {
        self.repo
            .try_find_reference(format!("refs/heads/{branch}").as_str())
            .ok()
            .flatten()
            .is_some()
    }

    /// Creates the annotated tag `name` on `target` with `message`; refuses an existing tag.
    pub fn create_annotated_tag(
        &self,
        name: &str,
        target: &str,
        message: &str,
    ) -> Result<(), GitError> {
        refuse_option_like(name)?;
        if self.tag_exists(name) {
            return Err(GitError::Refused(format!(
                "tag `{name}` already exists; a released version is never moved — plan the next version"
            )));
        }
        self.git(&["tag", "--annotate", "--message", message, name, target]).map(drop)
    }

    /// Creates the branch `name` at `target` without switching to it; refuses an existing branch.
    pub fn create_branch(&self, name: &str, target: &str) -> Result<(), GitError> {
        refuse_option_like(name)?;
        if self.branch_exists(name) {
            return Err(GitError::Refused(format!("branch `{name}` already exists")));
        }
        self.git(&["branch", "--no-track", name, target]).map(drop)
    }
}

/// A name starting with `-` would be read by git as an option.
fn refuse_option_like(name: &str) -> Result<(), GitError> {
    if name.starts_with('-') || name.is_empty() {
        return Err(GitError::Refused(format!("`{name}` is not a valid tag or branch name")));
    }
    Ok(())
}

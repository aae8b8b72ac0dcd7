//! Branches and tags.

use gix::ObjectId;
use gix::bstr::ByteSlice;

use crate::error::GitError;
use crate::repo::GitRepo;

/// What a reference is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefKind {
    /// `refs/heads/*`.
    LocalBranch,
    /// `refs/remotes/*` (symbolic `HEAD`s left out).
    RemoteBranch,
    /// `refs/tags/*` pointing straight at an object.
    LightweightTag,
    /// `refs/tags/*` pointing at a tag object.
    AnnotatedTag,
}

/// One branch or tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefInfo {
    /// What it is.
    pub kind: RefKind,
    /// Full name, e.g. `refs/remotes/origin/main`.
    pub full_name: String,
    /// Name without the `refs/heads/`, `refs/remotes/<remote>/` or `refs/tags/` prefix: what
    /// branch and tag rules judge.
    pub name: String,
    /// The commit (or other object) it finally points at, tags peeled.
    pub target: Option<ObjectId>,
}

impl GitRepo {
    /// All local branches, remote-tracking branches and tags, sorted by full name.
    pub fn refs(&self) -> Result<Vec<RefInfo>, GitError> {
        let platform = self.repo.references().map_err(|e| GitError::read("references", e))?;
        let iter = platform.all().map_err(|e| GitError::read("references", e))?;
        let mut out = Vec::new();
        for r in iter {
            let mut r = r.map_err(|e| GitError::read("references", e))?;
            let full_name = r.name().as_bstr().to_str_lossy().into_owned();
            let (kind, name) = if let Some(n) = full_name.strip_prefix("refs/heads/") {
                (RefKind::LocalBranch, n.to_string())
            } else if let Some(n) = full_name.strip_prefix("refs/remotes/") {
                // `origin/HEAD` is a pointer to the remote's default branch, not a branch.
                if r.target().try_id().is_none() {
                    continue;
                }
                let n = n.split_once('/').map_or(n, |(_, rest)| rest);
                (RefKind::RemoteBranch, n.to_string())
            } else if let Some(n) = full_name.strip_prefix("refs/tags/") {
                let direct = r.target().try_id().map(ToOwned::to_owned);
                let annotated = match direct {
                    Some(id) => self
                        .repo
                        .find_header(id)
                        .map(|h| h.kind() == gix::object::Kind::Tag)
                        .unwrap_or(false),
                    None => false,
                };
                let kind = if annotated { RefKind::AnnotatedTag } else { RefKind::LightweightTag };
                (kind, n.to_string())
            } else {
                continue;
            };
            let target = r.peel_to_id().ok().map(gix::Id::detach);
            out.push(RefInfo { kind, full_name, name, target });
        }
        out.sort_by(|a, b| a.full_name.cmp(&b.full_name));
        Ok(out)
    }

    /// Tags only.
    pub fn tags(&self) -> Result<Vec<RefInfo>, GitError> {
        Ok(self
            .refs()?
            .into_iter()
            .filter(|r| matches!(r.kind, RefKind::LightweightTag | RefKind::AnnotatedTag))
            .collect())
    }

    /// Local and remote-tracking branches only.
    pub fn branches(&self) -> Result<Vec<RefInfo>, GitError> {
        Ok(self
            .refs()?
            .into_iter()
            .filter(|r| matches!(r.kind, RefKind::LocalBranch | RefKind::RemoteBranch))
            .collect())
    }
}

//! Opening a repository and reading commits: one gix walk over the range, each commit decoded once.

use std::path::{Path, PathBuf};

use gix::ObjectId;
use gix::bstr::ByteSlice;
use gix::revision::walk::Sorting;
use gix::traverse::commit::simple::CommitTimeOrder;

use crate::error::GitError;
use crate::range::Resolved;

/// A repository opened for inspection.
pub struct GitRepo {
    pub(crate) repo: gix::Repository,
}

/// How a commit is signed, from the armour of its `gpgsig` header (what git's `gpg.format` chose).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureKind {
    /// `-----BEGIN PGP SIGNATURE-----`, verified with `gpg`.
    OpenPgp,
    /// `-----BEGIN SSH SIGNATURE-----`, verified with `ssh-keygen -Y verify`.
    Ssh,
    /// `-----BEGIN SIGNED MESSAGE-----` (S/MIME), verified with `gpgsm`.
    X509,
    /// Armour we do not recognise; reported as unverifiable.
    Unknown,
}

impl SignatureKind {
    /// Recognises the signature's armour the way git's `get_format_by_sig` does.
    pub fn detect(signature: &[u8]) -> Self {
        let s = signature.trim_start();
        if s.starts_with(b"-----BEGIN PGP SIGNATURE-----")
            || s.starts_with(b"-----BEGIN PGP MESSAGE-----")
        {
            SignatureKind::OpenPgp
        } else if s.starts_with(b"-----BEGIN SSH SIGNATURE-----") {
            SignatureKind::Ssh
        } else if s.starts_with(b"-----BEGIN SIGNED MESSAGE-----") {
            SignatureKind::X509
        } else {
            SignatureKind::Unknown
        }
    }

    /// Lowercase name for messages and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            SignatureKind::OpenPgp => "openpgp",
            SignatureKind::Ssh => "ssh",
            SignatureKind::X509 => "x509",
            SignatureKind::Unknown => "unknown",
        }
    }
}

/// A commit's signature and the exact bytes it signs (the commit object without its `gpgsig` header).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    /// The armoured signature.
    pub kind: SignatureKind,
    /// The signature text, continuation spaces removed.
    pub signature: Vec<u8>,
    /// The signed payload.
    pub payload: Vec<u8>,
}

/// One commit as the history rules need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitInfo {
    /// Full hex object id.
    pub id: String,
    /// Full hex ids of the parents; more than one makes it a merge.
    pub parents: Vec<String>,
    /// Author name.
    pub author_name: String,
    /// Author e-mail.
    pub author_email: String,
    /// Committer e-mail: the identity an SSH signature must be allowed for.
    pub committer_email: String,
    /// Committer time, seconds since the epoch.
    pub committer_time: i64,
    /// The whole message (subject, blank line, body, trailers), lossily decoded as UTF-8.
    pub message: String,
    /// The signature, when the commit carries one.
    pub signature: Option<Signature>,
}

impl CommitInfo {
    /// Whether the commit has more than one parent.
    pub fn is_merge(&self) -> bool {
        self.parents.len() > 1
    }

    /// The first line of the message.
    pub fn subject(&self) -> &str {
        self.message.lines().next().unwrap_or("")
    }

    /// The first 12 characters of the id, for humans.
    pub fn short_id(&self) -> &str {
        self.id.get(..12).unwrap_or(&self.id)
    }
}

impl GitRepo {
    /// Opens the repository containing `path` (searching upwards like git does).
    pub fn discover(path: &Path) -> Result<Self, GitError> {
        let mut repo = gix::discover(path).map_err(|e| GitError::NotARepository {
            path: path.to_path_buf(),
            detail: e.to_string(),
        })?;
        // Each walked commit is decoded again right after the walk yields it; gix recommends an
        // object cache for exactly this pattern (bounded: 16 MiB).
        repo.object_cache_size_if_unset(16 * 1024 * 1024);
        Ok(GitRepo { repo })
    }

    /// The working tree, when the repository has one.
    pub fn workdir(&self) -> Option<PathBuf> {
        self.repo.workdir().map(Path::to_path_buf)
    }

    /// The `.git` directory.
    pub fn git_dir(&self) -> PathBuf {
        self.repo.git_dir().to_path_buf()
    }

    /// The short name of the checked-out branch; `None` when HEAD is detached.
    pub fn current_branch(&self) -> Result<Option<String>, GitError> {
        let name = self.repo.head_name().map_err(|e| GitError::read("HEAD", e))?;
        Ok(name.map(|n| n.shorten().to_str_lossy().into_owned()))
    }

    /// The commit HEAD points at.
    pub fn head_id(&self) -> Result<ObjectId, GitError> {
        self.repo
            .head_id()
            .map(gix::Id::detach)
            .map_err(|e| GitError::read("HEAD (is the repository empty?)", e))
    }

    /// Resolves `spec` (any single revision git understands) to the commit it names.
    pub fn resolve_commit(&self, spec: &str) -> Result<ObjectId, GitError> {
        let id = self
            .repo
            .rev_parse_single(spec)
            .map_err(|e| GitError::BadRevision { spec: spec.to_string(), detail: e.to_string() })?;
        let obj = id
            .object()
            .map_err(|e| GitError::BadRevision { spec: spec.to_string(), detail: e.to_string() })?;
        let commit = obj.peel_to_commit().map_err(|e| GitError::BadRevision {
            spec: spec.to_string(),
            detail: format!("not a commit: {e}"),
        })?;
        Ok(commit.id)
    }

    /// Whether the revision `spec` exists.
    pub fn has_revision(&self, spec: &str) -> bool {
        self.resolve_commit(spec).is_ok()
    }

    /// The commits of `range`, newest first by committer time (as `git log` lists them). Each
    /// commit is read and decoded once; [`GitRepo::for_each_commit`] streams the same commits
    /// while a second thread reads ahead.
    pub fn commits(&self, range: &Resolved) -> Result<Vec<CommitInfo>, GitError> {
        let mut walk = crate::walk::raw_walk(&self.repo, range)?;
        let hash = self.repo.object_hash();
        let mut out = Vec::new();
        let mut data = Vec::new();
        while let Some(id) = walk.next_into(&mut data) {
            out.push(crate::walk::decode(id?, &data, hash)?);
        }
        Ok(out)
    }

    /// [`GitRepo::commits`] as it was done before the fast walk: gix's walk, then each commit
    /// looked up and decoded field by field. Kept as the reference the tests compare the fast
    /// walk with; not for production use.
    #[doc(hidden)]
    pub fn commits_reference(&self, range: &Resolved) -> Result<Vec<CommitInfo>, GitError> {
        let walk = self
            .repo
            .rev_walk(range.include.iter().copied())
            .with_hidden(range.exclude.iter().copied())
            .sorting(Sorting::ByCommitTime(CommitTimeOrder::NewestFirst))
            .all()
            .map_err(|e| GitError::read(format!("the commits of {}", range.label), e))?;
        let mut out = Vec::new();
        for info in walk {
            let info =
                info.map_err(|e| GitError::read(format!("the commits of {}", range.label), e))?;
            out.push(self.commit_info(info.id)?);
        }
        Ok(out)
    }

    /// One commit, decoded.
    pub fn commit_info(&self, id: ObjectId) -> Result<CommitInfo, GitError> {
        let what = || format!("commit {id}");
        let commit = self.repo.find_commit(id).map_err(|e| GitError::read(what(), e))?;
        let author = commit.author().map_err(|e| GitError::read(what(), e))?;
        let author_name = author.name.to_str_lossy().into_owned();
        let author_email = author.email.to_str_lossy().into_owned();
        let committer = commit.committer().map_err(|e| GitError::read(what(), e))?;
        let committer_email = committer.email.to_str_lossy().into_owned();
        let committer_time = committer.time().map(|t| t.seconds).unwrap_or(0);
        let message = commit.message_raw_sloppy().to_str_lossy().into_owned();
        let parents = commit.parent_ids().map(|p| p.to_string()).collect();
        let signature =
            commit.signature().map_err(|e| GitError::read(what(), e))?.map(|(sig, signed)| {
                // The header value keeps git's one-space continuation indent stripped already.
                let signature = sig.as_bytes().to_vec();
                Signature {
                    kind: SignatureKind::detect(&signature),
                    signature,
                    payload: signed.to_bstring().into(),
                }
            });
        Ok(CommitInfo {
            id: id.to_string(),
            parents,
            author_name,
            author_email,
            committer_email,
            committer_time,
            message,
            signature,
        })
    }

    /// The id of the tree or blob at `prefix` (a repository-relative path, `/`-separated) in
    /// `commit`, or `None` when it does not exist there. Comparing it with the parent's tells
    /// whether a commit touched a component without diffing whole trees.
    pub fn path_id(&self, commit: &str, prefix: &str) -> Result<Option<ObjectId>, GitError> {
        let what = || format!("path `{prefix}` in commit {commit}");
        let id = ObjectId::from_hex(commit.as_bytes()).map_err(|e| GitError::read(what(), e))?;
        let c = self.repo.find_commit(id).map_err(|e| GitError::read(what(), e))?;
        let tree = c.tree().map_err(|e| GitError::read(what(), e))?;
        let path = prefix.trim_matches('/');
        if path.is_empty() {
            return Ok(Some(tree.id));
        }
        let entry = tree.lookup_entry_by_path(path).map_err(|e| GitError::read(what(), e))?;
        Ok(entry.map(|e| e.object_id()))
    }

    /// Whether `commit` changed anything under `prefix` compared with its first parent (a root
    /// commit touches every path it contains). Merges are compared with their first parent, as
    /// `git log --first-parent -- <prefix>` would see them.
    pub fn touches(&self, commit: &CommitInfo, prefix: &str) -> Result<bool, GitError> {
        let mine = self.path_id(&commit.id, prefix)?;
        match commit.parents.first() {
            None => Ok(mine.is_some()),
            Some(parent) => Ok(self.path_id(parent, prefix)? != mine),
        }
    }

    /// Whether `ancestor` is `descendant` or one of its ancestors (`git merge-base --is-ancestor`).
    pub fn is_ancestor(&self, ancestor: ObjectId, descendant: ObjectId) -> Result<bool, GitError> {
        if ancestor == descendant {
            return Ok(true);
        }
        let base = self.repo.merge_base(ancestor, descendant).map_err(|e| {
            GitError::read(format!("the merge base of {ancestor} and {descendant}"), e)
        })?;
        Ok(base.is_some_and(|b| b.detach() == ancestor))
    }

    /// A string value of the repository's git configuration (all scopes, as git resolves it).
    pub fn config_string(&self, key: &str) -> Option<String> {
        self.repo.config_snapshot().string(key).map(|v| v.to_str_lossy().into_owned())
    }
}

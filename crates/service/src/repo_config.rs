//! The repository configuration (`.github/plasma.yml` on a branch, and the organisation's in
//! `<owner>/.github`), present or absent, kept per repository, ref and path until a push says it
//! changed.
//!
//! Configuration changes only by a push, so a file read once is kept until a `push` to that
//! branch touches `.github/` (for the organisation layer: a push to `<owner>/.github`). The
//! ingress turns such a push into a bumped epoch in the store ([`invalidations`]), before the
//! delivery is acknowledged; every lookup reads the epochs of its repositories (one store query,
//! no GitHub call) and reads a file again once the epoch it was read under has moved, on whichever
//! replica. A long safety expiry (`PLASMA_OPS_CONFIG_CACHE_TTL`, 24 h) covers a push whose
//! webhook never came: the file is then read again, conditionally (a present, unchanged file is a
//! free 304; an absent one costs one 404 a day).
//!
//! One read per key at a time however many workers ask: the askers of one key queue on its lock,
//! and whoever comes after the read finds the entry filled.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use plasma_github::{GitHubClient, GitHubError, WebhookEvent};
use plasma_store::ConfigEpoch;

use crate::app::App;
use crate::reconcile::ReconcileError;

/// The entries kept, at most (a fleet has a few keys per repository).
const MAX_KEYS: usize = 20_000;

/// A configuration file as a branch holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigFile {
    /// No such file (or, for the organisation layer, no `.github` repository we can see).
    Absent,
    /// Its text.
    Present(String),
    /// It exists but cannot be used (too large, not UTF-8, a directory): why.
    Unreadable(String),
}

impl ConfigFile {
    /// The text, when there is one.
    pub fn text(&self) -> Option<&str> {
        match self {
            ConfigFile::Present(t) => Some(t),
            _ => None,
        }
    }
}

/// Both layers a pull request (or issue) is judged under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layers {
    /// The repository's file on the base branch (or default branch).
    pub repo: ConfigFile,
    /// The organisation's file in `<owner>/.github` on its default branch.
    pub org: ConfigFile,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    repo: String,
    /// A branch, `""` for the default branch.
    git_ref: String,
    path: String,
}

#[derive(Debug, Clone)]
struct Entry {
    file: ConfigFile,
    /// The store's epoch of (repo, ref) when the file was read.
    epoch: i64,
    /// When it was read (the service clock, Unix ms).
    read_at: i64,
}

/// The cache; one per process, shared by the workers.
#[derive(Default)]
pub struct ConfigCache {
    slots: Mutex<HashMap<Key, Arc<tokio::sync::Mutex<Option<Entry>>>>>,
}

impl ConfigCache {
    fn slot(&self, key: &Key) -> Arc<tokio::sync::Mutex<Option<Entry>>> {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        if slots.len() >= MAX_KEYS && !slots.contains_key(key) {
            // A slot in use stays alive through its Arc; clearing only costs a re-read.
            slots.clear();
        }
        Arc::clone(slots.entry(key.clone()).or_default())
    }

    /// The file for `key` read under `epoch`: the kept one while the epoch is the same and the
    /// safety expiry has not passed, else `read`'s answer (one `read` per key at a time).
    async fn get<F, R>(
        &self,
        key: Key,
        epoch: i64,
        now: impl Fn() -> i64,
        ttl_ms: i64,
        read: F,
    ) -> Result<ConfigFile, ReconcileError>
    where
        F: FnOnce() -> R,
        R: Future<Output = Result<ConfigFile, ReconcileError>>,
    {
        let slot = self.slot(&key);
        let mut entry = slot.lock().await;
        if let Some(e) = entry.as_ref()
            && e.epoch == epoch
            && now().saturating_sub(e.read_at) < ttl_ms
        {
            return Ok(e.file.clone());
        }
        let read_at = now();
        let file = read().await?;
        *entry = Some(Entry { file: file.clone(), epoch, read_at });
        Ok(file)
    }

    /// Number of keys held (for tests and metrics).
    pub fn len(&self) -> usize {
        self.slots.lock().map(|s| s.len()).unwrap_or(0)
    }

    /// Whether no key is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn epoch_of(epochs: &[ConfigEpoch], repo: &str, git_ref: &str) -> i64 {
    epochs.iter().find(|e| e.repo == repo && e.git_ref == git_ref).map_or(0, |e| e.epoch)
}

/// The organisation's `.github` repository of `repo`.
fn org_repo(repo: &str) -> String {
    let owner = repo.split_once('/').map_or(repo, |(o, _)| o);
    format!("{owner}/.github")
}

/// Both configuration layers of `repo` at `git_ref` (its default branch when `None`), from the
/// cache or, when a push changed them or the safety expiry passed, from GitHub.
pub async fn layers(
    app: &App,
    gh: &GitHubClient,
    inst: Option<u64>,
    repo: &str,
    git_ref: Option<&str>,
    path: &str,
) -> Result<Layers, ReconcileError> {
    let org = org_repo(repo);
    let epochs = app.store.config_epochs(&[repo, org.as_str()]).await?;
    let git_ref = git_ref.unwrap_or("");
    let ttl_ms = i64::try_from(app.cfg.config_cache_ttl.as_millis()).unwrap_or(i64::MAX);
    let now = || app.now();
    let repo_key = Key { repo: repo.into(), git_ref: git_ref.into(), path: path.into() };
    let org_key = Key { repo: org.clone(), git_ref: String::new(), path: path.into() };
    let rc = gh.repo(inst, repo)?;
    let org_rc = gh.repo(inst, &org)?;
    let (repo_file, org_file) = tokio::try_join!(
        app.configs.get(repo_key, epoch_of(&epochs, repo, git_ref), now, ttl_ms, || async {
            let at = (!git_ref.is_empty()).then_some(git_ref);
            read_repo_file(rc.get_content_fresh(path, at).await)
        }),
        app.configs.get(org_key, epoch_of(&epochs, &org, ""), now, ttl_ms, || async {
            read_org_file(org_rc.get_content_fresh(path, None).await)
        }),
    )?;
    Ok(Layers { repo: repo_file, org: org_file })
}

/// A file that exists but cannot be used is the repository's problem to report (a failing
/// status saying why), not a failed read.
fn read_repo_file(read: Result<Option<String>, GitHubError>) -> Result<ConfigFile, ReconcileError> {
    match read {
        Ok(Some(text)) => Ok(ConfigFile::Present(text)),
        Ok(None) => Ok(ConfigFile::Absent),
        Err(GitHubError::Content { file, detail, .. }) => {
            Ok(ConfigFile::Unreadable(format!("{file}: {detail}")))
        }
        Err(e) => Err(e.into()),
    }
}

/// The organisation's file: absent, or not visible to the installation (403, 404), both mean
/// "no organisation layer".
fn read_org_file(read: Result<Option<String>, GitHubError>) -> Result<ConfigFile, ReconcileError> {
    match read {
        Ok(Some(text)) => Ok(ConfigFile::Present(text)),
        Ok(None) => Ok(ConfigFile::Absent),
        Err(e) if matches!(e.status(), Some(403 | 404)) => Ok(ConfigFile::Absent),
        Err(e) => Err(e.into()),
    }
}

/// The (repository, ref) keys whose configuration a delivery may have changed: a push whose
/// commits touch `.github/`, or whose changes the payload cannot show (a forced push, a created or
/// deleted branch, 20 commits or more: GitHub lists at most 20). The default branch is also keyed
/// `""`, the ref issues and the organisation layer are read at. Empty for every other event.
pub fn invalidations(ev: &WebhookEvent) -> Vec<(String, String)> {
    let WebhookEvent::Push(p) = ev else { return Vec::new() };
    let Some(branch) = p.branch() else { return Vec::new() };
    let touches = |paths: &[String]| paths.iter().any(|f| f.starts_with(".github/"));
    let unknown = p.forced || p.created || p.deleted || p.commits.len() >= 20;
    let touched = p
        .commits
        .iter()
        .chain(p.head_commit.as_ref())
        .any(|c| touches(&c.added) || touches(&c.removed) || touches(&c.modified));
    if !(unknown || touched) {
        return Vec::new();
    }
    let repo = p.repository.full_name.clone();
    let mut keys = vec![(repo.clone(), branch.to_string())];
    if p.repository.default_branch.as_deref() == Some(branch) {
        keys.push((repo, String::new()));
    }
    keys
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};

    fn key(repo: &str) -> Key {
        Key { repo: repo.into(), git_ref: "main".into(), path: ".github/plasma.yml".into() }
    }

    #[tokio::test]
    async fn a_key_is_read_once_until_its_epoch_moves_or_it_expires() {
        let cache = ConfigCache::default();
        let clock = AtomicI64::new(1_000);
        let reads = AtomicUsize::new(0);
        let now = || clock.load(Ordering::SeqCst);
        let read = || async {
            reads.fetch_add(1, Ordering::SeqCst);
            Ok(ConfigFile::Absent)
        };
        for _ in 0..3 {
            assert_eq!(cache.get(key("o/r"), 0, now, 100, read).await.unwrap(), ConfigFile::Absent);
        }
        assert_eq!(reads.load(Ordering::SeqCst), 1);
        // A push moved the epoch: read again, then kept under the new epoch.
        cache.get(key("o/r"), 1, now, 100, read).await.unwrap();
        cache.get(key("o/r"), 1, now, 100, read).await.unwrap();
        assert_eq!(reads.load(Ordering::SeqCst), 2);
        // The safety expiry passed.
        clock.store(1_100, Ordering::SeqCst);
        cache.get(key("o/r"), 1, now, 100, read).await.unwrap();
        assert_eq!(reads.load(Ordering::SeqCst), 3);
        // Another key is its own.
        cache.get(key("o/s"), 1, now, 100, read).await.unwrap();
        assert_eq!(reads.load(Ordering::SeqCst), 4);
        assert_eq!(cache.len(), 2);
        assert!(!cache.is_empty());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_askers_wait_for_the_one_read() {
        let cache = Arc::new(ConfigCache::default());
        let reads = Arc::new(AtomicUsize::new(0));
        let gate = Arc::new(tokio::sync::Notify::new());
        let mut askers = Vec::new();
        for _ in 0..8 {
            let (cache, reads, gate) = (cache.clone(), reads.clone(), gate.clone());
            askers.push(tokio::spawn(async move {
                cache
                    .get(
                        key("o/r"),
                        0,
                        || 0,
                        i64::MAX,
                        || async move {
                            reads.fetch_add(1, Ordering::SeqCst);
                            // Held until every asker is queued behind this read.
                            gate.notified().await;
                            Ok(ConfigFile::Present("x: 1".into()))
                        },
                    )
                    .await
            }));
        }
        // Wake the one read once the others can only be waiting on the lock.
        while reads.load(Ordering::SeqCst) == 0 {
            tokio::task::yield_now().await;
        }
        gate.notify_one();
        for a in askers {
            assert_eq!(a.await.unwrap().unwrap(), ConfigFile::Present("x: 1".into()));
        }
        assert_eq!(reads.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_failed_read_is_not_kept() {
        let cache = ConfigCache::default();
        let failing = || async { Err(GitHubError::InvalidRepo { repo: "x".into() }.into()) };
        assert!(cache.get(key("o/r"), 0, || 0, 100, failing).await.is_err());
        let ok = || async { Ok(ConfigFile::Present("a: b".into())) };
        let got = cache.get(key("o/r"), 0, || 0, 100, ok).await.unwrap();
        assert_eq!(got.text(), Some("a: b"));
        assert_eq!(ConfigFile::Absent.text(), None);
    }

    #[test]
    fn files_map_from_reads() {
        let content = GitHubError::Content {
            repo: "o/r".into(),
            file: ".github/plasma.yml".into(),
            git_ref: "main".into(),
            detail: "is not UTF-8 text".into(),
        };
        assert_eq!(
            read_repo_file(Err(content)).unwrap(),
            ConfigFile::Unreadable(".github/plasma.yml: is not UTF-8 text".into())
        );
        assert_eq!(read_repo_file(Ok(None)).unwrap(), ConfigFile::Absent);
        assert_eq!(read_org_file(Ok(Some("a".into()))).unwrap(), ConfigFile::Present("a".into()));
        assert_eq!(read_org_file(Ok(None)).unwrap(), ConfigFile::Absent);
        let other = || GitHubError::InvalidRepo { repo: "x".into() };
        assert!(read_repo_file(Err(other())).is_err());
        assert!(read_org_file(Err(other())).is_err());
        assert_eq!(org_repo("plasma/engine"), "plasma/.github");
        assert_eq!(org_repo("odd"), "odd/.github");
    }

    fn push(branch: &str, files: &[&str], extra: serde_json::Value) -> WebhookEvent {
        let mut v = serde_json::json!({
            "ref": format!("refs/heads/{branch}"),
            "before": "a".repeat(40),
            "after": "b".repeat(40),
            "commits": [{"id": "c1", "added": [], "removed": [], "modified": files}],
            "repository": {"id": 1, "name": "r", "full_name": "o/r", "default_branch": "main",
                           "owner": {"login": "o", "id": 2}},
        });
        if let (Some(o), Some(extra)) = (v.as_object_mut(), extra.as_object()) {
            o.extend(extra.clone());
        }
        plasma_github::parse_event("push", v.to_string().as_bytes()).unwrap()
    }

    #[test]
    fn which_pushes_invalidate() {
        let none = serde_json::json!({});
        let main = vec![("o/r".to_string(), "main".to_string()), ("o/r".into(), String::new())];
        type Case = (&'static str, WebhookEvent, Vec<(String, String)>);
        let cases: Vec<Case> = vec![
            (
                "config on the default branch",
                push("main", &[".github/plasma.yml"], none.clone()),
                main.clone(),
            ),
            (
                "anything under .github/",
                push("main", &[".github/CODEOWNERS"], none.clone()),
                main.clone(),
            ),
            ("code only", push("main", &["src/lib.rs"], none.clone()), vec![]),
            ("a .github lookalike", push("main", &["docs/.github/x"], none.clone()), vec![]),
            (
                "another branch",
                push("dev", &[".github/plasma.yml"], none.clone()),
                vec![("o/r".into(), "dev".into())],
            ),
            (
                "forced",
                push("main", &["src/lib.rs"], serde_json::json!({"forced": true})),
                main.clone(),
            ),
            (
                "created",
                push("dev", &[], serde_json::json!({"created": true})),
                vec![("o/r".into(), "dev".into())],
            ),
            (
                "a tag",
                {
                    let mut p = push("main", &[".github/plasma.yml"], none.clone());
                    if let WebhookEvent::Push(e) = &mut p {
                        e.git_ref = "refs/tags/v1".into();
                    }
                    p
                },
                vec![],
            ),
        ];
        for (what, ev, want) in cases {
            assert_eq!(invalidations(&ev), want, "{what}");
        }
        // Twenty commits: the payload may not list the one that touched .github/.
        let many: Vec<serde_json::Value> = (0..20)
            .map(|i| serde_json::json!({"id": format!("c{i}"), "modified": ["src/x.rs"]}))
            .collect();
        assert_eq!(invalidations(&push("main", &[], serde_json::json!({"commits": many}))), main);
    }
}

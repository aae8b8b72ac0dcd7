//! A service in-process against the fake GitHub, fed with GitHub's published example payloads,
//! re-signed: the harness of the scenario tests (in the spirit of bors's test suite).

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use plasma_fakehub::{FakeCommit, FakeFile, FakeHub, FakePull};
use plasma_github::{Auth, ClientConfig, GitHubClient, Secret, sign};
use plasma_service::{App, Running, ServiceConfig, start, system_clock};
use serde_json::{Value, json};

pub const REPO: &str = "plasma-engine/plasma-engine-gateway";
pub const SECRET: &str = "It's a Secret to Everybody";
pub const CODERABBIT: &str = "coderabbitai[bot]";

/// A running service and its fake GitHub. It must be ended with [`Env::stop`], which fails the
/// test if a service task panicked or a job dead-lettered that the test did not expect.
pub struct Env {
    pub hub: FakeHub,
    pub running: Option<Running>,
    pub http: reqwest::Client,
    pub db: PathBuf,
    pub api_url: String,
    /// Dead letters the test means to cause ([`Env::expect_dead_letters`]); any beyond them fail
    /// the test, since a job that ran out of attempts leaves its pull request unreconciled while
    /// the queue looks drained.
    dead_letters_expected: u64,
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn temp_db(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("plasma-ops-scenario-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join("plasma-ops.db")
}

pub fn service_config(db: &Path, api_url: &str) -> ServiceConfig {
    service_config_with(db, api_url, true)
}

/// [`service_config`], with or without `PLASMA_OPS_BOT_LOGIN`.
pub fn service_config_with(db: &Path, api_url: &str, bot_login: bool) -> ServiceConfig {
    let mut env: BTreeMap<String, String> = [
        ("PLASMA_OPS_LISTEN", "127.0.0.1:0".to_string()),
        ("PLASMA_OPS_WEBHOOK_SECRET", SECRET.to_string()),
        ("PLASMA_OPS_DATABASE_URL", format!("sqlite://{}", db.display())),
        ("PLASMA_OPS_GITHUB_API_URL", api_url.to_string()),
        ("PLASMA_OPS_GITHUB_TOKEN", "test-installation-token".to_string()),
        ("PLASMA_OPS_SWEEP_INTERVAL", "1h".to_string()),
        ("PLASMA_OPS_WORKERS", "2".to_string()),
        ("PLASMA_OPS_LEASE", "3s".to_string()),
        // The fake attributes our writes to this login.
        ("PLASMA_OPS_BOT_LOGIN", "plasma-ops[bot]".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    if !bot_login {
        env.remove("PLASMA_OPS_BOT_LOGIN");
    }
    ServiceConfig::load(&env, None).expect("service config")
}

impl Env {
    pub async fn new(name: &str) -> Env {
        let hub = FakeHub::start().await.expect("fake GitHub");
        hub.add_repo(REPO);
        let api_url = hub.url();
        Env::with_hub(name, hub, api_url).await
    }

    pub async fn with_hub(name: &str, hub: FakeHub, api_url: String) -> Env {
        Env::with_hub_and_login(name, hub, api_url, true).await
    }

    /// A service that must learn its login from GitHub (`PLASMA_OPS_BOT_LOGIN` unset).
    pub async fn learning_its_login(name: &str) -> Env {
        let hub = FakeHub::start().await.expect("fake GitHub");
        hub.add_repo(REPO);
        let api_url = hub.url();
        Env::with_hub_and_login(name, hub, api_url, false).await
    }

    async fn with_hub_and_login(name: &str, hub: FakeHub, api_url: String, bot_login: bool) -> Env {
        let mut env = Env::around(hub, None, temp_db(name), api_url);
        env.start_with_login(bot_login).await;
        env
    }

    /// An environment for a service the test started itself (another store, another client).
    pub fn around(hub: FakeHub, running: Option<Running>, db: PathBuf, api_url: String) -> Env {
        Env { hub, running, http: reqwest::Client::new(), db, api_url, dead_letters_expected: 0 }
    }

    /// Declares that the test makes `n` jobs dead-letter; [`Env::settle`] and [`Env::stop`] fail on
    /// more.
    pub fn expect_dead_letters(&mut self, n: u64) {
        self.dead_letters_expected = n;
    }

    pub async fn start(&mut self) {
        self.start_with_login(true).await;
    }

    /// Start the service, with `PLASMA_OPS_BOT_LOGIN` set or (false) left to be learned.
    pub async fn start_with_login(&mut self, bot_login: bool) {
        // A second service on the same store would take half the jobs with its own memory (the
        // board's remembered card states, resolved projects): a race, not a test.
        assert!(self.running.is_none(), "the service already runs: Env::new starts it");
        init_test_logs();
        let cfg = service_config_with(&self.db, &self.api_url, bot_login);
        let store = plasma_store::open(&cfg.database_url).await.expect("store");
        let gh = GitHubClient::new(
            ClientConfig::new(Auth::Token(Secret::new("test-installation-token")))
                .base_url(self.api_url.clone()),
        )
        .expect("client");
        let app = App::new(cfg, store, Some(gh), system_clock());
        self.running = Some(start(app).await.expect("start service"));
    }

    /// Stops the service; fails the test if any of its tasks panicked (a worker that panics
    /// leaves its job to another worker, so nothing else would show it) or if an unexpected job
    /// dead-lettered.
    pub async fn stop(&mut self) {
        if let Some(r) = self.running.take() {
            let app = Arc::clone(&r.app);
            let failed = r.shutdown().await;
            let failed: Vec<String> = failed.iter().map(ToString::to_string).collect();
            assert!(failed.is_empty(), "service tasks panicked:\n{}", failed.join("\n"));
            self.check_dead_letters(&app).await;
        }
    }

    /// Fails the test if more jobs dead-lettered than it declared, naming them and their errors.
    async fn check_dead_letters(&self, app: &App) {
        let d = app.store.queue_depth().await.expect("depth");
        if d.dead > self.dead_letters_expected {
            let dead = app.store.jobs(plasma_store::JobFilter::Dead).await.expect("dead jobs");
            let dead: Vec<String> = dead
                .iter()
                .map(|j| format!("{}: {}", j.key, j.last_error.as_deref().unwrap_or("no error")))
                .collect();
            panic!(
                "{} job(s) dead-lettered, {} expected (Env::expect_dead_letters):\n{}",
                d.dead,
                self.dead_letters_expected,
                dead.join("\n")
            );
        }
    }

    pub fn app(&self) -> Arc<App> {
        Arc::clone(&self.running.as_ref().expect("running").app)
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.running.as_ref().expect("running").addr)
    }

    /// Sign and deliver a payload; returns the HTTP status.
    pub async fn deliver(&self, event: &str, delivery: &str, payload: &Value) -> u16 {
        let body = serde_json::to_vec(payload).expect("json");
        self.http
            .post(self.url("/webhook"))
            .header("x-github-event", event)
            .header("x-github-delivery", delivery)
            .header("x-hub-signature-256", sign(SECRET.as_bytes(), &body))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("deliver")
            .status()
            .as_u16()
    }

    /// Wait until no job is pending or running (retries included), or panic after `limit`; panic
    /// at once when a job dead-lettered that the test did not expect.
    pub async fn settle(&self, limit: Duration) {
        let app = self.app();
        let start = Instant::now();
        let mut quiet = 0;
        loop {
            self.check_dead_letters(&app).await;
            let d = app.store.queue_depth().await.expect("depth");
            if d.pending == 0 && d.leased == 0 {
                quiet += 1;
                if quiet >= 3 {
                    return;
                }
            } else {
                quiet = 0;
            }
            assert!(start.elapsed() < limit, "queue did not drain within {limit:?}: {d:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Changes a file on `main` of `repo` the way a person does: the commit, then GitHub's `push`
    /// webhook. plasma-ops keeps a repository's configuration until a push says `.github/`
    /// changed, so a test that changes it must say so too.
    pub async fn push_file(&self, repo: &str, path: &str, text: &str) {
        use std::sync::atomic::{AtomicU64, Ordering};
        static PUSHES: AtomicU64 = AtomicU64::new(0);
        self.hub.set_file_content(repo, "main", path, text);
        let id = format!("push-{}-{}", std::process::id(), PUSHES.fetch_add(1, Ordering::Relaxed));
        assert_eq!(self.deliver("push", &id, &push_payload(repo, "main", &[path])).await, 202);
    }

    pub fn labels(&self, n: u64) -> Vec<String> {
        let mut l = self.hub.labels_of(REPO, n);
        l.sort();
        l
    }

    pub fn sticky_comments(&self, n: u64) -> usize {
        self.hub
            .comments_of(REPO, n)
            .iter()
            .filter(|c| c.body.contains("<!-- plasma-ops:summary -->"))
            .count()
    }

    pub fn rereview_requests(&self, n: u64) -> usize {
        self.hub
            .comments_of(REPO, n)
            .iter()
            .filter(|c| c.body.starts_with("@coderabbitai review"))
            .count()
    }

    /// State of our commit status on the head (newest).
    pub fn our_status(&self, n: u64) -> Option<String> {
        let sha = self.hub.head_sha(REPO, n)?;
        self.hub
            .statuses_of(REPO, &sha)
            .into_iter()
            .find(|s| s.context == "plasma-ops/process")
            .map(|s| s.state)
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        // Only `stop` can wait for the tasks and see their panics; an environment dropped while
        // running would let a crashed worker pass unnoticed. During a panic the test already fails.
        if self.running.is_some() && !std::thread::panicking() {
            panic!("the test ended without Env::stop: its service tasks were never checked");
        }
    }
}

/// Where this test process writes every log line of the services it runs: `$PLASMA_TEST_LOG_DIR`,
/// or `target/test-logs/` at the workspace root. `scripts/scan-secrets` reads them all afterwards
/// and fails if a test secret appears in any (or if there is nothing to read).
pub fn test_log_dir() -> PathBuf {
    std::env::var_os("PLASMA_TEST_LOG_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/test-logs"))
}

/// Send every service log line (debug included: that is where a careless secret would go) as
/// JSON to a file of this test process's own. Idempotent; the first call wins.
pub fn init_test_logs() {
    static INIT: std::sync::Once = std::sync::Once::new();
    INIT.call_once(|| {
        let dir = test_log_dir();
        std::fs::create_dir_all(&dir).expect("test log directory");
        let exe = std::env::current_exe().ok();
        let name = exe
            .as_ref()
            .and_then(|p| p.file_stem())
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "test".into());
        let path = dir.join(format!("{name}-{}.jsonl", std::process::id()));
        let file = std::fs::File::create(&path).expect("test log file");
        let _ = tracing_subscriber::fmt()
            .json()
            .with_current_span(true)
            .with_span_list(true)
            .with_max_level(tracing::Level::DEBUG)
            .with_writer(std::sync::Mutex::new(file))
            .try_init();
    });
}

/// A pull request that follows the process in every way a payload can show.
pub fn good_pull(hub: &FakeHub) -> u64 {
    let n = hub.add_pull(
        REPO,
        FakePull {
            title: "[PE-12] Gateway bootstrap".into(),
            body: Some(
                "- [x] Tests run\n- [x] Lint pass\n- [x] Docs updated\n- [x] ADR impact: none\n"
                    .into(),
            ),
            user: "bob".into(),
            head_ref: "gateway/PE-12-bootstrap-fastapi".into(),
            ..FakePull::default()
        },
    );
    hub.set_files(
        REPO,
        n,
        vec![FakeFile::modified("app/main.py"), FakeFile::modified("docs/README.md")],
    );
    let head = hub.head_sha(REPO, n).expect("head");
    let mut c = FakeCommit::verified(&head, "Bootstrap the gateway");
    c.parents = vec!["0".repeat(40)];
    hub.add_commit(REPO, n, c);
    n
}

/// GitHub's published example payloads (`@octokit/webhooks-examples`), retargeted.
pub fn example(event: &str, action: Option<&str>) -> Value {
    let index = root()
        .join("tests/contract/node_modules/@octokit/webhooks-examples/api.github.com/index.json");
    let text = std::fs::read_to_string(&index).expect("run tests/contract/install.sh first");
    let groups: Value = serde_json::from_str(&text).expect("index.json");
    groups
        .as_array()
        .into_iter()
        .flatten()
        .filter(|g| g["name"] == event)
        .flat_map(|g| g["examples"].as_array().cloned().unwrap_or_default())
        .find(|e| action.is_none_or(|a| e["action"] == a))
        .unwrap_or_else(|| panic!("no {event} example with action {action:?}"))
}

/// Point an example payload at our repository and pull request.
pub fn retarget(mut v: Value, number: u64) -> Value {
    let (owner, name) = REPO.split_once('/').expect("repo");
    v["repository"]["full_name"] = json!(REPO);
    v["repository"]["name"] = json!(name);
    v["repository"]["owner"]["login"] = json!(owner);
    if v.get("pull_request").is_some() {
        v["pull_request"]["number"] = json!(number);
        v["number"] = json!(number);
    }
    if v.get("issue").is_some() {
        v["issue"]["number"] = json!(number);
    }
    v
}

pub fn pr_event(action: &str, number: u64) -> Value {
    retarget(example("pull_request", Some(action)), number)
}

pub fn review_event(number: u64) -> Value {
    retarget(example("pull_request_review", Some("submitted")), number)
}

/// GitHub's example `push` payload, to `branch` of `repo`, one commit modifying `files`.
pub fn push_payload(repo: &str, branch: &str, files: &[&str]) -> Value {
    let mut v = retarget(example("push", None), 0);
    let (owner, name) = repo.split_once('/').expect("owner/name");
    v["repository"]["full_name"] = json!(repo);
    v["repository"]["name"] = json!(name);
    v["repository"]["owner"]["login"] = json!(owner);
    v["repository"]["default_branch"] = json!("main");
    v["ref"] = json!(format!("refs/heads/{branch}"));
    v["created"] = json!(false);
    v["deleted"] = json!(false);
    v["forced"] = json!(false);
    let commit = json!({"id": "c".repeat(40), "message": "change", "added": [], "removed": [],
                        "modified": files});
    v["commits"] = json!([commit.clone()]);
    v["head_commit"] = commit;
    v
}

//! Shared by the replica proof (`tests/replicas.rs`) and the fleet load generator
//! (`benches/fleet.rs`): `serve` processes, PostgreSQL databases of their own, and GitHub's
//! published example payloads pointed at the fake's pull requests.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

pub const SECRET: &str = "replica-proof-webhook-secret";
pub const TOKEN: &str = "replica-proof-installation-token";

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub fn admin_url() -> String {
    std::env::var("PLASMA_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

pub fn psql(sql: &str) -> bool {
    Command::new("psql")
        .args([admin_url().as_str(), "-q", "-c", sql])
        .status()
        .unwrap_or_else(|e| panic!("cannot run psql ({e}): apt-get install postgresql-client"))
        .success()
}

/// The machine's documented way to restart its PostgreSQL cluster.
pub fn restart_postgres() -> Result<Duration, String> {
    let version = std::fs::read_dir("/etc/postgresql")
        .map_err(|e| format!("/etc/postgresql: {e}"))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .max()
        .ok_or("no cluster under /etc/postgresql")?;
    let start = Instant::now();
    let out = Command::new("pg_ctlcluster")
        .args(["--skip-systemctl-redirect", &version, "main", "restart"])
        .output()
        .map_err(|e| format!("pg_ctlcluster: {e}"))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    Ok(start.elapsed())
}

/// `plasma-ops serve` on `port`, storing in `url`, GitHub at `api`, its JSON log appended to `log`.
pub fn serve(url: &str, api: &str, port: u16, log: &std::path::Path) -> Child {
    serve_with(url, api, port, log, 4)
}

/// The `plasma-ops` binary to run: this build's, or the one `FLEET_BIN` names (the load
/// generator runs an older build beside this one to compare them on the same machine).
pub fn plasma_ops_bin() -> String {
    std::env::var("FLEET_BIN")
        .ok()
        .filter(|b| !b.is_empty())
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_plasma-ops").to_owned())
}

/// [`serve`] with `workers` reconcile workers.
pub fn serve_with(url: &str, api: &str, port: u16, log: &std::path::Path, workers: usize) -> Child {
    let log = std::fs::OpenOptions::new().create(true).append(true).open(log).unwrap();
    Command::new(plasma_ops_bin())
        .arg("serve")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("PLASMA_OPS_LISTEN", format!("127.0.0.1:{port}"))
        .env("PLASMA_OPS_WEBHOOK_SECRET", SECRET)
        .env("PLASMA_OPS_DATABASE_URL", url)
        .env("PLASMA_OPS_GITHUB_API_URL", api)
        .env("PLASMA_OPS_GITHUB_TOKEN", TOKEN)
        .env("PLASMA_OPS_BOT_LOGIN", "plasma-ops[bot]")
        .env("PLASMA_OPS_WORKERS", workers.to_string())
        .env("PLASMA_OPS_LEASE", "3s")
        .env("PLASMA_OPS_SWEEP_INTERVAL", "1h")
        .env("PLASMA_OPS_LOG_FORMAT", "json")
        // `FLEET_SERVE_PLASMA_OPS_X=v` in the bench's environment sets `PLASMA_OPS_X=v` for every
        // replica (the environment is otherwise cleared, so a developer's settings never leak in).
        .envs(std::env::vars().filter_map(|(k, v)| {
            k.strip_prefix("FLEET_SERVE_")
                .filter(|k| k.starts_with("PLASMA_OPS_"))
                .map(|k| (k.to_string(), v))
        }))
        .stdout(Stdio::null())
        .stderr(Stdio::from(log))
        .spawn()
        .expect("spawn plasma-ops serve")
}

pub async fn ready(http: &reqwest::Client, port: u16) {
    let start = Instant::now();
    loop {
        if let Ok(r) = http.get(format!("http://127.0.0.1:{port}/readyz")).send().await
            && r.status().is_success()
        {
            return;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "replica on {port} never got ready");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub fn examples() -> Vec<Value> {
    let index = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(
        "../../tests/contract/node_modules/@octokit/webhooks-examples/api.github.com/index.json",
    );
    let text = std::fs::read_to_string(&index).expect("run tests/contract/install.sh first");
    serde_json::from_str(&text).unwrap()
}

pub fn example(
    all: &[Value],
    event: &str,
    action: Option<&str>,
    pred: impl Fn(&Value) -> bool,
) -> Value {
    all.iter()
        .filter(|g| g["name"] == event)
        .flat_map(|g| g["examples"].as_array().cloned().unwrap_or_default())
        .find(|e| action.is_none_or(|a| e["action"] == a) && pred(e))
        .unwrap_or_else(|| panic!("no {event} example with action {action:?}"))
}

/// GitHub's published example payloads, pointed at our repository, pull request and head.
pub struct Payloads {
    pub pr: HashMap<&'static str, Value>,
    pub review: Value,
    pub check_run: Value,
    pub status: Value,
    pub comment: Value,
}

impl Payloads {
    pub fn load() -> Payloads {
        let all = examples();
        // The published examples hold no `edited` and no `synchronize`: the `opened` payload with
        // its action changed is what GitHub sends for them, field for field.
        let opened = example(&all, "pull_request", Some("opened"), |_| true);
        let pr = ["opened", "edited", "synchronize"]
            .into_iter()
            .map(|a| {
                let mut v = opened.clone();
                v["action"] = json!(a);
                (a, v)
            })
            .collect();
        Payloads {
            pr,
            review: example(&all, "pull_request_review", Some("submitted"), |_| true),
            check_run: example(&all, "check_run", Some("completed"), |e| {
                e["check_run"]["pull_requests"].as_array().is_some_and(|p| !p.is_empty())
            }),
            status: example(&all, "status", None, |_| true),
            // No published comment is on a pull request; GitHub marks one with `issue.pull_request`.
            comment: example(&all, "issue_comment", Some("created"), |_| true),
        }
    }
}

pub fn aim(mut v: Value, repo: &str) -> Value {
    let (owner, name) = repo.split_once('/').unwrap();
    v["repository"]["full_name"] = json!(repo);
    v["repository"]["name"] = json!(name);
    v["repository"]["owner"]["login"] = json!(owner);
    v
}

pub fn pr_payload(p: &Payloads, action: &'static str, repo: &str, n: u64, head: &str) -> Value {
    let mut v = aim(p.pr[action].clone(), repo);
    v["number"] = json!(n);
    v["pull_request"]["number"] = json!(n);
    v["pull_request"]["head"]["sha"] = json!(head);
    v
}

pub fn review_payload(p: &Payloads, repo: &str, n: u64, user: &str, state: &str) -> Value {
    let mut v = aim(p.review.clone(), repo);
    v["pull_request"]["number"] = json!(n);
    v["review"]["user"]["login"] = json!(user);
    v["review"]["state"] = json!(state.to_ascii_lowercase());
    v
}

pub fn check_run_payload(
    p: &Payloads,
    repo: &str,
    n: u64,
    head: &str,
    name: &str,
    c: &str,
) -> Value {
    let mut v = aim(p.check_run.clone(), repo);
    v["check_run"]["name"] = json!(name);
    v["check_run"]["head_sha"] = json!(head);
    v["check_run"]["conclusion"] = json!(c);
    v["check_run"]["pull_requests"][0]["number"] = json!(n);
    v["check_run"]["pull_requests"][0]["head"]["sha"] = json!(head);
    v
}

pub fn status_payload(p: &Payloads, repo: &str, head: &str, context: &str, state: &str) -> Value {
    let mut v = aim(p.status.clone(), repo);
    v["sha"] = json!(head);
    v["context"] = json!(context);
    v["state"] = json!(state);
    v
}

pub fn comment_payload(p: &Payloads, repo: &str, n: u64) -> Value {
    let mut v = aim(p.comment.clone(), repo);
    v["issue"]["number"] = json!(n);
    let api = format!("https://api.github.com/repos/{repo}/pulls/{n}");
    let web = format!("https://github.com/{repo}/pull/{n}");
    v["issue"]["pull_request"] = json!({
        "url": api, "html_url": web, "diff_url": format!("{web}.diff"),
        "patch_url": format!("{web}.patch"), "merged_at": null
    });
    v
}

pub fn sha(seed: u64) -> String {
    format!("{seed:040x}")
}

/// Peak resident set of a process (`VmHWM`), in MiB.
pub fn peak_rss_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// A fresh PostgreSQL database of this name (dropped first if a crashed run left it).
pub fn create_database(db: &str) -> String {
    let _ = psql(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"));
    assert!(
        psql(&format!("CREATE DATABASE {db}")),
        "start PostgreSQL on 127.0.0.1:5432 (pg_ctlcluster ... start)"
    );
    match admin_url().rsplit_once('/') {
        Some((base, _)) => format!("{base}/{db}"),
        None => panic!("PLASMA_TEST_POSTGRES_URL has no database part"),
    }
}

pub fn drop_database(db: &str) {
    let _ = psql(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"));
}

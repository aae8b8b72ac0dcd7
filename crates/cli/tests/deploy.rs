//! What operators deploy beside the binary, checked with the real tools: the alert rules
//! (`deploy/prometheus/alerts.yml`) with `promtool check rules` and their unit tests with
//! `promtool test rules`, and every query of the Grafana dashboard (`deploy/grafana/plasma-ops.json`)
//! run by a real Prometheus that scraped a running `plasma-ops serve` (the fake GitHub behind it,
//! signed deliveries sent so the series exist). Prometheus and promtool come from Debian's
//! `prometheus` package (`.ci/run` installs it).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use plasma_fakehub::FakeHub;
use serde_json::{Value, json};

const REPO: &str = "plasma-engine/plasma-engine-gateway";
/// The secret and token the log scan (`scripts/scan-secrets`) looks for in `target/test-logs`.
const SECRET: &str = "It's a Secret to Everybody";
const TOKEN: &str = "test-installation-token";
/// The scrape job's name the alert rules expect.
const JOB: &str = "plasma-ops";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A program from Debian's `prometheus` package, or a failure that says how to get it.
fn tool(name: &str) -> PathBuf {
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!("`{name}` is not on PATH: apt-get install prometheus (as .ci/run does)")
        })
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A child process killed when the test ends, however it ends.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn alert_rules_pass_promtool_check_and_their_unit_tests() {
    let promtool = tool("promtool");
    let dir = root().join("deploy/prometheus");
    let out = Command::new(&promtool)
        .args(["check", "rules", "alerts.yml"])
        .current_dir(&dir)
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "promtool check rules:\n{text}");

    let rules = std::fs::read_to_string(dir.join("alerts.yml")).unwrap();
    let alerts: Vec<&str> =
        rules.lines().filter_map(|l| l.trim().strip_prefix("- alert: ")).collect();
    let wanted = [
        "PlasmaOpsDeadLetteredJobs",
        "PlasmaOpsStoreDown",
        "PlasmaOpsNotReady",
        "PlasmaOpsSlowDeliveryToApplied",
        "PlasmaOpsGitHubRateLimitLow",
        "PlasmaOpsSignatureFailures",
        "PlasmaOpsNoDeliveries",
    ];
    assert_eq!(alerts, wanted, "the alerts the issue asks for, in order");
    assert!(text.contains(&format!("SUCCESS: {} rules found", wanted.len())), "{text}");

    // Each alert has a summary, a description and a runbook section that exists in the README.
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    for (i, alert) in wanted.iter().enumerate() {
        let start = rules.find(&format!("- alert: {alert}\n")).unwrap();
        let end = wanted
            .get(i + 1)
            .map_or(rules.len(), |next| rules.find(&format!("- alert: {next}\n")).unwrap());
        let rule = &rules[start..end];
        assert!(rule.contains("summary: "), "{alert} has no summary");
        assert!(rule.contains("description: "), "{alert} has no description");
        let anchor = alert.to_ascii_lowercase();
        assert!(
            rule.contains(&format!("runbook_url: https://github.com/plasma-engine/plasma-ops/blob/main/README.md#{anchor}\n")),
            "{alert}'s runbook_url does not point at README.md#{anchor}"
        );
        assert!(
            readme.lines().any(|l| l == format!("#### {alert}")),
            "README.md has no `#### {alert}` runbook section"
        );
    }

    // The unit tests show each alert both firing and not firing.
    let tests = std::fs::read_to_string(dir.join("alerts.test.yml")).unwrap();
    for alert in wanted {
        let cases: Vec<&str> = tests.split("- eval_time: ").skip(1).collect();
        let of = |firing: bool| {
            cases.iter().any(|c| {
                c.contains(&format!("alertname: {alert}\n"))
                    && c.contains("exp_alerts: []") != firing
            })
        };
        assert!(of(true), "alerts.test.yml never shows {alert} firing");
        assert!(of(false), "alerts.test.yml never shows {alert} not firing");
    }
    let out = Command::new(&promtool)
        .args(["test", "rules", "alerts.test.yml"])
        .current_dir(&dir)
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && text.contains("SUCCESS"), "promtool test rules:\n{text}");
}

/// Every `expr` of every panel of the dashboard, with the panel's title.
fn dashboard_queries(dashboard: &Value) -> Vec<(String, String)> {
    fn walk(panels: &Value, out: &mut Vec<(String, String)>) {
        for p in panels.as_array().into_iter().flatten() {
            let title = p["title"].as_str().unwrap_or("?").to_string();
            for t in p["targets"].as_array().into_iter().flatten() {
                let expr =
                    t["expr"].as_str().unwrap_or_else(|| panic!("{title}: target has no expr"));
                out.push((title.clone(), expr.to_string()));
            }
            walk(&p["panels"], out);
        }
    }
    let mut out = Vec::new();
    walk(&dashboard["panels"], &mut out);
    out
}

/// Grafana's variables as Grafana would fill them for this Prometheus: our job, every instance,
/// and a rate window several scrapes long (Grafana's `$__rate_interval` is at least four scrape
/// intervals).
fn substitute(expr: &str) -> String {
    expr.replace("$__rate_interval", "30s")
        .replace("$__interval", "5s")
        .replace("$__range", "1m")
        .replace("$job", JOB)
        .replace("$instance", ".+")
}

async fn prometheus_query(
    http: &reqwest::Client,
    base: &str,
    query: &str,
) -> Result<Value, String> {
    let answer = http
        .get(format!("{base}/api/v1/query"))
        .query(&[("query", query)])
        .send()
        .await
        .map_err(|e| format!("request failed: {e}"))?;
    let status = answer.status();
    let body: Value = answer.json().await.map_err(|e| format!("{status}: not JSON: {e}"))?;
    if body["status"] != "success" {
        return Err(format!("{status}: {}: {}", body["errorType"], body["error"]));
    }
    Ok(body["data"]["result"].clone())
}

async fn wait_for(what: &str, limit: Duration, mut ok: impl AsyncFnMut() -> bool) {
    let start = Instant::now();
    while !ok().await {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn signed(
    http: &reqwest::Client,
    port: u16,
    event: &str,
    id: &str,
    body: &[u8],
) -> reqwest::RequestBuilder {
    http.post(format!("http://127.0.0.1:{port}/webhook"))
        .header("x-github-event", event)
        .header("x-github-delivery", id)
        .header("x-hub-signature-256", plasma_github::sign(SECRET.as_bytes(), body))
        .header("content-type", "application/json")
        .body(body.to_vec())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_dashboard_query_returns_series_from_a_real_prometheus_scraping_serve() {
    let prometheus = tool("prometheus");
    let dashboard: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("deploy/grafana/plasma-ops.json")).unwrap(),
    )
    .unwrap();
    let queries = dashboard_queries(&dashboard);
    // The dashboard covers what the issue names: deliveries, queue, latency, GitHub calls and the
    // 304 ratio, the rate limit, writes.
    for metric in [
        "plasma_ops_webhook_deliveries_total",
        "plasma_ops_queue_jobs",
        "plasma_ops_delivery_to_applied_seconds_bucket",
        "plasma_ops_github_requests_total",
        "plasma_ops_github_not_modified_total",
        "plasma_ops_github_rate_limit_remaining",
        "plasma_ops_github_writes_total",
    ] {
        assert!(queries.iter().any(|(_, q)| q.contains(metric)), "no panel queries {metric}");
    }

    // A pull request that passes, so its job applies labels, a status and a summary comment.
    let hub = FakeHub::start().await.unwrap();
    let n = hub.add_ready_pull(REPO);

    let dir = tempfile::tempdir().unwrap();
    // Where scripts/scan-secrets looks for service logs after the suite.
    let logs = std::env::var_os("PLASMA_TEST_LOG_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/test-logs"));
    std::fs::create_dir_all(&logs).unwrap();
    let log = std::fs::File::create(logs.join("deploy-dashboard-serve.jsonl")).unwrap();
    let port = free_port();
    let _serve = Killed(
        Command::new(env!("CARGO_BIN_EXE_plasma-ops"))
            .arg("serve")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("PLASMA_OPS_LISTEN", format!("127.0.0.1:{port}"))
            .env("PLASMA_OPS_WEBHOOK_SECRET", SECRET)
            .env(
                "PLASMA_OPS_DATABASE_URL",
                format!("sqlite://{}", dir.path().join("ops.db").display()),
            )
            .env("PLASMA_OPS_GITHUB_API_URL", hub.url())
            .env("PLASMA_OPS_GITHUB_TOKEN", TOKEN)
            .env("PLASMA_OPS_BOT_LOGIN", "plasma-ops[bot]")
            .env("PLASMA_OPS_SWEEP_INTERVAL", "1h")
            .env("PLASMA_OPS_LOG_FORMAT", "json")
            .stdout(Stdio::null())
            .stderr(Stdio::from(log))
            .spawn()
            .expect("spawn plasma-ops serve"),
    );
    let http = reqwest::Client::new();
    let serve_url = format!("http://127.0.0.1:{port}");
    wait_for("serve to answer /readyz", Duration::from_secs(30), async || {
        http.get(format!("{serve_url}/readyz")).send().await.is_ok_and(|r| r.status().is_success())
    })
    .await;

    // The repository's example event, pointed at the fake's pull request; sent twice (GitHub's
    // redelivery: a duplicate), and once with a wrong signature.
    let example = root().join("examples/pull_request.opened.json");
    let mut payload: Value =
        serde_json::from_str(&std::fs::read_to_string(example).unwrap()).unwrap();
    payload["number"] = json!(n);
    payload["pull_request"]["number"] = json!(n);
    let body = serde_json::to_vec(&payload).unwrap();
    for (id, want) in [("deploy-1", 202), ("deploy-1", 200)] {
        let answer = signed(&http, port, "pull_request", id, &body).send().await.unwrap();
        assert_eq!(answer.status().as_u16(), want, "delivery {id}");
    }
    let forged = http
        .post(format!("{serve_url}/webhook"))
        .header("x-github-event", "pull_request")
        .header("x-github-delivery", "deploy-2")
        .header("x-hub-signature-256", format!("sha256={}", "0".repeat(64)))
        .header("content-type", "application/json")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status().as_u16(), 401);
    wait_for("the job's plan to be applied", Duration::from_secs(60), async || {
        let text = match http.get(format!("{serve_url}/metrics")).send().await {
            Ok(r) => r.text().await.unwrap_or_default(),
            Err(_) => return false,
        };
        text.lines().any(|l| {
            l.starts_with("plasma_ops_delivery_to_applied_seconds_count") && !l.ends_with(" 0")
        })
    })
    .await;

    // A real Prometheus scraping it every second, its storage in the temporary directory.
    let prom_port = free_port();
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: {JOB}\n    static_configs:\n      - targets: ['127.0.0.1:{port}']\n"
        ),
    )
    .unwrap();
    let prom_log = std::fs::File::create(dir.path().join("prometheus.log")).unwrap();
    let _prometheus = Killed(
        Command::new(prometheus)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.tsdb.path={}", dir.path().join("tsdb").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{prom_port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::from(prom_log))
            .spawn()
            .expect("spawn prometheus"),
    );
    let base = format!("http://127.0.0.1:{prom_port}");
    // Enough scrapes that every rate window holds several samples of every series.
    let enough =
        format!("count_over_time(up{{job=\"{JOB}\"}}[1m]) >= 5 and up{{job=\"{JOB}\"}} == 1");
    wait_for("five successful scrapes", Duration::from_secs(90), async || {
        prometheus_query(&http, &base, &enough)
            .await
            .is_ok_and(|r| r.as_array().is_some_and(|a| !a.is_empty()))
    })
    .await;

    let mut failures = Vec::new();
    for (title, expr) in &queries {
        let query = substitute(expr);
        match prometheus_query(&http, &base, &query).await {
            Ok(r) if r.as_array().is_some_and(|a| !a.is_empty()) => {}
            Ok(_) => failures.push(format!("{title}: `{query}` returned no series")),
            Err(e) => failures.push(format!("{title}: `{query}`: {e}")),
        }
    }
    // The template variables' `label_values(METRIC, LABEL)` queries find values too.
    for v in dashboard["templating"]["list"].as_array().unwrap() {
        let Some(q) = v["definition"].as_str() else { continue };
        let inner = q.strip_prefix("label_values(").and_then(|s| s.strip_suffix(')')).unwrap();
        let (selector, label) = inner.rsplit_once(", ").unwrap();
        let query = format!("count by ({label}) ({})", substitute(selector));
        match prometheus_query(&http, &base, &query).await {
            Ok(r) if r.as_array().is_some_and(|a| !a.is_empty()) => {}
            other => failures.push(format!("variable {}: `{query}`: {other:?}", v["name"])),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} dashboard queries failed:\n{}",
        failures.len(),
        queries.len(),
        failures.join("\n")
    );
    assert!(queries.len() >= 15, "{} queries", queries.len());
}

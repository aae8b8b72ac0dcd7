//! The metrics the shipped alerts (`deploy/prometheus/alerts.yml`) and dashboard
//! (`deploy/grafana/plasma-ops.json`) need beyond what the ingress and workers count as they go:
//! when a signed delivery last arrived (a webhook that stopped), and what the GitHub client did
//! (requests, 304s, the rate-limit budget), copied from the client's own counters at each scrape.

use plasma_github::GitHubClient;

/// Unix seconds at which this process last received a delivery whose signature verified.
pub const LAST_DELIVERY: &str = "plasma_ops_webhook_last_delivery_timestamp_seconds";
/// GitHub REST requests sent (every attempt, 304s included).
pub const GITHUB_REQUESTS: &str = "plasma_ops_github_requests_total";
/// GitHub REST requests answered `304 Not Modified` (served from the ETag cache, not charged).
pub const GITHUB_NOT_MODIFIED: &str = "plasma_ops_github_not_modified_total";
/// Requests refused for a rate limit, by GitHub or held back by the client's floor.
pub const GITHUB_RATE_LIMITED: &str = "plasma_ops_github_rate_limited_total";
/// Requests left in the rate-limit window, by `identity` (`token`, `app`, `installation:<id>`)
/// and `resource` (`core`, ...).
pub const RATE_REMAINING: &str = "plasma_ops_github_rate_limit_remaining";
/// The rate-limit window's size, same labels (absent when GitHub did not report it).
pub const RATE_LIMIT: &str = "plasma_ops_github_rate_limit_limit";
/// When the rate-limit window resets, Unix seconds, same labels: an alert on a low budget holds
/// only until then, since the gauges keep the last answer's figures while no request is made.
pub const RATE_RESET: &str = "plasma_ops_github_rate_limit_reset_timestamp_seconds";

/// Describe the metrics of this module so `/metrics` carries their HELP lines.
pub fn describe() {
    metrics::describe_gauge!(
        LAST_DELIVERY,
        metrics::Unit::Seconds,
        "Unix time this process last received a webhook delivery with a valid signature"
    );
    metrics::describe_counter!(
        GITHUB_REQUESTS,
        "GitHub REST requests sent (every attempt, 304s included)"
    );
    metrics::describe_counter!(
        GITHUB_NOT_MODIFIED,
        "GitHub REST requests answered 304 from the ETag cache (not charged to the rate limit)"
    );
    metrics::describe_counter!(
        GITHUB_RATE_LIMITED,
        "GitHub REST requests refused for a rate limit or held back by the client's floor"
    );
    metrics::describe_gauge!(
        RATE_REMAINING,
        "GitHub rate limit remaining, by identity and resource"
    );
    metrics::describe_gauge!(RATE_LIMIT, "GitHub rate limit window size, by identity and resource");
    metrics::describe_gauge!(
        RATE_RESET,
        metrics::Unit::Seconds,
        "Unix time the GitHub rate-limit window resets, by identity and resource"
    );
}

/// A delivery's signature verified at `now_ms` (Unix milliseconds): GitHub is sending to us with
/// the right secret. The arrival time is the point here (is the webhook alive?), not a fact about
/// the pull request, so the process clock is the right one.
pub fn delivery_seen(now_ms: i64) {
    metrics::gauge!(LAST_DELIVERY).set(now_ms as f64 / 1000.0);
}

/// Copy the GitHub client's counters and last-seen rate-limit budgets into the recorder. Called
/// at each scrape: the client keeps its own counters (shared by its clones), so the figures are
/// exact whatever happened between scrapes.
pub fn publish_github(client: &GitHubClient) {
    let stats = client.stats();
    metrics::counter!(GITHUB_REQUESTS).absolute(stats.requests);
    metrics::counter!(GITHUB_NOT_MODIFIED).absolute(stats.not_modified);
    metrics::counter!(GITHUB_RATE_LIMITED).absolute(stats.rate_limited);
    for s in client.rate_limits() {
        let labels = [("identity", s.identity.clone()), ("resource", s.resource.clone())];
        metrics::gauge!(RATE_REMAINING, &labels).set(s.remaining as f64);
        metrics::gauge!(RATE_RESET, &labels).set(s.reset as f64);
        if let Some(limit) = s.limit {
            metrics::gauge!(RATE_LIMIT, &labels).set(limit as f64);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use metrics_exporter_prometheus::PrometheusBuilder;
    use plasma_fakehub::{FakeHub, FakePull};
    use plasma_github::{Auth, ClientConfig, GitHubClient, Secret};

    use super::*;

    /// The value of the one sample of `series` (name and labels exactly as rendered).
    fn sample(text: &str, series: &str) -> Option<f64> {
        text.lines().find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.trim().parse().ok())
    }

    #[test]
    fn a_verified_delivery_sets_the_last_delivery_time_in_seconds() {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        metrics::with_local_recorder(&recorder, || {
            describe();
            delivery_seen(1_764_979_200_500);
        });
        let text = handle.render();
        assert_eq!(sample(&text, LAST_DELIVERY), Some(1_764_979_200.5), "{text}");
        assert!(text.contains(&format!("# HELP {LAST_DELIVERY} ")), "{text}");
    }

    #[tokio::test]
    async fn the_clients_requests_304s_and_rate_limit_budget_are_published() {
        let hub = FakeHub::start().await.unwrap();
        let repo = "plasma-engine/plasma-engine-gateway";
        let n =
            hub.add_pull(repo, FakePull { title: "[PE-1] Metrics".into(), ..FakePull::default() });
        hub.set_rate_limit(4_321, 4_102_444_800);
        let client = GitHubClient::new(
            ClientConfig::new(Auth::Token(Secret::new("ops-metrics-token"))).base_url(hub.url()),
        )
        .unwrap();
        let pulls = client.repo(None, repo).unwrap();
        // The second read of an unchanged pull request is answered 304 from the ETag cache.
        pulls.get_pull(n).await.unwrap();
        pulls.get_pull(n).await.unwrap();

        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        metrics::with_local_recorder(&recorder, || {
            describe();
            publish_github(&client);
        });
        let text = handle.render();
        let stats = client.stats();
        assert_eq!(stats.requests, 2, "{stats:?}");
        assert_eq!(stats.not_modified, 1, "{stats:?}");
        assert_eq!(sample(&text, GITHUB_REQUESTS), Some(2.0), "{text}");
        assert_eq!(sample(&text, GITHUB_NOT_MODIFIED), Some(1.0), "{text}");
        assert_eq!(sample(&text, GITHUB_RATE_LIMITED), Some(0.0), "{text}");
        let labels = r#"{identity="token",resource="core"}"#;
        let remaining = sample(&text, &format!("{RATE_REMAINING}{labels}")).expect(&text);
        let limit = sample(&text, &format!("{RATE_LIMIT}{labels}")).expect(&text);
        // A 304 is not charged: both reads left the budget the first one reported, or one less.
        assert!((4_319.0..=4_320.0).contains(&remaining), "{text}");
        assert!(limit >= 4_321.0, "{text}");
        assert_eq!(sample(&text, &format!("{RATE_RESET}{labels}")), Some(4_102_444_800.0));
        // The token itself never appears.
        assert!(!text.contains("ops-metrics-token"), "{text}");
    }
}

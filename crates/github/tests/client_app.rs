//! GitHub App authentication: RS256 JWT -> installation token, cached until shortly before it
//! expires. The RSA key is generated at test time with `openssl`; without it the tests fail and
//! say how to install it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use plasma_github::{ClientConfig, GitHubClient, GitHubError};
use serde::Deserialize;
use serde_json::json;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const APP_ID: u64 = 424242;

/// Fails the test because `openssl` could not be run: a test that cannot make its key has checked
/// nothing, so it must not pass.
fn no_openssl(e: &std::io::Error) -> ! {
    if e.kind() == std::io::ErrorKind::NotFound {
        panic!("openssl is not installed: apt-get install openssl");
    }
    panic!("cannot run openssl: {e}");
}

/// A throwaway 2048-bit key in GitHub's PKCS#1 form, and its public half.
fn keypair() -> (String, String) {
    let out = Command::new("openssl")
        .args(["genrsa", "-traditional", "2048"])
        .output()
        .unwrap_or_else(|e| no_openssl(&e));
    assert!(out.status.success(), "openssl genrsa: {}", String::from_utf8_lossy(&out.stderr));
    let private = String::from_utf8(out.stdout).unwrap();
    let mut child = Command::new("openssl")
        .args(["rsa", "-pubout"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| no_openssl(&e));
    child.stdin.take().unwrap().write_all(private.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "openssl rsa -pubout: {}", String::from_utf8_lossy(&out.stderr));
    let public = String::from_utf8(out.stdout).unwrap();
    assert!(private.contains("BEGIN RSA PRIVATE KEY"), "{private}");
    (private, public)
}

fn app_client(server: &MockServer, private: &str) -> GitHubClient {
    let mut cfg = ClientConfig::with_app(APP_ID, private).base_url(server.uri());
    cfg.retry_base_delay = Duration::from_millis(1);
    GitHubClient::new(cfg).unwrap()
}

fn pull_json() -> serde_json::Value {
    json!({"number": 1, "title": "t", "state": "open",
           "head": {"ref": "h", "sha": "a"}, "base": {"ref": "main", "sha": "b"}})
}

fn token_answer(token: &str, expires_in: i64) -> ResponseTemplate {
    let expires =
        jiff::Timestamp::from_second(jiff::Timestamp::now().as_second() + expires_in).unwrap();
    ResponseTemplate::new(201).set_body_json(json!({
        "token": token, "expires_at": expires.to_string(), "permissions": {"pull_requests": "write"}
    }))
}

#[derive(Debug, Deserialize)]
struct Claims {
    iat: i64,
    exp: i64,
    iss: u64,
}

#[tokio::test]
async fn jwt_then_installation_token_which_is_cached() {
    let (private, public) = keypair();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/app/installations/77/access_tokens"))
        .and(header("accept", "application/vnd.github+json"))
        .and(header("x-github-api-version", "2022-11-28"))
        .respond_with(token_answer("ghs_installation_one", 3600))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/repos/o/r/pulls/1"))
        .and(header("authorization", "Bearer ghs_installation_one"))
        .respond_with(ResponseTemplate::new(200).set_body_json(pull_json()))
        .expect(2)
        .mount(&server)
        .await;
    let c = app_client(&server, &private);
    assert!(c.is_app());
    let rc = c.repo(Some(77), "o/r").unwrap();
    rc.get_pull(1).await.unwrap();
    // A clone shares the token cache: no second token request.
    c.clone().repo(Some(77), "o/r").unwrap().get_pull(1).await.unwrap();
    assert_eq!(c.stats().tokens_minted, 1);

    // The JWT: RS256 with the App's key, iss = app id, iat a minute back, exp nine minutes ahead.
    let reqs = server.received_requests().await.unwrap();
    let mint = reqs.iter().find(|r| r.method.as_str() == "POST").unwrap();
    let auth = mint.headers.get("authorization").unwrap().to_str().unwrap();
    let jwt = auth.strip_prefix("Bearer ").unwrap();
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_required_spec_claims(&["exp", "iat"]);
    let data = jsonwebtoken::decode::<Claims>(
        jwt,
        &DecodingKey::from_rsa_pem(public.as_bytes()).unwrap(),
        &validation,
    )
    .unwrap();
    let now = jiff::Timestamp::now().as_second();
    assert_eq!(data.claims.iss, APP_ID);
    assert!((now - 65..=now - 55).contains(&data.claims.iat), "{:?}", data.claims);
    assert_eq!(data.claims.exp - data.claims.iat, 600);
    assert_eq!(data.header.alg, Algorithm::RS256);
}

#[tokio::test]
async fn a_token_close_to_expiry_is_renewed() {
    let (private, _) = keypair();
    let server = MockServer::start().await;
    // Expires in four minutes: inside the five-minute margin, so never reused.
    Mock::given(method("POST"))
        .and(path("/app/installations/5/access_tokens"))
        .respond_with(token_answer("ghs_short", 240))
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/repos/o/r/pulls/1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(pull_json()))
        .expect(2)
        .mount(&server)
        .await;
    let c = app_client(&server, &private);
    let rc = c.repo(Some(5), "o/r").unwrap();
    rc.get_pull(1).await.unwrap();
    rc.get_pull(1).await.unwrap();
    assert_eq!(c.stats().tokens_minted, 2);
}

#[tokio::test]
async fn a_rejected_token_is_minted_again_once() {
    let (private, _) = keypair();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/app/installations/5/access_tokens"))
        .respond_with(token_answer("ghs_revoked", 3600))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/app/installations/5/access_tokens"))
        .respond_with(token_answer("ghs_fresh", 3600))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/repos/o/r/pulls/1"))
        .and(header("authorization", "Bearer ghs_revoked"))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(json!({"message": "Bad credentials"})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/repos/o/r/pulls/1"))
        .and(header("authorization", "Bearer ghs_fresh"))
        .respond_with(ResponseTemplate::new(200).set_body_json(pull_json()))
        .expect(1)
        .mount(&server)
        .await;
    let c = app_client(&server, &private);
    c.repo(Some(5), "o/r").unwrap().get_pull(1).await.unwrap();
    assert_eq!(c.stats().tokens_minted, 2);
}

#[tokio::test]
async fn without_an_installation_id_the_repository_installation_is_looked_up_once() {
    let (private, _) = keypair();
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/repos/o/r/installation"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": 31, "app_id": APP_ID})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/app/installations/31/access_tokens"))
        .respond_with(token_answer("ghs_31", 3600))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/repos/o/r/pulls/1"))
        .and(header("authorization", "Bearer ghs_31"))
        .respond_with(ResponseTemplate::new(200).set_body_json(pull_json()))
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/app/installations"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(
                json!([{"id": 31, "account": {"login": "o", "type": "Organization"}}]),
            ),
        )
        .expect(1)
        .mount(&server)
        .await;
    let c = app_client(&server, &private);
    let rc = c.repo(None, "o/r").unwrap();
    rc.get_pull(1).await.unwrap();
    rc.get_pull(1).await.unwrap();
    let installs = c.app_installations().await.unwrap();
    assert_eq!(installs[0].id, 31);
    // An installation-wide call with neither an id nor a repository cannot guess.
    let err = c.installation_repositories(None).await.unwrap_err();
    assert!(matches!(err, GitHubError::NoInstallation { .. }), "{err}");
    assert!(err.to_string().contains("installation.id"), "{err}");
}

#[tokio::test]
async fn installation_repositories_are_read_from_their_wrapper() {
    let (private, _) = keypair();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/app/installations/8/access_tokens"))
        .respond_with(token_answer("ghs_8", 3600))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/installation/repositories"))
        .and(header("authorization", "Bearer ghs_8"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "total_count": 2,
            "repositories": [
                {"full_name": "o/a", "default_branch": "main", "archived": false},
                {"full_name": "o/b", "default_branch": "trunk", "archived": true}
            ]
        })))
        .mount(&server)
        .await;
    let repos = app_client(&server, &private).installation_repositories(Some(8)).await.unwrap();
    assert_eq!(repos.len(), 2);
    assert_eq!(repos[1].default_branch.as_deref(), Some("trunk"));
    assert!(repos[1].archived);
}

/// Who plasma-ops writes as, learned from the fake GitHub: `GET /user` for a token, `GET /app`
/// (`<slug>[bot]`) for an App; once per client (clones share it), and a failure is not kept.
#[tokio::test]
async fn the_login_is_learned_once_from_get_user_or_get_app() {
    let hub = plasma_fakehub::FakeHub::start().await.unwrap();
    hub.set_bot_login("plasma-ops-staging[bot]");
    let mut cfg = ClientConfig::with_token("ghp_someone").base_url(hub.url());
    cfg.retry_base_delay = Duration::from_millis(1);
    let token = GitHubClient::new(cfg).unwrap();
    // GitHub cannot say (every attempt of one call fails): an error, and nothing learned.
    hub.inject(plasma_fakehub::Fault::Status { code: 502, times: 5, route: Some("/user".into()) });
    assert_eq!(token.login().await.unwrap_err().status(), Some(502));
    assert_eq!(token.login().await.unwrap(), "plasma-ops-staging[bot]");
    assert_eq!(token.clone().login().await.unwrap(), "plasma-ops-staging[bot]");
    let asked = |p: &str| hub.requests().iter().filter(|r| r.path == p).count();
    assert_eq!(asked("/user"), 6, "five failures, then learned once");

    let (private, _) = keypair();
    let app =
        GitHubClient::new(ClientConfig::with_app(APP_ID, private).base_url(hub.url())).unwrap();
    assert_eq!(app.login().await.unwrap(), "plasma-ops-staging[bot]");
    assert_eq!(app.login().await.unwrap(), "plasma-ops-staging[bot]");
    assert_eq!(asked("/app"), 1);
    let jwt = hub.requests().into_iter().find(|r| r.path == "/app").unwrap();
    assert_eq!(jwt.status, 200, "the fake accepted the App's JWT");
}

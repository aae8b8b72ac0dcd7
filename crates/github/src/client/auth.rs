//! Credentials: a plain token, or a GitHub App (RS256 JWT -> installation access token, cached per
//! installation until shortly before it expires).

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use jiff::{SignedDuration, Timestamp};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::{Deserialize, Serialize};

use super::error::GitHubError;
use crate::secret::Secret;

/// JWTs are backdated by a minute against clock drift, and live nine of GitHub's ten allowed
/// minutes.
const JWT_BACKDATE: i64 = 60;
const JWT_LIFETIME: i64 = 9 * 60;
/// A JWT is renewed this long before it expires.
const JWT_MARGIN: i64 = 60;
/// An installation token is renewed this long before `expires_at`, so a long job never starts
/// with a token about to die.
pub(crate) const TOKEN_MARGIN: SignedDuration = SignedDuration::from_mins(5);

/// A credential ready to put in `Authorization`, with the identity its budget and cache are
/// kept under.
#[derive(Debug, Clone)]
pub(crate) struct Credential {
    /// The whole header value, e.g. `Bearer ...`.
    pub header: Secret,
    /// `token`, `app` or `installation:<id>`.
    pub identity: String,
    /// The installation, when the credential is an installation token.
    pub installation: Option<u64>,
}

impl Credential {
    pub fn bearer(token: &Secret, identity: String, installation: Option<u64>) -> Self {
        Credential {
            header: Secret::new(format!("Bearer {}", token.expose())),
            identity,
            installation,
        }
    }
}

#[derive(Serialize)]
struct Claims {
    iat: i64,
    exp: i64,
    iss: u64,
}

struct CachedToken {
    token: Secret,
    refresh_after: Timestamp,
}

/// The answer of `POST /app/installations/{id}/access_tokens`.
#[derive(Deserialize)]
pub(crate) struct AccessToken {
    pub token: Secret,
    #[serde(default)]
    pub expires_at: Option<Timestamp>,
}

/// A GitHub App's signing key and its caches.
pub(crate) struct AppAuth {
    pub app_id: u64,
    key: EncodingKey,
    jwt: Mutex<Option<(Secret, i64)>>,
    tokens: Mutex<HashMap<u64, CachedToken>>,
    /// One token request at a time: concurrent jobs for a new installation wait for the first
    /// request instead of each minting a token.
    pub minting: tokio::sync::Mutex<()>,
    repo_installations: Mutex<HashMap<String, u64>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl AppAuth {
    /// Reads the App's PEM private key (PKCS#1 as GitHub issues it, or PKCS#8).
    pub fn new(app_id: u64, private_key_pem: &Secret) -> Result<Self, GitHubError> {
        let key = EncodingKey::from_rsa_pem(private_key_pem.expose().as_bytes()).map_err(|e| {
            GitHubError::Config {
                message: format!("the GitHub App private key is not a usable RSA PEM key ({e})"),
                hint: "point PLASMA_OPS_GITHUB_PRIVATE_KEY_PATH at the `.pem` file downloaded \
                       from the App's settings page (-----BEGIN RSA PRIVATE KEY-----)"
                    .into(),
            }
        })?;
        Ok(AppAuth {
            app_id,
            key,
            jwt: Mutex::new(None),
            tokens: Mutex::new(HashMap::new()),
            minting: tokio::sync::Mutex::new(()),
            repo_installations: Mutex::new(HashMap::new()),
        })
    }

    /// A JWT for acting as the App itself, reused until a minute before it expires.
    pub fn jwt(&self, now: i64) -> Result<Secret, GitHubError> {
        let mut cached = lock(&self.jwt);
        if let Some((jwt, exp)) = cached.as_ref()
            && now < exp - JWT_MARGIN
        {
            return Ok(jwt.clone());
        }
        let claims = Claims { iat: now - JWT_BACKDATE, exp: now + JWT_LIFETIME, iss: self.app_id };
        let jwt = jsonwebtoken::encode(&Header::new(Algorithm::RS256), &claims, &self.key)
            .map_err(|e| GitHubError::Jwt { detail: e.to_string() })?;
        let jwt = Secret::new(jwt);
        *cached = Some((jwt.clone(), claims.exp));
        Ok(jwt)
    }

    /// The cached token of an installation, unless it is within [`TOKEN_MARGIN`] of expiring.
    pub fn cached_token(&self, installation: u64, now: Timestamp) -> Option<Secret> {
        let tokens = lock(&self.tokens);
        let t = tokens.get(&installation)?;
        (now < t.refresh_after).then(|| t.token.clone())
    }

    /// Remembers a fresh installation token.
    pub fn store_token(&self, installation: u64, token: &AccessToken, now: Timestamp) {
        // Without `expires_at` (some GitHub Enterprise versions), assume GitHub's one hour.
        let expires = token.expires_at.unwrap_or_else(|| now + SignedDuration::from_hours(1));
        let refresh_after = expires - TOKEN_MARGIN;
        lock(&self.tokens)
            .insert(installation, CachedToken { token: token.token.clone(), refresh_after });
    }

    /// Forgets an installation's token (GitHub rejected it: revoked, or the App was reinstalled).
    pub fn forget_token(&self, installation: u64) {
        lock(&self.tokens).remove(&installation);
    }

    /// The installation known to cover `owner/name`.
    pub fn repo_installation(&self, full_name: &str) -> Option<u64> {
        lock(&self.repo_installations).get(&full_name.to_ascii_lowercase()).copied()
    }

    /// Remembers which installation covers `owner/name`.
    pub fn store_repo_installation(&self, full_name: &str, installation: u64) {
        lock(&self.repo_installations).insert(full_name.to_ascii_lowercase(), installation);
    }
}

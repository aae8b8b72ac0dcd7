//! Webhook signatures: `X-Hub-Signature-256: sha256=<hex>`, the HMAC-SHA256 of the raw body keyed
//! with the webhook secret.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

const PREFIX: &str = "sha256=";

/// Whether `header` (the `X-Hub-Signature-256` value) is the signature of `body` under `secret`.
/// A missing, malformed or wrong header is `false`; the comparison is constant-time.
pub fn verify_signature(secret: &[u8], body: &[u8], header: Option<&str>) -> bool {
    let Some(header) = header else { return false };
    let Some(hex_sig) = header.trim().strip_prefix(PREFIX) else { return false };
    let Ok(expected) = hex::decode(hex_sig) else { return false };
    let Ok(mut mac) = HmacSha256::new_from_slice(secret) else { return false };
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

/// The `X-Hub-Signature-256` value for `body` under `secret` (for `plasma-ops replay` and tests).
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    // HMAC takes keys of any length, so this never fails; an empty signature would never verify.
    let Ok(mut mac) = HmacSha256::new_from_slice(secret) else { return String::new() };
    mac.update(body);
    format!("{PREFIX}{}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    // GitHub's documented test vector.
    const SECRET: &[u8] = b"It's a Secret to Everybody";
    const BODY: &[u8] = b"Hello, World!";
    const SIG: &str = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

    #[test]
    fn githubs_documented_vector() {
        assert_eq!(sign(SECRET, BODY), SIG);
        assert!(verify_signature(SECRET, BODY, Some(SIG)));
        assert!(verify_signature(
            SECRET,
            BODY,
            Some(&SIG.to_uppercase().replace("SHA256=", PREFIX))
        ));
    }

    #[test]
    fn wrong_missing_or_malformed_signatures_fail() {
        assert!(!verify_signature(SECRET, BODY, None));
        assert!(!verify_signature(SECRET, b"Hello, World?", Some(SIG)));
        assert!(!verify_signature(b"another secret", BODY, Some(SIG)));
        assert!(!verify_signature(SECRET, BODY, Some(&SIG[7..])));
        assert!(!verify_signature(SECRET, BODY, Some("sha1=757107ea")));
        assert!(!verify_signature(SECRET, BODY, Some("sha256=zz")));
        assert!(!verify_signature(SECRET, BODY, Some("sha256=")));
        assert!(!verify_signature(SECRET, BODY, Some(&SIG[..SIG.len() - 2])));
        assert!(!verify_signature(SECRET, BODY, Some("")));
    }

    #[test]
    fn sign_and_verify_round_trip() {
        let body = br#"{"action":"opened"}"#;
        let sig = sign(b"s3cret", body);
        assert!(verify_signature(b"s3cret", body, Some(&sig)));
        assert!(verify_signature(b"", body, Some(&sign(b"", body))));
    }
}

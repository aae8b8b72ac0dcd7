//! The Rube MCP template `config/rube/mcp-config.template.json`: valid JSON, a server with id
//! `rube` (the id scripts and agents use), and no literal secret: every value under a
//! secret-looking key, and every value shaped like a token, must be a `${UPPER_CASE}`
//! placeholder. Findings never contain the secret itself, only a redacted form.

use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;

use super::Checkout;
use plasma_config::report::RepoFinding;

/// Where the process keeps the template.
pub const TEMPLATE_PATH: &str = "config/rube/mcp-config.template.json";

/// No template.
pub const MISSING: &str = "rube-template-missing";
/// Not JSON.
pub const SYNTAX: &str = "rube-template-syntax";
/// No `rube` server.
pub const SERVER: &str = "rube-server-id";
/// A literal secret.
pub const LITERAL_SECRET: &str = "rube-literal-secret";

static PLACEHOLDER: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"\$\{[A-Z][A-Z0-9_]*\}").ok());
static TOKEN_SHAPES: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|sk-[A-Za-z0-9_-]{16,}",
        r"|xox[abposr]-[A-Za-z0-9-]{10,}|AKIA[0-9A-Z]{16}|AIza[0-9A-Za-z_-]{30,}",
        r"|eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})"
    ))
    .ok()
});

/// Whether a key names a secret (`*_KEY`, `*_TOKEN`, `*_SECRET`, `*PASSWORD*` and their
/// camelCase forms).
pub fn secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase().replace(['-', '_'], "");
    k.contains("password")
        || k.contains("passwd")
        || k.ends_with("key")
        || k.ends_with("token")
        || k.ends_with("secret")
        || k == "authorization"
        || k.ends_with("credentials")
}

/// Shannon entropy in bits per character.
fn entropy(s: &str) -> f64 {
    let mut counts = std::collections::BTreeMap::new();
    for c in s.chars() {
        *counts.entry(c).or_insert(0usize) += 1;
    }
    let n = s.chars().count() as f64;
    counts
        .values()
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

/// Whether a value looks like a credential by its shape: a known token prefix, a JWT, or a long
/// unbroken high-entropy string.
pub fn token_shaped(value: &str) -> bool {
    if TOKEN_SHAPES.as_ref().is_some_and(|r| r.is_match(value)) {
        return true;
    }
    value.split(|c: char| c.is_whitespace() || c == '"' || c == '\'').any(|w| {
        w.len() >= 32
            && !w.contains("://")
            && !w.contains('/')
            && w.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '+' | '=' | '.'))
            && w.chars().any(|c| c.is_ascii_digit())
            && entropy(w) >= 4.0
    })
}

/// A form of `value` safe to print: a known type prefix at most, and the length.
pub fn redact(value: &str) -> String {
    let prefix = [
        "ghp_",
        "gho_",
        "ghu_",
        "ghs_",
        "ghr_",
        "github_pat_",
        "sk-",
        "xoxb-",
        "xoxp-",
        "xoxa-",
        "AKIA",
        "eyJ",
    ]
    .iter()
    .find(|p| value.starts_with(*p))
    .copied()
    .unwrap_or("");
    format!("{prefix}*** ({} characters)", value.chars().count())
}

/// Whether `value` is only placeholders (plus short connective text such as `Bearer `).
fn placeholder_only(value: &str) -> bool {
    let Some(re) = PLACEHOLDER.as_ref() else { return false };
    if !re.is_match(value) {
        return false;
    }
    let rest = re.replace_all(value, "");
    rest.trim().len() <= 8 && !token_shaped(&rest)
}

/// All Rube template findings.
pub fn check(checkout: &Checkout) -> Vec<RepoFinding> {
    if !checkout.has(TEMPLATE_PATH) {
        return vec![RepoFinding::warning(
            MISSING,
            format!(
                "No Rube MCP template at `{TEMPLATE_PATH}`; agents and scripts of this repository have no shared connection config."
            ),
            "Add the template with a `rube` server whose secrets are `${UPPER_CASE}` placeholders (see the process's Rube MCP Integration section).",
        )];
    }
    checkout.text(TEMPLATE_PATH).map(check_text).unwrap_or_default()
}

/// Findings for the template's text.
pub fn check_text(text: &str) -> Vec<RepoFinding> {
    let path = TEMPLATE_PATH;
    let v: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            let msg = e.to_string();
            let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
            return vec![
                RepoFinding::error(
                    SYNTAX,
                    format!("Not valid JSON: {msg}."),
                    "Fix the JSON here; MCP clients refuse a config they cannot parse.",
                )
                .at(path)
                .line_col(
                    u32::try_from(e.line()).unwrap_or(1).max(1),
                    u32::try_from(e.column()).unwrap_or(1).max(1),
                ),
            ];
        }
    };
    let mut out = Vec::new();
    let has_rube = ["mcpServers", "servers"].iter().any(|k| match v.get(k) {
        Some(Value::Object(m)) => m.contains_key("rube"),
        Some(Value::Array(a)) => {
            a.iter().any(|s| s.get("id").and_then(Value::as_str) == Some("rube"))
        }
        _ => false,
    }) || v.get("id").and_then(Value::as_str) == Some("rube");
    if !has_rube {
        out.push(RepoFinding::error(SERVER, "The template defines no MCP server with id `rube`; scripts and agents reference the server by that id.", "Name the server `rube`: `{\"mcpServers\": {\"rube\": {...}}}`.").at(path));
    }
    walk(&v, "", text, &mut out);
    out
}

fn walk(v: &Value, key: &str, text: &str, out: &mut Vec<RepoFinding>) {
    match v {
        Value::Object(m) => m.iter().for_each(|(k, v)| walk(v, k, text, out)),
        Value::Array(a) => a.iter().for_each(|v| walk(v, key, text, out)),
        Value::String(s) => {
            let by_key = secret_key(key) && !s.is_empty();
            let by_shape = token_shaped(s);
            if (by_key || by_shape) && !placeholder_only(s) {
                let why = if by_shape {
                    "looks like a credential"
                } else {
                    "is under a secret-looking key"
                };
                let name = if key.is_empty() { "a value".to_string() } else { format!("`{key}`") };
                let mut f = RepoFinding::error(
                    LITERAL_SECRET,
                    format!("{name} holds a literal value ({}) that {why}; a committed template must not carry secrets.", redact(s)),
                    format!("Replace it with a placeholder such as `${{{}}}`, set the real value in your local copy or in the organisation's Actions secrets, and revoke the exposed credential.", placeholder_for(key)),
                )
                .at(TEMPLATE_PATH);
                // Locate by key and value together; the value itself is never printed.
                let quoted_key = format!("\"{key}\"");
                if let Some(i) = text
                    .lines()
                    .position(|l| l.contains(&quoted_key) && l.contains(s.as_str()))
                    .or_else(|| text.lines().position(|l| l.contains(s.as_str())))
                {
                    f = f.line(u32::try_from(i + 1).unwrap_or(u32::MAX));
                }
                out.push(f);
            }
        }
        _ => {}
    }
}

fn placeholder_for(key: &str) -> String {
    let up: String = key
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' })
        .collect();
    if up.is_empty() || !up.starts_with(|c: char| c.is_ascii_alphabetic()) {
        "RUBE_API_KEY".into()
    } else {
        up
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GHP: &str = "ghp_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5";

    #[test]
    fn secret_keys_and_shapes() {
        for (k, s) in [
            ("RUBE_API_KEY", true),
            ("apiKey", true),
            ("GITHUB_TOKEN", true),
            ("db_password", true),
            ("client_secret", true),
            ("name", false),
            ("keyboard", false),
            ("url", false),
        ] {
            assert_eq!(secret_key(k), s, "{k}");
        }
        for (v, s) in [
            (GHP, true),
            ("sk-proj-abcdefghijklmnop1234", true),
            (
                "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
                true,
            ),
            ("Q2h7Kx9PzL4mW8vR3tY6uN1bJ5cF0gHdSa", true),
            ("https://rube.app/mcp", false),
            ("${RUBE_API_KEY}", false),
            ("the quick brown fox jumps over the lazy dog", false),
            ("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false),
        ] {
            assert_eq!(token_shaped(v), s, "{v}");
        }
    }

    #[test]
    fn table() {
        for (text, expect) in [
            (
                r#"{"mcpServers": {"rube": {"url": "https://rube.app/mcp", "env": {"RUBE_API_KEY": "${RUBE_API_KEY}"}, "headers": {"Authorization": "Bearer ${RUBE_API_KEY}"}}}}"#,
                vec![],
            ),
            (r#"{"mcpServers": {"other": {}}}"#, vec![SERVER]),
            (
                r#"{"servers": [{"id": "rube", "env": {"RUBE_API_KEY": "abc123"}}]}"#,
                vec![LITERAL_SECRET],
            ),
            (
                r#"{"servers": {"rube": {"args": ["--token", "ghp_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5"]}}}"#,
                vec![LITERAL_SECRET],
            ),
            (
                r#"{"servers": {"rube": {"env": {"RUBE_API_KEY": "${rube_key}"}}}}"#,
                vec![LITERAL_SECRET],
            ),
            ("{\n  \"a\": 1,\n}", vec![SYNTAX]),
        ] {
            let got: Vec<_> = check_text(text).into_iter().map(|f| f.finding.rule).collect();
            assert_eq!(got, expect, "{text}");
        }
    }

    #[test]
    fn the_secret_never_appears_in_a_finding() {
        let text = format!(
            "{{\n  \"mcpServers\": {{\n    \"rube\": {{\n      \"env\": {{ \"RUBE_API_KEY\": \"{GHP}\" }}\n    }}\n  }}\n}}\n"
        );
        let f = check_text(&text);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].location.line, Some(4));
        let shown = format!("{f:?}");
        assert!(!shown.contains(&GHP[4..]), "{shown}");
        assert!(
            f[0].finding.message.contains("ghp_*** (40 characters)"),
            "{}",
            f[0].finding.message
        );
    }
}

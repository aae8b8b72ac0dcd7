//! The configuration's published forms: the commented starter file (`config init`), the JSON
//! Schema (`config schema`) and the annotated effective configuration (`config show`).

use std::fmt::Write as _;

use serde_json::Value;

use super::{Config, EffectiveConfig};

/// The commented file `config init` writes: every default, explained.
pub const INIT_TEMPLATE: &str = include_str!("init.yml");

/// JSON Schema (draft 2020-12) of `.github/plasma.yml`, generated from the typed model.
pub fn json_schema() -> Value {
    serde_json::to_value(schemars::schema_for!(Config)).unwrap_or(Value::Null)
}

/// The JSON Schema as published in `schema/plasma.schema.json` (pretty, trailing newline).
pub fn json_schema_text() -> String {
    let mut s = serde_json::to_string_pretty(&json_schema()).unwrap_or_default();
    s.push('\n');
    s
}

/// The effective configuration as YAML, each value followed by the layer it came from.
pub fn show(eff: &EffectiveConfig) -> String {
    let mut out =
        String::from("# effective configuration; `# <layer>` says where each value came from\n");
    if let Value::Object(m) = &eff.tree {
        for (k, v) in m {
            emit(&mut out, eff, k, k, v, 0);
        }
    }
    out
}

fn emit(out: &mut String, eff: &EffectiveConfig, path: &str, key: &str, v: &Value, indent: usize) {
    let pad = " ".repeat(indent);
    match v {
        Value::Object(m) if !m.is_empty() => {
            let _ = writeln!(out, "{pad}{}:", yaml_key(key));
            for (k, child) in m {
                emit(out, eff, &format!("{path}.{k}"), k, child, indent + 2);
            }
        }
        _ => {
            let _ = writeln!(out, "{pad}{}: {}  # {}", yaml_key(key), flow(v), eff.origin(path));
        }
    }
}

fn yaml_key(k: &str) -> String {
    if plain(k) { k.to_string() } else { quote(k) }
}

/// One value in YAML flow style (JSON is valid YAML flow).
fn flow(v: &Value) -> String {
    match v {
        Value::String(s) if plain(s) => s.clone(),
        Value::String(s) => quote(s),
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(flow).collect();
            format!("[{}]", parts.join(", "))
        }
        Value::Object(m) => {
            let parts: Vec<String> =
                m.iter().map(|(k, v)| format!("{}: {}", yaml_key(k), flow(v))).collect();
            format!("{{{}}}", parts.join(", "))
        }
        other => other.to_string(),
    }
}

fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// Whether a string can be written unquoted in flow context without changing its meaning.
fn plain(s: &str) -> bool {
    let reserved = ["true", "false", "null", "yes", "no", "on", "off", "~"];
    !s.is_empty()
        && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/' | ' '))
        && s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && !s.ends_with(' ')
        && !reserved.contains(&s.to_ascii_lowercase().as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ConfigSource, load};

    #[test]
    fn the_init_template_is_exactly_the_defaults() {
        let eff = load(None, Some(ConfigSource { name: "init.yml", text: INIT_TEMPLATE })).unwrap();
        assert_eq!(eff.config, Config::default());
    }

    #[test]
    fn the_published_schema_matches_the_code() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../schema/plasma.schema.json");
        let published = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            published == json_schema_text(),
            "schema/plasma.schema.json is out of date: run `cargo run -p plasma-ops -- config schema > schema/plasma.schema.json`"
        );
    }

    #[test]
    fn show_round_trips_and_annotates() {
        let repo = ConfigSource {
            name: "r.yml",
            text: "approvals:\n  required: 2\ntitle:\n  pattern: \"[{issue_key}] {summary}\"\n",
        };
        let eff = load(None, Some(repo)).unwrap();
        let text = show(&eff);
        assert!(text.contains("  required: 2  # repo\n"), "{text}");
        assert!(text.contains("  on_head_commit: false  # default\n"), "{text}");
        let back = load(None, Some(ConfigSource { name: "show", text: &text })).unwrap();
        assert_eq!(back.config, eff.config);
    }
}

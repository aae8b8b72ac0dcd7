//! Loading `.github/plasma.yml`: three layers (built-in defaults, organisation, repository) merged in
//! that order, each value remembering the layer it came from.
//!
//! Files come from repositories we do not control, so parsing is bounded (size and nesting depth
//! are checked before parsing, see `guard`; YAML alias expansion is limited by `yaml_serde`),
//! every error carries `file:line:col`, and an
//! unknown key is an error with a "did you mean" hint rather than being ignored.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;
use serde_json::{Map, Value};

use super::Config;
use super::locate::locate_key;

/// The largest configuration file we read. The defaults are about 5 KiB; anything near this limit
/// is a mistake or an attack, and a 10 MB string must not reach the rule compiler.
pub const MAX_CONFIG_BYTES: usize = 256 * 1024;

/// Where a configuration value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Layer {
    /// Built into plasma-ops: the process as written.
    Default,
    /// The organisation's `.github` repository.
    Org,
    /// The repository's own `.github/plasma.yml`.
    Repo,
}

impl Layer {
    /// Lowercase name, as shown by `config show`.
    pub fn as_str(self) -> &'static str {
        match self {
            Layer::Default => "default",
            Layer::Org => "org",
            Layer::Repo => "repo",
        }
    }
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One configuration file's text and the name to use for it in messages.
#[derive(Debug, Clone, Copy)]
pub struct ConfigSource<'a> {
    /// Name shown in errors, usually the path.
    pub name: &'a str,
    /// The file's contents.
    pub text: &'a str,
}

/// A configuration error, located as precisely as the input allows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}{}", location(.file, *.line, *.column), hint.as_ref().map(|h| format!("\n  hint: {h}")).unwrap_or_default())]
pub struct ConfigError {
    /// File name as given by the caller.
    pub file: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub hint: Option<String>,
}

fn location(file: &str, line: Option<usize>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!("{file}:{l}:{c}"),
        (Some(l), None) => format!("{file}:{l}"),
        _ => file.to_string(),
    }
}

impl ConfigError {
    /// An error about a whole file.
    pub fn file(file: &str, message: impl Into<String>, hint: Option<String>) -> Self {
        ConfigError { file: file.into(), line: None, column: None, message: message.into(), hint }
    }
}

/// The effective configuration and the layer each value came from.
#[derive(Debug, Clone, PartialEq)]
pub struct EffectiveConfig {
    /// The merged, typed configuration.
    pub config: Config,
    /// The merged configuration as a JSON tree (what `config show` prints).
    pub tree: Value,
    /// Dotted key path (`branches.exempt`, `rules.signed-commits.severity`) of every leaf -> layer.
    /// Arrays are leaves: a layer that sets a list replaces it whole.
    pub origins: BTreeMap<String, Layer>,
}

impl EffectiveConfig {
    /// The layer that set `path`, or the nearest parent's.
    pub fn origin(&self, path: &str) -> Layer {
        let mut p = path;
        loop {
            if let Some(l) = self.origins.get(p) {
                return *l;
            }
            // `dispatch.rules[2].globs[0]` -> `dispatch.rules[2].globs` -> ... -> `dispatch.rules`
            match p.rfind(['.', '[']) {
                Some(i) => p = &p[..i],
                None => return Layer::Default,
            }
        }
    }
}

/// Parse and validate one layer, returning its JSON tree (only the keys the file sets).
pub fn parse_layer(src: ConfigSource<'_>) -> Result<Value, ConfigError> {
    if src.text.len() > MAX_CONFIG_BYTES {
        return Err(ConfigError::file(
            src.name,
            format!(
                "the file is {} bytes; configuration files are limited to {} bytes",
                src.text.len(),
                MAX_CONFIG_BYTES
            ),
            Some(
                "keep .github/plasma.yml to the settings you change; defaults need no repeating"
                    .into(),
            ),
        ));
    }
    // Before the YAML parser: it slows down quadratically with nesting depth.
    if let Err(deep) = super::guard::check_depth(src.text) {
        return Err(ConfigError {
            file: src.name.into(),
            line: Some(deep.line),
            column: Some(deep.column),
            message: deep.message,
            hint: Some("write the values out flat; see `plasma-ops config init`".into()),
        });
    }
    // The untyped tree first: syntax errors (and alias bombs) are reported with their location,
    // and a file that is not a mapping gets a message about shape, not about a Rust type.
    let tree: Value = yaml_serde::from_str(src.text).map_err(|e| {
        let mut err = from_yaml_error(src.name, &e);
        // An alias bomb is refused without a position; point at the first alias.
        if err.line.is_none()
            && err.message.contains("repetition limit")
            && let Some((line, column)) = super::guard::first_alias(src.text)
        {
            (err.line, err.column) = (Some(line), Some(column));
        }
        err
    })?;
    let tree = match tree {
        Value::Null => return Ok(Value::Object(Map::new())),
        Value::Object(_) => tree,
        _ => {
            return Err(ConfigError {
                file: src.name.into(),
                line: Some(1),
                column: Some(1),
                message:
                    "the configuration must be a mapping of sections (`branches:`, `title:`, ...)"
                        .into(),
                hint: Some("run `plasma-ops config init` to see the expected shape".into()),
            });
        }
    };
    // The typed parse reports unknown keys and wrong types with their location.
    let typed =
        yaml_serde::from_str::<Config>(src.text).map_err(|e| from_yaml_error(src.name, &e))?;
    // YAML's untyped reading is not the typed one (`color: 5319e7` is a float untyped and the
    // string "5319e7" typed), so the layer's values come from the typed parse, restricted to the
    // keys the file actually sets.
    let typed = serde_json::to_value(&typed).map_err(|e| {
        ConfigError::file(src.name, format!("cannot represent the configuration: {e}"), None)
    })?;
    Ok(restrict(&typed, &tree))
}

/// The parts of `typed` at the key paths present in `present`.
fn restrict(typed: &Value, present: &Value) -> Value {
    match (typed, present) {
        (Value::Object(t), Value::Object(p)) => Value::Object(
            p.keys().filter_map(|k| t.get(k).map(|tv| (k.clone(), restrict(tv, &p[k])))).collect(),
        ),
        _ => typed.clone(),
    }
}

/// Merge built-in defaults, an optional organisation file and an optional repository file.
pub fn load(
    org: Option<ConfigSource<'_>>,
    repo: Option<ConfigSource<'_>>,
) -> Result<EffectiveConfig, ConfigError> {
    let mut tree = defaults_tree();
    let mut origins = BTreeMap::new();
    record_leaves(&tree, String::new(), Layer::Default, &mut origins);
    let mut last_name = "built-in defaults";
    for (layer, src) in [(Layer::Org, org), (Layer::Repo, repo)] {
        if let Some(src) = src {
            let overlay = parse_layer(src)?;
            merge(&mut tree, &overlay, String::new(), layer, &mut origins);
            last_name = src.name;
        }
    }
    let config: Config = serde_json::from_value(tree.clone()).map_err(|e| {
        // Each layer was validated alone; merging objects key by key cannot make a valid tree
        // invalid, so reaching this is a bug of ours, reported without panicking.
        ConfigError::file(
            last_name,
            format!("merged configuration is invalid: {e}"),
            Some("please report this as a plasma-ops bug with the files involved".into()),
        )
    })?;
    Ok(EffectiveConfig { config, tree, origins })
}

/// The built-in defaults as a JSON tree.
pub fn defaults_tree() -> Value {
    // Serialising our own plain structs cannot fail; fall back to an empty tree rather than panic.
    serde_json::to_value(Config::default()).unwrap_or(Value::Object(Map::new()))
}

fn merge(
    base: &mut Value,
    overlay: &Value,
    path: String,
    layer: Layer,
    origins: &mut BTreeMap<String, Layer>,
) {
    match (base, overlay) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                let child = join(&path, k);
                match b.get_mut(k) {
                    Some(existing) => merge(existing, v, child, layer, origins),
                    None => {
                        record_leaves(v, child, layer, origins);
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (b, o) => {
            // A leaf (scalar or list) replaces the lower layer's value whole.
            let prefix = format!("{path}.");
            origins.retain(|k, _| k != &path && !k.starts_with(&prefix));
            record_leaves(o, path, layer, origins);
            *b = o.clone();
        }
    }
}

fn record_leaves(v: &Value, path: String, layer: Layer, origins: &mut BTreeMap<String, Layer>) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, child) in m {
                record_leaves(child, join(&path, k), layer, origins);
            }
        }
        _ => {
            origins.insert(path, layer);
        }
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() { key.to_string() } else { format!("{path}.{key}") }
}

/// Turn a `yaml_serde` error into `file:line:col: message` with a hint.
pub(crate) fn from_yaml_error(file: &str, e: &yaml_serde::Error) -> ConfigError {
    let loc = e.location();
    let mut message = e.to_string();
    // yaml_serde appends " at line L column C"; we put the location in front instead.
    if let Some(i) = message.find(" at line ") {
        let tail = &message[i..];
        if !tail.contains(", while") {
            message.truncate(i);
        }
    }
    let hint = unknown_field_hint(&message).or_else(|| {
        if message.contains("repetition limit exceeded") || message.contains("recursion limit") {
            Some("the file expands YAML aliases or nests too deeply; write the values out".into())
        } else if message.contains("invalid type") {
            Some("see `plasma-ops config schema` for each key's type".into())
        } else {
            None
        }
    });
    ConfigError {
        file: file.into(),
        line: loc.as_ref().map(|l| l.line()),
        column: loc.as_ref().map(|l| l.column()),
        message,
        hint,
    }
}

/// For serde's "unknown field `x`, expected one of `a`, `b`" (or "expected `a` or `b`"), suggest
/// the closest known key.
fn unknown_field_hint(message: &str) -> Option<String> {
    let start = message.find("unknown field `")? + "unknown field `".len();
    let rest = &message[start..];
    let end = rest.find('`')?;
    let unknown = &rest[..end];
    let expected: Vec<&str> = rest[end + 1..].split('`').skip(1).step_by(2).collect();
    match did_you_mean(unknown, &expected) {
        Some(best) => Some(format!("did you mean `{best}`?")),
        None if expected.is_empty() => Some("this section takes no keys".into()),
        None => Some(format!("known keys here: {}", expected.join(", "))),
    }
}

/// The candidate closest to `word`, if it is close enough to be a plausible typo.
pub fn did_you_mean<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let norm = |s: &str| s.to_ascii_lowercase().replace('-', "_");
    let w = norm(word);
    candidates
        .iter()
        .map(|c| (strsim::damerau_levenshtein(&w, &norm(c)), *c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Locate a key path in a file's text for errors found after parsing (a bad pattern, say).
pub fn config_error_at(
    src: ConfigSource<'_>,
    key_path: &str,
    message: String,
    hint: Option<String>,
) -> ConfigError {
    let (line, column) = match locate_key(src.text, key_path) {
        Some((l, c)) => (Some(l), Some(c)),
        None => (None, None),
    };
    ConfigError { file: src.name.into(), line, column, message, hint }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src(text: &str) -> ConfigSource<'_> {
        ConfigSource { name: ".github/plasma.yml", text }
    }

    #[test]
    fn no_files_is_the_process() {
        let eff = load(None, None).unwrap();
        assert_eq!(eff.config, Config::default());
        assert!(eff.origins.values().all(|l| *l == Layer::Default));
    }

    #[test]
    fn empty_and_comment_only_files_change_nothing() {
        for text in ["", "# nothing here\n", "---\n"] {
            let eff = load(None, Some(src(text))).unwrap();
            assert_eq!(eff.config, Config::default(), "{text:?}");
        }
    }

    #[test]
    fn layers_merge_in_order_and_remember_their_origin() {
        let org = ConfigSource {
            name: "org.yml",
            text: "issue_key:\n  prefix: ORG\napprovals:\n  required: 2\n",
        };
        let repo = src("approvals:\n  required: 3\nbranches:\n  exempt: [\"bot/**\"]\n");
        let eff = load(Some(org), Some(repo)).unwrap();
        assert_eq!(eff.config.issue_key.prefix, "ORG");
        assert_eq!(eff.config.approvals.required, 3);
        assert!(!eff.config.approvals.on_head_commit);
        assert_eq!(eff.config.branches.exempt, vec!["bot/**".to_string()]);
        assert_eq!(eff.origin("issue_key.prefix"), Layer::Org);
        assert_eq!(eff.origin("approvals.required"), Layer::Repo);
        assert_eq!(eff.origin("approvals.on_head_commit"), Layer::Default);
        assert_eq!(eff.origin("branches.exempt"), Layer::Repo);
        assert_eq!(eff.origin("title.pattern"), Layer::Default);
    }

    #[test]
    fn rule_overrides_merge_per_rule() {
        let org = ConfigSource {
            name: "org.yml",
            text: "rules:\n  signed-commits:\n    severity: warning\n",
        };
        let repo = src("rules:\n  linear-history:\n    severity: off\n");
        let eff = load(Some(org), Some(repo)).unwrap();
        assert_eq!(eff.config.rules.len(), 2);
        assert_eq!(eff.origin("rules.signed-commits.severity"), Layer::Org);
        assert_eq!(eff.origin("rules.linear-history.severity"), Layer::Repo);
    }

    #[test]
    fn errors_are_located_and_explained() {
        let cases: &[(&str, usize, usize, &str, &str)] = &[
            ("tilte:\n  pattern: x\n", 1, 1, "unknown field `tilte`", "did you mean `title`?"),
            (
                "branches:\n  feature: x\n  exmpt: []\n",
                3,
                3,
                "unknown field `exmpt`",
                "did you mean `exempt`?",
            ),
            (
                "base-branches:\n  allowed: [main]\n",
                1,
                1,
                "unknown field `base-branches`",
                "did you mean `base_branches`?",
            ),
            (
                "approvals:\n  required: -1\n",
                2,
                13,
                "approvals.required: invalid type",
                "config schema",
            ),
            ("branches: {feature: 'a'\n", 2, 1, "did not find expected", ""),
        ];
        for (text, line, col, msg, hint) in cases {
            let e = load(None, Some(src(text))).unwrap_err();
            assert_eq!((e.line, e.column), (Some(*line), Some(*col)), "{text:?}: {e}");
            assert!(e.message.contains(msg), "{text:?}: {e}");
            assert!(e.hint.clone().unwrap_or_default().contains(hint), "{text:?}: {e}");
            assert!(
                e.to_string().starts_with(&format!(".github/plasma.yml:{line}:{col}: ")),
                "{e}"
            );
        }
    }

    #[test]
    fn values_take_their_typed_reading() {
        // Untyped YAML reads these as a float and a boolean; the model wants strings.
        let text = "labels:\n  definitions:\n    - {name: \"agent:x\", color: 5319e7}\nissue_key:\n  prefix: ON\n";
        let eff = load(None, Some(src(text))).unwrap();
        assert_eq!(eff.config.labels.definitions[0].color, "5319e7");
        assert_eq!(eff.config.labels.definitions[0].description, "");
        assert_eq!(eff.config.issue_key.prefix, "ON");
    }

    #[test]
    fn a_list_is_not_a_configuration() {
        let e = load(None, Some(src("- a\n- b\n"))).unwrap_err();
        assert!(e.message.contains("mapping"), "{e}");
    }

    #[test]
    fn billion_laughs_is_refused_not_expanded() {
        let mut text = String::from(
            "a0: &a0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
        );
        for i in 1..10 {
            let p = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p}]\n"
            ));
        }
        let e = load(None, Some(src(&text))).unwrap_err();
        assert!(e.to_string().starts_with(".github/plasma.yml:2:10: "), "{e}");
    }

    #[test]
    fn oversized_files_are_refused_before_parsing() {
        let text = format!("title:\n  pattern: \"{}\"\n", "x".repeat(10 * 1024 * 1024));
        let e = load(None, Some(src(&text))).unwrap_err();
        assert!(e.message.contains("limited to"), "{e}");
    }

    #[test]
    fn deep_nesting_is_refused_with_its_location() {
        for (open, close) in [("[", "]"), ("{a: ", "}")] {
            let text = format!("title: {}{}\n", open.repeat(50_000), close.repeat(50_000));
            let started = std::time::Instant::now();
            let e = load(None, Some(src(&text))).unwrap_err();
            eprintln!("{open}: {:?} {e}", started.elapsed());
            assert_eq!(e.file, ".github/plasma.yml");
            assert!(e.message.contains("nest more than"), "{e}");
            assert!(e.line.is_some() && e.column.is_some(), "{e}");
        }
        let mut block = String::new();
        for depth in 0..600 {
            block.push_str(&format!("{}k{depth}:\n", " ".repeat(depth)));
        }
        let started = std::time::Instant::now();
        let e = load(None, Some(src(&block))).unwrap_err();
        eprintln!("block: {:?} {e}", started.elapsed());
        assert!(e.line.is_some() && e.column.is_some(), "{e}");
    }

    #[test]
    fn did_you_mean_only_suggests_plausible_typos() {
        assert_eq!(did_you_mean("titel", &["title", "branches"]), Some("title"));
        assert_eq!(did_you_mean("zzzzzz", &["title", "branches"]), None);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

        #[test]
        fn parsing_never_panics_on_arbitrary_text(text in ".{0,400}") {
            let _ = load(None, Some(src(&text)));
        }

        #[test]
        fn parsing_never_panics_on_yaml_shaped_text(
            lines in proptest::collection::vec(
                ("[ ]{0,6}", "(issue_key|prefix|branches|exempt|rules|title|pattern|- |&a |\\*a|[a-z_-]{1,10})", ":? ?", "(\\[|\\]|\\{|\\}|\"|'|[a-zA-Z0-9*/{}._-]{0,12}|-1|1e9|null|true)"),
                0..20,
            )
        ) {
            let text: String = lines.iter().map(|(a, b, c, d)| format!("{a}{b}{c}{d}\n")).collect();
            // That whatever loads also compiles or is rejected with located errors is
            // plasma-policy's property test of the same shape.
            let _ = load(None, Some(src(&text)));
        }
    }
}

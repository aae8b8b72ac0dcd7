//! Agent dispatch: which `agent:*` labels a pull request's changed files call for.
//!
//! Every rule is a glob over whole path segments (`*` never crosses `/`, `**` does), never a
//! substring, which would send `docs/devops/x.md` and `src/shops/cart.ts` to the ops agent. The
//! globs of all rules are compiled into one [`globset::GlobSet`]: a path is matched against every
//! rule in one pass, then the matched globs are walked in rule order to apply additive and
//! exclusive semantics.
//!
//! Order of evaluation: the `CURSOR_AGENT_CLASSIFIERS` entries (`dispatch.classifiers`, each an
//! exclusive path-prefix rule), then `dispatch.rules` in order. A file no rule labels gets
//! `dispatch.fallback`, unless that is empty.

mod classifiers;
mod respell;

use std::collections::BTreeMap;
use std::fmt::Write as _;

use globset::{Candidate, GlobBuilder, GlobSet, GlobSetBuilder};
use serde::Serialize;

use plasma_config::{DispatchConfig, DispatchMode};

pub use classifiers::{
    CLASSIFIERS_SYNTAX, ClassifiersError, ClassifiersErrorKind, parse_classifiers,
};

/// Most globs one configuration may compile (rules' globs plus two per classifier entry).
///
/// Configuration comes from untrusted repositories; this bounds compile time and memory.
pub const MAX_GLOBS: usize = 1000;
/// Longest glob accepted, in bytes.
pub const MAX_GLOB_LEN: usize = 1000;
/// Most bytes of globs in total. Compiling the set takes about half a kilobyte of memory per
/// glob byte (measured with globset 0.4.22), so this keeps a hostile configuration under about
/// 55 MB and 0.12 s, while the built-in rules use under 1 KiB.
pub const MAX_TOTAL_GLOB_BYTES: usize = 64 * 1024;
/// Most rules (classifier entries included) one configuration may hold; rules without globs
/// would otherwise escape [`MAX_GLOBS`].
pub const MAX_RULES: usize = 1000;

/// How many characters of an offending value an error message quotes.
const PREVIEW_CHARS: usize = 60;

/// Why a dispatch configuration cannot be compiled. Each variant names the configuration key.
#[derive(Debug, thiserror::Error)]
pub enum DispatchError {
    /// `dispatch.classifiers` (or `CURSOR_AGENT_CLASSIFIERS`) does not parse.
    #[error("dispatch.classifiers: {0}")]
    Classifiers(#[from] ClassifiersError),
    /// More rules than [`MAX_RULES`].
    #[error(
        "dispatch: {count} rules (classifier entries included), more than the limit of {max}; \
         merge rules that give the same label"
    )]
    TooManyRules {
        /// Rules configured.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// More globs than [`MAX_GLOBS`].
    #[error(
        "dispatch: {count} globs in total (the rules' globs plus 2 per classifier entry), more \
         than the limit of {max}; merge rules or use broader globs such as `**/*.ext`"
    )]
    TooManyGlobs {
        /// Globs configured.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// More glob bytes in total than [`MAX_TOTAL_GLOB_BYTES`].
    #[error(
        "dispatch: {bytes} bytes of globs in total, more than the limit of {max}; use fewer or \
         shorter globs"
    )]
    GlobsTooLarge {
        /// Total length of all globs.
        bytes: usize,
        /// The limit.
        max: usize,
    },
    /// A glob longer than [`MAX_GLOB_LEN`].
    #[error(
        "{key}: a glob of {len} bytes ({preview:?}...), longer than the limit of {max}; shorten it"
    )]
    GlobTooLong {
        /// Configuration key, e.g. `dispatch.rules[2].globs[1]`.
        key: String,
        /// Its length in bytes.
        len: usize,
        /// The limit.
        max: usize,
        /// Its first characters.
        preview: String,
    },
    /// An empty glob.
    #[error("{key} is an empty glob; write one such as `docs/**`, or remove it")]
    EmptyGlob {
        /// Configuration key.
        key: String,
    },
    /// A glob that does not parse.
    #[error(
        "{key}: invalid glob {glob:?}: {reason}; globs use `*` and `?` within one path segment, \
         `**` across segments, `[abc]` and `{{a,b}}`"
    )]
    InvalidGlob {
        /// Configuration key.
        key: String,
        /// The glob (possibly shortened).
        glob: String,
        /// The parser's complaint.
        reason: String,
    },
    /// A glob starting with `!`: negation in actions/labeler (minimatch), a literal `!` here.
    #[error(
        "{key}: {glob:?} starts with `!`, which is not negation here; put an exclusive rule for \
         the excluded paths before this one, or write `\\!` for a literal `!`"
    )]
    NegatedGlob {
        /// Configuration key.
        key: String,
        /// The glob (possibly shortened).
        glob: String,
    },
    /// A rule without a label.
    #[error("{key} is empty; give the rule a label such as `agent:docs`")]
    EmptyLabel {
        /// Configuration key, e.g. `dispatch.rules[2].label`.
        key: String,
    },
    /// A fallback made only of whitespace (`""` is allowed and means no fallback).
    #[error("dispatch.fallback is blank; set a label such as `agent:general`, or \"\" for none")]
    BlankFallback,
    /// The globs parse one by one but not together (the combined matcher is too large).
    #[error(
        "dispatch: the globs could not be compiled together ({reason}); use fewer or simpler globs"
    )]
    Build {
        /// The matcher's complaint.
        reason: String,
    },
}

/// Index of a label within one [`Dispatcher`] (see [`Dispatcher::label_name`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LabelIdx(u32);

impl LabelIdx {
    /// Position in `0..dispatcher.label_count()`, for per-label arrays.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// How one file was dispatched, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileDispatch {
    /// The path as given.
    pub path: String,
    /// Labels in rule order, each once.
    pub labels: Vec<String>,
    /// Human-readable naming of the rules that gave the labels, joined with `; `, e.g.
    /// `dispatch.rules[3] "docs/**" -> agent:docs` or `dispatch.fallback -> agent:general`.
    pub rule: String,
    /// Every rule that contributed, in evaluation order.
    pub matches: Vec<RuleMatch>,
}

/// One rule that contributed a label to a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleMatch {
    /// Configuration key: `dispatch.rules[3]`, `dispatch.classifiers[0]` or `dispatch.fallback`.
    pub source: String,
    /// The label it gave.
    pub label: String,
    /// The first of the rule's globs (in configuration order) that matched; `None` for the
    /// fallback.
    pub glob: Option<String>,
}

/// The dispatch of a set of files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DispatchReport {
    /// Every label given to at least one file, sorted.
    pub labels: Vec<String>,
    /// Label -> number of files carrying it.
    pub counts: BTreeMap<String, usize>,
    /// Per file, in input order.
    pub files: Vec<FileDispatch>,
}

/// Reusable buffers for [`Dispatcher::classify_into`], so classifying allocates nothing once
/// they have grown. One per thread; it works with any dispatcher.
#[derive(Debug, Clone, Default)]
pub struct Scratch {
    matched: Vec<usize>,
    labels: Vec<LabelIdx>,
    // seen[label] == epoch marks a label already given to the current path: deduplication in
    // O(1) without clearing a set per path.
    seen: Vec<u32>,
    epoch: u32,
}

/// One compiled rule, in evaluation order (classifiers first).
#[derive(Debug, Clone)]
struct Rule {
    /// `dispatch.rules[3]` or `dispatch.classifiers[0]`.
    source: String,
    /// What explanations quote for a classifier (`infra=agent:infra`); glob rules quote the
    /// glob that matched instead.
    entry: Option<String>,
    label: LabelIdx,
    exclusive: bool,
}

/// A compiled dispatch configuration: `Send + Sync`, share it behind an `Arc` or clone it.
#[derive(Debug, Clone)]
pub struct Dispatcher {
    set: GlobSet,
    /// Glob index in `set` -> rule index. Globs are added in rule order, so the sorted matches
    /// of a path visit rules in evaluation order.
    glob_rule: Vec<u32>,
    /// Glob index -> the glob as compiled (classifier prefixes escaped).
    glob_text: Vec<String>,
    rules: Vec<Rule>,
    /// LabelIdx -> label.
    label_names: Vec<String>,
    fallback: Option<LabelIdx>,
}

impl Dispatcher {
    /// Compiles a configuration, checking every key; the error names the key to fix.
    pub fn new(cfg: &DispatchConfig) -> Result<Self, DispatchError> {
        let classifiers = match &cfg.classifiers {
            Some(s) => parse_classifiers(s)?,
            None => Vec::new(),
        };
        // Every check runs before anything is compiled: compile time and memory grow with the
        // globs, and configuration comes from untrusted repositories.
        let rule_count = classifiers.len() + cfg.rules.len();
        if rule_count > MAX_RULES {
            return Err(DispatchError::TooManyRules { count: rule_count, max: MAX_RULES });
        }
        let glob_count =
            2 * classifiers.len() + cfg.rules.iter().map(|r| r.globs.len()).sum::<usize>();
        if glob_count > MAX_GLOBS {
            return Err(DispatchError::TooManyGlobs { count: glob_count, max: MAX_GLOBS });
        }

        let mut plan = Vec::with_capacity(rule_count);
        for (i, (prefix, label)) in classifiers.iter().enumerate() {
            let source = format!("dispatch.classifiers[{i}]");
            let escaped = globset::escape(prefix);
            // A prefix names a directory (`infra/...`) or, rarely, a file called exactly that.
            let globs =
                vec![(source.clone(), escaped.clone()), (source.clone(), format!("{escaped}/**"))];
            let entry = Some(format!("{prefix}={label}"));
            plan.push(PlannedRule { source, entry, label: label.as_str(), exclusive: true, globs });
        }
        for (i, r) in cfg.rules.iter().enumerate() {
            let source = format!("dispatch.rules[{i}]");
            if r.label.trim().is_empty() {
                return Err(DispatchError::EmptyLabel { key: format!("{source}.label") });
            }
            let globs = r
                .globs
                .iter()
                .enumerate()
                .map(|(j, g)| (format!("{source}.globs[{j}]"), g.clone()))
                .collect::<Vec<_>>();
            for (key, g) in &globs {
                // Configs ported from actions/labeler may use `!` to exclude; globset would read
                // it as a literal and the rule would silently never match.
                if g.starts_with('!') {
                    return Err(DispatchError::NegatedGlob { key: key.clone(), glob: preview(g) });
                }
            }
            let exclusive = r.mode == DispatchMode::Exclusive;
            plan.push(PlannedRule { source, entry: None, label: &r.label, exclusive, globs });
        }
        let mut total = 0usize;
        for (key, g) in plan.iter().flat_map(|r| &r.globs) {
            if g.is_empty() {
                return Err(DispatchError::EmptyGlob { key: key.clone() });
            }
            if g.len() > MAX_GLOB_LEN {
                return Err(DispatchError::GlobTooLong {
                    key: key.clone(),
                    len: g.len(),
                    max: MAX_GLOB_LEN,
                    preview: preview(g),
                });
            }
            total += g.len();
        }
        if total > MAX_TOTAL_GLOB_BYTES {
            return Err(DispatchError::GlobsTooLarge { bytes: total, max: MAX_TOTAL_GLOB_BYTES });
        }
        let fallback_label = match cfg.fallback.as_str() {
            "" => None,
            f if f.trim().is_empty() => return Err(DispatchError::BlankFallback),
            f => Some(f),
        };

        // See respell.rs: two or more `literal/**` globs are faster in globset's regex set.
        let prefixes =
            plan.iter().flat_map(|r| &r.globs).filter(|(_, g)| respell::is_literal_prefix(g));
        let mut b = Builder::new(prefixes.count() >= 2);
        for r in plan {
            let rule = b.push_rule(r.source, r.entry, r.label, r.exclusive);
            for (key, g) in r.globs {
                b.push_glob(rule, &key, g)?;
            }
        }
        let fallback = fallback_label.map(|f| b.intern(f));
        let set = b.set.build().map_err(|e| DispatchError::Build { reason: e.to_string() })?;
        Ok(Dispatcher {
            set,
            glob_rule: b.glob_rule,
            glob_text: b.glob_text,
            rules: b.rules,
            label_names: b.label_names,
            fallback,
        })
    }

    /// Classifies one path, explaining which rules gave which labels.
    pub fn classify(&self, path: &str) -> FileDispatch {
        let mut matched = Vec::new();
        self.set.matches_candidate_into(&Candidate::from_bytes(path.as_bytes()), &mut matched);
        self.explain(path, &matched)
    }

    /// Classifies many paths: per-file explanations in input order, plus per-label counts.
    pub fn classify_all<'a, I: IntoIterator<Item = &'a str>>(&self, paths: I) -> DispatchReport {
        let mut matched = Vec::new();
        let mut files = Vec::new();
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for path in paths {
            self.set.matches_candidate_into(&Candidate::from_bytes(path.as_bytes()), &mut matched);
            let file = self.explain(path, &matched);
            for label in &file.labels {
                *counts.entry(label.clone()).or_default() += 1;
            }
            files.push(file);
        }
        DispatchReport { labels: counts.keys().cloned().collect(), counts, files }
    }

    /// The labels of one path, in rule order, without allocating once `scratch` has grown.
    ///
    /// The same labels as [`Dispatcher::classify`], as indices for [`Dispatcher::label_name`];
    /// this is the path for bulk work (benchmarks, whole-repository reports).
    pub fn classify_into<'s>(&self, path: &str, scratch: &'s mut Scratch) -> &'s [LabelIdx] {
        let Scratch { matched, labels, seen, epoch } = scratch;
        self.set.matches_candidate_into(&Candidate::from_bytes(path.as_bytes()), matched);
        labels.clear();
        if seen.len() < self.label_names.len() {
            seen.resize(self.label_names.len(), 0);
        }
        *epoch = epoch.wrapping_add(1);
        if *epoch == 0 {
            // Wrapped: old stamps could collide with the new epochs, so start over.
            seen.fill(0);
            *epoch = 1;
        }
        let now = *epoch;
        self.walk(matched, |rule, _glob| {
            let label = self.rules[rule].label;
            let stamp = &mut seen[label.index()];
            if *stamp != now {
                *stamp = now;
                labels.push(label);
            }
        });
        if labels.is_empty()
            && let Some(fallback) = self.fallback
        {
            labels.push(fallback);
        }
        labels
    }

    /// A fresh [`Scratch`] sized for this dispatcher.
    pub fn scratch(&self) -> Scratch {
        Scratch { seen: vec![0; self.label_names.len()], ..Scratch::default() }
    }

    /// Number of distinct labels, i.e. the bound of [`LabelIdx::index`].
    pub fn label_count(&self) -> usize {
        self.label_names.len()
    }

    /// The label behind an index returned by [`Dispatcher::classify_into`].
    ///
    /// An index from another dispatcher yields `""` rather than panicking.
    pub fn label_name(&self, idx: LabelIdx) -> &str {
        self.label_names.get(idx.index()).map_or("", String::as_str)
    }

    /// The index of a label, if this dispatcher can give it.
    pub fn label_index(&self, label: &str) -> Option<LabelIdx> {
        self.label_names.iter().position(|l| l == label).map(|i| LabelIdx(i as u32))
    }

    /// Every label this dispatcher can give (rules, classifiers and the fallback), sorted.
    ///
    /// A rule with no globs still counts: its label is part of the configuration, and callers
    /// use this list to know which labels they manage.
    pub fn labels(&self) -> Vec<String> {
        let mut labels = self.label_names.clone();
        labels.sort();
        labels
    }

    /// Calls `f(rule, first matched glob of that rule)` for each rule that applies to a path,
    /// in evaluation order, stopping after the first exclusive one.
    #[inline]
    fn walk(&self, matched: &[usize], mut f: impl FnMut(usize, usize)) {
        let mut last = usize::MAX;
        for &glob in matched {
            let rule = self.glob_rule[glob] as usize;
            if rule == last {
                continue; // another glob of the same rule
            }
            last = rule;
            f(rule, glob);
            if self.rules[rule].exclusive {
                break;
            }
        }
    }

    fn explain(&self, path: &str, matched: &[usize]) -> FileDispatch {
        let mut given = vec![false; self.label_names.len()];
        let mut labels = Vec::new();
        let mut matches = Vec::new();
        let mut rule_text = String::new();
        self.walk(matched, |rule, glob| {
            let rule = &self.rules[rule];
            let label = &self.label_names[rule.label.index()];
            let glob = &self.glob_text[glob];
            if !std::mem::replace(&mut given[rule.label.index()], true) {
                labels.push(label.clone());
            }
            if !rule_text.is_empty() {
                rule_text.push_str("; ");
            }
            // A classifier is recognised by its entry; a glob rule by the glob that matched.
            let quoted = rule.entry.as_deref().unwrap_or(glob);
            let _ = write!(rule_text, "{} \"{quoted}\" -> {label}", rule.source);
            matches.push(RuleMatch {
                source: rule.source.clone(),
                label: label.clone(),
                glob: Some(glob.clone()),
            });
        });
        if matches.is_empty() {
            if let Some(fallback) = self.fallback {
                let label = self.label_names[fallback.index()].clone();
                rule_text = format!("dispatch.fallback -> {label}");
                labels.push(label.clone());
                matches.push(RuleMatch { source: "dispatch.fallback".into(), label, glob: None });
            } else {
                rule_text = "no rule matched and dispatch.fallback is empty".into();
            }
        }
        FileDispatch { path: path.to_string(), labels, rule: rule_text, matches }
    }
}

/// A rule checked but not yet compiled.
struct PlannedRule<'a> {
    source: String,
    entry: Option<String>,
    label: &'a str,
    exclusive: bool,
    /// (configuration key, glob)
    globs: Vec<(String, String)>,
}

/// Accumulates rules, globs and interned labels while compiling.
struct Builder {
    /// Whether `literal/**` globs go into the set respelled (see respell.rs).
    respell_prefixes: bool,
    set: GlobSetBuilder,
    glob_rule: Vec<u32>,
    glob_text: Vec<String>,
    rules: Vec<Rule>,
    label_names: Vec<String>,
    label_ids: BTreeMap<String, LabelIdx>,
}

impl Builder {
    fn new(respell_prefixes: bool) -> Self {
        Builder {
            respell_prefixes,
            set: GlobSetBuilder::new(),
            glob_rule: Vec::new(),
            glob_text: Vec::new(),
            rules: Vec::new(),
            label_names: Vec::new(),
            label_ids: BTreeMap::new(),
        }
    }

    fn intern(&mut self, label: &str) -> LabelIdx {
        if let Some(&idx) = self.label_ids.get(label) {
            return idx;
        }
        // At most MAX_RULES + 1 labels, so the index fits in u32.
        let idx = LabelIdx(self.label_names.len() as u32);
        self.label_names.push(label.to_string());
        self.label_ids.insert(label.to_string(), idx);
        idx
    }

    fn push_rule(&mut self, source: String, entry: Option<String>, label: &str, excl: bool) -> u32 {
        let label = self.intern(label);
        self.rules.push(Rule { source, entry, label, exclusive: excl });
        // Bounded by MAX_RULES, checked before compiling.
        (self.rules.len() - 1) as u32
    }

    /// Compiles one glob (already checked for emptiness and length) into the set.
    fn push_glob(&mut self, rule: u32, key: &str, glob: String) -> Result<(), DispatchError> {
        // literal_separator: without it `*` crosses `/` and `docs/*` would match the whole tree.
        let build = |g: &str| GlobBuilder::new(g).literal_separator(true).build();
        // The glob as written is what is validated, so errors speak of what the user wrote.
        let mut compiled = build(&glob).map_err(|e| DispatchError::InvalidGlob {
            key: key.to_string(),
            glob: preview(&glob),
            reason: e.kind().to_string(),
        })?;
        if self.respell_prefixes
            && let Some(Ok(respelled)) = respell::as_alternation(&glob).map(|g| build(&g))
        {
            compiled = respelled;
        }
        self.set.add(compiled);
        self.glob_rule.push(rule);
        self.glob_text.push(glob);
        Ok(())
    }
}

/// The first characters of an untrusted value, for an error message of bounded size.
fn preview(s: &str) -> String {
    s.chars().take(PREVIEW_CHARS).collect()
}

/// `agent-dispatch`, explained (`explain_rule`).
pub const ABOUT: crate::rules::about::RuleAbout = crate::rules::about::RuleAbout {
    rule: r#"agent-dispatch"#,
    checks: r#"Each changed file gets `agent:*` labels by ordered glob rules over whole path segments (never substrings); files no rule matches get the fallback. Applied while status:needs-cursor-fix is set unless `dispatch.when` is `always`."#,
    config: &[
        crate::rules::about::ConfigKey { key: "dispatch.when", default: r#"needs-fix"# },
        crate::rules::about::ConfigKey { key: "dispatch.fallback", default: r#""agent:general""# },
        crate::rules::about::ConfigKey {
            key: "dispatch.rules",
            default: r#"[agent:infra, agent:python, agent:javascript, agent:docs, agent:content, agent:ops, ...]"#,
        },
    ],
    passes: r#"`services/api/main.py` -> agent:python"#,
    fails: r#"`docs/notpython.txt` is not agent:python (no substring matching); it gets agent:docs"#,
};

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests;

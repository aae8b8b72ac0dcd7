//! Lints NUL-separated commit messages with the default (config-conventional) rules and prints
//! one JSON line per message, `{"i": 1, "valid": true, "errors": [...], "warnings": [...]}`
//! (1-based `i`, rule names deduplicated), the same verdicts `commitlint-api.mjs` writes, so
//! `benches/commitlint-compare.sh` can diff the two. A timing summary goes to standard error.
//!
//! Usage: `cargo run --release -p plasma-policy --example lint_messages -- FILE [ROUNDS]`
//! (ROUNDS, default 5: the lint loop is timed that many times and the median is reported).

use std::collections::BTreeMap;
use std::io::Write as _;
use std::time::Instant;

use plasma_config::CommitMessagesConfig;
use plasma_config::Severity;
use plasma_history::commitlint::CommitLinter;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let file = args.next().ok_or("usage: lint_messages FILE [ROUNDS]")?;
    let rounds: usize = args.next().map(|r| r.parse()).transpose()?.unwrap_or(5).max(1);

    let t0 = Instant::now();
    let bytes = std::fs::read(&file).map_err(|e| format!("{file}: {e}"))?;
    let text = String::from_utf8_lossy(&bytes);
    let mut msgs: Vec<&str> = text.split('\0').collect();
    if msgs.last() == Some(&"") {
        msgs.pop();
    }
    let linter = CommitLinter::new(&CommitMessagesConfig::default());
    let load = t0.elapsed();

    // Timed rounds of the lint loop alone; the verdicts of the last round are printed.
    let mut times = Vec::with_capacity(rounds);
    let mut results = Vec::new();
    for _ in 0..rounds {
        let t = Instant::now();
        results = msgs.iter().map(|m| linter.lint(m)).collect::<Vec<_>>();
        times.push(t.elapsed());
    }
    times.sort();
    let median = times[times.len() / 2];

    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let (mut fail, mut warn_only) = (0usize, 0usize);
    let mut err_rules: BTreeMap<String, usize> = BTreeMap::new();
    let mut warn_rules: BTreeMap<String, usize> = BTreeMap::new();
    for (i, findings) in results.iter().enumerate() {
        let mut errors: Vec<&str> = Vec::new();
        let mut warnings: Vec<&str> = Vec::new();
        for f in findings {
            let list = if f.severity == Severity::Error { &mut errors } else { &mut warnings };
            if !list.contains(&f.rule.as_str()) {
                list.push(&f.rule);
            }
        }
        if !errors.is_empty() {
            fail += 1;
        } else if !warnings.is_empty() {
            warn_only += 1;
        }
        for e in &errors {
            *err_rules.entry(e.to_string()).or_default() += 1;
        }
        for w in &warnings {
            *warn_rules.entry(w.to_string()).or_default() += 1;
        }
        let line = serde_json::json!({"i": i + 1, "valid": errors.is_empty(), "errors": errors, "warnings": warnings});
        writeln!(out, "{line}")?;
    }
    out.flush()?;
    let top = |m: BTreeMap<String, usize>| {
        let mut v: Vec<(String, usize)> = m.into_iter().collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        v
    };
    let n = msgs.len();
    let secs = median.as_secs_f64();
    eprintln!(
        "{}",
        serde_json::json!({
            "n": n, "fail": fail, "validWithWarnings": warn_only,
            "loadMs": load.as_secs_f64() * 1e3, "lintMs": secs * 1e3, "rounds": rounds,
            "msgsPerSecLintOnly": n as f64 / secs,
            "msgsPerSecInclLoad": n as f64 / (secs + load.as_secs_f64()),
            "errorRulesByMessages": top(err_rules), "warningRulesByMessages": top(warn_rules),
        })
    );
    Ok(())
}

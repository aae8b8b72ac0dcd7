//! The work of `shared/bench/labelmatch.mjs` (actions/labeler's matcher) done by plasma-policy's
//! dispatcher, for a side-by-side measurement on the same data.
//!
//! Usage: `cargo run --release -p plasma-policy --example labelmatch [paths.txt] [labels.json]`
//! (both default to `../shared/bench/` beside the repository). Prints one JSON line on stdout:
//! paths, patterns, compileMs, matchMs, pathsPerSec, perLabel, totalAssigned, pathsWithAnyLabel,
//! plus passes and firstPassMs.
//!
//! One pass over the 100,440 paths takes about 25 ms, short enough for a single scheduling
//! hiccup on a shared machine to skew it (the script's single pass takes over a second and
//! averages such noise out). So the loop runs `PASSES` times: matchMs is the median pass,
//! firstPassMs the first one (cold caches, the lazy DFA still building its states).
//!
//! Each labels.json key becomes one additive rule with the key as its label and no fallback, so
//! a path counts for a label when any of that label's globs match it, exactly as in the script.
//! This is a measurement tool, so it reads the clock; the library itself never does.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::Instant;

use plasma_config::{DispatchConfig, DispatchMode, DispatchRule};
use plasma_policy::dispatch::Dispatcher;

const SHARED_BENCH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/bench/");

/// Timed passes over all paths; the median is reported.
const PASSES: usize = 5;

/// What one pass counts, as labelmatch.mjs does.
#[derive(Default)]
struct Counts {
    per_label: Vec<usize>,
    total_assigned: usize,
    any: usize,
}

fn main() -> ExitCode {
    match run() {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("labelmatch: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<String, String> {
    let mut args = std::env::args().skip(1);
    let paths_file = args.next().unwrap_or_else(|| format!("{SHARED_BENCH}paths.txt"));
    let labels_file = args.next().unwrap_or_else(|| format!("{SHARED_BENCH}labels.json"));
    let read = |f: &str| std::fs::read_to_string(f).map_err(|e| format!("cannot read {f}: {e}"));
    let text = read(&paths_file)?;
    let paths: Vec<&str> = text.split('\n').filter(|p| !p.is_empty()).collect();
    // A BTreeMap loses the file's key order; harmless, since every rule is additive and the
    // counts are compared by label.
    let labels: BTreeMap<String, Vec<String>> =
        serde_json::from_str(&read(&labels_file)?).map_err(|e| format!("{labels_file}: {e}"))?;

    let t0 = Instant::now();
    let cfg = DispatchConfig {
        fallback: String::new(),
        classifiers: None,
        rules: labels
            .iter()
            .map(|(label, globs)| DispatchRule {
                label: label.clone(),
                globs: globs.clone(),
                mode: DispatchMode::Additive,
            })
            .collect(),
        ..DispatchConfig::default()
    };
    let dispatcher = Dispatcher::new(&cfg).map_err(|e| e.to_string())?;
    let t1 = Instant::now();

    let mut scratch = dispatcher.scratch();
    let mut times = Vec::with_capacity(PASSES);
    let mut counts = Counts::default();
    for _ in 0..PASSES {
        let start = Instant::now();
        counts = Counts::default();
        counts.per_label = vec![0; dispatcher.label_count()];
        for path in &paths {
            let given = dispatcher.classify_into(path, &mut scratch);
            if !given.is_empty() {
                counts.any += 1;
            }
            counts.total_assigned += given.len();
            for label in given {
                counts.per_label[label.index()] += 1;
            }
        }
        times.push(start.elapsed().as_secs_f64());
    }
    let first_s = times.first().copied().unwrap_or_default();
    times.sort_by(f64::total_cmp);
    let match_s = times.get(PASSES / 2).copied().unwrap_or_default();
    let Counts { per_label, total_assigned, any } = counts;
    let per_label: serde_json::Map<String, serde_json::Value> = labels
        .keys()
        .map(|l| {
            let n = dispatcher.label_index(l).map_or(0, |i| per_label[i.index()]);
            (l.clone(), n.into())
        })
        .collect();
    let out = serde_json::json!({
        "tool": "plasma-policy dispatch (globset)",
        "paths": paths.len(),
        "patterns": labels.values().map(Vec::len).sum::<usize>(),
        "compileMs": (t1 - t0).as_secs_f64() * 1e3,
        "passes": PASSES,
        "firstPassMs": first_s * 1e3,
        "matchMs": match_s * 1e3,
        "pathsPerSec": (paths.len() as f64 / match_s).round(),
        "perLabel": per_label,
        "totalAssigned": total_assigned,
        "pathsWithAnyLabel": any,
    });
    Ok(out.to_string())
}

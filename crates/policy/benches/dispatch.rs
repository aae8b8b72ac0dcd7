//! Dispatch throughput over the 100,440 real paths of `shared/bench/paths.txt`.
//!
//! `labels.json per-label counts` does the work of `shared/bench/labelmatch.mjs` (actions/labeler's
//! matcher): one additive rule per labels.json key, no fallback, and a path counts for a label
//! when any of its globs match. `benches/dispatch-vs-labeler.sh` runs both tools on the same data
//! and checks the counts agree. The other benchmarks measure the built-in agent rules.
//!
//! The data sits in `shared/`, beside the repository on every machine and in CI; without it the
//! benchmark says so and measures nothing.

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use plasma_config::{DispatchConfig, DispatchMode, DispatchRule};
use plasma_policy::dispatch::{Dispatcher, Scratch};

const SHARED_BENCH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/bench/");

/// Counts files per label, as labelmatch.mjs does.
fn count(d: &Dispatcher, paths: &[&str], scratch: &mut Scratch, per_label: &mut [usize]) {
    per_label.fill(0);
    for path in paths {
        for label in d.classify_into(path, scratch) {
            per_label[label.index()] += 1;
        }
    }
}

fn load() -> Result<(String, BTreeMap<String, Vec<String>>), String> {
    let read = |f: &str| {
        let f = format!("{SHARED_BENCH}{f}");
        std::fs::read_to_string(&f).map_err(|e| format!("cannot read {f}: {e}"))
    };
    let paths = read("paths.txt")?;
    let labels = serde_json::from_str(&read("labels.json")?).map_err(|e| e.to_string())?;
    Ok((paths, labels))
}

fn dispatch(c: &mut Criterion) {
    let (text, labels) = match load() {
        Ok(data) => data,
        Err(e) => {
            eprintln!(
                "skipping the dispatch benchmark: {e} (the shared/ folder lies beside the repository)"
            );
            return;
        }
    };
    let paths: Vec<&str> = text.split('\n').filter(|p| !p.is_empty()).collect();
    let labeler_cfg = DispatchConfig {
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
    let labeler = match Dispatcher::new(&labeler_cfg) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("skipping the dispatch benchmark: labels.json: {e}");
            return;
        }
    };
    let Ok(agents) = Dispatcher::new(&DispatchConfig::default()) else {
        eprintln!("skipping the dispatch benchmark: the default dispatch config does not compile");
        return;
    };

    // Print the counts once, so a run documents what it measured.
    let mut scratch = labeler.scratch();
    let mut per_label = vec![0; labeler.label_count()];
    count(&labeler, &paths, &mut scratch, &mut per_label);
    let counts: BTreeMap<&str, usize> = labels
        .keys()
        .map(|l| (l.as_str(), labeler.label_index(l).map_or(0, |i| per_label[i.index()])))
        .collect();
    eprintln!("labels.json per-label counts over {} paths: {counts:?}", paths.len());

    let mut group = c.benchmark_group("dispatch");
    group.throughput(Throughput::Elements(paths.len() as u64));
    group.sample_size(20);
    group.bench_function("labels.json per-label counts", |b| {
        b.iter(|| count(&labeler, black_box(&paths), &mut scratch, &mut per_label))
    });
    let mut agent_counts = vec![0; agents.label_count()];
    let mut agent_scratch = agents.scratch();
    group.bench_function("default agent rules per-label counts", |b| {
        b.iter(|| count(&agents, black_box(&paths), &mut agent_scratch, &mut agent_counts))
    });
    group.sample_size(10);
    group.bench_function("default agent rules classify_all (explained)", |b| {
        b.iter(|| agents.classify_all(black_box(paths.iter().copied())))
    });
    group.finish();
}

criterion_group!(benches, dispatch);
criterion_main!(benches);

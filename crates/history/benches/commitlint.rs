//! Commit-message linting throughput over the 10,000 real messages of
//! `shared/bench/messages.nul` (angular/angular-cli, Conventional Commits), with the default
//! config-conventional rules. `benches/commitlint-compare.sh` runs commitlint itself beside us on
//! the same data and compares verdicts; this benchmark is the steady-state figure.
//!
//! The data sits in `shared/`, beside the repository on every machine and in CI; without it the
//! benchmark says so and measures nothing.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use plasma_config::CommitMessagesConfig;
use plasma_history::commitlint::CommitLinter;
use plasma_history::conventional;

/// `shared/bench` beside the repository; `PLASMA_BENCH_DATA` overrides it (a git worktree lies
/// elsewhere), as in `benches/commitlint-compare.sh`.
fn messages_path() -> String {
    let dir = std::env::var("PLASMA_BENCH_DATA").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/bench").to_string()
    });
    format!("{dir}/messages.nul")
}

fn commitlint(c: &mut Criterion) {
    let path = messages_path();
    let text = match std::fs::read(&path) {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        Err(e) => {
            eprintln!("skipping the commitlint benchmark: cannot read {path}: {e}");
            return;
        }
    };
    let msgs: Vec<&str> = text.split('\0').filter(|m| !m.is_empty()).collect();
    let linter = CommitLinter::new(&CommitMessagesConfig::default());
    let rejected = msgs
        .iter()
        .filter(|m| linter.lint(m).iter().any(|f| f.severity == plasma_config::Severity::Error))
        .count();
    eprintln!("{} messages, {rejected} rejected", msgs.len());

    let mut g = c.benchmark_group("commitlint");
    g.throughput(Throughput::Elements(msgs.len() as u64));
    g.bench_function("lint messages.nul (config-conventional)", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for m in &msgs {
                n += linter.lint(black_box(m)).len();
            }
            n
        })
    });
    g.bench_function("parse messages.nul (conventional::parse)", |b| {
        b.iter(|| msgs.iter().filter(|m| conventional::parse(black_box(m)).is_some()).count())
    });
    g.finish();
}

criterion_group!(benches, commitlint);
criterion_main!(benches);

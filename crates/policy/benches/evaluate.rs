//! `evaluate` over 10,000 varied pull request snapshots (the figure), and the summary
//! rendering alone. Snapshots are generated deterministically so runs are comparable.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use plasma_policy::snapshot::*;
use plasma_policy::{Policy, evaluate};

/// A small deterministic generator (no dependency, same sequence on every machine).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[(self.next() as usize) % xs.len()]
    }
}

const PATHS: &[&str] = &[
    "app/main.py",
    "app/api/routes.py",
    "tests/test_routes.py",
    "pyproject.toml",
    "Dockerfile",
    "helm/gateway/values.yaml",
    "infra/main.tf",
    "docs/README.md",
    "docs/devops/runbooks/x.md",
    "web/src/App.tsx",
    "web/package.json",
    "content/blog/post.md",
    "SECURITY.md",
    "Makefile",
];

fn snapshot(i: u64, rng: &mut Lcg) -> PrSnapshot {
    let head = format!("{:040x}", i * 7919 + 1);
    let nfiles = 1 + rng.next() % 40;
    let files = (0..nfiles)
        .map(|k| ChangedFile {
            path: format!("{}/{k}/{}", rng.pick(&["svc", "lib", "."]), rng.pick(PATHS)),
            status: "modified".into(),
            additions: rng.next() % 200,
            deletions: rng.next() % 50,
            previous_path: None,
        })
        .collect();
    let commits = (0..1 + rng.next() % 5)
        .map(|k| Commit {
            sha: format!("{:040x}", i * 31 + k),
            parents: if rng.next().is_multiple_of(20) {
                vec!["a".into(), "b".into()]
            } else {
                vec!["a".into()]
            },
            message: "change".into(),
            verification: Some(Verification {
                verified: !rng.next().is_multiple_of(10),
                reason: "valid".into(),
            }),
        })
        .collect();
    let reviews = (0..rng.next() % 6)
        .map(|k| Review {
            id: i * 10 + k,
            author: Actor {
                login: rng.pick(&["coderabbitai[bot]", "alice", "carol", "bob"]).into(),
                kind: ActorKind::User,
            },
            state: match rng.next() % 3 {
                0 => ReviewState::Approved,
                1 => ReviewState::ChangesRequested,
                _ => ReviewState::Commented,
            },
            commit_id: Some(if rng.next().is_multiple_of(2) { head.clone() } else { "old".into() }),
            submitted_at: format!("2026-11-{:02}T10:00:00Z", 1 + k).parse().ok(),
            body: "**Actionable comments posted: 2**".into(),
        })
        .collect();
    let check_runs = ["lint", "CI / test", "security-scan"]
        .iter()
        .enumerate()
        .map(|(k, name)| CheckRun {
            id: i * 3 + k as u64,
            name: name.to_string(),
            status: "completed".into(),
            conclusion: Some(rng.pick(&["success", "success", "failure", "neutral"]).into()),
            started_at: None,
            completed_at: "2026-11-01T10:00:00Z".parse().ok(),
        })
        .collect();
    PrSnapshot {
        version: SNAPSHOT_VERSION,
        repository: "plasma-engine/plasma-engine-gateway".into(),
        number: i,
        title: rng
            .pick(&["[PE-12] Gateway bootstrap", "gateway bootstrap", "PE-12: Bootstrap"])
            .into(),
        body: rng
            .pick(&[
                "- [x] Tests run\n- [x] Lint pass\n- [x] Docs updated\n- [x] ADR impact",
                "- [ ] Tests run\n",
                "",
            ])
            .into(),
        state: PrState::Open,
        merged: false,
        draft: rng.next().is_multiple_of(10),
        author: Actor::user("bob"),
        base: GitRef { name: "main".into(), sha: "b".repeat(40) },
        head: GitRef {
            name: rng
                .pick(&["gateway/PE-12-bootstrap-fastapi", "Feature/x", "release/1.4.0"])
                .into(),
            sha: head,
        },
        labels: vec!["status:needs-cursor-fix".into()],
        files: Some(files),
        commits: Some(commits),
        reviews: Some(reviews),
        check_runs: Some(check_runs),
        statuses: Some(vec![]),
        rereview_requested_shas: vec![],
        infra: None,
        review_threads: None,
    }
}

fn bench(c: &mut Criterion) {
    let Ok(policy) = Policy::process_default() else {
        eprintln!("the default policy does not compile; nothing to measure");
        return;
    };
    let mut rng = Lcg(42);
    let snapshots: Vec<PrSnapshot> = (0..10_000).map(|i| snapshot(i, &mut rng)).collect();
    let mut g = c.benchmark_group("evaluate");
    g.throughput(Throughput::Elements(snapshots.len() as u64));
    g.sample_size(10);
    g.bench_function("10k snapshots", |b| {
        b.iter(|| {
            let mut ready = 0usize;
            for s in &snapshots {
                ready += usize::from(evaluate(black_box(s), &policy).ready);
            }
            ready
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

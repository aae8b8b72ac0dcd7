//! Reads reports and prints what they hold: `cargo run --release -p plasma-coverage --example
//! read_reports -- REPORT...`. Used to measure streaming (time, peak RSS) on large generated
//! reports; see scripts/coverage-bench.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use plasma_coverage::{PathMapper, read_files};

fn main() -> ExitCode {
    let paths: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let bytes: u64 = paths.iter().filter_map(|p| std::fs::metadata(p).ok()).map(|m| m.len()).sum();
    let start = Instant::now();
    match read_files(&paths, &PathMapper::default()) {
        Ok(cov) => {
            let secs = start.elapsed().as_secs_f64();
            let lines: usize = cov.files.values().map(|l| l.len()).sum();
            println!(
                "{} files, {lines} executable lines, {:.1} MB in {secs:.2} s ({:.0} MB/s)",
                cov.files.len(),
                bytes as f64 / 1e6,
                bytes as f64 / 1e6 / secs.max(1e-9)
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

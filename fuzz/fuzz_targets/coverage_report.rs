//! Coverage reports: LCOV and Cobertura XML as `plasma-ops coverage` reads them (format detection,
//! the streaming parsers, path mapping under a repository root and configured strip prefixes),
//! then merging the result into itself. The input after the first NUL byte, if any, is the list
//! of strip prefixes, one per line, so the mapper is fuzzed with hostile configuration too.
#![no_main]

use std::io::BufReader;
use std::path::Path;

use libfuzzer_sys::fuzz_target;
use plasma_coverage::{PathMapper, read_report};

fuzz_target!(|data: &[u8]| {
    let (report, strip) = match data.iter().position(|b| *b == 0) {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &[][..]),
    };
    let strip: Vec<String> =
        String::from_utf8_lossy(strip).lines().take(8).map(str::to_string).collect();
    let mapper = PathMapper::new(Some(Path::new("/work/repo")), &strip);
    // A small buffer so records and XML tokens cross buffer boundaries, as in a big file.
    let reader = BufReader::with_capacity(64, report);
    if let Ok((_, cov)) = read_report("fuzz.report", reader, &mapper) {
        let again = cov.clone();
        let mut merged = cov;
        merged.merge(again);
    }
});

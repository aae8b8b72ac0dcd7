//! Coverage reports for the plasma-ops coverage gate: LCOV and Cobertura XML, read a line or an
//! XML event at a time (a 200 MB report is streamed, never loaded whole), merged, and their paths
//! mapped onto the repository.
//!
//! The result is plain data — repository path -> line -> hits — which the pure rules in
//! [`gate`] judges: the process's 80% rule for new modules, pure, beside the readers that feed it.
//!
//! Why not the `lcov` crate (0.8; ADR-0002): its `Reader` does stream and numbers its
//! errors, but it fails with `UnknownRecord` on record kinds lcov 2.x writes (`VER`, `FNL`, `FNA`),
//! its errors do not quote the text that broke them, and it reads lines with `BufRead::lines`, so
//! one endless line is buffered whole. The part of the LCOV grammar the gate needs (`SF`, `DA`,
//! `end_of_record`, shape checks of the rest) is a few dozen lines here.

mod bounded;
mod cobertura;
pub mod gate;
mod lcov;
mod paths;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

pub use paths::PathMapper;

/// Line hits of one file: line number (1-based) -> times executed. A line absent from the map is
/// not executable (a comment, a blank line, a declaration).
pub type LineHits = BTreeMap<u32, u64>;

/// Longest line (LCOV) or XML token we accept. Real records are a few hundred bytes; a longer one
/// is a corrupt or hostile file, and buffering it would let one line exhaust memory.
pub const MAX_TOKEN: usize = 1 << 20;

/// A report format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// LCOV tracefile (`SF:`/`DA:`/`end_of_record`): cargo-llvm-cov, tarpaulin, c8/istanbul, lcov.
    Lcov,
    /// Cobertura XML: coverage.py / pytest-cov, tarpaulin, many Java tools.
    Cobertura,
}

impl Format {
    /// The name used in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Lcov => "LCOV",
            Format::Cobertura => "Cobertura XML",
        }
    }
}

/// Why a report could not be read. Every variant names the report; parse errors also name the
/// 1-based line, so `report.lcov:123: ...` can be opened in an editor.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The file could not be opened or read.
    #[error("{file}: cannot read the report: {source}")]
    Io {
        /// The report's name as given.
        file: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A record or element is malformed.
    #[error("{file}:{line}: {message}")]
    Parse {
        /// The report's name as given.
        file: String,
        /// 1-based line of the report.
        line: u64,
        /// What is wrong, quoting the offending text (shortened).
        message: String,
    },
    /// The content is neither LCOV nor Cobertura.
    #[error("{file}: {message}")]
    Format {
        /// The report's name as given.
        file: String,
        /// What was found instead.
        message: String,
    },
}

/// Coverage of a set of files, keyed by repository-relative path (`/`-separated).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Coverage {
    /// path -> line hits.
    pub files: BTreeMap<String, LineHits>,
}

impl Coverage {
    /// Adds `hits` to `line` of `path`: the same line seen twice (two reports, or two records of
    /// one report, e.g. one per test) is executed as often as both say together.
    pub fn add(&mut self, path: &str, line: u32, hits: u64) {
        let lines = match self.files.get_mut(path) {
            Some(l) => l,
            None => self.files.entry(path.to_string()).or_default(),
        };
        let h = lines.entry(line).or_insert(0);
        *h = h.saturating_add(hits);
    }

    /// Records that `path` was in a report even if it has no executable line (so it is known to
    /// have been compiled and loaded, not missing).
    pub fn touch(&mut self, path: &str) {
        if !self.files.contains_key(path) {
            self.files.insert(path.to_string(), LineHits::new());
        }
    }

    /// Merges `other` into `self`, summing hits line by line.
    pub fn merge(&mut self, other: Coverage) {
        for (path, lines) in other.files {
            match self.files.get_mut(&path) {
                None => {
                    self.files.insert(path, lines);
                }
                Some(mine) => {
                    for (line, hits) in lines {
                        let h = mine.entry(line).or_insert(0);
                        *h = h.saturating_add(hits);
                    }
                }
            }
        }
    }
}

/// Guesses the format from the first non-blank bytes: `<` is XML, an LCOV record name followed by
/// `:` (or `end_of_record`) is LCOV.
pub fn detect(head: &[u8]) -> Option<Format> {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let start = head.iter().position(|b| !b.is_ascii_whitespace())?;
    let rest = &head[start..];
    if rest.first() == Some(&b'<') {
        return Some(Format::Cobertura);
    }
    if rest.starts_with(b"end_of_record") {
        return Some(Format::Lcov);
    }
    // Record names are upper case (`TN`, `SF`, `VER`); Go's `mode: set` is not LCOV.
    let name_len = rest.iter().position(|b| !b.is_ascii_uppercase()).unwrap_or(rest.len());
    (name_len > 0 && rest.get(name_len) == Some(&b':')).then_some(Format::Lcov)
}

/// Reads one report of either format from `reader`, mapping its paths with `mapper`. `name` is
/// used in error messages.
pub fn read_report<R: BufRead>(
    name: &str,
    mut reader: R,
    mapper: &PathMapper,
) -> Result<(Format, Coverage), ReportError> {
    // Peek without consuming: detection needs the first non-blank bytes, and both parsers must
    // still see the whole input (so their line numbers are right).
    let mut head = Vec::new();
    loop {
        let buf = reader.fill_buf().map_err(|e| io(name, e))?;
        if buf.is_empty() {
            break;
        }
        let n = buf.len().min(4096 - head.len());
        head.extend_from_slice(&buf[..n]);
        reader.consume(n);
        let blank = head.iter().all(|b| b.is_ascii_whitespace() || b"\xEF\xBB\xBF".contains(b));
        if !blank || head.len() >= 4096 {
            break;
        }
    }
    let format = detect(&head).ok_or_else(|| ReportError::Format {
        file: name.to_string(),
        message: if head.iter().all(u8::is_ascii_whitespace) {
            "the report is empty; the test run that should have written it probably failed".into()
        } else {
            format!(
                "neither LCOV (`SF:`/`DA:` records) nor Cobertura XML: it starts with {}",
                quote_bytes(&head)
            )
        },
    })?;
    let chained = std::io::Cursor::new(head).chain(reader);
    let raw = match format {
        Format::Lcov => lcov::parse(name, chained)?,
        Format::Cobertura => cobertura::parse(name, chained)?,
    };
    Ok((format, raw.map(mapper)))
}

/// Reads the report file at `path` (streamed through a buffered reader).
pub fn read_file(path: &Path, mapper: &PathMapper) -> Result<(Format, Coverage), ReportError> {
    let name = path.display().to_string();
    let file = File::open(path).map_err(|e| io(&name, e))?;
    read_report(&name, BufReader::with_capacity(64 * 1024, file), mapper)
}

/// Reads and merges several report files.
pub fn read_files<P: AsRef<Path>>(
    paths: &[P],
    mapper: &PathMapper,
) -> Result<Coverage, ReportError> {
    let mut all = Coverage::default();
    for p in paths {
        let (_, cov) = read_file(p.as_ref(), mapper)?;
        all.merge(cov);
    }
    Ok(all)
}

/// What a parser produces before paths are mapped: report path -> hits, plus the report's own
/// source roots (Cobertura's `<source>`).
#[derive(Debug, Default)]
pub(crate) struct RawReport {
    pub files: BTreeMap<String, LineHits>,
    pub roots: Vec<String>,
}

impl RawReport {
    /// Adds a whole record's hits for `path` (one lookup per record).
    pub(crate) fn merge_file(&mut self, path: String, hits: LineHits) {
        match self.files.get_mut(&path) {
            None => {
                self.files.insert(path, hits);
            }
            Some(mine) => {
                for (line, h) in hits {
                    let slot = mine.entry(line).or_insert(0);
                    *slot = slot.saturating_add(h);
                }
            }
        }
    }

    fn map(self, mapper: &PathMapper) -> Coverage {
        let mut cov = Coverage::default();
        for (raw, lines) in self.files {
            let path = mapper.map(&raw, &self.roots);
            cov.touch(&path);
            for (line, hits) in lines {
                cov.add(&path, line, hits);
            }
        }
        cov
    }
}

pub(crate) fn io(file: &str, source: std::io::Error) -> ReportError {
    ReportError::Io { file: file.to_string(), source }
}

/// Untrusted text quoted into a message: at most 60 characters, control characters escaped, so a
/// hostile report cannot flood a log or forge terminal output.
pub(crate) fn quote(text: &str) -> String {
    let mut out = String::from("\"");
    for (i, c) in text.chars().enumerate() {
        if i == 60 {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out.push('"');
    out
}

pub(crate) fn quote_bytes(bytes: &[u8]) -> String {
    let end = bytes.len().min(240);
    quote(String::from_utf8_lossy(&bytes[..end]).trim_start())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detection_by_content() {
        let cases: &[(&[u8], Option<Format>)] = &[
            (b"TN:\nSF:a.rs\n", Some(Format::Lcov)),
            (b"SF:/x/a.rs\nDA:1,1\n", Some(Format::Lcov)),
            (b"\xEF\xBB\xBF\n\nVER:2.0\n", Some(Format::Lcov)),
            (b"end_of_record\n", Some(Format::Lcov)),
            (b"<?xml version=\"1.0\" ?>\n<coverage>", Some(Format::Cobertura)),
            (b"  \n<coverage line-rate=\"1\">", Some(Format::Cobertura)),
            (b"{\"json\": true}", None),
            (b"mode: set\na.go:1.1,2.2 1 1\n", None),
            (b"", None),
            (b"   \n", None),
        ];
        for (input, want) in cases {
            assert_eq!(detect(input), *want, "{:?}", String::from_utf8_lossy(input));
        }
    }

    #[test]
    fn merge_sums_hits_and_keeps_both_files() {
        let mut a = Coverage::default();
        a.add("src/a.rs", 1, 2);
        a.add("src/a.rs", 2, 0);
        let mut b = Coverage::default();
        b.add("src/a.rs", 2, 3);
        b.add("src/a.rs", 3, 0);
        b.add("src/b.rs", 1, u64::MAX);
        b.add("src/b.rs", 1, 1);
        a.merge(b);
        assert_eq!(a.files["src/a.rs"], LineHits::from([(1, 2), (2, 3), (3, 0)]));
        assert_eq!(a.files["src/b.rs"], LineHits::from([(1, u64::MAX)]));
    }

    #[test]
    fn unknown_and_empty_content_is_a_clear_error() {
        let m = PathMapper::default();
        let e = read_report("cov.json", &b"{\"a\":1}"[..], &m).unwrap_err().to_string();
        assert!(e.starts_with("cov.json: neither LCOV"), "{e}");
        assert!(e.contains("{\\\"a\\\":1}") || e.contains("{\"a\":1}"), "{e}");
        let e = read_report("empty.lcov", &b"\n \n"[..], &m).unwrap_err().to_string();
        assert_eq!(
            e,
            "empty.lcov: the report is empty; the test run that should have written it probably failed"
        );
    }

    #[test]
    fn quoting_bounds_and_escapes() {
        assert_eq!(quote("a\nb"), "\"a\\nb\"");
        let long = "x".repeat(500);
        assert_eq!(quote(&long).chars().count(), 63);
    }
}

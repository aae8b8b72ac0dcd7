//! LCOV tracefiles (`geninfo(1)` format), one line at a time. Only `SF` and `DA` carry what the
//! gate needs; `FN`, `BRDA` and the counters are still checked for shape so a corrupt file is
//! noticed, and record kinds we do not know (lcov 2.x adds some) are skipped, not rejected.

use std::io::BufRead;

use crate::bounded::{LineRead, read_line};
use crate::{LineHits, MAX_TOKEN, RawReport, ReportError, io, quote};

pub(crate) fn parse<R: BufRead>(name: &str, mut r: R) -> Result<RawReport, ReportError> {
    let mut report = RawReport::default();
    // The open record's file and hits, merged into the report when the record ends: one map
    // lookup per record instead of one per `DA` line.
    let mut current: Option<(String, LineHits)> = None;
    let mut buf = Vec::with_capacity(256);
    let mut lineno: u64 = 0;
    loop {
        buf.clear();
        let got = read_line(&mut r, &mut buf, MAX_TOKEN).map_err(|e| io(name, e))?;
        lineno += 1;
        let err =
            |message: String| ReportError::Parse { file: name.to_string(), line: lineno, message };
        match got {
            LineRead::Eof => {
                // A missing final end_of_record is common enough (truncated writers) to accept.
                if let Some((file, hits)) = current.take() {
                    report.merge_file(file, hits);
                }
                break;
            }
            LineRead::TooLong => {
                return Err(err(format!(
                    "line longer than {} bytes; this is not an LCOV tracefile, or it is corrupt",
                    MAX_TOKEN
                )));
            }
            LineRead::Line => {}
        }
        let text = String::from_utf8_lossy(&buf);
        let text = text.trim_start_matches('\u{feff}').trim();
        if text.is_empty() {
            continue;
        }
        if text == "end_of_record" {
            if let Some((file, hits)) = current.take() {
                report.merge_file(file, hits);
            }
            continue;
        }
        let Some((kind, value)) = text.split_once(':') else {
            return Err(err(format!(
                "not an LCOV record (expected NAME:VALUE or end_of_record), got {}",
                quote(text)
            )));
        };
        match kind {
            "SF" => {
                if value.is_empty() {
                    return Err(err("SF record needs a file path, got \"SF:\"".into()));
                }
                if let Some((file, hits)) = current.take() {
                    report.merge_file(file, hits);
                }
                current = Some((value.to_string(), LineHits::new()));
            }
            "DA" => {
                let Some((_, hits_of_file)) = current.as_mut() else {
                    return Err(err(format!(
                        "{} comes before any SF record, so it belongs to no file; every record \
                         between SF: and end_of_record describes that file",
                        quote(text)
                    )));
                };
                let mut parts = value.split(',');
                let line = parts.next().and_then(line_number);
                let hits = parts.next().and_then(|h| h.trim().parse::<u64>().ok());
                // A third part is lcov's optional checksum; more is malformed.
                let (Some(line), Some(hits), None) = (line, hits, parts.nth(1)) else {
                    return Err(err(format!(
                        "DA record needs \"line,hits\", got {} (line 1 or more, hits a whole number)",
                        quote(text)
                    )));
                };
                let h = hits_of_file.entry(line).or_insert(0);
                *h = h.saturating_add(hits);
            }
            "BRDA" => {
                let p: Vec<&str> = value.splitn(5, ',').collect();
                let ok = p.len() == 4
                    && line_number(p[0]).is_some()
                    && (p[3] == "-" || p[3].parse::<u64>().is_ok());
                if !ok {
                    return Err(err(format!(
                        "BRDA record needs \"line,block,branch,taken\" (taken a number or -), got {}",
                        quote(text)
                    )));
                }
            }
            "FN" => {
                // `FN:line,name` (lcov 1.x) or `FN:start,end,name` (lcov 2.x).
                let ok = value.split_once(',').is_some_and(|(l, _)| line_number(l).is_some());
                if !ok {
                    return Err(err(format!("FN record needs \"line,name\", got {}", quote(text))));
                }
            }
            "LF" | "LH" | "FNF" | "FNH" | "BRF" | "BRH" if value.trim().parse::<u64>().is_err() => {
                return Err(err(format!("{kind} record needs a number, got {}", quote(text))));
            }
            // TN, FNDA, VER, FNL, FNA and anything newer: not needed for line coverage.
            _ => {}
        }
    }
    Ok(report)
}

fn line_number(s: &str) -> Option<u32> {
    s.trim().parse::<u32>().ok().filter(|&n| n >= 1)
}

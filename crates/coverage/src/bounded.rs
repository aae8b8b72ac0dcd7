//! Reading untrusted input in bounded pieces: a line reader with a length cap (LCOV), and a
//! `BufRead` wrapper that counts lines and caps XML tokens (Cobertura), so neither parser can be
//! made to buffer an unbounded amount of one hostile file.

use std::io::{self, BufRead, Read};

/// What [`read_line`] found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum LineRead {
    /// A line (without its `\n`) is in the buffer.
    Line,
    /// The input is exhausted.
    Eof,
    /// The line is longer than the cap; the buffer holds its first `max` bytes.
    TooLong,
}

/// Appends the next line of `r` (without `\n`) to `out`, never more than `max` bytes.
pub(crate) fn read_line<R: BufRead>(
    r: &mut R,
    out: &mut Vec<u8>,
    max: usize,
) -> io::Result<LineRead> {
    let mut any = false;
    loop {
        let buf = match r.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if buf.is_empty() {
            return Ok(if any { LineRead::Line } else { LineRead::Eof });
        }
        any = true;
        let (take, done) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => (i, true),
            None => (buf.len(), false),
        };
        if out.len() + take > max {
            let room = max - out.len().min(max);
            out.extend_from_slice(&buf[..room]);
            return Ok(LineRead::TooLong);
        }
        out.extend_from_slice(&buf[..take]);
        r.consume(if done { take + 1 } else { take });
        if done {
            return Ok(LineRead::Line);
        }
    }
}

/// Counts the newlines its consumer has consumed (for error line numbers) and fails the read once
/// more than `max` bytes pass without a `<` or `>`: no XML token of a coverage report is that long,
/// and the XML reader would otherwise buffer it whole.
pub(crate) struct Counting<R> {
    inner: R,
    newlines: u64,
    since_delim: usize,
    max: usize,
    overflow: bool,
}

impl<R: BufRead> Counting<R> {
    pub(crate) fn new(inner: R, max: usize) -> Self {
        Counting { inner, newlines: 0, since_delim: 0, max, overflow: false }
    }

    /// 1-based line of the next unconsumed byte.
    pub(crate) fn line(&self) -> u64 {
        self.newlines + 1
    }

    /// Whether the read failed because a token exceeded the cap.
    pub(crate) fn overflowed(&self) -> bool {
        self.overflow
    }
}

impl<R: BufRead> Read for Counting<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = {
            let buf = self.fill_buf()?;
            let n = buf.len().min(out.len());
            out[..n].copy_from_slice(&buf[..n]);
            n
        };
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Counting<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.overflow {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "XML token too long"));
        }
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        // The consumed bytes are the head of the buffer the caller just saw; asking for it again
        // does no I/O.
        if let Ok(buf) = self.inner.fill_buf() {
            for &b in &buf[..amt.min(buf.len())] {
                match b {
                    b'\n' => {
                        self.newlines += 1;
                        self.since_delim += 1;
                    }
                    b'<' | b'>' => self.since_delim = 0,
                    _ => self.since_delim += 1,
                }
            }
            if self.since_delim > self.max {
                self.overflow = true;
            }
        }
        self.inner.consume(amt);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_capped_and_split() {
        let mut r = &b"ab\r\ncd\nlast"[..];
        let mut out = Vec::new();
        assert_eq!(read_line(&mut r, &mut out, 10).unwrap(), LineRead::Line);
        assert_eq!(out, b"ab\r");
        out.clear();
        assert_eq!(read_line(&mut r, &mut out, 10).unwrap(), LineRead::Line);
        assert_eq!(out, b"cd");
        out.clear();
        assert_eq!(read_line(&mut r, &mut out, 10).unwrap(), LineRead::Line);
        assert_eq!(out, b"last");
        out.clear();
        assert_eq!(read_line(&mut r, &mut out, 10).unwrap(), LineRead::Eof);
        let mut r = &b"0123456789abc\n"[..];
        assert_eq!(read_line(&mut r, &mut out, 10).unwrap(), LineRead::TooLong);
        assert_eq!(out.len(), 10);
    }

    #[test]
    fn counting_tracks_lines_and_caps_tokens() {
        let mut c = Counting::new(&b"<a>\n\n<b>"[..], 8);
        let mut s = String::new();
        c.read_to_string(&mut s).unwrap();
        assert_eq!(c.line(), 3);
        let long = format!("<a>{}</a>", "x".repeat(100));
        let mut c = Counting::new(long.as_bytes(), 8);
        let mut chunk = [0u8; 16];
        let mut result = Ok(1);
        while matches!(result, Ok(n) if n > 0) {
            result = c.read(&mut chunk);
        }
        assert!(result.is_err());
        assert!(c.overflowed());
    }
}

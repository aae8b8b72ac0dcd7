//! Progress on long work (`audit --remote`, `history` over large ranges, `release plan
//! --pr-labels`, `coverage` over large reports): a bar on standard error, only when standard error
//! is a terminal and the output is for people. Piped, redirected, or with `--format json|sarif`,
//! nothing is drawn: a log or a machine reading the output must not get escape codes.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::args::Format;

/// A bar, or nothing.
pub struct Progress(ProgressBar);

/// Whether a bar is drawn: a terminal, and output meant for people.
pub fn wanted(stderr_is_terminal: bool, format: Format) -> bool {
    stderr_is_terminal && matches!(format, Format::Text | Format::Github)
}

impl Progress {
    /// A bar of `len` steps saying `what`, drawn on standard error when [`wanted`].
    pub fn new(format: Format, len: u64, what: &str) -> Self {
        Self::with(wanted(std::io::stderr().is_terminal(), format), len, what)
    }

    /// A bar with no known length (a spinner), for a handful of calls whose count is unknown.
    pub fn spinner(format: Format, what: &str) -> Self {
        let p = Self::with(wanted(std::io::stderr().is_terminal(), format), 0, what);
        p.0.set_style(
            ProgressStyle::with_template("{spinner} {msg} {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        p.0.enable_steady_tick(Duration::from_millis(120));
        p
    }

    fn with(draw: bool, len: u64, what: &str) -> Self {
        let target = if draw { ProgressDrawTarget::stderr() } else { ProgressDrawTarget::hidden() };
        let bar = ProgressBar::with_draw_target(Some(len), target);
        let style = ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} {eta}")
            .map(|s| s.progress_chars("=> "))
            .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.set_message(what.to_string());
        Progress(bar)
    }

    /// `n` more steps done.
    pub fn inc(&self, n: u64) {
        self.0.inc(n);
    }

    /// Whether nothing is drawn.
    pub fn is_hidden(&self) -> bool {
        self.0.is_hidden()
    }
}

impl Drop for Progress {
    /// The bar disappears when the work ends, leaving standard error as it was.
    fn drop(&mut self) {
        self.0.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bar_is_drawn_only_on_a_terminal_for_people() {
        assert!(wanted(true, Format::Text));
        assert!(wanted(true, Format::Github));
        assert!(!wanted(true, Format::Json));
        assert!(!wanted(true, Format::Sarif));
        assert!(!wanted(false, Format::Text));
        assert!(!wanted(false, Format::Json));
    }

    #[test]
    fn not_a_terminal_draws_nothing() {
        // The test harness's standard error is captured, not a terminal.
        let p = Progress::new(Format::Text, 10, "reading");
        assert!(p.is_hidden());
        p.inc(10);
        let s = Progress::spinner(Format::Text, "asking GitHub");
        assert!(s.is_hidden());
        assert!(Progress::with(false, 3, "x").is_hidden());
    }
}

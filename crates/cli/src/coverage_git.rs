//! The git questions the coverage gate asks, answered by the `git` binary. Kept in this one small
//! file so they can move into `crates/gitrepo` once it exists.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

/// Longest line of `git diff` output we keep; longer lines are content we skip anyway.
const MAX_LINE: u64 = 64 * 1024;

fn git(repo: &Path) -> Command {
    let mut c = Command::new("git");
    // quotePath off: non-ASCII paths come out as they are; -z is used where names matter most.
    c.arg("-C").arg(repo).args(["-c", "core.quotePath=false"]);
    c.stdin(Stdio::null());
    c
}

/// Runs git, returning stdout; a failure names the command and quotes git's own message.
fn run(repo: &Path, args: &[&str]) -> Result<Vec<u8>> {
    let out = git(repo)
        .args(args)
        .output()
        .with_context(|| "cannot run `git`; is it installed and on PATH?".to_string())?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        bail!("`git {}` failed: {}", args.join(" "), err.trim());
    }
    Ok(out.stdout)
}

/// The repository's top-level directory.
pub fn toplevel(dir: &Path) -> Result<PathBuf> {
    let out = run(dir, &["rev-parse", "--show-toplevel"])
        .with_context(|| format!("{} is not inside a git repository", dir.display()))?;
    Ok(PathBuf::from(String::from_utf8_lossy(&out).trim_end_matches(['\n', '\r'])))
}

/// Checks that `rev` names a commit, so a typo gets its own message rather than a diff error.
pub fn verify(repo: &Path, rev: &str) -> Result<()> {
    if rev.starts_with('-') {
        bail!("--base {rev:?} is not a revision");
    }
    run(repo, &["rev-parse", "--verify", "--quiet", &format!("{rev}^{{commit}}")]).with_context(
        || {
            format!(
                "--base {rev:?} is not a commit of this repository (in CI, fetch it first: \
                 `git fetch --tags origin` or actions/checkout with fetch-depth: 0)"
            )
        },
    )?;
    Ok(())
}

/// Files added between the merge base of `base` and HEAD, and HEAD (`base...HEAD`). A renamed
/// file is not new (git's rename detection is on), so moving a module does not make it "new".
pub fn added_files(repo: &Path, base: &str) -> Result<Vec<String>> {
    let range = format!("{base}...HEAD");
    let out = run(repo, &["diff", "--name-only", "--diff-filter=A", "-z", &range, "--"])?;
    Ok(out
        .split(|b| *b == 0)
        .filter(|p| !p.is_empty())
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .collect())
}

/// Every tracked file.
pub fn tracked_files(repo: &Path) -> Result<BTreeSet<String>> {
    let out = run(repo, &["ls-files", "-z"])?;
    Ok(out
        .split(|b| *b == 0)
        .filter(|p| !p.is_empty())
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .collect())
}

/// Lines added or changed in `base...HEAD`, per file, as inclusive ranges of the new version.
/// The diff is read as a stream: a large change is never held whole.
pub fn changed_lines(repo: &Path, base: &str) -> Result<BTreeMap<String, Vec<(u32, u32)>>> {
    let range = format!("{base}...HEAD");
    let mut child = git(repo)
        .args(["diff", "-U0", "--no-color", "--no-ext-diff", "--no-textconv", &range, "--"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot run `git`; is it installed and on PATH?")?;
    let stdout = child.stdout.take().context("git diff: no output pipe")?;
    let parsed = parse_diff(BufReader::new(stdout));
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut stderr);
    }
    let status = child.wait().context("git diff did not finish")?;
    if !status.success() {
        bail!("`git diff -U0 {range}` failed: {}", stderr.trim());
    }
    parsed
}

/// Parses `git diff -U0` output: `+++ b/<path>` opens a file, `@@ -a,b +c,d @@` adds lines
/// c..c+d-1 (d = 0 is a pure deletion and adds none).
pub fn parse_diff<R: BufRead>(mut r: R) -> Result<BTreeMap<String, Vec<(u32, u32)>>> {
    let mut out: BTreeMap<String, Vec<(u32, u32)>> = BTreeMap::new();
    let mut current: Option<String> = None;
    let mut pending: u64 = 0;
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = (&mut r).take(MAX_LINE).read_until(b'\n', &mut line)?;
        if n == 0 {
            break;
        }
        if !line.ends_with(b"\n") && n as u64 == MAX_LINE {
            pending = pending.saturating_sub(1);
            // The rest of an overlong (content) line: skip it without buffering.
            let mut sink = Vec::new();
            loop {
                sink.clear();
                let m = (&mut r).take(MAX_LINE).read_until(b'\n', &mut sink)?;
                if m == 0 || sink.ends_with(b"\n") {
                    break;
                }
            }
            continue;
        }
        // Inside a hunk, the next old+new lines are content, even one reading `+++ b/x`.
        if pending > 0 {
            if matches!(line.first(), Some(b'+' | b'-')) {
                pending -= 1;
            }
            continue;
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\n', '\r']);
        if let Some(path) = text.strip_prefix("+++ ") {
            current = path.strip_prefix("b/").map(str::to_string);
        } else if let Some(hunk) = text.strip_prefix("@@ ")
            && let Some((old, start, count)) = hunk_counts(hunk)
        {
            pending = u64::from(old) + u64::from(count);
            if let Some(file) = current.as_ref()
                && count > 0
            {
                out.entry(file.clone()).or_default().push((start, start.saturating_add(count - 1)));
            }
        }
    }
    Ok(out)
}

/// `-a,b +c,d @@ ...` -> (b, c, d); a side without `,count` is one line.
fn hunk_counts(hunk: &str) -> Option<(u32, u32, u32)> {
    let side = |prefix: char| -> Option<(u32, u32)> {
        let part = hunk.split(' ').find(|p| p.starts_with(prefix))?;
        let part = &part[1..];
        match part.split_once(',') {
            Some((s, c)) => Some((s.parse().ok()?, c.parse().ok()?)),
            None => Some((part.parse().ok()?, 1)),
        }
    };
    let (_, old) = side('-')?;
    let (start, count) = side('+')?;
    Some((old, start, count))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_hunks_become_new_side_ranges() {
        let diff = "diff --git a/src/a.rs b/src/a.rs\n--- a/src/a.rs\n+++ b/src/a.rs\n@@ -3 +3 @@ fn x\n-a\n+b\n@@ -10,0 +11,4 @@\n+1\n++++ b/fake\n+3\n+4\n@@ -20,2 +24,0 @@\n-x\n-y\ndiff --git a/gone.rs b/gone.rs\n--- a/gone.rs\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-a\n-b\n";
        let got = parse_diff(diff.as_bytes()).unwrap();
        assert_eq!(got, BTreeMap::from([("src/a.rs".to_string(), vec![(3, 3), (11, 14)])]));
    }

    #[test]
    fn overlong_lines_are_skipped() {
        let diff = format!("+++ b/x.rs\n+{}\n@@ -1 +2,2 @@\n", "z".repeat(200_000));
        let got = parse_diff(diff.as_bytes()).unwrap();
        assert_eq!(got["x.rs"], vec![(2, 3)]);
    }
}

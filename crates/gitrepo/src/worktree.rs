//! The questions asked of a work tree rather than of history (its top level, its files, what
//! changed since a base), answered by the `git` binary so `.gitignore`, rename detection and the
//! user's configuration apply exactly as they do for the user's own git.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::error::GitError;
use crate::write::GIT;

/// Longest line of `git diff` output we keep; longer lines are content we skip anyway.
const MAX_LINE: u64 = 64 * 1024;

fn git(repo: &Path) -> Command {
    let mut c = Command::new(GIT);
    // quotePath off: non-ASCII paths come out as they are; -z is used where names matter most.
    c.arg("-C").arg(repo).args(["-c", "core.quotePath=false"]);
    c.stdin(Stdio::null());
    c
}

fn not_run(program: &str, e: &std::io::Error) -> GitError {
    GitError::Command {
        program: program.to_string(),
        detail: format!("{e}; is git installed and on PATH?"),
    }
}

/// Runs git, returning stdout; a failure names the command and quotes git's own message.
fn run(repo: &Path, args: &[&str]) -> Result<Vec<u8>, GitError> {
    let program = format!("git {}", args.join(" "));
    let out = git(repo).args(args).output().map_err(|e| not_run(&program, &e))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(GitError::Command { program, detail: err.trim().to_string() });
    }
    Ok(out.stdout)
}

fn nul_separated(out: &[u8]) -> impl Iterator<Item = String> + '_ {
    out.split(|b| *b == 0)
        .filter(|p| !p.is_empty())
        .map(|p| String::from_utf8_lossy(p).into_owned())
}

/// The repository's top-level directory.
pub fn toplevel(dir: &Path) -> Result<PathBuf, GitError> {
    let out = run(dir, &["rev-parse", "--show-toplevel"])
        .map_err(|e| GitError::NotARepository { path: dir.to_path_buf(), detail: e.to_string() })?;
    Ok(PathBuf::from(String::from_utf8_lossy(&out).trim_end_matches(['\n', '\r'])))
}

/// Checks that `rev` names a commit, so a typo gets its own message rather than a diff error.
/// A revision starting with `-` is refused before git sees it: it would be read as an option.
pub fn verify_commit(repo: &Path, rev: &str) -> Result<(), GitError> {
    let bad = |detail: String| GitError::BadRevision { spec: rev.to_string(), detail };
    if rev.starts_with('-') {
        return Err(bad("a revision cannot start with `-`".into()));
    }
    run(repo, &["rev-parse", "--verify", "--quiet", &format!("{rev}^{{commit}}")])
        .map_err(|e| bad(e.to_string()))?;
    Ok(())
}

/// Files added between the merge base of `base` and HEAD, and HEAD (`base...HEAD`). A renamed
/// file is not new (git's rename detection is on), so moving a module does not make it "new".
pub fn added_files(repo: &Path, base: &str) -> Result<Vec<String>, GitError> {
    let range = format!("{base}...HEAD");
    let out = run(repo, &["diff", "--name-only", "--diff-filter=A", "-z", &range, "--"])?;
    Ok(nul_separated(&out).collect())
}

/// Every tracked file.
pub fn tracked_files(repo: &Path) -> Result<BTreeSet<String>, GitError> {
    let out = run(repo, &["ls-files", "-z"])?;
    Ok(nul_separated(&out).collect())
}

/// Tracked and untracked-but-not-ignored files that exist in the work tree, or `None` outside a
/// git work tree (the caller then walks the directory itself).
pub fn listed_files(root: &Path) -> Option<Vec<String>> {
    let out = run(root, &["ls-files", "-z", "--cached", "--others", "--exclude-standard"]).ok()?;
    let mut paths = Vec::new();
    for raw in out.split(|b| *b == 0).filter(|r| !r.is_empty()) {
        let Ok(p) = std::str::from_utf8(raw) else { continue };
        // A file deleted in the work tree but still in the index is not there to read.
        if std::fs::symlink_metadata(root.join(p)).is_ok() {
            paths.push(p.to_string());
        }
    }
    Some(paths)
}

/// Lines added or changed in `base...HEAD`, per file, as inclusive ranges of the new version.
/// The diff is read as a stream: a large change is never held whole.
pub fn changed_lines(
    repo: &Path,
    base: &str,
) -> Result<BTreeMap<String, Vec<(u32, u32)>>, GitError> {
    let range = format!("{base}...HEAD");
    let program = format!("git diff -U0 {range}");
    let mut child = git(repo)
        .args(["diff", "-U0", "--no-color", "--no-ext-diff", "--no-textconv", &range, "--"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| not_run(&program, &e))?;
    let Some(stdout) = child.stdout.take() else {
        return Err(GitError::Command { program, detail: "no output pipe".into() });
    };
    let parsed = parse_diff(BufReader::new(stdout));
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut stderr);
    }
    let status = child.wait().map_err(|e| GitError::Command {
        program: program.clone(),
        detail: format!("did not finish: {e}"),
    })?;
    if !status.success() {
        return Err(GitError::Command { program, detail: stderr.trim().to_string() });
    }
    parsed
}

/// Parses `git diff -U0` output: `+++ b/<path>` opens a file, `@@ -a,b +c,d @@` adds lines
/// c..c+d-1 (d = 0 is a pure deletion and adds none).
pub fn parse_diff<R: BufRead>(mut r: R) -> Result<BTreeMap<String, Vec<(u32, u32)>>, GitError> {
    let read_err = |e: std::io::Error| GitError::read("git diff output", e);
    let mut out: BTreeMap<String, Vec<(u32, u32)>> = BTreeMap::new();
    let mut current: Option<String> = None;
    let mut pending: u64 = 0;
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = (&mut r).take(MAX_LINE).read_until(b'\n', &mut line).map_err(read_err)?;
        if n == 0 {
            break;
        }
        if !line.ends_with(b"\n") && n as u64 == MAX_LINE {
            pending = pending.saturating_sub(1);
            // The rest of an overlong (content) line: skip it without buffering.
            let mut sink = Vec::new();
            loop {
                sink.clear();
                let m = (&mut r).take(MAX_LINE).read_until(b'\n', &mut sink).map_err(read_err)?;
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

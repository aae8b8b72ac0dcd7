//! Mapping report paths onto the repository. Producers write paths in every shape: absolute paths
//! on the machine that ran the tests (cargo-llvm-cov, tarpaulin's LCOV, c8), paths relative to the
//! package (coverage.py with `<source>` roots), Windows separators, `./` prefixes. The gate compares
//! them with `git diff` paths, which are repository-relative and `/`-separated.

use std::path::Path;

/// How report paths become repository paths.
#[derive(Debug, Clone, Default)]
pub struct PathMapper {
    /// The repository root as an absolute, `/`-separated path without a trailing `/`.
    root: Option<String>,
    /// Prefixes removed from report paths (configured `coverage.strip_prefixes`), normalised.
    strip: Vec<String>,
}

impl PathMapper {
    /// A mapper for the repository at `root` (absolute) that also strips `strip` prefixes, tried
    /// in order, the first that matches wins.
    pub fn new(root: Option<&Path>, strip: &[String]) -> Self {
        let root = root.map(|r| {
            let r = normalize(&r.to_string_lossy());
            r.trim_end_matches('/').to_string()
        });
        let strip = strip
            .iter()
            .map(|s| normalize(s))
            .filter(|s| !s.is_empty())
            .map(|s| if s.ends_with('/') { s } else { format!("{s}/") })
            .collect();
        PathMapper { root, strip }
    }

    /// The repository path for `raw`, a path as written in a report whose source roots (Cobertura
    /// `<source>`) are `roots`. A path that cannot be placed in the repository is returned
    /// normalised but otherwise unchanged, so the caller can report it.
    pub fn map(&self, raw: &str, roots: &[String]) -> String {
        let p = normalize(raw);
        if !is_absolute(&p) && !roots.is_empty() {
            // A relative class file name is relative to one of the roots; with several, prefer the
            // one under which the file exists in the repository.
            let joined: Vec<String> = roots
                .iter()
                .map(|r| normalize(&format!("{}/{p}", r.trim_end_matches(['/', '\\']))))
                .map(|j| self.relative(&j))
                .collect();
            let exists = |rel: &String| {
                !is_absolute(rel)
                    && self
                        .root
                        .as_ref()
                        .is_some_and(|root| Path::new(&format!("{root}/{rel}")).is_file())
            };
            if let Some(hit) = joined.iter().find(|j| exists(j)) {
                return hit.clone();
            }
            // Otherwise the first root inside the repository, else the first root: a path left
            // absolute is reported as outside the repository rather than guessed at.
            if let Some(first) = joined.iter().find(|j| !is_absolute(j)).or(joined.first()) {
                return first.clone();
            }
        }
        self.relative(&p)
    }

    /// Strips the configured prefixes, then the repository root, then `./`.
    fn relative(&self, p: &str) -> String {
        let mut p = p;
        if let Some(rest) = self.strip.iter().find_map(|s| p.strip_prefix(s.as_str())) {
            p = rest;
        }
        if let Some(root) = &self.root
            && let Some(rest) = p.strip_prefix(root.as_str()).and_then(|r| r.strip_prefix('/'))
        {
            p = rest;
        }
        p.trim_start_matches("./").to_string()
    }
}

/// `/` separators, no `.` segments, `..` resolved lexically, no doubled `/`.
fn normalize(raw: &str) -> String {
    let s = raw.trim().replace('\\', "/");
    let absolute = s.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for seg in s.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !absolute {
                    parts.push("..");
                }
            }
            other => parts.push(other),
        }
    }
    let joined = parts.join("/");
    if absolute { format!("/{joined}") } else { joined }
}

/// `/x` or a Windows drive path `C:/x`.
fn is_absolute(p: &str) -> bool {
    let b = p.as_bytes();
    p.starts_with('/')
        || (b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && b[2] == b'/')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_become_repository_relative() {
        let m = PathMapper::new(
            Some(Path::new("/home/ci/repo/")),
            &["/build/src".into(), "C:\\w\\repo".into()],
        );
        let cases = [
            ("/home/ci/repo/crates/x/src/lib.rs", "crates/x/src/lib.rs"),
            ("./src/a.py", "src/a.py"),
            ("src\\win\\a.ts", "src/win/a.ts"),
            ("/build/src/pkg/m.py", "pkg/m.py"),
            ("C:\\w\\repo\\app\\main.ts", "app/main.ts"),
            ("/home/ci/repo/src/../lib/b.rs", "lib/b.rs"),
            ("/home/ci/repository/x.rs", "/home/ci/repository/x.rs"),
            ("/rustc/abc/library/core/src/x.rs", "/rustc/abc/library/core/src/x.rs"),
            ("a//b/./c.rs", "a/b/c.rs"),
        ];
        for (raw, want) in cases {
            assert_eq!(m.map(raw, &[]), want, "{raw}");
        }
    }

    #[test]
    fn cobertura_roots_are_joined() {
        let m = PathMapper::new(Some(Path::new("/home/u/proj")), &[]);
        let roots = vec!["/home/u/proj/src".to_string()];
        assert_eq!(m.map("pkg/mod.py", &roots), "src/pkg/mod.py");
        assert_eq!(m.map("pkg/mod.py", &[".".into()]), "pkg/mod.py");
        assert_eq!(m.map("/home/u/proj/abs.py", &roots), "abs.py");
        // A root outside the repository and no strip prefix: left as it is, for the caller to flag.
        assert_eq!(m.map("m.py", &["/elsewhere".into()]), "/elsewhere/m.py");
    }

    #[test]
    fn the_root_under_which_the_file_exists_wins() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("b/pkg")).unwrap();
        std::fs::write(dir.path().join("b/pkg/m.py"), "x = 1\n").unwrap();
        let m = PathMapper::new(Some(dir.path()), &[]);
        let root = dir.path().to_string_lossy().to_string();
        let roots = vec![format!("{root}/a"), format!("{root}/b")];
        assert_eq!(m.map("pkg/m.py", &roots), "b/pkg/m.py");
        assert_eq!(m.map("pkg/none.py", &roots), "a/pkg/none.py");
    }
}

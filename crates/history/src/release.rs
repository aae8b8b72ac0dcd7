//! The semantic-versioning release core: release tags, the next version from Conventional
//! Commits (or pull-request labels), release and hotfix branch names, and the changelog.
//!
//! The rules (documented in `docs/release.md`, each tested with the source it comes from):
//! - A commit is breaking (`!` before the colon, or a `BREAKING CHANGE:` / `BREAKING-CHANGE:`
//!   note): major. `feat`: minor. `fix`, `perf`: patch. A revert (`Revert "…"` with
//!   `This reverts commit <sha>.`, or type `revert`): patch. Any other type: no release.
//!   (semantic-release's commit-analyzer default release rules.)
//! - Before 1.0.0 a breaking change bumps the minor version (release-please's
//!   `bump-minor-pre-major`), our documented default; `release.bump_minor_pre_major: false`
//!   makes it 1.0.0 as semantic-release does. `feat` before 1.0.0 stays minor.
//! - A commit that is not a Conventional Commit counts by its pull request's labels
//!   (`semver:major|minor|patch`; the largest wins). An explicit `semver:major` label is a major
//!   release even before 1.0.0: the label is a human decision.
//! - The largest bump of all commits wins. With no release yet the first version is 1.0.0
//!   (both tools' default). Bumping a pre-release finishes it (node-semver's `inc`:
//!   `1.2.0-rc.1` + minor = `1.2.0`).

use std::fmt::Write as _;

use semver::{BuildMetadata, Prerelease, Version};
use serde::{Deserialize, Serialize};

use crate::conventional::{self, Conventional};
use plasma_config::{ReleaseComponent, ReleaseConfig};

/// The version of `tag` when it is `prefix` followed by a valid semantic version.
pub fn parse_tag(tag: &str, prefix: &str) -> Option<Version> {
    let rest = tag.strip_prefix(prefix)?;
    // Guard against absurd input before handing it to the parser.
    if rest.is_empty() || rest.len() > 256 {
        return None;
    }
    Version::parse(rest).ok()
}

/// The release version of `tag` under `cfg`: the component's prefix when given, otherwise the
/// repository's `tag_prefix`, or no prefix at all when `accept_unprefixed` is set.
pub fn parse_release_tag(
    tag: &str,
    cfg: &ReleaseConfig,
    component: Option<&ReleaseComponent>,
) -> Option<Version> {
    match component {
        Some(c) => parse_tag(tag, &c.tag_prefix),
        None => parse_tag(tag, &cfg.tag_prefix).or_else(|| {
            // An unprefixed tag must not be another component's (`gateway-v1.2.3` never parses
            // here: it does not start with a digit).
            (cfg.accept_unprefixed && !cfg.tag_prefix.is_empty())
                .then(|| parse_tag(tag, ""))
                .flatten()
        }),
    }
}

/// The newest release among `tags` with `prefix`: the highest version, pre-releases only when
/// `include_prereleases`. Returns the tag as written and its version.
pub fn latest_release<'a>(
    tags: impl IntoIterator<Item = &'a str>,
    prefix: &str,
    include_prereleases: bool,
) -> Option<(String, Version)> {
    best(tags.into_iter().filter_map(|t| parse_tag(t, prefix).map(|v| (t, v))), include_prereleases)
}

/// [`latest_release`] under `cfg` (prefix, unprefixed tags, components).
pub fn latest_release_for<'a>(
    tags: impl IntoIterator<Item = &'a str>,
    cfg: &ReleaseConfig,
    component: Option<&ReleaseComponent>,
    include_prereleases: bool,
) -> Option<(String, Version)> {
    best(
        tags.into_iter().filter_map(|t| parse_release_tag(t, cfg, component).map(|v| (t, v))),
        include_prereleases,
    )
}

fn best<'a>(
    it: impl Iterator<Item = (&'a str, Version)>,
    include_prereleases: bool,
) -> Option<(String, Version)> {
    let mut best: Option<(&str, Version)> = None;
    for (t, v) in it {
        if !include_prereleases && !v.pre.is_empty() {
            continue;
        }
        // Highest version; on equal precedence (differing only in build metadata, or `v1.2.3`
        // beside `1.2.3`) the first tag seen wins, so the result does not depend on ties.
        let better = match &best {
            None => true,
            Some((_, b)) => v.cmp_precedence(b).is_gt(),
        };
        if better {
            best = Some((t, v));
        }
    }
    best.map(|(t, v)| (t.to_string(), v))
}

/// One commit since the last release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseCommit {
    /// Full SHA.
    pub sha: String,
    /// Full message.
    pub message: String,
    /// Labels of the pull request that brought it, if known.
    pub labels: Vec<String>,
}

/// A version increment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Bump {
    /// Nothing to release.
    None,
    /// `x.y.Z`.
    Patch,
    /// `x.Y.0`.
    Minor,
    /// `X.0.0`.
    Major,
}

impl Bump {
    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Bump::None => "none",
            Bump::Patch => "patch",
            Bump::Minor => "minor",
            Bump::Major => "major",
        }
    }
}

/// What the next release is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReleasePlan {
    /// Component name in a monorepo; `None` for the whole repository.
    pub component: Option<String>,
    /// The latest release, `None` before the first.
    #[serde(serialize_with = "opt_version")]
    pub current_version: Option<Version>,
    /// The version to release (equal to `current_version` when `bump` is `none`).
    #[serde(serialize_with = "version")]
    pub next_version: Version,
    /// The increment.
    pub bump: Bump,
    /// The tag to create, e.g. `v1.4.0`.
    pub tag: String,
    /// The release branch, e.g. `release/1.4`.
    pub release_branch: String,
    /// Markdown changelog of the release.
    pub changelog: String,
    /// Number of commits considered.
    pub commits: usize,
    /// How many of them are neither Conventional Commits nor reverts, so that only the
    /// `semver:*` labels of their pull requests can count them.
    pub by_labels: usize,
}

fn version<S: serde::Serializer>(v: &Version, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

fn opt_version<S: serde::Serializer>(v: &Option<Version>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.collect_str(v),
        None => s.serialize_none(),
    }
}

/// How issue keys are found and linked in the changelog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangelogLinks {
    /// The issue key prefix (`issue_key.prefix`, e.g. `PE`).
    pub issue_prefix: String,
    /// `owner/repo`, to fill `{owner}` and `{repo}` in `release.issue_url`.
    pub repository: Option<String>,
}

impl Default for ChangelogLinks {
    fn default() -> Self {
        ChangelogLinks { issue_prefix: "PE".into(), repository: None }
    }
}

/// The next release after `current` given `commits` (newest first or oldest first; the
/// changelog keeps the given order). Uses the default issue prefix `PE` and no repository for
/// links; see [`plan_release_with`].
pub fn plan_release(
    current: Option<&Version>,
    commits: &[ReleaseCommit],
    cfg: &ReleaseConfig,
    component: Option<&ReleaseComponent>,
) -> ReleasePlan {
    plan_release_with(current, commits, cfg, component, &ChangelogLinks::default())
}

/// [`plan_release`] with the issue prefix and repository used to link issue keys.
pub fn plan_release_with(
    current: Option<&Version>,
    commits: &[ReleaseCommit],
    cfg: &ReleaseConfig,
    component: Option<&ReleaseComponent>,
    links: &ChangelogLinks,
) -> ReleasePlan {
    let analysed: Vec<Analysed<'_>> = commits.iter().map(|c| analyse(c, cfg)).collect();
    let raw = analysed.iter().map(|a| a.bump).max().unwrap_or(Bump::None);
    let label_major = analysed.iter().any(|a| a.by_label && a.bump == Bump::Major);
    let (next_version, bump) = match current {
        None => (Version::new(1, 0, 0), if raw == Bump::None { Bump::None } else { Bump::Major }),
        Some(cur) => {
            let bump =
                if raw == Bump::Major && cur.major == 0 && cfg.bump_minor_pre_major && !label_major
                {
                    Bump::Minor
                } else {
                    raw
                };
            (increment(cur, bump), bump)
        }
    };
    let prefix = component.map_or(cfg.tag_prefix.as_str(), |c| c.tag_prefix.as_str());
    let tag = format!("{prefix}{next_version}");
    let release_branch = release_branch(cfg, component, &next_version);
    let changelog = changelog(&next_version, component, &analysed, cfg, links);
    ReleasePlan {
        component: component.map(|c| c.display_name().to_string()),
        current_version: current.cloned(),
        next_version,
        bump,
        tag,
        release_branch,
        changelog,
        commits: commits.len(),
        by_labels: analysed.iter().filter(|a| a.by_label).count(),
    }
}

/// Whether only the pull request's `semver:*` labels can decide what `message` releases (it is
/// neither a Conventional Commit nor a revert): the front door reads labels for these commits
/// only.
pub fn decided_by_labels(message: &str) -> bool {
    conventional::parse(message).is_none() && !is_revert(message)
}

/// node-semver's `inc`: a pre-release is finished by the bump that reaches it.
pub fn increment(v: &Version, bump: Bump) -> Version {
    let pre = !v.pre.is_empty();
    let mut n = Version::new(v.major, v.minor, v.patch);
    match bump {
        Bump::None => return v.clone(),
        Bump::Major if !(pre && v.minor == 0 && v.patch == 0) => {
            n.major = n.major.saturating_add(1);
            n.minor = 0;
            n.patch = 0;
        }
        Bump::Minor if !(pre && v.patch == 0) => {
            n.minor = n.minor.saturating_add(1);
            n.patch = 0;
        }
        Bump::Patch if !pre => n.patch = n.patch.saturating_add(1),
        _ => {}
    }
    n.pre = Prerelease::EMPTY;
    n.build = BuildMetadata::EMPTY;
    n
}

/// The version a hotfix of `current` releases: the next patch.
pub fn hotfix_version(current: &Version) -> Version {
    increment(current, Bump::Patch)
}

/// The hotfix branch for issue `key` (`hotfix/PE-77`).
pub fn hotfix_branch(cfg: &ReleaseConfig, key: &str) -> String {
    cfg.hotfix_branch.replace("{key}", key)
}

/// The release branch of `version`: `release.release_branch` with `{major}`, `{minor}`,
/// `{patch}`, `{version}` filled. For a component without `{component}` in the template, the
/// component's name is put after the template's last `/` (`release/gateway/1.4`), so components
/// never share a branch.
pub fn release_branch(
    cfg: &ReleaseConfig,
    component: Option<&ReleaseComponent>,
    version: &Version,
) -> String {
    let t = &cfg.release_branch;
    let mut b = t
        .replace("{major}", &version.major.to_string())
        .replace("{minor}", &version.minor.to_string())
        .replace("{patch}", &version.patch.to_string())
        .replace("{version}", &version.to_string());
    if let Some(c) = component {
        let name = c.display_name();
        if t.contains("{component}") {
            b = b.replace("{component}", name);
        } else {
            let at = b.rfind('/').map_or(0, |i| i + 1);
            b.insert_str(at, &format!("{name}/"));
        }
    } else {
        b = b.replace("{component}/", "").replace("{component}", "");
    }
    b
}

/// The component whose `path` prefix holds `path` (the longest prefix wins); `None` when no
/// component does.
pub fn component_for_path<'a>(
    path: &str,
    components: &'a [ReleaseComponent],
) -> Option<&'a ReleaseComponent> {
    components
        .iter()
        .filter(|c| {
            let p = c.path.trim_end_matches('/');
            !p.is_empty()
                && path.strip_prefix(p).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        })
        .max_by_key(|c| c.path.trim_end_matches('/').len())
}

struct Analysed<'a> {
    commit: &'a ReleaseCommit,
    parsed: Option<Conventional<'a>>,
    revert: bool,
    bump: Bump,
    by_label: bool,
}

fn analyse<'a>(c: &'a ReleaseCommit, cfg: &ReleaseConfig) -> Analysed<'a> {
    let parsed = conventional::parse(&c.message);
    let revert = is_revert(&c.message);
    let (bump, by_label) = match &parsed {
        Some(p) if p.breaking => (Bump::Major, false),
        Some(p) => (
            match p.kind {
                "feat" => Bump::Minor,
                "fix" | "perf" => Bump::Patch,
                _ if revert => Bump::Patch,
                _ => Bump::None,
            },
            false,
        ),
        None if revert => (Bump::Patch, false),
        None => (label_bump(&c.labels, cfg), true),
    };
    Analysed { commit: c, parsed, revert, bump, by_label }
}

/// The conventionalcommits preset's `revertPattern`, which sets semantic-release's `revert`:
/// `^(?:Revert|revert:)\s"?([\s\S]+?)"?\s*This reverts commit (\w*)\.` (case-insensitive).
fn is_revert(message: &str) -> bool {
    if !message.get(..6).is_some_and(|h| h.eq_ignore_ascii_case("revert")) {
        return false;
    }
    let rest = &message[6..];
    let rest = rest.strip_prefix(':').unwrap_or(rest);
    let Some(rest) = rest.strip_prefix(crate::conventional::is_js_space) else {
        return false;
    };
    // At least one character of reverted header, then the sentence git writes.
    let lower = rest.to_ascii_lowercase();
    lower.match_indices("this reverts commit ").any(|(i, m)| {
        i >= 1 && {
            let after = &lower[i + m.len()..];
            let sha = after.bytes().take_while(|b| b.is_ascii_alphanumeric() || *b == b'_').count();
            after.as_bytes().get(sha) == Some(&b'.')
        }
    })
}

fn label_bump(labels: &[String], cfg: &ReleaseConfig) -> Bump {
    labels
        .iter()
        .map(|l| {
            if *l == cfg.labels.major {
                Bump::Major
            } else if *l == cfg.labels.minor {
                Bump::Minor
            } else if *l == cfg.labels.patch {
                Bump::Patch
            } else {
                Bump::None
            }
        })
        .max()
        .unwrap_or(Bump::None)
}

/// Markdown changelog: breaking changes first, then features, bug fixes, performance, reverts,
/// and commits released by their labels.
fn changelog(
    version: &Version,
    component: Option<&ReleaseComponent>,
    commits: &[Analysed<'_>],
    cfg: &ReleaseConfig,
    links: &ChangelogLinks,
) -> String {
    let mut out = String::new();
    match component {
        Some(c) => {
            let _ = writeln!(out, "## {} {version}\n", c.display_name());
        }
        None => {
            let _ = writeln!(out, "## {version}\n");
        }
    }
    let mut sections: [(&str, Vec<String>); 6] = [
        ("⚠ BREAKING CHANGES", Vec::new()),
        ("Features", Vec::new()),
        ("Bug Fixes", Vec::new()),
        ("Performance Improvements", Vec::new()),
        ("Reverts", Vec::new()),
        ("Other Changes", Vec::new()),
    ];
    for a in commits {
        let short = a.commit.sha.get(..7).unwrap_or(&a.commit.sha);
        let keys = issue_links(&a.commit.message, cfg, links);
        let tail =
            if keys.is_empty() { format!(" ({short})") } else { format!(" ({short}) {keys}") };
        match &a.parsed {
            Some(p) => {
                let scope = p.scope.map(|s| format!("**{}:** ", one_line(s))).unwrap_or_default();
                let entry = format!("* {scope}{}{tail}", one_line(p.subject));
                if p.breaking {
                    let notes: Vec<&str> =
                        p.footers.iter().filter(|f| f.is_breaking()).map(|f| f.value).collect();
                    let text =
                        if notes.is_empty() { p.subject.to_string() } else { notes.join(" ") };
                    sections[0].1.push(format!("* {scope}{}{tail}", one_line(&text)));
                }
                let idx = match p.kind {
                    "feat" => Some(1),
                    "fix" => Some(2),
                    "perf" => Some(3),
                    "revert" => Some(4),
                    _ => None,
                };
                if let Some(i) = idx {
                    sections[i].1.push(entry);
                }
            }
            None => {
                let first = a.commit.message.lines().next().unwrap_or_default();
                let entry = format!("* {}{tail}", one_line(first));
                if a.revert {
                    sections[4].1.push(entry);
                } else if a.bump != Bump::None {
                    sections[5].1.push(entry);
                }
            }
        }
    }
    for (title, entries) in sections {
        if entries.is_empty() {
            continue;
        }
        let _ = writeln!(out, "### {title}\n");
        for e in entries {
            let _ = writeln!(out, "{e}");
        }
        out.push('\n');
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

/// The issue keys in `message`, each linked when `release.issue_url` can be filled.
fn issue_links(message: &str, cfg: &ReleaseConfig, links: &ChangelogLinks) -> String {
    let mut keys: Vec<&str> = Vec::new();
    let prefix = links.issue_prefix.as_str();
    if prefix.is_empty() {
        return String::new();
    }
    let bytes = message.as_bytes();
    for (i, _) in message.match_indices(prefix) {
        let before_ok = i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
        let after = &message[i + prefix.len()..];
        let Some(digits) = after.strip_prefix('-') else { continue };
        let n = digits.bytes().take_while(u8::is_ascii_digit).count();
        let end_ok =
            digits.as_bytes().get(n).is_none_or(|b| !(b.is_ascii_alphanumeric() || *b == b'_'));
        if before_ok && n > 0 && n <= 18 && !digits.starts_with('0') && end_ok {
            let key = &message[i..i + prefix.len() + 1 + n];
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
    }
    let (owner, repo) = match links.repository.as_deref().and_then(|r| r.split_once('/')) {
        Some((o, r)) => (Some(o), Some(r)),
        None => (None, None),
    };
    let rendered: Vec<String> = keys
        .iter()
        .map(|k| {
            let mut url = cfg.issue_url.replace("{key}", k);
            if let (Some(o), Some(r)) = (owner, repo) {
                url = url.replace("{owner}", o).replace("{repo}", r);
            }
            if url.is_empty() || url.contains("{owner}") || url.contains("{repo}") {
                k.to_string()
            } else {
                format!("[{k}]({url})")
            }
        })
        .collect();
    rendered.join(", ")
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    fn commits(msgs: &[&str]) -> Vec<ReleaseCommit> {
        msgs.iter()
            .enumerate()
            .map(|(i, m)| ReleaseCommit {
                sha: format!("{:07x}{}", 0xabc1230 + i, "0".repeat(33)),
                message: m.to_string(),
                labels: Vec::new(),
            })
            .collect()
    }

    fn next(current: Option<&str>, msgs: &[&str]) -> (String, Bump) {
        let cur = current.map(v);
        let p = plan_release(cur.as_ref(), &commits(msgs), &ReleaseConfig::default(), None);
        (p.next_version.to_string(), p.bump)
    }

    #[test]
    fn tags_and_latest_release() {
        assert_eq!(parse_tag("v1.2.3", "v"), Some(v("1.2.3")));
        assert_eq!(parse_tag("1.2.3", "v"), None);
        assert_eq!(parse_tag("v1.2", "v"), None);
        assert_eq!(parse_tag("v01.2.3", "v"), None);
        assert_eq!(parse_tag("gateway-v1.0.0-rc.1", "gateway-v"), Some(v("1.0.0-rc.1")));
        let tags = ["v1.2.0", "v1.10.0", "v1.11.0-rc.1", "nightly", "v2.0.0-beta.1", "1.9.0"];
        assert_eq!(latest_release(tags, "v", false), Some(("v1.10.0".into(), v("1.10.0"))));
        assert_eq!(
            latest_release(tags, "v", true),
            Some(("v2.0.0-beta.1".into(), v("2.0.0-beta.1")))
        );
        let cfg = ReleaseConfig::default();
        assert_eq!(
            latest_release_for(["1.11.0", "v1.10.0", "gateway-v9.0.0"], &cfg, None, false)
                .map(|t| t.0),
            Some("1.11.0".into())
        );
        let gw = ReleaseComponent {
            path: "gateway/".into(),
            tag_prefix: "gateway-v".into(),
            name: None,
        };
        assert_eq!(
            latest_release_for(["v3.0.0", "gateway-v1.2.3"], &cfg, Some(&gw), false).map(|t| t.0),
            Some("gateway-v1.2.3".into())
        );
        assert_eq!(
            latest_release(["v1.0.0+a", "v1.0.0+b"], "v", false).map(|t| t.0),
            Some("v1.0.0+a".into())
        );
    }

    /// Each case cites its source: semantic-release's commit-analyzer default release rules
    /// (`lib/default-release-rules.js`: breaking major, revert patch, feat minor, fix patch,
    /// perf patch), release-please's default versioning strategy and `bump-minor-pre-major`.
    #[test]
    fn version_arithmetic_with_sources() {
        // semantic-release: feat -> minor.
        assert_eq!(next(Some("1.2.3"), &["feat: add x", "fix: y"]), ("1.3.0".into(), Bump::Minor));
        // semantic-release: fix -> patch; perf -> patch.
        assert_eq!(next(Some("1.2.3"), &["fix: y"]), ("1.2.4".into(), Bump::Patch));
        assert_eq!(next(Some("1.2.3"), &["perf: faster"]), ("1.2.4".into(), Bump::Patch));
        // semantic-release: breaking (header `!` or BREAKING CHANGE note) -> major.
        assert_eq!(next(Some("1.2.3"), &["feat!: drop x"]), ("2.0.0".into(), Bump::Major));
        assert_eq!(
            next(Some("1.2.3"), &["fix: y\n\nBREAKING CHANGE: z"]),
            ("2.0.0".into(), Bump::Major)
        );
        assert_eq!(next(Some("1.2.3"), &["refactor(a)!: y"]), ("2.0.0".into(), Bump::Major));
        // semantic-release: revert -> patch.
        assert_eq!(
            next(Some("1.2.3"), &["Revert \"feat: x\"\n\nThis reverts commit abc1234."]),
            ("1.2.4".into(), Bump::Patch)
        );
        assert_eq!(
            next(Some("1.2.3"), &["revert: feat: x\n\nThis reverts commit abc1234."]),
            ("1.2.4".into(), Bump::Patch)
        );
        // A `revert:` type without git's sentence is no revert for semantic-release: no release.
        assert_eq!(next(Some("1.2.3"), &["revert: feat: x"]), ("1.2.3".into(), Bump::None));
        // semantic-release: other types do not release.
        assert_eq!(
            next(Some("1.2.3"), &["docs: x", "chore: y", "ci: z", "test: t"]),
            ("1.2.3".into(), Bump::None)
        );
        // release-please bump-minor-pre-major: breaking before 1.0.0 -> minor; feat -> minor.
        assert_eq!(next(Some("0.4.2"), &["feat!: drop x"]), ("0.5.0".into(), Bump::Minor));
        assert_eq!(next(Some("0.4.2"), &["feat: x"]), ("0.5.0".into(), Bump::Minor));
        assert_eq!(next(Some("0.4.2"), &["fix: x"]), ("0.4.3".into(), Bump::Patch));
        // semantic-release (and release-please without the option): breaking before 1.0.0 -> 1.0.0.
        let cfg = ReleaseConfig { bump_minor_pre_major: false, ..Default::default() };
        let p = plan_release(Some(&v("0.4.2")), &commits(&["feat!: x"]), &cfg, None);
        assert_eq!(p.next_version, v("1.0.0"));
        // Both tools: the first release is 1.0.0.
        assert_eq!(next(None, &["feat: x"]), ("1.0.0".into(), Bump::Major));
        assert_eq!(next(None, &["docs: x"]).1, Bump::None);
        // node-semver inc (semantic-release uses it): a bump finishes a pre-release.
        assert_eq!(next(Some("1.2.0-rc.1"), &["fix: x"]), ("1.2.0".into(), Bump::Patch));
        assert_eq!(next(Some("1.2.0-rc.1"), &["feat: x"]), ("1.2.0".into(), Bump::Minor));
        assert_eq!(next(Some("1.2.1-rc.1"), &["feat: x"]), ("1.3.0".into(), Bump::Minor));
        assert_eq!(next(Some("2.0.0-rc.1"), &["feat!: x"]), ("2.0.0".into(), Bump::Major));
        assert_eq!(hotfix_version(&v("1.4.0")), v("1.4.1"));
    }

    #[test]
    fn labels_decide_for_commits_that_are_not_conventional() {
        let mut cs = commits(&["Add login page", "Tidy"]);
        cs[0].labels = vec!["semver:minor".into()];
        cs[1].labels = vec!["semver:patch".into(), "docs".into()];
        let p = plan_release(Some(&v("1.2.3")), &cs, &ReleaseConfig::default(), None);
        assert_eq!((p.next_version.to_string(), p.bump), ("1.3.0".into(), Bump::Minor));
        assert_eq!(p.by_labels, 2);
        // Only such commits send the front door to GitHub for labels.
        assert!(decided_by_labels("Add login page"));
        assert!(!decided_by_labels("feat: x"));
        assert!(!decided_by_labels("Revert \"feat: x\"\n\nThis reverts commit abc1234."));
        // An explicit major label is honoured before 1.0.0.
        cs[0].labels = vec!["semver:major".into()];
        let p = plan_release(Some(&v("0.3.0")), &cs, &ReleaseConfig::default(), None);
        assert_eq!(p.next_version, v("1.0.0"));
        // A conventional commit is judged by its message, not its labels.
        let mut cs = commits(&["docs: x"]);
        cs[0].labels = vec!["semver:major".into()];
        assert_eq!(
            plan_release(Some(&v("1.0.0")), &cs, &ReleaseConfig::default(), None).bump,
            Bump::None
        );
    }

    #[test]
    fn branches_components_and_json() {
        let cfg = ReleaseConfig::default();
        assert_eq!(release_branch(&cfg, None, &v("1.4.0")), "release/1.4");
        let gw = ReleaseComponent {
            path: "gateway/".into(),
            tag_prefix: "gateway-v".into(),
            name: None,
        };
        assert_eq!(release_branch(&cfg, Some(&gw), &v("1.4.0")), "release/gateway/1.4");
        assert_eq!(hotfix_branch(&cfg, "PE-77"), "hotfix/PE-77");
        let comps = vec![
            gw.clone(),
            ReleaseComponent {
                path: "gateway/admin/".into(),
                tag_prefix: "admin-v".into(),
                name: Some("admin".into()),
            },
        ];
        assert_eq!(
            component_for_path("gateway/src/a.py", &comps).map(|c| c.display_name()),
            Some("gateway")
        );
        assert_eq!(
            component_for_path("gateway/admin/x", &comps).map(|c| c.display_name()),
            Some("admin")
        );
        assert_eq!(component_for_path("gatewayx/a", &comps), None);
        let p =
            plan_release(Some(&v("1.2.3")), &commits(&["feat(api): add x PE-12"]), &cfg, Some(&gw));
        assert_eq!(p.tag, "gateway-v1.3.0");
        let j = serde_json::to_value(&p).unwrap();
        assert_eq!(j["current_version"], "1.2.3");
        assert_eq!(j["next_version"], "1.3.0");
        assert_eq!(j["release_branch"], "release/gateway/1.3");
        assert_eq!(j["bump"], "minor");
        assert!(j["changelog"].as_str().unwrap().starts_with("## gateway 1.3.0\n"));
    }

    #[test]
    fn changelog_groups_and_links() {
        let msgs = [
            "feat(api): add login\n\nRefs: PE-12",
            "fix: crash on empty body (PE-13)",
            "perf: cache tokens",
            "feat!: drop v1 API\n\nBREAKING CHANGE: the v1 endpoints are gone",
            "docs: readme",
            "Revert \"fix: x\"\n\nThis reverts commit abc1234.",
        ];
        let links = ChangelogLinks {
            issue_prefix: "PE".into(),
            repository: Some("plasma-engine/gateway".into()),
        };
        let p = plan_release_with(
            Some(&v("1.0.0")),
            &commits(&msgs),
            &ReleaseConfig::default(),
            None,
            &links,
        );
        insta::assert_snapshot!(p.changelog);
        // Without a repository, the default link cannot be filled: keys stay plain text.
        let p =
            plan_release(Some(&v("1.0.0")), &commits(&msgs[..1]), &ReleaseConfig::default(), None);
        assert!(p.changelog.contains("(abc1230) PE-12"), "{}", p.changelog);
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn tags_round_trip_and_never_panic(
                major in 0u64..1_000_000, minor in 0u64..1_000, patch in 0u64..1_000,
                pre in proptest::option::of("[a-z]{1,5}\\.[1-9][0-9]{0,2}"),
                junk in "\\PC{0,40}",
            ) {
                let mut v = Version::new(major, minor, patch);
                if let Some(p) = &pre {
                    v.pre = Prerelease::new(p).unwrap();
                }
                prop_assert_eq!(parse_tag(&format!("v{v}"), "v"), Some(v.clone()));
                let _ = parse_tag(&junk, "v");
                let _ = latest_release([junk.as_str(), "v1.0.0"], "", true);
                // A bump never goes backwards.
                for b in [Bump::Patch, Bump::Minor, Bump::Major] {
                    prop_assert!(increment(&v, b) > v);
                }
            }

            #[test]
            fn planning_never_panics(msgs in proptest::collection::vec("\\PC{0,60}", 0..8)) {
                let cs: Vec<ReleaseCommit> = msgs
                    .iter()
                    .map(|m| ReleaseCommit { sha: "x".into(), message: m.clone(), labels: vec![] })
                    .collect();
                let p = plan_release(Some(&Version::new(0, 1, 0)), &cs, &ReleaseConfig::default(), None);
                prop_assert!(p.next_version >= Version::new(0, 1, 0));
            }
        }
    }
}

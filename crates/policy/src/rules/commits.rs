//! `signed-commits` and `linear-history`: branch protection in the process requires signed
//! commits and a linear history; judging them on the pull request tells the author before the
//! merge button refuses.

use crate::rules::checks::short_sha;
use crate::snapshot::{Commit, PrSnapshot};
use crate::{Finding, rule_id};

/// How many offending commits a finding lists by SHA before summarising.
const LIST: usize = 10;

fn describe(commits: &[&Commit], why: impl Fn(&Commit) -> String) -> String {
    let mut parts: Vec<String> = commits
        .iter()
        .take(LIST)
        .map(|c| {
            let subject = c.message.lines().next().unwrap_or("");
            format!("{} {} ({})", short_sha(&c.sha), quoted(subject), why(c))
        })
        .collect();
    if commits.len() > LIST {
        parts.push(format!("and {} more", commits.len() - LIST));
    }
    parts.join(", ")
}

fn quoted(s: &str) -> String {
    let s: String = s.chars().take(60).collect();
    format!("\"{s}\"")
}

/// Every commit must carry a signature GitHub verified.
pub fn signed(pr: &PrSnapshot) -> Vec<Finding> {
    let rule = rule_id::SIGNED_COMMITS;
    let Some(commits) = &pr.commits else {
        return vec![Finding::info(
            rule,
            "commit signatures not evaluated: the input carries no commits",
            "run with a full snapshot (`--snapshot`), or let the service fetch the commits",
        )];
    };
    let bad: Vec<&Commit> =
        commits.iter().filter(|c| !c.verification.as_ref().is_some_and(|v| v.verified)).collect();
    if bad.is_empty() {
        return vec![];
    }
    vec![Finding::error(
        rule,
        format!(
            "{} of {} commit(s) not signed with a verified signature: {}",
            bad.len(),
            commits.len(),
            describe(&bad, |c| match &c.verification {
                Some(v) if !v.reason.is_empty() => v.reason.clone(),
                Some(_) => "not verified".into(),
                None => "verification unknown".into(),
            })
        ),
        "sign commits (`git config commit.gpgsign true` with a GPG or SSH key registered on GitHub), then re-sign: `git rebase --exec 'git commit --amend --no-edit -S' <base>` and force-push",
    )]
}

/// No merge commits.
pub fn linear(pr: &PrSnapshot) -> Vec<Finding> {
    let rule = rule_id::LINEAR_HISTORY;
    let Some(commits) = &pr.commits else {
        return vec![Finding::info(
            rule,
            "linear history not evaluated: the input carries no commits",
            "run with a full snapshot (`--snapshot`), or let the service fetch the commits",
        )];
    };
    let merges: Vec<&Commit> = commits.iter().filter(|c| c.parents.len() > 1).collect();
    if merges.is_empty() {
        return vec![];
    }
    vec![Finding::error(
        rule,
        format!(
            "{} merge commit(s) in the pull request: {}",
            merges.len(),
            describe(&merges, |c| format!("{} parents", c.parents.len()))
        ),
        format!(
            "rebase instead of merging: `git fetch origin && git rebase origin/{}`, then force-push",
            pr.base.name
        ),
    )]
}

/// `signed-commits`, explained (`explain_rule`).
pub const ABOUT_SIGNED: crate::rules::about::RuleAbout = crate::rules::about::RuleAbout {
    rule: r#"signed-commits"#,
    checks: r#"Every commit of the pull request carries a signature GitHub verified."#,
    config: &[crate::rules::about::ConfigKey { key: "commits.require_signed", default: r#"true"# }],
    passes: r#"every commit shows `Verified` on GitHub"#,
    fails: r#"a commit is unsigned, or its signature is not verified"#,
};

/// `linear-history`, explained (`explain_rule`).
pub const ABOUT_LINEAR: crate::rules::about::RuleAbout = crate::rules::about::RuleAbout {
    rule: r#"linear-history"#,
    checks: r#"No commit of the pull request is a merge commit (rebase instead of merging the base in)."#,
    config: &[crate::rules::about::ConfigKey { key: "commits.linear_history", default: r#"true"# }],
    passes: r#"every commit has one parent"#,
    fails: r#"`Merge branch 'main' into gateway/PE-12-x` has two parents"#,
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::Verification;
    use crate::test_support::pr;

    fn commit(sha: &str, parents: usize, verified: Option<(bool, &str)>) -> Commit {
        Commit {
            sha: sha.into(),
            parents: (0..parents).map(|i| format!("p{i}")).collect(),
            message: format!("commit {sha}\n\nbody"),
            verification: verified.map(|(v, r)| Verification { verified: v, reason: r.into() }),
        }
    }

    #[test]
    fn table() {
        let cases: Vec<(&str, Vec<Commit>, usize, usize)> = vec![
            ("all good", vec![commit("aaaaaaa1", 1, Some((true, "valid")))], 0, 0),
            ("unsigned", vec![commit("bbbbbbb1", 1, Some((false, "unsigned")))], 1, 0),
            ("unknown verification", vec![commit("ccccccc1", 1, None)], 1, 0),
            ("merge commit", vec![commit("ddddddd1", 2, Some((true, "valid")))], 0, 1),
            ("both", vec![commit("eeeeeee1", 2, Some((false, "unknown_key")))], 1, 1),
            ("empty", vec![], 0, 0),
        ];
        for (name, commits, want_signed, want_linear) in cases {
            let mut p = pr();
            p.commits = Some(commits);
            assert_eq!(signed(&p).len(), want_signed, "{name}");
            assert_eq!(linear(&p).len(), want_linear, "{name}");
        }
    }

    #[test]
    fn messages_name_the_commit_and_reason() {
        let mut p = pr();
        p.commits = Some(vec![commit("bbbbbbb1234", 1, Some((false, "unsigned")))]);
        let f = &signed(&p)[0];
        assert!(f.message.contains("bbbbbbb \"commit bbbbbbb1234\" (unsigned)"), "{}", f.message);
        p.commits = Some((0..15).map(|i| commit(&format!("{i:07}"), 2, None)).collect());
        let f = &linear(&p)[0];
        assert!(
            f.message.starts_with("15 merge commit(s)") && f.message.contains("and 5 more"),
            "{}",
            f.message
        );
        assert!(f.hint.contains("origin/main"));
    }

    #[test]
    fn unknown_commits_are_not_evaluated() {
        assert_eq!(signed(&pr())[0].severity, crate::Severity::Info);
        assert_eq!(linear(&pr())[0].severity, crate::Severity::Info);
    }
}

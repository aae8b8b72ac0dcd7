//! `audit --remote`: the repository's settings on GitHub, as findings. Both of GitHub's
//! mechanisms count: classic branch protection and repository rulesets (a setting is on when
//! either turns it on). A source we could not read for lack of permission makes a missing setting
//! "unknown (needs admin read)" — a warning, never an error — because reporting it missing would
//! be a guess.

use serde_json::Value;

use plasma_config::Config;
use plasma_config::report::RepoFinding;
use plasma_policy::rules::checks::RequiredChecksRule;

/// What reading one source gave.
#[derive(Debug, Clone, PartialEq)]
pub enum Remote<T> {
    /// The answer.
    Found(T),
    /// GitHub says it does not exist (branch not protected, no environment).
    Absent,
    /// Not readable with this token (403, or 404 where GitHub hides a resource).
    NoPermission,
}

/// The remote settings, as read.
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteSettings {
    /// `owner/repo`.
    pub repo: String,
    /// The branch (`main`).
    pub branch: String,
    /// `GET /repos/{o}/{r}/branches/{b}/protection`.
    pub classic: Remote<Value>,
    /// `GET /repos/{o}/{r}/rules/branches/{b}`: the active ruleset rules for the branch.
    pub rules: Remote<Vec<Value>>,
    /// `GET /repos/{o}/{r}/environments/production`.
    pub production: Remote<Value>,
}

/// Rule ids.
pub const SIGNATURES: &str = "protection-signed-commits";
/// Linear history.
pub const LINEAR: &str = "protection-linear-history";
/// Required status checks.
pub const CHECKS: &str = "protection-status-checks";
/// Approving reviews.
pub const APPROVALS: &str = "protection-approvals";
/// Code-owner review.
pub const CODE_OWNERS: &str = "protection-code-owner-review";
/// Dismiss stale reviews.
pub const STALE: &str = "protection-dismiss-stale-reviews";
/// Production environment reviewers.
pub const PRODUCTION: &str = "protection-production-reviewers";

/// The rules of a given type in the ruleset answer.
fn rules_of<'a>(rules: &'a [Value], ty: &str) -> impl Iterator<Item = &'a Value> {
    let ty = ty.to_string();
    rules.iter().filter(move |r| r.get("type").and_then(Value::as_str) == Some(ty.as_str()))
}

fn enabled(v: &Value, key: &str) -> bool {
    v.get(key).and_then(|s| s.get("enabled")).and_then(Value::as_bool) == Some(true)
}

/// One setting's state across both sources.
enum State {
    On,
    Off(String),
    Unknown,
}

/// Combines: on if any readable source has it; unknown if not and a source was unreadable.
fn combine(
    settings: &RemoteSettings,
    classic: impl Fn(&Value) -> bool,
    ruleset: impl Fn(&[Value]) -> bool,
    off: String,
) -> State {
    let c = match &settings.classic {
        Remote::Found(v) => Some(classic(v)),
        Remote::Absent => Some(false),
        Remote::NoPermission => None,
    };
    let r = match &settings.rules {
        Remote::Found(v) => Some(ruleset(v)),
        Remote::Absent => Some(false),
        Remote::NoPermission => None,
    };
    if c == Some(true) || r == Some(true) {
        State::On
    } else if c.is_none() || r.is_none() {
        State::Unknown
    } else {
        State::Off(off)
    }
}

/// Status-check names required by classic protection and by rulesets.
fn required_contexts(settings: &RemoteSettings) -> Vec<String> {
    let mut out = Vec::new();
    if let Remote::Found(v) = &settings.classic
        && let Some(rsc) = v.get("required_status_checks")
    {
        for c in rsc.get("contexts").and_then(Value::as_array).into_iter().flatten() {
            out.extend(c.as_str().map(String::from));
        }
        for c in rsc.get("checks").and_then(Value::as_array).into_iter().flatten() {
            out.extend(c.get("context").and_then(Value::as_str).map(String::from));
        }
    }
    if let Remote::Found(rules) = &settings.rules {
        for r in rules_of(rules, "required_status_checks") {
            let list = r
                .get("parameters")
                .and_then(|p| p.get("required_status_checks"))
                .and_then(Value::as_array);
            for c in list.into_iter().flatten() {
                out.extend(c.get("context").and_then(Value::as_str).map(String::from));
            }
        }
    }
    out
}

/// Findings for the remote settings under `config`.
pub fn check(settings: &RemoteSettings, config: &Config) -> Vec<RepoFinding> {
    let b = &settings.branch;
    let repo = &settings.repo;
    let mut out = Vec::new();
    let mut report = |rule: &str, what: &str, state: State, hint: &str| {
        match state {
        State::On => {}
        State::Off(why) => out.push(RepoFinding::error(rule, format!("{repo}: `{b}` does not require {what}{why}."), hint)),
        State::Unknown => out.push(RepoFinding::warning(
            rule,
            format!("{repo}: whether `{b}` requires {what} is unknown (needs admin read): the token cannot read classic branch protection or rulesets, and the readable source does not require it."),
            "Run with a token that can read the repository's administration settings (a fine-grained token with Administration: read), or check the setting by hand.",
        )),
    }
    };
    let pr_rule = |rules: &[Value], key: &str| {
        rules_of(rules, "pull_request").any(|r| {
            r.get("parameters").and_then(|p| p.get(key)).and_then(Value::as_bool) == Some(true)
        })
    };
    let reviews = |v: &Value, key: &str| {
        v.get("required_pull_request_reviews").and_then(|r| r.get(key)).and_then(Value::as_bool)
            == Some(true)
    };
    report(
        SIGNATURES,
        "signed commits",
        combine(
            settings,
            |v| enabled(v, "required_signatures"),
            |r| rules_of(r, "required_signatures").next().is_some(),
            String::new(),
        ),
        "Turn on \"Require signed commits\" in the branch protection or a ruleset targeting the branch.",
    );
    report(
        LINEAR,
        "linear history",
        combine(
            settings,
            |v| enabled(v, "required_linear_history"),
            |r| rules_of(r, "required_linear_history").next().is_some(),
            String::new(),
        ),
        "Turn on \"Require linear history\" (squash or rebase merges only).",
    );
    let min = config.approvals.required.max(1);
    let count =
        |v: &Value| v.get("required_approving_review_count").and_then(Value::as_u64).unwrap_or(0);
    report(
        APPROVALS,
        &format!("at least {min} approving review(s)"),
        combine(
            settings,
            |v| v.get("required_pull_request_reviews").is_some_and(|r| count(r) >= u64::from(min)),
            |rules| {
                rules_of(rules, "pull_request")
                    .any(|r| r.get("parameters").is_some_and(|p| count(p) >= u64::from(min)))
            },
            String::new(),
        ),
        "Require pull request reviews before merging with at least one approval.",
    );
    report(
        CODE_OWNERS,
        "review from code owners",
        combine(
            settings,
            |v| reviews(v, "require_code_owner_reviews"),
            |r| pr_rule(r, "require_code_owner_review"),
            String::new(),
        ),
        "Turn on \"Require review from Code Owners\" (CODEOWNERS must exist, see `codeowners-missing`).",
    );
    report(
        STALE,
        "dismissing stale approvals on new commits",
        combine(
            settings,
            |v| reviews(v, "dismiss_stale_reviews"),
            |r| pr_rule(r, "dismiss_stale_reviews_on_push"),
            String::new(),
        ),
        "Turn on \"Dismiss stale pull request approvals when new commits are pushed\".",
    );

    // Required checks: every process check must be matched by some required context.
    let contexts = required_contexts(settings);
    // Matched as the pull-request rule matches check results, so both accept the same names.
    let missing: Vec<String> = match RequiredChecksRule::new(&config.required_checks) {
        Ok(rule) => rule.unmatched(contexts.iter().map(String::as_str)),
        // An invalid glob matches nothing; `config validate` names it.
        Err(_) => config.required_checks.checks.iter().map(|c| c.name.clone()).collect(),
    };
    if !missing.is_empty() {
        let names = missing.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", ");
        let shown = if contexts.is_empty() {
            "none".to_string()
        } else {
            contexts.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ")
        };
        let unreadable = matches!(settings.classic, Remote::NoPermission)
            || matches!(settings.rules, Remote::NoPermission);
        let msg_tail = format!(
            "the process's required checks {names} are not required status checks (required now: {shown})"
        );
        out.push(if unreadable {
            RepoFinding::warning(CHECKS, format!("{repo}: on `{b}` {msg_tail}; unknown (needs admin read) whether protection requires them."), "Run with a token that can read administration settings, or check the required status checks by hand.")
        } else {
            RepoFinding::error(CHECKS, format!("{repo}: on `{b}` {msg_tail}."), "Add the checks (lint, tests, security scan, CodeRabbit) under \"Require status checks to pass\" in the branch protection or a ruleset.")
        });
    }

    match &settings.production {
        Remote::Found(env) => {
            let has_reviewers = env.get("protection_rules").and_then(Value::as_array).into_iter().flatten().any(|r| {
                r.get("type").and_then(Value::as_str) == Some("required_reviewers")
                    && r.get("reviewers").and_then(Value::as_array).is_some_and(|a| !a.is_empty())
            });
            if !has_reviewers {
                out.push(RepoFinding::error(PRODUCTION, format!("{repo}: the `production` environment has no required reviewers, so production deploys need no manual approval."), "Add required reviewers to the `production` environment (Settings → Environments)."));
            }
        }
        Remote::Absent => out.push(RepoFinding::error(PRODUCTION, format!("{repo}: there is no `production` environment, so production deploys cannot require manual approval."), "Create the `production` environment with required reviewers and deploy through it.")),
        Remote::NoPermission => out.push(RepoFinding::warning(PRODUCTION, format!("{repo}: the `production` environment's reviewers are unknown (needs admin read)."), "Run with a token that can read environments, or check Settings → Environments by hand.")),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn full_classic() -> Value {
        json!({
            "required_signatures": {"enabled": true},
            "required_linear_history": {"enabled": true},
            "required_status_checks": {"contexts": ["lint", "ci / test", "security", "CodeRabbit"]},
            "required_pull_request_reviews": {"required_approving_review_count": 1, "require_code_owner_reviews": true, "dismiss_stale_reviews": true}
        })
    }

    fn env_ok() -> Value {
        json!({"protection_rules": [{"type": "required_reviewers", "reviewers": [{"type": "Team"}]}]})
    }

    fn settings(
        classic: Remote<Value>,
        rules: Remote<Vec<Value>>,
        production: Remote<Value>,
    ) -> RemoteSettings {
        RemoteSettings { repo: "o/r".into(), branch: "main".into(), classic, rules, production }
    }

    fn rules(s: &RemoteSettings) -> Vec<(String, plasma_config::Severity)> {
        check(s, &Config::default())
            .into_iter()
            .map(|f| (f.finding.rule, f.finding.severity))
            .collect()
    }

    #[test]
    fn classic_alone_satisfies_everything() {
        assert!(
            rules(&settings(
                Remote::Found(full_classic()),
                Remote::Found(vec![]),
                Remote::Found(env_ok())
            ))
            .is_empty()
        );
    }

    #[test]
    fn rulesets_alone_satisfy_everything() {
        let r = vec![
            json!({"type": "required_signatures"}),
            json!({"type": "required_linear_history"}),
            json!({"type": "pull_request", "parameters": {"required_approving_review_count": 1, "require_code_owner_review": true, "dismiss_stale_reviews_on_push": true}}),
            json!({"type": "required_status_checks", "parameters": {"required_status_checks": [{"context": "Lint"}, {"context": "tests"}, {"context": "security-scan"}, {"context": "CodeRabbit"}]}}),
        ];
        assert!(
            rules(&settings(Remote::Absent, Remote::Found(r), Remote::Found(env_ok()))).is_empty()
        );
    }

    #[test]
    fn unprotected_is_missing_everything() {
        use plasma_config::Severity::Error;
        let got = rules(&settings(Remote::Absent, Remote::Found(vec![]), Remote::Absent));
        let want: Vec<(String, plasma_config::Severity)> =
            [SIGNATURES, LINEAR, APPROVALS, CODE_OWNERS, STALE, CHECKS, PRODUCTION]
                .iter()
                .map(|r| (r.to_string(), Error))
                .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn no_permission_is_unknown_never_missing() {
        let got = rules(&settings(
            Remote::NoPermission,
            Remote::Found(vec![json!({"type": "required_linear_history"})]),
            Remote::NoPermission,
        ));
        assert!(got.iter().all(|(_, s)| *s == plasma_config::Severity::Warning), "{got:?}");
        assert!(!got.iter().any(|(r, _)| r == LINEAR), "a readable ruleset settles linear history");
        let f = check(
            &settings(Remote::NoPermission, Remote::NoPermission, Remote::Found(env_ok())),
            &Config::default(),
        );
        assert!(
            f.iter().all(|f| f.finding.message.contains("unknown (needs admin read)")),
            "{f:?}"
        );
    }

    #[test]
    fn partial_settings_table() {
        let mut c = full_classic();
        c["required_pull_request_reviews"]["required_approving_review_count"] = json!(0);
        c["required_status_checks"]["contexts"] = json!(["lint"]);
        let f = check(
            &settings(
                Remote::Found(c),
                Remote::Found(vec![]),
                Remote::Found(json!({"protection_rules": []})),
            ),
            &Config::default(),
        );
        let got: Vec<&str> = f.iter().map(|f| f.finding.rule.as_str()).collect();
        assert_eq!(got, vec![APPROVALS, CHECKS, PRODUCTION]);
        assert!(
            f[1].finding.message.contains("`tests`, `security scan`, `CodeRabbit summary`"),
            "{}",
            f[1].finding.message
        );
    }
}

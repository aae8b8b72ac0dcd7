//! `Policy`: a validated configuration with every pattern compiled once, ready to judge any
//! number of pull requests and issues.

use globset::{Glob, GlobBuilder, GlobMatcher, GlobSet, GlobSetBuilder};

use plasma_config::{Config, ConfigSource, Finding, LocatedErrors, PolicyError, compile, rule_id};

use crate::dispatch::Dispatcher;
use crate::rules::branch::BranchRule;
use crate::rules::checklist::ChecklistRule;
use crate::rules::checks::RequiredChecksRule;
use crate::rules::infra_approval::InfraRule;
use crate::rules::review_loop::ReviewLoopRule;
use crate::rules::title::TitleRule;
use crate::snapshot::{Actor, PrSnapshot};

/// Loads the organisation's and the repository's files over the built-in defaults and compiles
/// the policy: what every front door calls, so a bad key is reported alike everywhere.
pub fn compile_policy(
    org: Option<ConfigSource<'_>>,
    repo: Option<ConfigSource<'_>>,
) -> Result<Policy, LocatedErrors> {
    compile(org, repo, |c| Policy::new(c.clone())).map(|(policy, _)| policy)
}

/// The compiled policy.
#[derive(Debug)]
pub struct Policy {
    config: Config,
    pub(crate) branch: BranchRule,
    pub(crate) title: TitleRule,
    pub(crate) checklist: ChecklistRule,
    pub(crate) checks: RequiredChecksRule,
    pub(crate) review: ReviewLoopRule,
    pub(crate) base: GlobSet,
    pub(crate) dispatcher: Dispatcher,
    pub(crate) phase: GlobMatcher,
    pub(crate) incident: crate::incident::IncidentRules,
    pub(crate) infra: InfraRule,
}

fn push<T>(errors: &mut Vec<PolicyError>, r: Result<T, PolicyError>) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(e) => {
            errors.push(e);
            None
        }
    }
}

impl Policy {
    /// Validate and compile. Every problem is returned, not just the first.
    pub fn new(config: Config) -> Result<Self, Vec<PolicyError>> {
        let mut errors = Vec::new();
        validate(&config, &mut errors);
        // The service reads its notification routes from the same compiled configuration.
        errors.extend(config.notifications.validate());
        let branch = push(
            &mut errors,
            BranchRule::new(&config.branches, &config.issue_key).map_err(Into::into),
        );
        let title =
            push(&mut errors, TitleRule::new(&config.title, &config.issue_key).map_err(Into::into));
        let checklist =
            push(&mut errors, ChecklistRule::new(&config.checklist).map_err(Into::into));
        let checks =
            push(&mut errors, RequiredChecksRule::new(&config.required_checks).map_err(Into::into));
        let base =
            push(&mut errors, glob_set("base_branches.allowed", &config.base_branches.allowed));
        let dispatcher = push(
            &mut errors,
            Dispatcher::new(&config.dispatch).map_err(|e| PolicyError {
                key: "dispatch".into(),
                message: e.to_string(),
                hint:
                    "fix the dispatch rules; `plasma-ops dispatch FILES` shows what each file gets"
                        .into(),
            }),
        );
        let phase = push(
            &mut errors,
            Glob::new(&config.issues.phase_label).map(|g| g.compile_matcher()).map_err(|e| {
                PolicyError {
                    key: "issues.phase_label".into(),
                    message: format!("invalid glob `{}`: {}", config.issues.phase_label, e.kind()),
                    hint: "use a glob such as `phase-*`".into(),
                }
            }),
        );
        let incident = match crate::incident::IncidentRules::new(&config.incidents) {
            Ok(rules) => Some(rules),
            Err(e) => {
                errors.extend(e);
                None
            }
        };
        let infra = push(&mut errors, InfraRule::new(&config.infra));
        match (branch, title, checklist, checks, base, dispatcher, phase, incident, infra) {
            (
                Some(branch),
                Some(title),
                Some(checklist),
                Some(checks),
                Some(base),
                Some(dispatcher),
                Some(phase),
                Some(incident),
                Some(infra),
            ) if errors.is_empty() => {
                let review = ReviewLoopRule::new(&config.coderabbit);
                Ok(Policy {
                    config,
                    branch,
                    title,
                    checklist,
                    checks,
                    review,
                    base,
                    dispatcher,
                    phase,
                    incident,
                    infra,
                })
            }
            _ => Err(errors),
        }
    }

    /// The policy of the process itself (built-in defaults).
    pub fn process_default() -> Result<Self, Vec<PolicyError>> {
        Policy::new(Config::default())
    }

    /// The configuration this policy was compiled from.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The compiled `incidents:` section.
    pub fn incident_rules(&self) -> &crate::incident::IncidentRules {
        &self.incident
    }

    /// The `infra-approval` rule: which files are infrastructure and what must be read from
    /// GitHub to judge them.
    pub fn infra(&self) -> &InfraRule {
        &self.infra
    }

    /// The agent dispatcher.
    pub fn dispatcher(&self) -> &Dispatcher {
        &self.dispatcher
    }

    /// The short name used in branch names for `owner/name` (or a bare name).
    pub fn repo_short_name(&self, repository: &str) -> String {
        if let Some(s) = &self.config.repository.short_name {
            return s.clone();
        }
        let name = repository.rsplit('/').next().unwrap_or(repository);
        name.strip_prefix(self.config.repository.strip_prefix.as_str()).unwrap_or(name).to_string()
    }

    /// The author's login when it is a dependency bot (`dependency_bots.logins`, any case).
    pub fn dependency_bot<'a>(&self, author: &'a Actor) -> Option<&'a str> {
        let login = author.login.as_str();
        // An unknown author (empty login) is nobody's bot.
        let listed = !login.is_empty()
            && self.config.dependency_bots.logins.iter().any(|l| l.eq_ignore_ascii_case(login));
        listed.then_some(login)
    }

    /// Whether a rule is switched off by configuration.
    pub fn is_off(&self, rule: &str) -> bool {
        self.config.is_off(rule)
    }

    /// Whether judging `pr` needs its review threads (read with GitHub's GraphQL API, so only
    /// when CodeRabbit reviewed the head commit without approving and the review loop is on).
    pub fn needs_review_threads(&self, pr: &PrSnapshot) -> bool {
        !self.is_off(rule_id::CODERABBIT_REVIEW) && self.review.needs_threads(pr)
    }

    /// Apply `rules:` overrides: drop findings of rules that are off, demote errors to warnings.
    pub fn apply_overrides(&self, findings: Vec<Finding>) -> Vec<Finding> {
        self.config.apply_overrides(findings)
    }

    /// `check branch`: the branch-name rule alone. `repository` (`owner/name`) pins the `<repo>`
    /// part; `title` (when given) must carry the same issue key.
    pub fn check_branch(
        &self,
        name: &str,
        repository: Option<&str>,
        title: Option<&str>,
    ) -> Vec<Finding> {
        let short = repository.map(|r| self.repo_short_name(r));
        let key = title.and_then(|t| self.title.parse(t)).map(|p| p.key);
        self.apply_overrides(self.branch.check(name, short.as_deref(), key.as_ref()))
    }

    /// The issue key a pull request carries: in its title (`[PE-12] ...`), else in its branch
    /// (`<repo>/PE-12-...`, `hotfix/PE-12`). Only keys written exactly count: a near miss names
    /// no issue (the title and branch rules report it).
    pub fn issue_key_of(
        &self,
        title: &str,
        branch: &str,
    ) -> Option<plasma_config::issue_key::IssueKey> {
        if let Some(parts) = self.title.parse(title) {
            return Some(parts.key);
        }
        match self.branch.classify(branch) {
            crate::rules::branch::BranchKind::Feature { key, .. }
            | crate::rules::branch::BranchKind::Hotfix { key } => Some(key),
            _ => None,
        }
    }

    /// `check title`: the title rule alone.
    pub fn check_title(&self, title: &str) -> Vec<Finding> {
        self.apply_overrides(self.title.check(title))
    }

    /// `check body`: the checklist rule alone.
    pub fn check_body(&self, body: &str) -> Vec<Finding> {
        self.apply_overrides(self.checklist.check(body))
    }
}

pub(crate) fn glob_set(key: &str, globs: &[String]) -> Result<GlobSet, PolicyError> {
    let mut b = GlobSetBuilder::new();
    for (i, g) in globs.iter().enumerate() {
        let glob =
            GlobBuilder::new(g).literal_separator(true).build().map_err(|e| PolicyError {
                key: format!("{key}[{i}]"),
                message: format!("invalid glob `{g}`: {}", e.kind()),
                hint: "`*` matches within one path segment, `**` across segments".into(),
            })?;
        b.add(glob);
    }
    b.build().map_err(|e| PolicyError {
        key: key.into(),
        message: e.to_string(),
        hint: "simplify the globs".into(),
    })
}

/// Checks that need the whole configuration rather than one section.
fn validate(c: &Config, errors: &mut Vec<PolicyError>) {
    // The project board (`policy::board`): its project reference, field and column names.
    errors.extend(c.board.validate());
    errors.extend(c.adr.validate());
    if let Some(t) =
        c.issue_key.tracker.as_deref().filter(|t| !plasma_config::board::is_repo_name(t))
    {
        errors.push(PolicyError {
            key: "issue_key.tracker".into(),
            message: format!("`{}` is not a repository", t.chars().take(120).collect::<String>()),
            hint: "write `owner/name`, e.g. `plasma-engine/plasma-engine`, or leave it unset for the pull request's own repository".into(),
        });
    }
    for id in c.rules.keys() {
        if !rule_id::ALL.contains(&id.as_str()) {
            let hint = match plasma_config::did_you_mean(id, rule_id::ALL) {
                Some(best) => format!("did you mean `{best}`?"),
                None => format!("known rules: {}", rule_id::ALL.join(", ")),
            };
            errors.push(PolicyError {
                key: format!("rules.{id}"),
                message: format!("unknown rule `{id}`"),
                hint,
            });
        }
    }
    let owned = |label: &str| c.labels.owned_prefixes.iter().any(|p| label.starts_with(p.as_str()));
    let mut owned_label = |key: String, label: &str| {
        if !owned(label) {
            errors.push(PolicyError {
                key,
                message: format!(
                    "label `{label}` is outside the owned prefixes ({}); plasma-ops never adds or removes other labels",
                    c.labels.owned_prefixes.join(", ")
                ),
                hint: "rename the label under an owned prefix, or add its prefix to `labels.owned_prefixes`".into(),
            });
        }
    };
    owned_label("labels.status.needs_review".into(), &c.labels.status.needs_review);
    owned_label("labels.status.needs_fix".into(), &c.labels.status.needs_fix);
    owned_label("labels.status.approved".into(), &c.labels.status.approved);
    for (i, r) in c.dispatch.rules.iter().enumerate() {
        owned_label(format!("dispatch.rules[{i}].label"), &r.label);
    }
    if !c.dispatch.fallback.is_empty() {
        owned_label("dispatch.fallback".into(), &c.dispatch.fallback);
    }
    for (i, d) in c.labels.definitions.iter().enumerate() {
        if d.color.len() != 6 || !d.color.chars().all(|ch| ch.is_ascii_hexdigit()) {
            errors.push(PolicyError {
                key: format!("labels.definitions[{i}].color"),
                message: format!(
                    "colour `{}` of label `{}` is not six hex digits",
                    d.color, d.name
                ),
                hint: "write it like `0e8a16`, without `#`".into(),
            });
        }
        if d.description.chars().count() > 100 {
            errors.push(PolicyError {
                key: format!("labels.definitions[{i}].description"),
                message: format!(
                    "description of label `{}` is longer than GitHub's 100 characters",
                    d.name
                ),
                hint: "shorten it".into(),
            });
        }
        if d.name.is_empty() || d.name.chars().count() > 50 {
            errors.push(PolicyError {
                key: format!("labels.definitions[{i}].name"),
                message: format!("label name `{}` must have 1 to 50 characters", d.name),
                hint: "GitHub limits label names to 50 characters".into(),
            });
        }
    }
    for (i, login) in c.dependency_bots.logins.iter().enumerate() {
        if login.trim().is_empty() {
            errors.push(PolicyError {
                key: format!("dependency_bots.logins[{i}]"),
                message: "an empty login names no bot".into(),
                hint: "write the bot's login, e.g. `renovate[bot]`, or remove the entry".into(),
            });
        }
    }
    if c.coderabbit.logins.is_empty() && c.coderabbit.extra_logins.is_empty() {
        errors.push(PolicyError {
            key: "coderabbit.logins".into(),
            message: "no CodeRabbit login is configured".into(),
            hint: "leave `logins` unset to use `coderabbitai[bot]` and `coderabbitai`".into(),
        });
    }
    if c.coderabbit.rereview_trigger.trim().is_empty() {
        errors.push(PolicyError {
            key: "coderabbit.rereview_trigger".into(),
            message: "the re-review trigger is empty".into(),
            hint: "use `@coderabbitai review`".into(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plasma_config::{ConfigSource, load};

    #[test]
    fn the_defaults_compile() {
        let p = Policy::process_default().unwrap();
        assert_eq!(p.repo_short_name("plasma-engine/plasma-engine-gateway"), "gateway");
        assert_eq!(p.repo_short_name("other"), "other");
    }

    #[test]
    fn the_issue_key_comes_from_the_title_else_the_branch() {
        let p = Policy::process_default().unwrap();
        let key = |t: &str, b: &str| p.issue_key_of(t, b).map(|k| k.to_string());
        assert_eq!(key("[PE-12] Add it", "gateway/PE-7-x").as_deref(), Some("PE-12"));
        assert_eq!(key("Add it", "gateway/PE-7-add-it").as_deref(), Some("PE-7"));
        assert_eq!(key("Fix", "hotfix/PE-99").as_deref(), Some("PE-99"));
        assert_eq!(key("[pe-12] near miss", "main"), None);
        assert_eq!(key("", "release/1.2.0"), None);
    }

    #[test]
    fn board_and_tracker_problems_are_configuration_errors() {
        let org = ConfigSource {
            name: "org.yml",
            text: "issue_key: {tracker: nope}\nboard: {project: 'x y', columns: {done: Review}}\n",
        };
        let errors = compile_policy(Some(org), None).unwrap_err();
        let text: Vec<String> = errors.0.iter().map(ToString::to_string).collect();
        let all = text.join("\n");
        for key in ["board.project", "board.columns.done", "issue_key.tracker"] {
            assert!(all.contains(key), "{key} missing from {all}");
        }
        let ok = ConfigSource {
            name: "r.yml",
            text: "issue_key: {tracker: plasma-engine/plasma-engine}\nboard: {project: plasma-engine/3}\n",
        };
        let p = compile_policy(None, Some(ok)).unwrap();
        assert_eq!(p.config().board.project.as_deref(), Some("plasma-engine/3"));
    }

    #[test]
    fn every_problem_is_reported_with_its_key() {
        let text = "\
rules:
  signed-commit:
    severity: off
issue_key:
  prefix: pe
base_branches:
  allowed: [\"main\", \"release/[\"]
dispatch:
  rules:
    - label: python
      globs: [\"**/*.py\"]
labels:
  definitions:
    - name: status:x
      color: \"#fff\"
dependency_bots:
  logins: [\"renovate[bot]\", \" \"]
";
        let eff = load(None, Some(ConfigSource { name: "plasma.yml", text })).unwrap();
        let errs = Policy::new(eff.config).unwrap_err();
        let keys: Vec<&str> = errs.iter().map(|e| e.key.as_str()).collect();
        for want in [
            "rules.signed-commit",
            "issue_key.prefix",
            "base_branches.allowed[1]",
            "dispatch.rules[0].label",
            "labels.definitions[0].color",
            "dependency_bots.logins[1]",
        ] {
            assert!(keys.contains(&want), "{keys:?} lacks {want}");
        }
        let unknown = errs.iter().find(|e| e.key == "rules.signed-commit").unwrap();
        assert_eq!(unknown.hint, "did you mean `signed-commits`?");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

        #[test]
        fn whatever_loads_compiles_or_is_rejected_with_located_errors(
            lines in proptest::collection::vec(
                ("[ ]{0,6}", "(issue_key|prefix|branches|exempt|rules|title|pattern|- |&a |\\*a|[a-z_-]{1,10})", ":? ?", "(\\[|\\]|\\{|\\}|\"|'|[a-zA-Z0-9*/{}._-]{0,12}|-1|1e9|null|true)"),
                0..20,
            )
        ) {
            let text: String = lines.iter().map(|(a, b, c, d)| format!("{a}{b}{c}{d}\n")).collect();
            let src = plasma_config::ConfigSource { name: ".github/plasma.yml", text: &text };
            if let Ok(eff) = plasma_config::load(None, Some(src)) {
                let _ = Policy::new(eff.config);
            }
        }
    }
}

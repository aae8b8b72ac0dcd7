//! `infra-approval`: the process's "Terraform plans gated by `infra` approvals". A pull request
//! that changes a file matching `infra.paths` needs a current approval from someone allowed to
//! approve infrastructure: a member of `infra.team`, or (with `approvers_from: codeowners`) one of
//! each such file's CODEOWNERS owners, where a file without an owner falls back to the team.
//!
//! Approvals are counted as `human-approval` counts them: each reviewer's latest approving,
//! change-requesting or dismissed review decides; the author, bots and CodeRabbit do not count;
//! with `approvals.on_head_commit` only approvals of the head commit do.
//!
//! Who is in a team, and who owns a file, is GitHub's to say: the caller reads it into
//! [`PrSnapshot::infra`] ([`InfraRule::needs`] says what to read). Without it the rule reports
//! "not evaluated" rather than guessing.

use std::collections::{BTreeMap, BTreeSet};

use globset::GlobSet;

use crate::rules::review_loop::ReviewLoopRule;
use crate::snapshot::{InfraFacts, PrSnapshot, Review, ReviewState};
use crate::{Finding, PolicyError, rule_id};
use plasma_config::{ApprovalsConfig, ApproversFrom, InfraConfig};

const RULE: &str = rule_id::INFRA_APPROVAL;
/// Files named one by one in a finding before the rest are counted.
const LIST_LIMIT: usize = 5;

/// The compiled `infra:` section.
#[derive(Debug)]
pub struct InfraRule {
    paths: GlobSet,
    team: String,
    from: ApproversFrom,
}

/// What must be read from GitHub to judge a pull request's infrastructure changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InfraNeeds {
    /// The changed infrastructure files, sorted.
    pub files: Vec<String>,
    /// Whether the base branch's CODEOWNERS must be read (owners of `files`).
    pub codeowners: bool,
    /// The configured team, `org/slug`: read its members unless `codeowners` is set, in which
    /// case [`InfraRule::teams_to_read`] says which teams the owners need.
    pub team: String,
}

impl InfraRule {
    /// Compiles `infra.paths` and checks `infra.team`.
    pub fn new(cfg: &InfraConfig) -> Result<Self, PolicyError> {
        let paths = crate::policy::glob_set("infra.paths", &cfg.paths)?;
        let team = cfg.team.trim().trim_start_matches('@');
        let valid = |s: &str| {
            !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        };
        let ok = match team.split_once('/') {
            Some((org, slug)) => valid(org) && valid(slug),
            None => valid(team),
        };
        if !ok {
            return Err(PolicyError {
                key: "infra.team".into(),
                message: format!("`{}` is not a team slug", cfg.team),
                hint: "write the team's slug (`infra`) or `org/slug` (`plasma-engine/infra`)"
                    .into(),
            });
        }
        Ok(InfraRule { paths, team: team.to_ascii_lowercase(), from: cfg.approvers_from })
    }

    /// Whether `path` is infrastructure.
    pub fn is_infra(&self, path: &str) -> bool {
        self.paths.is_match(path)
    }

    /// The configured team as `org/slug` for a repository `owner/name`.
    pub fn team_key(&self, repository: &str) -> String {
        if self.team.contains('/') {
            return self.team.clone();
        }
        let owner = repository.split('/').next().unwrap_or(repository);
        format!("{}/{}", owner.to_ascii_lowercase(), self.team)
    }

    /// The changed infrastructure files (renamed files count by either name), sorted; `None`
    /// when the files are unknown.
    pub fn infra_files(&self, pr: &PrSnapshot) -> Option<Vec<String>> {
        let files = pr.files.as_ref()?;
        let mut out = BTreeSet::new();
        for f in files {
            if self.is_infra(&f.path)
                || f.previous_path.as_deref().is_some_and(|p| self.is_infra(p))
            {
                out.insert(f.path.clone());
            }
        }
        Some(out.into_iter().collect())
    }

    /// What the caller must read from GitHub before judging `pr`; `None` when nothing (the files
    /// are unknown, or none is infrastructure).
    pub fn needs(&self, pr: &PrSnapshot) -> Option<InfraNeeds> {
        let files = self.infra_files(pr)?;
        if files.is_empty() {
            return None;
        }
        Some(InfraNeeds {
            files,
            codeowners: self.from == ApproversFrom::Codeowners,
            team: self.team_key(&pr.repository),
        })
    }

    /// In CODEOWNERS mode, the teams whose members must be read: the `@org/team` owners of the
    /// files, and the configured team when a file has no owner. Keys `org/slug`, lower case.
    pub fn teams_to_read(
        &self,
        repository: &str,
        owners: &BTreeMap<String, Vec<String>>,
    ) -> Vec<String> {
        let mut teams = BTreeSet::new();
        for list in owners.values() {
            if list.is_empty() {
                teams.insert(self.team_key(repository));
            }
            teams.extend(list.iter().filter_map(|o| team_owner(o)));
        }
        teams.into_iter().collect()
    }

    /// Judge the pull request.
    pub fn check(
        &self,
        pr: &PrSnapshot,
        approvals: &ApprovalsConfig,
        coderabbit: &ReviewLoopRule,
    ) -> Vec<Finding> {
        let Some(files) = self.infra_files(pr) else {
            return vec![not_evaluated("the input carries no changed files")];
        };
        if files.is_empty() {
            return Vec::new();
        }
        let Some(reviews) = &pr.reviews else {
            return vec![not_evaluated("the input carries no reviews")];
        };
        let Some(facts) = &pr.infra else {
            return vec![not_evaluated(
                "the input carries no team membership or CODEOWNERS owners (`infra` in the snapshot)",
            )];
        };
        let approvers = current_approvers(pr, reviews, approvals.on_head_commit, coderabbit);
        match self.from {
            ApproversFrom::Team => self.by_team(pr, &files, facts, &approvers),
            ApproversFrom::Codeowners => self.by_codeowners(pr, &files, facts, &approvers),
        }
    }

    fn by_team(
        &self,
        pr: &PrSnapshot,
        files: &[String],
        facts: &InfraFacts,
        approvers: &BTreeSet<String>,
    ) -> Vec<Finding> {
        let team = self.team_key(&pr.repository);
        match members(facts, &team) {
            Members::Unreadable(why) => vec![unreadable(&team, why)],
            Members::Unknown => {
                vec![not_evaluated(&format!("the input does not say who is in team `{team}`"))]
            }
            Members::Known(members) => {
                if approvers.iter().any(|a| members.contains(a)) {
                    return Vec::new();
                }
                vec![Finding::error(
                    RULE,
                    format!(
                        "infrastructure changed ({}) without an approval from a member of `@{team}`{}",
                        list(files),
                        approved_by(approvers)
                    ),
                    format!(
                        "ask a member of `@{team}` to review and approve (the team is `infra.team`, the paths `infra.paths` in `.github/plasma.yml`)"
                    ),
                )]
            }
        }
    }

    fn by_codeowners(
        &self,
        pr: &PrSnapshot,
        files: &[String],
        facts: &InfraFacts,
        approvers: &BTreeSet<String>,
    ) -> Vec<Finding> {
        let fallback = self.team_key(&pr.repository);
        let mut findings = Vec::new();
        // Files grouped by the owners that could approve them, so one finding names one ask.
        let mut unapproved: BTreeMap<Vec<String>, Vec<String>> = BTreeMap::new();
        let mut unknown = Vec::new();
        let mut unreadable_teams = BTreeMap::new();
        for file in files {
            let Some(owners) = facts.owners.get(file) else {
                unknown.push(file.clone());
                continue;
            };
            let owners: Vec<String> =
                if owners.is_empty() { vec![format!("@{fallback}")] } else { owners.clone() };
            let mut approved = false;
            for owner in &owners {
                if let Some(team) = team_owner(owner) {
                    match members(facts, &team) {
                        Members::Known(m) => approved |= approvers.iter().any(|a| m.contains(a)),
                        Members::Unreadable(why) => {
                            unreadable_teams.insert(team, why.to_string());
                        }
                        Members::Unknown => {
                            unreadable_teams
                                .insert(team, "the input does not say who is in it".to_string());
                        }
                    }
                } else if let Some(login) = owner.strip_prefix('@') {
                    approved |= approvers.contains(&login.to_ascii_lowercase());
                }
                // An e-mail owner names no login, so nobody's approval can be matched to it.
            }
            if !approved {
                unapproved.entry(owners).or_default().push(file.clone());
            }
        }
        if !unknown.is_empty() {
            findings.push(not_evaluated(&format!(
                "the input does not give the CODEOWNERS owners of {}",
                list(&unknown)
            )));
        }
        for (team, why) in &unreadable_teams {
            findings.push(unreadable(team, why));
        }
        let source = facts.codeowners_path.as_deref().unwrap_or("CODEOWNERS");
        for (owners, files) in unapproved {
            let named: Vec<String> = owners.iter().map(|o| format!("`{o}`")).collect();
            findings.push(Finding::error(
                RULE,
                format!(
                    "infrastructure changed ({}) without an approval from its code owners ({}){}",
                    list(&files),
                    named.join(", "),
                    approved_by(approvers)
                ),
                format!(
                    "ask one of {} to review and approve; owners come from `{source}` on the base branch, files without an owner need `@{fallback}` (`infra.team`)",
                    named.join(", ")
                ),
            ));
        }
        findings
    }
}

enum Members<'a> {
    Known(BTreeSet<String>),
    Unreadable(&'a str),
    Unknown,
}

fn members<'a>(facts: &'a InfraFacts, team: &str) -> Members<'a> {
    if let Some(list) = facts.teams.get(team) {
        return Members::Known(list.iter().map(|l| l.to_ascii_lowercase()).collect());
    }
    match facts.unreadable_teams.get(team) {
        Some(why) => Members::Unreadable(why),
        None => Members::Unknown,
    }
}

/// `@org/team` -> `org/team` (lower case); `None` for a user or an e-mail.
pub fn team_owner(owner: &str) -> Option<String> {
    let rest = owner.strip_prefix('@')?;
    rest.contains('/').then(|| rest.to_ascii_lowercase())
}

/// Lower-case logins whose latest decisive review approves (as `human-approval` counts them).
fn current_approvers(
    pr: &PrSnapshot,
    reviews: &[Review],
    on_head_commit: bool,
    coderabbit: &ReviewLoopRule,
) -> BTreeSet<String> {
    let author = pr.author.login.to_ascii_lowercase();
    let mut latest: BTreeMap<String, &Review> = BTreeMap::new();
    for r in reviews {
        let login = r.author.login.to_ascii_lowercase();
        if r.author.is_bot() || coderabbit.is_coderabbit(&login) || login == author {
            continue;
        }
        if !matches!(
            r.state,
            ReviewState::Approved | ReviewState::ChangesRequested | ReviewState::Dismissed
        ) {
            continue;
        }
        if latest.get(&login).is_none_or(|cur| (r.submitted_at, r.id) > (cur.submitted_at, cur.id))
        {
            latest.insert(login, r);
        }
    }
    latest
        .into_iter()
        .filter(|(_, r)| r.state == ReviewState::Approved)
        .filter(|(_, r)| !on_head_commit || r.commit_id.as_deref() == Some(pr.head.sha.as_str()))
        .map(|(login, _)| login)
        .collect()
}

fn not_evaluated(why: &str) -> Finding {
    Finding::info(
        RULE,
        format!("infra approval not evaluated: {why}"),
        "run with a full snapshot (`--snapshot` with `infra`), or let the service read it from GitHub",
    )
}

fn unreadable(team: &str, why: &str) -> Finding {
    Finding::error(
        RULE,
        format!(
            "cannot tell who may approve infrastructure: GitHub did not list the members of team `@{team}` ({why})"
        ),
        "create the team, fix `infra.team` in `.github/plasma.yml`, or give the plasma-ops App the organisation permission Members: read",
    )
}

fn list(files: &[String]) -> String {
    let mut shown: Vec<String> = files.iter().take(LIST_LIMIT).map(|f| format!("`{f}`")).collect();
    if files.len() > LIST_LIMIT {
        shown.push(format!("{} more", files.len() - LIST_LIMIT));
    }
    shown.join(", ")
}

fn approved_by(approvers: &BTreeSet<String>) -> String {
    if approvers.is_empty() {
        "; nobody has approved".to_string()
    } else {
        format!("; approved by {}", approvers.iter().cloned().collect::<Vec<_>>().join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::ChangedFile;
    use crate::test_support::{HEAD, OLD, pr, review};
    use ReviewState::*;
    use plasma_config::CodeRabbitConfig;

    const T1: &str = "2026-01-01T00:00:00Z";
    const T2: &str = "2026-01-02T00:00:00Z";
    const TEAM: &str = "plasma-engine/infra";

    fn file(path: &str) -> ChangedFile {
        ChangedFile {
            path: path.into(),
            status: "modified".into(),
            additions: 1,
            deletions: 0,
            previous_path: None,
        }
    }

    fn facts(teams: &[(&str, &[&str])], owners: &[(&str, &[&str])]) -> InfraFacts {
        let map = |v: &[(&str, &[&str])]| {
            v.iter()
                .map(|(k, l)| (k.to_string(), l.iter().map(|s| s.to_string()).collect()))
                .collect()
        };
        InfraFacts {
            teams: map(teams),
            unreadable_teams: BTreeMap::new(),
            owners: map(owners),
            codeowners_path: Some(".github/CODEOWNERS".into()),
        }
    }

    fn rule(from: ApproversFrom) -> InfraRule {
        InfraRule::new(&InfraConfig { approvers_from: from, ..InfraConfig::default() }).unwrap()
    }

    fn judge(
        from: ApproversFrom,
        files: &[&str],
        reviews: Vec<Review>,
        infra: Option<InfraFacts>,
        on_head: bool,
    ) -> Vec<Finding> {
        let mut p = pr();
        p.files = Some(files.iter().map(|f| file(f)).collect());
        p.reviews = Some(reviews);
        p.infra = infra;
        let approvals = ApprovalsConfig { required: 1, on_head_commit: on_head };
        rule(from).check(&p, &approvals, &ReviewLoopRule::new(&CodeRabbitConfig::default()))
    }

    #[test]
    fn default_paths() {
        let r = rule(ApproversFrom::Team);
        for (path, infra) in [
            ("main.tf", true),
            ("envs/prod/main.tf", true),
            ("envs/prod/prod.tfvars", true),
            ("terraform/modules/vpc/README.md", true),
            ("deploy/helm/values.yaml", true),
            ("charts/gateway/Chart.yaml", true),
            ("app/main.py", false),
            ("docs/terraform.md", false),
            ("src/tf.rs", false),
            ("mycharts/x.yaml", false),
        ] {
            assert_eq!(r.is_infra(path), infra, "{path}");
        }
    }

    #[test]
    fn team_mode_table() {
        use ApproversFrom::Team as M;
        let members: &[&str] = &["carol", "Dave"];
        let team = || Some(facts(&[(TEAM, members)], &[]));
        type Case<'a> =
            (&'a str, &'a [&'a str], Vec<Review>, Option<InfraFacts>, bool, &'a [&'a str]);
        let cases: Vec<Case> = vec![
            ("no infra file", &["app/main.py"], vec![], None, false, &[]),
            (
                "terraform without approval",
                &["infra/main.tf", "app/main.py"],
                vec![],
                team(),
                false,
                &[
                    "error: infrastructure changed (`infra/main.tf`)",
                    "@plasma-engine/infra",
                    "nobody has approved",
                ],
            ),
            (
                "approved by someone outside the team",
                &["infra/main.tf"],
                vec![review(1, "alice", Approved, HEAD, T1)],
                team(),
                false,
                &["error:", "approved by alice"],
            ),
            (
                "approved by a member",
                &["infra/main.tf"],
                vec![review(1, "carol", Approved, HEAD, T1)],
                team(),
                false,
                &[],
            ),
            (
                "logins compare in any case",
                &["charts/x/values.yaml"],
                vec![review(1, "dave", Approved, HEAD, T1)],
                team(),
                false,
                &[],
            ),
            (
                "a member's later change request withdraws the approval",
                &["infra/main.tf"],
                vec![
                    review(1, "carol", Approved, HEAD, T1),
                    review(2, "carol", ChangesRequested, HEAD, T2),
                ],
                team(),
                false,
                &["error:"],
            ),
            (
                "the author's own approval does not count",
                &["infra/main.tf"],
                vec![review(1, "bob", Approved, HEAD, T1)],
                Some(facts(&[(TEAM, &["bob"])], &[])),
                false,
                &["error:"],
            ),
            (
                "an approval of an older commit counts by default",
                &["infra/main.tf"],
                vec![review(1, "carol", Approved, OLD, T1)],
                team(),
                false,
                &[],
            ),
            (
                "but not with approvals.on_head_commit",
                &["infra/main.tf"],
                vec![review(1, "carol", Approved, OLD, T1)],
                team(),
                true,
                &["error:"],
            ),
            (
                "membership unknown",
                &["infra/main.tf"],
                vec![review(1, "carol", Approved, HEAD, T1)],
                None,
                false,
                &["info: infra approval not evaluated"],
            ),
            (
                "another team's members only",
                &["infra/main.tf"],
                vec![review(1, "carol", Approved, HEAD, T1)],
                Some(facts(&[("plasma-engine/web", members)], &[])),
                false,
                &[
                    "info: infra approval not evaluated: the input does not say who is in team `plasma-engine/infra`",
                ],
            ),
        ];
        for (name, files, reviews, infra, on_head, want) in cases {
            let f = judge(M, files, reviews, infra, on_head);
            let all: String = f
                .iter()
                .map(|f| format!("{}: {}", f.severity.as_str(), f.message))
                .collect::<Vec<_>>()
                .join(" | ");
            if want.is_empty() {
                assert!(f.is_empty(), "{name}: {all}");
            }
            for w in want {
                assert!(all.contains(w), "{name}: {all} lacks {w}");
            }
            assert!(f.iter().all(|f| f.rule == RULE && !f.hint.is_empty()), "{name}");
        }
    }

    #[test]
    fn unreadable_team_is_an_error_that_says_what_to_do() {
        let mut infra = facts(&[], &[]);
        infra.unreadable_teams.insert(TEAM.into(), "404 Not Found".into());
        let f = judge(ApproversFrom::Team, &["a.tf"], vec![], Some(infra), false);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, crate::Severity::Error);
        assert!(f[0].message.contains("404 Not Found"), "{}", f[0].message);
        assert!(f[0].hint.contains("Members: read"), "{}", f[0].hint);
    }

    #[test]
    fn unknown_files_or_reviews_are_not_evaluated() {
        let r = rule(ApproversFrom::Team);
        let cr = ReviewLoopRule::new(&CodeRabbitConfig::default());
        let a = ApprovalsConfig::default();
        let f = r.check(&pr(), &a, &cr);
        assert!(f[0].message.contains("no changed files"), "{f:?}");
        let mut p = pr();
        p.files = Some(vec![file("main.tf")]);
        let f = r.check(&p, &a, &cr);
        assert!(f[0].message.contains("no reviews"), "{f:?}");
        assert!(r.needs(&pr()).is_none());
    }

    #[test]
    fn codeowners_mode_table() {
        use ApproversFrom::Codeowners as M;
        let teams: &[(&str, &[&str])] =
            &[("plasma-engine/platform", &["erin"]), (TEAM, &["carol"])];
        type Case<'a> =
            (&'a str, &'a [&'a str], Vec<Review>, &'a [(&'a str, &'a [&'a str])], &'a [&'a str]);
        let cases: Vec<Case> = vec![
            (
                "user owner approves",
                &["infra/main.tf"],
                vec![review(1, "Frank", Approved, HEAD, T1)],
                &[("infra/main.tf", &["@frank"])],
                &[],
            ),
            (
                "team owner's member approves",
                &["infra/main.tf"],
                vec![review(1, "erin", Approved, HEAD, T1)],
                &[("infra/main.tf", &["@plasma-engine/platform", "ops@example.com"])],
                &[],
            ),
            (
                "each file needs its own owner",
                &["infra/main.tf", "charts/x/values.yaml"],
                vec![review(1, "erin", Approved, HEAD, T1)],
                &[
                    ("infra/main.tf", &["@plasma-engine/platform"]),
                    ("charts/x/values.yaml", &["@frank"]),
                ],
                &[
                    "error: infrastructure changed (`charts/x/values.yaml`) without an approval from its code owners (`@frank`)",
                ],
            ),
            (
                "an e-mail owner approves nothing",
                &["infra/main.tf"],
                vec![review(1, "ops", Approved, HEAD, T1)],
                &[("infra/main.tf", &["ops@example.com"])],
                &["error:", "`ops@example.com`"],
            ),
            (
                "a file without owner falls back to the team",
                &["infra/main.tf"],
                vec![review(1, "carol", Approved, HEAD, T1)],
                &[("infra/main.tf", &[])],
                &[],
            ),
            (
                "and without the team's approval fails naming it",
                &["infra/main.tf"],
                vec![review(1, "erin", Approved, HEAD, T1)],
                &[("infra/main.tf", &[])],
                &["error:", "`@plasma-engine/infra`"],
            ),
            (
                "owners not given",
                &["infra/main.tf"],
                vec![],
                &[],
                &[
                    "info: infra approval not evaluated: the input does not give the CODEOWNERS owners of `infra/main.tf`",
                ],
            ),
            (
                "a team owner nobody listed",
                &["infra/main.tf"],
                vec![review(1, "erin", Approved, HEAD, T1)],
                &[("infra/main.tf", &["@plasma-engine/secret"])],
                &["error: cannot tell who may approve", "error: infrastructure changed"],
            ),
        ];
        for (name, files, reviews, owners, want) in cases {
            let f = judge(M, files, reviews, Some(facts(teams, owners)), false);
            let all: String = f
                .iter()
                .map(|f| format!("{}: {}", f.severity.as_str(), f.message))
                .collect::<Vec<_>>()
                .join(" | ");
            if want.is_empty() {
                assert!(f.is_empty(), "{name}: {all}");
            }
            for w in want {
                assert!(all.contains(w), "{name}: {all} lacks {w}");
            }
        }
    }

    #[test]
    fn needs_and_teams_to_read() {
        let mut p = pr();
        p.files = Some(vec![file("app/x.py"), file("main.tf"), {
            let mut f = file("deploy/values.yaml");
            f.previous_path = Some("helm/values.yaml".into());
            f
        }]);
        let n = rule(ApproversFrom::Team).needs(&p).unwrap();
        assert_eq!(n.files, ["deploy/values.yaml", "main.tf"]);
        assert!(!n.codeowners);
        assert_eq!(n.team, TEAM);
        let r = rule(ApproversFrom::Codeowners);
        assert!(r.needs(&p).unwrap().codeowners);
        let owners: BTreeMap<String, Vec<String>> = [
            ("a".to_string(), vec!["@Plasma-Engine/Platform".to_string(), "@frank".to_string()]),
            ("b".to_string(), vec![]),
        ]
        .into_iter()
        .collect();
        assert_eq!(
            r.teams_to_read("plasma-engine/gateway", &owners),
            ["plasma-engine/infra", "plasma-engine/platform"]
        );
        p.files = Some(vec![file("app/x.py")]);
        assert!(r.needs(&p).is_none());
    }

    #[test]
    fn team_configuration() {
        let with =
            |team: &str| InfraRule::new(&InfraConfig { team: team.into(), ..Default::default() });
        assert_eq!(with("@Ops/Infra").unwrap().team_key("x/y"), "ops/infra");
        assert_eq!(with("infra").unwrap().team_key("Plasma/gw"), "plasma/infra");
        for bad in ["", "a b", "a/b/c", "/x"] {
            let e = with(bad).unwrap_err();
            assert_eq!(e.key, "infra.team", "{bad}");
        }
        let e = InfraRule::new(&InfraConfig { paths: vec!["a/[".into()], ..Default::default() })
            .unwrap_err();
        assert_eq!(e.key, "infra.paths[0]");
    }

    #[test]
    fn part_of_the_verdict_and_the_summary_and_overridable_by_rules() {
        use crate::{Policy, Severity, evaluate};
        let mut p = pr();
        p.files = Some(vec![file("envs/prod/main.tf")]);
        p.reviews = Some(vec![review(1, "alice", Approved, HEAD, T1)]);
        p.infra = Some(facts(&[(TEAM, &["carol"])], &[]));
        let with = |severity: &str| {
            let text = format!("rules:\n  infra-approval:\n    severity: {severity}\n");
            let src = plasma_config::ConfigSource { name: "plasma.yml", text: &text };
            Policy::new(plasma_config::load(None, Some(src)).unwrap().config).unwrap()
        };
        let v = evaluate(&p, &Policy::process_default().unwrap());
        let f: Vec<_> = v.findings.iter().filter(|f| f.rule == RULE).collect();
        assert_eq!(f.len(), 1, "{:?}", v.findings);
        assert_eq!(f[0].severity, Severity::Error);
        assert!(!v.ok);
        assert!(v.summary.contains("infra-approval"), "{}", v.summary);
        assert!(v.summary.contains("@plasma-engine/infra"), "{}", v.summary);
        let v = evaluate(&p, &with("warning"));
        assert!(v.findings.iter().any(|f| f.rule == RULE && f.severity == Severity::Warning));
        let v = evaluate(&p, &with("off"));
        assert!(v.findings.iter().all(|f| f.rule != RULE), "{:?}", v.findings);
        // A member's approval clears it.
        p.reviews = Some(vec![review(1, "carol", Approved, HEAD, T1)]);
        let v = evaluate(&p, &Policy::process_default().unwrap());
        assert!(v.findings.iter().all(|f| f.rule != RULE), "{:?}", v.findings);
    }
}

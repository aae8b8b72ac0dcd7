//! What the `infra-approval` rule needs from GitHub: the members of a team
//! (`GET /orgs/{org}/teams/{team_slug}/members`, every page, answered from the ETag cache when
//! unchanged) and the base branch's CODEOWNERS. The policy says what to read
//! ([`plasma_policy::rules::infra_approval::InfraRule::needs`]); this only reads it.

use plasma_audit::codeowners;
use plasma_policy::snapshot::InfraFacts;
use plasma_policy::{Policy, PrSnapshot, rule_id};

use super::route::route;
use super::{Call, GitHubClient, GitHubError, RepoClient, Shape};
use crate::model::Account;

impl RepoClient {
    /// Member logins of team `slug` of organisation `org` (all pages; child teams' members
    /// included, as GitHub lists them by default).
    pub async fn list_team_members(
        &self,
        org: &str,
        slug: &str,
    ) -> Result<Vec<String>, GitHubError> {
        // Scoped to this repository's installation: an App installed on the organisation reads
        // its teams with the installation's token (organisation permission Members: read).
        let call =
            Call::get(route("/orgs/{org}/teams/{team_slug}/members", &[org, slug]), self.scope());
        let members: Vec<Account> = self.client.list(call, Shape::Array).await?;
        Ok(members.into_iter().map(|a| a.login).collect())
    }
}

impl GitHubClient {
    /// Reads what `policy`'s `infra-approval` rule needs to judge `pr`: `None` when the rule is
    /// off or the pull request changes no infrastructure (nothing is read then). A team GitHub
    /// will not list (404, 403) is recorded with GitHub's answer for the rule to report; other
    /// failures are errors (the reconcile is retried).
    pub async fn fetch_infra_facts(
        &self,
        installation: Option<u64>,
        pr: &PrSnapshot,
        policy: &Policy,
    ) -> Result<Option<InfraFacts>, GitHubError> {
        if policy.is_off(rule_id::INFRA_APPROVAL) {
            return Ok(None);
        }
        let rule = policy.infra();
        let Some(needs) = rule.needs(pr) else { return Ok(None) };
        let rc = self.repo(installation, &pr.repository)?;
        let mut facts = InfraFacts::default();
        let teams = if needs.codeowners {
            for path in codeowners::LOCATIONS {
                if let Some(text) = rc.get_content(path, Some(&pr.base.name)).await? {
                    facts.owners =
                        codeowners::owners_of(path, &text, needs.files.iter().map(String::as_str));
                    facts.codeowners_path = Some(path.to_string());
                    break;
                }
            }
            if facts.codeowners_path.is_none() {
                // No CODEOWNERS: every file falls back to the configured team.
                facts.owners = needs.files.iter().map(|f| (f.clone(), Vec::new())).collect();
            }
            rule.teams_to_read(&pr.repository, &facts.owners)
        } else {
            vec![needs.team.clone()]
        };
        for team in teams {
            let Some((org, slug)) = team.split_once('/') else { continue };
            match rc.list_team_members(org, slug).await {
                Ok(members) => {
                    facts.teams.insert(team, members);
                }
                Err(e) if matches!(e.status(), Some(403 | 404)) => {
                    facts.unreadable_teams.insert(team, answer(&e));
                }
                Err(e) => return Err(e),
            }
        }
        Ok(Some(facts))
    }
}

/// GitHub's status and message, short: what the finding shows.
fn answer(e: &GitHubError) -> String {
    match e {
        GitHubError::Status { status, message, .. } => format!("{status} {message}"),
        other => other.to_string(),
    }
}

//! GitHub Projects (v2) through GraphQL: resolve a project, its status field and the field's
//! options by name; read an issue's cards and the pull requests that may carry its key (title
//! search and the issue's cross-references: see `graphql/board_issue.graphql`); add a card; set
//! its column; list a project's cards and a repository's open issues. REST has no Projects v2
//! API at all.
//!
//! An App's installation token cannot see a user-owned project: GitHub answers `projectV2: null`
//! (not an error), so [`ProjectLookup::Invisible`] is a result of its own, for the caller to
//! report rather than skip.

use plasma_config::board::{ProjectOwnerKind, ProjectRef};
use serde::Deserialize;
use serde_json::{Value, json};

use super::graphql::ops;
use super::{GitHubError, RepoClient};

/// A project with its status field resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectBoard {
    /// The project's node id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// Its URL.
    pub url: String,
    /// The status field's node id.
    pub field_id: String,
    /// The field's options: (option id, name), in the project's order.
    pub options: Vec<(String, String)>,
}

impl ProjectBoard {
    /// The id of the option called `name` (exact, as GitHub compares them).
    pub fn option_id(&self, name: &str) -> Option<&str> {
        self.options.iter().find(|(_, n)| n == name).map(|(id, _)| id.as_str())
    }

    /// The option names, for messages.
    pub fn option_names(&self) -> Vec<String> {
        self.options.iter().map(|(_, n)| n.clone()).collect()
    }
}

/// What looking a project up found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProjectLookup {
    /// The project and its field.
    Found(ProjectBoard),
    /// No project the credentials can see (a user's project read by an App, a wrong number,
    /// or an App without the organisation's Projects permission).
    Invisible,
    /// The project has no field of that name, or it is not single-select.
    NoSuchField {
        /// The project's title.
        title: String,
    },
}

#[derive(Deserialize)]
struct OwnerData {
    #[serde(default, alias = "user")]
    organization: Option<OwnerNode>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OwnerNode {
    #[serde(default)]
    project_v2: Option<ProjectNode>,
}

#[derive(Deserialize)]
struct ProjectNode {
    id: String,
    title: String,
    url: String,
    #[serde(default)]
    field: Option<FieldNode>,
}

#[derive(Deserialize)]
struct FieldNode {
    #[serde(rename = "__typename")]
    typename: String,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    options: Vec<OptionNode>,
}

#[derive(Deserialize)]
struct OptionNode {
    id: String,
    name: String,
}

/// An issue's card on one project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueCard {
    /// The item's node id.
    pub item_id: String,
    /// The project's node id.
    pub project_id: String,
    /// The status field's option name (`None`: not set).
    pub status: Option<String>,
}

/// A pull request found by searching for an issue's key, or cross-referencing the issue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyedPull {
    /// `owner/name`.
    pub repo: String,
    /// Its number.
    pub number: u64,
    /// Its title.
    pub title: String,
    /// Its head branch.
    pub branch: String,
    /// `OPEN`, `CLOSED` or `MERGED`.
    pub state: String,
    /// A draft.
    pub draft: bool,
    /// Reviewers requested (people and teams).
    pub review_requests: u64,
    /// Reviews submitted.
    pub reviews: u64,
}

/// An issue as the board needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardIssue {
    /// The issue's node id (the `contentId` of a card).
    pub id: String,
    /// Its title.
    pub title: String,
    /// `open` or `closed` (lowercase, as REST writes it).
    pub state: String,
    /// `completed`, `not_planned`, `duplicate` or `reopened` (lowercase), if any.
    pub state_reason: Option<String>,
    /// Its cards, on any project.
    pub cards: Vec<IssueCard>,
    /// Pull requests whose title mentions the key, or that cross-reference the issue (each once;
    /// the caller checks the key in their title or branch).
    pub pulls: Vec<KeyedPull>,
}

#[derive(Deserialize)]
struct BoardIssueData {
    repository: Option<RepoNode>,
    search: SearchNode,
}

#[derive(Deserialize)]
struct RepoNode {
    issue: Option<IssueNode>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct IssueNode {
    id: String,
    title: String,
    state: String,
    #[serde(default)]
    state_reason: Option<String>,
    project_items: Nodes<ItemNode>,
    #[serde(default)]
    timeline_items: Option<Nodes<Value>>,
}

#[derive(Deserialize)]
struct Nodes<T> {
    #[serde(default = "Vec::new")]
    nodes: Vec<Option<T>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ItemNode {
    id: String,
    project: IdNode,
    #[serde(default)]
    field_value_by_name: Option<ValueNode>,
}

#[derive(Deserialize)]
struct IdNode {
    id: String,
}

#[derive(Deserialize)]
struct ValueNode {
    #[serde(default)]
    name: Option<String>,
}

#[derive(Deserialize)]
struct SearchNode {
    #[serde(default)]
    nodes: Vec<Option<Value>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PullNode {
    number: u64,
    title: String,
    head_ref_name: String,
    state: String,
    is_draft: bool,
    repository: RepoName,
    review_requests: Count,
    reviews: Count,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RepoName {
    name_with_owner: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Count {
    total_count: u64,
}

/// One card of a project, for `board show`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectCard {
    /// The status option name (`None`: not set).
    pub status: Option<String>,
    /// `owner/name` of the issue's or pull request's repository (`None`: a draft item).
    pub repo: Option<String>,
    /// Its number.
    pub number: Option<u64>,
    /// Its title.
    pub title: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CardNode {
    #[serde(default)]
    field_value_by_name: Option<ValueNode>,
    #[serde(default)]
    content: Option<ContentNode>,
}

#[derive(Deserialize)]
struct ContentNode {
    #[serde(default)]
    number: Option<u64>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    repository: Option<RepoName>,
}

fn keyed(p: PullNode) -> KeyedPull {
    KeyedPull {
        repo: p.repository.name_with_owner,
        number: p.number,
        title: p.title,
        branch: p.head_ref_name,
        state: p.state,
        draft: p.is_draft,
        review_requests: p.review_requests.total_count,
        reviews: p.reviews.total_count,
    }
}

/// Whether a GraphQL error says GitHub found no such object (an organisation login that is a
/// user's, a missing repository).
fn not_found(e: &GitHubError) -> bool {
    matches!(e, GitHubError::GraphQl { errors, .. } if errors.iter().any(|m| m.ends_with("(NOT_FOUND)")))
}

impl RepoClient {
    /// The project and its single-select field `field`, by name. A project written `OWNER/N` is
    /// looked up as the organisation's, then as the user's.
    pub async fn project_board(
        &self,
        project: &ProjectRef,
        field: &str,
    ) -> Result<ProjectLookup, GitHubError> {
        let vars = json!({ "owner": project.owner, "number": project.number, "field": field });
        let org = match project.kind {
            ProjectOwnerKind::User => None,
            _ => match self.graphql::<OwnerData>(&ops::PROJECT_BOARD_ORG, vars.clone()).await {
                Ok(d) => Some(d),
                Err(e) if project.kind == ProjectOwnerKind::Unknown && not_found(&e) => None,
                Err(e) => return Err(e),
            },
        };
        let data = match org {
            Some(d) => d,
            None => match self.graphql::<OwnerData>(&ops::PROJECT_BOARD_USER, vars).await {
                Ok(d) => d,
                Err(e) if not_found(&e) => return Ok(ProjectLookup::Invisible),
                Err(e) => return Err(e),
            },
        };
        let Some(p) = data.organization.and_then(|o| o.project_v2) else {
            return Ok(ProjectLookup::Invisible);
        };
        match p.field {
            Some(f) if f.typename == "ProjectV2SingleSelectField" && f.id.is_some() => {
                Ok(ProjectLookup::Found(ProjectBoard {
                    id: p.id,
                    title: p.title,
                    url: p.url,
                    field_id: f.id.unwrap_or_default(),
                    options: f.options.into_iter().map(|o| (o.id, o.name)).collect(),
                }))
            }
            _ => Ok(ProjectLookup::NoSuchField { title: p.title }),
        }
    }

    /// Issue `number` of this repository with its cards (status field `field`) and the pull
    /// requests `search` finds; `None` when there is no such issue.
    pub async fn board_issue(
        &self,
        number: u64,
        field: &str,
        search: &str,
    ) -> Result<Option<BoardIssue>, GitHubError> {
        let vars = json!({
            "owner": self.owner(), "name": self.name, "number": number,
            "field": field, "search": search,
        });
        let data: BoardIssueData = match self.graphql(&ops::BOARD_ISSUE, vars).await {
            Ok(d) => d,
            Err(e) if not_found(&e) => return Ok(None),
            Err(e) => return Err(e),
        };
        let Some(issue) = data.repository.and_then(|r| r.issue) else { return Ok(None) };
        let cards = issue
            .project_items
            .nodes
            .into_iter()
            .flatten()
            .map(|i| IssueCard {
                item_id: i.id,
                project_id: i.project.id,
                status: i.field_value_by_name.and_then(|v| v.name),
            })
            .collect();
        // A cross-reference's source (or a connection's subject) may be an issue: only pull
        // requests are kept, as from the search, which answers issues and discussions too.
        let linked =
            issue.timeline_items.map(|t| t.nodes).unwrap_or_default().into_iter().flatten();
        let linked = linked.filter_map(|mut event| {
            let source = event.get_mut("source").map(Value::take);
            source.or_else(|| event.get_mut("subject").map(Value::take))
        });
        let mut pulls: Vec<KeyedPull> = Vec::new();
        for node in data.search.nodes.into_iter().flatten().chain(linked) {
            if node["__typename"] != "PullRequest" {
                continue;
            }
            let Ok(p) = serde_json::from_value::<PullNode>(node) else { continue };
            let repo = &p.repository.name_with_owner;
            if pulls.iter().any(|k| k.number == p.number && k.repo.eq_ignore_ascii_case(repo)) {
                continue;
            }
            pulls.push(keyed(p));
        }
        Ok(Some(BoardIssue {
            id: issue.id,
            title: issue.title,
            state: issue.state.to_ascii_lowercase(),
            state_reason: issue.state_reason.map(|s| s.to_ascii_lowercase()),
            cards,
            pulls,
        }))
    }

    /// Adds the issue (or pull request) `content` to the project; the card's item id.
    pub async fn add_project_item(
        &self,
        project: &str,
        content: &str,
    ) -> Result<String, GitHubError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Data {
            add_project_v2_item_by_id: Added,
        }
        #[derive(Deserialize)]
        struct Added {
            item: IdNode,
        }
        let vars = json!({ "project": project, "content": content });
        let d: Data = self.graphql(&ops::ADD_PROJECT_ITEM, vars).await?;
        Ok(d.add_project_v2_item_by_id.item.id)
    }

    /// Sets the card's single-select field to `option`.
    pub async fn set_project_item_status(
        &self,
        project: &str,
        item: &str,
        field: &str,
        option: &str,
    ) -> Result<(), GitHubError> {
        let vars = json!({ "project": project, "item": item, "field": field, "option": option });
        let _: Value = self.graphql(&ops::SET_PROJECT_ITEM_STATUS, vars).await?;
        Ok(())
    }

    /// Posts a status update on `project` (a project node id): `status` is one of GitHub's
    /// `ProjectV2StatusUpdateStatus` values (`ON_TRACK`, `AT_RISK`, `OFF_TRACK`, ...), `start` a
    /// date `YYYY-MM-DD`. Returns the update's node id.
    pub async fn create_project_status_update(
        &self,
        project: &str,
        status: &str,
        body: &str,
        start: &str,
    ) -> Result<String, GitHubError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Data {
            create_project_v2_status_update: Created,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Created {
            status_update: Update,
        }
        #[derive(Deserialize)]
        struct Update {
            id: String,
        }
        let vars = json!({ "project": project, "status": status, "body": body, "start": start });
        let d: Data = self.graphql(&ops::CREATE_PROJECT_STATUS_UPDATE, vars).await?;
        Ok(d.create_project_v2_status_update.status_update.id)
    }

    /// Pull request `number` of this repository as the board reads it; `None` when there is none.
    pub async fn keyed_pull(&self, number: u64) -> Result<Option<KeyedPull>, GitHubError> {
        #[derive(Deserialize)]
        struct Data {
            repository: Option<Repo>,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Repo {
            pull_request: Option<PullNode>,
        }
        let vars = json!({ "owner": self.owner(), "name": self.name, "number": number });
        let data: Data = match self.graphql(&ops::KEYED_PULL, vars).await {
            Ok(d) => d,
            Err(e) if not_found(&e) => return Ok(None),
            Err(e) => return Err(e),
        };
        Ok(data.repository.and_then(|r| r.pull_request).map(keyed))
    }

    /// The numbers of this repository's open issues (pull requests excluded), oldest first, in
    /// pages of 100 up to the client's page bound.
    pub async fn open_issue_numbers(&self) -> Result<Vec<u64>, GitHubError> {
        #[derive(Deserialize)]
        struct Numbered {
            number: u64,
        }
        let vars = json!({ "owner": self.owner(), "name": self.name });
        let nodes: Vec<Option<Numbered>> =
            self.graphql_nodes(&ops::OPEN_ISSUES, vars, &["repository", "issues"]).await?;
        Ok(nodes.into_iter().flatten().map(|n| n.number).collect())
    }

    /// Every card of the project (pages of 100, up to the page bound) with its `field` value.
    pub async fn project_items(
        &self,
        project: &str,
        field: &str,
    ) -> Result<Vec<ProjectCard>, GitHubError> {
        let vars = json!({ "project": project, "field": field });
        let nodes: Vec<CardNode> =
            self.graphql_nodes(&ops::PROJECT_ITEMS, vars, &["node", "items"]).await?;
        Ok(nodes
            .into_iter()
            .map(|n| {
                let c = n.content;
                ProjectCard {
                    status: n.field_value_by_name.and_then(|v| v.name),
                    repo: c
                        .as_ref()
                        .and_then(|c| c.repository.as_ref())
                        .map(|r| r.name_with_owner.clone()),
                    number: c.as_ref().and_then(|c| c.number),
                    title: c.and_then(|c| c.title),
                }
            })
            .collect())
    }
}

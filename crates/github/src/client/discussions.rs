//! GitHub Discussions, for ADR announcements: where one can be made (the repository's id and its
//! categories), the one made before (found by a marker in its body), and making one.
//!
//! GitHub answers a missing `discussions` permission, or a repository the installation cannot
//! see, with `NOT_FOUND` ("Could not resolve to a Repository") on the query and `FORBIDDEN`
//! ("Resource not accessible by integration") on the mutation; [`explain`] turns both into a
//! sentence that names the permission to grant.

use serde::Deserialize;
use serde_json::json;

use super::graphql::ops;
use super::{GitHubError, RepoClient};

/// A Discussion as plasma-ops remembers it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DiscussionRef {
    /// GraphQL node id.
    pub id: String,
    /// Its page.
    pub url: String,
    /// GitHub's creation time.
    pub created_at: jiff::Timestamp,
}

/// Where Discussions of a repository go, as the query found them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiscussionPlace {
    /// The repository and the category exist and Discussions are on; `existing` is the newest
    /// Discussion whose body carries the marker asked for, if any.
    Ready {
        /// The repository's node id.
        repository_id: String,
        /// The category's node id.
        category_id: String,
        /// The Discussion made before for this marker.
        existing: Option<DiscussionRef>,
    },
    /// The repository cannot be seen: it does not exist, or the App is not installed on it or
    /// lacks the `discussions` permission (GitHub does not say which).
    NoRepository,
    /// Discussions are turned off in the repository's settings.
    Disabled,
    /// No category of that name; the ones there are.
    NoCategory {
        /// The repository's category names.
        categories: Vec<String>,
    },
}

#[derive(Deserialize)]
struct PlaceData {
    repository: Option<RepositoryNode>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RepositoryNode {
    id: String,
    has_discussions_enabled: bool,
    discussion_categories: Nodes<Category>,
    discussions: Nodes<DiscussionNode>,
}

#[derive(Deserialize)]
#[serde(bound = "T: Deserialize<'de>")]
struct Nodes<T> {
    #[serde(default)]
    nodes: Vec<Option<T>>,
}

#[derive(Deserialize)]
struct Category {
    id: String,
    name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DiscussionNode {
    id: String,
    url: String,
    #[serde(default)]
    body: String,
    created_at: jiff::Timestamp,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateData {
    create_discussion: Option<CreatePayload>,
}

#[derive(Deserialize)]
struct CreatePayload {
    discussion: Option<DiscussionRef>,
}

fn graphql_error_of(e: &GitHubError, kind: &str) -> bool {
    matches!(e, GitHubError::GraphQl { errors, .. } if errors.iter().any(|m| m.ends_with(&format!("({kind})"))))
}

/// A sentence for an error of [`RepoClient::discussion_place`] or
/// [`RepoClient::create_discussion`] that says what to grant when GitHub's answer is its
/// misleading "not found" or "not accessible"; other errors as they are.
pub fn explain(repository: &str, e: &GitHubError) -> String {
    if graphql_error_of(e, "FORBIDDEN")
        || graphql_error_of(e, "NOT_FOUND")
        || e.status() == Some(403)
    {
        return format!(
            "GitHub refused to create a Discussion in {repository} (it answers a missing \
             permission as \"not found\" or \"Resource not accessible by integration\"): give the \
             GitHub App the `Discussions: Read and write` repository permission, accept it on the \
             installation, and make sure the App is installed on {repository} ({e})"
        );
    }
    e.to_string()
}

impl RepoClient {
    /// Where a Discussion in category `category` (by name, any case) of this repository would
    /// go, and the newest Discussion whose body contains `marker`.
    pub async fn discussion_place(
        &self,
        category: &str,
        marker: &str,
    ) -> Result<DiscussionPlace, GitHubError> {
        let vars = json!({ "owner": self.owner(), "name": self.name });
        let data: PlaceData = match self.graphql(&ops::ADR_DISCUSSIONS, vars).await {
            Ok(d) => d,
            Err(e) if graphql_error_of(&e, "NOT_FOUND") => {
                return Ok(DiscussionPlace::NoRepository);
            }
            Err(e) => return Err(e),
        };
        let Some(repo) = data.repository else { return Ok(DiscussionPlace::NoRepository) };
        if !repo.has_discussions_enabled {
            return Ok(DiscussionPlace::Disabled);
        }
        let categories: Vec<Category> =
            repo.discussion_categories.nodes.into_iter().flatten().collect();
        let Some(found) = categories.iter().find(|c| c.name.eq_ignore_ascii_case(category.trim()))
        else {
            return Ok(DiscussionPlace::NoCategory {
                categories: categories.into_iter().map(|c| c.name).collect(),
            });
        };
        let existing = repo
            .discussions
            .nodes
            .into_iter()
            .flatten()
            .find(|d| d.body.contains(marker))
            .map(|d| DiscussionRef { id: d.id, url: d.url, created_at: d.created_at });
        Ok(DiscussionPlace::Ready {
            repository_id: repo.id,
            category_id: found.id.clone(),
            existing,
        })
    }

    /// Creates a Discussion (a mutation: sent once; the caller looks for it before repeating).
    pub async fn create_discussion(
        &self,
        repository_id: &str,
        category_id: &str,
        title: &str,
        body: &str,
    ) -> Result<DiscussionRef, GitHubError> {
        let vars = json!({
            "repository": repository_id, "category": category_id, "title": title, "body": body,
        });
        let data: CreateData = self.graphql(&ops::CREATE_DISCUSSION, vars).await?;
        data.create_discussion.and_then(|c| c.discussion).ok_or_else(|| GitHubError::Decode {
            method: "POST".into(),
            path: "/graphql (CreateDiscussion)".into(),
            at: "data.createDiscussion.discussion".into(),
            detail: "missing, and no errors given".into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gql(kind: &str) -> GitHubError {
        GitHubError::GraphQl {
            path: "/graphql".into(),
            operation: "CreateDiscussion".into(),
            errors: vec![format!(
                "createDiscussion: Resource not accessible by integration ({kind})"
            )],
        }
    }

    #[test]
    fn a_refusal_names_the_permission_to_grant() {
        for kind in ["FORBIDDEN", "NOT_FOUND"] {
            let text = explain("o/d", &gql(kind));
            assert!(text.contains("`Discussions: Read and write`"), "{text}");
            assert!(text.contains("o/d"), "{text}");
        }
        let other = explain("o/d", &gql("INTERNAL"));
        assert!(!other.contains("Discussions: Read"), "{other}");
    }
}

//! The REST endpoints plasma-ops uses, with the write semantics the reconciler needs: "already
//! exists" and "already absent" are success, and a POST whose answer was lost is checked
//! (find-then-create) before it is repeated.

use std::time::Duration;

use base64::Engine as _;
use jiff::{SignedDuration, Timestamp};
use reqwest::Method;
use serde_json::json;

use super::route::{Route, route};
use super::types::{
    CheckRunInfo, ContentFile, PullCommit, PullFile, RateLimitOverview, ReviewInfo, StatusInfo,
};
use super::{Call, GitHubClient, GitHubError, Scope, Shape};
use crate::model::{Account, App, Comment, Installation, Issue, Label, PullRequest, Repository};

/// A comment found after a lost answer counts as ours only if GitHub dates it at most this long
/// before our first attempt (clock skew between us and GitHub).
const FIND_WINDOW: SignedDuration = SignedDuration::from_mins(5);

/// What [`RepoClient::create_label`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelOutcome {
    /// The label was created.
    Created,
    /// GitHub answered `already_exists`: nothing to do.
    AlreadyExists,
}

/// What [`RepoClient::remove_label`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemoveOutcome {
    /// The label was removed.
    Removed,
    /// GitHub answered 404: the label was not on the issue (any more).
    AlreadyAbsent,
}

/// What [`RepoClient::add_labels`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddLabelsOutcome {
    /// GitHub confirmed the labels.
    Added,
    /// The answer was lost; re-reading the labels showed they were all there.
    Recovered,
}

/// What [`RepoClient::create_comment`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentOutcome {
    /// The comment (as created, or as found after a lost answer).
    pub comment: Comment,
    /// The answer was lost and the comment was found by re-reading the comments.
    pub recovered: bool,
}

/// Calls on one repository.
#[derive(Debug, Clone)]
pub struct RepoClient {
    pub(super) client: GitHubClient,
    installation: Option<u64>,
    owner: String,
    pub(super) name: String,
}

/// The first `<!-- plasma-ops:... -->` marker of a body.
fn marker_of(body: &str) -> Option<&str> {
    let start = body.find("<!-- plasma-ops:")?;
    let len = body[start..].find("-->")? + 3;
    Some(&body[start..start + len])
}

impl RepoClient {
    pub(crate) fn new(
        client: GitHubClient,
        installation: Option<u64>,
        owner: &str,
        name: &str,
    ) -> Self {
        RepoClient { client, installation, owner: owner.to_string(), name: name.to_string() }
    }

    /// `owner/name`.
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.owner, self.name)
    }

    /// The owner.
    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// The installation given, if any.
    pub fn installation(&self) -> Option<u64> {
        self.installation
    }

    pub(super) fn scope(&self) -> Scope<'_> {
        Scope::Repo { installation: self.installation, owner: &self.owner, name: &self.name }
    }

    /// A route under `/repos/{owner}/{repo}` with the remaining parameters.
    pub(super) fn route(&self, template: &'static str, params: &[&str]) -> Route {
        let mut all: Vec<&str> = vec![&self.owner, &self.name];
        all.extend_from_slice(params);
        route(template, &all)
    }

    fn get(&self, template: &'static str, params: &[&str]) -> Call<'_> {
        Call::get(self.route(template, params), self.scope())
    }

    /// `GET /repos/{owner}/{repo}/pulls/{pull_number}`.
    pub async fn get_pull(&self, number: u64) -> Result<PullRequest, GitHubError> {
        let n = number.to_string();
        self.client.fetch(self.get("/repos/{owner}/{repo}/pulls/{pull_number}", &[&n])).await
    }

    /// Every file of a pull request (GitHub lists at most 3,000).
    pub async fn list_pull_files(&self, number: u64) -> Result<Vec<PullFile>, GitHubError> {
        let n = number.to_string();
        let call = self.get("/repos/{owner}/{repo}/pulls/{pull_number}/files", &[&n]);
        self.client.list(call, Shape::Array).await
    }

    /// Every review of a pull request.
    pub async fn list_pull_reviews(&self, number: u64) -> Result<Vec<ReviewInfo>, GitHubError> {
        let n = number.to_string();
        let call = self.get("/repos/{owner}/{repo}/pulls/{pull_number}/reviews", &[&n]);
        self.client.list(call, Shape::Array).await
    }

    /// Every commit of a pull request (GitHub lists at most 250).
    pub async fn list_pull_commits(&self, number: u64) -> Result<Vec<PullCommit>, GitHubError> {
        let n = number.to_string();
        let call = self.get("/repos/{owner}/{repo}/pulls/{pull_number}/commits", &[&n]);
        self.client.list(call, Shape::Array).await
    }

    /// Check runs of a commit (SHA, branch or tag).
    pub async fn list_check_runs(&self, git_ref: &str) -> Result<Vec<CheckRunInfo>, GitHubError> {
        let call = self.get("/repos/{owner}/{repo}/commits/{ref}/check-runs", &[git_ref]);
        self.client.list(call, Shape::Field("check_runs")).await
    }

    /// Commit statuses of a commit, newest first.
    pub async fn list_statuses(&self, git_ref: &str) -> Result<Vec<StatusInfo>, GitHubError> {
        let call = self.get("/repos/{owner}/{repo}/commits/{ref}/statuses", &[git_ref]);
        self.client.list(call, Shape::Array).await
    }

    /// Pull requests that contain a commit (for `status` and `check_*` events).
    pub async fn pulls_for_commit(&self, sha: &str) -> Result<Vec<PullRequest>, GitHubError> {
        let call = self.get("/repos/{owner}/{repo}/commits/{commit_sha}/pulls", &[sha]);
        self.client.list(call, Shape::Array).await
    }

    /// Open pull requests (for the sweep).
    pub async fn list_open_pulls(&self) -> Result<Vec<PullRequest>, GitHubError> {
        let call = self.get("/repos/{owner}/{repo}/pulls", &[]).query("state", "open");
        self.client.list(call, Shape::Array).await
    }

    /// Labels defined in the repository.
    pub async fn list_labels(&self) -> Result<Vec<Label>, GitHubError> {
        self.client.list(self.get("/repos/{owner}/{repo}/labels", &[]), Shape::Array).await
    }

    /// Labels on an issue or pull request.
    pub async fn list_issue_labels(&self, number: u64) -> Result<Vec<Label>, GitHubError> {
        let n = number.to_string();
        let call = self.get("/repos/{owner}/{repo}/issues/{issue_number}/labels", &[&n]);
        self.client.list(call, Shape::Array).await
    }

    /// Creates a label; one that exists already is success. Safe to repeat, so it is retried.
    pub async fn create_label(
        &self,
        name: &str,
        color: &str,
        description: &str,
    ) -> Result<LabelOutcome, GitHubError> {
        // GitHub wants the colour without `#` and at most 100 characters of description.
        let color = color.trim_start_matches('#');
        let description: String = description.chars().take(100).collect();
        let call =
            Call::new(Method::POST, self.route("/repos/{owner}/{repo}/labels", &[]), self.scope())
                .json(json!({ "name": name, "color": color, "description": description }))
                .retry_safe();
        match self.client.send(call).await {
            Ok(_) => Ok(LabelOutcome::Created),
            Err(e) if e.status() == Some(422) && e.has_code("already_exists") => {
                Ok(LabelOutcome::AlreadyExists)
            }
            Err(e) => Err(e),
        }
    }

    /// Adds labels to an issue or pull request. On a lost answer the labels are re-read before
    /// the request is repeated.
    pub async fn add_labels(
        &self,
        number: u64,
        labels: &[String],
    ) -> Result<AddLabelsOutcome, GitHubError> {
        if labels.is_empty() {
            return Ok(AddLabelsOutcome::Added);
        }
        let n = number.to_string();
        let max = self.client.config().max_retries;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let call = Call::new(
                Method::POST,
                self.route("/repos/{owner}/{repo}/issues/{issue_number}/labels", &[&n]),
                self.scope(),
            )
            .json(json!({ "labels": labels }));
            match self.client.send(call).await {
                Ok(_) => return Ok(AddLabelsOutcome::Added),
                Err(e) if e.answer_lost() && attempt <= max => {
                    let have = self.list_issue_labels(number).await?;
                    if labels.iter().all(|l| have.iter().any(|h| &h.name == l)) {
                        tracing::info!(repo = %self.full_name(), number, "labels found after a lost answer; not adding again");
                        return Ok(AddLabelsOutcome::Recovered);
                    }
                    self.pause(attempt, &e).await;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Removes a label from an issue or pull request; a label that is not there is success.
    pub async fn remove_label(
        &self,
        number: u64,
        name: &str,
    ) -> Result<RemoveOutcome, GitHubError> {
        let n = number.to_string();
        let call = Call::new(
            Method::DELETE,
            self.route("/repos/{owner}/{repo}/issues/{issue_number}/labels/{name}", &[&n, name]),
            self.scope(),
        );
        match self.client.send(call).await {
            Ok(_) => Ok(RemoveOutcome::Removed),
            Err(e) if e.is_not_found() => Ok(RemoveOutcome::AlreadyAbsent),
            Err(e) => Err(e),
        }
    }

    /// Every comment of an issue or pull request, oldest first.
    pub async fn list_issue_comments(&self, number: u64) -> Result<Vec<Comment>, GitHubError> {
        let n = number.to_string();
        let call = self.get("/repos/{owner}/{repo}/issues/{issue_number}/comments", &[&n]);
        self.client.list(call, Shape::Array).await
    }

    /// Creates a comment. On a lost answer the comments are re-read first: one carrying the same
    /// `<!-- plasma-ops:... -->` marker (or, without a marker, the same body), made since shortly
    /// before the first attempt, means the comment was created and is not posted again.
    pub async fn create_comment(
        &self,
        number: u64,
        body: &str,
    ) -> Result<CommentOutcome, GitHubError> {
        let n = number.to_string();
        let started = Timestamp::now();
        let max = self.client.config().max_retries;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let call = Call::new(
                Method::POST,
                self.route("/repos/{owner}/{repo}/issues/{issue_number}/comments", &[&n]),
                self.scope(),
            )
            .json(json!({ "body": body }));
            match self.client.fetch::<Comment>(call).await {
                Ok(comment) => return Ok(CommentOutcome { comment, recovered: false }),
                Err(e) if e.answer_lost() && attempt <= max => {
                    if let Some(comment) = self.find_comment(number, body, started).await? {
                        tracing::info!(repo = %self.full_name(), number, comment = comment.id, "comment found after a lost answer; not posting again");
                        return Ok(CommentOutcome { comment, recovered: true });
                    }
                    self.pause(attempt, &e).await;
                }
                Err(e) => return Err(e),
            }
        }
    }

    async fn find_comment(
        &self,
        number: u64,
        body: &str,
        started: Timestamp,
    ) -> Result<Option<Comment>, GitHubError> {
        let since = started - FIND_WINDOW;
        let marker = marker_of(body);
        let comments = self.list_issue_comments(number).await?;
        Ok(comments.into_iter().rev().find(|c| {
            let same = match marker {
                Some(m) => c.body.contains(m),
                None => c.body.trim_end() == body.trim_end(),
            };
            same && c.created_at.is_none_or(|t| t >= since)
        }))
    }

    async fn pause(&self, attempt: u32, err: &GitHubError) {
        let delay = self.client.backoff(attempt);
        tracing::warn!(attempt, delay_ms = delay.as_millis() as u64, error = %err, "write answer lost; checked, will repeat");
        tokio::time::sleep(delay.min(Duration::from_secs(30))).await;
    }

    /// Edits a comment in place.
    pub async fn update_comment(&self, id: u64, body: &str) -> Result<Comment, GitHubError> {
        let id = id.to_string();
        let call = Call::new(
            Method::PATCH,
            self.route("/repos/{owner}/{repo}/issues/comments/{comment_id}", &[&id]),
            self.scope(),
        )
        .json(json!({ "body": body }));
        self.client.fetch(call).await
    }

    /// Sets a commit status. Repeating it only adds an identical entry (GitHub shows the newest
    /// per context), so it is retried like an idempotent request.
    pub async fn create_status(
        &self,
        sha: &str,
        state: &str,
        context: &str,
        description: &str,
        target_url: Option<&str>,
    ) -> Result<StatusInfo, GitHubError> {
        let description: String = description.chars().take(140).collect();
        let mut body = json!({ "state": state, "context": context, "description": description });
        if let Some(url) = target_url {
            body["target_url"] = json!(url);
        }
        let call = Call::new(
            Method::POST,
            self.route("/repos/{owner}/{repo}/statuses/{sha}", &[sha]),
            self.scope(),
        )
        .json(body)
        .retry_safe();
        self.client.fetch(call).await
    }

    /// A text file at a ref (the default branch when `None`); `None` when it does not exist.
    pub async fn get_content(
        &self,
        path: &str,
        git_ref: Option<&str>,
    ) -> Result<Option<String>, GitHubError> {
        let absent_key = format!("{}:{path}@{}", self.full_name(), git_ref.unwrap_or(""));
        if self.client.known_absent(&absent_key) {
            return Ok(None);
        }
        let text = self.get_content_fresh(path, git_ref).await?;
        if text.is_none() {
            self.client.remember_absent(absent_key);
        }
        Ok(text)
    }

    /// [`RepoClient::get_content`] without the memory of absent files: GitHub is asked every
    /// time (conditionally, so an unchanged file costs a free 304), for a caller that keeps the
    /// answer itself and knows when it changes (the service's configuration cache).
    pub async fn get_content_fresh(
        &self,
        path: &str,
        git_ref: Option<&str>,
    ) -> Result<Option<String>, GitHubError> {
        let mut call = self.get("/repos/{owner}/{repo}/contents/{path}", &[path]);
        if let Some(r) = git_ref {
            call = call.query("ref", r);
        }
        let value: serde_json::Value = match self.client.fetch(call).await {
            Ok(v) => v,
            Err(e) if e.is_not_found() => return Ok(None),
            Err(e) => return Err(e),
        };
        let content_error = |detail: String| GitHubError::Content {
            repo: self.full_name(),
            file: path.to_string(),
            git_ref: git_ref.unwrap_or("the default branch").to_string(),
            detail,
        };
        if value.is_array() {
            return Err(content_error("is a directory; expected a file".into()));
        }
        let file: ContentFile = serde_json::from_value(value)
            .map_err(|e| content_error(format!("unexpected contents answer: {e}")))?;
        if file.kind != "file" {
            return Err(content_error(format!("is a {}, not a regular file", file.kind)));
        }
        if file.encoding.as_deref() != Some("base64") {
            return Err(content_error(format!(
                "GitHub did not send its content ({} bytes; files over 1 MB are not served); \
                 keep configuration files small",
                file.size
            )));
        }
        let packed: String =
            file.content.unwrap_or_default().chars().filter(|c| !c.is_ascii_whitespace()).collect();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(packed)
            .map_err(|e| content_error(format!("its base64 content does not decode: {e}")))?;
        String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| content_error("is not UTF-8 text; save it as UTF-8".into()))
    }

    /// `GET /repos/{owner}/{repo}/issues/{issue_number}`.
    pub async fn get_issue(&self, number: u64) -> Result<Issue, GitHubError> {
        let n = number.to_string();
        self.client.fetch(self.get("/repos/{owner}/{repo}/issues/{issue_number}", &[&n])).await
    }
}

impl GitHubClient {
    /// Repositories an installation can see (with a token: the token's installation, if it is
    /// an installation token).
    pub async fn installation_repositories(
        &self,
        installation: Option<u64>,
    ) -> Result<Vec<Repository>, GitHubError> {
        let call =
            Call::get(route("/installation/repositories", &[]), Scope::Installation(installation));
        self.list(call, Shape::Field("repositories")).await
    }

    /// `GET /app` (App authentication, a JWT): the App itself.
    pub async fn get_app(&self) -> Result<App, GitHubError> {
        self.fetch(Call::get(route("/app", &[]), Scope::App)).await
    }

    /// `GET /user` (a user's token): whom the token belongs to. An installation token gets 403.
    pub async fn get_authenticated_user(&self) -> Result<Account, GitHubError> {
        self.fetch(Call::get(route("/user", &[]), Scope::App)).await
    }

    /// The login plasma-ops's writes appear under, learned from GitHub once and then cached for
    /// the client's life: `<slug>[bot]` of `GET /app` with App credentials, the `login` of
    /// `GET /user` with a token. An error is returned, not cached, so the caller can retry.
    pub async fn login(&self) -> Result<String, GitHubError> {
        let learned = self
            .inner
            .login
            .get_or_try_init(|| async {
                if self.is_app() {
                    let app = self.get_app().await?;
                    match app.slug.filter(|s| !s.trim().is_empty()) {
                        Some(slug) => Ok(format!("{slug}[bot]")),
                        None => Err(GitHubError::Decode {
                            method: "GET".into(),
                            path: "/app".into(),
                            at: "slug".into(),
                            detail: "GitHub named no slug for the App".into(),
                        }),
                    }
                } else {
                    Ok(self.get_authenticated_user().await?.login)
                }
            })
            .await?;
        Ok(learned.clone())
    }

    /// The App's installations (App authentication only).
    pub async fn app_installations(&self) -> Result<Vec<Installation>, GitHubError> {
        self.list(Call::get(route("/app/installations", &[]), Scope::App), Shape::Array).await
    }

    /// `GET /rate_limit` (free): the budgets of an installation, or of the App or token.
    pub async fn rate_limit(
        &self,
        installation: Option<u64>,
    ) -> Result<RateLimitOverview, GitHubError> {
        let scope = match installation {
            Some(id) => Scope::Installation(Some(id)),
            None => Scope::App,
        };
        let mut call = Call::get(route("/rate_limit", &[]), scope);
        call.floor_exempt = true;
        self.fetch(call).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_are_found() {
        assert_eq!(
            marker_of("x\n<!-- plasma-ops:summary -->\nbody"),
            Some("<!-- plasma-ops:summary -->")
        );
        assert_eq!(
            marker_of("@coderabbitai review\n\n<!-- plasma-ops:rereview sha=abc -->"),
            Some("<!-- plasma-ops:rereview sha=abc -->")
        );
        assert_eq!(marker_of("plain"), None);
        assert_eq!(marker_of("<!-- plasma-ops:unterminated"), None);
    }
}

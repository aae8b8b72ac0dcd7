//! GitHub's JSON objects, built to satisfy the official OpenAPI description (checked through Prism
//! by `tests/contract.rs`; the spec's own examples are not copied because some fail its schemas).

use base64::Engine as _;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Value, json};

use crate::model::{FakeCommit, FakeFile};
use crate::state::{
    CheckRunRec, CommentRec, IssueRec, LabelRec, PullRec, Rate, Repo, ReviewRec, StatusRec,
    fake_sha, iso, user_id,
};

/// Where the web pages live (never requested by clients; only has to be a valid URI).
const HTML: &str = "https://github.com";

/// Characters kept as they are in a path segment.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');
/// Characters kept as they are in a path of several segments.
const PATH: &AsciiSet = &SEGMENT.remove(b'/');

/// Percent-encodes one path segment (a login with `[bot]`, a label with a space or `/`).
pub(crate) fn seg(s: &str) -> String {
    utf8_percent_encode(s, SEGMENT).to_string()
}

/// Percent-encodes a path but keeps its slashes (file names).
pub(crate) fn path(s: &str) -> String {
    utf8_percent_encode(s, PATH).to_string()
}

/// Builds objects with URLs under one API base.
pub(crate) struct Objects<'a> {
    pub api: &'a str,
}

impl Objects<'_> {
    /// `simple-user`; logins ending in `[bot]` are Bots, `owner_type` applies otherwise.
    pub(crate) fn user_of_type(&self, login: &str, owner_type: &str) -> Value {
        let api = self.api;
        let id = user_id(login);
        let l = seg(login);
        let kind = if login.ends_with("[bot]") { "Bot" } else { owner_type };
        json!({
            "login": login,
            "id": id,
            "node_id": format!("MDQ6VXNlcj{id}"),
            "avatar_url": format!("https://avatars.githubusercontent.com/u/{id}?v=4"),
            "gravatar_id": "",
            "url": format!("{api}/users/{l}"),
            "html_url": format!("{HTML}/{l}"),
            "followers_url": format!("{api}/users/{l}/followers"),
            "following_url": format!("{api}/users/{l}/following{{/other_user}}"),
            "gists_url": format!("{api}/users/{l}/gists{{/gist_id}}"),
            "starred_url": format!("{api}/users/{l}/starred{{/owner}}{{/repo}}"),
            "subscriptions_url": format!("{api}/users/{l}/subscriptions"),
            "organizations_url": format!("{api}/users/{l}/orgs"),
            "repos_url": format!("{api}/users/{l}/repos"),
            "events_url": format!("{api}/users/{l}/events{{/privacy}}"),
            "received_events_url": format!("{api}/users/{l}/received_events"),
            "type": kind,
            "user_view_type": "public",
            "site_admin": false
        })
    }

    /// `private-user`: the authenticated user of `GET /user`, as the owner of a token sees itself.
    pub(crate) fn authenticated_user(&self, login: &str) -> Value {
        let mut user = self.user(login);
        let extra = json!({
            "user_view_type": "private",
            "name": null,
            "company": null,
            "blog": "",
            "location": null,
            "email": null,
            "hireable": null,
            "bio": null,
            "twitter_username": null,
            "public_repos": 0,
            "public_gists": 0,
            "followers": 0,
            "following": 0,
            "created_at": "2020-01-01T00:00:00Z",
            "updated_at": "2026-01-01T00:00:00Z",
            "private_gists": 0,
            "total_private_repos": 0,
            "owned_private_repos": 0,
            "disk_usage": 0,
            "collaborators": 0,
            "two_factor_authentication": true
        });
        if let (Some(u), Some(e)) = (user.as_object_mut(), extra.as_object()) {
            u.extend(e.clone());
        }
        user
    }

    /// `integration`: the App itself, as `GET /app` shows it to the App.
    pub(crate) fn integration(&self, slug: &str) -> Value {
        let id = user_id(slug) % 100_000;
        json!({
            "id": id,
            "slug": slug,
            "node_id": format!("MDM6QXBw{id}"),
            "client_id": format!("Iv1.{:016x}", id),
            "owner": self.user_of_type("plasma-engine", "Organization"),
            "name": slug,
            "description": "The Plasma Engine DevOps process, enforced",
            "external_url": "https://plasma-ops.example.com",
            "html_url": format!("{HTML}/apps/{}", seg(slug)),
            "created_at": "2026-01-01T00:00:00Z",
            "updated_at": "2026-01-01T00:00:00Z",
            "permissions": {
                "checks": "write",
                "contents": "read",
                "issues": "write",
                "metadata": "read",
                "pull_requests": "write",
                "statuses": "write"
            },
            "events": ["check_run", "issues", "pull_request", "pull_request_review", "status"],
            "installations_count": 1
        })
    }

    /// `simple-user` of a person (or a bot, by its `[bot]` suffix).
    pub(crate) fn user(&self, login: &str) -> Value {
        self.user_of_type(login, "User")
    }

    /// `repository` (the full one that pull requests and installations embed).
    pub(crate) fn repository(&self, repo: &Repo) -> Value {
        let api = self.api;
        let full = format!("{}/{}", seg(&repo.owner), seg(&repo.name));
        let r = format!("{api}/repos/{full}");
        let created = iso(repo.created_at);
        json!({
            "id": repo.id,
            "node_id": format!("R_kgDO{:08}", repo.id),
            "name": repo.name,
            "full_name": repo.full_name(),
            "private": true,
            "owner": self.user_of_type(&repo.owner, "Organization"),
            "html_url": format!("{HTML}/{full}"),
            "description": null,
            "fork": false,
            "url": r,
            "archive_url": format!("{r}/{{archive_format}}{{/ref}}"),
            "assignees_url": format!("{r}/assignees{{/user}}"),
            "blobs_url": format!("{r}/git/blobs{{/sha}}"),
            "branches_url": format!("{r}/branches{{/branch}}"),
            "collaborators_url": format!("{r}/collaborators{{/collaborator}}"),
            "comments_url": format!("{r}/comments{{/number}}"),
            "commits_url": format!("{r}/commits{{/sha}}"),
            "compare_url": format!("{r}/compare/{{base}}...{{head}}"),
            "contents_url": format!("{r}/contents/{{+path}}"),
            "contributors_url": format!("{r}/contributors"),
            "deployments_url": format!("{r}/deployments"),
            "downloads_url": format!("{r}/downloads"),
            "events_url": format!("{r}/events"),
            "forks_url": format!("{r}/forks"),
            "git_commits_url": format!("{r}/git/commits{{/sha}}"),
            "git_refs_url": format!("{r}/git/refs{{/sha}}"),
            "git_tags_url": format!("{r}/git/tags{{/sha}}"),
            "git_url": format!("git://github.com/{full}.git"),
            "hooks_url": format!("{r}/hooks"),
            "issue_comment_url": format!("{r}/issues/comments{{/number}}"),
            "issue_events_url": format!("{r}/issues/events{{/number}}"),
            "issues_url": format!("{r}/issues{{/number}}"),
            "keys_url": format!("{r}/keys{{/key_id}}"),
            "labels_url": format!("{r}/labels{{/name}}"),
            "languages_url": format!("{r}/languages"),
            "merges_url": format!("{r}/merges"),
            "milestones_url": format!("{r}/milestones{{/number}}"),
            "notifications_url": format!("{r}/notifications{{?since,all,participating}}"),
            "pulls_url": format!("{r}/pulls{{/number}}"),
            "releases_url": format!("{r}/releases{{/id}}"),
            "ssh_url": format!("git@github.com:{full}.git"),
            "stargazers_url": format!("{r}/stargazers"),
            "statuses_url": format!("{r}/statuses/{{sha}}"),
            "subscribers_url": format!("{r}/subscribers"),
            "subscription_url": format!("{r}/subscription"),
            "tags_url": format!("{r}/tags"),
            "teams_url": format!("{r}/teams"),
            "trees_url": format!("{r}/git/trees{{/sha}}"),
            "clone_url": format!("{HTML}/{full}.git"),
            "mirror_url": null,
            "svn_url": format!("{HTML}/{full}"),
            "homepage": null,
            "language": "Rust",
            "forks_count": 0,
            "forks": 0,
            "stargazers_count": 0,
            "watchers_count": 0,
            "watchers": 0,
            "size": 1024,
            "default_branch": repo.default_branch,
            "open_issues_count": repo.issues.values().filter(|i| i.state == "open").count(),
            "open_issues": repo.issues.values().filter(|i| i.state == "open").count(),
            "is_template": false,
            "topics": [],
            "has_issues": true,
            "has_projects": false,
            "has_wiki": false,
            "has_pages": false,
            "has_downloads": true,
            "has_discussions": false,
            "archived": false,
            "disabled": false,
            "visibility": "private",
            "license": null,
            "allow_forking": false,
            "web_commit_signoff_required": false,
            "pushed_at": created,
            "created_at": created,
            "updated_at": created
        })
    }

    /// `label`.
    pub(crate) fn label(&self, repo: &Repo, label: &LabelRec) -> Value {
        json!({
            "id": label.id,
            "node_id": format!("LA_kwDO{:08}", label.id),
            "url": format!("{}/repos/{}/{}/labels/{}", self.api, seg(&repo.owner), seg(&repo.name), seg(&label.name)),
            "name": label.name,
            "color": label.color,
            "default": label.default,
            "description": label.description
        })
    }

    /// The labels of an issue as full `label` objects, in the issue's order.
    pub(crate) fn issue_labels(&self, repo: &Repo, issue: &IssueRec) -> Vec<Value> {
        issue
            .labels
            .iter()
            .filter_map(|name| repo.label(name))
            .map(|l| self.label(repo, l))
            .collect()
    }

    fn repo_url(&self, repo: &Repo) -> String {
        format!("{}/repos/{}/{}", self.api, seg(&repo.owner), seg(&repo.name))
    }

    fn html_repo(repo: &Repo) -> String {
        format!("{HTML}/{}/{}", seg(&repo.owner), seg(&repo.name))
    }

    /// `pull-request` (`full`) or `pull-request-simple` (lists).
    pub(crate) fn pull(&self, repo: &Repo, issue: &IssueRec, pull: &PullRec, full: bool) -> Value {
        let r = self.repo_url(repo);
        let h = Self::html_repo(repo);
        let n = issue.number;
        let mut labels = self.issue_labels(repo, issue);
        if !full {
            // pull-request-simple declares a label's description a non-nullable string.
            for l in &mut labels {
                if l["description"].is_null() {
                    l["description"] = json!("");
                }
            }
        }
        let repo_json = self.repository(repo);
        let base_sha = repo.branches.get(&pull.base_ref).cloned().unwrap_or_default();
        let merged = pull.merged_at.is_some();
        let mut v = json!({
            "url": format!("{r}/pulls/{n}"),
            "id": pull.id,
            "node_id": format!("PR_kwDO{:08}", pull.id),
            "html_url": format!("{h}/pull/{n}"),
            "diff_url": format!("{h}/pull/{n}.diff"),
            "patch_url": format!("{h}/pull/{n}.patch"),
            "issue_url": format!("{r}/issues/{n}"),
            "commits_url": format!("{r}/pulls/{n}/commits"),
            "review_comments_url": format!("{r}/pulls/{n}/comments"),
            "review_comment_url": format!("{r}/pulls/comments{{/number}}"),
            "comments_url": format!("{r}/issues/{n}/comments"),
            "statuses_url": format!("{r}/statuses/{}", pull.head_sha),
            "number": n,
            "state": issue.state,
            "locked": false,
            "title": issue.title,
            "user": self.user(&issue.user),
            "body": issue.body,
            "labels": labels,
            "milestone": null,
            "active_lock_reason": null,
            "created_at": iso(issue.created_at),
            "updated_at": iso(issue.updated_at),
            "closed_at": issue.closed_at.map(iso),
            "merged_at": pull.merged_at.map(iso),
            "merge_commit_sha": if merged { Some(pull.merge_commit()) } else { None },
            "assignee": issue.assignees.first().map(|a| self.user(a)),
            "assignees": issue.assignees.iter().map(|a| self.user(a)).collect::<Vec<_>>(),
            "requested_reviewers": [],
            "requested_teams": [],
            "head": {
                "label": format!("{}:{}", repo.owner, pull.head_ref),
                "ref": pull.head_ref,
                "sha": pull.head_sha,
                "user": self.user_of_type(&repo.owner, "Organization"),
                "repo": repo_json.clone()
            },
            "base": {
                "label": format!("{}:{}", repo.owner, pull.base_ref),
                "ref": pull.base_ref,
                "sha": base_sha,
                "user": self.user_of_type(&repo.owner, "Organization"),
                "repo": repo_json
            },
            "_links": {
                "self": {"href": format!("{r}/pulls/{n}")},
                "html": {"href": format!("{h}/pull/{n}")},
                "issue": {"href": format!("{r}/issues/{n}")},
                "comments": {"href": format!("{r}/issues/{n}/comments")},
                "review_comments": {"href": format!("{r}/pulls/{n}/comments")},
                "review_comment": {"href": format!("{r}/pulls/comments{{/number}}")},
                "commits": {"href": format!("{r}/pulls/{n}/commits")},
                "statuses": {"href": format!("{r}/statuses/{}", pull.head_sha)}
            },
            "author_association": issue.author_association,
            "auto_merge": null,
            "draft": pull.draft
        });
        if full {
            let comments = repo.comments.iter().filter(|c| c.issue == n).count();
            let additions: u64 = pull.files.iter().map(|f| f.additions).sum();
            let deletions: u64 = pull.files.iter().map(|f| f.deletions).sum();
            let extra = json!({
                "merged": merged,
                "mergeable": if issue.state == "open" { Some(true) } else { None },
                "rebaseable": if issue.state == "open" { Some(true) } else { None },
                "mergeable_state": if issue.state == "open" { "clean" } else { "unknown" },
                "merged_by": if merged { self.user(&issue.user) } else { Value::Null },
                "comments": comments,
                "review_comments": 0,
                "maintainer_can_modify": false,
                "commits": pull.commits.len().max(1),
                "additions": additions,
                "deletions": deletions,
                "changed_files": pull.files.len()
            });
            if let (Some(obj), Value::Object(extra)) = (v.as_object_mut(), extra) {
                obj.extend(extra);
            }
        }
        v
    }

    /// `pull-request-minimal` (what check runs list).
    pub(crate) fn pull_minimal(&self, repo: &Repo, issue: &IssueRec, pull: &PullRec) -> Value {
        let r = self.repo_url(repo);
        let repo_min = json!({"id": repo.id, "url": r, "name": repo.name});
        json!({
            "id": pull.id,
            "number": issue.number,
            "url": format!("{r}/pulls/{}", issue.number),
            "head": {"ref": pull.head_ref, "sha": pull.head_sha, "repo": repo_min},
            "base": {
                "ref": pull.base_ref,
                "sha": repo.branches.get(&pull.base_ref).cloned().unwrap_or_default(),
                "repo": repo_min
            }
        })
    }

    /// `diff-entry`.
    pub(crate) fn file(&self, repo: &Repo, pull: &PullRec, file: &FakeFile) -> Value {
        let r = self.repo_url(repo);
        let h = Self::html_repo(repo);
        let p = path(&file.filename);
        let head = &pull.head_sha;
        let mut v = json!({
            "sha": fake_sha(&format!("{head}:{}", file.filename)),
            "filename": file.filename,
            "status": file.status,
            "additions": file.additions,
            "deletions": file.deletions,
            "changes": file.additions + file.deletions,
            "blob_url": format!("{h}/blob/{head}/{p}"),
            "raw_url": format!("{h}/raw/{head}/{p}"),
            "contents_url": format!("{r}/contents/{p}?ref={head}")
        });
        if let Some(patch) = &file.patch {
            v["patch"] = json!(patch);
        }
        if let Some(prev) = &file.previous_filename {
            v["previous_filename"] = json!(prev);
        }
        v
    }

    /// `pull-request-review`.
    pub(crate) fn review(&self, repo: &Repo, number: u64, review: &ReviewRec) -> Value {
        let r = self.repo_url(repo);
        let h = Self::html_repo(repo);
        let html = format!("{h}/pull/{number}#pullrequestreview-{}", review.id);
        let pr = format!("{r}/pulls/{number}");
        let mut v = json!({
            "id": review.id,
            "node_id": format!("PRR_kwDO{:08}", review.id),
            "user": self.user(&review.review.user),
            "body": review.review.body,
            "state": review.review.state,
            "html_url": html,
            "pull_request_url": pr,
            "author_association": review.review.author_association,
            "_links": {"html": {"href": html}, "pull_request": {"href": pr}},
            "commit_id": review.commit_id
        });
        if review.review.state != "PENDING" {
            v["submitted_at"] = json!(review.submitted_at);
        }
        v
    }

    /// `commit` (as listed by a pull request's commits), with `commit.verification`.
    pub(crate) fn commit(&self, repo: &Repo, commit: &FakeCommit, date: &str) -> Value {
        let r = self.repo_url(repo);
        let h = Self::html_repo(repo);
        let sha = &commit.sha;
        let git_user =
            json!({"name": commit.author_name, "email": commit.author_email, "date": date});
        let author = commit.author_login.as_deref().map(|l| self.user(l));
        let signed = commit.verification_reason != "unsigned";
        let signature = signed.then_some(
            "-----BEGIN PGP SIGNATURE-----\n\niQEzBAABCAAdFiEEfake\n-----END PGP SIGNATURE-----\n",
        );
        let payload = signed.then(|| {
            format!(
                "tree {}\nauthor {} <{}>\n\n{}",
                fake_sha(sha),
                commit.author_name,
                commit.author_email,
                commit.message
            )
        });
        let parents: Vec<Value> = commit
            .parents
            .iter()
            .map(|p| json!({"sha": p, "url": format!("{r}/commits/{p}"), "html_url": format!("{h}/commit/{p}")}))
            .collect();
        json!({
            "sha": sha,
            "node_id": format!("C_kwDO{}", sha.chars().take(16).collect::<String>()),
            "url": format!("{r}/commits/{sha}"),
            "html_url": format!("{h}/commit/{sha}"),
            "comments_url": format!("{r}/commits/{sha}/comments"),
            "commit": {
                "url": format!("{r}/git/commits/{sha}"),
                "author": git_user,
                "committer": git_user,
                "message": commit.message,
                "tree": {"sha": fake_sha(&format!("tree {sha}")), "url": format!("{r}/git/trees/{}", fake_sha(&format!("tree {sha}")))},
                "comment_count": 0,
                "verification": {
                    "verified": commit.verified,
                    "reason": commit.verification_reason,
                    "signature": signature,
                    "payload": payload,
                    "verified_at": if commit.verified { Some(date) } else { None }
                }
            },
            "author": author,
            "committer": author,
            "parents": parents
        })
    }

    /// `check-run`.
    pub(crate) fn check_run(&self, repo: &Repo, run: &CheckRunRec, pulls: Vec<Value>) -> Value {
        let r = self.repo_url(repo);
        let h = Self::html_repo(repo);
        let id = run.id;
        let completed = run.run.status == "completed";
        let started = iso(run.started_at);
        let app = &run.run.app_slug;
        let app_id = user_id(app) % 100_000;
        json!({
            "id": id,
            "node_id": format!("CR_kwDO{id:08}"),
            "head_sha": run.sha,
            "external_id": "",
            "url": format!("{r}/check-runs/{id}"),
            "html_url": format!("{h}/runs/{id}"),
            "details_url": format!("{h}/actions/runs/{id}/job/{id}"),
            "status": run.run.status,
            "conclusion": run.run.conclusion,
            "started_at": started,
            "completed_at": if completed { Some(started.clone()) } else { None },
            "output": {
                "title": null,
                "summary": null,
                "text": null,
                "annotations_count": 0,
                "annotations_url": format!("{r}/check-runs/{id}/annotations")
            },
            "name": run.run.name,
            "check_suite": {"id": run.suite_id},
            "app": {
                "id": app_id,
                "slug": app,
                "node_id": format!("MDM6QXBw{app_id}"),
                "owner": self.user_of_type("github", "Organization"),
                "name": app,
                "description": "",
                "external_url": format!("{HTML}/apps/{}", seg(app)),
                "html_url": format!("{HTML}/apps/{}", seg(app)),
                "created_at": "2018-07-30T09:30:17Z",
                "updated_at": "2024-04-10T20:33:16Z",
                "permissions": {"checks": "write", "metadata": "read"},
                "events": []
            },
            "pull_requests": pulls
        })
    }

    /// `status`.
    pub(crate) fn status(&self, repo: &Repo, status: &StatusRec) -> Value {
        let creator = self.user(&status.status.creator);
        let at = iso(status.created_at);
        json!({
            "url": format!("{}/statuses/{}", self.repo_url(repo), status.sha),
            "avatar_url": creator["avatar_url"],
            "id": status.id,
            "node_id": format!("SC_kwDO{:08}", status.id),
            "state": status.status.state,
            "description": status.status.description,
            "target_url": status.status.target_url,
            "context": status.status.context,
            "created_at": at,
            "updated_at": at,
            "creator": creator
        })
    }

    /// `issue-comment`.
    pub(crate) fn comment(&self, repo: &Repo, comment: &CommentRec, is_pull: bool) -> Value {
        let r = self.repo_url(repo);
        let h = Self::html_repo(repo);
        let kind = if is_pull { "pull" } else { "issues" };
        json!({
            "id": comment.id,
            "node_id": format!("IC_kwDO{:08}", comment.id),
            "url": format!("{r}/issues/comments/{}", comment.id),
            "html_url": format!("{h}/{kind}/{}#issuecomment-{}", comment.issue, comment.id),
            "body": comment.body,
            "user": self.user(&comment.user),
            "created_at": iso(comment.created_at),
            "updated_at": iso(comment.updated_at),
            "issue_url": format!("{r}/issues/{}", comment.issue),
            "author_association": comment.author_association,
            "performed_via_github_app": null
        })
    }

    /// `issue` (with its `pull_request` part when it is one).
    pub(crate) fn issue(&self, repo: &Repo, issue: &IssueRec) -> Value {
        let r = self.repo_url(repo);
        let h = Self::html_repo(repo);
        let n = issue.number;
        let comments = repo.comments.iter().filter(|c| c.issue == n).count();
        let kind = if issue.pull.is_some() { "pull" } else { "issues" };
        let mut v = json!({
            "id": issue.id,
            "node_id": format!("I_kwDO{:08}", issue.id),
            "url": format!("{r}/issues/{n}"),
            "repository_url": r,
            "labels_url": format!("{r}/issues/{n}/labels{{/name}}"),
            "comments_url": format!("{r}/issues/{n}/comments"),
            "events_url": format!("{r}/issues/{n}/events"),
            "html_url": format!("{h}/{kind}/{n}"),
            "number": n,
            "state": issue.state,
            "state_reason": match &issue.state_reason {
                Some(r) => Some(r.as_str()),
                None if issue.state == "closed" => Some("completed"),
                None => None,
            },
            "title": issue.title,
            "body": issue.body,
            "user": self.user(&issue.user),
            "labels": self.issue_labels(repo, issue),
            "assignee": issue.assignees.first().map(|a| self.user(a)),
            "assignees": issue.assignees.iter().map(|a| self.user(a)).collect::<Vec<_>>(),
            "milestone": null,
            "locked": false,
            "active_lock_reason": null,
            "comments": comments,
            "closed_at": issue.closed_at.map(iso),
            "created_at": iso(issue.created_at),
            "updated_at": iso(issue.updated_at),
            "author_association": issue.author_association
        });
        if let Some(by) = &issue.closed_by {
            v["closed_by"] = self.user(by);
        }
        if let Some(pull) = &issue.pull {
            v["draft"] = json!(pull.draft);
            v["pull_request"] = json!({
                "url": format!("{r}/pulls/{n}"),
                "html_url": format!("{h}/pull/{n}"),
                "diff_url": format!("{h}/pull/{n}.diff"),
                "patch_url": format!("{h}/pull/{n}.patch"),
                "merged_at": pull.merged_at.map(iso)
            });
        }
        v
    }

    /// `content-file`, base64 in lines of 60 characters as GitHub sends it.
    pub(crate) fn content_file(
        &self,
        repo: &Repo,
        git_ref: &str,
        file_path: &str,
        text: &str,
    ) -> Value {
        let r = self.repo_url(repo);
        let h = Self::html_repo(repo);
        // GitHub's object answer carries no content for files over 1 MB: `"encoding": "none"`
        // and an empty `content` (only the raw media type serves them).
        let too_big = text.len() > 1024 * 1024;
        let encoded = if too_big {
            String::new()
        } else {
            base64::engine::general_purpose::STANDARD.encode(text.as_bytes())
        };
        let mut wrapped = String::with_capacity(encoded.len() + encoded.len() / 60 + 1);
        for (i, c) in encoded.chars().enumerate() {
            if i > 0 && i % 60 == 0 {
                wrapped.push('\n');
            }
            wrapped.push(c);
        }
        if !too_big {
            wrapped.push('\n');
        }
        let sha = fake_sha(&format!("blob {text}"));
        let p = path(file_path);
        let name = file_path.rsplit('/').next().unwrap_or(file_path);
        let self_url = format!("{r}/contents/{p}?ref={}", seg(git_ref));
        let git_url = format!("{r}/git/blobs/{sha}");
        let html_url = format!("{h}/blob/{}/{p}", seg(git_ref));
        json!({
            "type": "file",
            "encoding": if too_big { "none" } else { "base64" },
            "size": text.len(),
            "name": name,
            "path": file_path,
            "content": wrapped,
            "sha": sha,
            "url": self_url,
            "git_url": git_url,
            "html_url": html_url,
            "download_url": format!("https://raw.githubusercontent.com/{}/{}/{}/{p}", seg(&repo.owner), seg(&repo.name), seg(git_ref)),
            "_links": {"self": self_url, "git": git_url, "html": html_url}
        })
    }
}

/// `rate-limit-overview`.
pub(crate) fn rate_limit(rate: &Rate) -> Value {
    let core = json!({
        "limit": rate.limit,
        "used": rate.limit.saturating_sub(rate.remaining),
        "remaining": rate.remaining,
        "reset": rate.reset
    });
    let other =
        |limit: u32| json!({"limit": limit, "used": 0, "remaining": limit, "reset": rate.reset});
    json!({
        "resources": {
            "core": core,
            "search": other(30),
            "graphql": other(5000),
            "integration_manifest": other(5000),
            "code_search": other(10)
        },
        "rate": core
    })
}

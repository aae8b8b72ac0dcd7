//! What a test puts into the fake, and what it reads back out.

/// A pull request to seed the fake with ([`crate::FakeHub::add_pull`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FakePull {
    /// Title.
    pub title: String,
    /// Body (description), `None` for an empty one.
    pub body: Option<String>,
    /// Login of the author.
    pub user: String,
    /// Branch the changes come from.
    pub head_ref: String,
    /// Head commit; empty means "make one up from the repository and number".
    pub head_sha: String,
    /// Branch the pull request targets.
    pub base_ref: String,
    /// Draft pull request.
    pub draft: bool,
    /// `open` or `closed`.
    pub state: String,
    /// Merged (implies `closed`).
    pub merged: bool,
    /// Labels already on the pull request (created in the repository when missing).
    pub labels: Vec<String>,
    /// `author_association` as GitHub reports it (`MEMBER`, `CONTRIBUTOR`, `NONE`, ...).
    pub author_association: String,
}

impl Default for FakePull {
    fn default() -> Self {
        Self {
            title: "feat: add a feature".to_owned(),
            body: Some("Closes #1".to_owned()),
            user: "octocat".to_owned(),
            head_ref: "feature".to_owned(),
            head_sha: String::new(),
            base_ref: "main".to_owned(),
            draft: false,
            state: "open".to_owned(),
            merged: false,
            labels: Vec::new(),
            author_association: "MEMBER".to_owned(),
        }
    }
}

impl FakePull {
    /// An open pull request with this title and otherwise default fields.
    pub fn titled(title: &str) -> Self {
        Self { title: title.to_owned(), ..Self::default() }
    }
}

/// An issue that is not a pull request ([`crate::FakeHub::add_issue`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FakeIssue {
    /// Title.
    pub title: String,
    /// Body, `None` for an empty one.
    pub body: Option<String>,
    /// Login of the author.
    pub user: String,
    /// `open` or `closed`.
    pub state: String,
    /// Labels already on the issue (created in the repository when missing).
    pub labels: Vec<String>,
}

impl Default for FakeIssue {
    fn default() -> Self {
        Self {
            title: "Something is broken".to_owned(),
            body: None,
            user: "octocat".to_owned(),
            state: "open".to_owned(),
            labels: Vec::new(),
        }
    }
}

/// One changed file of a pull request ([`crate::FakeHub::set_files`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FakeFile {
    /// Path in the repository.
    pub filename: String,
    /// `added`, `removed`, `modified`, `renamed`, `copied`, `changed` or `unchanged`.
    pub status: String,
    /// Lines added.
    pub additions: u64,
    /// Lines deleted.
    pub deletions: u64,
    /// Unified diff hunk, when GitHub would send one.
    pub patch: Option<String>,
    /// Old path of a renamed file.
    pub previous_filename: Option<String>,
}

impl FakeFile {
    /// A modified file with one line added and one deleted.
    pub fn modified(filename: &str) -> Self {
        Self {
            filename: filename.to_owned(),
            status: "modified".to_owned(),
            additions: 1,
            deletions: 1,
            patch: Some("@@ -1 +1 @@\n-old\n+new".to_owned()),
            previous_filename: None,
        }
    }

    /// An added file of `lines` lines.
    pub fn added(filename: &str, lines: u64) -> Self {
        Self {
            filename: filename.to_owned(),
            status: "added".to_owned(),
            additions: lines,
            deletions: 0,
            patch: Some(format!("@@ -0,0 +1,{lines} @@\n+new")),
            previous_filename: None,
        }
    }
}

/// A submitted review ([`crate::FakeHub::add_review`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FakeReview {
    /// Reviewer's login (`coderabbitai[bot]` for CodeRabbit).
    pub user: String,
    /// REST casing: `APPROVED`, `CHANGES_REQUESTED`, `COMMENTED`, `DISMISSED` or `PENDING`.
    pub state: String,
    /// Review body.
    pub body: String,
    /// Commit reviewed; `None` means the pull request's head at the time of adding.
    pub commit_id: Option<String>,
    /// RFC 3339 submission time; `None` means now.
    pub submitted_at: Option<String>,
    /// `author_association` of the reviewer.
    pub author_association: String,
}

impl FakeReview {
    /// A review by `user` in `state` (REST casing) on the current head.
    pub fn new(user: &str, state: &str) -> Self {
        Self {
            user: user.to_owned(),
            state: state.to_owned(),
            body: String::new(),
            commit_id: None,
            submitted_at: None,
            author_association: if user.ends_with("[bot]") { "NONE" } else { "MEMBER" }.to_owned(),
        }
    }
}

/// A commit of a pull request ([`crate::FakeHub::add_commit`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FakeCommit {
    /// Full 40-hex SHA.
    pub sha: String,
    /// Commit message (first line is the subject).
    pub message: String,
    /// GitHub login of the author, `None` when the e-mail matches no account.
    pub author_login: Option<String>,
    /// Git author name.
    pub author_name: String,
    /// Git author e-mail.
    pub author_email: String,
    /// `commit.verification.verified`.
    pub verified: bool,
    /// `commit.verification.reason` (`valid`, `unsigned`, `unknown_key`, ...).
    pub verification_reason: String,
    /// Parent SHAs.
    pub parents: Vec<String>,
    /// RFC 3339 author date; `None` means now.
    pub date: Option<String>,
}

impl FakeCommit {
    /// A signed and verified commit by `octocat`.
    pub fn verified(sha: &str, message: &str) -> Self {
        Self {
            sha: sha.to_owned(),
            message: message.to_owned(),
            author_login: Some("octocat".to_owned()),
            author_name: "The Octocat".to_owned(),
            author_email: "octocat@github.com".to_owned(),
            verified: true,
            verification_reason: "valid".to_owned(),
            parents: Vec::new(),
            date: None,
        }
    }

    /// An unsigned commit by `octocat`.
    pub fn unsigned(sha: &str, message: &str) -> Self {
        Self {
            verified: false,
            verification_reason: "unsigned".to_owned(),
            ..Self::verified(sha, message)
        }
    }
}

/// A check run on a commit ([`crate::FakeHub::add_check_run`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FakeCheckRun {
    /// Check name (`build`, `CodeRabbit`, ...).
    pub name: String,
    /// `queued`, `in_progress` or `completed`.
    pub status: String,
    /// Set when completed: `success`, `failure`, `neutral`, `cancelled`, `skipped`, `timed_out`,
    /// `action_required`.
    pub conclusion: Option<String>,
    /// Slug of the GitHub App that owns the run (`github-actions`).
    pub app_slug: String,
}

impl FakeCheckRun {
    /// A completed run of `name` by GitHub Actions with this conclusion.
    pub fn completed(name: &str, conclusion: &str) -> Self {
        Self {
            name: name.to_owned(),
            status: "completed".to_owned(),
            conclusion: Some(conclusion.to_owned()),
            app_slug: "github-actions".to_owned(),
        }
    }

    /// A run of `name` by GitHub Actions that is still in progress.
    pub fn in_progress(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            status: "in_progress".to_owned(),
            conclusion: None,
            app_slug: "github-actions".to_owned(),
        }
    }
}

/// A commit status ([`crate::FakeHub::add_status`], also what `POST /statuses/{sha}` stores).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FakeStatus {
    /// `error`, `failure`, `pending` or `success`.
    pub state: String,
    /// Status context (`plasma-ops/process`, `ci/build`).
    pub context: String,
    /// Short description.
    pub description: Option<String>,
    /// Link to details.
    pub target_url: Option<String>,
    /// Login of whoever set it.
    pub creator: String,
}

impl FakeStatus {
    /// A status set by `octocat`.
    pub fn new(context: &str, state: &str) -> Self {
        Self {
            state: state.to_owned(),
            context: context.to_owned(),
            description: None,
            target_url: None,
            creator: "octocat".to_owned(),
        }
    }
}

/// An issue or pull request comment as the fake holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FakeComment {
    /// Comment id (used by `PATCH /issues/comments/{id}`).
    pub id: u64,
    /// Body text.
    pub body: String,
    /// Author's login.
    pub user: String,
}

/// A label change made by someone, in order ([`crate::FakeHub::label_events`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabelEvent {
    /// `labeled` or `unlabeled`.
    pub action: String,
    /// The label's name.
    pub label: String,
    /// Who changed it: the API's authenticated user, or the login a test named.
    pub actor: String,
    /// When, as GitHub reports it (whole seconds); [`crate::FakeHub::backdate_label`] moves it.
    pub created_at: jiff::Timestamp,
}

/// One request the fake received ([`crate::FakeHub::requests`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedRequest {
    /// `GET`, `POST`, ...
    pub method: String,
    /// Path as received, still percent-encoded (`/repos/o/r/commits/feature%2Fx/check-runs`).
    pub path: String,
    /// Raw query string without `?`, empty when there was none.
    pub query: String,
    /// Status answered; [`RecordedRequest::DROPPED`] when the connection was dropped instead.
    pub status: u16,
    /// The request carried `If-None-Match`.
    pub if_none_match: bool,
    /// The `Authorization` header, if any.
    pub authorization: Option<String>,
}

impl RecordedRequest {
    /// The `status` of a request whose connection a [`crate::Fault::DropConnection`] closed.
    pub const DROPPED: u16 = 0;

    /// `true` for requests that change state (anything but `GET`, `HEAD` and the GraphQL
    /// queries the fake answers, which are all reads).
    pub fn is_write(&self) -> bool {
        !matches!(self.method.as_str(), "GET" | "HEAD") && !self.is_graphql()
    }

    /// `true` for `POST /graphql` (charged in points to its own budget, not to `core`).
    pub fn is_graphql(&self) -> bool {
        self.path == "/graphql"
    }
}

/// A misbehaviour to inject ([`crate::FakeHub::inject`]); each is consumed by the next `times`
/// matching requests, in the order injected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Answer with this server error (500, 502, 503, ...) and GitHub's error body.
    Status {
        /// HTTP status to answer.
        code: u16,
        /// How many requests get it.
        times: u32,
        /// Only requests whose path starts with this (as received, percent-encoded).
        route: Option<String>,
    },
    /// Answer 403 with `Retry-After` and GitHub's secondary rate limit message.
    SecondaryRateLimit {
        /// Value of `Retry-After`.
        retry_after_secs: u64,
        /// How many requests get it.
        times: u32,
    },
    /// Wait this long before answering normally.
    Slow {
        /// Delay in milliseconds.
        millis: u64,
        /// How many requests get it.
        times: u32,
    },
    /// Hold requests of this method whose path starts with `route` for `millis` before answering
    /// normally: a window in which a test can kill the client mid-plan.
    Stall {
        /// `POST`, `PATCH`, ...
        method: String,
        /// Path prefix, as received (percent-encoded).
        route: String,
        /// Delay in milliseconds.
        millis: u64,
        /// How many requests get it.
        times: u32,
    },
    /// Close the connection without answering.
    DropConnection {
        /// How many requests get it.
        times: u32,
    },
}

/// An answer the fake gave, kept while [`crate::FakeHub::record_exchanges`] is on, for
/// [`crate::prism::strict_check`].
#[derive(Clone, Debug, PartialEq)]
pub struct Exchange {
    /// `GET`, `POST`, ...
    pub method: String,
    /// Path as received, still percent-encoded.
    pub path: String,
    /// Status answered.
    pub status: u16,
    /// The JSON body answered (`Null` when there was none).
    pub body: serde_json::Value,
}

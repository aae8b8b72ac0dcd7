//! What the report is computed from: the events plasma-ops recorded, every time GitHub's (unix
//! milliseconds from payload or API timestamps), never the time a delivery arrived. The store
//! fills this in (`plasma_store::ReportStore`); tests build it by hand.

use serde::{Deserialize, Serialize};

/// Unix milliseconds, as GitHub reported them.
pub type Millis = i64;

/// Every recorded event of one scope the report may need. Events outside the weeks reported are
/// allowed (and needed: a review this week of a pull request opened last month).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReportInput {
    /// Pull requests with what happened to them.
    pub pulls: Vec<Pull>,
    /// Open pull requests not ready to merge, with what blocks each (the reconciler's last
    /// verdict).
    pub waiting: Vec<Waiting>,
    /// The board's moves; `None` when no board is set up for the scope.
    pub board: Option<Vec<BoardMove>>,
    /// Incidents.
    pub incidents: Vec<Incident>,
    /// Whether any incident was ever recorded for the scope: without one, the report cannot tell
    /// "no failure" from "incidents are not tracked", and says so instead of printing 0 %.
    pub incidents_recorded: bool,
    /// Tags cut (releases).
    pub tags: Vec<Tag>,
    /// Deployments with their outcome.
    pub deployments: Vec<Deployment>,
}

/// A pull request.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Pull {
    /// `owner/name`.
    pub repo: String,
    /// Its number.
    pub number: u64,
    /// Its title.
    pub title: String,
    /// Its author's login.
    pub author: String,
    /// GitHub's `created_at`.
    pub opened_at: Option<Millis>,
    /// GitHub's `merged_at`.
    pub merged_at: Option<Millis>,
    /// GitHub's `closed_at` (also set when merged).
    pub closed_at: Option<Millis>,
    /// The author time of its first commit, when recorded.
    pub first_commit_at: Option<Millis>,
    /// Reviews submitted.
    pub reviews: Vec<Review>,
    /// Labels added and removed, in any order.
    pub labels: Vec<LabelChange>,
}

/// Who submitted a review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reviewer {
    /// A person.
    Human,
    /// CodeRabbit's bot.
    CodeRabbit,
    /// Any other bot.
    OtherBot,
}

/// A submitted review.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Review {
    /// The reviewer's login.
    pub login: String,
    /// What kind of reviewer.
    pub reviewer: Reviewer,
    /// `approved`, `commented`, `changes_requested` or `dismissed` (GitHub's, lower case).
    pub state: String,
    /// GitHub's `submitted_at`.
    pub at: Millis,
}

/// A label added to or removed from a pull request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelChange {
    /// The label's name.
    pub label: String,
    /// Added (true) or removed.
    pub added: bool,
    /// GitHub's time of the change (the pull request's `updated_at` in the event).
    pub at: Millis,
}

/// An open pull request that is not ready to merge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Waiting {
    /// `owner/name`.
    pub repo: String,
    /// Its number.
    pub number: u64,
    /// Its title.
    pub title: String,
    /// Since when it waits (opened, or first seen by plasma-ops when that is all that is known).
    pub since: Millis,
    /// What blocks it, as the reconciler said.
    pub blocker: String,
}

/// A card moved to a column of the board.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BoardMove {
    /// The item's node id.
    pub item: String,
    /// The column it went to.
    pub column: String,
    /// GitHub's `updated_at` of the item.
    pub at: Millis,
}

/// An incident (an issue labelled `incident`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    /// `owner/name`.
    pub repo: String,
    /// Issue number.
    pub number: u64,
    /// Title.
    pub title: String,
    /// GitHub's `created_at`.
    pub opened_at: Millis,
    /// First assignment or outside comment.
    pub acknowledged_at: Option<Millis>,
    /// `closed_at` of a close as completed; `None` while open or when dismissed.
    pub resolved_at: Option<Millis>,
    /// Whether a postmortem is linked.
    pub postmortem: bool,
}

/// A tag (a release cut).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tag {
    /// `owner/name`.
    pub repo: String,
    /// The tag.
    pub name: String,
    /// GitHub's time (the release's `published_at`, or the tag's creation).
    pub at: Millis,
}

/// A deployment and its outcome.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Deployment {
    /// `owner/name`.
    pub repo: String,
    /// GitHub's id.
    pub id: i64,
    /// The environment.
    pub environment: String,
    /// Whether the environment is a production one (`deployments.production`).
    pub production: bool,
    /// The commit deployed.
    pub sha: String,
    /// GitHub's `created_at` of the deployment.
    pub created_at: Millis,
    /// The `created_at` of its first `success` status.
    pub succeeded_at: Option<Millis>,
    /// Whether a `failure` or `error` status was reported.
    pub failed: bool,
    /// The pull requests it brought (against the production deployment before it).
    pub pulls: Vec<u64>,
}

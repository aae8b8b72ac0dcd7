//! The project board's column function: where an issue's card belongs, from the issue and the
//! pull requests that carry its key, and whether to move it (ADR-0003: `policy::board`).
//!
//! The column is a function of state, never of events, so a replayed, late or reordered delivery
//! gives the same column:
//!
//! | issue and pull requests | column |
//! | --- | --- |
//! | closed as completed | Done |
//! | closed as not planned | none: the card is left where it is |
//! | open, a pull request open and ready (not a draft) with a review requested or given | Review |
//! | open, a pull request open as a draft, or ready with no review requested or given | In Progress |
//! | open, no open pull request, one merged (and the issue not reopened since) | Done |
//! | open, no pull request (or only closed, unmerged ones; or reopened) | Backlog |
//!
//! Several open pull requests: the furthest along wins (Review over In Progress). A reopened
//! issue (GitHub's `state_reason: reopened`) does not count its merged pull requests: the work
//! was found not done, so it goes back by the same function to Backlog or to its open pull
//! request's column.
//!
//! A card a human moved to a column outside the mapping (e.g. "Blocked") stays there until the
//! issue or one of its pull requests changes state: [`fingerprint`] names that state, the caller
//! remembers it beside the card, and [`decide`] leaves the card alone while it is unchanged.

use plasma_config::BoardColumns;

/// One of the process's four columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Column {
    /// Nothing started.
    Backlog,
    /// A pull request is being written.
    InProgress,
    /// A pull request waits on or is in review.
    Review,
    /// Merged, or the issue closed as completed.
    Done,
}

impl Column {
    /// The option name the configuration gives this column.
    pub fn name<'c>(&self, columns: &'c BoardColumns) -> &'c str {
        match self {
            Column::Backlog => &columns.backlog,
            Column::InProgress => &columns.in_progress,
            Column::Review => &columns.review,
            Column::Done => &columns.done,
        }
    }
}

/// The issue as the board needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssueState {
    /// Open (never closed, or closed and reopened before GitHub recorded a reason).
    Open,
    /// Open again after a close (`state_reason: reopened`).
    Reopened,
    /// Closed as completed (or closed with no reason, as GitHub did before reasons existed).
    Completed,
    /// Closed as not planned (or as a duplicate).
    NotPlanned,
}

impl IssueState {
    /// From the REST issue's `state` and `state_reason`.
    pub fn from_rest(state: &str, state_reason: Option<&str>) -> IssueState {
        match (state, state_reason) {
            ("closed", Some("not_planned" | "duplicate")) => IssueState::NotPlanned,
            ("closed", _) => IssueState::Completed,
            (_, Some("reopened")) => IssueState::Reopened,
            _ => IssueState::Open,
        }
    }
}

/// Where a pull request is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PullState {
    /// Open.
    Open,
    /// Closed without merging.
    Closed,
    /// Merged.
    Merged,
}

/// A pull request carrying the issue's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkedPull {
    /// `owner/name` of its repository.
    pub repo: String,
    /// Its number.
    pub number: u64,
    /// Open, closed or merged.
    pub state: PullState,
    /// A draft.
    pub draft: bool,
    /// A reviewer (person or team) is requested, or a review was submitted.
    pub in_review: bool,
}

/// The column the card belongs in; `None` when the issue has none (closed as not planned).
pub fn column(issue: IssueState, pulls: &[LinkedPull]) -> Option<Column> {
    match issue {
        IssueState::Completed => return Some(Column::Done),
        IssueState::NotPlanned => return None,
        IssueState::Open | IssueState::Reopened => {}
    }
    let open = pulls
        .iter()
        .filter(|p| p.state == PullState::Open)
        .map(|p| if !p.draft && p.in_review { Column::Review } else { Column::InProgress })
        .max();
    if open.is_some() {
        return open;
    }
    let merged = pulls.iter().any(|p| p.state == PullState::Merged);
    if merged && issue != IssueState::Reopened {
        return Some(Column::Done);
    }
    Some(Column::Backlog)
}

/// The state the column is a function of, as text: equal exactly when the column function's
/// inputs are equal (pull requests in order of repository and number).
pub fn fingerprint(issue: IssueState, pulls: &[LinkedPull]) -> String {
    let mut parts: Vec<String> = pulls
        .iter()
        .map(|p| {
            let state = match p.state {
                PullState::Open => "open",
                PullState::Closed => "closed",
                PullState::Merged => "merged",
            };
            format!(
                "{}#{}:{state}{}{}",
                p.repo.to_ascii_lowercase(),
                p.number,
                if p.draft { ",draft" } else { "" },
                if p.in_review { ",review" } else { "" }
            )
        })
        .collect();
    parts.sort();
    format!("{issue:?};{}", parts.join(";"))
}

/// What to do with the card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Move {
    /// The card is where it belongs (or the issue has no column): write nothing.
    Stay,
    /// A human put it in a column outside the mapping and nothing changed since: leave it.
    LeaveHumanMove {
        /// The column the human chose, e.g. `Blocked`.
        column: String,
    },
    /// Set the Status to this option name (adding the card first when it is missing).
    To(String),
}

/// The card as found on the board.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Card {
    /// The issue has no card on the project.
    Missing,
    /// The card, with its Status option name (`None`: no Status set).
    At(Option<String>),
}

/// Whether and where to move the card. `remembered` is the [`fingerprint`] stored when the card
/// was last looked at (`None`: never, e.g. after a restart), `now` the current one.
pub fn decide(
    want: Option<Column>,
    card: &Card,
    columns: &BoardColumns,
    remembered: Option<&str>,
    now: &str,
) -> Move {
    let Some(want) = want else { return Move::Stay };
    let target = want.name(columns);
    let current = match card {
        Card::Missing => return Move::To(target.to_string()),
        Card::At(None) => return Move::To(target.to_string()),
        Card::At(Some(c)) => c,
    };
    if current == target {
        return Move::Stay;
    }
    let mapped = columns.named().iter().any(|(_, n)| *n == current.as_str());
    // Outside the mapping: a human's column. Unchanged state (or state never seen, so no change
    // can be shown) leaves it there; a change of state takes the card back into the flow.
    if !mapped && remembered.is_none_or(|r| r == now) {
        return Move::LeaveHumanMove { column: current.clone() };
    }
    Move::To(target.to_string())
}

/// `project-board`: the board is a finding on the issue's summary when it cannot be used.
pub const ABOUT: crate::rules::about::RuleAbout = crate::rules::about::RuleAbout {
    rule: r#"project-board"#,
    checks: r#"When `board.project` is set, the project is visible to plasma-ops's credentials and its status field has every configured column; otherwise the issue's summary says what to change (cards cannot move until then). Level-triggered: the finding goes when the board is fixed."#,
    config: &[
        crate::rules::about::ConfigKey { key: "board.status_field", default: r#"Status"# },
        crate::rules::about::ConfigKey { key: "board.columns.backlog", default: r#"Backlog"# },
        crate::rules::about::ConfigKey {
            key: "board.columns.in_progress",
            default: r#"In Progress"#,
        },
        crate::rules::about::ConfigKey { key: "board.columns.review", default: r#"Review"# },
        crate::rules::about::ConfigKey { key: "board.columns.done", default: r#"Done"# },
    ],
    passes: r#"`board.project: https://github.com/orgs/plasma-engine/projects/3`, an organisation project the App can read and write, with a `Status` field of Backlog, In Progress, Review, Done"#,
    fails: r#"`board.project: https://github.com/users/alice/projects/4`: a user's project, which GitHub shows no GitHub App"#,
};

#[cfg(test)]
mod tests {
    use super::*;

    fn pr(number: u64, state: PullState, draft: bool, in_review: bool) -> LinkedPull {
        LinkedPull { repo: "o/r".into(), number, state, draft, in_review }
    }

    #[test]
    fn the_column_table() {
        use Column::*;
        use IssueState::*;
        use PullState::{Closed, Merged, Open as O};
        let table: Vec<(&str, IssueState, Vec<LinkedPull>, Option<Column>)> = vec![
            ("open issue, no pull request", Open, vec![], Some(Backlog)),
            ("draft pull request", Open, vec![pr(1, O, true, false)], Some(InProgress)),
            (
                "draft with a reviewer still in progress",
                Open,
                vec![pr(1, O, true, true)],
                Some(InProgress),
            ),
            ("ready, nobody asked", Open, vec![pr(1, O, false, false)], Some(InProgress)),
            ("ready, review requested", Open, vec![pr(1, O, false, true)], Some(Review)),
            ("merged", Open, vec![pr(1, Merged, false, true)], Some(Done)),
            ("closed unmerged goes back", Open, vec![pr(1, Closed, false, true)], Some(Backlog)),
            ("issue closed as completed", Completed, vec![], Some(Done)),
            (
                "completed beats an open pull request",
                Completed,
                vec![pr(1, O, true, false)],
                Some(Done),
            ),
            ("not planned has no column", NotPlanned, vec![pr(1, Merged, false, false)], None),
            (
                "reopened ignores the merged one",
                Reopened,
                vec![pr(1, Merged, false, true)],
                Some(Backlog),
            ),
            (
                "reopened with a new pull request",
                Reopened,
                vec![pr(1, Merged, false, true), pr(2, O, true, false)],
                Some(InProgress),
            ),
            (
                "the furthest open pull request wins",
                Open,
                vec![pr(1, O, true, false), pr(2, O, false, true)],
                Some(Review),
            ),
            (
                "an open follow-up keeps it out of Done",
                Open,
                vec![pr(1, Merged, false, true), pr(2, O, false, false)],
                Some(InProgress),
            ),
        ];
        for (what, issue, pulls, want) in table {
            assert_eq!(column(issue, &pulls), want, "{what}");
        }
    }

    #[test]
    fn rest_states_map_to_issue_states() {
        let table = [
            ("open", None, IssueState::Open),
            ("open", Some("reopened"), IssueState::Reopened),
            ("closed", Some("completed"), IssueState::Completed),
            ("closed", None, IssueState::Completed),
            ("closed", Some("not_planned"), IssueState::NotPlanned),
            ("closed", Some("duplicate"), IssueState::NotPlanned),
        ];
        for (state, reason, want) in table {
            assert_eq!(IssueState::from_rest(state, reason), want, "{state} {reason:?}");
        }
    }

    #[test]
    fn fingerprints_change_exactly_when_the_inputs_do() {
        let a = [pr(2, PullState::Open, true, false), pr(1, PullState::Merged, false, false)];
        let b = [pr(1, PullState::Merged, false, false), pr(2, PullState::Open, true, false)];
        assert_eq!(fingerprint(IssueState::Open, &a), fingerprint(IssueState::Open, &b));
        let c = [pr(1, PullState::Merged, false, false), pr(2, PullState::Open, false, false)];
        assert_ne!(fingerprint(IssueState::Open, &a), fingerprint(IssueState::Open, &c));
        assert_ne!(fingerprint(IssueState::Open, &a), fingerprint(IssueState::Reopened, &a));
        assert_eq!(fingerprint(IssueState::Open, &[]), "Open;");
    }

    /// (what, wanted column, card, remembered fingerprint, current fingerprint, expected move)
    type MoveCase<'a> = (&'a str, Option<Column>, Card, Option<&'a str>, &'a str, Move);

    #[test]
    fn the_move_table() {
        let cols = BoardColumns::default();
        let at = |s: &str| Card::At(Some(s.into()));
        let to = |s: &str| Move::To(s.into());
        let blocked = Move::LeaveHumanMove { column: "Blocked".into() };
        let table: Vec<MoveCase> = vec![
            (
                "missing card is added",
                Some(Column::Backlog),
                Card::Missing,
                None,
                "f",
                to("Backlog"),
            ),
            ("card with no status", Some(Column::Review), Card::At(None), None, "f", to("Review")),
            (
                "already there: no write",
                Some(Column::Review),
                at("Review"),
                Some("f"),
                "f",
                Move::Stay,
            ),
            (
                "mapped column corrected",
                Some(Column::Review),
                at("Backlog"),
                Some("f"),
                "f",
                to("Review"),
            ),
            (
                "human's Blocked, unchanged",
                Some(Column::Review),
                at("Blocked"),
                Some("f"),
                "f",
                blocked.clone(),
            ),
            (
                "human's Blocked, never seen",
                Some(Column::Review),
                at("Blocked"),
                None,
                "f",
                blocked,
            ),
            (
                "human's Blocked, state changed",
                Some(Column::Done),
                at("Blocked"),
                Some("f"),
                "g",
                to("Done"),
            ),
            ("no column: leave", None, at("Review"), Some("f"), "g", Move::Stay),
            ("no column, no card: nothing", None, Card::Missing, None, "g", Move::Stay),
        ];
        for (what, want, card, remembered, now, expect) in table {
            assert_eq!(decide(want, &card, &cols, remembered, now), expect, "{what}");
        }
        let renamed = BoardColumns { review: "In review".into(), ..BoardColumns::default() };
        assert_eq!(Column::Review.name(&renamed), "In review");
        // With "Review" renamed away, a card in "Review" is outside the mapping.
        assert_eq!(
            decide(Some(Column::Review), &at("Review"), &renamed, Some("f"), "f"),
            Move::LeaveHumanMove { column: "Review".into() }
        );
    }
}

//! The weekly report (issue 13): pull-request, board, incident and release figures and the DORA
//! four keys for one ISO week, as pure functions of the events plasma-ops recorded. No I/O, no
//! clock: the caller passes the events ([`ReportInput`], filled by `plasma_store`), the week and
//! its time zone; [`build`] returns the [`Report`] every front door prints (JSON as it is,
//! [`markdown::render`] for Slack and Discussions, [`html::render`] for the page with charts).
//!
//! Every figure says what it was computed from, and a DORA key without its inputs says
//! "no data" with the reason instead of a number that would mislead.

pub mod dora;
pub mod facts;
mod figures;
pub mod fmt;
pub mod html;
pub mod input;
pub mod markdown;
mod model;
mod stats;
pub mod svg;
pub mod week;

pub use figures::{AGENT_PREFIX, NEEDS_FIX, NO_AGENT};
pub use input::{
    BoardMove, Deployment, Incident, LabelChange, Millis, Pull, ReportInput, Review, Reviewer, Tag,
    Waiting,
};
pub use model::{
    AgentWait, BoardFigures, Bucket, Column, Count, Dora, DoraFigure, Durations, Incidents,
    OLDEST_WAITING, PullRequests, Releases, Report, Scope, TREND_WEEKS, TrendWeek, WaitingPull,
    build,
};
pub use stats::{median, p90};
pub use week::{IsoWeek, WeekError};

#[cfg(test)]
mod tests;

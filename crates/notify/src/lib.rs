//! Notifications: what happened (a pull request ready to merge, a fix waiting on an agent, a
//! release, ...) told to people through Slack incoming webhooks, Rube (an MCP server, over
//! Streamable HTTP) or a GitHub issue comment.
//!
//! Events become rows of the store's outbox ([`message::plan`]) in the transaction of the change
//! that caused them; [`Dispatcher::step`] sends them. `dispatch` says what "exactly once" means.

pub mod dispatch;
pub mod env;
mod error;
pub mod mcp;
pub mod message;
pub mod send;
pub mod slack;

pub use dispatch::{Clock, Dispatcher, Step};
pub use env::{Env, Secret};
pub use error::SendError;
pub use message::{Message, Payload, plan};
pub use send::{IssueCommenter, Sender};

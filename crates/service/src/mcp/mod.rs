//! The MCP server for coding agents (`plasma-ops mcp` over stdio, `/mcp` on `plasma-ops serve`):
//! read-only tools that answer "what must I fix on this pull request?" with the policy core's own
//! verdict. It holds no rule: every answer is computed by `plasma-policy` / `plasma-history`, from
//! GitHub through the reconciler's fetch and decide path, or from the store's action log.
//!
//! Failures an agent must read are tool errors (`isError: true`, a message and a hint); only a
//! request the server cannot route at all is a protocol error.

mod catalog;
pub mod http;
mod server;
mod tools;

pub use catalog::{STDIO_ONLY, TOOL_NAMES, select_tools};

/// The JSON of action log entries, shared with `plasma-ops actions`.
pub mod tools_json {
    pub use super::tools::{action_json, rfc3339};
}
pub use server::{Local, PlasmaMcp, ToolError};

/// Serve `server` on standard input and output until the client closes them. Standard output is
/// the protocol: nothing else may write there (logs go to standard error).
pub async fn serve_stdio(server: PlasmaMcp) -> Result<(), String> {
    use rmcp::ServiceExt;
    let running =
        server.serve(rmcp::transport::stdio()).await.map_err(|e| format!("MCP start-up: {e}"))?;
    running.waiting().await.map_err(|e| format!("MCP session ended abnormally: {e}"))?;
    Ok(())
}

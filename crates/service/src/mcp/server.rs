//! The MCP server: the tool list it offers and the dispatch of `tools/call`.

use std::collections::BTreeSet;
use std::sync::Arc;

use plasma_policy::Policy;
use rmcp::ErrorData;
use rmcp::handler::server::ServerHandler;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig,
};
use rmcp::service::{RequestContext, RoleServer};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::catalog::definition;
use super::tools;
use crate::app::App;

/// A failure the agent must read: what went wrong and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolError {
    /// What went wrong.
    pub message: String,
    /// What to do.
    pub hint: String,
}

impl ToolError {
    /// A tool error.
    pub fn new(message: impl Into<String>, hint: impl Into<String>) -> Self {
        ToolError { message: message.into(), hint: hint.into() }
    }

    /// A tool error carries text only: clients validate any structured content against the
    /// tool's output schema, which describes success.
    fn into_result(self) -> CallToolResult {
        CallToolResult::error(vec![ContentBlock::text(format!(
            "error: {}\nhint: {}",
            self.message, self.hint
        ))])
    }
}

/// Tools that read a local checkout, provided by the binary (they need git and the audit and
/// release code the service does not compile): `release_plan` and `audit`.
pub trait Local: Send + Sync + 'static {
    /// `release plan --format json` of the checkout at `path`.
    fn release_plan(&self, path: &str) -> Result<Value, ToolError>;
    /// `audit --format json` of the checkout at `path`.
    fn audit(&self, path: &str) -> Result<Value, ToolError>;
}

/// The server one MCP session talks to. Cheap to clone: the HTTP transport makes one per session.
#[derive(Clone)]
pub struct PlasmaMcp {
    pub(crate) app: Arc<App>,
    pub(crate) policy: Arc<Policy>,
    local: Option<Arc<dyn Local>>,
    tools: Arc<BTreeSet<&'static str>>,
}

impl PlasmaMcp {
    /// A server offering `tools` (see `select_tools`), judging with `policy` (the string checks;
    /// `pr_status` reads each repository's own configuration), over `app`'s store and GitHub.
    pub fn new(
        app: Arc<App>,
        policy: Arc<Policy>,
        tools: BTreeSet<&'static str>,
        local: Option<Arc<dyn Local>>,
    ) -> Self {
        PlasmaMcp { app, policy, local, tools: Arc::new(tools) }
    }

    /// Run tool `name` with `args`: its structured result and short text, or a tool error.
    pub async fn call(&self, name: &str, args: Value) -> CallToolResult {
        if !self.tools.contains(name) {
            return ToolError::new(
                format!("unknown tool `{name}`"),
                format!("the tools offered here are: {}", self.offered().join(", ")),
            )
            .into_result();
        }
        let result = match name {
            "pr_status" => run(args, |a| tools::pr_status(self, a)).await,
            "check_title" => run(args, |a| async { tools::check_title(&self.policy, a) }).await,
            "check_branch" => run(args, |a| async { tools::check_branch(&self.policy, a) }).await,
            "check_body" => run(args, |a| async { tools::check_body(&self.policy, a) }).await,
            "classify_files" => {
                run(args, |a| async { tools::classify_files(&self.policy, a) }).await
            }
            "explain_rule" => run(args, |a| async { tools::explain_rule(a) }).await,
            "lint_commit_messages" => {
                run(args, |a| async { tools::lint_commit_messages(&self.policy, a) }).await
            }
            "agent_queue" => run(args, |a| tools::agent_queue(self, a)).await,
            "recent_actions" => run(args, |a| tools::recent_actions(self, a)).await,
            "release_plan" | "audit" => {
                let local = self.local.clone();
                let name = name.to_string();
                run(args, |a: super::catalog::PathArgs| async move {
                    let Some(local) = local else {
                        return Err(ToolError::new(
                            format!("`{name}` reads a local checkout"),
                            "run `plasma-ops mcp` (stdio) on the machine with the checkout",
                        ));
                    };
                    // Reading a checkout and running git block: keep them off the runtime.
                    let path = a.path;
                    tokio::task::spawn_blocking(move || {
                        let v = if name == "audit" {
                            local.audit(&path)
                        } else {
                            local.release_plan(&path)
                        }?;
                        tools::Shown::new(v, |v| {
                            format!("{name}: {}", tools::clip(&v.to_string(), 2000))
                        })
                    })
                    .await
                    .map_err(|e| ToolError::new(format!("the tool stopped: {e}"), "try again"))
                    .and_then(|r| r)
                })
                .await
            }
            _ => Err(ToolError::new(format!("unknown tool `{name}`"), "see tools/list")),
        };
        match result {
            Ok(r) => r,
            Err(e) => e.into_result(),
        }
    }

    fn offered(&self) -> Vec<&'static str> {
        super::catalog::TOOL_NAMES.iter().copied().filter(|t| self.tools.contains(t)).collect()
    }
}

/// Parse the arguments (a wrong one is a tool error naming it), run, render.
async fn run<A, O, F, Fut>(args: Value, f: F) -> Result<CallToolResult, ToolError>
where
    A: DeserializeOwned,
    O: Serialize,
    F: FnOnce(A) -> Fut,
    Fut: std::future::Future<Output = Result<tools::Shown<O>, ToolError>>,
{
    let a: A = serde_json::from_value(args).map_err(|e| {
        ToolError::new(
            format!("invalid arguments: {e}"),
            "see the tool's input schema in tools/list",
        )
    })?;
    let shown = f(a).await?;
    let value = serde_json::to_value(&shown.value)
        .map_err(|e| ToolError::new(format!("cannot render the result: {e}"), "report this bug"))?;
    let mut r = CallToolResult::structured(value);
    r.content = vec![ContentBlock::text(shown.text)];
    Ok(r)
}

impl ServerHandler for PlasmaMcp {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("plasma-ops", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "plasma-ops judges pull requests against the Plasma Engine DevOps process. Ask \
                 pr_status what blocks a pull request; every blocker names its rule (explain_rule) \
                 and the fix.",
            )
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(
            self.offered().into_iter().filter_map(definition).collect(),
        ))
    }

    fn get_tool(&self, name: &str) -> Option<rmcp::model::Tool> {
        self.tools.contains(name).then(|| definition(name)).flatten()
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let args = request.arguments.map(Value::Object).unwrap_or_else(|| json!({}));
        Ok(self.call(&request.name, args).await.into())
    }
}

//! `plasma-ops mcp`: the MCP server for coding agents over standard input and output. The tools
//! are `plasma-service`'s (`crates/service/src/mcp/`); this shell adds the two that read a local
//! checkout (`release_plan`, `audit`), which only the binary compiles.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Result, anyhow};
use clap::Args;
use plasma_service::mcp::{Local, PlasmaMcp, ToolError, select_tools};
use plasma_service::{App, system_clock};
use serde_json::Value;

use crate::args::{Format, Global};
use crate::exit;
use crate::output::Out;
use crate::service_cmds::{github, load_config, open_store, runtime};

/// `mcp` arguments.
#[derive(Debug, Args)]
pub struct McpArgs {
    /// Only these tools, comma-separated (agents pay context for each tool offered).
    #[arg(long, value_name = "A,B", env = "PLASMA_OPS_MCP_TOOLS")]
    pub tools: Option<String>,
    /// Service configuration file, as for `serve` (the store and GitHub credentials).
    #[arg(long, value_name = "FILE", env = "PLASMA_OPS_CONFIG_FILE")]
    pub service_config: Option<PathBuf>,
}

/// The local tools, judged with the configuration files given on the command line.
struct CliLocal {
    config: Option<PathBuf>,
    org_config: Option<PathBuf>,
}

impl CliLocal {
    fn global(&self) -> Global {
        Global {
            format: Format::Json,
            config: self.config.clone(),
            org_config: self.org_config.clone(),
        }
    }
}

fn tool_error(what: &str, e: &anyhow::Error) -> ToolError {
    ToolError::new(
        format!("{what}: {e:#}"),
        "pass `path` as a local checkout of a git repository (any directory inside it)",
    )
}

impl Local for CliLocal {
    fn release_plan(&self, path: &str) -> Result<Value, ToolError> {
        let g = self.global();
        let policy = crate::input::policy(&g).map_err(|e| tool_error("configuration", &e))?;
        crate::release_cmd::plan_json(&policy, Path::new(path))
            .map_err(|e| tool_error("release plan", &e))
    }

    fn audit(&self, path: &str) -> Result<Value, ToolError> {
        let report = crate::audit_cmd::report(&self.global(), Path::new(path))
            .map_err(|e| tool_error("audit", &e))?;
        serde_json::to_value(report).map_err(|e| ToolError::new(e.to_string(), "report this bug"))
    }
}

/// Runs `mcp`.
pub fn run(g: &Global, _out: &Out, args: McpArgs) -> Result<u8> {
    let tools = select_tools(args.tools.as_deref(), true).map_err(|e| anyhow!("--tools: {e}"))?;
    let policy = Arc::new(crate::input::policy(g)?);
    let cfg = load_config(args.service_config.as_deref())?;
    // Standard output is the protocol; logs go to standard error (as `logging::init` does).
    plasma_service::logging::init_with_default(plasma_service::LogFormat::Text, "warn");
    let local = CliLocal { config: g.config.clone(), org_config: g.org_config.clone() };
    let rt = runtime()?;
    rt.block_on(async move {
        let store = open_store(&cfg).await?;
        let gh = github(&cfg)?;
        let app = App::new(cfg, store, gh, system_clock());
        let server = PlasmaMcp::new(app, policy, tools, Some(Arc::new(local)));
        plasma_service::mcp::serve_stdio(server).await.map_err(|e| anyhow!(e))?;
        Ok(exit::OK)
    })
}

//! Rube (or any MCP server) as a notification target: plasma-ops is an MCP client that connects
//! over Streamable HTTP to a server of an MCP configuration file in the seed's format
//! (`config/rube/mcp-config.template.json`):
//!
//! ```json
//! {"mcpServers": {"rube": {"url": "https://rube.app/mcp",
//!   "headers": {"Authorization": "Bearer ${RUBE_API_KEY}"},
//!   "env": {"RUBE_API_KEY": "${RUBE_API_KEY}"}, "connections": ["github", "slack"]}}}
//! ```
//!
//! and calls the tool the notification configuration names, with its argument template filled in.
//! `${NAME}` placeholders in the URL and headers are filled from the server's `env` block (a
//! value that is itself a placeholder does not count) or else the service's environment.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use plasma_config::McpTarget;
use rmcp::ServiceExt;
use rmcp::model::{CallToolRequestParams, JsonObject};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use serde_json::Value;

use crate::env::Env;
use crate::error::SendError;
use crate::message::Message;

/// The largest MCP configuration file read.
const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

/// How long connecting, initialising and one tool call may take together.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// Where the MCP configuration file is: `RUBE_MCP_CONFIG`, else `~/.config/rube/mcp-config.json`.
pub fn config_path(env: &Env) -> Option<PathBuf> {
    if let Some(path) = env.var("RUBE_MCP_CONFIG") {
        return Some(expand_home(&path, env));
    }
    env.var("HOME").map(|home| Path::new(&home).join(".config/rube/mcp-config.json"))
}

fn expand_home(path: &str, env: &Env) -> PathBuf {
    match (path.strip_prefix("~/"), env.var("HOME")) {
        (Some(rest), Some(home)) => Path::new(&home).join(rest),
        _ => PathBuf::from(path),
    }
}

/// A server of the configuration file, its placeholders filled in.
#[derive(Clone)]
pub struct McpServer {
    /// The server's id.
    pub id: String,
    /// Its Streamable HTTP endpoint.
    pub url: String,
    /// Headers to send (credentials: never printed).
    headers: BTreeMap<String, String>,
}

impl fmt::Debug for McpServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("McpServer")
            .field("id", &self.id)
            .field("url", &self.url)
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// Reads server `id` from the configuration file at `path`. Errors name the file (with line and
/// column for JSON errors), the server and the missing variable, never a secret.
pub fn load_server(path: &Path, id: &str, env: &Env) -> Result<McpServer, SendError> {
    let shown = path.display();
    let meta = std::fs::metadata(path).map_err(|e| {
        SendError::permanent(format!(
            "cannot read the MCP configuration {shown}: {e}; copy config/rube/mcp-config.template.json \
             there (or set RUBE_MCP_CONFIG to its path) and fill in its secrets"
        ))
    })?;
    if meta.len() > MAX_CONFIG_BYTES {
        return Err(SendError::permanent(format!(
            "the MCP configuration {shown} is {} bytes, more than the {MAX_CONFIG_BYTES} read",
            meta.len()
        )));
    }
    let text = std::fs::read_to_string(path).map_err(|e| {
        SendError::permanent(format!("cannot read the MCP configuration {shown}: {e}"))
    })?;
    parse_server(&text, &shown.to_string(), id, env)
}

/// [`load_server`] on the file's text; `name` is how errors call the file.
pub fn parse_server(text: &str, name: &str, id: &str, env: &Env) -> Result<McpServer, SendError> {
    let root: Value = serde_json::from_str(text).map_err(|e| {
        SendError::permanent(format!(
            "{name}:{}:{}: not valid JSON: {e}; the file has the shape of \
             config/rube/mcp-config.template.json",
            e.line(),
            e.column()
        ))
    })?;
    let server = find_server(&root, id).ok_or_else(|| {
        SendError::permanent(format!(
            "{name}: no MCP server with id `{id}` under `mcpServers`; add it (the seed's template \
             names it `rube`) or name an existing one in notifications.targets.*.mcp.server"
        ))
    })?;
    let url = server.get("url").and_then(Value::as_str).ok_or_else(|| {
        SendError::permanent(format!(
            "{name}: server `{id}` has no `url`; plasma-ops reaches MCP servers over Streamable \
             HTTP only (a `command` server runs on a desktop, not beside the service)"
        ))
    })?;
    let own_env: BTreeMap<String, String> = server
        .get("env")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned())))
                .filter(|(_, v)| !v.contains("${"))
                .collect()
        })
        .unwrap_or_default();
    let fill = |value: &str, what: &str| {
        fill_placeholders(value, &own_env, env).map_err(|var| {
            SendError::permanent(format!(
                "{name}: {what} of server `{id}` uses ${{{var}}}, which is neither in its `env` \
                 block nor in the service's environment; set {var} for the service"
            ))
        })
    };
    let url = fill(url, "the url")?;
    let mut headers = BTreeMap::new();
    if let Some(map) = server.get("headers").and_then(Value::as_object) {
        for (k, v) in map {
            let Some(v) = v.as_str() else { continue };
            headers.insert(k.clone(), fill(v, &format!("header {k}"))?);
        }
    }
    Ok(McpServer { id: id.to_owned(), url, headers })
}

/// `mcpServers.<id>` (the seed's and Cursor's shape), or `servers.<id>` (VS Code's).
fn find_server<'a>(root: &'a Value, id: &str) -> Option<&'a Value> {
    ["mcpServers", "servers"].iter().find_map(|k| root.get(k)?.get(id))
}

/// `${NAME}` replaced from `own` or `env`; `Err(NAME)` for the first one neither has.
fn fill_placeholders(
    text: &str,
    own: &BTreeMap<String, String>,
    env: &Env,
) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return Ok(out);
        };
        let var = &after[..end];
        let value = own.get(var).cloned().or_else(|| env.var(var)).ok_or_else(|| var.to_owned())?;
        out.push_str(&value);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The tool and arguments for `message`: the event's own entry when there is one, else the
/// target's, with every `{{field}}` in a string replaced by the message's field.
pub fn tool_call(target: &McpTarget, message: &Message, idempotency_key: &str) -> (String, Value) {
    let (tool, template) = match target.events.get(&message.event) {
        Some(call) => (call.tool.clone(), &call.arguments),
        None => (target.tool.clone(), &target.arguments),
    };
    (tool, render(template, message, idempotency_key))
}

fn render(template: &Value, m: &Message, key: &str) -> Value {
    match template {
        Value::String(s) => {
            let fields = [
                ("{{title}}", m.title.as_str()),
                ("{{text}}", m.text.as_str()),
                ("{{url}}", m.url.as_deref().unwrap_or("")),
                ("{{event}}", m.event.as_str()),
                ("{{subject}}", m.subject.as_str()),
                ("{{occurred_at}}", m.occurred_at.as_deref().unwrap_or("")),
                ("{{idempotency_key}}", key),
            ];
            let mut s = s.clone();
            for (placeholder, value) in fields {
                s = s.replace(placeholder, value);
            }
            Value::String(s)
        }
        Value::Array(items) => Value::Array(items.iter().map(|v| render(v, m, key)).collect()),
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), render(v, m, key))).collect())
        }
        other => other.clone(),
    }
}

/// Connects to `server`, calls `tool` with `arguments`, disconnects. A tool that answers with
/// `isError` is a failure whose text is kept (trimmed) as the reason.
pub async fn call(server: &McpServer, tool: &str, arguments: Value) -> Result<String, SendError> {
    let arguments: JsonObject = match arguments {
        Value::Object(map) => map,
        Value::Null => JsonObject::new(),
        other => {
            return Err(SendError::permanent(format!(
                "the arguments of MCP tool {tool} must be a JSON object, not {other}"
            )));
        }
    };
    let run = async {
        let mut headers = HashMap::new();
        for (k, v) in &server.headers {
            let name = reqwest::header::HeaderName::from_bytes(k.as_bytes()).map_err(|_| {
                SendError::permanent(format!(
                    "header name {k:?} of MCP server `{}` is not valid",
                    server.id
                ))
            })?;
            let value = reqwest::header::HeaderValue::from_str(v).map_err(|_| {
                SendError::permanent(format!(
                    "the value of header {k} of MCP server `{}` is not a valid header value",
                    server.id
                ))
            })?;
            headers.insert(name, value);
        }
        let config = StreamableHttpClientTransportConfig::with_uri(server.url.as_str())
            .custom_headers(headers);
        let transport = StreamableHttpClientTransport::from_config(config);
        let client = ().serve(transport).await.map_err(|e| {
            // The URL may carry a filled-in placeholder (a key in its query): never repeat it.
            let said = e.to_string().replace(server.url.as_str(), "<its url>");
            SendError::retry(format!(
                "cannot open an MCP session with server `{}`: {said}",
                server.id
            ))
        })?;
        let params = CallToolRequestParams::new(tool.to_owned()).with_arguments(arguments);
        let result = client.call_tool(params).await;
        let _ = client.cancel().await;
        let result = result.map_err(|e| {
            let said = e.to_string().replace(server.url.as_str(), "<its url>");
            SendError::retry(format!(
                "MCP server `{}` failed the call of {tool}: {said}",
                server.id
            ))
        })?;
        let text: String = result
            .content
            .iter()
            .filter_map(|c| c.as_text().map(|t| t.text.clone()))
            .collect::<Vec<_>>()
            .join("\n");
        if result.is_error == Some(true) {
            let said: String = text.chars().take(300).collect();
            return Err(SendError::retry(format!(
                "MCP tool {tool} answered with an error: {said}"
            )));
        }
        Ok(text)
    };
    tokio::time::timeout(CALL_TIMEOUT, run).await.unwrap_or_else(|_| {
        Err(SendError::retry(format!(
            "MCP server `{}` did not answer the call of {tool} within {} s",
            server.id,
            CALL_TIMEOUT.as_secs()
        )))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use plasma_config::{McpCall, NotifyEvent};
    use serde_json::json;

    const SEED: &str = r#"{
  "mcpServers": {
    "rube": {
      "url": "https://rube.app/mcp",
      "headers": {"Authorization": "Bearer ${RUBE_API_KEY}"},
      "env": {"RUBE_API_KEY": "${RUBE_API_KEY}", "RUBE_WORKSPACE": "${RUBE_WORKSPACE}"},
      "connections": ["github", "slack"]
    }
  }
}"#;

    fn env(vars: &[(&str, &str)]) -> Env {
        Env::fixed(vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect())
    }

    #[test]
    fn the_seed_template_reads_with_secrets_from_the_environment() {
        let e = env(&[("RUBE_API_KEY", "rk-123")]);
        let server = parse_server(SEED, "mcp.json", "rube", &e).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(server.url, "https://rube.app/mcp");
        assert_eq!(server.headers.get("Authorization").map(String::as_str), Some("Bearer rk-123"));
        assert!(!format!("{server:?}").contains("rk-123"), "{server:?}");
    }

    #[test]
    fn a_filled_in_env_block_wins_over_the_environment() {
        let filled =
            SEED.replace(r#""RUBE_API_KEY": "${RUBE_API_KEY}""#, r#""RUBE_API_KEY": "own""#);
        let server = parse_server(&filled, "f", "rube", &env(&[("RUBE_API_KEY", "process")]))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(server.headers.get("Authorization").map(String::as_str), Some("Bearer own"));
    }

    #[test]
    fn errors_name_the_file_the_server_and_the_variable() {
        let missing = parse_server(SEED, "f", "rube", &env(&[])).unwrap_err();
        assert!(missing.message.contains("RUBE_API_KEY") && missing.permanent, "{missing}");
        let other = parse_server(SEED, "f", "slack", &env(&[])).unwrap_err();
        assert!(other.message.contains("`slack`"), "{other}");
        let bad =
            parse_server("{\n  \"mcpServers\": [}", "cfg.json", "rube", &env(&[])).unwrap_err();
        assert!(bad.message.starts_with("cfg.json:2:"), "{bad}");
        let stdio = r#"{"servers": {"rube": {"command": "rube", "args": ["mcp"]}}}"#;
        let stdio = parse_server(stdio, "f", "rube", &env(&[])).unwrap_err();
        assert!(stdio.message.contains("Streamable"), "{stdio}");
        let unclosed = r#"{"mcpServers": {"rube": {"url": "http://h/${OPEN"}}}"#;
        let server =
            parse_server(unclosed, "f", "rube", &env(&[])).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(server.url, "http://h/${OPEN");
        let none = load_server(Path::new("/nonexistent/mcp.json"), "rube", &env(&[])).unwrap_err();
        assert!(none.message.contains("/nonexistent/mcp.json"), "{none}");
    }

    #[test]
    fn the_path_comes_from_rube_mcp_config_else_home() {
        let e = env(&[("RUBE_MCP_CONFIG", "~/x/mcp.json"), ("HOME", "/home/ops")]);
        assert_eq!(config_path(&e), Some(PathBuf::from("/home/ops/x/mcp.json")));
        let e = env(&[("HOME", "/home/ops")]);
        assert_eq!(config_path(&e), Some(PathBuf::from("/home/ops/.config/rube/mcp-config.json")));
        assert_eq!(
            config_path(&env(&[("RUBE_MCP_CONFIG", "/etc/mcp.json")])),
            Some(PathBuf::from("/etc/mcp.json"))
        );
        assert_eq!(config_path(&env(&[])), None);
    }

    #[test]
    fn the_argument_template_is_filled_per_event() {
        let target = McpTarget {
            tool: "RUBE_MULTI_EXECUTE_TOOL".into(),
            arguments: json!({"tools": [{"tool_slug": "SLACK_SEND_MESSAGE",
                "arguments": {"channel": "#plasma-engine-devops", "text": "{{title}}\n{{text}} {{url}}"}}],
                "thought": "{{event}} {{subject}} {{occurred_at}} {{idempotency_key}}", "n": 3}),
            events: [(
                NotifyEvent::Release,
                McpCall { tool: "echo".into(), arguments: json!({"message": "{{title}}"}) },
            )]
            .into(),
            ..McpTarget::default()
        };
        let m = crate::message::ready_to_merge(
            "o/r",
            1,
            "T",
            "a",
            "abcdef0",
            Some("2026-12-01T00:00:00Z".into()),
        );
        let (tool, args) = tool_call(&target, &m, "n-7");
        assert_eq!(tool, "RUBE_MULTI_EXECUTE_TOOL");
        assert_eq!(
            args["tools"][0]["arguments"]["text"],
            json!(format!("{}\n{} https://github.com/o/r/pull/1", m.title, m.text))
        );
        assert_eq!(args["thought"], json!("ready_to_merge o/r#1 2026-12-01T00:00:00Z n-7"));
        assert_eq!(args["n"], json!(3));
        let r = crate::message::release("o/r", "v1", None, None);
        assert_eq!(
            tool_call(&target, &r, "k"),
            ("echo".to_owned(), json!({"message": "Release v1 of o/r"}))
        );
    }
}

#!/usr/bin/env bash
# Installs the MCP peer the notification tests talk to (tests/mcp-peer/package-lock.json):
# @modelcontextprotocol/server-everything, run over Streamable HTTP by crates/notify/tests/rube.rs.
# Idempotent: does nothing when the package is present and the lock file is not newer than it.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
    echo "tests/mcp-peer/install.sh: npm is not installed; install Node.js 18 or newer with npm" >&2
    exit 1
fi

marker="node_modules/@modelcontextprotocol/server-everything/dist/index.js"
installed="node_modules/.package-lock.json"
if [[ -f "$marker" && -f "$installed" && ! "package-lock.json" -nt "$installed" ]]; then
    exit 0
fi
npm ci --no-audit --no-fund --loglevel=error

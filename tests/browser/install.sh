#!/usr/bin/env bash
# Installs the browser tests' pinned npm package (tests/browser/package-lock.json): playwright-core,
# which drives Debian's chromium (/usr/bin/chromium, installed by .ci/run) and never downloads a
# browser (--ignore-scripts). Idempotent; safe to run from any directory.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

if ! command -v npm >/dev/null 2>&1; then
    echo "tests/browser/install.sh: npm is not installed (Debian/Ubuntu: apt-get install -y nodejs npm)" >&2
    exit 1
fi
installed="node_modules/.package-lock.json"
if [[ -f node_modules/playwright-core/package.json && -f "$installed" && ! package-lock.json -nt "$installed" ]]; then
    echo "tests/browser: playwright-core already installed"
else
    npm ci --ignore-scripts --no-audit --no-fund
fi
if [[ ! -x /usr/bin/chromium ]]; then
    echo "tests/browser: /usr/bin/chromium is missing: apt-get install -y chromium (.ci/run does)" >&2
    exit 1
fi

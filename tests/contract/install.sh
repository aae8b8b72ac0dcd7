#!/usr/bin/env bash
# Installs the pinned GitHub contract material (tests/contract/package-lock.json):
#   - node_modules/: @octokit/webhooks-examples, @stoplight/prism-cli, @octokit/graphql-schema and
#     graphql, and the MCP Inspector CLI with the reference server-everything (the MCP tests'
#     client and control) (`npm ci --omit=dev`);
#   - openapi/api.github.com.json: the one file plasma-ops needs from @octokit/openapi (a
#     devDependency, so `npm ci --omit=dev` skips its 385 MB), fetched with `npm pack`, checked
#     against the lock file's integrity hash and extracted.
# Idempotent: each part does nothing when it is present and matches the lock file. Safe to run from
# any directory.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
    echo "tests/contract/install.sh: npm is not installed; install Node.js 18 or newer with npm" >&2
    echo "  (Debian/Ubuntu: apt-get install -y nodejs npm), then run this script again" >&2
    exit 1
fi

# --- npm packages -------------------------------------------------------------------------------
markers=(
    "node_modules/@octokit/webhooks-examples/api.github.com/index.json"
    "node_modules/@stoplight/prism-cli/dist/index.js"
    "node_modules/.bin/mcp-inspector"
    "node_modules/.bin/mcp-server-everything"
    "node_modules/@octokit/graphql-schema/schema.json"
    "node_modules/graphql/package.json"
)
# npm writes this file on every install; it is newer than the lock after a successful `npm ci`.
installed="node_modules/.package-lock.json"

present=true
for m in "${markers[@]}"; do [[ -f "$m" ]] || present=false; done
if $present && [[ -f "$installed" && ! "package-lock.json" -nt "$installed" ]]; then
    echo "tests/contract: packages already installed ($(du -sh node_modules | cut -f1))"
else
    # --ignore-scripts: no package may run code at install time (a Prism dependency has a telemetry
    # postinstall). --omit=dev: @octokit/openapi is fetched below, one file instead of 385 MB.
    echo "tests/contract: npm ci (pinned versions from package-lock.json)"
    # Prism 5.16 declares node >= 24.18 but runs on the node 20 here; drop the engine warnings.
    npm ci --omit=dev --ignore-scripts --no-audit --no-fund 2>&1 | { grep -v 'EBADENGINE' || true; }
    [[ "${PIPESTATUS[0]}" == 0 ]] || { echo "tests/contract/install.sh: npm ci failed" >&2; exit 1; }
    for m in "${markers[@]}"; do
        if [[ ! -f "$m" ]]; then
            echo "tests/contract/install.sh: npm ci finished but $m is missing" >&2
            exit 1
        fi
    done
    echo "tests/contract: packages installed"
fi

# --- GitHub's REST OpenAPI description ----------------------------------------------------------
spec="openapi/api.github.com.json"
stamp="openapi/.source"
# "<version> <integrity>" of @octokit/openapi as the lock file pins it.
pinned="$(node -e '
    const lock = require("./package-lock.json");
    const p = lock.packages["node_modules/@octokit/openapi"];
    if (!p || !p.version || !p.integrity) { process.exit(1); }
    console.log(p.version + " " + p.integrity);
')" || {
    echo "tests/contract/install.sh: package-lock.json pins no @octokit/openapi" >&2
    exit 1
}
version="${pinned%% *}"
integrity="${pinned#* }"

if [[ -f "$spec" && -f "$stamp" && "$(cat "$stamp")" == "@octokit/openapi@$pinned" ]]; then
    echo "tests/contract: $spec already extracted (@octokit/openapi@$version)"
    exit 0
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
echo "tests/contract: npm pack @octokit/openapi@$version (about 29 MB)"
tarball="$(cd "$tmp" && npm pack "@octokit/openapi@$version" --silent --no-audit --no-fund | tail -n1)"
actual="$(node -e '
    const data = require("fs").readFileSync(process.argv[1]);
    console.log("sha512-" + require("crypto").createHash("sha512").update(data).digest("base64"));
' "$tmp/$tarball")"
if [[ "$actual" != "$integrity" ]]; then
    echo "tests/contract/install.sh: $tarball does not match package-lock.json" >&2
    echo "  expected $integrity" >&2
    echo "  got      $actual" >&2
    exit 1
fi
tar -xzf "$tmp/$tarball" -C "$tmp" package/generated/api.github.com.json
mkdir -p openapi
mv "$tmp/package/generated/api.github.com.json" "$spec"
echo "@octokit/openapi@$pinned" > "$stamp"
echo "tests/contract: extracted $spec ($(du -h "$spec" | cut -f1), integrity verified)"

#!/usr/bin/env bash
# plasma-ops's commit-message linter vs commitlint 21.2.4 with @commitlint/config-conventional,
# side by side in one run on the same data: shared/bench/messages.nul (10,000 real messages of
# angular/angular-cli, NUL-separated).
#
# Installs the pinned anchor into a scratch folder (the recipe of shared/bench/README.md), runs
# `node commitlint-api.mjs MESSAGES seq` (one process, config loaded once, messages linted in
# sequence) and `lint_messages` (crates/policy/examples), then prints for each tool the messages
# rejected, the counts per rule, every message whose verdict or rule set differs, and the speed of
# each and their ratio. Our figure is the median of ROUNDS passes (default 5; one pass takes
# tens of milliseconds, easily skewed by a neighbour on a shared machine).
#
# Usage: benches/commitlint-compare.sh [MESSAGES.nul]
#   PLASMA_BENCH_DATA  the shared bench folder (default: <repo>/../shared/bench)
#   COMMITLINT_ANCHOR  an existing anchor install to reuse instead of a fresh npm install
#   ROUNDS             passes of our lint loop (median reported)
# Exits 0 when it measured (even with differences: they are listed), 2 when it could not run.
set -euo pipefail

root=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
data=${PLASMA_BENCH_DATA:-$root/../shared/bench}
msgs=$(realpath "${1:-$data/messages.nul}")
for f in package.json commitlint.config.mjs commitlint-api.mjs; do
  [[ -r $data/$f ]] || { echo "commitlint-compare: $data/$f is missing; set PLASMA_BENCH_DATA" >&2; exit 2; }
done
[[ -r $msgs ]] || { echo "commitlint-compare: $msgs is missing" >&2; exit 2; }
for tool in node npm cargo; do
  command -v "$tool" >/dev/null || { echo "commitlint-compare: $tool is not installed" >&2; exit 2; }
done

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
anchor=${COMMITLINT_ANCHOR:-}
if [[ -z $anchor ]]; then
  anchor=$out/anchor
  mkdir "$anchor"
  # Node resolves the script's imports from where the script lies, so the copies are what runs.
  cp "$data"/{package.json,commitlint.config.mjs,commitlint-api.mjs} "$anchor"
  (cd "$anchor" && npm install --ignore-scripts --no-audit --no-fund --silent >/dev/null 2>&1) || {
    echo "commitlint-compare: npm install of the anchor failed in $anchor" >&2
    exit 2
  }
fi

# Build first, so the compile is not mistaken for a slow run.
(cd "$root" && cargo build --release -q -p plasma-policy --example lint_messages)
target=${CARGO_TARGET_DIR:-$root/target}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg), node $(node --version), $(date -u +%Y-%m-%dT%H:%MZ)"
# commitlint finds its configuration from the working directory: run it inside the anchor.
# Its summary is the last line of stderr (node's engine warnings may come before it).
(cd "$anchor" && node commitlint-api.mjs "$msgs" seq "$out/commitlint.json" 2>"$out/commitlint.summary")
"$target/release/examples/lint_messages" "$msgs" "${ROUNDS:-5}" >"$out/plasma.jsonl" 2>"$out/plasma.summary"
node "$root/benches/commitlint-compare.mjs" "$out" "$msgs"

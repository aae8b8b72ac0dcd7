#!/usr/bin/env bash
# Agent dispatch vs actions/labeler's matcher (minimatch, dot: true), side by side in one run on the
# same data: shared/bench/paths.txt (100,440 real paths) and shared/bench/labels.json.
#
# Installs the pinned anchor into a scratch folder (the recipe of shared/bench/README.md), runs
# `node labelmatch.mjs` and `cargo run --release -p plasma-policy --example labelmatch`, fails
# unless the per-label counts are identical, and prints both rates and their ratio. Our figure is
# the median of 5 passes (one pass takes ~25 ms, easily skewed by a neighbour on a shared
# machine); the first pass alone is printed too.
#
# Usage: benches/dispatch-vs-labeler.sh
#   PLASMA_BENCH_DATA  the shared bench folder (default: <repo>/../shared/bench)
set -euo pipefail

root=$(git rev-parse --show-toplevel)
data=${PLASMA_BENCH_DATA:-$root/../shared/bench}
for f in paths.txt labels.json labelmatch.mjs package.json commitlint.config.mjs commitlint-api.mjs; do
  if [[ ! -r $data/$f ]]; then
    echo "dispatch-vs-labeler: $data/$f is missing; set PLASMA_BENCH_DATA to the shared bench folder" >&2
    exit 2
  fi
done
for tool in node npm cargo; do
  command -v "$tool" >/dev/null || { echo "dispatch-vs-labeler: $tool is not installed" >&2; exit 2; }
done

anchor=$(mktemp -d)
trap 'rm -rf "$anchor"' EXIT
# Node resolves the script's imports from where the script lies, so the copies are what runs.
cp "$data"/{package.json,commitlint.config.mjs,commitlint-api.mjs,labelmatch.mjs} "$anchor"
(cd "$anchor" && npm install --ignore-scripts --no-audit --no-fund --silent >/dev/null 2>&1) || {
  echo "dispatch-vs-labeler: npm install of the anchor failed in $anchor" >&2
  exit 2
}

# Build first, so the compile is not mistaken for a slow run.
(cd "$root" && cargo build --release -q -p plasma-policy --example labelmatch)

# labelmatch.mjs prints its JSON on stderr; the node warnings (engine) go elsewhere.
node "$anchor/labelmatch.mjs" "$anchor" "$data/paths.txt" "$data/labels.json" 2>"$anchor/labeler.json"
(cd "$root" && cargo run --release -q -p plasma-policy --example labelmatch -- \
  "$data/paths.txt" "$data/labels.json") >"$anchor/dispatch.json"

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%MZ), node $(node --version)"
node - "$anchor/labeler.json" "$anchor/dispatch.json" <<'EOF'
const fs = require('node:fs');
const [labelerFile, dispatchFile] = process.argv.slice(2);
const last = f => JSON.parse(fs.readFileSync(f, 'utf8').trim().split('\n').pop());
const labeler = last(labelerFile), dispatch = last(dispatchFile);
const labels = [...new Set([...Object.keys(labeler.perLabel), ...Object.keys(dispatch.perLabel)])];
let same = labeler.paths === dispatch.paths && labeler.totalAssigned === dispatch.totalAssigned
  && labeler.pathsWithAnyLabel === dispatch.pathsWithAnyLabel;
console.log('label'.padEnd(12), 'labeler'.padStart(8), 'dispatch'.padStart(8));
for (const l of labels) {
  const a = labeler.perLabel[l], b = dispatch.perLabel[l];
  if (a !== b) same = false;
  console.log(l.padEnd(12), String(a).padStart(8), String(b).padStart(8), a === b ? '' : '  <- differs');
}
console.log('totalAssigned'.padEnd(12), String(labeler.totalAssigned).padStart(8), String(dispatch.totalAssigned).padStart(8));
console.log('pathsWithAnyLabel', labeler.pathsWithAnyLabel, dispatch.pathsWithAnyLabel);
console.log(`actions/labeler matcher (minimatch ${labeler.minimatch}): ${labeler.pathsPerSec} paths/s (${labeler.matchMs.toFixed(1)} ms for ${labeler.paths} paths)`);
const firstRate = Math.round(dispatch.paths / (dispatch.firstPassMs / 1000));
console.log(`plasma-policy dispatch:  ${dispatch.pathsPerSec} paths/s (median of ${dispatch.passes} passes, ${dispatch.matchMs.toFixed(1)} ms for ${dispatch.paths} paths), single thread`);
console.log(`                         ${firstRate} paths/s in the first pass alone (${dispatch.firstPassMs.toFixed(1)} ms)`);
console.log(`ratio: ${(dispatch.pathsPerSec / labeler.pathsPerSec).toFixed(1)}x (first pass: ${(firstRate / labeler.pathsPerSec).toFixed(1)}x)`);
console.log(`per-label counts identical: ${same ? 'yes' : 'NO'}`);
process.exit(same ? 0 : 1);
EOF

#!/usr/bin/env bash
# `plasma-ops history` vs the equivalent `git log` pipeline, side by side in one run, on a large
# local repository built from real data (there is no network here).
#
# The repository (built once into $PLASMA_HISTORY_BENCH_REPO, default /tmp/plasma-history-bench):
# - N commits (default 100,000) on `main` made with `git fast-import`, whose messages are the
#   10,000 real angular-cli commit messages of shared/bench/messages.nul, oldest first, repeated
#   until N; each commit changes one of 200 files under `src/`;
# - then S SSH-signed commits (default 500) made with `git commit -S` (ed25519 key generated with
#   ssh-keygen, `gpg.format ssh`, an allowed-signers file in `gpg.ssh.allowedSignersFile`),
#   messages again from messages.nul;
# - 20 tags `v0.<k>.0` along the history and 50 feature branches.
#
# Timings (output to /dev/null), side by side in one run:
#   walk:   git log --format='%H %P %ae %ct %s' main  vs  history_bench REPO main --no-verify
#           (and `--no-verify --reference`, the walk as it was before the fast walk), interleaved:
#           ROUNDS rounds (default 7) of one run each, the order rotating every round so none
#           always runs first; medians of wall and of CPU (user + system) seconds.
#   verify: git log --format='%H %G? %s' main          vs  history_bench REPO main  (best of 3;
#           PLASMA_HISTORY_BENCH_WALK_ONLY=1 skips it)
# `history_bench` (crates/gitrepo/examples) is the work of `plasma-ops history` (gix walk,
# parallel verification, the policy's history rules over every commit, branch and tag) without
# clap and rendering, so it builds in release mode without the service's dependencies. With
# PLASMA_HISTORY_BENCH_CLI=1 the real `plasma-ops history` binary is timed as well, and
# `history --messages` on the 10,000 messages.
#
# Usage: benches/history-bench.sh [N] [S]
#   PLASMA_BENCH_DATA         the shared bench folder (default: <repo>/../shared/bench)
#   PLASMA_HISTORY_BENCH_REPO where to build the repository (rebuilt when N or S change)
#   PLASMA_HISTORY_BENCH_BUILD_ONLY=1  build the repository and stop
#   PLASMA_HISTORY_BENCH_ROUNDS        rounds of the interleaved walk comparison (default 7)
set -euo pipefail

root=$(git rev-parse --show-toplevel)
data=${PLASMA_BENCH_DATA:-$root/../shared/bench}
n=${1:-100000}
s=${2:-500}
repo=${PLASMA_HISTORY_BENCH_REPO:-/tmp/plasma-history-bench}
msgs=$data/messages.nul
[[ -r $msgs ]] || { echo "history-bench: $msgs is missing; set PLASMA_BENCH_DATA" >&2; exit 2; }
for tool in git ssh-keygen python3 cargo; do
  command -v "$tool" >/dev/null || { echo "history-bench: $tool is not installed" >&2; exit 2; }
done

export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null

build_repo() {
  rm -rf "$repo" && mkdir -p "$repo"
  git -C "$repo" init -q -b main
  git -C "$repo" config user.name "Bench Signer"
  git -C "$repo" config user.email "bench@example.com"
  # The fast-import stream: one commit per message, a growing file per commit.
  python3 - "$msgs" "$n" <<'PY' | git -C "$repo" fast-import --quiet
import sys
msgs = [m for m in open(sys.argv[1], 'rb').read().split(b'\0') if m.strip()]
msgs.reverse()  # the file lists newest first; history grows oldest first
n = int(sys.argv[2])
out = sys.stdout.buffer
t0 = 1_600_000_000
for i in range(n):
    m = msgs[i % len(msgs)]
    if not m.endswith(b'\n'):
        m += b'\n'
    out.write(b'commit refs/heads/main\nmark :%d\n' % (i + 1))
    who = b'Bench Author <author%d@example.com> %d +0000\n' % (i % 37, t0 + i * 60)
    out.write(b'author ' + who + b'committer ' + who)
    out.write(b'data %d\n' % len(m) + m)
    if i:
        out.write(b'from :%d\n' % i)
    body = b'%d\n' % i
    out.write(b'M 100644 inline src/f%03d.txt\ndata %d\n' % (i % 200, len(body)) + body + b'\n')
    if i % (n // 20 or 1) == 0:
        out.write(b'reset refs/tags/v0.%d.0\nfrom :%d\n\n' % (i // (n // 20 or 1), i + 1))
PY
  git -C "$repo" reset -q --hard main
  for b in $(seq 1 50); do git -C "$repo" branch "bench/PE-$b-feature-$b" "main~$((b * 7))"; done
  ssh-keygen -q -t ed25519 -N '' -C bench -f "$repo/.git/bench_key"
  echo "bench@example.com $(cat "$repo/.git/bench_key.pub")" > "$repo/.git/allowed_signers"
  git -C "$repo" config gpg.format ssh
  git -C "$repo" config user.signingkey "$repo/.git/bench_key"
  git -C "$repo" config gpg.ssh.allowedSignersFile "$repo/.git/allowed_signers"
  local k=0
  while IFS= read -r -d '' m && (( k < s )); do
    git -C "$repo" commit -q -S --allow-empty -m "$m"
    k=$((k + 1))
  done < "$msgs"
  echo "$n $s" > "$repo/.git/bench-shape"
}

if [[ ! -f $repo/.git/bench-shape || $(cat "$repo/.git/bench-shape") != "$n $s" ]]; then
  echo "building $repo: $n fast-imported commits + $s SSH-signed commits ..." >&2
  start=$(date +%s.%N)
  build_repo
  echo "built in $(echo "$(date +%s.%N) - $start" | bc) s" >&2
fi
[[ ${PLASMA_HISTORY_BENCH_BUILD_ONLY:-} == 1 ]] && exit 0
total=$(git -C "$repo" rev-list --count main)
signed=$(git -C "$repo" log --format='%G?' main | grep -c G || true)

target=${CARGO_TARGET_DIR:-$root/target}
# The history work (walk, verify, rules) without the CLI's other dependencies: quick to build in
# release mode. PLASMA_HISTORY_BENCH_CLI=1 also times the real `plasma-ops history` binary.
(cd "$root" && cargo build --release -q -p plasma-gitrepo --example history_bench)
ex=$target/release/examples/history_bench

best() { # best-of-3 wall seconds of "$@"
  local b=999999 t
  for _ in 1 2 3; do
    local s0; s0=$(date +%s.%N)
    "$@" >/dev/null 2>&1 || true
    t=$(echo "$(date +%s.%N) - $s0" | bc)
    b=$(echo "if ($t < $b) $t else $b" | bc)
  done
  printf '%.3f' "$b"
}

# The walk, interleaved: one run of each per round, rotating which goes first.
rounds=${PLASMA_HISTORY_BENCH_ROUNDS:-7}
walkers=("git -C $repo log --format=%H%x20%P%x20%ae%x20%ct%x20%s main"
  "$ex $repo main --no-verify"
  "$ex $repo main --no-verify --reference")
times=$(mktemp)
trap 'rm -f "$times"' EXIT
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for ((r = 0; r < rounds; r++)); do
  for ((k = 0; k < 3; k++)); do
    w=$(((r + k) % 3))
    # shellcheck disable=SC2086  # the commands above are word-split on purpose
    /usr/bin/time -f "$w %e %U %S" -a -o "$times" ${walkers[$w]} >/dev/null
  done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
median() { # median of column $2 (wall) or of $3+$4 (cpu) for walker $1
  awk -v w="$1" -v c="$2" '$1 == w { print (c == "wall" ? $2 : $3 + $4) }' "$times" | sort -g |
    awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.3f", m }'
}
gwalk=$(median 0 wall) pwalk=$(median 1 wall) rwalk=$(median 2 wall)
gcpu=$(median 0 cpu) pcpu=$(median 1 cpu) rcpu=$(median 2 cpu)
if [[ ${PLASMA_HISTORY_BENCH_WALK_ONLY:-} == 1 ]]; then
  gver="-" pver="1"
else
  gver=$(best git -C "$repo" log --format='%H %G? %s' main)
  pver=$(best "$ex" "$repo" main)
fi
# The verdicts, so a fast wrong answer cannot pass unnoticed.
verdicts=$("$ex" "$repo" main | tr '\n' ' ')
gitgood=$(git -C "$repo" log --format='%G?' main | sort | uniq -c | tr -s ' \n' ' ')
cli_rows=""
if [[ ${PLASMA_HISTORY_BENCH_CLI:-} == 1 ]]; then
  (cd "$root" && cargo build --release -q -p plasma-ops)
  bin=$target/release/plasma-ops
  cwalk=$(best "$bin" history -C "$repo" --no-verify main)
  cver=$(best "$bin" history -C "$repo" main)
  clint=$(best "$bin" history --messages "$msgs")
  cli_rows="| plasma-ops history --no-verify main (whole CLI, text output) | | ${cwalk} s | |
| plasma-ops history main (whole CLI, text output) | | ${cver} s | |
| plasma-ops history --messages messages.nul (10,000 messages) | | ${clint} s | |"
fi

cat <<TXT
repository: $total commits on main ($signed SSH-signed), $(git -C "$repo" tag | wc -l) tags, $(git -C "$repo" branch | wc -l) branches
machine: $(nproc) cores "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')", $(date -u '+%Y-%m-%d %H:%M UTC'), git $(git --version | cut -d' ' -f3)
walk: $rounds interleaved rounds, load average $load_before before, $load_after after
| walk, no verification (median of $rounds) | git log | plasma-ops | plasma-ops before (--reference) |
| --- | --- | --- | --- |
| wall | ${gwalk} s | ${pwalk} s | ${rwalk} s |
| CPU (user + system) | ${gcpu} s | ${pcpu} s | ${rcpu} s |
| plasma-ops ÷ git log (wall) | | $(echo "scale=2; $pwalk / $gwalk" | bc) | $(echo "scale=2; $rwalk / $gwalk" | bc) |

| what | git log | plasma-ops | commits/s (plasma-ops) |
| --- | --- | --- | --- |
| walk + verify signatures (best of 3) | ${gver} s | ${pver} s | $(echo "$total / $pver" | bc) |
${cli_rows}
plasma-ops verdicts: ${verdicts}
plasma-ops verdicts, walk only: $("$ex" "$repo" main --no-verify | tr '\n' ' ')
before (--reference):           $("$ex" "$repo" main --no-verify --reference | tr '\n' ' ')
git %G? verdicts: ${gitgood}
TXT

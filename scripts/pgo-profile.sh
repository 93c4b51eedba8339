#!/usr/bin/env bash
# Makes the profile of the worker's hot path that `scripts/build.sh --pgo` compiles the
# executable with (GCC's profile-guided optimisation; bench/PROFILE.md has what it buys):
#   1. build-pgo/oauth2-rest, the executable instrumented (-DOAUTH2_REST_PROFILE_GENERATE);
#   2. the training run: bench/ab.sh runs it as the bench runs the worker (RabbitMQ on
#      loopback, the demo token server and API, prefetch 1, 10 and 100; every message must
#      succeed), and its runs write the profile into build-pgo/profile, emptied first (counts
#      from older sources would not match them).
# Usage: scripts/pgo-profile.sh BENCH_BUILD_DIR: the build whose bench driver, demo server and
# platform API run the training (configured with -DOAUTH2_REST_BENCH=ON and built). Knobs:
# OAUTH2_REST_PGO_MESSAGES (per prefetch, default 2000) and the broker variables of bench/run.sh.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export CCACHE_BASEDIR="$root"
jobs="${OAUTH2_REST_JOBS:-$(nproc)}"
tools="${1:?usage: scripts/pgo-profile.sh BENCH_BUILD_DIR}"
out="$root/build-pgo"
profile="$out/profile"
say() { echo "pgo-profile.sh: $* ($(date +%H:%M:%S))" >&2; }

say "instrumented executable in $out"
cmake -S . -B "$out" -DCMAKE_BUILD_TYPE=Release -DOAUTH2_REST_TESTS=OFF \
  -DOAUTH2_REST_PROFILE_GENERATE="$profile" >/dev/null
cmake --build "$out" -j "$jobs" --target oauth2-rest >/dev/null

messages="${OAUTH2_REST_PGO_MESSAGES:-2000}"
say "training run (bench/ab.sh, $messages messages at prefetch 1, 10 and 100)"
rm -rf "$profile"
mkdir -p "$profile"
BENCH_BUILD_DIR="$tools" BENCH_AB_RESULTS="$out/training" BENCH_RUNS=1 BENCH_MESSAGES="$messages" \
  BENCH_PREFETCHES="1 10 100" BENCH_AB_STUCK=0 \
  bash bench/ab.sh training="$out/oauth2-rest" >"$out/training.log" 2>&1 ||
  { tail -n 30 "$out/training.log" >&2; say "FAILED: the training run (log: $out/training.log)"; exit 1; }
# A run that failed messages trained error paths instead of the one that matters.
if ! grep -q '"errors":0,"timed_out":false' "$out/training.log" ||
   grep -q '"errors":[1-9]\|"timed_out":true' "$out/training.log"; then
  say "FAILED: the training run had errors or timed out (log: $out/training.log)"; exit 1
fi
n=$(find "$profile" -name '*.gcda' | wc -l)
(( n > 0 )) || { say "FAILED: the training run wrote no profile into $profile"; exit 1; }
say "profile: $n files in $profile"

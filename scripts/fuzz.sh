#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/) into build-fuzz/ with clang-14 and runs each for a while:
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     (default 60 s, every target)
# Each target runs on a copy of its committed corpus (fuzz/corpus/<target>/), so the committed
# files never change; new interesting inputs stay in build-fuzz/corpus/<target>/. A crash leaves
# its input in build-fuzz/artifacts/<target>/ and makes the script exit 1 after the other targets
# have run. CI runs it with a short time (e.g. 10).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
# ccache keys on relative paths below the checkout, so a fresh clone elsewhere reuses the cache.
export CCACHE_BASEDIR="$root"
seconds="${1:-60}"
[[ $# -gt 0 ]] && shift
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]" >&2; exit 2; }

"$root/scripts/install-deps.sh" --test
command -v clang++-14 >/dev/null || { echo "fuzz.sh: clang++-14 not found" >&2; exit 1; }

build="$root/build-fuzz"
jobs="${OAUTH2_REST_JOBS:-$(nproc)}"
cmake -S "$root" -B "$build" -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" \
  -DOAUTH2_REST_FUZZ=ON -DOAUTH2_REST_TESTS=OFF -DOAUTH2_REST_BENCH=OFF >/dev/null

targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
  for d in "$root"/fuzz/corpus/*/; do targets+=("$(basename "$d")"); done
fi
cmake --build "$build" -j "$jobs" --target "${targets[@]}"

symbolizer="$(command -v llvm-symbolizer-14 || command -v llvm-symbolizer || true)"
export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1${symbolizer:+:external_symbolizer_path=$symbolizer}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${symbolizer:+:external_symbolizer_path=$symbolizer}"

failed=()
for t in "${targets[@]}"; do
  seeds="$root/fuzz/corpus/$t"
  work="$build/corpus/$t"
  artifacts="$build/artifacts/$t"
  mkdir -p "$work" "$artifacts"
  [[ -d "$seeds" ]] && cp -n "$seeds"/* "$work"/ 2>/dev/null || true
  echo "fuzz.sh: $t for ${seconds}s" >&2
  if ! "$build/fuzz/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
       -print_final_stats=1 -artifact_prefix="$artifacts/" "$work" >"$build/$t.log" 2>&1; then
    tail -n 60 "$build/$t.log" >&2
    failed+=("$t")
  else
    grep -E "^stat::(number_of_executed_units|new_units_added)" "$build/$t.log" | tr '\n' ' ' >&2
    echo >&2
  fi
done

if [[ ${#failed[@]} -gt 0 ]]; then
  echo "fuzz.sh: crashes in: ${failed[*]} (inputs in $build/artifacts/)" >&2
  exit 1
fi
echo "fuzz.sh: ${#targets[@]} targets, ${seconds}s each, no crash" >&2

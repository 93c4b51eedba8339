#!/usr/bin/env bash
# The whole test suite under sanitizers: scripts/test-sanitized.sh address|thread [ctest args...]
#
#   address  AddressSanitizer + UndefinedBehaviorSanitizer (and LeakSanitizer), built in build-asan/
#   thread   ThreadSanitizer, built in build-tsan/
#
# RelWithDebInfo at -O1 (readable stacks, tolerable speed), ccache when present, tests ON. The
# broker tests start their own private RabbitMQ through CTest's fixtures, as in scripts/test.sh;
# to run beside another checkout set OAUTH2_REST_AMQP_PORT, OAUTH2_REST_BROKER_NODE,
# OAUTH2_REST_BROKER_DIR (and OAUTH2_REST_BROKER_DIST_PORT) first. The tests start the built
# oauth2-rest binary as a child: it is instrumented too and inherits the options below, so a
# finding in the child fails the test that ran it. Any extra arguments go to ctest
# (e.g. -R worker_tests). OAUTH2_REST_BUILD_ONLY=1 builds without running.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
# ccache keys on relative paths below the checkout, so a fresh clone elsewhere reuses the cache.
export CCACHE_BASEDIR="$root"

kind="${1:-}"
case "$kind" in
  address) sanitize="address;undefined"; dir="$root/build-asan" ;;
  thread) sanitize="thread"; dir="$root/build-tsan" ;;
  *) echo "usage: scripts/test-sanitized.sh address|thread [ctest args...]" >&2; exit 2 ;;
esac
shift

"$root/scripts/install-deps.sh" --test
jobs="${OAUTH2_REST_JOBS:-$(nproc)}"

cmake -S "$root" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g -DNDEBUG" \
  -DOAUTH2_REST_SANITIZE="$sanitize" -DOAUTH2_REST_TESTS=ON -DOAUTH2_REST_BENCH=OFF >/dev/null
cmake --build "$dir" -j "$jobs"
[[ "${OAUTH2_REST_BUILD_ONLY:-0}" == 1 ]] && exit 0

# The wire-compatibility tests compare with the reference Node.js runtime (as scripts/test.sh).
export OAUTH2_REST_REFERENCE_RUNTIME="${OAUTH2_REST_REFERENCE_RUNTIME:-$root/build/reference-runtime}"
"$root/scripts/install-reference-runtime.sh" "$OAUTH2_REST_REFERENCE_RUNTIME"

# Runtime options: every finding is fatal and visible. The symbolizer turns addresses into lines.
symbolizer="$(command -v llvm-symbolizer || command -v llvm-symbolizer-14 || true)"
sym_opt=""
[[ -n "$symbolizer" ]] && sym_opt=":external_symbolizer_path=$symbolizer"
# Every report is also written to a file (log_path): a finding in a child the test never asks
# for its exit code (a worker killed on purpose, say) must still fail the run.
reports="$dir/sanitizer-reports"
rm -rf "$reports" && mkdir -p "$reports"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1:strict_string_checks=1:log_path=$reports/asan${sym_opt}${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$reports/ubsan${sym_opt}${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
export LSAN_OPTIONS="suppressions=$root/scripts/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$root/scripts/tsan.supp:log_path=$reports/tsan${sym_opt}${TSAN_OPTIONS:+:$TSAN_OPTIONS}"

cd "$dir"
# Generous timeouts: the sanitizers slow everything down, and no test may depend on speed.
status=0
ctest --output-on-failure --timeout 1800 -j "${OAUTH2_REST_TEST_JOBS:-2}" "$@" || status=$?
if compgen -G "$reports/*" >/dev/null; then
  echo "test-sanitized: sanitizer reports (also from child processes):" >&2
  for f in "$reports"/*; do echo "== $f" >&2; cat "$f" >&2; done
  status=1
fi
exit "$status"

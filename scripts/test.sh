#!/usr/bin/env bash
# Every test: installs what is missing, builds (profile-guided, scripts/build.sh --pgo: the
# executable the suite runs is the one the bench measures), installs the reference runtime and the OpenID
# provider oidc-provider from npm, runs the
# whole suite with CTest (the broker tests start and stop their own RabbitMQ on loopback), then
# the same suite under AddressSanitizer+UBSan and under ThreadSanitizer, each fuzz target briefly
# on its committed corpus, the container image built and checked (scripts/image.sh), and every
# benchmark once with tiny sizes (so none of them rots).
#   OAUTH2_REST_QUICK=1 runs only the first part (the plain test suite).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
export CCACHE_BASEDIR="$root"
started=$(date +%s)
step() { echo "== test.sh: $* ($(( $(date +%s) - started )) s)" >&2; }

"$root/scripts/install-deps.sh" --test
step "build (profile-guided: scripts/build.sh --pgo)"
"$root/scripts/build.sh" --pgo
export OAUTH2_REST_REFERENCE_RUNTIME="$root/build/reference-runtime"
"$root/scripts/install-reference-runtime.sh" "$OAUTH2_REST_REFERENCE_RUNTIME"
# The OpenID provider of the client-authentication end-to-end test (spec/component/oidc_provider_test.cpp).
export OAUTH2_REST_TEST_SERVERS="$root/build/test-servers"
"$root/scripts/install-test-servers.sh" "$OAUTH2_REST_TEST_SERVERS"

step "test suite"
summary="$root/build/ctest-summary.txt"
(cd "$root/build" && ctest --output-on-failure --timeout 600 -j "${OAUTH2_REST_TEST_JOBS:-2}") | tee "$summary"
main_line="$(grep -E "tests passed, [0-9]+ tests failed out of [0-9]+" "$summary" | tail -n1)"

if [[ "${OAUTH2_REST_QUICK:-0}" != 1 ]]; then
  step "test suite under AddressSanitizer + UndefinedBehaviorSanitizer"
  "$root/scripts/test-sanitized.sh" address
  step "test suite under ThreadSanitizer"
  "$root/scripts/test-sanitized.sh" thread
  step "fuzz targets, ${OAUTH2_REST_FUZZ_SECONDS:-10} s each"
  "$root/scripts/fuzz.sh" "${OAUTH2_REST_FUZZ_SECONDS:-10}"
  step "container image: build and check (scripts/image.sh)"
  image_started=$(date +%s)
  "$root/scripts/image.sh"
  echo "== test.sh: the image step took $(( $(date +%s) - image_started )) s" >&2
  step "benchmarks, smoke sizes"
  bash "$root/bench/run.sh" --smoke
fi

step "done"
total="$(sed -E 's/.*out of ([0-9]+).*/\1/' <<<"$main_line")"
failed="$(sed -E 's/.*tests passed, ([0-9]+) tests failed.*/\1/' <<<"$main_line")"
echo "tests: $(( total - failed )) passed, $failed failed"

#!/usr/bin/env bash
# Every test: installs what is missing, builds, installs the reference runtime from npm, and runs
# the whole suite with CTest (the broker tests start and stop their own RabbitMQ on loopback).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/install-deps.sh" --test
"$root/scripts/build.sh"
export OAUTH2_REST_REFERENCE_RUNTIME="$root/build/reference-runtime"
"$root/scripts/install-reference-runtime.sh" "$OAUTH2_REST_REFERENCE_RUNTIME"
cd "$root/build"
ctest --output-on-failure --timeout 600 -j "${OAUTH2_REST_TEST_JOBS:-2}"

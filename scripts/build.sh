#!/usr/bin/env bash
# Configures and builds oauth2-rest into build/ (Release, tests included unless --no-tests).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tests=ON
[[ "${1:-}" == "--no-tests" ]] && tests=OFF
jobs="${OAUTH2_REST_JOBS:-$(nproc)}"
# ccache keys on relative paths below the checkout, so a fresh clone elsewhere reuses the cache.
export CCACHE_BASEDIR="$root"
cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=Release -DOAUTH2_REST_TESTS="$tests" >/dev/null
cmake --build "$root/build" -j "$jobs"

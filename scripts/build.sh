#!/usr/bin/env bash
# Configures and builds oauth2-rest into build/ (Release, tests included unless --no-tests).
#   --pgo: the executable (and the core library the tests link) compiled with a profile of the
#          worker's hot path, made first by scripts/pgo-profile.sh (an instrumented build and a
#          training run against RabbitMQ on loopback; about 6 minutes more on 2 cores, and it
#          needs the test dependencies: scripts/install-deps.sh --test). Without it, no profile.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tests=ON pgo=0
for arg in "$@"; do
  case "$arg" in
    --no-tests) tests=OFF ;;
    --pgo) pgo=1 ;;
    *) echo "build.sh: unknown argument '$arg' (--no-tests, --pgo)" >&2; exit 2 ;;
  esac
done
jobs="${OAUTH2_REST_JOBS:-$(nproc)}"
# ccache keys on relative paths below the checkout, so a fresh clone elsewhere reuses the cache.
export CCACHE_BASEDIR="$root"
config=(-S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=Release -DOAUTH2_REST_TESTS="$tests")
if (( pgo )); then
  # The training's driver and servers come from this build, without a profile.
  cmake "${config[@]}" -DOAUTH2_REST_BENCH=ON -DOAUTH2_REST_PROFILE_USE= >/dev/null
  cmake --build "$root/build" -j "$jobs" --target oauth2-rest-demo-server oauth2-rest-bench-platform \
    oauth2-rest-bench-driver oauth2-rest-yardstick
  "$root/scripts/pgo-profile.sh" "$root/build"
  cmake "${config[@]}" -DOAUTH2_REST_PROFILE_USE="$root/build-pgo/profile" >/dev/null
else
  cmake "${config[@]}" -DOAUTH2_REST_PROFILE_USE= >/dev/null
fi
cmake --build "$root/build" -j "$jobs"

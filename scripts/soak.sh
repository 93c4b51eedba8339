#!/bin/sh
# The soak run (issue 5, item 6; not in CI): scripts/soak.sh [MINUTES]   (default 10)
#
# Builds oauth2-rest and oauth2-rest-soak, starts the private test broker (scripts/broker.sh),
# runs the worker for MINUTES at a steady rate with 1 API connection in 100 reset by the fault
# proxy, prints resident memory and open descriptors over time, p50/p99 latency, lost and
# duplicated counts, and stops the broker it started. Exit 0 when the targets hold (memory growth
# < 5%, descriptors flat, nothing lost).
#
# Environment: SOAK_RATE=N uses 80% of N msg/s instead of measuring the maximum with a burst;
# SOAK_PREFETCH (default 20); BUILD_DIR (default build); the broker variables of scripts/broker.sh
# (OAUTH2_REST_AMQP_PORT, OAUTH2_REST_BROKER_NODE, OAUTH2_REST_BROKER_DIR) for a private node.
set -eu

minutes=${1:-10}
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}

if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo
fi
cmake --build "$build" -j"${JOBS:-2}" --target oauth2-rest oauth2-rest-soak

started=0
if ! "$root/scripts/broker.sh" status >/dev/null 2>&1; then
  "$root/scripts/broker.sh" start
  started=1
fi
cleanup() { [ "$started" = 1 ] && "$root/scripts/broker.sh" stop || true; }
trap cleanup EXIT INT TERM

"$build/spec/runtime/oauth2-rest-soak" "$minutes"

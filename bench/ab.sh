#!/usr/bin/env bash
# Two (or more) builds of the worker side by side in one run, as bench/run.sh measures "ours":
# prefetch 1, 10 and 100 end to end (one GET to the demo API per message), and the stuck-message
# scenario (prefetch 100, all normal vs the first message's call hanging). The binaries take turns
# within every run (the order is reversed on every other run), so load on the machine hits both.
#
# Usage: bench/ab.sh [--smoke] LABEL=OAUTH2-REST-BINARY...
#   e.g. bench/ab.sh old=/work/old/build/oauth2-rest new=build-bench/oauth2-rest
#   LABEL=yardstick takes the raw-client yardstick (bench/yardstick.cpp) as a participant; put
#   it first to get ours as a fraction of it: bench/ab.sh yardstick=yardstick ours=build/oauth2-rest
#   (it has no stuck-message run). LABEL=yardstick-platform takes it with --platform-output (the
#   headers, mandatory flag and body size the platform's protocol gives every output);
#   LABEL=yardstick-platform-PARTS with only some of them (PARTS of H, M, B: see yardstick.cpp),
#   e.g. headers=yardstick-platform-H; any of these with the suffix +2conn publishes on a second
#   connection, as the worker does (--publish-connection), e.g. both=yardstick-platform+2conn.
# The driver, demo server and platform API come from BENCH_BUILD_DIR (default build; built with
# -DOAUTH2_REST_BENCH=ON; nothing is built here). Knobs: BENCH_RUNS (default 3), BENCH_MESSAGES
# (per end-to-end run, default 5000), BENCH_STUCK_MESSAGES (per stuck-message run, default
# 20000), BENCH_PREFETCHES (default "1 10 100"; "" for none), BENCH_AB_STUCK (1: run the stuck
# scenario, the default; 0: skip it), BENCH_AB_RESULTS (default bench/results/ab; --smoke:
# bench/results/smoke/ab), and the broker variables of bench/run.sh. Writes raw.jsonl and
# latest.md there.
set -euo pipefail

smoke=0
specs=()
for arg in "$@"; do
  case "$arg" in
    --smoke) smoke=1 ;;
    -h|--help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *=*) specs+=("$arg") ;;
    *) echo "bench/ab.sh: expected LABEL=BINARY, got '$arg' (see --help)" >&2; exit 2 ;;
  esac
done
(( ${#specs[@]} )) || { echo "bench/ab.sh: give at least one LABEL=BINARY (see --help)" >&2; exit 2; }

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
if (( smoke )); then
  runs=${BENCH_RUNS:-1}; messages=${BENCH_MESSAGES:-200}; stuck_messages=${BENCH_STUCK_MESSAGES:-300}
  results=${BENCH_AB_RESULTS:-$root/bench/results/smoke/ab}
else
  runs=${BENCH_RUNS:-3}; messages=${BENCH_MESSAGES:-5000}; stuck_messages=${BENCH_STUCK_MESSAGES:-20000}
  results=${BENCH_AB_RESULTS:-$root/bench/results/ab}
fi
prefetches=${BENCH_PREFETCHES-1 10 100}
with_stuck=${BENCH_AB_STUCK:-1}

labels=(); binaries=()
for spec in "${specs[@]}"; do
  label=${spec%%=*}; binary=${spec#*=}
  if [[ "$binary" =~ ^yardstick(-platform(-[HMB]+)?)?(\+2conn)?$ ]]; then
    labels+=("$label"); binaries+=("$binary"); continue
  fi
  [[ -x "$binary" ]] || { echo "bench/ab.sh: $binary is not an executable" >&2; exit 2; }
  labels+=("$label"); binaries+=("$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")")
done

bench_broker_env
bench_locate "${BENCH_BUILD_DIR:-build}" --without-worker
bench_services
mkdir -p "$results"
raw="$results/raw.jsonl"
: >"$raw"

# The indexes of the binaries in this run's order: as given on odd runs, reversed on even ones.
order() {
  local n=${#labels[@]} i
  if (( $1 % 2 )); then for ((i = 0; i < n; i++)); do echo "$i"; done
  else for ((i = n - 1; i >= 0; i--)); do echo "$i"; done; fi
}

for run in $(seq 1 "$runs"); do
  for prefetch in $prefetches; do
    for i in $(order "$run"); do
      if [[ "${binaries[$i]}" == yardstick* ]]; then
        kind=${binaries[$i]%+2conn}
        case "$kind" in
          yardstick-platform) extra=(--platform-output) ;;
          yardstick-platform-*) extra=("--platform-output=${kind#yardstick-platform-}") ;;
          *) extra=() ;;
        esac
        [[ "${binaries[$i]}" == *+2conn ]] && extra+=(--publish-connection)
        scenario "${labels[$i]}" "prefetch-$prefetch" "$run" --messages "$messages" --prefetch "$prefetch" -- \
          "$yardstick" --token-url @DEMO@/oauth/token --api-url @DEMO@/api/items/1 "${extra[@]}"
      else
        scenario "${labels[$i]}" "prefetch-$prefetch" "$run" --messages "$messages" --prefetch "$prefetch" -- "${binaries[$i]}" sail
      fi
    done
  done
  if [[ "$with_stuck" == 1 ]]; then
    for i in $(order "$run"); do
      [[ "${binaries[$i]}" == yardstick* ]] && continue
      stuck_pair "${labels[$i]}" "$run" "$stuck_messages" "${binaries[$i]}" sail
    done
  fi
done

command_line="bash bench/ab.sh"
(( smoke )) && command_line+=" --smoke"
command_line+=" ${specs[*]}"
node "$root/bench/ab_report.js" "$raw" "$command_line" \
  "messages=$messages stuck_messages=$stuck_messages runs=$runs" "${labels[@]}" >"$results/latest.md"
cat "$results/latest.md"
log "wrote $results/latest.md"

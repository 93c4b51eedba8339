#!/usr/bin/env bash
# What one message costs, counted rather than timed: instructions, allocations, system calls and
# wake-ups per message of worker builds and of the yardstick, at prefetch 1 and 100 (the table
# in bench/PROFILE.md). Counts do not move with the machine's load, so builds measured on
# different days compare.
#
# Usage: bench/per_message.sh LABEL=OAUTH2-REST-BINARY... (LABEL=yardstick for the yardstick)
#   e.g. bash bench/per_message.sh yardstick=yardstick old=/tmp/old/oauth2-rest new=build/oauth2-rest
# Needs valgrind and strace (installed if missing) and the bench targets in BENCH_BUILD_DIR
# (default build; -DOAUTH2_REST_BENCH=ON). Knobs: BENCH_PREFETCHES (default "1 100"),
# BENCH_COUNT_MESSAGES (default 2000). Per build and prefetch:
#   - instructions and allocations (malloc, calloc, realloc and aligned calls, glibc's or
#     mimalloc's, and mimalloc's operator new): callgrind, a run of N and one of 2N messages,
#     the difference over N (start-up and shutdown cancel);
#   - system calls: strace -f -c over 2N messages;
#   - wake-ups: voluntary context switches of all the process's threads over 2N messages.
# Writes bench/results/per-message/latest.md (and raw/, the tools' own files, not kept in git).
set -euo pipefail

specs=()
for arg in "$@"; do
  case "$arg" in
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *=*) specs+=("$arg") ;;
    *) echo "bench/per_message.sh: expected LABEL=BINARY, got '$arg' (see --help)" >&2; exit 2 ;;
  esac
done
(( ${#specs[@]} )) || { echo "bench/per_message.sh: give at least one LABEL=BINARY (see --help)" >&2; exit 2; }

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
missing=()
command -v valgrind >/dev/null 2>&1 || missing+=(valgrind)
command -v strace >/dev/null 2>&1 || missing+=(strace)
if (( ${#missing[@]} )); then
  sudo_cmd=(); [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
n=${BENCH_COUNT_MESSAGES:-2000}
prefetches=${BENCH_PREFETCHES-1 100}
results="$root/bench/results/per-message"
mkdir -p "$results/raw"
rm -f "$results/raw/"*

bench_broker_env
bench_locate "${BENCH_BUILD_DIR:-build}"
bench_services
raw="$results/raw/driver.jsonl"
: >"$raw"

# Between the driver and the program where a tool would keep the driver's SIGTERM from it:
# strace must pass it on (the program exits, then strace writes its counts), and the wake-ups are
# read just before the program is told to stop. valgrind needs no wrapper: it runs the program
# in its own process, which gets the signal (as in stuck_ir.sh).
cat >"$tmp/under-strace.sh" <<'EOF'
#!/bin/bash
# under-strace.sh OUT PROGRAM...: strace -f -c -o OUT PROGRAM, TERM passed on to PROGRAM.
out=$1; shift
strace -f -c -o "$out" "$@" &
pid=$!
trap 'pkill -TERM -P $pid' TERM
wait $pid; wait $pid
EOF
cat >"$tmp/wakeups.sh" <<'EOF'
#!/bin/bash
# wakeups.sh OUT PROGRAM...: on TERM, writes the voluntary context switches of all the
# program's threads to OUT, then passes TERM on.
out=$1; shift
"$@" &
pid=$!
trap 'v=0; for s in /proc/$pid/task/*/status; do v=$((v + $(awk "/^voluntary_ctxt_switches/ {print \$2}" "$s"))); done; echo "$v" >"$out"; kill -TERM $pid' TERM
wait $pid; wait $pid
EOF
chmod +x "$tmp/under-strace.sh" "$tmp/wakeups.sh"

program() {  # the program's command line for a spec
  if [[ "$1" == yardstick ]]; then echo "$yardstick" --token-url @DEMO@/oauth/token --api-url @DEMO@/api/items/1
  else echo "$1" sail; fi
}

for p in $prefetches; do
  for spec in "${specs[@]}"; do
    label=${spec%%=*}; binary=${spec#*=}
    if [[ "$binary" != yardstick ]]; then
      [[ -x "$binary" ]] || { echo "bench/per_message.sh: $binary is not an executable" >&2; exit 2; }
      binary="$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")"  # the driver runs elsewhere
    fi
    read -r -a cmd <<<"$(program "$binary")"
    for m in "$n" "$((2 * n))"; do
      scenario "$label" "callgrind-$p-$m" 1 --timeout 900 --messages "$m" --prefetch "$p" -- \
        valgrind --tool=callgrind --callgrind-out-file="$results/raw/$label-p$p-m$m.cg" "${cmd[@]}"
      callgrind_annotate --tree=caller "$results/raw/$label-p$p-m$m.cg" >"$results/raw/$label-p$p-m$m.txt" 2>/dev/null
    done
    scenario "$label" "strace-$p" 1 --messages "$((2 * n))" --prefetch "$p" -- \
      "$tmp/under-strace.sh" "$results/raw/$label-p$p.strace" "${cmd[@]}"
    scenario "$label" "wakeups-$p" 1 --messages "$((2 * n))" --prefetch "$p" -- \
      "$tmp/wakeups.sh" "$results/raw/$label-p$p.wakeups" "${cmd[@]}"
  done
done

labels=(); for spec in "${specs[@]}"; do labels+=("${spec%%=*}"); done
node "$root/bench/per_message_report.js" "$results/raw" "$n" "$prefetches" "bash bench/per_message.sh ${specs[*]}" "${labels[@]}" \
  >"$results/latest.md"
cat "$results/latest.md"
log "wrote $results/latest.md"

#!/usr/bin/env bash
# The stuck-message scenario of bench/run.sh counted in instructions, which the machine's load does
# not change: each worker build runs under `valgrind --tool=callgrind` on N messages at prefetch
# 100, (a) all normal and (b) the first message's call hanging for the whole run; the worker's
# whole-process instruction count (callgrind's summary, start and stop included, the same in a
# and b) divided by the messages processed (N, N-1), and b ÷ a. An ack bookkeeping that is O(1)
# per ack gives b ÷ a ≈ 1 at any N; one that scans the deliveries behind the stuck head gives a
# b - a that grows with N (run two sizes to see it).
#
# Usage: bench/stuck_ir.sh LABEL=OAUTH2-REST-BINARY...
# Knobs: BENCH_STUCK_IR_MESSAGES (default "10000"; several sizes, e.g. "5000 20000", run each),
# BENCH_BUILD_DIR (driver, demo server and platform API; default build), BENCH_AB_RESULTS (default
# bench/results/ab: writes stuck_ir.jsonl and stuck_ir.md there), BENCH_STUCK_IR_KEEP (a directory:
# keep each callgrind output there, for callgrind_annotate), the broker variables of run.sh.
# Slow: about 1 minute per 10,000 messages per run on one core.
set -euo pipefail

specs=()
for arg in "$@"; do
  case "$arg" in
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *=*) specs+=("$arg") ;;
    *) echo "bench/stuck_ir.sh: expected LABEL=BINARY, got '$arg' (see --help)" >&2; exit 2 ;;
  esac
done
(( ${#specs[@]} )) || { echo "bench/stuck_ir.sh: give at least one LABEL=BINARY (see --help)" >&2; exit 2; }
command -v valgrind >/dev/null || { echo "bench/stuck_ir.sh: valgrind is not installed" >&2; exit 1; }

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
sizes=${BENCH_STUCK_IR_MESSAGES:-10000}
results=${BENCH_AB_RESULTS:-$root/bench/results/ab}

bench_broker_env
bench_locate "${BENCH_BUILD_DIR:-build}"
bench_services
mkdir -p "$results"
raw="$tmp/raw.jsonl"
: >"$raw"
ir_raw="$results/stuck_ir.jsonl"
: >"$ir_raw"

step_extra=',"requestTimeout":1140'
for n in $sizes; do
  for spec in "${specs[@]}"; do
    label=${spec%%=*}; binary=${spec#*=}
    for name in stuck-none stuck-one; do
      args=(--timeout 3600 --messages "$n" --prefetch 100)
      [[ $name == stuck-one ]] && args+=(--stuck-url "@PLATFORM@/hang")
      out="$tmp/cg-$label-$name-$n.out"
      scenario "$label" "$name-$n" 1 OAUTH2_REST_DRAIN_TIMEOUT_MS=200 "${args[@]}" -- \
        valgrind --tool=callgrind --callgrind-out-file="$out" "$binary" sail
      for _ in $(seq 1 100); do [[ -s "$out" ]] && grep -q '^summary:' "$out" && break; sleep 0.1; done
      ir=$(sed -n 's/^summary: *//p' "$out")
      [[ -n "${BENCH_STUCK_IR_KEEP:-}" ]] && mkdir -p "$BENCH_STUCK_IR_KEEP" && cp "$out" "$BENCH_STUCK_IR_KEEP/"
      figures=$(tail -n1 "$raw")
      printf '{"runtime":"%s","scenario":"%s","messages":%d,"ir":%s,"run":%s}\n' "$label" "$name" "$n" "${ir:-null}" "$figures" >>"$ir_raw"
      log "$label $name N=$n: ${ir:-?} instructions"
    done
  done
done

node - "$ir_raw" >"$results/stuck_ir.md" <<'EOF'
const fs = require('fs');
const rows = fs.readFileSync(process.argv[2], 'utf8').split('\n').filter(Boolean).map(JSON.parse);
const fmt = (x, d = 0) => (Number.isFinite(x) ? x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }) : 'n/a');
const out = ['| build | N | (a) instructions per message, all normal | (b) per normal message, first one hanging | b ÷ a | b − a per message |', '|---|---:|---:|---:|---:|---:|'];
for (const a of rows.filter((r) => r.scenario === 'stuck-none')) {
  const b = rows.find((r) => r.scenario === 'stuck-one' && r.runtime === a.runtime && r.messages === a.messages);
  const done = (r) => r.run.figures.data + r.run.figures.errors;
  const ok = (r) => r && r.run.figures.errors === 0 && !r.run.figures.timed_out && !r.run.figures.stuck_settled && Number.isFinite(r.ir);
  const pa = ok(a) ? a.ir / done(a) : NaN;
  const pb = ok(b) ? b.ir / done(b) : NaN;
  out.push(`| ${a.runtime} | ${fmt(a.messages)} | ${fmt(pa)} | ${fmt(pb)} | ${fmt(pb / pa, 3)} | ${fmt(pb - pa)} |`);
}
process.stdout.write(out.join('\n') + '\n');
EOF
cat "$results/stuck_ir.md"
log "wrote $results/stuck_ir.md"

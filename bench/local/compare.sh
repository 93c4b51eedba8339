#!/usr/bin/env bash
# Local mode (`oauth2-rest process --concurrency C`) against `wrk -t2 -cC` on the same demo API
# endpoint, side by side in the same run, as the "local mode" section of bench/run.sh measures it,
# plus CPU per message (user+sys) of both clients.
#
# Usage: bench/local/compare.sh [BINARY...]
#   BINARY: oauth2-rest executables to compare (default: $BUILD/oauth2-rest). Each run measures every
#   binary, then wrk, against one fresh demo server.
# Knobs: BUILD (default build), RUNS (default 3), MESSAGES (default 20000), CONCURRENCY (default 16),
#   WRK_SECONDS (default 5), DEMO_SERVER (default $BUILD/oauth2-rest-demo-server).
# Prints one line per run and binary, then the medians.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${BUILD:-$root/build}
runs=${RUNS:-3}
messages=${MESSAGES:-20000}
concurrency=${CONCURRENCY:-16}
wrk_seconds=${WRK_SECONDS:-5}
demo_server=${DEMO_SERVER:-$build/oauth2-rest-demo-server}
[[ -x "$demo_server" ]] || demo_server="$build/spec/oauth2-rest-demo-server"
binaries=("$@")
(( ${#binaries[@]} )) || binaries=("$build/oauth2-rest")

tmp=$(mktemp -d /tmp/oauth2-rest-local-bench.XXXXXX)
demo_pid=""
cleanup() {
  [[ -n "$demo_pid" ]] && kill "$demo_pid" 2>/dev/null && wait "$demo_pid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

for i in $(seq 1 "$messages"); do printf '{"id":%d,"body":{"url":"/items/1","method":"GET"}}\n' "$i"; done >"$tmp/in.jsonl"

start_demo() {
  : >"$tmp/demo.out"
  "$demo_server" --port 0 >"$tmp/demo.out" 2>"$tmp/demo.err" &
  demo_pid=$!
  for _ in $(seq 1 200); do
    if grep -q '^listening on ' "$tmp/demo.out"; then demo_url=$(sed -n 's/^listening on //p' "$tmp/demo.out" | head -n1); return 0; fi
    sleep 0.05
  done
  echo "demo server did not start" >&2
  exit 1
}
stop_demo() { kill "$demo_pid" 2>/dev/null; wait "$demo_pid" 2>/dev/null || true; demo_pid=""; }

cpu_of() {  # cpu_of OUTFILE CMD... : runs CMD, writes "wall_ns cpu_seconds(user+sys)" to OUTFILE
  local out=$1; shift
  local t0 t1
  t0=$(date +%s%N)
  /usr/bin/time -f '%U %S' -o "$out.time" "$@"
  t1=$(date +%s%N)
  echo "$((t1 - t0)) $(awk '{print $1 + $2}' "$out.time")" >"$out"
}

results="$tmp/results"
: >"$results"
for run in $(seq 1 "$runs"); do
  start_demo
  for b in "${binaries[@]}"; do
    printf '{"tokenUrl":"%s/oauth/token","username":"demo-client","password":"demo-secret","baseUrl":"%s/api","errorTolerance":"noErrors"}\n' \
      "$demo_url" "$demo_url" >"$tmp/config.json"
    cpu_of "$tmp/t" env LOG_LEVEL=warn "$b" process --config "$tmp/config.json" --concurrency "$concurrency" \
      <"$tmp/in.jsonl" >"$tmp/out.jsonl" 2>"$tmp/err"
    read -r ns cpu <"$tmp/t"
    data=$(grep -c '"event":"data"' "$tmp/out.jsonl" || true)
    rate=$(awk -v n="$data" -v ns="$ns" 'BEGIN { printf "%.0f", n / (ns / 1e9) }')
    us=$(awk -v c="$cpu" -v n="$data" 'BEGIN { printf "%.1f", n ? c * 1e6 / n : 0 }')
    echo "run $run $(basename "$b"): $rate msg/s ($data/$messages data), CPU $us us/msg"
    echo "$b $rate $us" >>"$results"
  done
  token=$(curl -fsS -u demo-client:demo-secret -d grant_type=client_credentials "$demo_url/oauth/token" |
    sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
  cpu_of "$tmp/t" sh -c "wrk -t2 -c$concurrency -d${wrk_seconds}s -H 'Authorization: Bearer $token' '$demo_url/api/items/1' >'$tmp/wrk.out'"
  read -r ns cpu <"$tmp/t"
  wrk_rate=$(sed -n 's/^Requests\/sec: *//p' "$tmp/wrk.out")
  wrk_n=$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' "$tmp/wrk.out")
  wrk_us=$(awk -v c="$cpu" -v n="$wrk_n" 'BEGIN { printf "%.1f", n ? c * 1e6 / n : 0 }')
  echo "run $run wrk: $wrk_rate req/s, CPU $wrk_us us/req"
  echo "wrk $wrk_rate $wrk_us" >>"$results"
  stop_demo
done

median() { sort -n | awk '{a[NR]=$1} END { print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2 }'; }
wrk_med=$(awk '$1=="wrk"{print $2}' "$results" | median)
echo "median wrk: $wrk_med req/s, CPU $(awk '$1=="wrk"{print $3}' "$results" | median) us/req"
for b in "${binaries[@]}"; do
  r=$(awk -v b="$b" '$1==b{print $2}' "$results" | median)
  c=$(awk -v b="$b" '$1==b{print $3}' "$results" | median)
  echo "median $b: $r msg/s ($(awk -v r="$r" -v w="$wrk_med" 'BEGIN{printf "%.0f", 100*r/w}') % of wrk), CPU $c us/msg"
done

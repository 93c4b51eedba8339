#!/usr/bin/env bash
# `oauth2-rest request` against `curl` with a bearer header (issue 13), the token cached: start
# to exit of one process making one GET to the demo API on loopback. Starts its own demo server
# (the build's oauth2-rest-demo-server, --port 0), gets a token with curl for curl's header, and
# warms oauth2-rest's token cache (a private XDG_CACHE_HOME under a temp dir: the user's cache is
# never touched) with one `oauth2-rest request`. Then BENCH_CLI_RUNS times each (default 200,
# --smoke 10), alternating the two so that a drift in the machine's load hits both, output to
# /dev/null. Each call is timed by bash's $EPOCHREALTIME (a variable read, no fork) just before
# and after it: the fork and exec of the timed program are in the figure, for both alike.
# Prints one JSON line: {"cli_runs","oauth2_rest_ms_median","oauth2_rest_ms_p90","curl_ms_median",
# "curl_ms_p90","ratio","oauth2_rest_token_requests"}; ratio is oauth2-rest's median ÷ curl's.
# Fails (exit 1) when a call did not exit 0 or oauth2-rest asked the token endpoint more than
# once in all (the cache was not used); never on the ratio (the figure goes into the report).
# Knobs: BENCH_CLI_RUNS, BENCH_BUILD_DIR (default build).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"  # await_url
runs=${BENCH_CLI_RUNS:-200}
[[ "${1:-}" == "--smoke" ]] && runs=${BENCH_CLI_RUNS:-10}
build=${BENCH_BUILD_DIR:-build}
[[ "$build" == /* ]] || build="$root/$build"
cli="$build/oauth2-rest"
demo_server="$build/oauth2-rest-demo-server"
[[ -x "$demo_server" ]] || demo_server="$build/spec/oauth2-rest-demo-server"
for f in "$cli" "$demo_server"; do
  [[ -x "$f" ]] || { echo "cli_bench: $f is missing (build it first)" >&2; exit 1; }
done
command -v curl >/dev/null || { echo "cli_bench: curl is missing" >&2; exit 1; }

tmp=$(mktemp -d /tmp/oauth2-rest-cli-bench.XXXXXX)
demo_pid=""
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
  [[ -n "$demo_pid" ]] && kill "$demo_pid" 2>/dev/null && wait "$demo_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

"$demo_server" --port 0 >"$tmp/demo.out" 2>"$tmp/demo.out.err" &
demo_pid=$!
demo=$(await_url "$tmp/demo.out" "$demo_pid") || exit 1
api="$demo/api/items/1"

# curl's token (a token request the demo server counts: subtracted below).
token=$(curl -fsS -u demo-client:demo-secret -d grant_type=client_credentials "$demo/oauth/token" |
  sed -n 's/.*"access_token" *: *"\([^"]*\)".*/\1/p')
[[ -n "$token" ]] || { echo "cli_bench: no token from $demo/oauth/token" >&2; exit 1; }

printf 'demo-secret\n' >"$tmp/secret"
chmod 600 "$tmp/secret"
export XDG_CACHE_HOME="$tmp/cache"
ours=("$cli" request --token-url "$demo/oauth/token" --client-id demo-client --client-secret-file "$tmp/secret" "$api")
theirs=(curl -fsS -H "Authorization: Bearer $token" "$api")
"${ours[@]}" >/dev/null 2>"$tmp/warm.err" || { echo "cli_bench: warming the cache failed: $(cat "$tmp/warm.err")" >&2; exit 1; }
"${theirs[@]}" >/dev/null

# Microseconds from $EPOCHREALTIME ("seconds.micros", C locale).
us() { local s=${1%.*} f=${1#*.}; echo $(( s * 1000000 + 10#$f )); }
ours_us=(); curl_us=(); failures=0
for ((i = 0; i < runs; i++)); do
  t0=$EPOCHREALTIME; "${ours[@]}" >/dev/null 2>>"$tmp/ours.err" || failures=$((failures + 1)); t1=$EPOCHREALTIME
  ours_us+=($(( $(us "$t1") - $(us "$t0") )))
  t0=$EPOCHREALTIME; "${theirs[@]}" >/dev/null 2>>"$tmp/curl.err" || failures=$((failures + 1)); t1=$EPOCHREALTIME
  curl_us+=($(( $(us "$t1") - $(us "$t0") )))
done

kill "$demo_pid"; wait "$demo_pid" || true; demo_pid=""
total_tokens=$(sed -n 's/^demo server: \([0-9]*\) token request.*/\1/p' "$tmp/demo.out.err")
ours_tokens=$(( ${total_tokens:-0} - 1 ))  # less curl's one

# median and p90 (nearest rank) in ms of the microsecond figures given.
stats() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END {
  m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
  p = int(0.9 * NR + 0.999999); if (p < 1) p = 1
  printf "%.3f %.3f", m / 1000, v[p] / 1000 }'; }
read -r ours_med ours_p90 <<<"$(stats "${ours_us[@]}")"
read -r curl_med curl_p90 <<<"$(stats "${curl_us[@]}")"
ratio=$(awk -v a="$ours_med" -v b="$curl_med" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
printf '{"cli_runs":%d,"oauth2_rest_ms_median":%s,"oauth2_rest_ms_p90":%s,"curl_ms_median":%s,"curl_ms_p90":%s,"ratio":%s,"oauth2_rest_token_requests":%d,"failures":%d}\n' \
  "$runs" "$ours_med" "$ours_p90" "$curl_med" "$curl_p90" "$ratio" "$ours_tokens" "$failures"

status=0
if (( failures )); then
  echo "cli_bench: $failures call(s) failed: $(tail -n 3 "$tmp/ours.err" "$tmp/curl.err")" >&2; status=1
fi
if (( ours_tokens != 1 )); then
  echo "cli_bench: oauth2-rest made $ours_tokens token requests over $((runs + 1)) calls (expected 1: the cache was not used)" >&2; status=1
fi
exit "$status"

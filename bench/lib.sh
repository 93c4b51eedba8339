# shellcheck shell=bash
# bench/lib.sh: what bench/run.sh, bench/ab.sh and bench/stuck_ir.sh share (sourced, not run;
# bash, set -euo pipefail). The caller sets root (the checkout) first, and raw (the JSON lines
# file that scenario appends to) before the first scenario.
#
#   bench_broker_env             the private broker's variables (defaults: 127.0.0.1:5699, node
#                                oauth2rest-bench@localhost, /tmp/oauth2-rest-bench-broker)
#   bench_locate BUILD-DIR [--without-worker]  sets bin, worker, driver, demo_server, yardstick
#   bench_services               tmp dir, cleanup on exit, the broker, the workers' ELASTICIO_* env
#   start_demo / stop_demo       a fresh demo server and bench platform API (step info) per run
#   scenario RUNTIME NAME RUN [VAR=VALUE...] DRIVER-ARGS... -- PROGRAM...
#                                one driver run; appends {"runtime","scenario","run","tokens",
#                                "broker_cpu_us_per_msg","figures"} to $raw. "@PLATFORM@" in an argument becomes the
#                                platform API's URL (its /hang never answers), "@DEMO@" the demo
#                                server's. step_extra (a JSON
#                                fragment such as ',"requestTimeout":600') goes into the step config;
#                                token_lifetime (seconds, empty: the demo server's 3600) is the
#                                demo server's --token-lifetime. The line also has "windows": the
#                                tokens saved to the credential per renewal window (see
#                                bench/platform_server.cpp) and "token_lifetime".
#   stuck_pair RUNTIME RUN MESSAGES PROGRAM...
#                                the stuck-message scenario: MESSAGES at prefetch 100, all normal
#                                (stuck-none), then the same with the first message's call hanging
#                                (stuck-one), requestTimeout 600 s in both; in the other order
#                                on even runs. OAUTH2_REST_DRAIN_TIMEOUT_MS=200: the worker's
#                                drain on SIGTERM does not wait for the stuck call.

# shellcheck disable=SC2154  # root and raw: set by the caller (see above)
log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

bench_broker_env() {
  export OAUTH2_REST_AMQP_PORT=${OAUTH2_REST_AMQP_PORT:-5699}
  export OAUTH2_REST_BROKER_DIR=${OAUTH2_REST_BROKER_DIR:-/tmp/oauth2-rest-bench-broker}
  export OAUTH2_REST_BROKER_NODE=${OAUTH2_REST_BROKER_NODE:-oauth2rest-bench@localhost}
  export OAUTH2_REST_BROKER_DIST_PORT=${OAUTH2_REST_BROKER_DIST_PORT:-25699}
  case "$OAUTH2_REST_AMQP_PORT" in
    5672|5673|5690|5691) echo "bench: port $OAUTH2_REST_AMQP_PORT belongs to another broker; pick another" >&2; exit 2 ;;
  esac
}

bench_locate() {
  bin=$(cd "$1" && pwd)
  worker="$bin/oauth2-rest"
  driver="$bin/bench/oauth2-rest-bench-driver"
  platform_server="$bin/bench/oauth2-rest-bench-platform"
  demo_server="$bin/oauth2-rest-demo-server"
  yardstick="$bin/bench/oauth2-rest-yardstick"
  [[ -x "$demo_server" ]] || demo_server="$bin/spec/oauth2-rest-demo-server"
  # --without-worker: the caller names the workers it runs (bench/ab.sh), so this build need
  # not have one (scripts/pgo-profile.sh trains before build/ has its executable).
  local f need=("$driver" "$platform_server" "$demo_server")
  [[ "${2:-}" == --without-worker ]] || need+=("$worker")
  for f in "${need[@]}"; do
    [[ -x "$f" ]] || { echo "bench: $f is missing (build the bench targets first)" >&2; exit 1; }
  done
}

demo_pid=""; platform_pid=""; tmp=""
bench_cleanup() {
  set +e
  [[ -n "$demo_pid" ]] && kill "$demo_pid" 2>/dev/null && wait "$demo_pid" 2>/dev/null
  [[ -n "$platform_pid" ]] && kill "$platform_pid" 2>/dev/null && wait "$platform_pid" 2>/dev/null
  sh "$root/scripts/broker.sh" stop >/dev/null 2>&1
  [[ -n "$tmp" ]] && rm -rf "$tmp"
}

bench_services() {
  tmp=$(mktemp -d /tmp/oauth2-rest-bench.XXXXXX)
  mkdir -p "$tmp/logs"
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
  log "broker on 127.0.0.1:$OAUTH2_REST_AMQP_PORT"
  sh "$root/scripts/broker.sh" start >&2
  export ELASTICIO_FLOW_ID=flow-1 ELASTICIO_STEP_ID=step_2 ELASTICIO_EXEC_ID=exec-1
  export ELASTICIO_CONTAINER_ID=container-1 ELASTICIO_WORKSPACE_ID=workspace-1 ELASTICIO_USER_ID=user-1
  export ELASTICIO_COMP_ID=comp-1 ELASTICIO_FUNCTION=httpRequest
  export ELASTICIO_API_USERNAME=task-flow-1 ELASTICIO_API_KEY=bench-api-key
  export ELASTICIO_AMQP_URI="amqp://guest:guest@127.0.0.1:$OAUTH2_REST_AMQP_PORT/"
  export ELASTICIO_MESSAGE_CRYPTO_PASSWORD=testCryptoPassword ELASTICIO_MESSAGE_CRYPTO_IV=iv=any16_symbols
  export LOG_LEVEL=info
}

# Waits for the "listening on URL" line of a server started in the background; prints the URL.
await_url() {
  local file=$1 pid=$2
  for _ in $(seq 1 200); do
    if grep -q '^listening on ' "$file" 2>/dev/null; then sed -n 's/^listening on //p' "$file" | head -n1; return 0; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  echo "bench: server did not start: $(cat "$file" "$file.err" 2>/dev/null)" >&2
  return 1
}

# The demo server (and the platform API, whose step info names the demo server's URL) are
# restarted for every measured run, so the demo server's token request count (printed when it
# stops) belongs to that run alone. Each start takes a free port.
step_extra=""
token_lifetime=""
start_demo() {
  # Emptied here, not only by the background job's redirection (which may run after await_url
  # has already read the previous run's "listening on" line).
  : >"$tmp/demo.out"; : >"$tmp/platform.out"
  local demo_args=(--port 0)
  [[ -n "$token_lifetime" ]] && demo_args+=(--token-lifetime "$token_lifetime")
  "$demo_server" "${demo_args[@]}" >"$tmp/demo.out" 2>"$tmp/demo.out.err" &
  demo_pid=$!
  demo_url=$(await_url "$tmp/demo.out" "$demo_pid")
  local step_json
  step_json=$(printf '{"id":"step_2","comp_id":"comp-1","function":"httpRequest","is_passthrough":false,"config":{"tokenUrl":"%s/oauth/token","username":"demo-client","password":"demo-secret","baseUrl":"%s/api","errorTolerance":"noErrors","_account":"cred-1"%s}}' "$demo_url" "$demo_url" "$step_extra")
  "$platform_server" --flow flow-1 --step step_2 --step-json "$step_json" \
    >"$tmp/platform.out" 2>"$tmp/platform.out.err" &
  platform_pid=$!
  platform_url=$(await_url "$tmp/platform.out" "$platform_pid")
  [[ -n "$demo_url" && -n "$platform_url" ]] || { log "the demo or platform server did not start"; exit 1; }
}
# Stops both (not in a subshell: it waits for its own children); sets demo_tokens to the demo
# server's token request count, platform_hangs to the platform's /hang request count and
# platform_windows to its tokens saved per renewal window (a JSON array).
stop_demo() {
  kill "$platform_pid"; wait "$platform_pid" || true; platform_pid=""
  kill "$demo_pid"; wait "$demo_pid" || true; demo_pid=""
  demo_tokens=$(sed -n 's/^demo server: \([0-9]*\) token request.*/\1/p' "$tmp/demo.out.err")
  platform_hangs=$(sed -n 's/.* \([0-9]*\) hang request.*/\1/p' "$tmp/platform.out.err")
  platform_windows=""
  if grep -q '^bench platform windows:' "$tmp/platform.out.err"; then
    platform_windows="[$(sed -n 's/^bench platform windows: *//p' "$tmp/platform.out.err" | tr -s ' ' ',')]"
  fi
}

# "STEAL TOTAL": the steal ticks and all ticks of all CPUs so far (/proc/stat). Their growth over a
# run is the host's share of it: a virtual machine whose host is busy loses time to it, and a
# timed figure taken then says little about the code.
cpu_ticks() { awk '/^cpu /{ t = 0; for (i = 2; i <= NF; i++) t += $i; print $9, t; exit }' /proc/stat; }

# CPU time (clock ticks) the bench broker's Erlang VM has used so far; empty when not found.
broker_ticks() {
  local p cmdline
  for p in $(pgrep beam.smp); do
    cmdline=$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null) || continue
    if [[ "$cmdline" == *"$OAUTH2_REST_BROKER_DIR"* ]]; then
      awk '{print $14 + $15}' "/proc/$p/stat"; return
    fi
  done
}

scenario() {
  local runtime=$1 name=$2 run=$3; shift 3
  local extra_env=()
  while [[ $# -gt 0 && "$1" == *=* && "$1" != -* ]]; do extra_env+=("$1"); shift; done
  start_demo
  local args=() a
  for a in "$@"; do a=${a//@PLATFORM@/$platform_url}; args+=("${a//@DEMO@/$demo_url}"); done
  local line status=0 ticks0 ticks1 broker_us=null cpu0 cpu1 steal_pct=null
  ticks0=$(broker_ticks)
  cpu0=$(cpu_ticks)
  line=$(cd "${scenario_dir:-$tmp}" && env ELASTICIO_API_URI="$platform_url" "${extra_env[@]}" \
           "$driver" --log-dir "$tmp/logs" --label "$runtime-$name-$run" "${args[@]}") || status=$?
  ticks1=$(broker_ticks)
  cpu1=$(cpu_ticks)
  stop_demo
  steal_pct=$(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN { split(a, x, " "); split(b, y, " "); t = y[2] - x[2];
    printf "%.1f", (t > 0 ? 100 * (y[1] - x[1]) / t : 0) }')
  # The broker's CPU per message over the whole driver run (publishing the input included, the
  # same for every runtime): what the broker spends is part of what a message costs.
  if [[ -n "$ticks0" && -n "$ticks1" && "$line" == *'"messages":'* ]]; then
    broker_us=$(awk -v t=$((ticks1 - ticks0)) -v hz="$(getconf CLK_TCK)" -v n="$(sed -E 's/.*"messages":([0-9]+).*/\1/' <<<"$line")" \
      'BEGIN { printf "%.1f", (n > 0 ? t * 1e6 / hz / n : 0) }')
  fi
  local tokens=$demo_tokens
  if [[ -z "$line" ]]; then
    log "FAILED: $runtime $name run $run (driver exit $status); logs:"
    tail -n 20 "$tmp/logs/$runtime-$name-$run"*.log >&2 || true
    exit 1
  fi
  (( status == 0 )) || log "warning: $runtime $name run $run: driver exit $status: $line"
  printf '{"runtime":"%s","scenario":"%s","run":%d,"tokens":%s,"hangs":%s,"windows":%s,"token_lifetime":%s,"broker_cpu_us_per_msg":%s,"steal_pct":%s,"figures":%s}\n' \
    "$runtime" "$name" "$run" "${tokens:-null}" "${platform_hangs:-null}" "${platform_windows:-null}" \
    "${token_lifetime:-null}" "$broker_us" "$steal_pct" "$line" >>"$raw"
  log "$runtime $name run $run: $line tokens=${tokens:-?} hangs=${platform_hangs:-?} windows=${platform_windows:-?} broker_us=$broker_us steal=$steal_pct%"
}

stuck_pair() {
  local runtime=$1 run=$2 n=$3; shift 3
  step_extra=',"requestTimeout":600'
  if (( run % 2 )); then
    scenario "$runtime" stuck-none "$run" OAUTH2_REST_DRAIN_TIMEOUT_MS=200 --messages "$n" --prefetch 100 -- "$@"
    scenario "$runtime" stuck-one "$run" OAUTH2_REST_DRAIN_TIMEOUT_MS=200 --messages "$n" --prefetch 100 --stuck-url "@PLATFORM@/hang" -- "$@"
  else  # the other order on even runs, so that a drift in the machine's load favours neither
    scenario "$runtime" stuck-one "$run" OAUTH2_REST_DRAIN_TIMEOUT_MS=200 --messages "$n" --prefetch 100 --stuck-url "@PLATFORM@/hang" -- "$@"
    scenario "$runtime" stuck-none "$run" OAUTH2_REST_DRAIN_TIMEOUT_MS=200 --messages "$n" --prefetch 100 -- "$@"
  fi
  step_extra=""
}

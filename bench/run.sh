#!/usr/bin/env bash
# The benchmark, one command: bash bench/run.sh [--smoke]
#
# Installs what is missing (scripts/install-deps.sh --test, gnuplot, wrk), builds Release with the
# benchmarks into build/, starts a private RabbitMQ (port 5699 unless OAUTH2_REST_AMQP_PORT says
# otherwise), the demo token server and API, and the bench platform API; installs the reference
# runtime (elasticio-sailor-nodejs 2.7.8) with bench/node-component, its JavaScript twin of our
# httpRequest action; then measures, side by side, our worker and the reference at prefetch 1, 10
# and 100, the broker-only ceiling (our pipeline with a no-op action), 1, 2 and 4 worker processes
# on one queue, the token requests of 10,000 messages, and local mode against `wrk`. Each figure
# is the median of BENCH_RUNS runs. Writes bench/results/{latest.md,throughput.png,raw.jsonl,
# micro.txt} (--smoke: bench/results/smoke/, one tiny run of everything, for CI).
#
# Knobs: BENCH_MESSAGES (messages per end-to-end run, default 5000), BENCH_RUNS (default 3),
# BENCH_TOKEN_MESSAGES (default 10000), BENCH_LOCAL_MESSAGES (default 100000), BENCH_WRK_SECONDS
# (default 5), BENCH_BUILD_DIR (default build), BENCH_SKIP_BUILD=1 (use that build as it is),
# OAUTH2_REST_AMQP_PORT / OAUTH2_REST_BROKER_DIR /
# OAUTH2_REST_BROKER_NODE / OAUTH2_REST_BROKER_DIST_PORT (the private broker).
set -euo pipefail

smoke=0
for arg in "$@"; do
  case "$arg" in
    --smoke) smoke=1 ;;
    -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/run.sh: unknown argument '$arg' (see --help)" >&2; exit 2 ;;
  esac
done

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
build=${BENCH_BUILD_DIR:-build}
if (( smoke )); then
  messages=${BENCH_MESSAGES:-200}; runs=${BENCH_RUNS:-1}; token_messages=${BENCH_TOKEN_MESSAGES:-300}
  local_messages=${BENCH_LOCAL_MESSAGES:-300}; wrk_seconds=${BENCH_WRK_SECONDS:-1}
  results="$root/bench/results/smoke"; micro_min_time=0.01
else
  messages=${BENCH_MESSAGES:-5000}; runs=${BENCH_RUNS:-3}; token_messages=${BENCH_TOKEN_MESSAGES:-10000}
  local_messages=${BENCH_LOCAL_MESSAGES:-100000}; wrk_seconds=${BENCH_WRK_SECONDS:-5}
  results="$root/bench/results"; micro_min_time=0.3
fi

export OAUTH2_REST_AMQP_PORT=${OAUTH2_REST_AMQP_PORT:-5699}
export OAUTH2_REST_BROKER_DIR=${OAUTH2_REST_BROKER_DIR:-/tmp/oauth2-rest-bench-broker}
export OAUTH2_REST_BROKER_NODE=${OAUTH2_REST_BROKER_NODE:-oauth2rest-bench@localhost}
export OAUTH2_REST_BROKER_DIST_PORT=${OAUTH2_REST_BROKER_DIST_PORT:-25699}
case "$OAUTH2_REST_AMQP_PORT" in
  5672|5673|5690|5691) echo "bench/run.sh: port $OAUTH2_REST_AMQP_PORT belongs to another broker; pick another" >&2; exit 2 ;;
esac

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# --- dependencies and build ------------------------------------------------------------------
log "dependencies"
bash scripts/install-deps.sh --test
extra=()
command -v gnuplot >/dev/null 2>&1 || extra+=(gnuplot-nox)
command -v wrk >/dev/null 2>&1 || extra+=(wrk)
command -v curl >/dev/null 2>&1 || extra+=(curl)
if (( ${#extra[@]} )); then
  sudo_cmd=(); [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
  log "installing ${extra[*]}"
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${extra[@]}" >/dev/null
fi

if [[ "${BENCH_SKIP_BUILD:-0}" == 1 ]]; then
  log "using the existing build in $build (BENCH_SKIP_BUILD=1)"
else
  log "building Release into $build"
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DOAUTH2_REST_BENCH=ON >/dev/null
  cmake --build "$build" -j2 --target oauth2-rest oauth2-rest-demo-server oauth2-rest-micro-bench \
    oauth2-rest-bench-platform oauth2-rest-bench-driver
fi
bin=$(cd "$build" && pwd)
worker="$bin/oauth2-rest"
driver="$bin/bench/oauth2-rest-bench-driver"
demo_server="$bin/oauth2-rest-demo-server"
[[ -x "$demo_server" ]] || demo_server="$bin/spec/oauth2-rest-demo-server"

# --- background services, cleaned up on any exit ---------------------------------------------
tmp=$(mktemp -d /tmp/oauth2-rest-bench.XXXXXX)
demo_pid=""; platform_pid=""
cleanup() {
  set +e
  [[ -n "$demo_pid" ]] && kill "$demo_pid" 2>/dev/null && wait "$demo_pid" 2>/dev/null
  [[ -n "$platform_pid" ]] && kill "$platform_pid" 2>/dev/null && wait "$platform_pid" 2>/dev/null
  sh scripts/broker.sh stop >/dev/null 2>&1
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "broker on 127.0.0.1:$OAUTH2_REST_AMQP_PORT"
sh scripts/broker.sh start >&2

# Waits for the "listening on URL" line of a server started in the background; prints the URL.
await_url() {
  local file=$1 pid=$2
  for _ in $(seq 1 200); do
    if grep -q '^listening on ' "$file" 2>/dev/null; then sed -n 's/^listening on //p' "$file" | head -n1; return 0; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  echo "bench/run.sh: server did not start: $(cat "$file" "$file.err" 2>/dev/null)" >&2
  return 1
}

# The demo server (and the platform API, whose step info names the demo server's URL) are
# restarted for every measured run, so the demo server's token request count (printed when it
# stops) belongs to that run alone. Each start takes a free port.
start_demo() {
  # Emptied here, not only by the background job's redirection (which may run after await_url
  # has already read the previous run's "listening on" line).
  : >"$tmp/demo.out"; : >"$tmp/platform.out"
  "$demo_server" --port 0 >"$tmp/demo.out" 2>"$tmp/demo.out.err" &
  demo_pid=$!
  demo_url=$(await_url "$tmp/demo.out" "$demo_pid")
  local step_json
  step_json=$(printf '{"id":"step_2","comp_id":"comp-1","function":"httpRequest","is_passthrough":false,"config":{"tokenUrl":"%s/oauth/token","username":"demo-client","password":"demo-secret","baseUrl":"%s/api","errorTolerance":"noErrors","_account":"cred-1"}}' "$demo_url" "$demo_url")
  "$bin/bench/oauth2-rest-bench-platform" --flow flow-1 --step step_2 --step-json "$step_json" \
    >"$tmp/platform.out" 2>"$tmp/platform.out.err" &
  platform_pid=$!
  platform_url=$(await_url "$tmp/platform.out" "$platform_pid")
  [[ -n "$demo_url" && -n "$platform_url" ]] || { log "the demo or platform server did not start"; exit 1; }
}
# Stops both (not in a subshell: it waits for its own children); sets demo_tokens to the demo
# server's token request count.
stop_demo() {
  kill "$platform_pid"; wait "$platform_pid" || true; platform_pid=""
  kill "$demo_pid"; wait "$demo_pid" || true; demo_pid=""
  demo_tokens=$(sed -n 's/^demo server: \([0-9]*\) token request.*/\1/p' "$tmp/demo.out.err")
}

# --- the reference runtime and its component -------------------------------------------------
log "reference runtime (npm)"
bash scripts/install-reference-runtime.sh "$bin/reference-runtime" >&2
component="$tmp/component"
mkdir -p "$component"
cp -r "$root/bench/node-component/." "$component/"
ln -s "$bin/reference-runtime/node_modules" "$component/node_modules"
reference=(node "$component/node_modules/elasticio-sailor-nodejs/run.js")

export ELASTICIO_FLOW_ID=flow-1 ELASTICIO_STEP_ID=step_2 ELASTICIO_EXEC_ID=exec-1
export ELASTICIO_CONTAINER_ID=container-1 ELASTICIO_WORKSPACE_ID=workspace-1 ELASTICIO_USER_ID=user-1
export ELASTICIO_COMP_ID=comp-1 ELASTICIO_FUNCTION=httpRequest
export ELASTICIO_API_USERNAME=task-flow-1 ELASTICIO_API_KEY=bench-api-key
export ELASTICIO_AMQP_URI="amqp://guest:guest@127.0.0.1:$OAUTH2_REST_AMQP_PORT/"
export ELASTICIO_MESSAGE_CRYPTO_PASSWORD=testCryptoPassword ELASTICIO_MESSAGE_CRYPTO_IV=iv=any16_symbols
export LOG_LEVEL=info
# The reference's documented throttles (10 data / 2 errors per 100 ms), lifted for a fair comparison.
export ELASTICIO_DATA_RATE_LIMIT=1000000 ELASTICIO_ERROR_RATE_LIMIT=1000000 ELASTICIO_RATE_INTERVAL=1000
export ELASTICIO_COMPONENT_PATH=.

mkdir -p "$results" "$tmp/logs"
raw="$results/raw.jsonl"
: >"$raw"

# scenario RUNTIME NAME RUN [VAR=VALUE...] DRIVER-ARGS... -- PROGRAM...: one driver run with a fresh
# demo server and platform API; VAR=VALUE arguments go into the workers' environment.
scenario() {
  local runtime=$1 name=$2 run=$3; shift 3
  local extra_env=()
  while [[ $# -gt 0 && "$1" == *=* && "$1" != -* ]]; do extra_env+=("$1"); shift; done
  start_demo
  local line status=0
  line=$(cd "$component" && env ELASTICIO_API_URI="$platform_url" "${extra_env[@]}" \
           "$driver" --log-dir "$tmp/logs" --label "$runtime-$name-$run" "$@") || status=$?
  stop_demo
  local tokens=$demo_tokens
  if [[ -z "$line" ]]; then
    log "FAILED: $runtime $name run $run (driver exit $status); logs:"
    tail -n 20 "$tmp/logs/$runtime-$name-$run"*.log >&2 || true
    exit 1
  fi
  (( status == 0 )) || log "warning: $runtime $name run $run: driver exit $status: $line"
  printf '{"runtime":"%s","scenario":"%s","run":%d,"tokens":%s,"figures":%s}\n' \
    "$runtime" "$name" "$run" "${tokens:-null}" "$line" >>"$raw"
  log "$runtime $name run $run: $line tokens=${tokens:-?}"
}

# --- end to end: ours and the reference, prefetch 1, 10, 100 ---------------------------------
for run in $(seq 1 "$runs"); do
  for prefetch in 1 10 100; do
    scenario ours "prefetch-$prefetch" "$run" --messages "$messages" --prefetch "$prefetch" --start-probe -- "$worker" sail
    scenario reference "prefetch-$prefetch" "$run" --messages "$messages" --prefetch "$prefetch" --start-probe -- "${reference[@]}"
  done
  # Broker-only ceiling: the same pipeline with a no-op action (decode, encode, publish, confirm, ack).
  scenario ours noop-prefetch-100 "$run" OAUTH2_REST_BENCH_NOOP_ACTION=1 --messages "$messages" --prefetch 100 -- "$worker" sail
  # Competing consumers on one queue, as the platform scales a step with replicas.
  for procs in 1 2 4; do
    scenario ours "procs-$procs" "$run" --messages "$((messages * 2))" --prefetch 100 --procs "$procs" -- "$worker" sail
  done
done
# Token requests for 10,000 messages within one token lifetime (1 hour), prefetch 100.
scenario ours tokens-10k 1 --messages "$token_messages" --prefetch 100 -- "$worker" sail

# --- local mode against the demo API, concurrency 16, vs wrk -c 16 on the same endpoint -----------
local_raw="$results/local.jsonl"
: >"$local_raw"
for i in $(seq 1 "$local_messages"); do printf '{"id":%d,"body":{"url":"/items/1","method":"GET"}}\n' "$i"; done >"$tmp/local.jsonl"
for run in $(seq 1 "$runs"); do
  start_demo
  printf '{"tokenUrl":"%s/oauth/token","username":"demo-client","password":"demo-secret","baseUrl":"%s/api","errorTolerance":"noErrors"}\n' \
    "$demo_url" "$demo_url" >"$tmp/local-config.json"
  t0=$(date +%s%N)
  LOG_LEVEL=warn "$worker" process --config "$tmp/local-config.json" --concurrency 16 <"$tmp/local.jsonl" >"$tmp/local.out" 2>"$tmp/local.err"
  t1=$(date +%s%N)
  data_events=$(grep -c '"event":"data"' "$tmp/local.out" || true)
  token=$(curl -fsS -u demo-client:demo-secret -d grant_type=client_credentials "$demo_url/oauth/token" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>process.stdout.write(JSON.parse(s).access_token))')
  wrk_rate=$(wrk -t2 -c16 -d"${wrk_seconds}s" -H "Authorization: Bearer $token" "$demo_url/api/items/1" | sed -n 's/^Requests\/sec: *//p')
  stop_demo
  local_rate=$(awk -v n="$data_events" -v ns="$((t1 - t0))" 'BEGIN { printf "%.1f", n / (ns / 1e9) }')
  printf '{"run":%d,"messages":%d,"data_events":%d,"local_rate":%s,"wrk_rate":%s}\n' \
    "$run" "$local_messages" "$data_events" "$local_rate" "${wrk_rate:-0}" >>"$local_raw"
  log "local mode run $run: $local_rate msg/s ($data_events/$local_messages data events), wrk: ${wrk_rate:-?} req/s"
done

# --- micro benchmarks ---------------------------------------------------------------------------
log "micro benchmarks"
"$bin/bench/oauth2-rest-micro-bench" --benchmark_min_time="$micro_min_time" >"$results/micro.txt" 2>"$tmp/micro.err"

# --- report and chart ---------------------------------------------------------------------------
command_line="bash bench/run.sh"
(( smoke )) && command_line+=" --smoke"
[[ "${BENCH_SKIP_BUILD:-0}" == 1 ]] && command_line="BENCH_SKIP_BUILD=1 BENCH_BUILD_DIR=$build $command_line"
node "$root/bench/report.js" "$raw" "$local_raw" "$results/micro.txt" "$results" "$command_line" \
  "messages=$messages runs=$runs" >"$results/latest.md"
gnuplot -e "datafile='$results/throughput.dat'; outfile='$results/throughput.png'" "$root/bench/throughput.gp"
cat "$results/latest.md"
log "wrote $results/latest.md and $results/throughput.png"

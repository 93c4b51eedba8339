#!/usr/bin/env bash
# The benchmark, one command: bash bench/run.sh [--smoke]
#
# Installs what is missing (scripts/install-deps.sh --test, gnuplot, wrk), builds Release with the
# benchmarks into build/, starts a private RabbitMQ (port 5699 unless OAUTH2_REST_AMQP_PORT says
# otherwise), the demo token server and API, and the bench platform API; installs the reference
# runtime (elasticio-sailor-nodejs 2.7.8) with bench/node-component, its JavaScript twin of our
# httpRequest action; then measures, side by side, our worker and the reference at prefetch 1, 10
# and 100 (and the yardstick, bench/yardstick.cpp: the same protocol work and nothing else), the broker-only ceiling (our pipeline with a no-op action), 1, 2 and 4 worker processes
# on one queue, a stuck message (prefetch 100, the first message's call hanging while the others
# pass it, against the same run without it), the token requests of 10,000 messages, 4 replicas
# sharing one credential whose token has expired (started 1 s apart, and all at once: token
# requests per token lifetime), local mode against `wrk`, and `oauth2-rest request` against curl
# (token cached; bench/cli_bench.sh). Each figure is the median of BENCH_RUNS runs. Writes bench/results/{latest.md,
# throughput.png,raw.jsonl,micro.txt} (--smoke: bench/results/smoke/, one tiny run of everything,
# for CI).
#
# Knobs: BENCH_MESSAGES (messages per end-to-end run, default 5000), BENCH_RUNS (default 3),
# BENCH_STUCK_MESSAGES (per stuck-message run, default 20000), BENCH_TOKEN_MESSAGES (default
# 10000), BENCH_REPLICA_LIFETIME / BENCH_REPLICA_SECONDS / BENCH_REPLICA_MESSAGES /
# BENCH_REPLICA_BACKLOG (the replicas scenario: token lifetime, seconds of load, messages, of
# which waiting at start; default 30 / 60 / 20000 / 400, --smoke 4 / 4 / 1000 / 100),
# BENCH_LOCAL_MESSAGES (default 100000), BENCH_WRK_SECONDS (default 5), BENCH_BUILD_DIR (default
# build), BENCH_SKIP_BUILD=1 (use that build as it is), OAUTH2_REST_AMQP_PORT /
# OAUTH2_REST_BROKER_DIR / OAUTH2_REST_BROKER_NODE / OAUTH2_REST_BROKER_DIST_PORT (the private
# broker). bench/ab.sh compares worker builds; bench/stuck_ir.sh counts the stuck scenario's
# instructions (callgrind).
set -euo pipefail

smoke=0
for arg in "$@"; do
  case "$arg" in
    --smoke) smoke=1 ;;
    -h|--help) sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/run.sh: unknown argument '$arg' (see --help)" >&2; exit 2 ;;
  esac
done

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
build=${BENCH_BUILD_DIR:-build}
if (( smoke )); then
  messages=${BENCH_MESSAGES:-200}; runs=${BENCH_RUNS:-1}; token_messages=${BENCH_TOKEN_MESSAGES:-300}
  stuck_messages=${BENCH_STUCK_MESSAGES:-300}
  replica_lifetime=${BENCH_REPLICA_LIFETIME:-4}; replica_seconds=${BENCH_REPLICA_SECONDS:-4}
  replica_messages=${BENCH_REPLICA_MESSAGES:-1000}; replica_backlog=${BENCH_REPLICA_BACKLOG:-100}
  local_messages=${BENCH_LOCAL_MESSAGES:-300}; wrk_seconds=${BENCH_WRK_SECONDS:-1}
  results="$root/bench/results/smoke"; micro_min_time=0.01
else
  messages=${BENCH_MESSAGES:-5000}; runs=${BENCH_RUNS:-3}; token_messages=${BENCH_TOKEN_MESSAGES:-10000}
  stuck_messages=${BENCH_STUCK_MESSAGES:-20000}
  replica_lifetime=${BENCH_REPLICA_LIFETIME:-30}; replica_seconds=${BENCH_REPLICA_SECONDS:-60}
  replica_messages=${BENCH_REPLICA_MESSAGES:-20000}; replica_backlog=${BENCH_REPLICA_BACKLOG:-400}
  local_messages=${BENCH_LOCAL_MESSAGES:-100000}; wrk_seconds=${BENCH_WRK_SECONDS:-5}
  results="$root/bench/results"; micro_min_time=0.3
fi

bench_broker_env

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
  # The measured worker is the profile-guided build (scripts/build.sh --pgo), as the test command
  # builds it; the smoke run takes whichever the build already has.
  if (( ! smoke )) && [[ "$build" == build ]]; then bash scripts/build.sh --no-tests --pgo >&2; fi
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DOAUTH2_REST_BENCH=ON >/dev/null
  cmake --build "$build" -j2 --target oauth2-rest oauth2-rest-demo-server oauth2-rest-micro-bench \
    oauth2-rest-bench-platform oauth2-rest-bench-driver oauth2-rest-yardstick
fi
bench_locate "$build"

# --- background services (broker; demo server and platform API per run), cleaned up on any exit --
bench_services

# --- the reference runtime and its component -------------------------------------------------
log "reference runtime (npm)"
bash scripts/install-reference-runtime.sh "$bin/reference-runtime" >&2
component="$tmp/component"
mkdir -p "$component"
cp -r "$root/bench/node-component/." "$component/"
ln -s "$bin/reference-runtime/node_modules" "$component/node_modules"
reference=(node "$component/node_modules/elasticio-sailor-nodejs/run.js")

# The reference's documented throttles (10 data / 2 errors per 100 ms), lifted for a fair comparison.
export ELASTICIO_DATA_RATE_LIMIT=1000000 ELASTICIO_ERROR_RATE_LIMIT=1000000 ELASTICIO_RATE_INTERVAL=1000
export ELASTICIO_COMPONENT_PATH=.
scenario_dir=$component  # the drivers (and so the workers) run there: the reference needs its component

mkdir -p "$results"
raw="$results/raw.jsonl"
: >"$raw"

# scenario RUNTIME NAME RUN [VAR=VALUE...] DRIVER-ARGS... -- PROGRAM... (bench/lib.sh): one driver
# run with a fresh demo server and platform API; VAR=VALUE arguments go into the workers' environment.

# --- end to end: ours, the reference and the yardstick, prefetch 1, 10, 100 -------------------
# The yardstick (bench/yardstick.cpp) does only the protocol: one GET, publish, confirm, ack.
# yardstick-platform: the same, publishing what the platform makes every output carry;
# yardstick-platform-2conn: that, publishing on a second connection as the worker does.
yardstick_cmd=("$yardstick" --token-url @DEMO@/oauth/token --api-url @DEMO@/api/items/1)
for run in $(seq 1 "$runs"); do
  for prefetch in 1 10 100; do
    scenario yardstick "prefetch-$prefetch" "$run" --messages "$messages" --prefetch "$prefetch" -- "${yardstick_cmd[@]}"
    # The same with the output the platform's protocol asks for (its headers table, mandatory, an
    # encrypted output's size): what the broker spends on the protocol rather than on our code.
    scenario yardstick-platform "prefetch-$prefetch" "$run" --messages "$messages" --prefetch "$prefetch" -- \
      "${yardstick_cmd[@]}" --platform-output
    # And on a second connection for publishing, as ours: the raw client that does all the
    # protocol and the topology ask of a worker, so what is left between it and ours is our code.
    scenario yardstick-platform-2conn "prefetch-$prefetch" "$run" --messages "$messages" --prefetch "$prefetch" -- \
      "${yardstick_cmd[@]}" --platform-output --publish-connection
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
# A stuck message does not slow the rest: prefetch 100, N messages, (a) all normal, (b) the first
# one's call hanging (the platform API's /hang, requestTimeout 600 s) while the other N-1 pass it.
for run in $(seq 1 "$runs"); do
  stuck_pair ours "$run" "$stuck_messages" "$worker" sail
done
# Token requests for 10,000 messages within one token lifetime (1 hour), prefetch 100.
scenario ours tokens-10k 1 --messages "$token_messages" --prefetch 100 -- "$worker" sail
# Replicas sharing one credential: 4 workers on one queue, prefetch 100 each, the step config's
# token (`tokens`, `_account` cred-1) long expired, tokens from the demo server valid
# replica_lifetime s; replica_backlog messages waiting at start, the rest of replica_messages
# published evenly over replica_seconds while the workers run; (a) the workers started 1 s apart,
# (b) all at once. Each one reads the credential back from the
# platform API before asking the token endpoint; the platform keeps the last saved keys.
token_lifetime=$replica_lifetime
step_extra=',"tokens":"{\"access_token\":\"expired-at-start\",\"token_type\":\"Bearer\",\"expires_in\":3600,\"tokenExpiryTime\":\"2020-01-01T00:00:00.000Z\"}"'
scenario ours replicas-staggered 1 --messages "$replica_messages" --publish-over "$replica_seconds" \
  --prepublish "$replica_backlog" --prefetch 100 --procs 4 --spawn-interval-ms 1000 -- "$worker" sail
scenario ours replicas-together 1 --messages "$replica_messages" --publish-over "$replica_seconds" \
  --prepublish "$replica_backlog" --prefetch 100 --procs 4 -- "$worker" sail
token_lifetime=""; step_extra=""

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

BENCH_BUILD_DIR="$build" bash "$root/bench/attachment_bench.sh" $( ((smoke)) && echo --smoke) | tee "$results/attachment.json"  # SPEC 9: peak RSS growth moving one attachment up and down
BENCH_BUILD_DIR="$build" bash "$root/bench/cli_bench.sh" $( ((smoke)) && echo --smoke) | tee "$results/cli.json"  # issue 13: oauth2-rest request vs curl, token cached

# --- micro benchmarks ---------------------------------------------------------------------------
log "micro benchmarks"
"$bin/bench/oauth2-rest-micro-bench" --benchmark_min_time="$micro_min_time" >"$results/micro.txt" 2>"$tmp/micro.err"

# --- report and chart ---------------------------------------------------------------------------
command_line="bash bench/run.sh"
(( smoke )) && command_line+=" --smoke"
[[ "${BENCH_SKIP_BUILD:-0}" == 1 ]] && command_line="BENCH_SKIP_BUILD=1 BENCH_BUILD_DIR=$build $command_line"
node "$root/bench/report.js" "$raw" "$local_raw" "$results/micro.txt" "$results" "$command_line" \
  "messages=$messages stuck_messages=$stuck_messages replica_messages=$replica_messages (backlog $replica_backlog) over ${replica_seconds} s runs=$runs" >"$results/latest.md"
gnuplot -e "datafile='$results/throughput.dat'; outfile='$results/throughput.png'" "$root/bench/throughput.gp"
cat "$results/latest.md"
log "wrote $results/latest.md and $results/throughput.png"

#!/usr/bin/env bash
# The main job on the embedded default: installs what is missing, builds, starts the demo token
# server and sample API on a free loopback port, runs the sample messages through
# `oauth2-rest process`, prints the events, and stops the server.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh" --no-tests >&2

work="$(mktemp -d)"
server_pid=""
cleanup() {
  [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

"$root/build/oauth2-rest-demo-server" --port 0 >"$work/server.out" 2>"$work/server.err" &
server_pid=$!
for _ in $(seq 1 100); do
  grep -q "listening on" "$work/server.out" 2>/dev/null && break
  sleep 0.05
done
base="$(sed -n 's/^listening on //p' "$work/server.out")"
[[ -n "$base" ]] || { echo "demo: the demo server did not start" >&2; cat "$work/server.err" >&2; exit 1; }

sed "s#@BASE@#$base#g" "$root/scripts/demo/config.json" >"$work/config.json"
echo "== demo server on $base; running scripts/demo/messages.jsonl through oauth2-rest process" >&2
"$root/build/oauth2-rest" process --config "$work/config.json" <"$root/scripts/demo/messages.jsonl"
kill "$server_pid"
wait "$server_pid" 2>/dev/null || true
server_pid=""
echo "== $(tail -n1 "$work/server.err")" >&2
echo "== the token was fetched once and reused; the config file now holds it for the next run:" >&2
python3 -c 'import json,sys; t=json.loads(json.load(open(sys.argv[1]))["tokens"]); print("   tokenExpiryTime", t["tokenExpiryTime"])' "$work/config.json" >&2 || true

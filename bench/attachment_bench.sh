#!/usr/bin/env bash
# Attachments streamed both ways (SPEC 9): peak RSS growth of local mode while it moves one
# BENCH_ATTACHMENT_MB attachment (default 100; --smoke: 4) up (bodyAttachment, a file in
# --attachments DIR, POSTed) and down (responseAs=attachment, written into DIR), against
# bench/attachment_server.js on loopback. One process handles three messages: a tiny download
# (the baseline), the upload, the download; its VmHWM (peak RSS) is read from /proc after each.
# Prints one JSON line: {"attachment_mb", "baseline_kb", "after_upload_kb", "after_download_kb",
# "growth_kb", "uploaded", "downloaded"}; fails when the bytes did not all arrive.
# Knobs: BENCH_ATTACHMENT_MB, BENCH_BUILD_DIR (default build).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mb=${BENCH_ATTACHMENT_MB:-100}
[[ "${1:-}" == "--smoke" ]] && mb=${BENCH_ATTACHMENT_MB:-4}
build=${BENCH_BUILD_DIR:-build}
[[ "$build" == /* ]] || build="$root/$build"
worker="$build/oauth2-rest"
bytes=$((mb * 1024 * 1024))
tmp=$(mktemp -d)
server_pid=""; worker_pid=""
cleanup() {
  exec 3>&- 2>/dev/null || true
  [[ -n "$worker_pid" ]] && kill "$worker_pid" 2>/dev/null || true
  [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

BENCH_ATTACHMENT_BYTES=$bytes node "$root/bench/attachment_server.js" >"$tmp/port" &
server_pid=$!
for _ in $(seq 1 100); do [[ -s "$tmp/port" ]] && break; sleep 0.05; done
url="http://127.0.0.1:$(cat "$tmp/port")"
mkdir "$tmp/files"
head -c "$bytes" /dev/urandom >"$tmp/files/up.bin"
printf '{"tokenUrl":"%s/oauth/token","username":"bench","password":"bench-secret","baseUrl":"%s","errorTolerance":"noErrors","requestTimeout":"600","maxResponseSize":"%d","responseAs":"attachment"}\n' \
  "$url" "$url" $((bytes + 1048576)) >"$tmp/config.json"

mkfifo "$tmp/in"
LOG_LEVEL=warn "$worker" process --config "$tmp/config.json" --attachments "$tmp/files" <"$tmp/in" >"$tmp/out" 2>"$tmp/err" &
worker_pid=$!
exec 3>"$tmp/in"

# Sends one message and waits for its end event; prints the worker's VmHWM in kB.
send() {
  local before
  before=$(grep -c '"event":"end"' "$tmp/out" || true)
  printf '%s\n' "$1" >&3
  for _ in $(seq 1 12000); do
    (( $(grep -c '"event":"end"' "$tmp/out" || true) > before )) && break
    sleep 0.05
  done
  awk '/^VmHWM:/ { print $2 }' "/proc/$worker_pid/status"
}
baseline=$(send '{"id":1,"body":{"url":"/small","method":"GET"}}')
after_up=$(send '{"id":2,"body":{"url":"/upload","method":"POST","bodyAttachment":"up.bin"}}')
after_down=$(send '{"id":3,"body":{"url":"/big","method":"GET"}}')
exec 3>&-
wait "$worker_pid" || true
worker_pid=""

uploaded=$(grep -o '"received":[0-9]*' "$tmp/files/"upload* 2>/dev/null | head -1 | cut -d: -f2 || true)
downloaded=$(stat -c %s "$tmp/files/big.bin" 2>/dev/null || echo 0)
growth=$(( (after_up > after_down ? after_up : after_down) - baseline ))
printf '{"attachment_mb":%d,"baseline_kb":%d,"after_upload_kb":%d,"after_download_kb":%d,"growth_kb":%d,"uploaded":%s,"downloaded":%d}\n' \
  "$mb" "$baseline" "$after_up" "$after_down" "$growth" "${uploaded:-0}" "$downloaded"
if [[ "${uploaded:-0}" != "$bytes" || "$downloaded" != "$bytes" ]]; then
  echo "attachment_bench: expected $bytes bytes each way (events: $(cat "$tmp/out"); log: $(tail -5 "$tmp/err"))" >&2
  exit 1
fi

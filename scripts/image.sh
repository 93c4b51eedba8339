#!/usr/bin/env bash
# Builds the platform image from the Dockerfile with podman, offline, and checks it:
#   scripts/image.sh            build + every check below; exits non-zero with a line
#                               "image.sh: FAILED: ..." at the first check that fails.
#
# No container registry is reachable on CI machines, so the Dockerfile's base (debian:bookworm)
# is made from Debian's packages with mmdebstrap and `podman import`ed under that name, once: the
# tarball is kept in $OAUTH2_REST_IMAGE_CACHE (default /var/tmp/oauth2-rest-image; delete it to
# refresh the base). The build mounts a compiler cache at /ccache (the host's, see below), so it
# recompiles only what the host build did not compile already. Podman on these machines needs runc, cgroupfs, explicit ulimits
# and host networking for the build's apt (docs/ENVIRONMENT.md); hence the flags below.
#
# Checks: the image size (under $OAUTH2_REST_IMAGE_MAX_MB, default 25); the CA bundle and the
# copyright files are in it; `oauth2-rest --help` runs; every shared library of oauth2-rest and
# tini resolves inside the image (its own loader's --list); `oauth2-rest sail` without ELASTICIO_*
# names the missing variables; one real sail session against the test broker (scripts/broker.sh,
# honouring OAUTH2_REST_AMQP_PORT / _BROKER_NODE / _BROKER_DIR) with the platform API stub and the
# demo token server and API on loopback (build/oauth2-rest-image-session publishes one encrypted
# message, decrypts the output and compares it); during that session, tini is PID 1 and the
# worker its child, both not root; SIGTERM then stops the container with exit status 0 within
# 5 s (the contract is "within a second"; 5 s keeps a loaded CI machine from failing it). Also
# prints the median start time of `podman run IMAGE oauth2-rest --help` (informational).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cache="${OAUTH2_REST_IMAGE_CACHE:-/var/tmp/oauth2-rest-image}"
image="${OAUTH2_REST_IMAGE:-localhost/oauth2-rest:latest}"
base="docker.io/library/debian:bookworm"
jobs="${OAUTH2_REST_JOBS:-$(nproc)}"
max_mb="${OAUTH2_REST_IMAGE_MAX_MB:-25}"
# The compiler cache the build mounts at /ccache: the host's own (the plain build just compiled
# the same files with the same Debian compiler, and ccache keys on paths relative to the checkout
# here and to /src there, so the image's compile is mostly cache hits), else one in $cache.
ccache_dir="${OAUTH2_REST_IMAGE_CCACHE:-$(ccache --get-config cache_dir 2>/dev/null || echo "$cache/ccache")}"
started=$(date +%s)

say() { echo "image.sh: $* ($(($(date +%s) - started)) s)" >&2; }
fail() {
  echo "image.sh: FAILED: $*" >&2
  exit 1
}
pm() { podman --runtime runc --cgroup-manager cgroupfs "$@"; }
limits=(--ulimit nofile=20000:20000 --ulimit nproc=32768:32768)
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# --- tools ------------------------------------------------------------------------------------
# The host build (for the session helper) and the test broker need what install-deps installs.
"$root/scripts/install-deps.sh"
missing=()
for p in podman runc mmdebstrap rabbitmq-server; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  [[ $(id -u) -eq 0 ]] || fail "podman needs root here; missing packages: ${missing[*]}"
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
[[ $(id -u) -eq 0 ]] || fail "run as root (podman with runc and cgroupfs, as on CI)"

# --- base image -------------------------------------------------------------------------------
mkdir -p "$cache" "$ccache_dir"
if ! pm image exists "$base"; then
  if [[ ! -s "$cache/debian-bookworm.tar" ]]; then
    say "making $base from Debian's packages (mmdebstrap, once; cached in $cache)"
    # Written aside and renamed, so an interrupted run leaves no half tarball to import.
    rm -rf "$cache/debian-bookworm.part.tar"
    mmdebstrap --quiet --format=tar --variant=minbase --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
      bookworm "$cache/debian-bookworm.part.tar" >"$cache/mmdebstrap.log" 2>&1 ||
      { tail -n 20 "$cache/mmdebstrap.log" >&2; fail "mmdebstrap could not make the base image (log: $cache/mmdebstrap.log)"; }
    mv "$cache/debian-bookworm.part.tar" "$cache/debian-bookworm.tar"
  fi
  pm import --quiet "$cache/debian-bookworm.tar" "$base" >/dev/null || fail "podman import of the base image"
fi

# --- build ------------------------------------------------------------------------------------
say "building $image (podman build, -j$jobs, ccache $ccache_dir)"
build_log="$cache/build.log"
build_args=(--build-arg "JOBS=$jobs")
# ccache hashes these: the same values as the host build's, or its cache entries do not match.
for v in LANG LC_ALL LC_CTYPE LC_MESSAGES; do
  if [[ -n "${!v+set}" ]]; then build_args+=(--build-arg "$v=${!v}"); fi
done
# Profile-guided, as build/oauth2-rest is after `scripts/build.sh --pgo` (the test command's
# build), when that build's profile is there and no source is newer than it: a stale profile
# only warns, and this build fails on warnings. Compiled at this checkout's path, the one the
# profile names (see the Dockerfile's SRC).
profile="$root/build-pgo/profile"
stamp=$(find "$profile" -name '*.gcda' -print -quit 2>/dev/null || true)
if [[ -n "$stamp" ]] &&
   [[ -z $(find "$root/CMakeLists.txt" "$root/cmake" "$root/lib" "$root/src" "$root/spec/support" -newer "$stamp" -print -quit) ]]; then
  say "profile-guided, with the profile in $profile"
  build_args+=(--build-arg PGO=1 --build-arg "SRC=$root")
  pgo=1
else
  say "not profile-guided: no profile in $profile, or sources newer than it (scripts/build.sh --pgo makes one)"
  pgo=0
fi
if ! pm build --pull=never --network host "${limits[@]}" -v "$ccache_dir:/ccache" \
  "${build_args[@]}" -t "$image" "$root" >"$build_log" 2>&1; then
  tail -n 40 "$build_log" >&2
  fail "podman build (whole log: $build_log)"
fi
if grep -q "warning:" "$build_log"; then
  grep "warning:" "$build_log" >&2
  fail "the image's compile has warnings (log: $build_log)"
fi

# --- contents ---------------------------------------------------------------------------------
size=$(pm image inspect --format '{{.Size}}' "$image")
size_mb=$(awk -v s="$size" 'BEGIN { printf "%.1f", s / 1000000 }')
say "image size: $size_mb MB ($size bytes)"
awk -v s="$size" -v m="$max_mb" 'BEGIN { exit !(s < m * 1000000) }' || fail "the image is $size_mb MB, over $max_mb MB"

mnt=$(pm image mount "$image")
check_files() {
  [[ -s "$mnt/etc/ssl/certs/ca-certificates.crt" ]] || { echo "no CA bundle /etc/ssl/certs/ca-certificates.crt"; return; }
  (($(grep -c "BEGIN CERTIFICATE" "$mnt/etc/ssl/certs/ca-certificates.crt") > 100)) || { echo "the CA bundle has too few certificates"; return; }
  [[ "$(readlink -f "$mnt/usr/lib/ssl/cert.pem" | sed "s#^$mnt##")" == /etc/ssl/certs/ca-certificates.crt ]] ||
    { echo "OpenSSL's default /usr/lib/ssl/cert.pem does not lead to the CA bundle"; return; }
  local pkg
  for pkg in libc6 libstdc++6 libgcc-s1 libssl3 librabbitmq4 libboost-url1.81.0 zlib1g \
    libbrotli1 libmimalloc2.0 tini ca-certificates libboost1.81-dev; do
    [[ -s "$mnt/usr/share/doc/$pkg/copyright" ]] || { echo "no copyright file for $pkg"; return; }
  done
  [[ "$(stat -c %u "$mnt/home/apps")" == 10001 ]] || { echo "/home/apps is not owned by the user apps (10001)"; return; }
  [[ ! -e "$mnt/bin/sh" ]] || { echo "a shell in the image: the final stage is not the minimal tree"; return; }
}
problem=$(check_files)
# Profile-guided from the profile build/ was compiled with: the same compiler, sources, path and
# profile give the same executable, so the image ships, byte for byte, what the suite tested and
# the bench measured (build/oauth2-rest, stripped). Compared only when build/ is that build.
same_build=skip
if ((pgo)) && grep -qx "OAUTH2_REST_PROFILE_USE:PATH=$profile" "$root/build/CMakeCache.txt" 2>/dev/null &&
   [[ -x "$root/build/oauth2-rest" ]]; then
  strip -o "$cache/oauth2-rest.stripped" "$root/build/oauth2-rest"
  if cmp -s "$cache/oauth2-rest.stripped" "$mnt/usr/local/bin/oauth2-rest"; then same_build=yes; else same_build=no; fi
fi
pm image unmount "$image" >/dev/null
[[ -z "$problem" ]] || fail "$problem"
say "ok: CA bundle (OpenSSL's default path), copyright files of every shipped package, home owned by apps, no shell"
case "$same_build" in
  yes) say "ok: the image's oauth2-rest is build/oauth2-rest (profile-guided), stripped, byte for byte" ;;
  no) fail "the image's oauth2-rest differs from build/oauth2-rest stripped, though both are compiled with $profile" ;;
esac

# --- running it -------------------------------------------------------------------------------
run() { pm run --rm --pull=never --network none "${limits[@]}" "$@"; }

out=$(run "$image" oauth2-rest --help 2>&1) || fail "oauth2-rest --help exits non-zero in the image: $out"
grep -q "^Usage:" <<<"$out" || fail "oauth2-rest --help printed no usage: $out"
say "ok: oauth2-rest --help"

for exe in /usr/local/bin/oauth2-rest /usr/bin/tini; do
  out=$(run --entrypoint /lib64/ld-linux-x86-64.so.2 "$image" --list "$exe" 2>&1) ||
    fail "the image's loader cannot resolve the libraries of $exe: $out"
  if grep -q "not found" <<<"$out"; then fail "a library of $exe is missing in the image: $out"; fi
done
say "ok: every shared library of oauth2-rest and tini resolves inside the image"

set +e
out=$(run "$image" 2>&1)
code=$?
set -e
[[ $code -eq 1 ]] || fail "sail without ELASTICIO_* exited $code, not 1: $out"
for v in ELASTICIO_FLOW_ID ELASTICIO_AMQP_URI ELASTICIO_MESSAGE_CRYPTO_PASSWORD; do
  grep -q "$v is missing" <<<"$out" || fail "sail without ELASTICIO_* does not say '$v is missing': $out"
done
say "ok: sail without ELASTICIO_* names the missing variables"

# --- one real sail session --------------------------------------------------------------------
helper="$root/build/oauth2-rest-image-session"
if [[ ! -f "$root/build/CMakeCache.txt" ]]; then
  cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=Release -DOAUTH2_REST_TESTS=ON >/dev/null
fi
CCACHE_BASEDIR="$root" cmake --build "$root/build" --target oauth2-rest-image-session -j "$jobs" >/dev/null ||
  fail "could not build the session helper oauth2-rest-image-session"

work=$(mktemp -d)
container="oauth2-rest-image-check-$$"
helper_pid=""
broker_was_running=0
"$root/scripts/broker.sh" status >/dev/null 2>&1 && broker_was_running=1
cleanup() {
  if [[ -n "$helper_pid" ]]; then kill "$helper_pid" 2>/dev/null || true; fi
  pm rm -f -t 0 "$container" >/dev/null 2>&1 || true
  ((broker_was_running)) || "$root/scripts/broker.sh" stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
"$root/scripts/broker.sh" start >/dev/null || fail "the test broker did not start (scripts/broker.sh start)"

"$helper" "$work/env" 60 2>"$work/session.log" &
helper_pid=$!
for _ in $(seq 1 300); do
  [[ -s "$work/env" ]] && break
  kill -0 "$helper_pid" 2>/dev/null || break
  sleep 0.1
done
[[ -s "$work/env" ]] || fail "the session helper did not start: $(cat "$work/session.log")"
pm run -d --name "$container" --pull=never --network host "${limits[@]}" --env-file "$work/env" "$image" >/dev/null ||
  fail "podman run of the sail session"
set +e
wait "$helper_pid"
code=$?
set -e
helper_pid=""
if ((code != 0)); then
  cat "$work/session.log" >&2
  pm logs "$container" 2>&1 | tail -n 30 >&2
  fail "the sail session in the container (see the lines above)"
fi
say "ok: sail in the container: $(tail -n1 "$work/session.log" | sed 's/^image-session: ok: //')"

# PID 1 and users, seen from the host (rootful podman, no user namespace: host uids are the image's).
pid1=$(pm inspect --format '{{.State.Pid}}' "$container")
[[ "$pid1" =~ ^[0-9]+$ && "$pid1" != 0 ]] || fail "the sail container is not running"
[[ "$(cat "/proc/$pid1/comm")" == tini ]] || fail "PID 1 of the container is $(cat "/proc/$pid1/comm"), not tini"
[[ "$(awk '/^NSpid:/ { print $NF }' "/proc/$pid1/status")" == 1 ]] || fail "tini is not PID 1 in the container's namespace"
child=$(awk '{ print $1 }' "/proc/$pid1/task/$pid1/children")
[[ -n "$child" && "$(cat "/proc/$child/comm")" == oauth2-rest ]] || fail "oauth2-rest is not tini's child"
for p in "$pid1" "$child"; do
  uid=$(awk '/^Uid:/ { print $2 }' "/proc/$p/status")
  [[ "$uid" != 0 ]] || fail "$(cat "/proc/$p/comm") runs as root"
done
say "ok: tini is PID 1, oauth2-rest its child, both uid $uid (not root)"

t0=$(now_ms)
pm kill --signal TERM "$container" >/dev/null
code=$(pm wait "$container")
elapsed=$(($(now_ms) - t0))
if [[ "$code" != 0 ]]; then
  pm logs "$container" 2>&1 | tail -n 20 >&2
  fail "after SIGTERM the container exited with $code, not 0"
fi
((elapsed <= 5000)) || fail "the container took $elapsed ms to stop after SIGTERM (bound 5000 ms)"
say "ok: SIGTERM: exit status 0 after $elapsed ms"
pm rm -f "$container" >/dev/null

# --- start time (informational) ---------------------------------------------------------------
times=()
for _ in 1 2 3 4 5; do
  t0=$(now_ms)
  run "$image" oauth2-rest --help >/dev/null 2>&1
  times+=($(($(now_ms) - t0)))
done
median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 3p)
say "start time (podman run to the exit of oauth2-rest --help), median of 5: $median ms (${times[*]})"
say "all checks passed: $image, $size_mb MB, profile-guided: $( ((pgo)) && echo yes || echo no)"

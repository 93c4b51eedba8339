#!/usr/bin/env bash
# Installs what building (and, with --test, testing) oauth2-rest needs from Debian 12's packages.
# Idempotent: packages already installed are not fetched again; apt-get update runs only when needed.
set -euo pipefail

want_test=0
[[ "${1:-}" == "--test" ]] && want_test=1

packages=(cmake g++ make ccache pkg-config
          libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
          libssl-dev librabbitmq-dev zlib1g-dev libbrotli-dev libmimalloc-dev)
if (( want_test )); then
  # nginx: spec/component/nginx_gzip_test.cpp runs its own, in a temp prefix on a loopback port.
  packages+=(libgtest-dev libgmock-dev libbenchmark-dev rabbitmq-server openssl procps
             clang-14 libclang-rt-14-dev llvm-14 nginx)
  # squid: the proxy tests (spec/http/http_proxy_test.cpp, spec/component/proxy_test.cpp) run
  # their own in a temp dir on a loopback port; its basic_ncsa_auth helper checks proxy passwords.
  packages+=(squid)
  # The reference runtime (npm) is used by the wire-compatibility tests. The machine image ships
  # Node with npm; install Debian's only when neither is there.
  if ! command -v node >/dev/null 2>&1; then packages+=(nodejs); fi
  if ! command -v npm >/dev/null 2>&1; then packages+=(npm); fi
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
(( ${#missing[@]} == 0 )) && exit 0

as_root=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null 2>&1 || { echo "install-deps: run as root (missing: ${missing[*]})" >&2; exit 1; }
  as_root=(sudo)
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

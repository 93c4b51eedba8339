#!/usr/bin/env bash
# Installs the third-party test servers that come from npm into an npm prefix: the OpenID
# provider oidc-provider (panva), which the client-authentication end-to-end test runs on
# loopback (spec/component/oidc_provider_test.cpp finds it via OAUTH2_REST_TEST_SERVERS).
#
# Usage: scripts/install-test-servers.sh [DIR]   (default: build/test-servers)
# Idempotent: does nothing when DIR already holds the pinned version.
# 8.x: the last line that runs on Debian 12's Node 18 as well as on Node 20 and 22.
set -euo pipefail

readonly version="8.8.1"
readonly dir="${1:-build/test-servers}"
readonly package_json="${dir}/node_modules/oidc-provider/package.json"

if ! command -v npm >/dev/null 2>&1; then
  echo "install-test-servers: npm is not installed (Node.js with npm is expected)" >&2
  exit 1
fi

if [[ -f "${package_json}" ]] &&
   node -e 'process.exit(require(process.argv[1]).version === process.argv[2] ? 0 : 1)' \
        "$(cd "$(dirname "${package_json}")" && pwd)/package.json" "${version}"; then
  echo "oidc-provider@${version} already installed in ${dir}"
  exit 0
fi

mkdir -p "${dir}"
npm install --prefix "${dir}" --no-save --no-audit --no-fund --loglevel=error "oidc-provider@${version}"
echo "oidc-provider@${version} installed in ${dir}"

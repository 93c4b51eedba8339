#!/usr/bin/env bash
# Installs elastic.io's reference Node.js runtime (elasticio-sailor-nodejs 2.7.8) into an npm prefix,
# for the wire-compatibility tests in spec/sail/reference (they find it via OAUTH2_REST_REFERENCE_RUNTIME).
#
# Usage: scripts/install-reference-runtime.sh [DIR]   (default: build/reference-runtime)
# Idempotent: does nothing when DIR already holds version 2.7.8.
set -euo pipefail

readonly version="2.7.8"
readonly dir="${1:-build/reference-runtime}"
readonly package_json="${dir}/node_modules/elasticio-sailor-nodejs/package.json"

if ! command -v npm >/dev/null 2>&1; then
  echo "install-reference-runtime: npm is not installed (Node.js 20 with npm is expected)" >&2
  exit 1
fi

if [[ -f "${package_json}" ]] &&
   node -e 'process.exit(require(process.argv[1]).version === process.argv[2] ? 0 : 1)' \
        "$(cd "$(dirname "${package_json}")" && pwd)/package.json" "${version}"; then
  echo "elasticio-sailor-nodejs@${version} already installed in ${dir}"
  exit 0
fi

mkdir -p "${dir}"
# --no-save keeps no package.json in the prefix; audit/fund output is noise for a test fixture.
npm install --prefix "${dir}" --no-save --no-audit --no-fund --loglevel=error \
  "elasticio-sailor-nodejs@${version}"
echo "elasticio-sailor-nodejs@${version} installed in ${dir}"

#!/usr/bin/env bash
# Browser end-to-end tests of the dashboard against a running twinisle (CI: `twinisle demo`).
#
#   web/scripts/e2e.sh http://127.0.0.1:1026 [--perf]
#
# Needs Debian's chromium at /usr/bin/chromium (or CHROMIUM=/path) and the npm dev dependencies
# (installed here with `npm ci` if missing). Screenshots and perf.json land in web/test-results/.
set -euo pipefail
cd "$(dirname "$0")/.."
url="${1:?usage: web/scripts/e2e.sh URL [--perf]}"
shift
chromium="${CHROMIUM:-/usr/bin/chromium}"
if [[ ! -x "$chromium" ]]; then
  echo "e2e: no Chromium at $chromium; install it with: apt-get install -y chromium fonts-wqy-microhei" >&2
  exit 2
fi
[[ -d node_modules/playwright-core ]] || npm ci --no-audit --no-fund
exec node tests/e2e/run.mjs --url "$url" "$@"

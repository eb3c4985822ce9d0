#!/usr/bin/env bash
# npm test: set up what is missing, type-check, then run the whole suite against the embedded store
# (or MONGODB_URI). The last line is "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Debian's Chromium for the browser tests, when running as root with apt-get (otherwise those tests
# skip and say why).
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "setup: installing chromium (Debian package) for the browser tests" >&2
  if ! { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }; then
    echo "setup: could not install chromium; the browser tests will be skipped" >&2
  fi
fi
npx tsc --noEmit
exec npx mocha "$@"

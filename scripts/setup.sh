#!/usr/bin/env bash
# Installs what `npm start` and `npm test` need and is missing: node modules (from the lockfile) and,
# unless MONGODB_URI points elsewhere, the embedded FerretDB binary; and Debian's Chromium for the browser
# tests, when running as root with apt-get (otherwise those tests skip and say why). Fast when all are there.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing node modules" >&2
  npm ci --no-audit --no-fund >&2
fi
if [ -z "${MONGODB_URI:-}" ] && [ -z "${FERRETDB_BIN:-}" ]; then
  bash scripts/build-ferretdb.sh >/dev/null
fi
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "setup: installing chromium (Debian package) for the browser tests" >&2
  if ! { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }; then
    echo "setup: could not install chromium; the browser tests will be skipped" >&2
  fi
fi

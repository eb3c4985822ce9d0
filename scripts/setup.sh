#!/usr/bin/env bash
# Installs what `npm start` and `npm test` need and is missing: node modules (from the lockfile) and,
# unless MONGODB_URI points elsewhere, the embedded FerretDB binary. Fast when both are there.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing node modules" >&2
  npm ci --no-audit --no-fund >&2
fi
if [ -z "${MONGODB_URI:-}" ] && [ -z "${FERRETDB_BIN:-}" ]; then
  bash scripts/build-ferretdb.sh >/dev/null
fi

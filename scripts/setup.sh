#!/usr/bin/env bash
# Installs what `npm start` and `npm test` need and is missing: node modules (from the lockfile) and,
# unless MONGODB_URI points elsewhere, the embedded FerretDB binary. Fast when both are there.
#
# The modules are reinstalled when the lockfile's content changed since they were installed (its
# sha256 is kept in node_modules/.debrief-lock-sha256), not when its time did: a fresh clone has new
# times on every file. Modules installed without that record are checked once with `npm ls`.
set -euo pipefail
cd "$(dirname "$0")/.."
record=node_modules/.debrief-lock-sha256
want="$(sha256sum package-lock.json | cut -d' ' -f1)"
have="$(cat "$record" 2>/dev/null || true)"
if [ "$have" != "$want" ]; then
  if [ -z "$have" ] && [ -d node_modules ] && npm ls --all --silent >/dev/null 2>&1; then
    echo "$want" > "$record"
  else
    echo "setup: installing node modules (package-lock.json changed or modules missing)" >&2
    npm ci --no-audit --no-fund >&2
    echo "$want" > "$record"
  fi
fi
if [ -z "${MONGODB_URI:-}" ] && [ -z "${FERRETDB_BIN:-}" ]; then
  bash scripts/build-ferretdb.sh >/dev/null
fi

#!/usr/bin/env bash
# npm test: set up what is missing, type-check, then run the whole suite against the embedded store
# (or MONGODB_URI). The last line is "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npx tsc --noEmit
exec npx mocha "$@"

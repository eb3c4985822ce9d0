#!/usr/bin/env bash
# npm start: set up what is missing, compile what changed (scripts/build.sh), then run the compiled
# service (and, unless RUN_WORKER=false, the worker in the same process).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
[ -f .env ] && set -a && . ./.env && set +a
# A young generation of 2 × 32 MB: loading the read model, where every record survives, copies each
# one far less often (docs/operations.md, "Running it"). npm run serve, the commands and the bench start it the same way.
exec node --max-semi-space-size=32 dist/src/main.js

#!/usr/bin/env bash
# npm start: set up what is missing, then run the service (and, once it exists, the worker).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
[ -f .env ] && set -a && . ./.env && set +a
exec node --import tsx src/main.ts

#!/usr/bin/env bash
# npm run worker / job / user:add / report / …: the operator commands, compiled as npm start's service
# is. Usage: scripts/run.sh <name of scripts/<name>.ts> [arguments]. Setup and build messages go to
# stderr, so a command's own output (a token on the last line) stays alone on stdout.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/scripts/setup.sh"
bash "$root/scripts/build.sh"
name="$1"
shift
# The young generation the server has (scripts/start.sh): the worker loads the same read model.
exec node --max-semi-space-size=32 "$root/dist/scripts/$name.js" "$@"

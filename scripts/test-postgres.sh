#!/usr/bin/env bash
# npm run test:postgres: the whole suite against FerretDB on PostgreSQL (the production set-up for a team
# that outgrows one machine), on this machine. Needs root with apt-get for PostgreSQL, or a running
# PostgreSQL at PG_URL. The last line is "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
PG_URL="${PG_URL:-}"
db=""
ferretdb=""
uri_file="$(mktemp)"
cleanup() {
  [ -n "$ferretdb" ] && kill "$ferretdb" 2>/dev/null && wait "$ferretdb" 2>/dev/null || true
  [ -n "$db" ] && su postgres -c "psql -q -c 'DROP DATABASE IF EXISTS $db'" || true
  rm -f "$uri_file"
}
trap cleanup EXIT
if [ -z "$PG_URL" ]; then
  if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    [ "$(id -u)" = 0 ] || { echo "test:postgres: install PostgreSQL or set PG_URL" >&2; exit 1; }
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  cluster="$(pg_lsclusters -h | awk 'NR == 1 { print $1 " " $2 }')"
  pg_ctlcluster $cluster start 2>/dev/null || true
  db="debrief_test_$$"
  su postgres -c "psql -qtA -c \"SELECT 1 FROM pg_roles WHERE rolname = 'debrief'\"" | grep -q 1 \
    || su postgres -c "psql -q -c \"CREATE USER debrief PASSWORD 'debrief'\""
  su postgres -c "psql -q -c 'CREATE DATABASE $db OWNER debrief'"
  port="$(pg_lsclusters -h | awk 'NR == 1 { print $3 }')"
  PG_URL="postgres://debrief:debrief@127.0.0.1:$port/$db"
fi
bin="$(bash scripts/build-ferretdb.sh)"
"$bin" -listen 127.0.0.1:0 -postgresql-url "$PG_URL" -log-level error > "$uri_file" &
ferretdb=$!
for _ in $(seq 100); do [ -s "$uri_file" ] && break; sleep 0.1; done
[ -s "$uri_file" ] || { echo "test:postgres: FerretDB did not start" >&2; exit 1; }
MONGODB_URI="$(head -1 "$uri_file")" npx mocha "$@"

#!/usr/bin/env bash
# npm run fuzz: installs schemathesis (pinned, from PyPI) into .cache/schemathesis/ once, then runs it
# against a throw-away Debrief (scripts/fuzz.ts). Extra arguments go to schemathesis.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
version=4.32.5
venv=.cache/schemathesis
if [ ! -x "$venv/bin/schemathesis" ] || ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$version"; then
  command -v python3 >/dev/null || { echo "fuzz: python3 (3.10+) is needed for schemathesis" >&2; exit 1; }
  echo "fuzz: installing schemathesis $version into $venv (first run only)" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "schemathesis==$version" >&2
fi
exec node --import tsx scripts/fuzz.ts "$venv/bin/schemathesis" "$@"

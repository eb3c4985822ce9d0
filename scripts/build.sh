#!/usr/bin/env bash
# Compiles the service to JavaScript in dist/ (tsconfig.build.json) when its sources changed since the
# last build: the sha256 of src/, locales/, the compiled scripts, the tsconfig files and the lockfile is
# kept in dist/.source-sha256. Content, not file times: a fresh clone or a checkout gives every file a
# new time. Several commands starting at once build once (flock); the others wait and find it done.
set -euo pipefail
cd "$(dirname "$0")/.."
sources() {
  find src locales -type f -print0 | sort -z | xargs -0 sha256sum
  sha256sum tsconfig.json tsconfig.build.json package-lock.json scripts/{worker,job,user,report,export,import,seed}.ts
}
mkdir -p .cache
exec 9>.cache/build.lock
flock 9
want="$(sources | sha256sum | cut -d' ' -f1)"
if [ "$(cat dist/.source-sha256 2>/dev/null || true)" != "$want" ]; then
  echo "build: compiling to dist/ (sources changed since the last build)" >&2
  rm -rf dist
  npx tsc -p tsconfig.build.json >&2
  echo "$want" > dist/.source-sha256
fi

#!/usr/bin/env bash
# Builds Debrief's embedded store (FerretDB v1.24, SQLite handler; source in scripts/ferretdb/) once
# from the Go module proxy and caches the binary under .cache/ferretdb/. Idempotent: prints the
# binary's path at once when it is already built.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
src="$root/scripts/ferretdb"
version="$(awk '$1 == "require" && $2 ~ /FerretDB/ { print $3 }' "$src/go.mod")"
# The name carries a hash of the sources, so a changed wrapper is rebuilt (src/lib/embedded-store.ts computes the same).
hash="$(cat "$src/main.go" "$src/go.mod" "$src/go.sum" | sha256sum | cut -c1-12)"
bin="$root/.cache/ferretdb/ferretdb-$version-$hash"
if [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi
command -v go >/dev/null || { echo "build-ferretdb: Go 1.24+ is needed to build the embedded store" >&2; exit 1; }
echo "build-ferretdb: building FerretDB $version (first run only, about a minute)" >&2
mkdir -p "$(dirname "$bin")"
(cd "$src" && CGO_ENABLED=0 go build -trimpath -o "$bin.tmp" .) >&2
mv "$bin.tmp" "$bin"
echo "$bin"

#!/usr/bin/env bash
# Builds Debrief's embedded store (FerretDB v1.24, SQLite handler; source in scripts/ferretdb/) once
# from the Go module proxy and caches the binary under .cache/ferretdb/. Idempotent: prints the
# binary's path at once when it is already built.
#
# FerretDB is patched before the build (scripts/ferretdb/*.patch, applied to a vendored copy): as
# released, its SQLite backend spells the _id path differently from its own _id index, so SQLite never
# uses that index, narrows a query by _id only when _id is the filter's sole key, and not at all by a list
# of _id values (a batch read or deleted by key scanned the whole collection); it builds a debug
# log record of every SQL statement (quoting each stored document in full) even when nothing is logged
# at debug level; and it records the caller's stack for every query, iterator and transaction, a
# leak-hunting aid meant for its debug builds.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
src="$root/scripts/ferretdb"
version="$(awk '$1 == "require" && $2 ~ /FerretDB/ { print $3 }' "$src/go.mod")"
# The name carries a hash of the sources, so a changed wrapper or patch is rebuilt (src/lib/embedded-store.ts computes the same).
hash="$(cat "$src/main.go" "$src/go.mod" "$src/go.sum" "$src"/*.patch | sha256sum | cut -c1-12)"
bin="$root/.cache/ferretdb/ferretdb-$version-$hash"
if [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi
command -v go >/dev/null || { echo "build-ferretdb: Go 1.24+ is needed to build the embedded store" >&2; exit 1; }
command -v patch >/dev/null || { echo "build-ferretdb: the patch command is needed to build the embedded store" >&2; exit 1; }
echo "build-ferretdb: building FerretDB $version (first run only, about a minute)" >&2
mkdir -p "$(dirname "$bin")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$src/main.go" "$src/go.mod" "$src/go.sum" "$work/"
(
  cd "$work"
  go mod vendor
  for p in "$src"/*.patch; do
    # --forward and a failed dry run stop the build if the module's source is not what the patch expects.
    patch --forward --batch --dry-run -s -p1 -d vendor/github.com/FerretDB/FerretDB < "$p"
    patch --forward --batch -s -p1 -d vendor/github.com/FerretDB/FerretDB < "$p"
  done
  CGO_ENABLED=0 go build -mod=vendor -trimpath -o "$bin.tmp" .
) >&2
mv "$bin.tmp" "$bin"
echo "$bin"

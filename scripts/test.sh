#!/usr/bin/env bash
# npm test: set up what is missing, type-check, then run the whole suite against the embedded store
# (or MONGODB_URI). The last line is "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Debian's Chromium for the browser tests, when running as root with apt-get (otherwise those tests
# skip and say why), and a small Chinese font so the zh-CN screenshots show text, not boxes.
if { [ ! -x /usr/bin/chromium ] || [ ! -d /usr/share/fonts/truetype/wqy ]; } && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "setup: installing chromium and fonts-wqy-microhei (Debian packages) for the browser tests" >&2
  if ! { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; }; then
    echo "setup: could not install them; without chromium the browser tests are skipped" >&2
  fi
fi
npx tsc --noEmit
exec npx mocha "$@"

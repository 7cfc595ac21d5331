#!/usr/bin/env bash
# `make bench`: installs the wrk load generator and chromium from Debian when missing, then runs
# scripts/bench.py.
set -euo pipefail
cd "$(dirname "$0")/.."
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
if ! command -v wrk >/dev/null 2>&1; then
  echo "bench: installing wrk (HTTP load generator) from Debian"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends wrk \
    || echo "bench: wrk unavailable; the Python load generator will be used instead" >&2
fi
if [ ! -x /usr/bin/chromium ]; then
  echo "bench: installing chromium (the map-page scenarios) from Debian"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium \
    || echo "bench: chromium unavailable; the map-page rows will say 'not available'" >&2
fi
exec .venv/bin/python scripts/bench.py "$@"

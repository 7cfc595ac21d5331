#!/usr/bin/env bash
# Installs what Hongtu needs on Debian 12 and is safe to re-run: each step checks before it acts.
#   scripts/setup.sh          database packages + Python virtualenv + front-end assets
#   scripts/setup.sh --test   the same, plus chromium for the browser tests
set -euo pipefail
cd "$(dirname "$0")/.."

want_browser=0
[ "${1:-}" = "--test" ] && want_browser=1

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
for pkg in postgresql-15 postgresql-15-postgis-3 postgresql-15-pgrouting; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "$want_browser" = 1 ]; then
  for pkg in chromium; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  as_root apt-get update -q
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# The virtualenv is rebuilt only when pyproject.toml changes.
stamp=.venv/.hongtu-$(sha1sum pyproject.toml | cut -c1-12)
if [ ! -f "$stamp" ]; then
  echo "setup: installing the Python environment in .venv"
  [ -x .venv/bin/python ] || python3 -m venv .venv
  # The machine's pip configuration may name local mirrors that do not exist; their warnings are noise.
  .venv/bin/pip install -q --upgrade pip 2>&1 | grep -v "is ignored: it is neither" || true
  .venv/bin/pip install -q -e '.[dev]' 2>&1 | grep -v "is ignored: it is neither" || true
  .venv/bin/python -c "import app, flask, geoalchemy2, shapely, folium" \
    || { echo "setup: the Python environment is incomplete" >&2; exit 1; }
  rm -f .venv/.hongtu-*
  touch "$stamp"
fi

# Front-end libraries come from the npm registry, pinned by package-lock.json.
if [ -f package-lock.json ]; then
  lock=node_modules/.hongtu-$(sha1sum package-lock.json | cut -c1-12)
  if [ ! -f "$lock" ]; then
    echo "setup: installing front-end assets with npm ci"
    npm ci --no-audit --no-fund --loglevel=error
    touch "$lock"
  fi
fi

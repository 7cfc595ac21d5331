#!/usr/bin/env bash
# Runs Hongtu's own PostgreSQL + PostGIS cluster under var/pg.
#   scripts/db.sh start    initialise on first use, then start (idempotent); prints nothing else
#   scripts/db.sh stop     stop it
#   scripts/db.sh status   say whether it runs
#   scripts/db.sh url      print the DATABASE_URL of the demo database
# When DATABASE_URL is set, the project uses that server and this script is not needed.
set -euo pipefail
cd "$(dirname "$0")/.."

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
root=$(pwd)/var/pg
data=$root/data
sock=$root/run
# When the checkout sits where the postgres user cannot reach (a home directory with mode 700),
# the cluster lives under /var/tmp instead; var/pg/datadir remembers the choice.
if [ -f "$root/datadir" ]; then
  data=$(cat "$root/datadir")
  sock=$(dirname "$data")/run
fi
dbname=${HONGTU_DB_NAME:-hongtu}

# PostgreSQL refuses to run as root, so the server and its files belong to the postgres user.
as_pg() { if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi; }

free_port() {
  python3 - <<'PY'
import socket
for port in range(54329, 54429):
    with socket.socket() as s:
        # As PostgreSQL binds: a port left in TIME_WAIT by a stopped server is free.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            continue
        print(port)
        break
PY
}

# GEOS for the server. Debian 12's PostGIS is built against GEOS 3.11.1 and calls GEOS only through its
# C API, which every later GEOS keeps. The Shapely wheel in .venv carries a newer GEOS (3.14), with
# faster overlays and predicates (the first coverage analysis of a city takes 15% less time, an
# ST_Relate a third less). The server is started with copies of those two libraries under the names
# PostGIS asks the loader for; HONGTU_DB_GEOS=system keeps Debian's. Copies, not links into .venv,
# because the postgres user may not be able to reach the checkout.
geos_dir() {
  [ "${HONGTU_DB_GEOS:-wheel}" = system ] && return 0
  local libs capi core wanted dir
  libs=$(.venv/bin/python -c 'import pathlib, shapely; print(pathlib.Path(shapely.__file__).parent.parent / "shapely.libs")' 2>/dev/null) || return 0
  capi=$(ls "$libs"/libgeos_c-*.so.* 2>/dev/null | head -1)
  core=$(ls "$libs"/libgeos-*.so.* 2>/dev/null | head -1)
  wanted=$(ldd "$(dirname "$PGBIN")/lib/postgis-3.so" 2>/dev/null | grep -o 'libgeos\.so\.[0-9.]*' | head -1 || true)
  [ -n "$capi" ] && [ -n "$core" ] && [ -n "$wanted" ] || return 0
  dir=$(dirname "$data")/geos
  if ! cmp -s "$capi" "$dir/libgeos_c.so.1" || ! cmp -s "$core" "$dir/$wanted"; then
    rm -rf "$dir" && mkdir -p "$dir"
    cp "$capi" "$dir/libgeos_c.so.1"
    cp "$core" "$dir/$wanted"
    # The C library asks for the core library by the wheel's own name: the same file.
    ln -s "$wanted" "$dir/$(basename "$core")"
    chmod -R a+rX "$dir"
  fi
  echo "$dir"
}

running() { [ -f "$data/postmaster.pid" ] && as_pg "$PGBIN/pg_ctl" -D "$data" status >/dev/null 2>&1; }

init() {
  mkdir -p "$root" "$sock"
  [ "$(id -u)" = 0 ] && chown postgres: "$root" "$sock"
  if ! as_pg test -w "$root"; then
    local elsewhere
    elsewhere=/var/tmp/hongtu-pg-$(pwd | sha1sum | cut -c1-10)
    mkdir -p "$elsewhere/run"
    [ "$(id -u)" = 0 ] && chown -R postgres: "$elsewhere"
    data=$elsewhere/data
    sock=$elsewhere/run
    echo "$data" >"$root/datadir"
  fi
  if [ ! -f "$root/password" ]; then
    python3 -c "import secrets; print(secrets.token_urlsafe(24))" >"$root/password"
  fi
  [ "$(id -u)" = 0 ] && chown postgres: "$root/password"
  chmod 600 "$root/password"
  # initdb reads the password as the postgres user, from a copy it can reach.
  local pwfile
  pwfile=$(dirname "$sock")/initdb-password
  cp "$root/password" "$pwfile"
  [ "$(id -u)" = 0 ] && chown postgres: "$pwfile"
  as_pg "$PGBIN/initdb" -D "$data" -U postgres --pwfile="$pwfile" \
    --auth-local=peer --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >"$root/initdb.log"
  rm -f "$pwfile"
  cat >>"$data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$sock'
shared_buffers = 512MB
work_mem = 64MB
maintenance_work_mem = 512MB
max_parallel_workers_per_gather = 2
random_page_cost = 1.1
jit = off
fsync = ${HONGTU_DB_FSYNC:-on}
CONF
}

start() {
  [ -x "$PGBIN/initdb" ] || { echo "db: $PGBIN/initdb not found; run scripts/setup.sh first" >&2; exit 1; }
  [ -f "$data/PG_VERSION" ] || init
  local geos stamp=system
  geos=$(geos_dir)
  [ -n "$geos" ] && stamp=$(cat "$geos"/libgeos*.so.* | sha1sum | cut -c1-12)
  # A server started with other GEOS libraries (or with Debian's) is restarted with these.
  if running && [ "$(cat "$root/geos.started" 2>/dev/null)" != "$stamp" ]; then
    as_pg "$PGBIN/pg_ctl" -D "$data" -m fast -w stop >/dev/null
  fi
  if ! running; then
    port=$(cat "$root/port" 2>/dev/null || true)
    if [ -z "$port" ] || ! python3 -c "import socket,sys; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1', int(sys.argv[1])))" "$port" 2>/dev/null; then
      port=$(free_port)
      echo "$port" >"$root/port"
    fi
    as_pg env ${geos:+LD_LIBRARY_PATH="$geos"} "$PGBIN/pg_ctl" -D "$data" -l "$(dirname "$data")/server.log" \
      -w -t 60 -o "-p $port" start >/dev/null
    echo "$stamp" >"$root/geos.started"
  fi
  port=$(cat "$root/port")
  exists=$(as_pg /usr/bin/psql -h "$sock" -p "$port" -U postgres -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = '$dbname'" 2>/dev/null || true)
  if [ "$exists" != 1 ]; then
    as_pg /usr/bin/psql -h "$sock" -p "$port" -U postgres -d postgres -qc "CREATE DATABASE $dbname" >/dev/null
  fi
  echo "postgresql://postgres:$(cat "$root/password")@127.0.0.1:$port/$dbname" >"$root/url"
}

case "${1:-}" in
  start) start ;;
  stop) if running; then as_pg "$PGBIN/pg_ctl" -D "$data" -m fast -w stop >/dev/null; fi ;;
  status) if running; then echo "running on port $(cat "$root/port")"; else echo "stopped"; exit 3; fi ;;
  url) cat "$root/url" ;;
  *) echo "usage: $0 start|stop|status|url" >&2; exit 2 ;;
esac

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
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            continue
        print(port)
        break
PY
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
  if ! running; then
    port=$(cat "$root/port" 2>/dev/null || true)
    if [ -z "$port" ] || ! python3 -c "import socket,sys; s=socket.socket(); s.bind(('127.0.0.1', int(sys.argv[1])))" "$port" 2>/dev/null; then
      port=$(free_port)
      echo "$port" >"$root/port"
    fi
    as_pg "$PGBIN/pg_ctl" -D "$data" -l "$(dirname "$data")/server.log" -w -t 60 -o "-p $port" start >/dev/null
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

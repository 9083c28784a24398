#!/usr/bin/env bash
# A throw-away PostgreSQL on loopback, for tests and for trying a cluster locally.
#
#   scripts/engines/postgres.sh start    bring it up (no-op when already up; reuses the state folder after a stop)
#   scripts/engines/postgres.sh stop     stop it (the data stays; `start` brings it back)
#   scripts/engines/postgres.sh status   exit 0 when it accepts connections, 1 otherwise
#   scripts/engines/postgres.sh env      print the test env var (eval "$(scripts/engines/postgres.sh env)")
#   scripts/engines/postgres.sh createdb NAME   create database NAME unless it exists
#
# Trust authentication on 127.0.0.1 only (user postgres, no password): never expose it. Needs the
# Debian package postgresql; the binaries are found under /usr/lib/postgresql/*/bin (newest first)
# or on PATH. The server refuses to run as root, so as root it runs as the postgres user.
#
# Environment (defaults in brackets):
#   COFFER_PG_DIR    state folder [/tmp/coffer-engines/postgres]; `rm -rf` it (after stop) to start afresh
#   COFFER_PG_PORT   port [55433]
#   COFFER_PG_BIN    folder holding initdb and pg_ctl [the newest /usr/lib/postgresql/*/bin]
set -uo pipefail

dir=${COFFER_PG_DIR:-/tmp/coffer-engines/postgres}
port=${COFFER_PG_PORT:-55433}
data="$dir/data"
log="$dir/postgres.log"

say() { echo "postgres.sh: $*" >&2; }
die() { say "$*"; exit 1; }

find_bin() {
  local b
  if [ -n "${COFFER_PG_BIN:-}" ]; then echo "$COFFER_PG_BIN"; return 0; fi
  for b in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5,5 -V -r); do
    [ -x "$b/pg_ctl" ] && { echo "$b"; return 0; }
  done
  b=$(command -v pg_ctl 2>/dev/null) && { dirname "$b"; return 0; }
  return 1
}

bin=$(find_bin) || bin=""

as_owner() { # run a server binary as the postgres user when we are root
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

is_up() {
  [ -n "$bin" ] || return 1
  if [ -x "$bin/pg_isready" ]; then
    "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres -t 3
  else
    as_owner "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1
  fi
}

start() {
  if is_up; then say "already running at 127.0.0.1:$port"; return 0; fi
  [ -n "$bin" ] || die "PostgreSQL's binaries are missing (apt-get install postgresql, or set COFFER_PG_BIN)"
  mkdir -p "$dir"
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || die "there is no postgres user (apt-get install postgresql creates it)"
    chown postgres: "$dir"
    # The server's parents must be traversable by postgres (a 0700 parent stops it).
    chmod o+x "$(dirname "$dir")" 2>/dev/null || true
  fi
  if [ ! -f "$data/PG_VERSION" ]; then
    say "creating a new cluster in $data"
    rm -rf "$data"
    as_owner "$bin/initdb" -D "$data" -A trust -U postgres -E UTF8 --locale=C >"$dir/initdb.log" 2>&1 ||
      { tail -n 20 "$dir/initdb.log" >&2; die "initdb failed"; }
  fi
  # A stale postmaster.pid after a crash or a reboot is handled by pg_ctl itself.
  as_owner "$bin/pg_ctl" -D "$data" -l "$log" -w -t 60 \
    -o "-p $port -k /tmp -c listen_addresses=127.0.0.1 -c max_connections=300" start >/dev/null ||
    { tail -n 20 "$log" >&2; die "the server did not start; see $log"; }
  say "running at 127.0.0.1:$port"
}

stop() {
  if [ -n "$bin" ] && [ -f "$data/postmaster.pid" ]; then
    as_owner "$bin/pg_ctl" -D "$data" stop -m fast -w -t 60 >/dev/null 2>&1 || say "pg_ctl stop failed; see $log"
  fi
  say "stopped"
}

createdb() {
  local name=${1:-}
  [[ "$name" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die "createdb: give a database name of letters, digits and _"
  is_up || die "createdb: the server is not running (start it first)"
  if [ -n "$("$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$name'")" ]; then
    return 0
  fi
  "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -qc "CREATE DATABASE \"$name\"" || die "createdb: creating $name failed"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  createdb) createdb "${2:-}" ;;
  status)
    if is_up; then echo "running at 127.0.0.1:$port"; else echo "not running"; exit 1; fi ;;
  env)
    echo "export COFFER_TEST_POSTGRES='Host=127.0.0.1;Port=$port;Username=postgres'" ;;
  *) echo "usage: $0 start|stop|status|env|createdb NAME" >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# A throw-away PostgreSQL cluster for the test suite.
#
#   scripts/postgres.sh start DIR   initdb (first time) and start a cluster in DIR,
#                                   listening on 127.0.0.1 only, on a free port;
#                                   prints its URL (also in DIR/url, DIR/env)
#   scripts/postgres.sh stop DIR    pg_ctl stop -m fast on DIR/data
#   scripts/postgres.sh url DIR     prints the URL of the cluster in DIR
#
# Server binaries are taken from $RUNYARD_PG_BINDIR, else from PATH (pg_ctl and
# initdb side by side), else from the newest /usr/lib/postgresql/*/bin; when
# none is found they are installed with apt-get. The Debian package's own
# cluster (if any) is never used and never touched.
#
# Running as root, the cluster runs as the unprivileged system user
# $RUNYARD_PG_OS_USER (default runyard-pg, created when missing), because
# initdb and postgres refuse to run as root.
#
# DIR layout: data/ (the cluster), sock/ (unix socket), postgres.log, url, env.
set -euo pipefail

PG_OS_USER_DEFAULT=runyard-pg
DB_SUPERUSER=runyard
DB_NAME=runyard

log() { printf 'postgres.sh: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

usage() {
  echo "usage: $0 {start|stop|url} DIR" >&2
  exit 2
}

is_root() { [ "$(id -u)" -eq 0 ]; }

# --- binaries -------------------------------------------------------------

find_bindir() {
  if [ -n "${RUNYARD_PG_BINDIR:-}" ]; then
    [ -x "$RUNYARD_PG_BINDIR/pg_ctl" ] && [ -x "$RUNYARD_PG_BINDIR/initdb" ] \
      || die "RUNYARD_PG_BINDIR=$RUNYARD_PG_BINDIR has no pg_ctl/initdb"
    echo "$RUNYARD_PG_BINDIR"
    return 0
  fi
  local p d
  if p=$(command -v pg_ctl 2>/dev/null); then
    d=$(dirname "$(readlink -f "$p")")
    if [ -x "$d/initdb" ] && [ -x "$d/postgres" ]; then
      echo "$d"
      return 0
    fi
  fi
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$d" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/initdb" ] && [ -x "$d/postgres" ]; then
    echo "$d"
    return 0
  fi
  return 1
}

install_postgres() {
  command -v apt-get >/dev/null 2>&1 \
    || die "PostgreSQL server binaries not found and apt-get is unavailable; install PostgreSQL or set RUNYARD_PG_BINDIR"
  local sudo=()
  if ! is_root; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      sudo=(sudo -n)
    else
      die "PostgreSQL server binaries not found; install them (apt-get install postgresql) or run as root"
    fi
  fi
  log "PostgreSQL server binaries not found: installing them with apt-get"
  # The package may create and start its own cluster on 5432; it is left alone.
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
    --no-install-recommends postgresql </dev/null >&2
}

# --- running as the cluster's owner ---------------------------------------

PG_OS_USER=""   # empty: the current user owns and runs the cluster

setup_os_user() {
  is_root || return 0
  PG_OS_USER=${RUNYARD_PG_OS_USER:-$PG_OS_USER_DEFAULT}
  if ! id -u "$PG_OS_USER" >/dev/null 2>&1; then
    log "creating system user $PG_OS_USER"
    local nologin=/usr/sbin/nologin
    [ -x "$nologin" ] || nologin=/bin/false
    useradd --system --user-group --no-create-home --home-dir /nonexistent \
      --shell "$nologin" "$PG_OS_USER" >&2 \
      || id -u "$PG_OS_USER" >/dev/null 2>&1 \
      || die "could not create system user $PG_OS_USER"
  fi
}

# as_owner CMD...: run CMD as the cluster's owner, from a directory it can enter.
as_owner() {
  if [ -z "$PG_OS_USER" ]; then
    (cd "$DIR" && "$@")
  elif command -v runuser >/dev/null 2>&1; then
    (cd "$DIR" && runuser -u "$PG_OS_USER" -- "$@")
  else
    (cd "$DIR" && su -s /bin/sh "$PG_OS_USER" -c '"$0" "$@"' -- "$@")
  fi
}

# The owner must be able to reach DIR: DIR itself is handed to it; every
# ancestor must already be searchable (true for /tmp and usual checkouts).
prepare_dir() {
  mkdir -p "$DIR"
  DIR=$(cd "$DIR" && pwd -P)
  mkdir -p "$DIR/sock"
  if [ -n "$PG_OS_USER" ]; then
    chown "$PG_OS_USER:" "$DIR" "$DIR/sock"
    [ -d "$DIR/data" ] && chown -R "$PG_OS_USER:" "$DIR/data"
    chmod 0755 "$DIR"
    if ! as_owner test -w "$DIR"; then
      die "user $PG_OS_USER cannot reach $DIR (an ancestor directory is not searchable); use a directory under /tmp"
    fi
  fi
  chmod 0700 "$DIR/sock" 2>/dev/null || true
}

# --- cluster ------------------------------------------------------------

free_port() {
  if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
  else
    echo $(( 20000 + RANDOM % 30000 ))
  fi
}

init_cluster() {
  [ -f "$DIR/data/PG_VERSION" ] && return 0
  log "initdb $DIR/data ($("$BIN/postgres" --version))"
  as_owner "$BIN/initdb" -D "$DIR/data" -U "$DB_SUPERUSER" --auth=trust \
    --no-locale --encoding=UTF8 >"$DIR/initdb.log" 2>&1 \
    || { cat "$DIR/initdb.log" >&2; die "initdb failed"; }
  local sockdir="$DIR/sock"
  # A unix socket path is limited to ~107 bytes; without room, TCP only.
  if [ $(( ${#sockdir} + 20 )) -gt 100 ]; then
    sockdir=""
  fi
  as_owner tee -a "$DIR/data/postgresql.conf" >/dev/null <<EOF

# --- runyard test cluster ---
listen_addresses = '127.0.0.1'
unix_socket_directories = '$sockdir'
max_connections = 200
shared_buffers = 32MB
fsync = on
synchronous_commit = on
full_page_writes = on
dynamic_shared_memory_type = mmap
include_if_exists = 'runyard-port.conf'
EOF
}

write_env() {
  local url=$1
  echo "$url" >"$DIR/url"
  {
    printf 'RUNYARD_TEST_POSTGRES_URL=%q\n' "$url"
    printf 'RUNYARD_TEST_POSTGRES_DATADIR=%q\n' "$DIR/data"
    printf 'RUNYARD_TEST_POSTGRES_PG_CTL=%q\n' "$BIN/pg_ctl"
    printf 'RUNYARD_TEST_POSTGRES_OS_USER=%q\n' "$PG_OS_USER"
    printf 'RUNYARD_TEST_POSTGRES_LOG=%q\n' "$DIR/postgres.log"
  } >"$DIR/env"
  chmod 0644 "$DIR/url" "$DIR/env"
}

# alive PID: the process exists and is not a zombie.
alive() {
  kill -0 "$1" 2>/dev/null || return 1
  [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]
}

running_pid() {
  local pidfile="$DIR/data/postmaster.pid" pid
  [ -f "$pidfile" ] || return 1
  pid=$(head -n 1 "$pidfile")
  [ -n "$pid" ] && alive "$pid" && echo "$pid"
}

cmd_start() {
  local BIN
  BIN=$(find_bindir) || { install_postgres; BIN=$(find_bindir) || die "PostgreSQL installed but its binaries were not found"; }
  setup_os_user
  prepare_dir
  init_cluster
  if running_pid >/dev/null; then
    die "a cluster is already running in $DIR/data (PID $(running_pid))"
  fi
  local port attempt started=""
  for attempt in 1 2 3 4 5; do
    port=$(free_port)
    echo "port = $port" | as_owner tee "$DIR/data/runyard-port.conf" >/dev/null
    if as_owner "$BIN/pg_ctl" start -w -t 60 -D "$DIR/data" -l "$DIR/postgres.log" >/dev/null; then
      started=1
      break
    fi
    log "start on port $port failed (attempt $attempt); see $DIR/postgres.log"
  done
  [ -n "$started" ] || { tail -n 30 "$DIR/postgres.log" >&2 || true; die "could not start PostgreSQL"; }
  local ok=""
  for _ in $(seq 1 100); do
    if "$BIN/pg_isready" -q -h 127.0.0.1 -p "$port" -d postgres -U "$DB_SUPERUSER" 2>/dev/null; then
      ok=1
      break
    fi
    sleep 0.1
  done
  [ -n "$ok" ] || die "PostgreSQL on 127.0.0.1:$port never became ready"
  if ! "$BIN/psql" -X -q -h 127.0.0.1 -p "$port" -U "$DB_SUPERUSER" -d postgres -tA \
      -c "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'" | grep -q 1; then
    "$BIN/createdb" -h 127.0.0.1 -p "$port" -U "$DB_SUPERUSER" "$DB_NAME"
  fi
  local url="postgresql://$DB_SUPERUSER@127.0.0.1:$port/$DB_NAME"
  write_env "$url"
  log "PostgreSQL (PID $(running_pid)) ready at $url"
  echo "$url"
}

cmd_stop() {
  [ -d "$DIR/data" ] || { log "no cluster in $DIR"; return 0; }
  DIR=$(cd "$DIR" && pwd -P)
  local pid
  pid=$(running_pid) || { log "no server running in $DIR/data"; return 0; }
  local BIN="" owner
  if [ -f "$DIR/env" ]; then
    BIN=$(dirname "$(. "$DIR/env" && echo "$RUNYARD_TEST_POSTGRES_PG_CTL")")
  fi
  [ -x "$BIN/pg_ctl" ] || BIN=$(find_bindir) || die "pg_ctl not found"
  owner=$(stat -c %U "$DIR/data")
  if is_root && [ "$owner" != root ]; then PG_OS_USER=$owner; fi
  if ! as_owner "$BIN/pg_ctl" stop -m fast -w -t 60 -D "$DIR/data" >/dev/null; then
    log "fast shutdown of PID $pid failed; immediate shutdown"
    as_owner "$BIN/pg_ctl" stop -m immediate -w -t 30 -D "$DIR/data" >/dev/null || true
  fi
  # postmaster.pid goes away a moment before the process itself does.
  local _
  for _ in $(seq 1 100); do
    alive "$pid" || break
    sleep 0.1
  done
  alive "$pid" && die "PostgreSQL (PID $pid) is still running"
  log "stopped PostgreSQL (PID $pid)"
}

cmd_url() {
  [ -f "$DIR/url" ] || die "no cluster URL in $DIR"
  cat "$DIR/url"
}

[ $# -eq 2 ] || usage
DIR=$2
case "$1" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  url) cmd_url ;;
  *) usage ;;
esac

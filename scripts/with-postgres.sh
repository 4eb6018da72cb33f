#!/usr/bin/env bash
# scripts/with-postgres.sh CMD...
# Runs CMD with a throw-away PostgreSQL cluster (scripts/postgres.sh) in a fresh
# temporary directory, exporting
#   RUNYARD_TEST_POSTGRES_URL      postgresql://runyard@127.0.0.1:PORT/runyard
#   RUNYARD_TEST_POSTGRES_DATADIR  the cluster's data directory
#   RUNYARD_TEST_POSTGRES_PG_CTL   the pg_ctl binary that controls it
#   RUNYARD_TEST_POSTGRES_OS_USER  the OS user to run pg_ctl as ("" = current user)
#   RUNYARD_TEST_POSTGRES_LOG      the server log file
# The cluster is always stopped and the directory removed afterwards; the exit
# status is CMD's.
set -euo pipefail

[ $# -ge 1 ] || { echo "usage: $0 CMD..." >&2; exit 2; }

here=$(cd "$(dirname "$0")" && pwd -P)
# As root the cluster runs as an unprivileged user that must reach the
# directory, so it lives under /tmp; otherwise $TMPDIR is fine.
if [ "$(id -u)" -eq 0 ]; then tmp=/tmp; else tmp=${TMPDIR:-/tmp}; fi
dir=$(mktemp -d "$tmp/runyard-pg.XXXXXX")

cleanup() {
  local status=$?
  "$here/postgres.sh" stop "$dir" || { [ "$status" -ne 0 ] || status=1; }
  rm -rf "$dir"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$here/postgres.sh" start "$dir" >/dev/null
set -a
# shellcheck disable=SC1091
. "$dir/env"
set +a

set +e
"$@"
status=$?
set -e
exit "$status"

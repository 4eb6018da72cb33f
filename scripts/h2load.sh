#!/usr/bin/env bash
# h2load (Debian's nghttp2-client): the bench's compiled HTTP/2 load generator
# for gRPC unary calls (bench/h2_load.py). Prints its path; installs the package
# with apt-get when it is missing (as root, or with passwordless sudo).
#
#   scripts/h2load.sh          path of h2load, installing it first if needed
set -euo pipefail

log() { printf 'h2load.sh: %s\n' "$*" >&2; }

if path=$(command -v h2load 2>/dev/null); then
  echo "$path"
  exit 0
fi

command -v apt-get >/dev/null 2>&1 \
  || { log "h2load not found and apt-get is unavailable; install nghttp2-client"; exit 1; }
sudo=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo=(sudo -n)
  else
    log "h2load not found; install nghttp2-client (apt-get install nghttp2-client) or run as root"
    exit 1
  fi
fi
log "h2load not found: installing nghttp2-client with apt-get"
install() {
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
    --no-install-recommends nghttp2-client </dev/null >&2
}
# Stale or missing package lists on a fresh machine: refresh once and retry.
install || { "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2; install; }
command -v h2load || { log "nghttp2-client installed but h2load was not found"; exit 1; }

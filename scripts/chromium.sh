#!/usr/bin/env bash
# Makes sure Debian's headless-capable Chromium and its WebDriver are installed,
# for the dashboard's browser tests.
#
#   scripts/chromium.sh          installs `chromium` and `chromium-driver` with apt-get
#                                (as root) when /usr/bin/chromium or
#                                /usr/bin/chromedriver is missing; prints both paths
#
# RUNYARD_CHROMIUM / RUNYARD_CHROMEDRIVER name other binaries (then nothing is
# installed). Without root and without the binaries it says so and exits 1;
# the browser tests then skip with the same message.
set -euo pipefail

log() { printf 'chromium.sh: %s\n' "$*" >&2; }

CHROMIUM=${RUNYARD_CHROMIUM:-/usr/bin/chromium}
DRIVER=${RUNYARD_CHROMEDRIVER:-/usr/bin/chromedriver}

if [ ! -x "$CHROMIUM" ] || [ ! -x "$DRIVER" ]; then
  if [ -n "${RUNYARD_CHROMIUM:-}${RUNYARD_CHROMEDRIVER:-}" ]; then
    log "RUNYARD_CHROMIUM=$CHROMIUM / RUNYARD_CHROMEDRIVER=$DRIVER not executable"
    exit 1
  fi
  if [ "$(id -u)" -ne 0 ]; then
    log "chromium and chromium-driver are missing; install them as root:"
    log "  apt-get install chromium chromium-driver"
    exit 1
  fi
  log "installing Debian's chromium and chromium-driver (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends chromium chromium-driver >&2
fi
echo "$CHROMIUM"
echo "$DRIVER"

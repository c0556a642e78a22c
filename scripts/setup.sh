#!/usr/bin/env bash
# Installs what Agora needs on this machine when it is missing, then returns.
#   scripts/setup.sh            npm deps + nats-server and haproxy (for `npm start`; `agora up` runs agora lb with it)
#   scripts/setup.sh --test     also docker.io (daemon started), busybox-static, chromium, prometheus, dnsutils, perl (for `npm test`)
# Idempotent and quiet when everything is present. Root on Debian installs packages with apt;
# anyone else gets a message saying what to install.
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

log() { printf '[setup] %s\n' "$*" >&2; }

missing_pkgs=()
command -v nats-server >/dev/null 2>&1 || [ -x /usr/sbin/nats-server ] || missing_pkgs+=(nats-server)
{ command -v unshare && command -v setpriv; } >/dev/null 2>&1 || missing_pkgs+=(util-linux)
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || missing_pkgs+=(haproxy)
if [ "$want_test" = 1 ]; then
  command -v dockerd >/dev/null 2>&1 || missing_pkgs+=(docker.io)
  [ -x /bin/busybox ] && /bin/busybox --help 2>&1 | grep -q 'statically linked\|BusyBox' && [ -f /usr/share/doc/busybox-static/copyright ] || missing_pkgs+=(busybox-static)
  [ -x /usr/bin/chromium ] || missing_pkgs+=(chromium)
  { command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1; } || missing_pkgs+=(prometheus)
  command -v dig >/dev/null 2>&1 || missing_pkgs+=(dnsutils)   # dig, for the DNS tests
  # The launch server's test checks its syscall table against syscall.ph (Debian's perl, beyond perl-base).
  perl -e 'require "syscall.ph"' >/dev/null 2>&1 || missing_pkgs+=(perl)
fi

if [ "${#missing_pkgs[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "installing Debian packages: ${missing_pkgs[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${missing_pkgs[@]}" >/dev/null
  else
    log "missing: ${missing_pkgs[*]}"
    log "install them (Debian/Ubuntu: sudo apt-get install ${missing_pkgs[*]}) and run again"
    exit 1
  fi
fi

if [ ! -d node_modules ] || [ package.json -nt node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing npm dependencies"
  npm install --no-audit --no-fund --loglevel=error >&2
fi

if [ "$want_test" = 1 ]; then
  scripts/docker-up.sh
fi

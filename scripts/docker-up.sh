#!/usr/bin/env bash
# Starts dockerd in the background when no engine answers on /var/run/docker.sock (no systemd here),
# then builds the local test image agora-busybox:latest from Debian's busybox-static when it is missing.
set -euo pipefail
log() { printf '[docker-up] %s\n' "$*" >&2; }
if ! docker info >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then log "no Docker engine answers and we are not root to start one"; exit 1; fi
  log "starting dockerd"
  mkdir -p /var/log
  # In a session of its own: the engine outlives the caller's process group (a CI run or a soak interrupted with
  # kill -- -PGID took a dockerd it had started down with it, and every later Docker test on the machine failed).
  setsid nohup dockerd >>/var/log/agora-dockerd.log 2>&1 </dev/null &
  for _ in $(seq 1 120); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
  docker info >/dev/null 2>&1 || { log "dockerd did not come up; see /var/log/agora-dockerd.log"; tail -n 20 /var/log/agora-dockerd.log >&2; exit 1; }
fi
if ! docker image inspect agora-busybox:latest >/dev/null 2>&1; then
  log "building image agora-busybox:latest from /bin/busybox"
  root=$(mktemp -d)
  mkdir -p "$root/bin" "$root/tmp" "$root/etc" "$root/proc" "$root/sys" "$root/dev"
  cp /bin/busybox "$root/bin/busybox"
  for app in $("$root/bin/busybox" --list); do [ "$app" = busybox ] || ln -sf busybox "$root/bin/$app"; done
  ln -sf busybox "$root/bin/true" ; ln -sf busybox "$root/bin/false"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/sh\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
  chmod 1777 "$root/tmp"
  tar -C "$root" -c . | docker import -c 'ENV PATH=/bin' - agora-busybox:latest >/dev/null
  rm -rf "$root"
fi

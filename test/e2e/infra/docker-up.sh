#!/usr/bin/env bash
# Start what the pod-level e2e test needs, idempotently: a Docker Engine (Debian's docker.io) and a
# registry (Debian's docker-registry) on 127.0.0.1:5000. Safe to run again: whatever already answers is left alone.
#
# Usage: test/e2e/infra/docker-up.sh
# Env:   E2E_STATE_DIR (default /tmp/tls-sidecar-e2e): logs, registry config and storage
#        E2E_REGISTRY  (default 127.0.0.1:5000)
# Needs root (dockerd) and: apt-get install -y docker.io docker-registry
set -euo pipefail

STATE_DIR=${E2E_STATE_DIR:-/tmp/tls-sidecar-e2e}
REGISTRY=${E2E_REGISTRY:-127.0.0.1:5000}
log() { echo "docker-up: $*" >&2; }
die() { log "error: $*"; exit 1; }

missing=()
command -v dockerd >/dev/null || missing+=(docker.io)
command -v docker >/dev/null || missing+=(docker.io)
command -v docker-registry >/dev/null || missing+=(docker-registry)
command -v curl >/dev/null || missing+=(curl)
if ((${#missing[@]})); then
  die "missing commands; install the Debian packages: apt-get install -y $(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')"
fi
mkdir -p "$STATE_DIR"

# --- Docker Engine -----------------------------------------------------------------------------
if docker info >/dev/null 2>&1; then
  log "dockerd already answers"
else
  [ "$(id -u)" = 0 ] || die "dockerd is not running and starting it needs root"
  log "starting dockerd (log: $STATE_DIR/dockerd.log)"
  # setsid: the daemon outlives this script and the shell that ran it
  setsid -f dockerd >>"$STATE_DIR/dockerd.log" 2>&1 </dev/null
  ok=
  for _ in $(seq 1 60); do # at most ~30 s
    if docker info >/dev/null 2>&1; then ok=1; break; fi
    sleep 0.5
  done
  [ -n "$ok" ] || { tail -n 20 "$STATE_DIR/dockerd.log" >&2 || true; die "dockerd did not answer within 30 s (log: $STATE_DIR/dockerd.log)"; }
  log "dockerd is up"
fi

# --- registry ---------------------------------------------------------------------------------
if curl -fsS -m 2 "http://$REGISTRY/v2/" >/dev/null 2>&1; then
  log "registry already answers on $REGISTRY"
else
  mkdir -p "$STATE_DIR/registry/storage"
  cat >"$STATE_DIR/registry/config.yml" <<YAML
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $STATE_DIR/registry/storage
  delete:
    enabled: true
http:
  addr: $REGISTRY
YAML
  log "starting docker-registry on $REGISTRY (log: $STATE_DIR/registry.log)"
  setsid -f docker-registry serve "$STATE_DIR/registry/config.yml" >>"$STATE_DIR/registry.log" 2>&1 </dev/null
  ok=
  for _ in $(seq 1 40); do # at most ~20 s
    if curl -fsS -m 2 "http://$REGISTRY/v2/" >/dev/null 2>&1; then ok=1; break; fi
    sleep 0.5
  done
  [ -n "$ok" ] || { tail -n 20 "$STATE_DIR/registry.log" >&2 || true; die "registry did not answer on $REGISTRY within 20 s"; }
  log "registry is up"
fi

#!/usr/bin/env bash
# A second test registry (Debian's docker-registry) that requires basic auth, for the private-registry e2e: a pod
# can pull from it only with the pull Secret the program makes from `images.registry`.
#
# Usage: test/e2e/infra/auth-registry.sh up     (needs E2E_AUTH_REGISTRY_USER and E2E_AUTH_REGISTRY_PASSWORD)
#        test/e2e/infra/auth-registry.sh down   (stops the registry it started, by PID, and deletes its storage)
# Env:   E2E_STATE_DIR (default /tmp/tls-sidecar-e2e), E2E_AUTH_REGISTRY (default 127.0.0.1:5001)
# The password reaches the registry only as a bcrypt hash, in a file readable by root alone.
set -euo pipefail

STATE_DIR=${E2E_STATE_DIR:-/tmp/tls-sidecar-e2e}/auth-registry
ADDR=${E2E_AUTH_REGISTRY:-127.0.0.1:5001}
PID_FILE=$STATE_DIR/registry.pid
log() { echo "auth-registry: $*" >&2; }
die() { log "error: $*"; exit 1; }

is_ours() { [ -d "/proc/$1" ] && tr '\0' ' ' <"/proc/$1/cmdline" | grep -q -- "$STATE_DIR/config.yml"; }

down() {
  if [ -f "$PID_FILE" ] && pid=$(cat "$PID_FILE") && is_ours "$pid"; then
    kill "$pid"
    for _ in $(seq 1 20); do [ -d "/proc/$pid" ] || break; sleep 0.25; done
    log "stopped (pid $pid)"
  fi
  rm -rf "$STATE_DIR"
}

up() {
  : "${E2E_AUTH_REGISTRY_USER:?set E2E_AUTH_REGISTRY_USER}" "${E2E_AUTH_REGISTRY_PASSWORD:?set E2E_AUTH_REGISTRY_PASSWORD}"
  command -v docker-registry >/dev/null || die "docker-registry not found: apt-get install -y docker-registry"
  down # a registry left from an earlier run has other credentials
  mkdir -p "$STATE_DIR/storage"
  chmod 700 "$STATE_DIR"
  # bcrypt (the only hash docker-registry's htpasswd accepts) through libcrypt; the password comes on stdin
  printf '%s' "$E2E_AUTH_REGISTRY_PASSWORD" | python3 -W ignore -c '
import crypt, sys
print(sys.argv[1] + ":" + crypt.crypt(sys.stdin.read(), crypt.mksalt(crypt.METHOD_BLOWFISH)))' "$E2E_AUTH_REGISTRY_USER" \
    >"$STATE_DIR/htpasswd"
  cat >"$STATE_DIR/config.yml" <<YAML
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $STATE_DIR/storage
http:
  addr: $ADDR
auth:
  htpasswd:
    realm: tls-sidecar-e2e
    path: $STATE_DIR/htpasswd
YAML
  setsid -f docker-registry serve "$STATE_DIR/config.yml" >>"$STATE_DIR/registry.log" 2>&1 </dev/null
  for _ in $(seq 1 40); do # at most ~20 s
    # 401 without credentials: up, and requiring auth
    if [ "$(curl -s -m 2 -o /dev/null -w '%{http_code}' "http://$ADDR/v2/")" = 401 ]; then
      pgrep -f -- "docker-registry serve $STATE_DIR/config.yml" | head -1 >"$PID_FILE"
      log "up on $ADDR (basic auth), pid $(cat "$PID_FILE")"
      return
    fi
    sleep 0.5
  done
  tail -n 20 "$STATE_DIR/registry.log" >&2 || true
  die "the registry did not answer 401 on $ADDR within 20 s"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  *) die "usage: $0 up|down" ;;
esac

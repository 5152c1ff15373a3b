#!/usr/bin/env bash
# Refreshes images/proxy/default.pgo, the CPU profile Go's profile-guided optimisation builds the proxy with
# (`go build` uses a main package's default.pgo automatically; so does the Dockerfile).
#
#   bench/pgo.sh          # ~40 s: the proxy (GOMAXPROCS=1) under wrk keep-alive and new-connection load
#
# The load is the benchmark's (bench/run.sh): TLS in front of nginx returning an 18-byte body. Re-run it after
# changing the hot path, then compare with bench/icount.sh. Needs nginx, wrk, openssl, curl, Go.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PORT_APP=18280 PORT_PROXY=18645 PORT_ADMIN=19992 PORT_PPROF=16061
SECONDS_PROFILED=${PGO_SECONDS:-20}
export PATH=$PATH:/usr/local/go/bin
WORK=$(mktemp -d /tmp/pgo.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

mkdir -p "$WORK/tls" "$WORK/app"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
  -keyout "$WORK/tls/tls.key" -out "$WORK/tls/tls.crt" -subj /CN=localhost \
  -addext subjectAltName=DNS:localhost,IP:127.0.0.1 2>/dev/null
# Profiled without the previous profile, so the new one describes the plain program.
(cd "$ROOT/images/proxy" && CGO_ENABLED=0 go build -pgo=off -tags pprof -trimpath -o "$WORK/proxy" .)
cat >"$WORK/app/app.conf" <<CONF
worker_processes 1;
pid $WORK/app/app.pid;
error_log $WORK/app/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $WORK/app/body; proxy_temp_path $WORK/app/proxy;
  fastcgi_temp_path $WORK/app/fcgi; uwsgi_temp_path $WORK/app/uwsgi; scgi_temp_path $WORK/app/scgi;
  keepalive_requests 100000000;
  server {
    listen 127.0.0.1:$PORT_APP;
    location / { default_type text/plain; return 200 "hello from the app\n"; }
  }
}
CONF
nginx -e "$WORK/app/error.log" -p "$WORK/app" -c "$WORK/app/app.conf" -g 'daemon off;' &
PIDS+=($!)
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT_APP/" >/dev/null && break; sleep 0.1; done

PROXY_PPROF_LISTEN=127.0.0.1:$PORT_PPROF GOMAXPROCS=1 "$WORK/proxy" --listen=127.0.0.1:$PORT_PROXY \
  --admin-listen=127.0.0.1:$PORT_ADMIN --upstream=http://127.0.0.1:$PORT_APP --tls-dir="$WORK/tls" \
  --drain-delay=0 --log-level=warn 2>"$WORK/proxy.log" &
PIDS+=($!)
for _ in $(seq 1 300); do curl -skf "https://127.0.0.1:$PORT_ADMIN/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

# Mostly keep-alive traffic, with a share of new TLS connections, as a sidecar sees.
duration=$((SECONDS_PROFILED + 4))
wrk -t1 -c64 -d${duration}s "https://127.0.0.1:$PORT_PROXY/" >"$WORK/wrk-ka.txt" &
PIDS+=($!)
wrk -t1 -c8 -d${duration}s -H 'Connection: close' "https://127.0.0.1:$PORT_PROXY/" >"$WORK/wrk-close.txt" &
PIDS+=($!)
sleep 2
curl -sf -o "$WORK/cpu.pprof" "http://127.0.0.1:$PORT_PPROF/debug/pprof/profile?seconds=$SECONDS_PROFILED"
cp "$WORK/cpu.pprof" "$ROOT/images/proxy/default.pgo"
echo "pgo: wrote images/proxy/default.pgo ($(stat -c %s "$ROOT/images/proxy/default.pgo") bytes)"

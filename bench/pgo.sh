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
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
bench_workdir pgo

bench_cert "$WORK/tls"
# Profiled without the previous profile, so the new one describes the plain program.
(cd "$ROOT/images/proxy" && CGO_ENABLED=0 go build -pgo=off -tags pprof -trimpath -o "$WORK/proxy" .)
bench_start_app "$PORT_APP"

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

#!/usr/bin/env bash
# Server CPU time per full TLS handshake of two or more builds of the proxy, side by side: an A/B for a change
# on the handshake path (a crypto provider's build flags, a certificate type), where bench/run.sh's full phase
# compares us with nginx and HAProxy instead.
#
#   bench/handshake-ab.sh /path/to/proxy-a /path/to/proxy-b [...]
#   AB_ROUNDS=7 AB_DURATION=5s AB_CONNS=32 bench/handshake-ab.sh a b
#
# Each build serves with --tls-session-resumption=false on core 0, in front of bench/lib.sh's app; bench/loadgen
# -mode conn (no client session cache: every connection a full TLS 1.3 handshake, TLS_AES_128_GCM_SHA256 and
# X25519 checked) runs on core 1. Builds take turns, round after round, so a change in the machine's load falls on
# all of them. The figure is the server's CPU time (schedstat) per connection, each connection one handshake and
# one request; its median over the rounds is printed per build, with the spread, and the ratio to the first build.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
[ $# -ge 2 ] || { echo "usage: bench/handshake-ab.sh PROXY_A PROXY_B [...]" >&2; exit 2; }
for b in "$@"; do [ -x "$b" ] || { echo "handshake-ab: $b is not an executable file" >&2; exit 2; }; done
ROUNDS=${AB_ROUNDS:-5} DURATION=${AB_DURATION:-5s} CONNS=${AB_CONNS:-32}
PORT_APP=18280 PORT_PROXY=18645 PORT_ADMIN=19981
export PATH=$PATH:/usr/local/go/bin
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
bench_workdir handshake-ab
bench_cert "$WORK/tls"
(cd "$ROOT/bench/loadgen" && go build -o "$WORK/loadgen" .)
bench_start_app "$PORT_APP"

# measure BIN: one run of BIN; prints "cpu_us_per_handshake requests".
measure() {
  local pid
  taskset -c 0 "$1" --listen "127.0.0.1:$PORT_PROXY" --admin-listen "127.0.0.1:$PORT_ADMIN" \
    --upstream "http://127.0.0.1:$PORT_APP" --tls-dir "$WORK/tls" --drain-delay=0s --log-level=warn \
    --tls-session-resumption=false 2>>"$WORK/proxy.log" &
  pid=$!
  PIDS+=("$pid")
  for _ in $(seq 1 100); do curl -skf "https://127.0.0.1:$PORT_ADMIN/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
  GOMAXPROCS=1 taskset -c 1 "$WORK/loadgen" -mode conn -c "$CONNS" -d "$DURATION" -warm 1s \
    -suite TLS_AES_128_GCM_SHA256 -group X25519 -pids "$pid" -url "https://127.0.0.1:$PORT_PROXY/" >"$WORK/out.json"
  kill "$pid"; wait "$pid" 2>/dev/null || true
  python3 -c "
import json; d = json.load(open('$WORK/out.json'))
assert d['errors'] == 0 and d['handshakes_resumed'] == 0, d
print('%.1f' % (d['server_cpu_ns'] / d['requests'] / 1000), d['requests'])"
}

for r in $(seq 1 "$ROUNDS"); do
  for i in $(seq 1 $#); do
    bin=${!i}
    read -r us n < <(measure "$bin")
    echo "round $r build $i: $us µs CPU per handshake ($n handshakes)" >&2
    echo "$i $us" >>"$WORK/results"
  done
done
python3 - "$WORK/results" "$@" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
builds = sys.argv[2:]
med = {}
for i, b in enumerate(builds, 1):
    v = sorted(float(us) for k, us in rows if int(k) == i)
    med[i] = statistics.median(v)
    print(f"build {i} {b}: median {med[i]:.1f} µs CPU per full handshake (min {v[0]:.1f}, max {v[-1]:.1f}, {len(v)} rounds)"
          + ("" if i == 1 else f"; {med[1] / med[i]:.3f}x build 1's efficiency"))
PY

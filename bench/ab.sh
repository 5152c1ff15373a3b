#!/usr/bin/env bash
# Server CPU time per request of two or more builds of the proxy, side by side: an A/B for a change to the proxy
# (build flags, a profile, a crypto provider), where bench/run.sh compares us with nginx and HAProxy instead.
#
#   bench/ab.sh /path/to/proxy-a /path/to/proxy-b [...]
#   AB_MODE=keepalive bench/ab.sh a b      # full (default) | keepalive | h2
#   AB_ROUNDS=7 AB_DURATION=5s bench/ab.sh a b
#
# Each build serves on core 0 in front of bench/lib.sh's app, the client runs on core 1 (TLS 1.3,
# TLS_AES_128_GCM_SHA256, X25519):
#   full       bench/loadgen -mode conn -c32 against --tls-session-resumption=false: every connection a full
#              handshake and one request (suite, group and no resumption checked per connection)
#   keepalive  wrk -t1 -c64: HTTP/1.1 keep-alive requests
#   h2         h2load -t1 -c16 -m4: HTTP/2 requests
# Builds take turns, round after round, so a change in the machine's load falls on all of them. The figure is the
# server's CPU time (schedstat, summed over its threads) over the measured window divided by the requests; its
# median over the rounds is printed per build, with the spread, and the ratio to the first build.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
[ $# -ge 2 ] || { echo "usage: [AB_MODE=full|keepalive|h2] bench/ab.sh PROXY_A PROXY_B [...]" >&2; exit 2; }
for b in "$@"; do [ -x "$b" ] || { echo "ab: $b is not an executable file" >&2; exit 2; }; done
MODE=${AB_MODE:-full} ROUNDS=${AB_ROUNDS:-5} DURATION=${AB_DURATION:-5s}
case $MODE in full | keepalive | h2) ;; *) echo "ab: AB_MODE=$MODE: expected full, keepalive or h2" >&2; exit 2 ;; esac
SUITE=TLS_AES_128_GCM_SHA256
PORT_APP=18280 PORT_PROXY=18645 PORT_ADMIN=19981
URL=https://127.0.0.1:$PORT_PROXY/
export PATH=$PATH:/usr/local/go/bin
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
bench_workdir ab
bench_cert "$WORK/tls"
(cd "$ROOT/bench/loadgen" && go build -o "$WORK/loadgen" .)
bench_start_app "$PORT_APP"
bench_client_pin "$WORK/pin.cnf" "$SUITE" X25519 # wrk and h2load read it through OPENSSL_CONF

# requests: the client's measured window on core 1; prints the number of requests it completed.
requests() {
  case $MODE in
  full)
    GOMAXPROCS=1 taskset -c 1 "$WORK/loadgen" -mode conn -c 32 -d "$DURATION" -warm 0s \
      -suite "$SUITE" -group X25519 -url "$URL" >"$WORK/out.json"
    python3 -c "
import json; d = json.load(open('$WORK/out.json'))
assert d['errors'] == 0 and d['handshakes_resumed'] == 0, d
print(d['requests'])" ;;
  keepalive)
    OPENSSL_CONF=$WORK/pin.cnf taskset -c 1 wrk -t1 -c64 -d"$DURATION" --timeout 5s "$URL" >"$WORK/out.txt"
    grep -q 'Non-2xx\|Socket errors' "$WORK/out.txt" && { cat "$WORK/out.txt" >&2; exit 1; }
    awk '/requests in/ {print $1}' "$WORK/out.txt" ;;
  h2)
    OPENSSL_CONF=$WORK/pin.cnf taskset -c 1 h2load -t1 -c16 -m4 --tls13-ciphers="$SUITE" -D "${DURATION%s}" "$URL" >"$WORK/out.txt"
    grep -q "Cipher: $SUITE" "$WORK/out.txt" || { cat "$WORK/out.txt" >&2; exit 1; }
    awk '/^requests:/ {if ($10 != 0 || $12 != 0 || $14 != 0) exit 1; print $8}' "$WORK/out.txt" ;;
  esac
}

# measure BIN: one run of BIN; prints "cpu_us_per_request requests". Run in this shell, not in $(...): the proxy it
# starts is then in PIDS, and a load that fails stops it through the EXIT trap.
measure() {
  local pid cpu0 cpu1 n flags=()
  [ "$MODE" = full ] && flags=(--tls-session-resumption=false)
  taskset -c 0 "$1" --listen "127.0.0.1:$PORT_PROXY" --admin-listen "127.0.0.1:$PORT_ADMIN" \
    --upstream "http://127.0.0.1:$PORT_APP" --tls-dir "$WORK/tls" --drain-delay=0s --log-level=warn \
    "${flags[@]}" 2>>"$WORK/proxy.log" &
  pid=$!
  PIDS+=("$pid")
  bench_wait_healthz "$PORT_ADMIN" "$pid" "$WORK/proxy.log"
  DURATION=1s requests >/dev/null # warm-up
  cpu0=$(bench_sched_ns "$pid")
  n=$(requests)
  cpu1=$(bench_sched_ns "$pid")
  kill "$pid"; wait "$pid" 2>/dev/null || true
  [ "${n:-0}" -gt 0 ] || { echo "ab: no requests measured ($MODE)" >&2; exit 1; }
  python3 -c "print('%.2f' % (($cpu1 - $cpu0) / $n / 1000), $n)"
}

for r in $(seq 1 "$ROUNDS"); do
  for i in $(seq 1 $#); do
    bin=${!i}
    measure "$bin" >"$WORK/measured"
    read -r us n <"$WORK/measured"
    echo "round $r build $i: $us µs CPU per request ($MODE, $n requests)" >&2
    echo "$i $us" >>"$WORK/results"
  done
done
python3 - "$WORK/results" "$MODE" "$@" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
mode, builds = sys.argv[2], sys.argv[3:]
med = {}
for i, b in enumerate(builds, 1):
    v = sorted(float(us) for k, us in rows if int(k) == i)
    med[i] = statistics.median(v)
    print(f"build {i} {b}: median {med[i]:.2f} µs CPU per request ({mode}; min {v[0]:.2f}, max {v[-1]:.2f}, {len(v)} rounds)"
          + ("" if i == 1 else f"; {med[1] / med[i]:.3f}x build 1's efficiency"))
PY

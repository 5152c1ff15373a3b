#!/usr/bin/env bash
# Profile-guided optimisation of the proxy: builds an instrumented proxy, drives it with the benchmark's
# loads (HTTP/1.1 and HTTP/2 keep-alive GETs, uploads, large responses, full and resumed TLS handshakes, the
# traffic controls, an h2c upstream, a metrics scrape), and merges the
# profile into images/proxy/pgo/proxy.profdata, which the release builds read (the Dockerfile, and
# bench/lib.sh for the benchmarks). pgo/sources.sha256 records the sources it was made from (pgo/sources.sh lists them):
# test/pgoProfile.test.ts fails once they change, so re-run this after every change to the proxy.
#
#   bench/pgo.sh          # 2.5-4 min; needs llvm-profdata of rustc's own LLVM (rustup component add llvm-tools),
#                         # nginx, h2load, openssl, curl and Go (bench/icount, bench/loadgen)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SRC=$ROOT/images/proxy
PORT_APP=18181 PORT_APP_H2C=18182 PORT_PROXY=18546 PORT_ADMIN=19992
export PATH=$PATH:/usr/local/go/bin
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
bench_workdir pgo

sysroot=$(rustc --print sysroot)
profdata=$(find "$sysroot/lib/rustlib" -name llvm-profdata -type f | head -n 1)
[ -x "$profdata" ] || { echo "pgo: llvm-profdata not found under $sysroot: rustup component add llvm-tools" >&2; exit 1; }

# The shipped build's flags, instrumented (a target dir of its own: the flags differ from the release build's).
CARGO_TARGET_DIR=${PGO_TARGET_DIR:-$SRC/target/pgo-generate} PGO_GENERATE="$WORK/raw" "$SRC/release.sh" "$WORK/proxy"
bench_cert "$WORK/tls"
(cd "$ROOT/bench/icount" && go build -o "$WORK/icount" .)
(cd "$ROOT/bench/loadgen" && go build -o "$WORK/loadgen" .)
bench_start_app "$PORT_APP" "$PORT_APP_H2C"

# run_proxy FLAG...: the instrumented proxy in front of the app (a later --upstream wins).
run_proxy() {
  LLVM_PROFILE_FILE="$WORK/raw/proxy-%p.profraw" "$WORK/proxy" --listen=127.0.0.1:$PORT_PROXY \
    --admin-listen=127.0.0.1:$PORT_ADMIN --upstream=http://127.0.0.1:$PORT_APP --tls-dir="$WORK/tls" \
    --drain-delay=0 --log-level=warn "$@" >/dev/null 2>"$WORK/proxy.log" &
  PROXY=$!
  PIDS+=("$PROXY")
  bench_wait_healthz "$PORT_ADMIN" "$PROXY" "$WORK/proxy.log"
}
stop_proxy() { kill -TERM "$PROXY"; wait "$PROXY" || true; }
# h2 ARGS...: h2load, failing unless every request got a 2xx (a load that fails would profile the error paths).
h2() {
  h2load -t1 -c16 "$@" >"$WORK/h2load.out" 2>&1 || true
  grep -q ' 0 failed, 0 errored, 0 timeout' "$WORK/h2load.out" && grep -q ' 0 3xx, 0 4xx, 0 5xx' "$WORK/h2load.out" ||
    { echo "pgo: h2load $* did not succeed:" >&2; cat "$WORK/h2load.out" >&2; exit 1; }
}

# The loads, in about the proportions of a busy pod: mostly small keep-alive GETs over HTTP/1.1 and HTTP/2, then
# uploads, large responses, new connections, and the traffic controls and an h2c upstream switched on (else their
# code would be optimised as cold: the h2c load takes 11 % off an h2c request's instructions, bench/icount.sh with
# ICOUNT_H2C=1). Not driven: client certificates, whose extra work is once per handshake and which as hot code
# cost 0.1 MB of the image's 6 MB budget, and WebSocket tunnels, which the app (nginx) cannot answer and which
# run tokio's copy loop, not the proxy's code.
url=https://127.0.0.1:$PORT_PROXY/
head -c 4096 /dev/urandom >"$WORK/upload"
mkdir -p "$WORK/app/static" && head -c 65536 /dev/urandom >"$WORK/app/static/64k"
run_proxy
"$WORK/icount" -addr 127.0.0.1:$PORT_PROXY -c 64 -warm 100 -n 200000
h2 -m4 -n 200000 "$url"
h2 -n 30000 --h1 -d "$WORK/upload" "$url"
h2 -m4 -n 30000 -d "$WORK/upload" "$url"
h2 -n 5000 --h1 "${url}static/64k"
h2 -m4 -n 5000 "${url}static/64k"
"$WORK/loadgen" -mode conn -c 32 -d 5s -warm 0s -url "$url" >/dev/null
curl -sk "https://127.0.0.1:$PORT_ADMIN/metrics" >/dev/null
stop_proxy
run_proxy --tls-session-resumption=true --access-log --rate-limit-rps=1000000 --client-rate-limit-rps=1000000 \
  --hsts-max-age=8760h
"$WORK/loadgen" -mode conn -resume -c 32 -d 3s -warm 0s -url "$url" >/dev/null
"$WORK/icount" -addr 127.0.0.1:$PORT_PROXY -c 64 -warm 100 -n 50000
h2 -m4 -n 50000 "$url"
stop_proxy
# h2c: the app over HTTP/2 without TLS, from both kinds of client.
run_proxy --upstream=http://127.0.0.1:$PORT_APP_H2C --upstream-protocol=h2c
"$WORK/icount" -addr 127.0.0.1:$PORT_PROXY -c 64 -warm 100 -n 30000
h2 -m4 -n 30000 "$url"
stop_proxy

ls "$WORK"/raw/*.profraw >/dev/null
mkdir -p "$SRC/pgo"
"$profdata" merge -o "$SRC/pgo/proxy.profdata" "$WORK"/raw/*.profraw
(cd "$SRC" && {
  echo "# rustc $(rustc -vV | sed -n 's/^release: //p'), LLVM $(rustc -vV | sed -n 's/^LLVM version: //p')"
  pgo/sources.sh | xargs sha256sum
} >pgo/sources.sha256)
ls -l "$SRC/pgo/proxy.profdata"

#!/usr/bin/env bash
# Side-by-side TLS termination benchmark: our proxy vs nginx vs HAProxy, one core each, all in one run.
#
#   bench/run.sh                 # full run (~22 min), writes docs/benchmark.md and docs/benchmark.svg
#   BENCH_DURATION=2s BENCH_WARMUP=1s BENCH_ROUNDS=1 BENCH_ICOUNT=0 bench/run.sh   # quick smoke run
#
# Needs (Debian) nginx-light haproxy wrk nghttp2-client (h2load) openssl util-linux iproute2 (ss) python3 curl,
# installed by the script when run as root, plus Go (PATH or /usr/local/go/bin) for bench/loadgen, cargo for the proxy,
# valgrind and linux-perf for BENCH_ICOUNT=1; Docker is optional
# (image size only).
#
# The proxy under test: PROXY_BIN (a built binary), else the Rust crate images/proxy built by
# `cargo build --release` (bench/lib.sh: bench_build_proxy). It is started with today's flags
# (--listen --admin-listen --upstream --tls-dir --drain-delay --log-level) plus OURS_ARGS, and its
# full-handshake instance also with OURS_NO_RESUMPTION_ARGS (default --tls-session-resumption=false: no tickets,
# no session cache), as nginx and HAProxy have theirs off there; a proxy that still resumes fails the run. Set it
# empty for a build without that flag: the run then warns that our full handshakes also pay for issuing a ticket.
#
# Environment: BENCH_DURATION (6s), BENCH_WARMUP (2s), BENCH_ROUNDS (5), BENCH_OPEN_ROUNDS (BENCH_ROUNDS),
# BENCH_CONNS (64, keep-alive), BENCH_CONNS_CLOSE (32, handshakes), BENCH_H2_CONNS (16) x BENCH_H2_STREAMS (4),
# BENCH_OPEN_CONNS (64), BENCH_NEIGHBOUR=0 (skip the busy-neighbour mode), BENCH_NEIGHBOUR_ROUNDS (BENCH_OPEN_ROUNDS),
# BENCH_HOLD_CONNS (1000), BENCH_HOLD (3s), BENCH_AFTER_BURST_WAIT (12, s), BENCH_OUT (raw JSON), BENCH_DOCS (directory of benchmark.md/.svg), BENCH_IMAGE=0 (skip
# the image build), BENCH_ICOUNT=0 (skip bench/icount.sh), RUST_IMAGE, PROXY_BIN, OURS_ARGS, OURS_NO_RESUMPTION_ARGS.
#
# What runs where (2 cores): every server under test is pinned to core 0 with one worker (nginx
# worker_processes 1, HAProxy nbthread 1, our proxy GOMAXPROCS=1 when it is Go; tokio's default runtime counts
# the CPUs taskset allows: one); the clients (wrk -t1, h2load -t1,
# bench/loadgen with GOMAXPROCS=1) and the upstream app (nginx returning a fixed 18-byte body) share core 1.
# Targets:
#   plaintext  client -> app directly over HTTP (the app alone on core 0: the ceiling)
#   nginx      client -> nginx TLS  -> app
#   haproxy    client -> HAProxy TLS -> app
#   proxy      client -> our proxy TLS -> app
# Same ECDSA P-256 certificate for all. One TLS 1.3 suite for all, TLS_AES_128_GCM_SHA256, with X25519: pinned
# on the servers (nginx ssl_conf_command Ciphersuites, HAProxy ssl-default-bind-ciphersuites; Go's TLS 1.3
# suites cannot be configured, it prefers AES-128-GCM on AES hardware) and on the clients (wrk and h2load
# through an OPENSSL_CONF file, h2load also --tls13-ciphers; bench/loadgen offers X25519 only), and VERIFIED:
# openssl s_client per target (the pinned client, and a client offering all three suites AES-256 first, which
# shows the server's own choice), a wrk run with a CHACHA20-only client config that must fail (proof that wrk
# reads the config), h2load's "Cipher:" line on every run, and bench/loadgen on every connection.
# Each TLS target listens twice: the main port with session tickets and the session cache off (nginx
# ssl_session_tickets off + ssl_session_cache off, HAProxy no-tls-tickets + tune.ssl.cachesize 0, ours
# OURS_NO_RESUMPTION_ARGS), and a resumption port with tickets on. VERIFIED by s_client -sess_out, then
# -sess_in: "New" on the main port, "Reused" on the resumption port, and by bench/loadgen's DidResume count.
# Before every measurement every port must be held by the process under test (ss -ltnp: each pid holding the
# listening socket is the target's or its child's), else the run fails.
# Phases, per target, in BENCH_ROUNDS interleaved rounds (order rotating), medians reported:
#   keepalive  wrk -c64, HTTP/1.1 keep-alive, saturated: req/s, p50/p99
#   h2         h2load -c16 -m4 (64 streams in flight), HTTP/2 through ALPN: req/s, p50/p99 (TLS targets)
#   full       bench/loadgen -mode conn -c32: a new connection and a full TLS handshake per request
#   resume     bench/loadgen -mode conn -resume -c32 on the resumption port: a resumed handshake per request
# then, in BENCH_OPEN_ROUNDS rounds, open loop (bench/loadgen -mode rate, 64 connections, latency from each
# request's intended send time) at 50% and 80% of nginx's median keep-alive req/s: p50/p99/p99.9 (TLS targets).
# Then the busy neighbour (BENCH_NEIGHBOUR_ROUNDS rounds; phases keepalive_nb, open50_nb, open80_nb): a CPU-bound
# process (bench/lib.sh) on the server core, at the servers' nice level, started before and stopped after each run,
# under which every TLS target is measured saturated (wrk, as keepalive) and then in open loop at 50% and 80% of
# nginx's median keep-alive req/s UNDER THE NEIGHBOUR (so 80% loads each server as 80% does on a quiet core); the
# neighbour's CPU share of the core over each window (its schedstat) is reported.
# Why the tail, for every open-loop and keep-alive run: the server's run-queue wait (schedstat's second field: time
# runnable but not running) and times scheduled in (third field), summed over threads and children over the window;
# for our proxy, its own proxy_request_duration_seconds histogram over the window (bench/loadgen scrapes its admin
# /metrics when the window opens and after it closes; bench/promhist.py interpolates p50/p99 within the buckets).
# Beside each: server CPU time per request (the server's /proc/PID/task/*/schedstat, first field, summed over
# its threads and children, read before and after the measured window, divided by the requests; for wrk and h2load
# the window includes their connections' handshakes, 64 and 16 per run, well under 1% of a 6 s run), how busy each
# core was (bench/loadgen also reports its own CPU time), RSS idle (after one request) and peak (VmHWM, read after
# each run). Then bench/icount.sh (callgrind user-space instructions and syscalls per keep-alive request of our
# proxy: the A/B figure).
# Memory per connection, once per run before the rounds (TLS targets, one after the other): bench/loadgen -mode hold
# opens BENCH_HOLD_CONNS (1000) TLS connections (handshake done, no request), holds them for BENCH_HOLD (3s) and
# reads the server's RSS before and at the end of the hold (nginx master + worker summed); after every target's
# connections are closed, BENCH_AFTER_BURST_WAIT (12) seconds pass and RSS is read again ("after the burst": our
# proxy gives memory back at its 5 s trim check). The TLS servers then start afresh for the rounds, whose peak RSS
# (VmHWM) would otherwise include what the burst left. BENCH_HOLD_CONNS=0 skips it.
# All servers listen on 127.0.0.1 only.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DURATION=${BENCH_DURATION:-6s}
ROUNDS=${BENCH_ROUNDS:-5}
OPEN_ROUNDS=${BENCH_OPEN_ROUNDS:-$ROUNDS}
WARMUP=${BENCH_WARMUP:-2s}
CONNS_KA=${BENCH_CONNS:-64}
CONNS_CLOSE=${BENCH_CONNS_CLOSE:-32}
H2_CONNS=${BENCH_H2_CONNS:-16}
H2_STREAMS=${BENCH_H2_STREAMS:-4}
OPEN_CONNS=${BENCH_OPEN_CONNS:-64}
HOLD_CONNS=${BENCH_HOLD_CONNS:-1000}
HOLD=${BENCH_HOLD:-3s}                    # under our proxy's --read-header-timeout (10s), which ends idle connections
AFTER_BURST_WAIT=${BENCH_AFTER_BURST_WAIT:-12}
SERVER_CPU=${BENCH_SERVER_CPU:-0}
CLIENT_CPU=${BENCH_CLIENT_CPU:-1}
RUST_IMAGE=${RUST_IMAGE:-tls-sidecar-local/rust:1.95}
OUT_JSON=${BENCH_OUT:-$ROOT/bench/results/latest.json}
DOCS=${BENCH_DOCS:-$ROOT/docs}           # where benchmark.md and benchmark.svg go
NEIGHBOUR=${BENCH_NEIGHBOUR:-1}             # 0: skip the busy-neighbour mode
NEIGHBOUR_ROUNDS=${BENCH_NEIGHBOUR_ROUNDS:-$OPEN_ROUNDS}
MEASURE_IMAGE=${BENCH_IMAGE:-1}           # 0: skip the docker build (the image size is then not reported)
RUN_ICOUNT=${BENCH_ICOUNT:-1}             # 0: skip bench/icount.sh
read -ra OURS_EXTRA <<<"${OURS_ARGS:-}"
read -ra OURS_NO_RESUMPTION <<<"${OURS_NO_RESUMPTION_ARGS---tls-session-resumption=false}"
SUITE=TLS_AES_128_GCM_SHA256 GROUP=X25519
PORT_APP=18080 PORT_CEIL=18081
PORT_NGINX=18443 PORT_HAPROXY=18444 PORT_PROXY=18445 PORT_ADMIN=19901           # tickets and cache off
PORT_NGINX_R=18453 PORT_HAPROXY_R=18454 PORT_PROXY_R=18455 PORT_ADMIN_R=19902   # resumption on

export PATH=$PATH:/usr/local/go/bin
log() { echo "bench: $*" >&2; }
die() { log "error: $*"; exit 1; }
# A fresh Debian machine lacks the servers and clients: as root, install them (the same packages CI installs).
DEBIAN_PACKAGES=(nginx-light haproxy wrk nghttp2-client openssl util-linux iproute2 python3 curl)
missing_tools() { for c in nginx haproxy wrk h2load taskset openssl ss python3 curl; do command -v "$c" >/dev/null || echo "$c"; done; }
if [ -n "$(missing_tools)" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  log "installing ${DEBIAN_PACKAGES[*]} (missing: $(missing_tools | tr '\n' ' '))"
  DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${DEBIAN_PACKAGES[@]}" >&2
fi
for c in $(missing_tools) go; do
  command -v "$c" >/dev/null || die "$c not found; on Debian: apt-get install ${DEBIAN_PACKAGES[*]}, and Go on PATH"
done
[ "$(nproc)" -ge 2 ] || die "needs 2 cores (server on core $SERVER_CPU, client on core $CLIENT_CPU)"
# Open files, a limit every server and client inherits: nginx's worker_connections and HAProxy's maxconn are 4096
# (HAProxy raises its own limit to what that needs when it may), our proxy's --max-connections=auto is half the
# limit, and the memory phase holds BENCH_HOLD_CONNS connections at once on each side.
NOFILE=16384
if [ "$(ulimit -Sn)" != unlimited ] && [ "$(ulimit -Sn)" -lt $NOFILE ]; then
  ulimit -n $NOFILE 2>/dev/null || ulimit -Sn "$(ulimit -Hn)" # above the hard limit only as root
fi
[ "$(ulimit -Sn)" = unlimited ] || [ "$(ulimit -Sn)" -ge $((2 * HOLD_CONNS + 1024)) ] ||
  die "open-file limit $(ulimit -Sn) (hard: $(ulimit -Hn)) is too low to hold $HOLD_CONNS connections: needs $((2 * HOLD_CONNS + 1024))"

# Load average before anything of ours starts: other jobs on the machine show up here.
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
bench_workdir tls-bench

# ---- material and builds ---------------------------------------------------------------------
log "work dir $WORK"
mkdir -p "$WORK/nginx-app" "$WORK/nginx-tls" "$WORK/logs" "$WORK/tls-r"
bench_cert "$WORK/tls"
chmod 644 "$WORK/tls/tls.key"
cp "$WORK/tls/tls.crt" "$WORK/tls/tls.key" "$WORK/tls-r/"
cat "$WORK/tls/tls.crt" "$WORK/tls/tls.key" >"$WORK/tls/combined.pem"

log "the proxy under test"
bench_build_proxy "$ROOT/images/proxy" "$WORK/proxy" || die "could not build or find the proxy"
log "proxy: $PROXY_BUILT"
BIN_BYTES=$(stat -c %s "$WORK/proxy")
(cd "$ROOT/bench/loadgen" && go build -o "$WORK/loadgen" .) || die "could not build bench/loadgen"
IMAGE_BYTES=None # Python literal: the report says "not measured"
if [ "$MEASURE_IMAGE" = 0 ]; then
  log "BENCH_IMAGE=0: image size not measured"
elif [ -n "${PROXY_BIN:-}" ]; then
  log "PROXY_BIN given: image size not measured (the image is built from images/proxy)"
elif command -v docker >/dev/null && docker info >/dev/null 2>&1; then
  # the Rust build stage: the locally made image when there is one (nothing can be pulled here), else the public one
  if ! docker image inspect "$RUST_IMAGE" >/dev/null 2>&1 && [ -x "$ROOT/test/e2e/infra/base-images.sh" ]; then
    log "building the local Rust image with test/e2e/infra/base-images.sh"
    "$ROOT/test/e2e/infra/base-images.sh" || true
  fi
  docker image inspect "$RUST_IMAGE" >/dev/null 2>&1 || RUST_IMAGE=rust:1.95-bookworm
  build_args=(--build-arg RUST_IMAGE="$RUST_IMAGE")
  log "building the image ${build_args[*]}"
  if docker build -q --network host "${build_args[@]}" -t tls-sidecar/proxy:bench "$ROOT/images/proxy" >/dev/null; then
    IMAGE_BYTES=$(docker image inspect -f '{{.Size}}' tls-sidecar/proxy:bench)
  else
    log "docker build failed; image size not reported"
  fi
else
  log "no docker daemon; image size not reported"
fi

# ---- configs ------------------------------------------------------------------------------------
# The app (bench/lib.sh): nginx returning a fixed body, HTTP/1.1 keep-alive, no request limit per connection.
bench_app_conf $PORT_APP "$WORK/nginx-app" >"$WORK/nginx-app/app.conf"
bench_app_conf $PORT_CEIL "$WORK/nginx-app" >"$WORK/nginx-app/ceil.conf"

# Mozilla intermediate for TLS 1.2 on all three (unused: every client here speaks TLS 1.3 only), one TLS 1.3
# suite, the same ECDSA P-256 certificate and upstream keep-alive on all three.
INTERMEDIATE=ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305
nginx_server() { # port tickets(on|off) cache(off|none)
  cat <<EOF
  server {
    listen 127.0.0.1:$1 ssl http2 backlog=4096;
    ssl_certificate $WORK/tls/tls.crt;
    ssl_certificate_key $WORK/tls/tls.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_ciphers $INTERMEDIATE;
    ssl_conf_command Ciphersuites $SUITE;
    ssl_ecdh_curve X25519:prime256v1:secp384r1;
    ssl_prefer_server_ciphers off;
    ssl_session_tickets $2;
    ssl_session_cache $3;
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host \$host;
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto https;
      proxy_set_header X-Forwarded-Host \$host;
    }
  }
EOF
}
cat >"$WORK/nginx-tls/nginx.conf" <<EOF
worker_processes 1;
pid $WORK/nginx-tls/nginx.pid;
error_log $WORK/logs/nginx-tls.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx-tls/body; proxy_temp_path $WORK/nginx-tls/proxy;
  fastcgi_temp_path $WORK/nginx-tls/fcgi; uwsgi_temp_path $WORK/nginx-tls/uwsgi; scgi_temp_path $WORK/nginx-tls/scgi;
  keepalive_requests 100000000;
  upstream app { server 127.0.0.1:$PORT_APP; keepalive 256; keepalive_requests 100000000; }
$(nginx_server $PORT_NGINX off off)
$(nginx_server $PORT_NGINX_R on none)
}
EOF

# tune.ssl.cachesize 0: no session cache on either bind; no-tls-tickets on the main one.
cat >"$WORK/haproxy.cfg" <<EOF
global
  nbthread 1
  maxconn 4096
  tune.ssl.cachesize 0
  ssl-default-bind-ciphers $INTERMEDIATE
  ssl-default-bind-ciphersuites $SUITE
  ssl-default-bind-curves X25519:P-256:P-384
  ssl-default-bind-options ssl-min-ver TLSv1.2
defaults
  mode http
  maxconn 4096
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  option http-keep-alive
  option forwardfor
frontend fe
  bind 127.0.0.1:$PORT_HAPROXY ssl crt $WORK/tls/combined.pem alpn h2,http/1.1 no-tls-tickets
  bind 127.0.0.1:$PORT_HAPROXY_R ssl crt $WORK/tls/combined.pem alpn h2,http/1.1
  http-request set-header X-Forwarded-Proto https
  default_backend app
backend app
  http-reuse always
  server app 127.0.0.1:$PORT_APP
EOF

# The clients' side of the pin (wrk, h2load, openssl s_client read it through OPENSSL_CONF); the CHACHA20-only
# one proves that wrk reads it: against a server pinned to AES-128-GCM, wrk must then fail every handshake.
PIN_CONF=$WORK/client-pin.cnf
bench_client_pin "$PIN_CONF" "$SUITE" "$GROUP"
bench_client_pin "$WORK/client-chacha.cnf" TLS_CHACHA20_POLY1305_SHA256 "$GROUP"

cat >"$WORK/report.lua" <<'EOF'
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"bytes":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"err_connect":%d,"err_read":%d,"err_write":%d,"err_status":%d,"err_timeout":%d}\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
EOF

# ---- helpers ------------------------------------------------------------------------------------
start() { # name cpu cmd... ; sets $LAST_PID
  local name=$1 cpu=$2; shift 2
  taskset -c "$cpu" "$@" >"$WORK/logs/$name.out" 2>&1 &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
}
wait_http() { # url name
  for _ in $(seq 1 100); do
    curl -sk -o /dev/null --max-time 1 "$1" && return 0
    sleep 0.1
  done
  tail -n 20 "$WORK/logs/$2.out" >&2 || true
  die "$2 at $1 did not come up"
}
rss_kb() { # pid field: VmRSS (now) or VmHWM (peak since start) of the process and its direct children
  local total=0 p
  for p in "$1" $(pgrep -P "$1" || true); do
    total=$((total + $(awk -v f="$2:" '$1 == f {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)))
  done
  echo "$total"
}
# cpu_ticks: idle and total ticks of the server core, then of the client core; busy_json T0 T1: how busy each was
# in between, as JSON members (a client core near 100% means the client, not the server, may have been the limit).
cpu_ticks() {
  awk -v s="cpu$SERVER_CPU" -v c="cpu$CLIENT_CPU" '$1==s || $1==c {idle=$5+$6; tot=0; for(i=2;i<=NF;i++) tot+=$i; v[$1]=idle " " tot}
    END {print v[s], v[c]}' /proc/stat
}
busy_json() {
  echo "$1 $2" | awk '{for (i = 0; i < 2; i++) {di=$(5+2*i)-$(1+2*i); dt=$(6+2*i)-$(2+2*i); b[i] = dt > 0 ? 100*(1-di/dt) : 0}
    printf "\"server_cpu_busy_pct\": %.1f, \"client_cpu_busy_pct\": %.1f", b[0], b[1]}'
}
pid_csv() { bench_tree "$1" | paste -sd, -; }

# check_ports NAME PID PORT...: each port is held by PID or its children alone (bench_ports_held), else the run stops.
check_ports() {
  local name=$1 pid=$2 err
  shift 2
  kill -0 "$pid" 2>/dev/null || die "$name (pid $pid) is not running; its log: $(tail -n 5 "$WORK/logs/$name.out" 2>/dev/null)"
  err=$(bench_ports_held "$pid" "$@") || die "$name: $err"
}

s_client() { # port [s_client args]: one HTTPS request, s_client's output
  local port=$1; shift
  printf 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' |
    timeout 10 openssl s_client -connect "127.0.0.1:$port" -servername localhost -ign_eof "$@" 2>&1 || true
}
tls_line() { sed -n 's/^\(New\|Reused\), TLSv1\.3, Cipher is \(.*\)$/\1 \2/p' | head -1; }
temp_key() { sed -n 's/^Server Temp Key: \([^,]*\),.*/\1/p' | head -1; }

# verify_tls NAME PORT RESUME_PORT: the negotiated suite and group (pinned client; and the server's own choice
# from a client offering all three suites AES-256-GCM first), and whether a reconnect with the saved session is
# "New" (main port: must be, except ours without OURS_NO_RESUMPTION_ARGS) or "Reused" (resumption port: must be).
# Writes $WORK/tls-NAME.json.
verify_tls() {
  local name=$1 port=$2 rport=$3 out pinned group server_choice reconnect rreconnect
  out=$(OPENSSL_CONF=$PIN_CONF s_client "$port" -sess_out "$WORK/sess-$name")
  pinned=$(tls_line <<<"$out" | cut -d' ' -f2) group=$(temp_key <<<"$out")
  [ "$pinned" = "$SUITE" ] || die "$name: the pinned client negotiated '${pinned:-no TLS 1.3}', not $SUITE: $(tail -n 3 <<<"$out")"
  [ "$group" = "$GROUP" ] || die "$name: key exchange '$group', not $GROUP"
  server_choice=$(s_client "$port" -tls1_3 -ciphersuites TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:$SUITE | tls_line | cut -d' ' -f2)
  if [ -s "$WORK/sess-$name" ]; then
    reconnect=$(OPENSSL_CONF=$PIN_CONF s_client "$port" -sess_in "$WORK/sess-$name" | tls_line | cut -d' ' -f1)
  else
    reconnect=New # the server issued no session at all (no TLS 1.3 ticket): there is nothing to resume with
    log "$name: no session issued on $port"
  fi
  OPENSSL_CONF=$PIN_CONF s_client "$rport" -sess_out "$WORK/sess-$name-r" >/dev/null
  rreconnect=$(OPENSSL_CONF=$PIN_CONF s_client "$rport" -sess_in "$WORK/sess-$name-r" | tls_line | cut -d' ' -f1)
  log "$name: $pinned $group; server's own choice $server_choice; reconnect with the session: $reconnect on $port, $rreconnect on $rport"
  if [ "$server_choice" != "$SUITE" ]; then
    [ "$name" = proxy ] || die "$name picks $server_choice from a client offering all three suites: its pin to $SUITE is not in effect"
    log "warning: our proxy picks $server_choice when the client allows it (measured with clients that offer $SUITE only)"
  fi
  if [ "$reconnect" != New ]; then
    if [ "$name" != proxy ] || [ ${#OURS_NO_RESUMPTION[@]} -gt 0 ]; then
      die "$name resumed a session on port $port ($reconnect), where tickets and the session cache are off"
    fi
    log "warning: our proxy still resumes sessions on $port: OURS_NO_RESUMPTION_ARGS is empty;" \
      "its full handshakes are still full ones (bench/loadgen keeps no session) but it pays for issuing a ticket each"
  fi
  [ "$rreconnect" = Reused ] || die "$name did not resume a session on its resumption port $rport ($rreconnect)"
  printf '{"suite":"%s","group":"%s","server_choice":"%s","reconnect":"%s","resumption_port_reconnect":"%s"}\n' \
    "$pinned" "$group" "$server_choice" "$reconnect" "$rreconnect" >"$WORK/tls-$name.json"
}

# One measurement: NAME PHASE PID -> one JSON object on stdout with the tool's numbers plus server_cpu_ns,
# server_cpu_busy_pct, client_cpu_busy_pct and rss_peak_kb. Warm-ups are outside the CPU window.
run_wrk() { # url pid extra-wrk-args...
  local url=$1 pid=$2 t0 t1 tree s0 s1 n0 n1; shift 2
  OPENSSL_CONF=$PIN_CONF taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNS_KA" -d"$WARMUP" "$@" "$url" >/dev/null 2>&1 || true
  # Nothing else runs while wrk measures: peak RSS is the kernel's high-water mark (VmHWM), read
  # afterwards. (Sampling it with pgrep/awk every 0.5 s disturbed the runs enough to double nginx's p99.)
  read -ra tree <<<"$(bench_tree "$pid" | tr '\n' ' ')"
  t0=$(cpu_ticks); read -ra s0 <<<"$(bench_sched "${tree[@]}")"; read -ra n0 <<<"$(neighbour_sched)"
  OPENSSL_CONF=$PIN_CONF taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNS_KA" -d"$DURATION" --timeout 5s -s "$WORK/report.lua" "$@" "$url" \
    >"$WORK/wrk.out" 2>&1 || die "wrk failed: $(cat "$WORK/wrk.out")"
  read -ra s1 <<<"$(bench_sched "${tree[@]}")"; read -ra n1 <<<"$(neighbour_sched)"; t1=$(cpu_ticks)
  grep '^WRKJSON ' "$WORK/wrk.out" | sed 's/^WRKJSON //' | python3 -c "
import json, sys
d = json.load(sys.stdin)
d['errors'] = sum(d[k] for k in ('err_connect', 'err_read', 'err_write', 'err_status', 'err_timeout'))
d.update({$(busy_json "$t0" "$t1")}, server_cpu_ns=${s1[0]} - ${s0[0]}, server_wait_ns=${s1[1]} - ${s0[1]},
         server_slices=${s1[2]} - ${s0[2]}, rss_peak_kb=$(rss_kb "$pid" VmHWM))
if '${NEIGHBOUR_PID:-}':
    d['neighbour_cpu_ns'] = ${n1[0]} - ${n0[0]}
print(json.dumps(d))"
}
# neighbour_sched: the busy neighbour's schedstat fields (bench/lib.sh), zeros when none runs.
neighbour_sched() { if [ -n "${NEIGHBOUR_PID:-}" ]; then bench_sched "$NEIGHBOUR_PID"; else echo 0 0 0; fi; }
run_h2() { # url pid
  local url=$1 pid=$2 cpu0 cpu1 t0 t1 h2=(h2load -t1 -c"$H2_CONNS" -m"$H2_STREAMS" --tls13-ciphers="$SUITE")
  OPENSSL_CONF=$PIN_CONF taskset -c "$CLIENT_CPU" "${h2[@]}" -D "$WARMUP" "$url" >/dev/null 2>&1 || true
  read -ra tree <<<"$(bench_tree "$pid" | tr '\n' ' ')"
  t0=$(cpu_ticks); cpu0=$(bench_sched_ns "${tree[@]}")
  OPENSSL_CONF=$PIN_CONF taskset -c "$CLIENT_CPU" "${h2[@]}" -D "$DURATION" --log-file="$WORK/h2.log" "$url" \
    >"$WORK/h2.out" 2>&1 || die "h2load failed: $(tail -n 5 "$WORK/h2.out")"
  cpu1=$(bench_sched_ns "${tree[@]}"); t1=$(cpu_ticks)
  python3 - "$WORK/h2.out" "$WORK/h2.log" <<EOF
import json, re, sys
out = open(sys.argv[1]).read()
def grab(pat):
    m = re.search(pat, out)
    if not m:
        sys.exit("bench: h2load output without %r:\n%s" % (pat, out))
    return m.groups()
secs, = grab(r"finished in ([0-9.]+)(?:s|ms)")
if re.search(r"finished in [0-9.]+ms", out):
    secs = float(secs) / 1000
total, started, done, ok, failed, errored, tmo = map(int, grab(
    r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout"))
cipher, = grab(r"Cipher: (\S+)")
proto, = grab(r"Application protocol: (\S+)")
temp, = grab(r"Server Temp Key: (\S+)")
if cipher != "$SUITE" or proto != "h2" or temp != "$GROUP":
    sys.exit("bench: h2load negotiated %s %s %s, not $SUITE h2 $GROUP" % (cipher, temp, proto))
lat = sorted(int(l.split("\t")[2]) for l in open(sys.argv[2]) if l.strip())
q = lambda p: lat[min(len(lat) - 1, max(0, int(p * len(lat) + 0.5) - 1))] if lat else 0
print(json.dumps({"requests": ok, "duration_us": int(float(secs) * 1e6), "errors": failed + errored + tmo,
                  "p50_us": q(.5), "p90_us": q(.9), "p99_us": q(.99), "max_us": lat[-1] if lat else 0,
                  "suite": cipher, "protocol": proto, "server_cpu_ns": $cpu1 - $cpu0,
                  $(busy_json "$t0" "$t1"), "rss_peak_kb": $(rss_kb "$pid" VmHWM)}))
EOF
}
run_loadgen() { # pid loadgen-args...
  local pid=$1 t0 t1; shift
  t0=$(cpu_ticks)
  GOMAXPROCS=1 taskset -c "$CLIENT_CPU" "$WORK/loadgen" -d "$DURATION" -warm "$WARMUP" -suite "$SUITE" -group "$GROUP" \
    -pids "$(pid_csv "$pid")" ${NEIGHBOUR_PID:+-neighbour "$NEIGHBOUR_PID"} "$@" >"$WORK/loadgen.out" 2>"$WORK/loadgen.err" ||
    die "bench/loadgen $* failed: $(cat "$WORK/loadgen.err")"
  t1=$(cpu_ticks)
  python3 -c "
import json, sys
d = json.load(open('$WORK/loadgen.out'))
d.update({$(busy_json "$t0" "$t1")}, rss_peak_kb=$(rss_kb "$pid" VmHWM))
print(json.dumps(d))"
}

# measure ROUND PHASE NAME: one run, appended to $WORK/runs.jsonl as {"name","round","phase",...numbers}.
measure() {
  local round=$1 phase=$2 name=$3 url pid port rport json
  url=URL_$name pid=PID_$name port=PORT_$name rport=RPORT_$name
  check_ports "$name" "${!pid}" "${!port}" ${!rport:+"${!rport}"}
  [ "$name" != proxy ] || check_ports proxy-resume "$PID_proxy_r" "$PORT_PROXY_R"
  log "round $round $name: $phase ($DURATION)"
  [[ $phase != *_nb ]] || neighbour_on "${!pid}"
  case $phase in
    keepalive) json=$(run_wrk "${!url}" "${!pid}") ;;
    h2) json=$(run_h2 "${!url}" "${!pid}") ;;
    full) json=$(run_loadgen "${!pid}" -mode conn -c "$CONNS_CLOSE" -url "${!url}") ;;
    resume)
      local rurl=RURL_$name rpid=${!pid}
      [ "$name" != proxy ] || rpid=$PID_proxy_r
      json=$(run_loadgen "$rpid" -mode conn -resume -c "$CONNS_CLOSE" -url "${!rurl}") ;;
    keepalive_nb) json=$(run_wrk "${!url}" "${!pid}") ;;
    open50 | open80 | open50_nb | open80_nb)
      local metrics=()
      # our proxy's own latency histogram over the same window (its admin port)
      [ "$name" != proxy ] || metrics=(-metrics "https://127.0.0.1:$PORT_ADMIN/metrics")
      json=$(run_loadgen "${!pid}" -mode rate -c "$OPEN_CONNS" -rate "${RATE[$phase]}" \
        "${metrics[@]}" -url "${!url}") ;;
  esac
  python3 -c "
import json, sys
sys.path.insert(0, '$ROOT/bench')
import promhist
d = json.loads(sys.argv[1])
before, after = d.pop('metrics_before', None), d.pop('metrics_after', None)
if after:
    d['hist_requests'], q = promhist.window_quantiles(before, after, 'proxy_request_duration_seconds', (0.5, 0.99))
    if not q:
        sys.exit('bench: $name $phase: no request in proxy_request_duration_seconds over the window')
    d['hist_p50_us'], d['hist_p99_us'] = q[0.5] * 1e6, q[0.99] * 1e6
if '$phase'.endswith('_nb') and not d.get('neighbour_cpu_ns'):
    sys.exit('bench: $name $phase: the busy neighbour ran no CPU time over the window')
if not d['requests']:
    sys.exit('bench: $name $phase: not one request answered (%s errors)' % d.get('errors'))
if d['server_cpu_ns'] <= 0:
    sys.exit('bench: $name $phase: no server CPU time read from schedstat (%s ns)' % d['server_cpu_ns'])
print(json.dumps({'name': '$name', 'round': $round, 'phase': '$phase', **d}))" "$json" >>"$WORK/runs.jsonl" || exit 1
  [[ $phase != *_nb ]] || neighbour_off
}

# neighbour_on SERVER_PID, neighbour_off: the busy neighbour (bench/lib.sh) on the server core around one
# measurement, warm-up included; its nice level must be the server's. Started in this shell (not in the
# measurement's $(...)), so that the EXIT trap stops it whatever ends the run.
NEIGHBOUR_BOUND=$(python3 -c "
import re, sys
secs = lambda d: sum(float(n) * {'ms': 1e-3, 's': 1, 'm': 60, 'h': 3600}[u] for n, u in re.findall(r'([0-9.]+)(ms|s|m|h)', d))
print(int(secs('$WARMUP') + secs('$DURATION')) + 60)")
neighbour_on() {
  bench_neighbour_start "$SERVER_CPU" "$NEIGHBOUR_BOUND"
  local nice_nb nice_server
  nice_nb=$(ps -o ni= -p "$NEIGHBOUR_PID") nice_server=$(ps -o ni= -p "$1")
  [ "$nice_nb" = "$nice_server" ] || die "the neighbour's nice level ($nice_nb) is not the server's ($nice_server)"
}
neighbour_off() {
  kill -0 "$NEIGHBOUR_PID" 2>/dev/null || die "the busy neighbour (pid $NEIGHBOUR_PID) ended during the run"
  bench_neighbour_stop
}

# ---- servers ------------------------------------------------------------------------------------
# All servers run at once (idle ones cost nothing) and the targets are measured in interleaved
# rounds; the report takes the median per metric. On a shared machine, interference then hits
# every target alike instead of whichever happened to run at a bad moment.
: >"$WORK/runs.jsonl"
: >"$WORK/idle.jsonl"
# From here on this script and what it spawns (curl, awk, python) stay on the client core: a
# helper process landing on the server core shows up in the server's latency tail.
taskset -pc "$CLIENT_CPU" $$ >/dev/null

start plaintext "$SERVER_CPU" nginx -e "$WORK/logs/app-ceil.err" -p "$WORK/nginx-app" -c "$WORK/nginx-app/ceil.conf" -g 'daemon off;'
PID_plaintext=$LAST_PID
start app "$CLIENT_CPU" nginx -e "$WORK/logs/app.err" -p "$WORK/nginx-app" -c "$WORK/nginx-app/app.conf" -g 'daemon off;'
PID_app=$LAST_PID
proxy_args=(--upstream=http://127.0.0.1:$PORT_APP --drain-delay=0 --log-level=warn "${OURS_EXTRA[@]}")
# start_tls NAME: nginx, HAProxy or our proxy (its full-handshake instance) on the server core; sets PID_NAME.
start_tls() {
  case $1 in
    nginx) start nginx "$SERVER_CPU" nginx -e "$WORK/logs/nginx-tls.err" -p "$WORK/nginx-tls" -c "$WORK/nginx-tls/nginx.conf" -g 'daemon off;' ;;
    haproxy) start haproxy "$SERVER_CPU" haproxy -db -f "$WORK/haproxy.cfg" ;;
    proxy) start proxy "$SERVER_CPU" env GOMAXPROCS=1 "$WORK/proxy" --listen=127.0.0.1:$PORT_PROXY \
      --admin-listen=127.0.0.1:$PORT_ADMIN --tls-dir="$WORK/tls" "${proxy_args[@]}" "${OURS_NO_RESUMPTION[@]}" ;;
  esac
  printf -v "PID_$1" %s "$LAST_PID"
}
for t in nginx haproxy proxy; do start_tls "$t"; done
start proxy-resume "$SERVER_CPU" env GOMAXPROCS=1 "$WORK/proxy" --listen=127.0.0.1:$PORT_PROXY_R \
  --admin-listen=127.0.0.1:$PORT_ADMIN_R --tls-dir="$WORK/tls-r" "${proxy_args[@]}"
PID_proxy_r=$LAST_PID
URL_plaintext=http://127.0.0.1:$PORT_CEIL/
URL_nginx=https://127.0.0.1:$PORT_NGINX/ RURL_nginx=https://127.0.0.1:$PORT_NGINX_R/
URL_haproxy=https://127.0.0.1:$PORT_HAPROXY/ RURL_haproxy=https://127.0.0.1:$PORT_HAPROXY_R/
URL_proxy=https://127.0.0.1:$PORT_PROXY/ RURL_proxy=https://127.0.0.1:$PORT_PROXY_R/
PORT_plaintext=$PORT_CEIL PORT_nginx=$PORT_NGINX PORT_haproxy=$PORT_HAPROXY PORT_proxy=$PORT_PROXY
RPORT_nginx=$PORT_NGINX_R RPORT_haproxy=$PORT_HAPROXY_R
wait_http "http://127.0.0.1:$PORT_APP/" app
check_ports app "$PID_app" $PORT_APP
wait_http "$RURL_proxy" proxy-resume
# ready NAME: the target answers, holds its ports, and has served one request.
ready() {
  local url=URL_$1 pid=PID_$1 port=PORT_$1 rport=RPORT_$1
  wait_http "${!url}" "$1"
  check_ports "$1" "${!pid}" "${!port}" ${!rport:+"${!rport}"}
  [ "$1" != proxy ] || check_ports proxy "$PID_proxy" $PORT_ADMIN
  curl -sk -o /dev/null "${!url}"
}
for t in plaintext nginx haproxy proxy; do ready "$t"; done
check_ports proxy-resume "$PID_proxy_r" $PORT_PROXY_R $PORT_ADMIN_R
sleep 1
for t in plaintext nginx haproxy proxy; do
  pid=PID_$t
  echo "{\"name\":\"$t\",\"rss_idle_kb\":$(rss_kb "${!pid}" VmRSS)}" >>"$WORK/idle.jsonl"
done

# ---- memory per connection ----------------------------------------------------------------------------
# Once, before the rounds, on the servers whose idle RSS was just read: HOLD_CONNS idle TLS connections per target,
# one target after the other, RSS before and at the end of the hold (bench/loadgen reads VmRSS of the server's
# processes), then RSS once every burst has been closed for AFTER_BURST_WAIT seconds. Then the TLS servers start
# afresh: the memory nginx and HAProxy keep from the burst would otherwise be in the rounds' peak RSS.
: >"$WORK/memory.jsonl"
if [ "$HOLD_CONNS" -gt 0 ]; then
  for t in nginx haproxy proxy; do
    pid=PID_$t url=URL_$t port=PORT_$t
    check_ports "$t" "${!pid}" "${!port}"
    log "$t: $HOLD_CONNS idle TLS connections held for $HOLD"
    GOMAXPROCS=1 taskset -c "$CLIENT_CPU" "$WORK/loadgen" -mode hold -c "$HOLD_CONNS" -hold "$HOLD" -suite "$SUITE" \
      -group "$GROUP" -pids "$(pid_csv "${!pid}")" -url "${!url}" >"$WORK/hold.out" 2>"$WORK/hold.err" ||
      die "$t did not hold $HOLD_CONNS idle TLS connections: $(cat "$WORK/hold.err")"
    python3 -c "
import json, sys
d = json.load(open('$WORK/hold.out'))
print(json.dumps({'name': '$t', 'connections': $HOLD_CONNS, 'held': d['connections_held'], 'open_us': d['open_us'],
                  'rss_before_kb': d['server_rss_before_kb'], 'rss_held_kb': d['server_rss_held_kb']}))" >>"$WORK/memory.jsonl"
  done
  log "waiting ${AFTER_BURST_WAIT}s after the bursts"
  sleep "$AFTER_BURST_WAIT"
  for t in nginx haproxy proxy; do
    pid=PID_$t
    echo "{\"name\":\"$t\",\"rss_after_burst_kb\":$(rss_kb "${!pid}" VmRSS)}" >>"$WORK/memory.jsonl"
    kill "${!pid}"
    wait "${!pid}" 2>/dev/null || true
    start_tls "$t"
  done
  for t in nginx haproxy proxy; do ready "$t"; done
fi

# ---- verification of the TLS setup ----------------------------------------------------------------
verify_tls nginx $PORT_NGINX $PORT_NGINX_R
verify_tls haproxy $PORT_HAPROXY $PORT_HAPROXY_R
verify_tls proxy $PORT_PROXY $PORT_PROXY_R
OPENSSL_CONF=$WORK/client-chacha.cnf taskset -c "$CLIENT_CPU" wrk -t1 -c1 -d1s -s "$WORK/report.lua" "$URL_nginx" >"$WORK/wrk-pin.out" 2>&1 || true
grep -q '^WRKJSON {"requests":0,' "$WORK/wrk-pin.out" ||
  die "wrk does not honour the client pin (OPENSSL_CONF): with CHACHA20 only it still talked to nginx: $(cat "$WORK/wrk-pin.out")"
log "wrk honours OPENSSL_CONF (a CHACHA20-only client config fails against nginx's $SUITE pin)"

# ---- runs ---------------------------------------------------------------------------------------
# In each round every keep-alive and h2 run comes before any new-connection run: those leave ~10^5 sockets in
# TIME_WAIT (the plaintext one most), which slowed whichever keep-alive run came next. The order rotates
# every round, so no target always runs first or after the same neighbour.
TARGETS=(plaintext nginx haproxy proxy)
rotate() { local s=$((($1 - 1) % ${#TARGETS[@]})); echo "${TARGETS[@]:$s}" "${TARGETS[@]:0:$s}"; }
for round in $(seq 1 "$ROUNDS"); do
  read -ra order <<<"$(rotate "$round")"
  for phase in keepalive h2 full resume; do
    for t in "${order[@]}"; do
      if [ "$t" = plaintext ] && [[ $phase == h2 || $phase == resume ]]; then continue; fi
      measure "$round" "$phase" "$t"
    done
  done
done
# tls_rounds ROUNDS PHASE...: the TLS targets in each phase, interleaved rounds with the order rotating.
tls_rounds() {
  local rounds=$1 round phase t order; shift
  for round in $(seq 1 "$rounds"); do
    read -ra order <<<"$(rotate "$round")"
    for phase in "$@"; do
      for t in "${order[@]}"; do
        [ "$t" = plaintext ] || measure "$round" "$phase" "$t"
      done
    done
  done
}
# Open loop at fixed offered rates: 50% and 80% of nginx's median keep-alive req/s.
nginx_max() { # PHASE: nginx's median req/s in it
  python3 -c "
import json, statistics
rs = [json.loads(l) for l in open('$WORK/runs.jsonl')]
print(statistics.median(r['requests'] / (r['duration_us'] / 1e6) for r in rs if r['name'] == 'nginx' and r['phase'] == '$1'))"
}
NGINX_MAX=$(nginx_max keepalive)
declare -A RATE=([open50]=$(python3 -c "print(round($NGINX_MAX * 0.5))") [open80]=$(python3 -c "print(round($NGINX_MAX * 0.8))"))
log "nginx's keep-alive maximum: $NGINX_MAX req/s; open loop at ${RATE[open50]} and ${RATE[open80]} req/s"
tls_rounds "$OPEN_ROUNDS" open50 open80
# The busy neighbour: the same keep-alive and open-loop measurements of the TLS targets, each run with a CPU-bound
# process on the server core; the open-loop rates are 50% and 80% of nginx's median keep-alive req/s under it.
NGINX_MAX_NB=null
if [ "$NEIGHBOUR" != 0 ]; then
  log "busy neighbour on core $SERVER_CPU: $NEIGHBOUR_ROUNDS rounds"
  tls_rounds "$NEIGHBOUR_ROUNDS" keepalive_nb
  NGINX_MAX_NB=$(nginx_max keepalive_nb)
  RATE[open50_nb]=$(python3 -c "print(round($NGINX_MAX_NB * 0.5))") RATE[open80_nb]=$(python3 -c "print(round($NGINX_MAX_NB * 0.8))")
  log "nginx's keep-alive maximum under the neighbour: $NGINX_MAX_NB req/s; open loop at ${RATE[open50_nb]} and ${RATE[open80_nb]} req/s"
  tls_rounds "$NEIGHBOUR_ROUNDS" open50_nb open80_nb
fi
curl -sk "https://127.0.0.1:$PORT_ADMIN/metrics" >"$WORK/proxy-metrics.txt" || true

ICOUNT=null
if [ "$RUN_ICOUNT" = 1 ]; then
  if command -v valgrind >/dev/null && command -v perf >/dev/null; then
    log "bench/icount.sh (callgrind instructions per request)"
    PROXY_BIN=$WORK/proxy "$ROOT/bench/icount.sh" >"$WORK/icount.out" 2>"$WORK/icount.err" ||
      die "bench/icount.sh failed: $(tail -n 5 "$WORK/icount.err")"
    ICOUNT=$(python3 -c "
import json, re, sys
out = open('$WORK/icount.out').read()
def f(p):
    m = re.search(p + r': ([0-9.]+)', out)
    return float(m.group(1)) if m else None
print(json.dumps({'instructions': f('instructions/request \(user, callgrind\)'), 'syscalls': f('syscalls/request'),
                  'context_switches': f('context switches/request')}))")
  else
    log "no valgrind/perf: instructions per request not measured"
  fi
fi

# ---- report -------------------------------------------------------------------------------------
mkdir -p "$(dirname "$OUT_JSON")"
python3 - "$WORK" "$OUT_JSON" <<EOF
import json, sys, subprocess, platform, datetime, os, statistics
work, out = sys.argv[1], sys.argv[2]
runs = [json.loads(l) for l in open(work + "/runs.jsonl") if l.strip()]
idle = {d["name"]: d["rss_idle_kb"] for d in (json.loads(l) for l in open(work + "/idle.jsonl") if l.strip())}
memory = {}
for l in open(work + "/memory.jsonl"):
    if l.strip():
        d = json.loads(l)
        memory.setdefault(d.pop("name"), {}).update(d)
for r in runs:
    r["rps"] = r["requests"] / (r["duration_us"] / 1e6) if r["duration_us"] else 0
    r["cpu_us_per_req"] = r["server_cpu_ns"] / 1e3 / r["requests"] if r["requests"] else None
    if r.get("requests") and "server_wait_ns" in r:  # the scheduler's side, per request: run-queue wait and times scheduled in
        r["wait_us_per_req"] = r["server_wait_ns"] / 1e3 / r["requests"]
        r["slices_per_req"] = r["server_slices"] / r["requests"]
    if "neighbour_cpu_ns" in r:  # the neighbour's share of the server core over the window
        r["neighbour_share_pct"] = 100 * r["neighbour_cpu_ns"] / 1e3 / r["duration_us"]
    if "client_cpu_ns" in r:  # bench/loadgen's own CPU time
        r["client_cpu_us_per_req"] = r["client_cpu_ns"] / 1e3 / r["requests"] if r["requests"] else None
def agg(rs):
    num = [k for k, v in rs[0].items() if isinstance(v, (int, float)) and not isinstance(v, bool)
           and k not in ("round", "rss_peak_kb", "errors") and all(isinstance(r.get(k), (int, float)) for r in rs)]
    out = {k: statistics.median(r[k] for r in rs) for k in num}
    out["rss_peak_kb"] = max(r["rss_peak_kb"] for r in rs)
    out["errors"] = sum(r["errors"] for r in rs)  # every error of every round, not a median
    out["rps_rounds"] = [round(r["rps"]) for r in rs]
    out["cpu_us_rounds"] = [round(r["cpu_us_per_req"], 2) for r in rs if r["cpu_us_per_req"] is not None]
    for k in ("handshakes_full", "handshakes_resumed"):
        if k in rs[0]:
            out[k] = sum(r[k] for r in rs)
    for k in ("suites", "groups"):
        if k in rs[0]:
            merged = {}
            for r in rs:
                for s, n in (r.get(k) or {}).items():
                    merged[s] = merged.get(s, 0) + n
            out[k] = merged
    if "suite" in rs[0]:
        out["suite"] = sorted({r["suite"] for r in rs})
    return out
rows = []
for name in ["plaintext", "nginx", "haproxy", "proxy"]:
    phases = {}
    for ph in ["keepalive", "h2", "full", "resume", "open50", "open80", "keepalive_nb", "open50_nb", "open80_nb"]:
        rs = [r for r in runs if r["name"] == name and r["phase"] == ph]
        if rs:
            phases[ph] = agg(rs)
    tls = json.load(open(f"{work}/tls-{name}.json")) if os.path.exists(f"{work}/tls-{name}.json") else None
    peak = max([p["rss_peak_kb"] for p in phases.values()] or [0])
    row = {"name": name, "rss_idle_kb": idle.get(name, 0), "rss_peak_kb": peak, "tls": tls, **phases}
    m = memory.get(name)
    if m:
        # growth per 1,000 idle TLS connections over the reading right before they opened
        row["rss_per_1000_idle_kb"] = round((m["rss_held_kb"] - m["rss_before_kb"]) * 1000 / m["connections"])
        row["rss_after_burst_kb"] = m["rss_after_burst_kb"]
        row["memory"] = m
    rows.append(row)
def ver(cmd):
    try:
        p = subprocess.run(cmd, shell=True, capture_output=True, text=True)
        return (p.stdout.strip() or p.stderr.strip()).splitlines()[0]
    except Exception:
        return "?"
cpu = next((l.split(":",1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
meta = {
  "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
  "cpu": cpu, "cores": os.cpu_count(), "kernel": platform.release(),
  "load_before": "$LOAD_BEFORE", "load_after": " ".join(open("/proc/loadavg").read().split()[:3]),
  "nginx": ver("nginx -v 2>&1").replace("nginx version: ",""),
  "haproxy": ver("haproxy -v | head -1").split(" - ")[0].replace("HAProxy version ",""),
  "wrk": ver("wrk -v 2>&1 | head -1").split(" Copyright")[0],
  "h2load": ver("h2load --version"),
  "openssl": ver("openssl version"),
  "go": ver("go env GOVERSION"),
  "proxy_built": "$PROXY_BUILT", "ours_args": "${OURS_ARGS:-}", "ours_no_resumption_args": "${OURS_NO_RESUMPTION[*]}",
  "suite": "$SUITE", "group": "$GROUP",
  "duration": "$DURATION", "warmup": "$WARMUP", "rounds": $ROUNDS, "open_rounds": $OPEN_ROUNDS,
  "conns_keepalive": $CONNS_KA, "conns_close": $CONNS_CLOSE, "h2_conns": $H2_CONNS, "h2_streams": $H2_STREAMS,
  "open_conns": $OPEN_CONNS, "hold_conns": $HOLD_CONNS, "hold": "$HOLD", "after_burst_wait_s": $AFTER_BURST_WAIT,
  "nofile": $(ulimit -Sn), "nginx_max_rps": $NGINX_MAX, "open_rates": {"open50": ${RATE[open50]}, "open80": ${RATE[open80]}},
  "neighbour_rounds": $([ "$NEIGHBOUR" != 0 ] && echo "$NEIGHBOUR_ROUNDS" || echo 0), "nginx_max_rps_neighbour": $NGINX_MAX_NB,
  "neighbour_rates": {k: v for k, v in (("open50", ${RATE[open50_nb]:-None}), ("open80", ${RATE[open80_nb]:-None})) if v},
  "binary_bytes": $BIN_BYTES, "image_bytes": $IMAGE_BYTES, "icount": json.loads('$ICOUNT'),
}
json.dump({"meta": meta, "results": rows, "runs": runs}, open(out, "w"), indent=1)
EOF
cp "$WORK/proxy-metrics.txt" "$(dirname "$OUT_JSON")/proxy-metrics.txt" 2>/dev/null || true
mkdir -p "$DOCS"
python3 "$ROOT/bench/report.py" "$OUT_JSON" "$DOCS/benchmark.md" "$DOCS/benchmark.svg"
log "wrote $OUT_JSON, $DOCS/benchmark.md, $DOCS/benchmark.svg"

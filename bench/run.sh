#!/usr/bin/env bash
# Side-by-side TLS termination benchmark: our proxy vs nginx vs HAProxy, one core each.
#
#   bench/run.sh                 # full run (~6 min), writes docs/benchmark.md and docs/benchmark.svg
#   BENCH_DURATION=3s BENCH_ROUNDS=1 bench/run.sh   # quick smoke run
#
# Needs (Debian) nginx-light haproxy wrk openssl util-linux python3 curl, installed by the script when run as
# root, plus Go (PATH or /usr/local/go/bin) to build the proxy; Docker is optional (image size only).
# Environment: BENCH_DURATION, BENCH_WARMUP, BENCH_ROUNDS, BENCH_CONNS, BENCH_CONNS_CLOSE, BENCH_OUT (raw JSON),
# BENCH_DOCS (directory of benchmark.md/.svg), BENCH_IMAGE=0 (skip the image build), RUST_IMAGE.
#
# What runs where (2 cores): the server under test is pinned to core 0 with one worker
# (nginx worker_processes 1, HAProxy nbthread 1, our proxy GOMAXPROCS=1); wrk (1 thread) and the
# upstream app (nginx returning a fixed 18-byte body, worker_processes 1) share core 1.
# Targets:
#   plaintext  wrk -> app directly over HTTP (the app alone on core 0: the ceiling)
#   nginx      wrk -> nginx TLS  -> app
#   haproxy    wrk -> HAProxy TLS -> app
#   proxy      wrk -> our proxy TLS -> app
# Per target: keep-alive req/s and p50/p99 latency (wrk -c64), new TLS handshakes/s (wrk with
# "Connection: close", every request a full handshake, -c32), RSS idle and peak under load,
# and how busy core 0 was (so a client-side bottleneck is visible, not hidden).
# The four targets are measured in BENCH_ROUNDS (default 5) interleaved rounds and the report
# shows the median of each metric. All servers listen on 127.0.0.1 only. Every wrk run is
# bounded by BENCH_DURATION (default 6s) after a BENCH_WARMUP (2s).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DURATION=${BENCH_DURATION:-6s}
ROUNDS=${BENCH_ROUNDS:-5}
WARMUP=${BENCH_WARMUP:-2s}
CONNS_KA=${BENCH_CONNS:-64}
CONNS_CLOSE=${BENCH_CONNS_CLOSE:-32}
SERVER_CPU=${BENCH_SERVER_CPU:-0}
CLIENT_CPU=${BENCH_CLIENT_CPU:-1}
RUST_IMAGE=${RUST_IMAGE:-tls-sidecar-local/rust:1.95}
OUT_JSON=${BENCH_OUT:-$ROOT/bench/results/latest.json}
DOCS=${BENCH_DOCS:-$ROOT/docs}           # where benchmark.md and benchmark.svg go
MEASURE_IMAGE=${BENCH_IMAGE:-1}           # 0: skip the docker build (the image size is then not reported)
PORT_APP=18080 PORT_CEIL=18081 PORT_NGINX=18443 PORT_HAPROXY=18444 PORT_PROXY=18445 PORT_ADMIN=19901

export PATH=$PATH:/usr/local/go/bin
log() { echo "bench: $*" >&2; }
die() { log "error: $*"; exit 1; }
# A fresh Debian machine lacks the servers and wrk: as root, install them (the same packages CI installs).
DEBIAN_PACKAGES=(nginx-light haproxy wrk openssl util-linux python3 curl)
missing_tools() { for c in nginx haproxy wrk taskset openssl python3 curl; do command -v "$c" >/dev/null || echo "$c"; done; }
if [ -n "$(missing_tools)" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  log "installing ${DEBIAN_PACKAGES[*]} (missing: $(missing_tools | tr '\n' ' '))"
  DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${DEBIAN_PACKAGES[@]}" >&2
fi
for c in $(missing_tools) go; do
  command -v "$c" >/dev/null || die "$c not found; on Debian: apt-get install ${DEBIAN_PACKAGES[*]}, and Go on PATH"
done
[ "$(nproc)" -ge 2 ] || die "needs 2 cores (server on core $SERVER_CPU, client on core $CLIENT_CPU)"

# Load average before anything of ours starts: other jobs on the machine show up here.
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
bench_workdir tls-bench

# ---- material and builds ---------------------------------------------------------------------
log "work dir $WORK"
mkdir -p "$WORK/nginx-app" "$WORK/nginx-tls" "$WORK/logs"
bench_cert "$WORK/tls"
chmod 644 "$WORK/tls/tls.key"
cat "$WORK/tls/tls.crt" "$WORK/tls/tls.key" >"$WORK/tls/combined.pem"

log "building the proxy"
# The Rust proxy (images/proxy): its release profile strips the binary.
(cd "$ROOT/images/proxy" && cargo build -q --release --locked -j2 --bin proxy && cp "${CARGO_TARGET_DIR:-target}/release/proxy" "$WORK/proxy")
BIN_BYTES=$(stat -c %s "$WORK/proxy")
IMAGE_BYTES=None # Python literal: the report says "not measured"
if [ "$MEASURE_IMAGE" = 0 ]; then
  log "BENCH_IMAGE=0: image size not measured"
elif command -v docker >/dev/null && docker info >/dev/null 2>&1; then
  if ! docker image inspect "$RUST_IMAGE" >/dev/null 2>&1; then
    if [ -x "$ROOT/test/e2e/infra/base-images.sh" ]; then
      log "building the local Rust image with test/e2e/infra/base-images.sh"
      "$ROOT/test/e2e/infra/base-images.sh" || true
    fi
    docker image inspect "$RUST_IMAGE" >/dev/null 2>&1 || RUST_IMAGE=rust:1.95-bookworm
  fi
  log "building the image (RUST_IMAGE=$RUST_IMAGE)"
  if docker build -q --network host --build-arg RUST_IMAGE="$RUST_IMAGE" -t tls-sidecar/proxy:bench "$ROOT/images/proxy" >/dev/null; then
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

# Mozilla intermediate on all three, same ECDSA P-256 certificate, upstream keep-alive on all three.
INTERMEDIATE=ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305
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
  server {
    listen 127.0.0.1:$PORT_NGINX ssl http2 backlog=4096;
    ssl_certificate $WORK/tls/tls.crt;
    ssl_certificate_key $WORK/tls/tls.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_ciphers $INTERMEDIATE;
    ssl_prefer_server_ciphers off;
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
}
EOF

cat >"$WORK/haproxy.cfg" <<EOF
global
  nbthread 1
  maxconn 4096
  ssl-default-bind-ciphers $INTERMEDIATE
  ssl-default-bind-options ssl-min-ver TLSv1.2
defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  option http-keep-alive
  option forwardfor
frontend fe
  bind 127.0.0.1:$PORT_HAPROXY ssl crt $WORK/tls/combined.pem alpn h2,http/1.1
  http-request set-header X-Forwarded-Proto https
  default_backend app
backend app
  http-reuse always
  server app 127.0.0.1:$PORT_APP
EOF

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
stop_pid() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }
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
cpu_ticks() { awk -v c="cpu$SERVER_CPU" '$1==c {idle=$5+$6; tot=0; for(i=2;i<=NF;i++) tot+=$i; print idle, tot}' /proc/stat; }

run_wrk() { # url conns extra-args... -> prints WRKJSON object with busy/rss fields added
  local url=$1 conns=$2 pid=$3; shift 3
  local before after peak
  taskset -c "$CLIENT_CPU" wrk -t1 -c"$conns" -d"$WARMUP" "$@" "$url" >/dev/null 2>&1 || true
  before=$(cpu_ticks)
  # Nothing else runs while wrk measures: peak RSS is the kernel's high-water mark (VmHWM), read
  # afterwards. (Sampling it with pgrep/awk every 0.5 s disturbed the runs enough to double nginx's p99.)
  taskset -c "$CLIENT_CPU" wrk -t1 -c"$conns" -d"$DURATION" --timeout 5s -s "$WORK/report.lua" "$@" "$url" \
    >"$WORK/wrk.out" 2>&1 || die "wrk failed: $(cat "$WORK/wrk.out")"
  after=$(cpu_ticks)
  peak=$(rss_kb "$pid" VmHWM)
  local busy
  busy=$(echo "$before $after" | awk '{di=$3-$1; dt=$4-$2; if (dt>0) printf "%.1f", 100*(1-di/dt); else print 0}')
  grep '^WRKJSON ' "$WORK/wrk.out" | sed 's/^WRKJSON //' |
    python3 -c "import json,sys; d=json.load(sys.stdin); d['server_cpu_busy_pct']=$busy; d['rss_peak_kb']=$peak; print(json.dumps(d))"
}

idle_rss() { # name url pid -> after one request
  curl -sk -o /dev/null "$2"
  sleep 1
  echo "{\"name\":\"$1\",\"rss_idle_kb\":$(rss_kb "$3" VmRSS)}" >>"$WORK/idle.jsonl"
}
measure() { # round phase(keepalive|close) name url pid: one wrk run, saved as $WORK/runs/ROUND-NAME.PHASE
  local round=$1 phase=$2 name=$3 url=$4 pid=$5 conns=$CONNS_KA extra=()
  if [ "$phase" = close ]; then conns=$CONNS_CLOSE extra=(-H "Connection: close"); fi
  log "round $round/$ROUNDS $name: $phase ($DURATION, $conns conns)"
  run_wrk "$url" "$conns" "$pid" "${extra[@]}" >"$WORK/runs/$round-$name.$phase"
}

# ---- runs ---------------------------------------------------------------------------------------
# All servers run at once (idle ones cost nothing) and the targets are measured in interleaved
# rounds; the report takes the median per metric. On a shared machine, interference then hits
# every target alike instead of whichever happened to run at a bad moment.
: >"$WORK/results.jsonl"
: >"$WORK/idle.jsonl"
mkdir -p "$WORK/runs"
# From here on this script and what it spawns (curl, awk, python) stay on the client core: a
# helper process landing on the server core shows up in the server's latency tail.
taskset -pc "$CLIENT_CPU" $$ >/dev/null

start app-ceiling "$SERVER_CPU" nginx -e "$WORK/logs/app-ceil.err" -p "$WORK/nginx-app" -c "$WORK/nginx-app/ceil.conf" -g 'daemon off;'
PID_plaintext=$LAST_PID
start app "$CLIENT_CPU" nginx -e "$WORK/logs/app.err" -p "$WORK/nginx-app" -c "$WORK/nginx-app/app.conf" -g 'daemon off;'
start nginx "$SERVER_CPU" nginx -e "$WORK/logs/nginx-tls.err" -p "$WORK/nginx-tls" -c "$WORK/nginx-tls/nginx.conf" -g 'daemon off;'
PID_nginx=$LAST_PID
start haproxy "$SERVER_CPU" haproxy -db -f "$WORK/haproxy.cfg"
PID_haproxy=$LAST_PID
start proxy "$SERVER_CPU" env GOMAXPROCS=1 "$WORK/proxy" --listen=127.0.0.1:$PORT_PROXY \
  --admin-listen=127.0.0.1:$PORT_ADMIN --upstream=http://127.0.0.1:$PORT_APP --tls-dir="$WORK/tls" \
  --drain-delay=0 --log-level=warn
PID_proxy=$LAST_PID
URL_plaintext=http://127.0.0.1:$PORT_CEIL/
URL_nginx=https://127.0.0.1:$PORT_NGINX/
URL_haproxy=https://127.0.0.1:$PORT_HAPROXY/
URL_proxy=https://127.0.0.1:$PORT_PROXY/
wait_http "http://127.0.0.1:$PORT_APP/" app
for t in plaintext nginx haproxy proxy; do
  url=URL_$t pid=PID_$t
  wait_http "${!url}" "$t"
  idle_rss "$t" "${!url}" "${!pid}"
done
# In each round every keep-alive run comes before any new-connection run: those leave ~10^5 sockets in
# TIME_WAIT (the plaintext one most), which slowed whichever keep-alive run came next. The order rotates
# every round, so no target always runs first or after the same neighbour.
TARGETS=(plaintext nginx haproxy proxy)
for round in $(seq 1 "$ROUNDS"); do
  shift_by=$(((round - 1) % ${#TARGETS[@]}))
  order=("${TARGETS[@]:$shift_by}" "${TARGETS[@]:0:$shift_by}")
  for phase in keepalive close; do
    for t in "${order[@]}"; do
      url=URL_$t pid=PID_$t
      measure "$round" "$phase" "$t" "${!url}" "${!pid}"
    done
  done
  for t in "${TARGETS[@]}"; do
    echo "{\"name\":\"$t\",\"round\":$round,\"keepalive\":$(cat "$WORK/runs/$round-$t.keepalive"),\"close\":$(cat "$WORK/runs/$round-$t.close")}" >>"$WORK/results.jsonl"
  done
done
curl -sk "https://127.0.0.1:$PORT_ADMIN/metrics" >"$WORK/proxy-metrics.txt" || true

# ---- report -------------------------------------------------------------------------------------
mkdir -p "$(dirname "$OUT_JSON")"
python3 - "$WORK/results.jsonl" "$OUT_JSON" "$WORK/idle.jsonl" <<EOF
import json, sys, subprocess, platform, datetime, os, statistics
runs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
idle = {d["name"]: d["rss_idle_kb"] for d in (json.loads(l) for l in open(sys.argv[3]) if l.strip())}
def rps(r): return r["requests"] / (r["duration_us"] / 1e6)
def agg(rs):
    out = {k: statistics.median(r[k] for r in rs) for k in rs[0] if k != "rss_peak_kb"}
    out["rss_peak_kb"] = max(r["rss_peak_kb"] for r in rs)
    out["rps_rounds"] = [round(rps(r)) for r in rs]
    # requests/duration of the median: keep the median req/s exactly
    out["requests"], out["duration_us"] = statistics.median(rps(r) for r in rs), 1e6
    return out
rows = []
for name in ["plaintext", "nginx", "haproxy", "proxy"]:
    rs = [r for r in runs if r["name"] == name]
    if rs:
        rows.append({"name": name, "rss_idle_kb": idle.get(name, 0),
                     "keepalive": agg([r["keepalive"] for r in rs]), "close": agg([r["close"] for r in rs])})
def ver(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip() or \
               subprocess.run(cmd, shell=True, capture_output=True, text=True).stderr.strip()
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
  "openssl": ver("openssl version"),
  "go": ver("go env GOVERSION"),
  "duration": "$DURATION", "rounds": $ROUNDS, "conns_keepalive": $CONNS_KA, "conns_close": $CONNS_CLOSE,
  "binary_bytes": $BIN_BYTES, "image_bytes": $IMAGE_BYTES,
}
json.dump({"meta": meta, "results": rows, "runs": runs}, open(sys.argv[2], "w"), indent=1)
EOF
cp "$WORK/proxy-metrics.txt" "$(dirname "$OUT_JSON")/proxy-metrics.txt" 2>/dev/null || true
mkdir -p "$DOCS"
python3 "$ROOT/bench/report.py" "$OUT_JSON" "$DOCS/benchmark.md" "$DOCS/benchmark.svg"
log "wrote $OUT_JSON, $DOCS/benchmark.md, $DOCS/benchmark.svg"

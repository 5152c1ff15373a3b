# Shared by the benchmark scripts under bench/ (sourced, not run): a work dir removed on exit with every process
# started in it, the test certificate, the clients' TLS pin, the app every proxy forwards to, the proxy under test
# (built or given) and the wait for it to be ready, and the server CPU time and process tree the benchmark reads.

# bench_workdir NAME: sets WORK (a fresh dir) and PIDS (processes to stop on exit).
bench_workdir() {
  WORK=$(mktemp -d "/tmp/$1.XXXXXX")
  chmod 755 "$WORK"
  PIDS=()
  NEIGHBOUR_PID=
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM HUP # the EXIT trap then stops what was started, the neighbour too
}

bench_cleanup() {
  bench_neighbour_stop
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}

# bench_cert DIR: an ECDSA P-256 certificate for localhost/127.0.0.1 as DIR/tls.crt and DIR/tls.key.
bench_cert() {
  mkdir -p "$1"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -keyout "$1/tls.key" -out "$1/tls.crt" -subj /CN=localhost \
    -addext subjectAltName=DNS:localhost,IP:127.0.0.1 2>/dev/null
}

# bench_client_pin FILE SUITE GROUPS: an OpenSSL config as FILE that pins the clients reading it through OPENSSL_CONF
# (wrk, h2load, openssl s_client) to TLS 1.3, the cipher suite SUITE and the key exchange groups GROUPS.
bench_client_pin() {
  cat >"$1" <<CNF
openssl_conf = openssl_init
[openssl_init]
ssl_conf = ssl_sect
[ssl_sect]
system_default = system_default_sect
[system_default_sect]
MinProtocol = TLSv1.3
Ciphersuites = $2
Groups = $3
CNF
}

# bench_app_conf PORT DIR [H2C_PORT]: nginx config of the app (a fixed 18-byte body, HTTP/1.1 keep-alive, no request
# limit per connection; files under DIR/static/ at /static/), with its pid, log and temp files under DIR; with
# H2C_PORT, the same app also over HTTP/2 without TLS (prior knowledge) there.
bench_app_conf() {
  cat <<CONF
worker_processes 1;
pid $2/app-$1.pid;
error_log $2/app-$1.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $2/body; proxy_temp_path $2/proxy;
  fastcgi_temp_path $2/fcgi; uwsgi_temp_path $2/uwsgi; scgi_temp_path $2/scgi;
  keepalive_requests 100000000;
  server {
    listen 127.0.0.1:$1 reuseport backlog=4096;${3:+
    listen 127.0.0.1:$3 http2;}
    location / { default_type text/plain; return 200 "hello from the app\n"; }
    location /static/ { root $2; } # files a load puts there (bench/pgo.sh: a large response)
  }
}
CONF
}

# bench_start_app PORT [H2C_PORT]: the app in the background under $WORK/app, answering before this returns.
bench_start_app() {
  mkdir -p "$WORK/app"
  bench_app_conf "$1" "$WORK/app" ${2:+"$2"} >"$WORK/app/app.conf"
  nginx -e "$WORK/app/error.log" -p "$WORK/app" -c "$WORK/app/app.conf" -g 'daemon off;' &
  PIDS+=($!)
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$1/" >/dev/null && return 0; sleep 0.1; done
  echo "bench: the app did not start on port $1" >&2
  return 1
}

# bench_build_proxy SRC OUT: the proxy under test as the executable OUT. PROXY_BIN (an already built binary) wins;
# else the Rust crate SRC is built as it ships, by its release.sh (static, profile-guided), or by
# `cargo build --release` in an older tree without one. Sets PROXY_BUILT to how it was obtained (for the report).
bench_build_proxy() {
  local src=$1 out=$2 exe
  if [ -n "${PROXY_BIN:-}" ]; then
    [ -f "$PROXY_BIN" ] && [ -x "$PROXY_BIN" ] || { echo "bench: PROXY_BIN=$PROXY_BIN is not an executable file" >&2; return 1; }
    cp "$PROXY_BIN" "$out"
    PROXY_BUILT="PROXY_BIN=$PROXY_BIN"
    return
  fi
  [ -f "$src/Cargo.toml" ] || { echo "bench: $src is not the proxy's crate (no Cargo.toml); set PROXY_BIN" >&2; return 1; }
  command -v cargo >/dev/null || { echo "bench: $src is a Rust crate but cargo is not on PATH (or set PROXY_BIN)" >&2; return 1; }
  if [ -x "$src/release.sh" ]; then
    "$src/release.sh" "$out" || return 1
    PROXY_BUILT="release.sh ($src): static, profile-guided, as the image ships it"
    return
  fi
  # The binary's path from cargo's own build messages: no guessing of the crate or target directory.
  exe=$(cd "$src" && cargo build --release --message-format=json-render-diagnostics | python3 -c '
import json, sys
bins = [m["executable"] for m in map(json.loads, sys.stdin)
        if m.get("reason") == "compiler-artifact" and m.get("executable") and "bin" in m["target"]["kind"]]
if len(set(bins)) != 1:
    sys.exit("bench: cargo built %d binaries (%s); set PROXY_BIN to the proxy" % (len(set(bins)), ", ".join(sorted(set(bins)))))
print(bins[0])') || return 1
  cp "$exe" "$out"
  PROXY_BUILT="cargo build --release ($src)"
}

# bench_wait_healthz PORT PID LOG [SECONDS]: waits until the proxy started as PID (a child of this shell) answers
# /healthz on its admin port PORT, for up to SECONDS (30: callgrind slows its start), and holds PORT. Fails naming the
# port, with the proxy's exit status if it exited first (else it is killed and reaped), and the end of LOG, where its
# stderr went; or naming the process that answered instead.
bench_wait_healthz() {
  local url="https://127.0.0.1:$1/healthz" pid=$2 log=$3 limit=${4:-30} status=0 err
  local deadline=$((SECONDS + limit))
  while [ "$SECONDS" -lt "$deadline" ]; do
    if curl -skf --max-time 5 "$url" >/dev/null 2>&1; then
      # The answer may come from another process that held the port first (our proxy then fails to bind).
      err=$(bench_ports_held "$pid" "$1") && return 0
      kill -KILL "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
      echo "bench: $url answers, but $err: not the proxy under test (killed); stop that process and re-run" >&2
      return 1
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      wait "$pid" || status=$?
      echo "bench: the proxy (pid $pid) exited with status $status before answering $url; the end of $log:" >&2
      tail -n 30 "$log" >&2
      return 1
    fi
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  echo "bench: the proxy (pid $pid) did not answer $url within $limit s (killed); the end of $log:" >&2
  tail -n 30 "$log" >&2
  return 1
}

# bench_ports_held PID PORT...: succeeds if every listening socket on each PORT belongs to PID or one of its
# descendants, and there is one; else prints what holds it instead. Anything else (a leftover server, another job's,
# a second process sharing the port by SO_REUSEPORT) would be measured instead of, or besides, the target.
bench_ports_held() {
  local pid=$1 port holders h tree
  shift
  tree=" $(bench_tree "$pid" | tr '\n' ' ') "
  for port in "$@"; do
    holders=$(ss -Hltnp "sport = :$port" | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u | tr '\n' ' ')
    [ -n "$holders" ] || { echo "nothing listens on port $port"; return 1; }
    for h in $holders; do
      [[ $tree == *" $h "* ]] ||
        { echo "port $port is held by pid $h ($(cat /proc/"$h"/comm 2>/dev/null || echo '?')), not by pid $pid"; return 1; }
    done
  done
}

# bench_tree PID: PID and all its descendants (nginx's master and worker), one per line.
bench_tree() {
  echo "$1"
  local c
  for c in $(pgrep -P "$1" || true); do bench_tree "$c"; done
}

# bench_sched PID...: "RUN WAIT SLICES" of the processes' threads, /proc/PID/task/*/schedstat summed: ns on CPU,
# ns runnable but waiting for a CPU (the run queue), times scheduled in.
bench_sched() {
  local p files=()
  for p in "$@"; do files+=(/proc/"$p"/task/*/schedstat); done
  awk '{r += $1; w += $2; n += $3} END {printf "%.0f %.0f %.0f\n", r, w, n}' "${files[@]}" 2>/dev/null || echo 0 0 0
}

# The busy neighbour: one CPU-bound process on the server's core, as an app shares its pod's cores. It inherits
# this shell's nice level and session (so the same autogroup) as the servers do, so the scheduler splits the
# core fairly between it and a busy server. Marked tls-bench-neighbour on its command line (pgrep -f finds a
# leftover), and bounded: it exits by itself after BOUND seconds even if this shell is killed without cleanup.
# bench_neighbour_start CPU BOUND: sets NEIGHBOUR_PID; bench_neighbour_stop: kills it and waits for it.
bench_neighbour_start() {
  bench_neighbour_stop
  taskset -c "$1" awk -v role=tls-bench-neighbour -v bound="$2" \
    'BEGIN { end = systime() + bound; while (systime() < end) for (i = 0; i < 1000000; i++) {} }' &
  NEIGHBOUR_PID=$!
}
bench_neighbour_stop() {
  [ -n "${NEIGHBOUR_PID:-}" ] || return 0
  kill "$NEIGHBOUR_PID" 2>/dev/null || true
  wait "$NEIGHBOUR_PID" 2>/dev/null || true
  NEIGHBOUR_PID=
}

# bench_sched_ns PID...: CPU time in ns the processes' threads have run, the first field of
# /proc/PID/task/*/schedstat summed (a thread that exits takes its time with it).
bench_sched_ns() {
  local p files=()
  for p in "$@"; do files+=(/proc/"$p"/task/*/schedstat); done
  awk '{s += $1} END {printf "%.0f\n", s}' "${files[@]}" 2>/dev/null || echo 0
}

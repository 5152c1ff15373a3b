#!/usr/bin/env bash
# The kernel side of a keep-alive request, our proxy against nginx in the same run: counts that do not
# depend on the machine's load (context switches, migrations, wake-ups and syscalls by kind, per request,
# and which threads park), where bench/run.sh's CPU time per request does.
#
#   bench/kernel.sh                            # proxy built from images/proxy (cargo build --release)
#   PROXY_BIN=/path/to/proxy bench/kernel.sh   # a built binary
#   KERNEL_N=40000 KERNEL_CONNS=64 KERNEL_ARGS="--flag" bench/kernel.sh
#   KERNEL_SERVER_CPUS=0,1 bench/kernel.sh     # both servers on both cores (two tokio workers, two nginx workers), as in a 2-core pod
#   KERNEL_H2=1 bench/kernel.sh                # HTTP/2: KERNEL_CONNS (16) connections, KERNEL_STREAMS (4) streams each, as h2load -c16 -m4
#
# Server on core 0, the app (nginx, 18-byte body) and the client (bench/icount: exactly KERNEL_N requests
# after a warm-up, wrk's request line) on core 1, as bench/run.sh places them. Each server is measured twice:
#   1. `perf stat -p`: syscalls, context switches, CPU migrations and sched wake-ups of the server's threads,
#      and per thread the change of /proc/PID/task/TID/status (voluntary and involuntary switches) and
#      schedstat (time on CPU, time runnable but waiting, times scheduled in);
#   2. `perf trace -s -p`: syscalls by kind with their errors (EAGAIN), counts only (tracing slows the run).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
N=${KERNEL_N:-40000}
CLIENT_ARGS=()
if [ -n "${KERNEL_H2:-}" ]; then
  CONNS=${KERNEL_CONNS:-16}
  CLIENT_ARGS=(-h2 -m "${KERNEL_STREAMS:-4}")
else
  CONNS=${KERNEL_CONNS:-64}
fi
PORT_APP=18280 PORT_PROXY=18645 PORT_ADMIN=19891 PORT_NGINX=18646
SERVER_CPUS=${KERNEL_SERVER_CPUS:-0}
# nginx gets a worker per server core, as tokio gets a worker thread per core it may run on
SERVER_THREADS=$(taskset -c "$SERVER_CPUS" nproc)
export PATH=$PATH:/usr/local/go/bin
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
bench_workdir kernel
taskset -pc 1 $$ >/dev/null

bench_cert "$WORK/tls"
bench_build_proxy "$ROOT/images/proxy" "$WORK/proxy"
(cd "$ROOT/bench/icount" && go build -o "$WORK/client" .)
mkdir -p "$WORK/app" "$WORK/nginx"
bench_app_conf "$PORT_APP" "$WORK/app" >"$WORK/app/app.conf"
taskset -c 1 nginx -e "$WORK/app/error.log" -p "$WORK/app" -c "$WORK/app/app.conf" -g 'daemon off;' &
PIDS+=($!)
# nginx as bench/run.sh configures its full-handshake port (TLS 1.3 AES-128-GCM, upstream keep-alive)
cat >"$WORK/nginx/nginx.conf" <<EOF
worker_processes $SERVER_THREADS;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx/body; proxy_temp_path $WORK/nginx/proxy;
  fastcgi_temp_path $WORK/nginx/fcgi; uwsgi_temp_path $WORK/nginx/uwsgi; scgi_temp_path $WORK/nginx/scgi;
  keepalive_requests 100000000;
  upstream app { server 127.0.0.1:$PORT_APP; keepalive 256; keepalive_requests 100000000; }
  server {
    listen 127.0.0.1:$PORT_NGINX ssl http2 backlog=4096;
    ssl_certificate $WORK/tls/tls.crt; ssl_certificate_key $WORK/tls/tls.key;
    ssl_protocols TLSv1.2 TLSv1.3; ssl_conf_command Ciphersuites TLS_AES_128_GCM_SHA256;
    ssl_session_tickets off; ssl_session_cache off;
    location / {
      proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection "";
      proxy_set_header Host \$host; proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto https; proxy_set_header X-Forwarded-Host \$host;
    }
  }
}
EOF
taskset -c "$SERVER_CPUS" nginx -e "$WORK/nginx/error.log" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -g 'daemon off;' &
NGINX_PID=$!; PIDS+=($NGINX_PID)
# shellcheck disable=SC2206 # KERNEL_ARGS is a list of flags, split on spaces
taskset -c "$SERVER_CPUS" "$WORK/proxy" --listen=127.0.0.1:$PORT_PROXY --admin-listen=127.0.0.1:$PORT_ADMIN \
  --upstream=http://127.0.0.1:$PORT_APP --tls-dir="$WORK/tls" --drain-delay=0 --log-level=warn ${KERNEL_ARGS:-} &
PROXY_PID=$!; PIDS+=($PROXY_PID)
for port in $PORT_PROXY $PORT_NGINX; do
  for _ in $(seq 1 100); do curl -skf "https://127.0.0.1:$port/" >/dev/null && break; sleep 0.1; done
done

# snapshot FILE PID...: one line per thread: tid comm voluntary involuntary run_ns wait_ns timeslices
snapshot() {
  local out=$1 p t; shift
  : >"$out"
  for p in "$@"; do
    for t in /proc/"$p"/task/*; do
      awk -v tid="${t##*/}" '
        FILENAME ~ /status$/ && /^Name:/ { name = $2 }
        FILENAME ~ /status$/ && /^voluntary_ctxt_switches/ { v = $2 }
        FILENAME ~ /status$/ && /^nonvoluntary_ctxt_switches/ { nv = $2 }
        FILENAME ~ /schedstat$/ { print tid, name, v, nv, $1, $2, $3 }' "$t/status" "$t/schedstat" >>"$out" 2>/dev/null || true
    done
  done
}

# measure NAME PORT PID...: the server's threads are those of PID... (nginx: the worker)
measure() {
  local name=$1 port=$2; shift 2
  local pids=$*
  echo "== $name ($N requests, $CONNS connections${KERNEL_H2:+, HTTP/2 with ${KERNEL_STREAMS:-4} streams each})"
  "$WORK/client" -addr 127.0.0.1:$port -c "$CONNS" "${CLIENT_ARGS[@]}" -warm 200 -n "$N" \
    -before "$(declare -f snapshot); snapshot $WORK/$name.before $pids; perf stat -x, -e raw_syscalls:sys_enter,context-switches,cpu-migrations,sched:sched_wakeup,task-clock -p ${pids// /,} -o $WORK/$name.perf & echo \$! >$WORK/perf.pid; sleep 0.3" \
    -after "$(declare -f snapshot); snapshot $WORK/$name.after $pids; kill -INT \$(cat $WORK/perf.pid); sleep 0.5"
  awk -F, -v n="$N" '$3 != "" && $1 ~ /^[0-9.]+$/ { printf "  %-26s %8.3f /request\n", $3, ($3 == "task-clock" ? $1 * 1000 : $1) / n }' "$WORK/$name.perf"
  echo "  per thread, per request: tid name voluntary involuntary | on-CPU µs, runnable-waiting µs, times scheduled in"
  awk -v n="$N" 'NR == FNR { v[$1] = $3; nv[$1] = $4; r[$1] = $5; w[$1] = $6; s[$1] = $7; next }
    ($1 in v) { printf "  %7s %-16s %6.3f %6.3f | %6.2f %6.2f %6.3f\n", $1, $2, ($3 - v[$1]) / n, ($4 - nv[$1]) / n, ($5 - r[$1]) / n / 1000, ($6 - w[$1]) / n / 1000, ($7 - s[$1]) / n }' \
    "$WORK/$name.before" "$WORK/$name.after"
  "$WORK/client" -addr 127.0.0.1:$port -c "$CONNS" "${CLIENT_ARGS[@]}" -warm 200 -n "$N" \
    -before "perf trace -s -p ${pids// /,} -o $WORK/$name.trace & echo \$! >$WORK/perf.pid; sleep 1.5" \
    -after "kill -INT \$(cat $WORK/perf.pid); sleep 0.5"
  echo "  syscalls by kind, per request (perf trace -s; errors are mostly EAGAIN):"
  awk -v n="$N" '$2 ~ /^[0-9]+$/ && $3 ~ /^[0-9]+$/ { c[$1] += $2; e[$1] += $3 }
    END { for (k in c) printf "  %-16s %6.3f  errors %6.3f\n", k, c[k] / n, e[k] / n }' "$WORK/$name.trace" | sort -k2 -rn
  "$WORK/client" -addr 127.0.0.1:$port -c "$CONNS" "${CLIENT_ARGS[@]}" -warm 200 -n "$N" \
    -before "perf record -q -e cpu-clock -F 4999 -g -p ${pids// /,} -o $WORK/$name.data 2>/dev/null & echo \$! >$WORK/perf.pid; sleep 0.5" \
    -after "kill -INT \$(cat $WORK/perf.pid); sleep 1"
  echo "  CPU samples (perf record -e cpu-clock): kernel [k] and user [.] shares, then the top symbols (self)"
  perf report -i "$WORK/$name.data" --no-children --sort sym --stdio -g none 2>/dev/null | awk -v top="${KERNEL_TOP:-20}" '
    /^ +[0-9.]+%/ { p = $1 + 0; if ($2 == "[k]") k += p; else u += p; if (++i <= top) print "  " $0 }
    END { printf "  kernel %.1f%%, user %.1f%%\n", k, u }'
}

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
measure nginx $PORT_NGINX $(pgrep -P $NGINX_PID)
measure proxy $PORT_PROXY $PROXY_PID
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

#!/usr/bin/env bash
# Instructions and syscalls per keep-alive request of our proxy, for A/B comparisons on a shared
# machine where req/s is too noisy to trust (see bench/README.md).
#
#   bench/icount.sh                      # proxy built from images/proxy (release.sh: as the image ships it)
#   PROXY_SRC=/path/to/images/proxy bench/icount.sh   # another tree (e.g. a git worktree: "before")
#   PROXY_BIN=/path/to/proxy bench/icount.sh          # a built binary (bench/run.sh passes the one it measured)
#   ICOUNT_N=4000 ICOUNT_CONNS=16 bench/icount.sh
#   ICOUNT_ARGS="--access-log" bench/icount.sh      # extra proxy flags (its stdout, the access log, goes to a file)
#   ICOUNT_H2=1 bench/icount.sh                      # HTTP/2: ICOUNT_CONNS connections, ICOUNT_STREAMS (4) streams each
#   ICOUNT_H2C=1 bench/icount.sh                     # to the app over h2c (--upstream-protocol=h2c), either client
#
# Runs the proxy in front of nginx returning an 18-byte body (as bench/run.sh does),
# then bench/icount drives ICOUNT_CONNS TLS keep-alive connections with wrk's request line (with ICOUNT_H2,
# HTTP/2 connections with ICOUNT_STREAMS concurrent streams each, as h2load -m does):
#   1. under valgrind --tool=callgrind: user-space instructions (Ir) per request, counted between
#      callgrind_control --zero after the warm-up and --dump after exactly ICOUNT_N requests;
#   2. natively under `perf stat -p`: syscalls, context switches and CPU time per request (the
#      kernel side, which callgrind does not see; CPU time is noisy on a shared machine).
# Needs valgrind, perf (linux-perf), nginx, openssl, Go (for the bench/icount client) and cargo (the proxy).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SRC=${PROXY_SRC:-$ROOT/images/proxy}
N=${ICOUNT_N:-4000}
CONNS=${ICOUNT_CONNS:-16}
WARM=${ICOUNT_WARM:-50}
PORT_APP=18180 PORT_APP_H2C=18179 PORT_PROXY=18545 PORT_ADMIN=19991
export PATH=$PATH:/usr/local/go/bin
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
bench_workdir icount

bench_cert "$WORK/tls"
bench_build_proxy "$SRC" "$WORK/proxy"
echo "icount: proxy: $PROXY_BUILT" >&2
(cd "$ROOT/bench/icount" && go build -o "$WORK/client" .)
bench_start_app "$PORT_APP" ${ICOUNT_H2C:+"$PORT_APP_H2C"} # the h2c listener only when it is measured

proxy_args=(--listen=127.0.0.1:$PORT_PROXY --admin-listen=127.0.0.1:$PORT_ADMIN
  --upstream=http://127.0.0.1:$PORT_APP --tls-dir="$WORK/tls" --drain-delay=0 --log-level=warn)
[ -n "${ICOUNT_H2C:-}" ] && proxy_args+=(--upstream=http://127.0.0.1:$PORT_APP_H2C --upstream-protocol=h2c)
# shellcheck disable=SC2206 # ICOUNT_ARGS is a list of flags, split on spaces
proxy_args+=(${ICOUNT_ARGS:-})
client=("$WORK/client" -addr 127.0.0.1:$PORT_PROXY -c "$CONNS" -warm "$WARM" -n "$N")
[ -n "${ICOUNT_H2:-}" ] && client+=(-h2 -m "${ICOUNT_STREAMS:-4}")

# 1. user-space instructions
# async preemption signals (SIGURG) trip a callgrind assertion now and then
valgrind --tool=callgrind --callgrind-out-file="$WORK/cg.out" "$WORK/proxy" "${proxy_args[@]}" \
  >"$WORK/stdout.log" 2>"$WORK/valgrind.log" &
VPID=$!; PIDS+=($VPID)
bench_wait_healthz "$PORT_ADMIN" "$VPID" "$WORK/valgrind.log"
"${client[@]}" -before "callgrind_control -z $VPID >/dev/null 2>&1" -after "callgrind_control -d $VPID >/dev/null 2>&1"
IR=$(awk '/^summary:|^totals:/ {print $2; exit}' "$WORK"/cg.out.*)
kill $VPID; wait $VPID 2>/dev/null || true
[ -n "${ICOUNT_KEEP:-}" ] && cp "$WORK"/cg.out.* "$ICOUNT_KEEP"

# 2. syscalls and CPU time (native)
"$WORK/proxy" "${proxy_args[@]}" >"$WORK/stdout.log" 2>"$WORK/proxy.log" &
PPID2=$!; PIDS+=($PPID2)
bench_wait_healthz "$PORT_ADMIN" "$PPID2" "$WORK/proxy.log"
"${client[@]}" -warm 500 -n $((N * 10)) \
  -before "perf stat -x, -e raw_syscalls:sys_enter,context-switches,task-clock -p $PPID2 -o $WORK/perf.txt & echo \$! >$WORK/perf.pid; sleep 0.3" \
  -after "kill -INT \$(cat $WORK/perf.pid); sleep 0.5"
awk -F, -v n=$((N * 10)) -v ir="$IR" -v n1="$N" '
  BEGIN { printf "instructions/request (user, callgrind): %.0f\n", ir / n1 }
  $3 ~ /raw_syscalls/ { printf "syscalls/request: %.2f\n", $1 / n }
  $3 ~ /context-switches/ { printf "context switches/request: %.3f\n", $1 / n }
  $3 ~ /task-clock/ { printf "CPU µs/request (noisy): %.1f\n", $1 * 1000 / n }' "$WORK/perf.txt"
echo "proxy stdout lines (access log, native run): $(wc -l <"$WORK/stdout.log")"

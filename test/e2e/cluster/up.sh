#!/usr/bin/env bash
# Starts the single-node e2e cluster in the background: etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler, containerd, kubelet and kube-proxy (iptables mode, node ports on 127.0.0.1), then waits for the
# node to be Ready. Idempotent: a component whose PID file names a live process with our command line is left alone.
# Run prepare.sh first. Logs: $CLUSTER_DIR/logs/<name>.log, PIDs: $CLUSTER_DIR/pids/<name>.pid.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/env.sh"
B=$KUBE_BIN C=$CLUSTER_DIR/conf K=$CLUSTER_DIR/pki L=$CLUSTER_DIR/logs P=$CLUSTER_DIR/pids
log() { echo "cluster-up $(date +%T): $*" >&2; }
die() { log "error: $*"; exit 1; }

[ -x "$B/kubelet" ] && [ -f "$C/kubelet-config.yaml" ] || die "not prepared: run $HERE/prepare.sh first"
mkdir -p "$L" "$P" "$CLUSTER_RUN" "$CONTAINERD_ROOT" "$KUBELET_ROOT" "$POD_LOGS" "$CNI_DATA"

# alive NAME: its PID file names one of our running processes
alive() { [ -f "$P/$1.pid" ] && is_ours "$(cat "$P/$1.pid")"; }
start() { # NAME COMMAND...
  local name=$1; shift
  if alive "$name"; then log "$name already running (pid $(cat "$P/$name.pid"))"; return 0; fi
  log "starting $name"
  setsid "$@" >>"$L/$name.log" 2>&1 </dev/null &
  echo $! >"$P/$name.pid"
}
# wait_for WHAT SECONDS COMMAND...: polls once per 0.25 s, at most SECONDS long
wait_for() {
  local what=$1 tries=$(($2 * 4)); shift 2
  for _ in $(seq 1 "$tries"); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.25
  done
  log "$what did not come up in time; last lines of its log:"
  tail -n 15 "$L/$what.log" >&2 2>/dev/null || true
  die "$what did not come up"
}
t0=$(date +%s.%N)

# --- host network -----------------------------------------------------------------------------------------
sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.route_localnet=1
[ -e /proc/sys/net/bridge/bridge-nf-call-iptables ] || modprobe br_netfilter 2>/dev/null || true
[ -e /proc/sys/net/bridge/bridge-nf-call-iptables ] && sysctl -qw net.bridge.bridge-nf-call-iptables=1
# the bridge exists before the kubelet, so that its gateway address can be the node IP
ip link show "$BRIDGE" >/dev/null 2>&1 || ip link add "$BRIDGE" type bridge
ip addr show dev "$BRIDGE" | grep -F "inet $NODE_IP/" >/dev/null || ip addr add "$NODE_IP/24" dev "$BRIDGE"
ip link set "$BRIDGE" up
# Service VIPs are routed into the bridge, never out of eth0, even before kube-proxy has written its rules
ip route replace "$SERVICE_CIDR" dev "$BRIDGE" src "$NODE_IP"
# Pods talk to each other and the node on the bridge (br_netfilter sends bridged frames through FORWARD, whose
# policy Docker sets to DROP), and are never forwarded anywhere else.
iptables -N TLS-E2E-FORWARD 2>/dev/null || true
iptables -F TLS-E2E-FORWARD
iptables -A TLS-E2E-FORWARD -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT
iptables -A TLS-E2E-FORWARD -i "$BRIDGE" -j DROP
iptables -A TLS-E2E-FORWARD -o "$BRIDGE" -j DROP
iptables -C FORWARD -j TLS-E2E-FORWARD 2>/dev/null || iptables -I FORWARD 1 -j TLS-E2E-FORWARD
# The kubelet sets vm.overcommit_memory, kernel.panic and kernel.panic_on_oops at start: keep the host's values
# to put them back once it has started.
[ -s "$CLUSTER_DIR/state/sysctl.orig" ] || sysctl vm.overcommit_memory kernel.panic kernel.panic_on_oops | tr -d ' ' >"$CLUSTER_DIR/state/sysctl.orig"

# --- control plane ----------------------------------------------------------------------------------------
start etcd etcd --name tls-e2e --data-dir "$CLUSTER_DIR/state/etcd" \
  --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls http://127.0.0.1:12380 --initial-advertise-peer-urls http://127.0.0.1:12380 \
  --initial-cluster tls-e2e=http://127.0.0.1:12380 --listen-metrics-urls http://127.0.0.1:12381 \
  --quota-backend-bytes 2147483648 --snapshot-count 10000
wait_for etcd 30 curl -fsS "http://127.0.0.1:$ETCD_PORT/health"

start kube-apiserver "$B/kube-apiserver" \
  --bind-address=127.0.0.1 --secure-port=6443 --advertise-address="$NODE_IP" \
  --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
  --tls-cert-file="$K/apiserver.crt" --tls-private-key-file="$K/apiserver.key" --client-ca-file="$K/ca.crt" \
  --kubelet-client-certificate="$K/apiserver-kubelet-client.crt" --kubelet-client-key="$K/apiserver-kubelet-client.key" \
  --kubelet-certificate-authority="$K/ca.crt" --kubelet-preferred-address-types=InternalIP,Hostname \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-account-key-file="$K/sa.pub" --service-account-signing-key-file="$K/sa.key" \
  --service-cluster-ip-range="$SERVICE_CIDR" --service-node-port-range=30000-32767 \
  --authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction,PodSecurity \
  --requestheader-client-ca-file="$K/front-proxy-ca.crt" --requestheader-allowed-names=front-proxy-client \
  --requestheader-username-headers=X-Remote-User --requestheader-group-headers=X-Remote-Group \
  --requestheader-extra-headers-prefix=X-Remote-Extra- \
  --proxy-client-cert-file="$K/front-proxy-client.crt" --proxy-client-key-file="$K/front-proxy-client.key" \
  --allow-privileged=true --profiling=false --v=1
wait_for kube-apiserver 90 kubectl_admin get --raw /readyz

start kube-controller-manager "$B/kube-controller-manager" \
  --kubeconfig="$C/controller-manager.kubeconfig" --authentication-kubeconfig="$C/controller-manager.kubeconfig" \
  --authorization-kubeconfig="$C/controller-manager.kubeconfig" --bind-address=127.0.0.1 --leader-elect=false \
  --root-ca-file="$K/ca.crt" --service-account-private-key-file="$K/sa.key" --use-service-account-credentials=true \
  --cluster-signing-cert-file="$K/ca.crt" --cluster-signing-key-file="$K/ca.key" \
  --allocate-node-cidrs=true --cluster-cidr=10.244.0.0/16 --node-cidr-mask-size=24 \
  --service-cluster-ip-range="$SERVICE_CIDR" --profiling=false --v=1
start kube-scheduler "$B/kube-scheduler" \
  --kubeconfig="$C/scheduler.kubeconfig" --authentication-kubeconfig="$C/scheduler.kubeconfig" \
  --authorization-kubeconfig="$C/scheduler.kubeconfig" --bind-address=127.0.0.1 --leader-elect=false --profiling=false --v=1

# --- node -------------------------------------------------------------------------------------------------
start containerd containerd --config "$C/containerd.toml"
wait_for containerd 30 ctr -a "$CONTAINERD_SOCK" version
# the sandbox image is in no registry: import it (once per containerd root)
ctr -a "$CONTAINERD_SOCK" -n k8s.io images ls -q | grep -Fx "$PAUSE_IMAGE" >/dev/null ||
  ctr -a "$CONTAINERD_SOCK" -n k8s.io images import "$CLUSTER_CACHE/pause.tar" >/dev/null

start_kubelet() {
  start kubelet "$B/kubelet" --config="$C/kubelet-config.yaml" --kubeconfig="$C/kubelet.kubeconfig" \
    --hostname-override="$NODE_NAME" --node-ip="$NODE_IP" --root-dir="$KUBELET_ROOT" --cert-dir="$KUBELET_ROOT/pki" --v=1
}
start_kubelet
start kube-proxy "$B/kube-proxy" --config="$C/kube-proxy-config.yaml" --v=1

# Ready means: our kubelet is alive and answers its healthz, and the node says Ready. The node object outlives a
# stop, and its Ready=True from the last run stays until the controller-manager's grace period runs out, so the
# condition alone would pass with no kubelet at all. containerd answers `ctr version` before its CRI service is
# initialized, and a kubelet started in that window exits ("server is not initialized yet"): start it again,
# at most 5 times.
node_ready() {
  # kill -0, not alive(): just after the fork the process has not yet exec'ed the kubelet's command line
  if ! kill -0 "$(cat "$P/kubelet.pid")" 2>/dev/null; then
    restarts=$((${restarts:-0} + 1))
    [ "$restarts" -le 5 ] || return 1
    log "kubelet exited ($(tail -n 1 "$L/kubelet.log" | cut -c1-200)); starting it again"
    start_kubelet
    return 1
  fi
  curl -fsS http://127.0.0.1:10248/healthz >/dev/null &&
    [ "$(kubectl_admin get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = True ]
}
wait_for kubelet 120 node_ready
wait_for kube-proxy 60 curl -fsS http://127.0.0.1:10256/healthz
# the kubelet only writes those sysctls at start-up: put the host's values back
xargs -r sysctl -qw <"$CLUSTER_DIR/state/sysctl.orig"
log "node $NODE_NAME Ready in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s (kubelet restarts: ${restarts:-0}; kubeconfig: $KUBECONFIG_ADMIN)"

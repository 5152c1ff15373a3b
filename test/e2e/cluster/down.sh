#!/usr/bin/env bash
# Stops the e2e cluster: exactly the processes named by $CLUSTER_DIR/pids, the pods' containers in our own
# containerd, kube-proxy's and the kubelet's iptables chains, our FORWARD guard and Service route, and the mounts
# under our kubelet and containerd directories. etcd data and images are kept for the next up.sh.
# down.sh --purge also deletes all cluster state (etcd, kubelet, containerd, CNI) and the bridge.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/env.sh"
P=$CLUSTER_DIR/pids
log() { echo "cluster-down $(date +%T): $*" >&2; }

stop() { # NAME: TERM, up to 10 s, then KILL
  local f=$P/$1.pid pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  if is_ours "$pid"; then
    log "stopping $1 (pid $pid)"
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 1 40); do [ -d "/proc/$pid" ] || break; sleep 0.25; done
    if [ -d "/proc/$pid" ]; then log "killing $1 (pid $pid)"; kill -KILL "$pid" 2>/dev/null; sleep 0.25; fi
  fi
  rm -f "$f"
}

# 1. the node agents first, so nothing restarts the pods
stop kube-proxy
stop kubelet
# 2. the pods' containers, in our containerd only (its own socket)
if [ -S "$CONTAINERD_SOCK" ] && ctr -a "$CONTAINERD_SOCK" version >/dev/null 2>&1; then
  ctr_ns() { ctr -a "$CONTAINERD_SOCK" -n k8s.io "$@"; }
  for t in $(ctr_ns tasks ls -q 2>/dev/null); do ctr_ns tasks kill -s SIGKILL "$t" >/dev/null 2>&1; done
  for _ in $(seq 1 20); do [ -z "$(ctr_ns tasks ls -q 2>/dev/null)" ] && break; sleep 0.25; done
  for t in $(ctr_ns tasks ls -q 2>/dev/null); do ctr_ns tasks delete -f "$t" >/dev/null 2>&1; done
  for c in $(ctr_ns containers ls -q 2>/dev/null); do ctr_ns containers delete "$c" >/dev/null 2>&1; done
  log "pod containers removed"
fi
stop containerd
# 3. the control plane
stop kube-scheduler
stop kube-controller-manager
stop kube-apiserver
stop etcd
# 4. kube-proxy's KUBE-* chains (by kube-proxy itself), then the few the kubelet makes
[ -x "$KUBE_BIN/kube-proxy" ] && "$KUBE_BIN/kube-proxy" --cleanup >/dev/null 2>&1 && log "kube-proxy --cleanup done"
for ipt in iptables ip6tables; do
  for chain in INPUT OUTPUT; do while $ipt -t filter -D "$chain" -j KUBE-FIREWALL 2>/dev/null; do :; done; done
  for tc in filter:KUBE-FIREWALL filter:KUBE-KUBELET-CANARY nat:KUBE-KUBELET-CANARY mangle:KUBE-KUBELET-CANARY mangle:KUBE-IPTABLES-HINT; do
    $ipt -t "${tc%%:*}" -F "${tc#*:}" 2>/dev/null
    $ipt -t "${tc%%:*}" -X "${tc#*:}" 2>/dev/null
  done
done
# 5. what the kubelet and containerd mounted under our directories, deepest first
for root in "$KUBELET_ROOT" "$CLUSTER_RUN" "$CONTAINERD_ROOT"; do
  awk -v r="$root" 'index($5, r) == 1 { print $5 }' /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
done
# 6. IP leases of the stopped pods, our FORWARD guard and the Service route
rm -f "$CNI_DATA"/tls-sidecar-e2e/10.* 2>/dev/null
iptables -D FORWARD -j TLS-E2E-FORWARD 2>/dev/null
iptables -F TLS-E2E-FORWARD 2>/dev/null
iptables -X TLS-E2E-FORWARD 2>/dev/null
ip route del "$SERVICE_CIDR" dev "$BRIDGE" 2>/dev/null
[ -s "$CLUSTER_DIR/state/sysctl.orig" ] && xargs -r sysctl -qw <"$CLUSTER_DIR/state/sysctl.orig"
if [ "${1:-}" = "--purge" ]; then
  log "purging cluster state"
  rm -rf "$CLUSTER_DIR/state/etcd" "$KUBELET_ROOT" "$CONTAINERD_ROOT" "$CLUSTER_RUN" "$CNI_DATA" "$POD_LOGS"
  ip link del "$BRIDGE" 2>/dev/null
fi
log "done"

#!/usr/bin/env bash
# Everything the e2e cluster needs before it can start, each step skipped when its result is already there:
#   1. the Kubernetes binaries, built from the Go module proxy (build-kubernetes.sh; cached per version)
#   2. the pause (sandbox) image, a static C binary FROM scratch, saved for containerd to import (cached per source hash)
#   3. the cluster's PKI and kubeconfigs (pki.sh), and its config files rendered from conf/
# Needs root, a running dockerd (../infra/docker-up.sh) and the Debian packages below (.ci/run installs them).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/env.sh"
log() { echo "cluster-prepare: $*" >&2; }
die() { log "error: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "the cluster needs root (kubelet, containerd, iptables)"
for cmd in etcd containerd runc ctr conntrack iptables ip envsubst openssl gcc docker; do
  command -v "$cmd" >/dev/null || die "$cmd not found: apt-get install -y etcd-server containerd runc conntrack iptables iproute2 gettext-base openssl gcc libc6-dev docker.io"
done
[ -x /usr/lib/cni/bridge ] && [ -x /usr/lib/cni/host-local ] && [ -x /usr/lib/cni/portmap ] ||
  die "CNI plugins not found in /usr/lib/cni: apt-get install -y containernetworking-plugins"

# 1. Kubernetes
"$HERE/build-kubernetes.sh"

# 2. pause image
pause_hash=$(cat "$HERE/pause/pause.c" "$HERE/pause/Dockerfile" | sha256sum | cut -c1-12)
pause_tar=$CLUSTER_CACHE/pause-$pause_hash.tar
if [ -s "$pause_tar" ]; then
  log "pause image cached ($pause_tar)"
else
  docker info >/dev/null 2>&1 || die "dockerd does not answer: run test/e2e/infra/docker-up.sh first"
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  cp "$HERE/pause/Dockerfile" "$work/"
  gcc -static -Os -s -o "$work/pause" "$HERE/pause/pause.c"
  DOCKER_BUILDKIT=0 docker build -q -t "$PAUSE_IMAGE" "$work" >/dev/null 2>&1 || die "docker build of the pause image failed"
  docker save "$PAUSE_IMAGE" -o "$pause_tar.tmp"
  mv "$pause_tar.tmp" "$pause_tar"
  find "$CLUSTER_CACHE" -maxdepth 1 -name 'pause-*.tar' ! -path "$pause_tar" -delete
  log "pause image built ($(stat -c %s "$pause_tar") bytes)"
fi
ln -sfn "$pause_tar" "$CLUSTER_CACHE/pause.tar"

# 3. PKI and config
"$HERE/pki.sh"
mkdir -p "$CLUSTER_DIR"/{conf,cni,logs,pids,state} "$CLUSTER_DIR/certs.d/$REGISTRY" "$CLUSTER_DIR/certs.d/$AUTH_REGISTRY"
vars='${CONTAINERD_ROOT} ${CLUSTER_RUN} ${CONTAINERD_SOCK} ${PAUSE_IMAGE} ${CLUSTER_DIR} ${NODE_IP} ${NODE_NAME} ${POD_LOGS} ${BRIDGE} ${CNI_DATA} ${POD_CIDR} ${REGISTRY}'
render() { envsubst "$vars" <"$HERE/conf/$1" >"$2"; }
render containerd.toml "$CLUSTER_DIR/conf/containerd.toml"
render kubelet-config.yaml "$CLUSTER_DIR/conf/kubelet-config.yaml"
render kube-proxy-config.yaml "$CLUSTER_DIR/conf/kube-proxy-config.yaml"
render pod-resolv.conf "$CLUSTER_DIR/conf/pod-resolv.conf"
render bridge.conflist "$CLUSTER_DIR/cni/10-bridge.conflist"
render registry-hosts.toml "$CLUSTER_DIR/certs.d/$REGISTRY/hosts.toml"
REGISTRY=$AUTH_REGISTRY render registry-hosts.toml "$CLUSTER_DIR/certs.d/$AUTH_REGISTRY/hosts.toml"
log "ready: binaries in $KUBE_BIN, state in $CLUSTER_DIR"

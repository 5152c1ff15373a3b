# Shared settings of the e2e cluster, sourced by prepare.sh, up.sh and down.sh. Everything the cluster writes
# lives under these paths, so down.sh can remove exactly what it made.
export PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/local/go/bin:$PATH"

KUBERNETES_VERSION=${KUBERNETES_VERSION:-v1.35.4}
# Built binaries and images, kept across runs (keyed by version).
CLUSTER_CACHE=${CLUSTER_CACHE:-/var/cache/tls-sidecar-e2e}
# State of one cluster: PKI, rendered config, etcd data, logs, PID files.
CLUSTER_DIR=${CLUSTER_DIR:-/var/lib/tls-sidecar-e2e/cluster}
CLUSTER_RUN=/run/tls-sidecar-e2e
KUBE_BIN=$CLUSTER_CACHE/kubernetes-$KUBERNETES_VERSION/bin
KUBELET_ROOT=/var/lib/tls-sidecar-e2e/kubelet
CONTAINERD_ROOT=/var/lib/tls-sidecar-e2e/containerd
CONTAINERD_SOCK=$CLUSTER_RUN/containerd.sock
CNI_DATA=/var/lib/tls-sidecar-e2e/cni
POD_LOGS=/var/log/tls-sidecar-e2e-pods
KUBECONFIG_ADMIN=$CLUSTER_DIR/admin.kubeconfig

NODE_NAME=tls-e2e-node
# The kubelet refuses a loopback node IP: the node is the CNI bridge's gateway address.
BRIDGE=tlse2e0
NODE_IP=10.244.0.1
POD_CIDR=10.244.0.0/24
SERVICE_CIDR=10.96.0.0/16
APISERVER=https://127.0.0.1:6443
ETCD_PORT=12379
REGISTRY=${E2E_REGISTRY:-127.0.0.1:5000}
# a second test registry that requires basic auth (test/e2e/infra/auth-registry.sh): pulls need the pod's pull Secret
AUTH_REGISTRY=${E2E_AUTH_REGISTRY:-127.0.0.1:5001}
PAUSE_IMAGE=tls-sidecar-e2e.local/pause:1

export KUBERNETES_VERSION CLUSTER_CACHE CLUSTER_DIR CLUSTER_RUN KUBE_BIN KUBELET_ROOT CONTAINERD_ROOT CONTAINERD_SOCK \
  CNI_DATA POD_LOGS KUBECONFIG_ADMIN NODE_NAME BRIDGE NODE_IP POD_CIDR SERVICE_CIDR APISERVER ETCD_PORT REGISTRY AUTH_REGISTRY \
  PAUSE_IMAGE

# is_ours PID: a live process whose command line names our state or binary directory (a PID file can be stale)
is_ours() { [ -d "/proc/$1" ] && tr '\0' ' ' <"/proc/$1/cmdline" | grep -e "$CLUSTER_DIR" -e "$KUBE_BIN" >/dev/null; }

kubectl_admin() { "$KUBE_BIN/kubectl" --kubeconfig "$KUBECONFIG_ADMIN" "$@"; }

#!/usr/bin/env bash
# The cluster's own PKI, made with openssl: a CA, one certificate per component (client, server or both), the
# front-proxy CA that the aggregation layer's request-header authentication needs, the service-account signing key
# and one kubeconfig per client. Idempotent: existing files are kept, so a restarted cluster keeps its identity.
set -euo pipefail
source "$(dirname "$0")/env.sh"
P=$CLUSTER_DIR/pki
mkdir -p "$P" "$CLUSTER_DIR/conf"
cd "$P"
umask 077

ca() { # name CN
  [ -f "$1.crt" ] && return 0
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$1.key" -sha256 -days 3650 -subj "/CN=$2" -out "$1.crt" 2>/dev/null
}
cert() { # name CN O SANs usage(client|server|both) [ca]
  local name=$1 cn=$2 org=$3 sans=$4 usage=$5 signer=${6:-ca}
  [ -f "$name.crt" ] && return 0
  local subject="/CN=$cn"
  [ -n "$org" ] && subject="/O=$org/CN=$cn"
  {
    echo "basicConstraints=CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    case $usage in
      client) echo "extendedKeyUsage=clientAuth" ;;
      server) echo "extendedKeyUsage=serverAuth" ;;
      both) echo "extendedKeyUsage=serverAuth,clientAuth" ;;
    esac
    [ -n "$sans" ] && echo "subjectAltName=$sans"
  } >"$name.ext"
  openssl req -newkey rsa:2048 -nodes -keyout "$name.key" -subj "$subject" -out "$name.csr" 2>/dev/null
  openssl x509 -req -in "$name.csr" -CA "$signer.crt" -CAkey "$signer.key" -CAcreateserial -days 3650 -sha256 \
    -extfile "$name.ext" -out "$name.crt" 2>/dev/null
  rm -f "$name.csr" "$name.ext"
}

ca ca tls-sidecar-e2e-kubernetes-ca
ca front-proxy-ca tls-sidecar-e2e-front-proxy-ca
cert apiserver kube-apiserver "" \
  "DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,DNS:$NODE_NAME,IP:127.0.0.1,IP:10.96.0.1,IP:$NODE_IP" server
cert apiserver-kubelet-client kube-apiserver-kubelet-client system:masters "" client
cert admin kubernetes-admin system:masters "" client
cert controller-manager system:kube-controller-manager "" "" client
cert scheduler system:kube-scheduler "" "" client
cert kube-proxy system:kube-proxy "" "" client
cert kubelet-client "system:node:$NODE_NAME" system:nodes "" client
cert kubelet-server "$NODE_NAME" "" "DNS:$NODE_NAME,DNS:localhost,IP:127.0.0.1,IP:$NODE_IP" server
cert front-proxy-client front-proxy-client "" "" client front-proxy-ca
[ -f sa.key ] || { openssl genrsa -out sa.key 2048 2>/dev/null; openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null; }

kubeconfig() { # file user cert
  [ -f "$1" ] && return 0
  cat >"$1" <<YAML
apiVersion: v1
kind: Config
clusters:
- name: tls-sidecar-e2e
  cluster:
    server: $APISERVER
    certificate-authority: $P/ca.crt
users:
- name: $2
  user:
    client-certificate: $P/$3.crt
    client-key: $P/$3.key
contexts:
- name: $2@tls-sidecar-e2e
  context: {cluster: tls-sidecar-e2e, user: $2}
current-context: $2@tls-sidecar-e2e
YAML
}
kubeconfig "$KUBECONFIG_ADMIN" kubernetes-admin admin
kubeconfig "$CLUSTER_DIR/conf/controller-manager.kubeconfig" system:kube-controller-manager controller-manager
kubeconfig "$CLUSTER_DIR/conf/scheduler.kubeconfig" system:kube-scheduler scheduler
kubeconfig "$CLUSTER_DIR/conf/kube-proxy.kubeconfig" system:kube-proxy kube-proxy
kubeconfig "$CLUSTER_DIR/conf/kubelet.kubeconfig" "system:node:$NODE_NAME" kubelet-client

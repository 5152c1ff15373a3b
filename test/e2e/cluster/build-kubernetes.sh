#!/usr/bin/env bash
# Build kube-apiserver, kube-controller-manager, kube-scheduler, kubelet, kube-proxy and kubectl from k8s.io/kubernetes
# on the Go module proxy, once per version: the binaries are cached in $CLUSTER_CACHE/kubernetes-<version>/bin and
# a second run returns at once. Nothing is pulled from GitHub or a container registry.
#
# k8s.io/kubernetes cannot be built as a plain dependency: its go.mod replaces the k8s.io/* staging modules by
# ./staging paths that the published module does not contain. A small wrapper module requires it and replaces
# each staging module by its published version instead (v0.<minor>.<patch> for Kubernetes v1.<minor>.<patch>).
#
# Usage: test/e2e/cluster/build-kubernetes.sh        (~15-20 min cold on 2 cores, peak RSS ~2 GB)
# Env:   CLUSTER_CACHE (default /var/cache/tls-sidecar-e2e), KUBERNETES_VERSION (default v1.35.4)
set -euo pipefail
export PATH="$PATH:/usr/local/go/bin"

VERSION=${KUBERNETES_VERSION:-v1.35.4}
CACHE=${CLUSTER_CACHE:-/var/cache/tls-sidecar-e2e}
OUT=$CACHE/kubernetes-$VERSION
COMMANDS=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl)
log() { echo "build-kubernetes: $*" >&2; }
die() { log "error: $*"; exit 1; }

[[ $VERSION =~ ^v1\.([0-9]+)\.([0-9]+)$ ]] || die "KUBERNETES_VERSION=$VERSION: expected v1.<minor>.<patch>, e.g. v1.35.4"
minor=${BASH_REMATCH[1]}
staging_version=v0.${BASH_REMATCH[1]}.${BASH_REMATCH[2]}

# Only what is missing is built (a binary appears in bin/ only once go build succeeded).
missing=()
for c in "${COMMANDS[@]}"; do [ -x "$OUT/bin/$c" ] || missing+=("$c"); done
if ((${#missing[@]} == 0)); then
  log "Kubernetes $VERSION already built in $OUT/bin"
  exit 0
fi
command -v go >/dev/null || die "go not found"

mkdir -p "$OUT/wrapper"
t0=$SECONDS
log "downloading k8s.io/kubernetes@$VERSION from the Go module proxy"
go mod download "k8s.io/kubernetes@$VERSION"
module_dir=$(go env GOMODCACHE)/k8s.io/kubernetes@$VERSION
go_directive=$(awk '$1 == "go" { print $2; exit }' "$module_dir/go.mod")
{
  echo "module tls-sidecar.local/kubernetes-wrapper"
  echo
  echo "go $go_directive"
  echo
  # the upstream module's GODEBUG defaults, which apply only when it is the main module
  grep '^godebug ' "$module_dir/go.mod" || true
  echo
  echo "require k8s.io/kubernetes $VERSION"
  echo
  echo "replace ("
  # every "k8s.io/foo => ./staging/src/k8s.io/foo" line of the upstream go.mod, pointed at the published module
  awk -v v="$staging_version" '$2 == "=>" && $3 ~ /^\.\/staging\// { print "\t" $1 " => " $1 " " v }' "$module_dir/go.mod"
  echo ")"
} >"$OUT/wrapper/go.mod"
echo 'package wrapper' >"$OUT/wrapper/doc.go"
log "wrapper module replaces $(grep -c ' => ' "$OUT/wrapper/go.mod") staging modules by $staging_version"

ldflags="-s -w"
for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $p.gitVersion=$VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
  ldflags+=" -X $p.gitCommit=0000000000000000000000000000000000000000 -X $p.buildDate=1970-01-01T00:00:00Z"
done
log "building ${missing[*]} $VERSION (one go build, shared packages compiled once; log: $OUT/build.log)"
rm -rf "$OUT/bin.tmp"
mkdir -p "$OUT/bin.tmp"
pkgs=()
for c in "${missing[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$c"); done
if ! (cd "$OUT/wrapper" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -p 2 -trimpath -ldflags="$ldflags" -o "$OUT/bin.tmp/" "${pkgs[@]}") >"$OUT/build.log" 2>&1; then
  tail -n 30 "$OUT/build.log" >&2
  die "go build failed (log: $OUT/build.log)"
fi
mkdir -p "$OUT/bin"
mv "$OUT/bin.tmp"/* "$OUT/bin/"
rmdir "$OUT/bin.tmp"
log "built in $((SECONDS - t0)) s: $(cd "$OUT/bin" && ls | tr '\n' ' ')"

#!/usr/bin/env bash
# Build cloudflared from the vendored upstream source (../shared/vendor/cloudflared-<version>.tar.gz: the tag with
# its vendor/ directory), offline, once per version and tarball: the binary is cached in
# $CLUSTER_CACHE/cloudflared-<version>-<sha12 of the tarball>/bin/cloudflared and a second run returns at once.
# Stamped as upstream's Makefile stamps its container builds (CONTAINER_BUILD=1): main.Version, main.BuildTime
# from RELEASE_NOTES' mtime, and metrics.Runtime=virtual (the metrics server's default binds 0.0.0.0, as in the
# cloudflare/cloudflared image). CGO off: a static binary for a FROM scratch image (test/e2e/cloudflared/).
# In the same tree, with the same vendored packages: the tests' stand-in edge (test/e2e/standin-edge/main.go),
# cached as bin/standin-edge-<sha12 of its source>.
#
# Usage: test/e2e/infra/build-cloudflared.sh          prints the two binaries' paths on stdout, cloudflared first
# Env:   CLOUDFLARED_VERSION (default 2026.8.2), CLOUDFLARED_TARBALL (default <repo>/../shared/vendor/cloudflared-<version>.tar.gz),
#        CLUSTER_CACHE (default /var/cache/tls-sidecar-e2e)
set -euo pipefail
export PATH="$PATH:/usr/local/go/bin"

VERSION=${CLOUDFLARED_VERSION:-2026.8.2}
REPO=$(cd "$(dirname "$0")/../../.." && pwd)
TARBALL=${CLOUDFLARED_TARBALL:-$REPO/../shared/vendor/cloudflared-$VERSION.tar.gz}
CACHE=${CLUSTER_CACHE:-/var/cache/tls-sidecar-e2e}
log() { echo "build-cloudflared: $*" >&2; }
die() { log "error: $*"; exit 1; }

[[ $VERSION =~ ^[0-9]{4}\.[0-9]+\.[0-9]+$ ]] || die "CLOUDFLARED_VERSION=$VERSION: expected <year>.<month>.<patch>, e.g. 2026.8.2"
[ -f "$TARBALL" ] || die "no $TARBALL (the vendored source: ../shared/vendor/ beside the repository, or set CLOUDFLARED_TARBALL)"
OUT=$CACHE/cloudflared-$VERSION-$(sha256sum "$TARBALL" | cut -c1-12)
STANDIN_SRC=$REPO/test/e2e/standin-edge/main.go
STANDIN=standin-edge-$(sha256sum "$STANDIN_SRC" | cut -c1-12)
if [ -x "$OUT/bin/cloudflared" ] && [ -x "$OUT/bin/$STANDIN" ]; then
  log "cloudflared $VERSION and its stand-in edge already built in $OUT/bin"
  printf '%s\n' "$OUT/bin/cloudflared" "$OUT/bin/$STANDIN"
  exit 0
fi
command -v go >/dev/null || die "go not found"

t0=$SECONDS
rm -rf "$OUT/src" "$OUT/bin.tmp"
mkdir -p "$OUT/src" "$OUT/bin.tmp" "$OUT/bin"
tar -xzf "$TARBALL" -C "$OUT/src" --strip-components=1
[ -d "$OUT/src/vendor" ] || die "$TARBALL has no vendor/ directory: it cannot build offline"
# go_build OUTPUT PACKAGE [FLAGS...]: GOFLAGS=-mod=vendor and GOPROXY=off, every package comes from the tarball.
go_build() {
  local out=$1 pkg=$2
  shift 2
  if ! (cd "$OUT/src" && CGO_ENABLED=0 GOPROXY=off GOFLAGS=-mod=vendor GOTOOLCHAIN=local \
    go build -p 2 -trimpath "$@" -o "$OUT/bin.tmp/$out" "$pkg") >>"$OUT/build.log" 2>&1; then
    tail -n 30 "$OUT/build.log" >&2
    die "go build $pkg failed (log: $OUT/build.log)"
  fi
  mv "$OUT/bin.tmp/$out" "$OUT/bin/$out"
}
if [ ! -x "$OUT/bin/cloudflared" ]; then
  build_time=$(date -u -r "$OUT/src/RELEASE_NOTES" '+%Y-%m-%d-%H:%M UTC')
  ldflags="-X main.Version=$VERSION -X 'main.BuildTime=$build_time'"
  ldflags+=" -X github.com/cloudflare/cloudflared/metrics.Runtime=virtual"
  log "building cloudflared $VERSION (log: $OUT/build.log)"
  go_build cloudflared ./cmd/cloudflared -ldflags="$ldflags"
  log "cloudflared built in $((SECONDS - t0)) s: $("$OUT/bin/cloudflared" --version)"
fi
if [ ! -x "$OUT/bin/$STANDIN" ]; then
  t1=$SECONDS
  mkdir -p "$OUT/src/cmd/tls-sidecar-standin-edge"
  cp "$STANDIN_SRC" "$OUT/src/cmd/tls-sidecar-standin-edge/main.go"
  go_build "$STANDIN" ./cmd/tls-sidecar-standin-edge
  log "stand-in edge built in $((SECONDS - t1)) s"
fi
rm -rf "$OUT/bin.tmp" "$OUT/src"
printf '%s\n' "$OUT/bin/cloudflared" "$OUT/bin/$STANDIN"

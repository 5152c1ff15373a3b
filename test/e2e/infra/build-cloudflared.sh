#!/usr/bin/env bash
# Build cloudflared from the vendored upstream source (../shared/vendor/cloudflared-<version>.tar.gz: the tag with
# its vendor/ directory), offline, once per version and tarball: the binary is cached in
# $CLUSTER_CACHE/cloudflared-<version>-<sha12 of the tarball>/bin/cloudflared and a second run returns at once.
# Stamped as upstream's Makefile stamps its container builds (CONTAINER_BUILD=1): main.Version, main.BuildTime
# from RELEASE_NOTES' mtime, and metrics.Runtime=virtual (the metrics server's default binds 0.0.0.0, as in the
# cloudflare/cloudflared image). CGO off: a static binary for a FROM scratch image (test/e2e/cloudflared/).
#
# Usage: test/e2e/infra/build-cloudflared.sh          prints the binary's path on stdout
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
if [ -x "$OUT/bin/cloudflared" ]; then
  log "cloudflared $VERSION already built in $OUT/bin"
  echo "$OUT/bin/cloudflared"
  exit 0
fi
command -v go >/dev/null || die "go not found"

t0=$SECONDS
rm -rf "$OUT/src" "$OUT/bin.tmp"
mkdir -p "$OUT/src" "$OUT/bin.tmp"
tar -xzf "$TARBALL" -C "$OUT/src" --strip-components=1
[ -d "$OUT/src/vendor" ] || die "$TARBALL has no vendor/ directory: it cannot build offline"
build_time=$(date -u -r "$OUT/src/RELEASE_NOTES" '+%Y-%m-%d-%H:%M UTC')
ldflags="-X main.Version=$VERSION -X 'main.BuildTime=$build_time'"
ldflags+=" -X github.com/cloudflare/cloudflared/metrics.Runtime=virtual"
log "building cloudflared $VERSION (log: $OUT/build.log)"
# GOFLAGS=-mod=vendor and GOPROXY=off: every package comes from the tarball, nothing from the network.
if ! (cd "$OUT/src" && CGO_ENABLED=0 GOPROXY=off GOFLAGS=-mod=vendor GOTOOLCHAIN=local \
  go build -p 2 -trimpath -ldflags="$ldflags" -o "$OUT/bin.tmp/cloudflared" ./cmd/cloudflared) >"$OUT/build.log" 2>&1; then
  tail -n 30 "$OUT/build.log" >&2
  die "go build failed (log: $OUT/build.log)"
fi
mkdir -p "$OUT/bin"
mv "$OUT/bin.tmp/cloudflared" "$OUT/bin/cloudflared"
rm -rf "$OUT/bin.tmp" "$OUT/src"
log "built in $((SECONDS - t0)) s: $("$OUT/bin/cloudflared" --version)"
echo "$OUT/bin/cloudflared"

#!/usr/bin/env bash
# Build the local base images the Dockerfiles take as build args, without pulling anything:
#   tls-sidecar-local/debian:bookworm  debootstrap --variant=minbase bookworm + $DEBIAN_PACKAGES
#                                      (BASE_IMAGE of images/init: its Debian stage needs iptables)
#   tls-sidecar-local/go:1.26          that rootfs + this machine's /usr/local/go (GO_IMAGE of every Go build stage)
# Idempotent: images whose recipe label matches are kept; the debootstrap rootfs is cached as a tarball, so
# a second run takes seconds even after `docker image prune`.
#
# Usage: test/e2e/infra/base-images.sh
#   then e.g. docker build --build-arg GO_IMAGE=tls-sidecar-local/go:1.26 \
#                          --build-arg BASE_IMAGE=tls-sidecar-local/debian:bookworm images/init
#   Go module downloads inside `docker build` work over the default bridge network here; where they do not,
#   add `--network host` to docker build.
# Env: E2E_CACHE_DIR (default /var/cache/tls-sidecar-e2e), DEBIAN_MIRROR (default http://deb.debian.org/debian),
#      GOROOT_HOST (default /usr/local/go)
# Needs root, a running dockerd (docker-up.sh) and: apt-get install -y debootstrap docker.io
set -euo pipefail

CACHE_DIR=${E2E_CACHE_DIR:-/var/cache/tls-sidecar-e2e}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
GOROOT_HOST=${GOROOT_HOST:-/usr/local/go}
DEBIAN_IMAGE=tls-sidecar-local/debian:bookworm
GO_IMAGE=tls-sidecar-local/go:1.26
# iptables: the init image's Debian stage copies the xtables binaries and their libraries from here.
# ca-certificates: Go module downloads over HTTPS in the Go build stage.
DEBIAN_PACKAGES=iptables,ca-certificates
RECIPE_VERSION=1

log() { echo "base-images: $*" >&2; }
die() { log "error: $*"; exit 1; }

command -v debootstrap >/dev/null || die "debootstrap not found: apt-get install -y debootstrap"
command -v docker >/dev/null || die "docker not found: apt-get install -y docker.io"
docker info >/dev/null 2>&1 || die "dockerd does not answer: run test/e2e/infra/docker-up.sh first"
[ -x "$GOROOT_HOST/bin/go" ] || die "no Go toolchain at $GOROOT_HOST"

label_of() { docker image inspect -f '{{index .Config.Labels "tls-sidecar.recipe"}}' "$1" 2>/dev/null || true; }

# Extra CAs this machine trusts (e.g. a TLS-intercepting egress proxy's) go into the image too, or Go module
# downloads inside `docker build` fail with "x509: certificate signed by unknown authority".
extra_cas=$(find /usr/local/share/ca-certificates -name '*.crt' -type f 2>/dev/null | sort)
extra_ca_hash=$( (for f in $extra_cas; do cat "$f"; done) | sha256sum | cut -c1-12)
debian_recipe="bookworm minbase $DEBIAN_PACKAGES cas:$extra_ca_hash v$RECIPE_VERSION"
go_version=$("$GOROOT_HOST/bin/go" env GOVERSION)
go_recipe="$debian_recipe + $go_version"
rootfs_tar="$CACHE_DIR/bookworm-minbase-$(echo "$debian_recipe" | sha256sum | cut -c1-12).tar"

# --- debian --------------------------------------------------------------------------------------
t0=$SECONDS
if [ "$(label_of "$DEBIAN_IMAGE")" = "$debian_recipe" ]; then
  log "$DEBIAN_IMAGE is up to date"
else
  if [ ! -s "$rootfs_tar" ]; then
    [ "$(id -u)" = 0 ] || die "debootstrap needs root"
    mkdir -p "$CACHE_DIR"
    work=$(mktemp -d "$CACHE_DIR/rootfs.XXXXXX")
    trap 'rm -rf "$work"' EXIT
    log "debootstrap --variant=minbase --include=$DEBIAN_PACKAGES bookworm (a few minutes, once; log: $CACHE_DIR/debootstrap.log)"
    if ! debootstrap --variant=minbase --include="$DEBIAN_PACKAGES" bookworm "$work/root" "$MIRROR" >"$CACHE_DIR/debootstrap.log" 2>&1; then
      tail -n 20 "$CACHE_DIR/debootstrap.log" >&2
      die "debootstrap failed (log: $CACHE_DIR/debootstrap.log)"
    fi
    if [ -n "$extra_cas" ]; then
      log "adding this machine's extra CAs: $(echo $extra_cas | tr '\n' ' ')"
      cp $extra_cas "$work/root/usr/local/share/ca-certificates/"
      chroot "$work/root" update-ca-certificates >/dev/null
    fi
    # slim it like the official -slim images: no apt lists, caches, docs
    chroot "$work/root" apt-get clean
    rm -rf "$work/root"/var/lib/apt/lists/* "$work/root"/usr/share/doc/* "$work/root"/usr/share/man/* \
      "$work/root"/usr/share/info/* "$work/root"/var/cache/debconf/*-old "$work/root"/var/log/*.log
    tar --numeric-owner -C "$work/root" -cf "$rootfs_tar.tmp" .
    mv "$rootfs_tar.tmp" "$rootfs_tar"
    find "$CACHE_DIR" -maxdepth 1 -name 'bookworm-minbase-*.tar' ! -path "$rootfs_tar" -delete # older recipes
    rm -rf "$work"
    trap - EXIT
  fi
  log "importing $DEBIAN_IMAGE from $rootfs_tar"
  docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change "LABEL tls-sidecar.recipe=\"$debian_recipe\"" \
    --change 'CMD ["bash"]' \
    "$rootfs_tar" "$DEBIAN_IMAGE" >/dev/null
fi
log "debian image ready in $((SECONDS - t0)) s"

# --- go --------------------------------------------------------------------------------------------
t0=$SECONDS
if [ "$(label_of "$GO_IMAGE")" = "$go_recipe" ]; then
  log "$GO_IMAGE is up to date"
else
  [ -s "$rootfs_tar" ] || die "$rootfs_tar missing; delete $DEBIAN_IMAGE and run again"
  log "importing $GO_IMAGE ($go_version from $GOROOT_HOST)"
  # one stream: the Debian rootfs, then /usr/local/go appended (tar -A keeps it a single archive)
  combined=$(mktemp "${TMPDIR:-/tmp}/go-image.XXXXXX.tar")
  trap 'rm -f "$combined"' EXIT
  cp "$rootfs_tar" "$combined"
  tar --numeric-owner -C / -rf "$combined" --transform 's,^usr/local/go,./usr/local/go,' "${GOROOT_HOST#/}" 2>/dev/null ||
    tar --numeric-owner -C "$(dirname "$GOROOT_HOST")" -rf "$combined" --transform "s,^$(basename "$GOROOT_HOST"),./usr/local/go," "$(basename "$GOROOT_HOST")"
  docker import \
    --change 'ENV PATH=/usr/local/go/bin:/root/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV GOTOOLCHAIN=local' \
    --change 'ENV CGO_ENABLED=0' \
    --change 'WORKDIR /src' \
    --change "LABEL tls-sidecar.recipe=\"$go_recipe\"" \
    --change 'CMD ["go", "version"]' \
    "$combined" "$GO_IMAGE" >/dev/null
  rm -f "$combined"
  trap - EXIT
fi
log "go image ready in $((SECONDS - t0)) s"
docker image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep '^tls-sidecar-local/' >&2

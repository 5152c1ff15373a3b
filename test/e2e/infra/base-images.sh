#!/usr/bin/env bash
# Build the local base images the Dockerfiles take as build args, without pulling anything:
#   tls-sidecar-local/debian:bookworm  debootstrap --variant=minbase bookworm + $DEBIAN_PACKAGES
#                                      (BASE_IMAGE of images/init: its Debian stage needs iptables)
#   tls-sidecar-local/go:1.26          that rootfs + this machine's /usr/local/go (GO_IMAGE of every Go build stage)
#   tls-sidecar-local/rust:1.95        debootstrap --variant=minbase bookworm + $RUST_PACKAGES (a C toolchain)
#                                      + this machine's rustup stable toolchain (RUST_IMAGE of images/proxy)
# Idempotent: images whose recipe label matches are kept; the debootstrap rootfs is cached as a tarball, so
# a second run takes seconds even after `docker image prune`.
#
# Usage: test/e2e/infra/base-images.sh
#   then e.g. docker build --build-arg RUST_IMAGE=tls-sidecar-local/rust:1.95 images/proxy
#        and  docker build --build-arg GO_IMAGE=tls-sidecar-local/go:1.26 \
#                          --build-arg BASE_IMAGE=tls-sidecar-local/debian:bookworm images/init
#   Go module and crate downloads inside `docker build` work over the default bridge network here; where they
#   do not, add `--network host` to docker build.
# Env: E2E_CACHE_DIR (default /var/cache/tls-sidecar-e2e), DEBIAN_MIRROR (default http://deb.debian.org/debian),
#      GOROOT_HOST (default /usr/local/go), RUST_TOOLCHAIN_HOST (default ~/.rustup/toolchains/stable-<arch>-unknown-linux-gnu)
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
RUST_IMAGE=tls-sidecar-local/rust:1.95
# Its own rootfs, so that the Debian and Go images (and their caches) stay as they are:
# ca-certificates: crate downloads over HTTPS; gcc, libc6-dev: rustc links with cc, aws-lc-sys compiles
# aws-lc with it (its cc builder: no cmake needed), and the proxy links glibc statically (libc.a).
RUST_PACKAGES=ca-certificates,gcc,libc6-dev
RECIPE_VERSION=1

log() { echo "base-images: $*" >&2; }
die() { log "error: $*"; exit 1; }

command -v debootstrap >/dev/null || die "debootstrap not found: apt-get install -y debootstrap"
command -v docker >/dev/null || die "docker not found: apt-get install -y docker.io"
docker info >/dev/null 2>&1 || die "dockerd does not answer: run test/e2e/infra/docker-up.sh first"
[ -x "$GOROOT_HOST/bin/go" ] || die "no Go toolchain at $GOROOT_HOST"
RUST_TOOLCHAIN_HOST=${RUST_TOOLCHAIN_HOST:-$HOME/.rustup/toolchains/stable-$(uname -m)-unknown-linux-gnu}
[ -x "$RUST_TOOLCHAIN_HOST/bin/cargo" ] || die "no Rust toolchain at $RUST_TOOLCHAIN_HOST (rustup toolchain install stable)"

label_of() { docker image inspect -f '{{index .Config.Labels "tls-sidecar.recipe"}}' "$1" 2>/dev/null || true; }

# Extra CAs this machine trusts (e.g. a TLS-intercepting egress proxy's) go into the image too, or Go module
# downloads inside `docker build` fail with "x509: certificate signed by unknown authority".
extra_cas=$(find /usr/local/share/ca-certificates -name '*.crt' -type f 2>/dev/null | sort)
extra_ca_hash=$( (for f in $extra_cas; do cat "$f"; done) | sha256sum | cut -c1-12)
debian_recipe="bookworm minbase $DEBIAN_PACKAGES cas:$extra_ca_hash v$RECIPE_VERSION"
go_version=$("$GOROOT_HOST/bin/go" env GOVERSION)
go_recipe="$debian_recipe + $go_version"
rust_version=$("$RUST_TOOLCHAIN_HOST/bin/rustc" -V)
rust_rootfs_recipe="bookworm minbase $RUST_PACKAGES cas:$extra_ca_hash v$RECIPE_VERSION"
rust_recipe="$rust_rootfs_recipe + $rust_version"

# ensure_rootfs KIND PACKAGES RECIPE: prints the path of a cached tarball of debootstrap --variant=minbase
# bookworm with PACKAGES (and this machine's extra CAs), made once per RECIPE; older ones of KIND are removed.
ensure_rootfs() {
  local kind=$1 packages=$2 recipe=$3
  local tarball="$CACHE_DIR/bookworm-$kind-$(echo "$recipe" | sha256sum | cut -c1-12).tar"
  if [ ! -s "$tarball" ]; then
    [ "$(id -u)" = 0 ] || die "debootstrap needs root"
    mkdir -p "$CACHE_DIR"
    work=$(mktemp -d "$CACHE_DIR/rootfs.XXXXXX")
    trap 'rm -rf "$work"' EXIT
    log "debootstrap --variant=minbase --include=$packages bookworm (a few minutes, once; log: $CACHE_DIR/debootstrap.log)"
    if ! debootstrap --variant=minbase --include="$packages" bookworm "$work/root" "$MIRROR" >"$CACHE_DIR/debootstrap.log" 2>&1; then
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
    tar --numeric-owner -C "$work/root" -cf "$tarball.tmp" .
    mv "$tarball.tmp" "$tarball"
    find "$CACHE_DIR" -maxdepth 1 -name "bookworm-$kind-*.tar" ! -path "$tarball" -delete # older recipes
    rm -rf "$work"
    trap - EXIT
  fi
  echo "$tarball"
}

# --- debian --------------------------------------------------------------------------------------
t0=$SECONDS
rootfs_tar="$CACHE_DIR/bookworm-minbase-$(echo "$debian_recipe" | sha256sum | cut -c1-12).tar"
if [ "$(label_of "$DEBIAN_IMAGE")" = "$debian_recipe" ]; then
  log "$DEBIAN_IMAGE is up to date"
else
  rootfs_tar=$(ensure_rootfs minbase "$DEBIAN_PACKAGES" "$debian_recipe")
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
# --- rust ------------------------------------------------------------------------------------------
# The toolchain's own bin/ (cargo, rustc) on PATH, not rustup's proxies: one toolchain, no rustup home.
# Its docs (share/, ~800 MB) stay out. CARGO_HOME holds the crates a build fetches.
t0=$SECONDS
if [ "$(label_of "$RUST_IMAGE")" = "$rust_recipe" ]; then
  log "$RUST_IMAGE is up to date"
else
  rust_rootfs=$(ensure_rootfs rustbuild "$RUST_PACKAGES" "$rust_rootfs_recipe")
  log "importing $RUST_IMAGE ($rust_version from $RUST_TOOLCHAIN_HOST)"
  combined=$(mktemp "${TMPDIR:-/tmp}/rust-image.XXXXXX.tar")
  trap 'rm -f "$combined"' EXIT
  cp "$rust_rootfs" "$combined"
  tar --numeric-owner -C "$RUST_TOOLCHAIN_HOST" -rf "$combined" --transform 's,^\.,./usr/local/rust,' ./bin ./lib ./libexec ./etc
  docker import \
    --change 'ENV PATH=/usr/local/rust/bin:/usr/local/cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV CARGO_HOME=/usr/local/cargo' \
    --change 'WORKDIR /src' \
    --change "LABEL tls-sidecar.recipe=\"$rust_recipe\"" \
    --change 'CMD ["cargo", "--version"]' \
    "$combined" "$RUST_IMAGE" >/dev/null
  rm -f "$combined"
  trap - EXIT
fi
log "rust image ready in $((SECONDS - t0)) s"
docker image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep '^tls-sidecar-local/' >&2

#!/bin/sh
# Builds the proxy as it ships, into OUT: the one place that holds the release build's flags, used by the
# Dockerfile, the contract tests (test/proxy-contract), the benchmarks (bench/lib.sh) and bench/pgo.sh.
#
#   ./release.sh OUT                      # with the profile pgo/proxy.profdata (profile-guided optimisation)
#   PGO_GENERATE=DIR ./release.sh OUT     # instrumented instead: running OUT writes profiles into DIR
#
# - static (crt-static: glibc linked in, for a FROM scratch image; the target is named so that build scripts and
#   proc macros stay dynamic, as crt-static requires; the result is static-pie);
# - relative relocations packed (RELR): a smaller binary, and fewer pages touched at start;
# - profile-guided: pgo/proxy.profdata comes from bench/pgo.sh, which drives an instrumented build with the
#   benchmark's loads; test/pgoProfile.test.ts fails when the sources change without a new profile.
# Extra cargo arguments come from CARGO_ARGS (e.g. "-j2").
set -eu
[ $# -eq 1 ] || { echo "usage: $0 OUT" >&2; exit 2; }
out=$1
here=$(cd "$(dirname "$0")" && pwd)
host=$(rustc -vV | sed -n 's/^host: //p')
flags="-C target-feature=+crt-static -C link-arg=-Wl,-z,pack-relative-relocs"
if [ -n "${PGO_GENERATE:-}" ]; then
  flags="$flags -C profile-generate=$PGO_GENERATE"
else
  flags="$flags -C profile-use=$here/pgo/proxy.profdata"
fi
cd "$here"
# shellcheck disable=SC2086 # CARGO_ARGS is a list of arguments
RUSTFLAGS=$flags cargo build --release --locked --target "$host" ${CARGO_ARGS:-}
dir=${CARGO_TARGET_DIR:-$here/target}
mkdir -p "$(dirname "$out")"
cp "$dir/$host/release/proxy" "$out"

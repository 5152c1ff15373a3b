#!/bin/sh
# The files that shape the proxy's code, so the ones its profile (pgo/proxy.profdata) was made from: crate-relative,
# one a line, in byte order. bench/pgo.sh records their sha256 in pgo/sources.sha256; test/pgoProfile.test.ts fails
# when they no longer match. Unit tests (tests.rs) are left out: a release build does not compile them.
set -eu
cd "$(dirname "$0")/.."
find Cargo.toml Cargo.lock .cargo src os -type f ! -name tests.rs | LC_ALL=C sort

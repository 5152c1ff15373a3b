#!/usr/bin/env bash
# Runs every cargo-fuzz target for a bounded time each: images/proxy/fuzz.sh [seconds per target, default 20].
# Needs the nightly toolchain (cargo-fuzz's sanitizers); installs cargo-fuzz from crates.io when it is missing.
# Unbounded: see README.md.
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-20}
cargo +nightly --version >/dev/null 2>&1 || { echo "fuzz.sh: no nightly toolchain (rustup toolchain install nightly)" >&2; exit 1; }
if ! command -v cargo-fuzz >/dev/null; then
  echo "fuzz.sh: installing cargo-fuzz (once)"
  cargo install --locked -j2 cargo-fuzz
fi
targets=$(cargo +nightly fuzz list)
for t in $targets; do
  echo "fuzz.sh: $t for ${secs}s"
  # -jobs 1 and -j2 for the build: the machine has 2 cores shared with others.
  CARGO_BUILD_JOBS=2 cargo +nightly fuzz run "$t" -- -max_total_time="$secs" -max_len=8192 -print_final_stats=0 2>&1 |
    grep -E '^(#[0-9]+ *DONE|==[0-9]+== ERROR|SUMMARY|thread .* panicked|Done [0-9]+ runs)' || true
  # a crash leaves an artifact and a non-zero exit; the pipeline above hides the status, so check here
  if compgen -G "fuzz/artifacts/$t/crash-*" >/dev/null; then
    echo "fuzz.sh: $t crashed: $(ls fuzz/artifacts/$t/crash-* | head -1)" >&2
    exit 1
  fi
done
echo "fuzz.sh: $(echo $targets | wc -w) targets, ${secs}s each, no crash"

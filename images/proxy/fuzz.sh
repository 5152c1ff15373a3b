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
# Seeds (fuzz/seeds.sh, made fresh: they include key pairs) beside the corpus the runs grow in fuzz/corpus/.
seeds=$(mktemp -d)
trap 'rm -rf "$seeds"' EXIT
bash fuzz/seeds.sh "$seeds"
for t in $targets; do
  echo "fuzz.sh: $t for ${secs}s"
  # -j2 for the build: the machine has 2 cores shared with others. A crash, or a target that does not build, exits
  # non-zero: that fails this script, with the end of the log.
  log=$(mktemp)
  mkdir -p "fuzz/corpus/$t" # a fresh clone has none; cargo fuzz makes it only when given no corpus directory
  if ! CARGO_BUILD_JOBS=2 cargo +nightly fuzz run "$t" "fuzz/corpus/$t" "$seeds/$t" -- -max_total_time="$secs" -max_len=8192 -print_final_stats=0 >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    rm -f "$log"
    echo "fuzz.sh: $t failed$(compgen -G "fuzz/artifacts/$t/crash-*" >/dev/null && echo ": $(ls fuzz/artifacts/$t/crash-* | head -1)")" >&2
    exit 1
  fi
  grep -E '^(#[0-9]+ *DONE|Done [0-9]+ runs)' "$log" || true
  rm -f "$log"
done
echo "fuzz.sh: $(echo $targets | wc -w) targets, ${secs}s each, no crash"

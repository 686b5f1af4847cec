#!/usr/bin/env bash
# The whole test suite: formatting, lints (warnings are errors) and every test in the workspace.
# GPU tests run on lavapipe; with RG_REQUIRE_GPU=1 a missing Vulkan device fails them.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy (warnings are errors)"
cargo clippy --workspace --all-targets --quiet -- -D warnings
echo "== cargo test"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
cargo test --workspace 2>&1 | tee "$log"
echo "== the tracy feature: lints, and the test that reads back the zones a frame sends"
cargo clippy -p rg-vulkan -p rg-samples --features tracy --all-targets --quiet -- -D warnings
cargo test -p rg-samples --features tracy --test tracy 2>&1 | tee -a "$log"
# One closing line for the whole workspace (cargo prints one per test binary).
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "tests: %d passed, %d failed\n", p, f }' "$log"

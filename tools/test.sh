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
cargo test --workspace

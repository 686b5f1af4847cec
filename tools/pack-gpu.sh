#!/usr/bin/env bash
# Builds the GPU tests, the samples and the `record`, `cull`, `lights` and `terrain` benchmarks, and packs them (stripped) with a
# runner into one archive, for a machine that has a Vulkan driver but no Rust toolchain.
#
#   bash tools/pack-gpu.sh OUT_DIR        # writes OUT_DIR/rg-gpu.tar.xz and OUT_DIR/run-gpu.sh
#
# On the other machine, from a checkout of the same commit (the tests read `shaders/` and the
# golden images from it) with the Vulkan loader and validation layers installed:
#
#   bash OUT_DIR/run-gpu.sh OUT_DIR/rg-gpu.tar.xz
#
# The tests find the checkout through the path it had here; the runner links that path to the
# checkout it runs in when it does not exist.
set -euo pipefail
out=${1:?usage: tools/pack-gpu.sh OUT_DIR}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
mkdir -p "$out"
out=$(cd "$out" && pwd)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

echo "pack-gpu: building the test binaries (debug) and the benchmarks (release)"
tests=$(cargo test -p rg-vulkan -p rg-passes -p rg-samples -p rg-tests --no-run --message-format=json |
    python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["profile"]["test"]:
        print(m["executable"])')
bench() {
    cargo bench -p rg-benches --bench "$1" --no-run --message-format=json |
        python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable"):
        print(m["executable"])'
}
record=$(bench record)
cull=$(bench cull)
lights=$(bench lights)
terrain=$(bench terrain)
mkdir -p "$stage/tests" "$stage/target/debug" "$stage/target/release"
for t in $tests; do
    strip -o "$stage/tests/$(basename "$t")" "$t"
done
# The sample tests run the sample binaries from the paths cargo gave them here.
for b in triangle compute showcase e2e-showcase; do
    strip -o "$stage/target/debug/$b" "target/debug/$b"
done
strip -o "$stage/record" "$record"
strip -o "$stage/cull" "$cull"
strip -o "$stage/lights" "$lights"
strip -o "$stage/terrain" "$terrain"
echo "$root" >"$stage/checkout"
tar -C "$stage" -cJf "$out/rg-gpu.tar.xz" .

cat >"$out/run-gpu.sh" <<'RUN'
#!/usr/bin/env bash
# Runs a pack made by tools/pack-gpu.sh: every GPU test (validation on, RG_REQUIRE_GPU=1), then
# the record benchmark three times and the cull, lights and terrain benchmarks once. Run it from the root of a checkout of the packed commit.
set -uo pipefail
pack=${1:?usage: run-gpu.sh rg-gpu.tar.xz}
dir=$(mktemp -d)
tar -C "$dir" -xJf "$pack"
built_at=$(cat "$dir/checkout")
if [ ! -e "$built_at" ]; then
    mkdir -p "$(dirname "$built_at")"
    ln -s "$PWD" "$built_at"
fi
mkdir -p "$built_at/target/debug"
cp "$dir/target/debug/"* "$built_at/target/debug/"
export RG_REQUIRE_GPU=1
failed=0
for t in "$dir"/tests/*; do
    echo "=== $(basename "$t")"
    "$t" --test-threads=4 || failed=1
done
for i in 1 2 3; do "$dir/record"; done
"$dir/cull"
"$dir/lights"
"$dir/terrain"
exit $failed
RUN
echo "pack-gpu: wrote $out/rg-gpu.tar.xz ($(du -h "$out/rg-gpu.tar.xz" | cut -f1)) and $out/run-gpu.sh"

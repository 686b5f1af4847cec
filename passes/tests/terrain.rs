//! The terrain passes against their CPU references, on lavapipe with validation and
//! synchronization validation on.

mod common;

use common::{assert_clean, context, floats};
use rg_core::{Compiler, Extent, Graph};
use rg_passes::terrain::{height_at, GenerateTerrain, TerrainNoise};
use rg_vulkan::{readback, Bindings, Executor, MemoryUse, Pass};

/// Checks: heightfields generated on the GPU equal the CPU reference bit for bit at every
/// texel, for several sizes (odd ones too), octave counts (1 to 12), periods and seeds; the
/// heights lie in [0, 2) and vary.
#[test]
fn heights_equal_the_cpu_reference_bit_for_bit() {
    let Some(ctx) = context("terrain_heights") else { return };
    let mut ex = Executor::new(&ctx).expect("executor");
    let cases = [
        TerrainNoise { side: 256, octaves: 6, base_shift: 7, seed: 1 },
        TerrainNoise { side: 97, octaves: 12, base_shift: 11, seed: 0xdead_beef },
        TerrainNoise { side: 64, octaves: 1, base_shift: 0, seed: 7 },
        TerrainNoise { side: 130, octaves: 4, base_shift: 9, seed: 3 },
    ];
    for noise in cases {
        let side = noise.side;
        let mut g: Graph<Pass> = Graph::new(Extent::new(side, side));
        let height = GenerateTerrain { noise }.add(&mut g);
        let bytes = side as u64 * side as u64 * 4;
        let rb = readback::add_readback(&mut g, height, "heights", bytes);
        let buffer = ex.create_buffer("heights", bytes, MemoryUse::Readback).expect("buffer");
        let frame = Compiler::new().compile_frame(g, ex.memory()).expect("compile");
        ex.run(frame, &Bindings::new().buffer(rb, buffer)).expect("frame");
        let got = floats(&ex.read_buffer(buffer).expect("read"));
        ex.destroy_buffer(buffer);
        let (mut lo, mut hi) = (f32::MAX, f32::MIN);
        for y in 0..side {
            for x in 0..side {
                let (gpu, cpu) = (got[(y * side + x) as usize], height_at(x, y, &noise));
                assert_eq!(
                    gpu.to_bits(),
                    cpu.to_bits(),
                    "{noise:?}: texel ({x}, {y}) is {gpu} on the GPU, {cpu} on the CPU"
                );
                lo = lo.min(cpu);
                hi = hi.max(cpu);
            }
        }
        assert!(lo >= 0.0 && hi < 2.0 && hi - lo > 0.01, "{noise:?}: heights in [{lo}, {hi}]");
    }
    drop(ex);
    assert_clean(&ctx, "terrain_heights");
}

//! The terrain passes against their CPU references, on lavapipe with validation and
//! synchronization validation on.

mod common;

use common::{assert_clean, context, floats};
use rg_core::{Compiler, Extent, Graph};
use rg_passes::terrain::{height_at, ErosionParams, GenerateTerrain, TerrainFrame, TerrainNoise};
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

/// Runs `frames` terrain frames (the first generates) and reads back height, water and
/// sediment after each.
fn run_terrain(ex: &mut Executor, frame: &TerrainFrame, frames: u32) -> Vec<[Vec<f32>; 3]> {
    let side = frame.noise.side;
    let bytes = side as u64 * side as u64 * 4;
    let buffers: Vec<_> = (0..3)
        .map(|k| {
            ex.create_buffer(&format!("state.{k}"), bytes, MemoryUse::Readback).expect("buffer")
        })
        .collect();
    let mut compiler = Compiler::new();
    let mut out = Vec::new();
    for f in 0..frames {
        let mut g: Graph<Pass> = Graph::new(Extent::new(side, side));
        let s = TerrainFrame { fresh: f == 0, ..*frame }.add(&mut g);
        let mut bindings = Bindings::new();
        for (k, image) in [s.height, s.water, s.sediment].into_iter().enumerate() {
            let rb = readback::add_readback(&mut g, image, &format!("state.{k}"), bytes);
            bindings = bindings.buffer(rb, buffers[k]);
        }
        let compiled = compiler.compile_frame(g, ex.memory()).expect("compile");
        ex.run(compiled, &bindings).expect("frame");
        let read = |k: usize, ex: &mut Executor| floats(&ex.read_buffer(buffers[k]).expect("read"));
        out.push([read(0, ex), read(1, ex), read(2, ex)]);
    }
    for b in buffers {
        ex.destroy_buffer(b);
    }
    out
}

fn total(v: &[f32]) -> f64 {
    v.iter().map(|&x| x as f64).sum()
}

/// Checks: over 100 hydraulic steps (10 frames of 10, the state carried between frames in
/// history images) on a 128² terrain, ground plus suspended sediment stays within 1e-4 of its
/// total at generation (relative), water is never negative, and erosion changed the ground
/// (some texel moved by more than 1e-3, sediment is suspended somewhere).
#[test]
fn erosion_keeps_ground_and_sediment_and_water_never_goes_negative() {
    let Some(ctx) = context("erosion") else { return };
    let mut ex = Executor::new(&ctx).expect("executor");
    let noise = TerrainNoise { side: 128, octaves: 6, base_shift: 6, seed: 5 };
    let frame = TerrainFrame {
        noise,
        params: ErosionParams::default(),
        iterations: 10,
        hydraulic: true,
        fresh: true,
    };
    let generated: Vec<f32> = (0..128 * 128).map(|i| height_at(i % 128, i / 128, &noise)).collect();
    let start = total(&generated);
    let states = run_terrain(&mut ex, &frame, 11);
    let mut worst = 0.0f64;
    for (k, [height, water, sediment]) in states.iter().enumerate() {
        let drift = (total(height) + total(sediment) - start).abs() / start;
        worst = worst.max(drift);
        assert!(drift <= 1e-4, "frame {k}: ground + sediment drifted by {drift:e} of the total");
        let low = water.iter().copied().fold(f32::MAX, f32::min);
        assert!(low >= 0.0, "frame {k}: water {low}");
    }
    let [height, _, sediment] = &states[10];
    let moved = height.iter().zip(&generated).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
    let suspended = sediment.iter().copied().fold(0.0f32, f32::max);
    eprintln!("erosion: largest drift {worst:e} of the total; ground moved up to {moved}; sediment up to {suspended}");
    assert!(moved > 1e-3 && suspended > 0.0, "erosion must change the terrain");
    drop(ex);
    assert_clean(&ctx, "erosion");
}

/// Checks: thermal erosion alone, 1600 steps (16 frames of 100) on a rough 32² terrain, leaves no pair of
/// neighbours differing by more than the talus step (plus 1e-4), and keeps the ground's total
/// within 1e-5 (relative).
#[test]
fn thermal_erosion_ends_below_the_talus_step() {
    let Some(ctx) = context("thermal") else { return };
    let mut ex = Executor::new(&ctx).expect("executor");
    const SIDE: usize = 32;
    let noise = TerrainNoise { side: SIDE as u32, octaves: 5, base_shift: 4, seed: 9 };
    let params = ErosionParams { talus: 0.01, thermal: 0.12, ..ErosionParams::default() };
    let frame = TerrainFrame { noise, params, iterations: 100, hydraulic: false, fresh: true };
    let generated: Vec<f32> =
        (0..SIDE * SIDE).map(|i| height_at((i % SIDE) as u32, (i / SIDE) as u32, &noise)).collect();
    let steep = |h: &[f32]| {
        let mut m = 0.0f32;
        for y in 0..SIDE {
            for x in 0..SIDE {
                let c = h[y * SIDE + x];
                if x + 1 < SIDE {
                    m = m.max((c - h[y * SIDE + x + 1]).abs());
                }
                if y + 1 < SIDE {
                    m = m.max((c - h[(y + 1) * SIDE + x]).abs());
                }
            }
        }
        m
    };
    assert!(steep(&generated) > 0.05, "the terrain must start steeper than the talus step");
    let states = run_terrain(&mut ex, &frame, 16);
    let [height, _, _] = &states[15];
    let drift = (total(height) - total(&generated)).abs() / total(&generated);
    eprintln!("thermal: steepest step {} -> {}, drift {drift:e}", steep(&generated), steep(height));
    assert!(steep(height) <= params.talus + 1e-4, "steepest step {}", steep(height));
    assert!(drift <= 1e-5, "ground drifted by {drift:e}");
    drop(ex);
    assert_clean(&ctx, "thermal");
}

//! The cost of the terrain and physics passes: one erosion step on 1024² and 2048² grids, and
//! one physics step (broad phase and step) at 100k and 1M particles.
//!
//! It prints, for each, the median GPU time per pass from the executor's timestamps (the
//! figures to report on a real GPU) and the wall clock of a frame of only those passes from
//! submission to idle (the regression guard on lavapipe, whose timestamps do not bound a pass).
//!
//! Run with `cargo bench -p rg-benches --bench terrain` (`RG_TERRAIN_FRAMES`, default 5;
//! `RG_TERRAIN_SIZES=256,1024`, `RG_PARTICLES=10000,100000` choose the sizes).

use glam::Vec3;
use rg_core::{BufferDesc, Compiler, Extent, Graph, QueueKind, ResourceState};
use rg_passes::physics::{self, BroadPhase, Particle, PhysicsStep};
use rg_passes::terrain::{ErosionParams, TerrainFrame, TerrainNoise};
use rg_vulkan::{Bindings, Config, Context, Executor, MemoryUse, Pass};
use std::collections::BTreeMap;
use std::time::Instant;

use rg_benches::median;

fn list(var: &str, default: &[u32]) -> Vec<u32> {
    std::env::var(var)
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| default.to_vec())
}

/// Runs `frames` + 2 frames of `build`, returning the median wall clock and the median GPU time
/// of each pass label (summed over passes that share a label).
fn measure(
    ex: &mut Executor,
    frames: u32,
    mut build: impl FnMut(&mut Graph<Pass>, u32) -> Bindings,
) -> (f64, BTreeMap<String, f64>) {
    let mut compiler = Compiler::new();
    let (mut walls, mut passes) = (Vec::new(), BTreeMap::<String, Vec<f64>>::new());
    for f in 0..frames + 2 {
        let mut g: Graph<Pass> = Graph::new(Extent::new(1, 1));
        let bindings = build(&mut g, f);
        let compiled = compiler.compile_frame(g, ex.memory()).expect("compile");
        ex.wait_idle().expect("idle");
        let start = Instant::now();
        ex.run(compiled, &bindings).expect("frame");
        ex.wait_idle().expect("idle");
        if f >= 2 {
            walls.push(start.elapsed().as_secs_f64());
        }
        for frame in ex.take_gpu_frames() {
            if frame.frame >= 2 {
                let mut sums = BTreeMap::<String, f64>::new();
                for (label, ns) in frame.passes {
                    *sums.entry(label.to_string()).or_default() += ns;
                }
                for (k, v) in sums {
                    passes.entry(k).or_default().push(v);
                }
            }
        }
    }
    (median(walls), passes.into_iter().map(|(k, v)| (k, median(v))).collect())
}

fn main() {
    let frames: u32 =
        std::env::var("RG_TERRAIN_FRAMES").ok().and_then(|s| s.parse().ok()).unwrap_or(5);
    let ctx = match Context::new(&Config::default()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("terrain: no Vulkan device: {e}");
            return;
        }
    };
    println!("terrain: {}, {frames} frames measured after 2", ctx.capabilities.device_name);
    println!("| work | frame, wall clock | per pass (GPU timestamps) |");
    println!("| --- | ---: | --- |");
    for side in list("RG_TERRAIN_SIZES", &[1024, 2048]) {
        let mut ex = Executor::new(&ctx).expect("executor");
        let noise = TerrainNoise { side, octaves: 8, base_shift: 9.min(side.ilog2()), seed: 1 };
        let (wall, passes) = measure(&mut ex, frames, |g, f| {
            let step = TerrainFrame {
                noise,
                params: ErosionParams::default(),
                iterations: 1,
                hydraulic: true,
                fresh: f == 0,
            };
            step.add(g);
            Bindings::new()
        });
        let per: Vec<String> = passes
            .iter()
            .filter(|(k, _)| k.starts_with("erosion."))
            .map(|(k, v)| format!("{k} {:.1} µs", v / 1000.0))
            .collect();
        println!("| one erosion step, {side}² | {:.2} ms | {} |", wall * 1e3, per.join(", "));
    }
    for n in list("RG_PARTICLES", &[100_000, 1_000_000]) {
        let mut ex = Executor::new(&ctx).expect("executor");
        let side = (n as f32).cbrt().ceil() as u32;
        let particles: Vec<Particle> = (0..n)
            .map(|k| Particle {
                position: Vec3::new(
                    (k % side) as f32,
                    ((k / side) % side) as f32,
                    (k / (side * side)) as f32,
                ) * 0.19,
                radius: 0.1,
                velocity: Vec3::ZERO,
            })
            .collect();
        let bytes = physics::particle_bytes(&particles);
        let state =
            ex.create_buffer("particles", bytes.len() as u64, MemoryUse::Upload).expect("buffer");
        ex.write_buffer(state, &bytes).expect("write");
        let size = bytes.len() as u64;
        let (wall, passes) = measure(&mut ex, frames, |g, _| {
            let written = ResourceState::host_written(QueueKind::Graphics);
            let p = g.import_buffer("particles", BufferDesc::new(size), written, written);
            let step = PhysicsStep {
                dt: 1.0 / 240.0,
                stiffness: 4000.0,
                damping: 20.0,
                friction: 2.0,
                gravity: 9.81,
                terrain: None,
            };
            let p = step.add(g, p, n, BroadPhase::for_particles(n, 0.1));
            Bindings::new().buffer(p, state)
        });
        let per: Vec<String> = passes
            .iter()
            .filter(|(k, _)| k.starts_with("physics."))
            .map(|(k, v)| format!("{k} {:.1} µs", v / 1000.0))
            .collect();
        println!("| one physics step, {n} particles | {:.2} ms | {} |", wall * 1e3, per.join(", "));
    }
}

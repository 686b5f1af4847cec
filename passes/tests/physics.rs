//! The particle broad phase against a brute-force test of every pair, on lavapipe with
//! validation and synchronization validation on.

mod common;

use common::{assert_clean, context};
use glam::Vec3;
use rg_core::{Access, BufferDesc, Compiler, Extent, Graph, QueueKind, ResourceState};
use rg_passes::physics::{self, BroadPhase, Particle};
use rg_passes::scene::hash;
use rg_vulkan::{Bindings, Executor, MemoryUse, Pass};

fn words(b: &[u8]) -> Vec<u32> {
    b.chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
}

/// What the broad phase left: keys, starts, sorted indices, contacts (4 words a particle).
struct Found {
    keys: Vec<u32>,
    starts: Vec<u32>,
    sorted: Vec<u32>,
    contacts: Vec<u32>,
}

fn broad_phase(ex: &mut Executor, particles: &[Particle], phase: BroadPhase) -> Found {
    let n = particles.len() as u32;
    let bytes = physics::particle_bytes(particles);
    let upload =
        ex.create_buffer("particles", bytes.len() as u64, MemoryUse::Upload).expect("buffer");
    ex.write_buffer(upload, &bytes).expect("write");
    let mut g: Graph<Pass> = Graph::new(Extent::new(1, 1));
    let written = ResourceState::host_written(QueueKind::Graphics);
    let input = g.import_buffer("particles", BufferDesc::new(bytes.len() as u64), written, written);
    let out = BroadPhase { contacts: true, ..phase }.add(&mut g, input, n);
    let host = ResourceState::host_read(QueueKind::Graphics);
    let slots = phase.slots.next_power_of_two() as u64;
    let sizes = [n as u64 * 4, (slots + 1) * 4, n as u64 * 4, n as u64 * 16];
    let mut reads = Vec::new();
    let mut bindings = Bindings::new().buffer(input, upload);
    for (k, (src, size)) in [out.keys, out.starts, out.sorted, out.contacts.expect("contacts")]
        .into_iter()
        .zip(sizes)
        .enumerate()
    {
        let dst = g.import_buffer(&format!("read.{k}"), BufferDesc::new(size), host, host);
        let mut p = g.add_pass(&format!("read.{k}"), QueueKind::Graphics);
        p.read(src, Access::CopySrc);
        let dst = p.write(dst, Access::CopyDst);
        p.record(Box::new(move |r| r.copy_buffer(src, dst, Some(size))));
        let b = ex.create_buffer(&format!("read.{k}"), size, MemoryUse::Readback).expect("buffer");
        bindings = bindings.buffer(dst, b);
        reads.push(b);
    }
    let frame = Compiler::new().compile_frame(g, ex.memory()).expect("compile");
    ex.run(frame, &bindings).expect("frame");
    let data: Vec<Vec<u32>> =
        reads.iter().map(|&b| words(&ex.read_buffer(b).expect("read"))).collect();
    for b in reads {
        ex.destroy_buffer(b);
    }
    ex.destroy_buffer(upload);
    Found {
        keys: data[0].clone(),
        starts: data[1].clone(),
        sorted: data[2].clone(),
        contacts: data[3].clone(),
    }
}

/// `count` particles at multiples of 1/64 inside a cube of side `extent` centred at `centre`,
/// radii multiples of 1/64 between `r0` and `r1`: every distance and reach is exact in f32, so
/// the GPU's test and the brute force agree on every pair, ties included.
fn particles(
    count: usize,
    centre: Vec3,
    extent: f32,
    r0: f32,
    r1: f32,
    seed: u32,
) -> Vec<Particle> {
    let mut s = hash(seed);
    let mut next = move || {
        s = hash(s.wrapping_add(0x9e37_79b9));
        (s >> 8) as f32 / (1u32 << 24) as f32
    };
    let q = |v: f32| (v * 64.0).round() / 64.0;
    (0..count)
        .map(|_| Particle {
            position: Vec3::new(
                q(centre.x + (next() - 0.5) * extent),
                q(centre.y + (next() - 0.5) * extent),
                q(centre.z + (next() - 0.5) * extent),
            ),
            radius: q(r0 + (r1 - r0) * next()).max(1.0 / 64.0),
            velocity: Vec3::ZERO,
        })
        .collect()
}

/// Checks, for each case, that every particle's contacts equal those of a brute-force test of
/// every pair (count, sum of partners and a hash of them all), and that the sort is a
/// permutation of the particles whose slots come in order, each slot's particles in index order,
/// each in the slot its key names. Cases: spread out with mixed radii and negative coordinates,
/// everything in one cell, tiny and large radii mixed.
#[test]
fn the_broad_phase_finds_exactly_the_brute_force_pairs() {
    let Some(ctx) = context("broad_phase") else { return };
    let mut ex = Executor::new(&ctx).expect("executor");
    let cases = [
        (
            "spread, negative coordinates",
            particles(1500, Vec3::new(-6.0, -3.0, -9.0), 14.0, 0.05, 0.5, 1),
        ),
        ("all in one cell", particles(300, Vec3::new(0.4, 0.4, 0.4), 0.3, 0.02, 0.1, 2)),
        ("tiny and large mixed", {
            let mut p = particles(800, Vec3::new(-2.0, 1.0, 3.0), 10.0, 0.02, 0.06, 3);
            p.extend(particles(40, Vec3::new(-2.0, 1.0, 3.0), 10.0, 1.0, 2.0, 4));
            p
        }),
    ];
    for (name, ps) in cases {
        let max_r = ps.iter().map(|p| p.radius).fold(0.0, f32::max);
        let phase = BroadPhase::for_particles(ps.len() as u32, max_r);
        let found = broad_phase(&mut ex, &ps, phase);
        let n = ps.len();
        let mut pairs = 0;
        for i in 0..n {
            let (mut count, mut sum, mut mix) = (0u32, 0u32, 0u32);
            for j in 0..n {
                let d = ps[i].position - ps[j].position;
                let reach = ps[i].radius + ps[j].radius;
                if i != j && d.dot(d) < reach * reach {
                    count += 1;
                    sum = sum.wrapping_add(j as u32);
                    mix ^= physics::mix_index(j as u32);
                }
            }
            pairs += count as usize;
            let got = &found.contacts[i * 4..i * 4 + 3];
            assert_eq!(got, [count, sum, mix], "{name}: particle {i}'s contacts");
        }
        // The sort: a permutation, slots in order, index order within a slot.
        let mut seen = vec![false; n];
        for &i in &found.sorted {
            assert!(!seen[i as usize], "{name}: particle {i} sorted twice");
            seen[i as usize] = true;
        }
        let slots = phase.slots.next_power_of_two();
        assert_eq!(found.starts[slots as usize], n as u32, "{name}: the total");
        for s in 0..slots as usize {
            let range = &found.sorted[found.starts[s] as usize..found.starts[s + 1] as usize];
            assert!(range.windows(2).all(|w| w[0] < w[1]), "{name}: slot {s} in index order");
            for &i in range {
                assert_eq!(found.keys[i as usize], s as u32, "{name}: particle {i} in slot {s}");
                let key = physics::cell_key(ps[i as usize].position, phase.cell_size, slots - 1);
                assert_eq!(key, s as u32, "{name}: particle {i}'s key");
            }
        }
        eprintln!("broad phase, {name}: {n} particles, {} contacts", pairs / 2);
        assert!(pairs > 0, "{name}: the case must have contacts");
    }
    drop(ex);
    assert_clean(&ctx, "broad_phase");
}

/// Runs `frames` frames of `steps` physics steps each over `particles` (kept in an imported
/// buffer between frames), on an eroding terrain when `terrain` is set; returns the particles'
/// bytes and the last heightfield. Checks on the first frame's plan that the physics reads the
/// heightfield the erosion wrote in the same frame with nothing read back by the host between.
fn simulate(
    ex: &mut Executor,
    particles: &[Particle],
    frames: u32,
    steps: u32,
    terrain: bool,
) -> (Vec<u8>, Vec<f32>) {
    use rg_passes::physics::{PhysicsStep, TerrainPlacement};
    use rg_passes::terrain::{ErosionParams, TerrainFrame, TerrainNoise};
    let n = particles.len() as u32;
    let bytes = physics::particle_bytes(particles);
    let state =
        ex.create_buffer("particles", bytes.len() as u64, MemoryUse::Upload).expect("buffer");
    ex.write_buffer(state, &bytes).expect("write");
    let side = 64u32;
    let heights = ex
        .create_buffer("heights", side as u64 * side as u64 * 4, MemoryUse::Readback)
        .expect("buffer");
    let readback = ex
        .create_buffer("particles.readback", bytes.len() as u64, MemoryUse::Readback)
        .expect("buffer");
    let noise = TerrainNoise { side, octaves: 5, base_shift: 5, seed: 4 };
    let mut compiler = Compiler::new();
    for f in 0..frames {
        let mut g: Graph<Pass> = Graph::new(Extent::new(side, side));
        let written = ResourceState::host_written(QueueKind::Graphics);
        let mut particles_h =
            g.import_buffer("particles", BufferDesc::new(bytes.len() as u64), written, written);
        let placement = terrain.then(|| {
            let s = TerrainFrame {
                noise,
                params: ErosionParams::default(),
                iterations: 2,
                hydraulic: true,
                fresh: f == 0,
            }
            .add(&mut g);
            TerrainPlacement {
                height: s.height,
                corner: [-4.0, -4.0],
                size: 8.0,
                vertical: 0.5,
                texels: side,
            }
        });
        let step = PhysicsStep {
            dt: 1.0 / 240.0,
            stiffness: 4000.0,
            damping: 20.0,
            friction: 2.0,
            gravity: 9.81,
            terrain: placement,
        };
        let broad = BroadPhase::for_particles(n, 0.1);
        for _ in 0..steps {
            particles_h = step.add(&mut g, particles_h, n, broad);
        }
        let mut bindings = Bindings::new().buffer(particles_h, state);
        let rb = rg_vulkan::readback::add_readback;
        let host = ResourceState::host_read(QueueKind::Graphics);
        let out =
            g.import_buffer("particles.readback", BufferDesc::new(bytes.len() as u64), host, host);
        let mut p = g.add_pass("read particles", QueueKind::Graphics);
        p.read(particles_h, Access::CopySrc);
        let out = p.write(out, Access::CopyDst);
        let size = bytes.len() as u64;
        p.record(Box::new(move |r| r.copy_buffer(particles_h, out, Some(size))));
        bindings = bindings.buffer(out, readback);
        if let Some(t) = placement {
            let h = rb(&mut g, t.height, "heights", side as u64 * side as u64 * 4);
            bindings = bindings.buffer(h, heights);
        }
        let frame = compiler.compile_frame(g, ex.memory()).expect("compile");
        if f == 0 && terrain {
            // The physics reads the eroded heights in the same frame: every pass that reads the
            // heightfield comes after erosion's last write of it, and no pass before the last
            // physics step hands anything to the host.
            let plan = frame.plan();
            let order: Vec<&str> = plan.passes.iter().map(|p| &*p.label).collect();
            let last_erosion =
                order.iter().rposition(|l| l.starts_with("erosion.")).expect("erosion");
            let first_step = order.iter().position(|l| *l == "physics.step").expect("physics");
            let last_step = order.iter().rposition(|l| *l == "physics.step").expect("physics");
            assert!(last_erosion < first_step, "{order:?}");
            for pass in &plan.passes[..last_step] {
                assert!(
                    plan.accesses_of(pass).iter().all(|a| a.access != Access::HostRead),
                    "`{}` reads back for the host before the physics is done",
                    pass.label
                );
            }
        }
        ex.run(frame, &bindings).expect("frame");
    }
    let particles_out = ex.read_buffer(readback).expect("read");
    let heights_out = common::floats(&ex.read_buffer(heights).expect("read"));
    for b in [state, heights, readback] {
        ex.destroy_buffer(b);
    }
    (particles_out, heights_out)
}

/// A pile of particles dropped over the middle of the field.
fn pile(count: usize) -> Vec<Particle> {
    (0..count)
        .map(|k| {
            let (x, y, z) = ((k % 8) as f32, (k / 64) as f32, ((k / 8) % 8) as f32);
            let jitter = (hash(k as u32) >> 8) as f32 / (1u32 << 24) as f32 * 0.02;
            Particle {
                position: Vec3::new(
                    -0.8 + x * 0.21 + jitter,
                    1.5 + y * 0.21,
                    -0.8 + z * 0.21 - jitter,
                ),
                radius: 0.08 + 0.02 * ((k % 3) as f32) / 2.0,
                velocity: Vec3::ZERO,
            }
        })
        .collect()
}

/// Checks: the same particles and steps give bit-identical particles in two runs of 200 steps
/// (10 frames of 20), with contacts between many of them.
#[test]
fn two_runs_of_200_steps_are_bit_identical() {
    let Some(ctx) = context("deterministic") else { return };
    let mut ex = Executor::new(&ctx).expect("executor");
    let ps = pile(320);
    let (a, _) = simulate(&mut ex, &ps, 10, 20, false);
    let (b, _) = simulate(&mut ex, &ps, 10, 20, false);
    assert!(a == b, "two runs differ");
    assert_ne!(a, physics::particle_bytes(&ps), "the particles moved");
    drop(ex);
    assert_clean(&ctx, "deterministic");
}

/// Checks: particles dropped on a terrain that erodes in the same frames (the physics reads
/// the eroded heightfield with no CPU round trip, checked on the plan) end on or above its
/// surface: every particle's bottom is at least the bilinear height under it, less 1e-3, after
/// 300 steps (10 frames of 30), with many of them resting on it.
#[test]
fn particles_never_end_below_the_terrain() {
    let Some(ctx) = context("on_terrain") else { return };
    let mut ex = Executor::new(&ctx).expect("executor");
    let ps = pile(256);
    let (bytes, heights) = simulate(&mut ex, &ps, 10, 30, true);
    let floats = common::floats(&bytes);
    let side = 64usize;
    let ground = |x: f32, z: f32| {
        let t = |v: f32| (v + 4.0) / 8.0 * side as f32 - 0.5;
        let (tx, tz) = (t(x), t(z));
        let (ix, iz) = (tx.floor(), tz.floor());
        let (fx, fz) = (tx - ix, tz - iz);
        let at = |i: f32, j: f32| {
            let (i, j) =
                ((i as i32).clamp(0, side as i32 - 1), (j as i32).clamp(0, side as i32 - 1));
            heights[j as usize * side + i as usize]
        };
        let a = at(ix, iz) + (at(ix + 1.0, iz) - at(ix, iz)) * fx;
        let b = at(ix, iz + 1.0) + (at(ix + 1.0, iz + 1.0) - at(ix, iz + 1.0)) * fx;
        (a + (b - a) * fz) * 0.5
    };
    let mut lowest = f32::MAX;
    for p in floats.chunks_exact(8) {
        let clearance = p[1] - p[3] - ground(p[0], p[2]);
        lowest = lowest.min(clearance);
        assert!(
            clearance >= -1e-3,
            "a particle at ({}, {}, {}) is {} below the terrain",
            p[0],
            p[1],
            p[2],
            -clearance
        );
    }
    let resting =
        floats.chunks_exact(8).filter(|p| p[1] - p[3] - ground(p[0], p[2]) < 0.02).count();
    eprintln!(
        "on terrain: lowest clearance {lowest}, {resting} of {} particles on the ground",
        floats.len() / 8
    );
    assert!(resting > 20, "the particles must land on the terrain");
    drop(ex);
    assert_clean(&ctx, "on_terrain");
}

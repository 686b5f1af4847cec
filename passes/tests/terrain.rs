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

/// Checks: the terrain drawn with CDLOD from a camera skimming its surface, moving across level
/// boundaries over eight frames, never shows the sentinel sky (a magenta that only the clear
/// gives) in the lower half of the picture, which the terrain covers; the picked nodes span
/// several levels.
#[test]
fn the_terrain_has_no_cracks_across_lod_boundaries() {
    use rg_passes::camera::Camera;
    use rg_passes::frame::SceneFrame;
    use rg_passes::scene::{Scene, SceneBuffers};
    use rg_passes::terrain_draw::{select, TerrainLayout};
    let Some(ctx) = context("cracks") else { return };
    let mut ex = Executor::new(&ctx).expect("executor");
    let mut scene = Scene::default();
    scene.add_mesh(&rg_passes::mesh::shapes::cube());
    let buffers = SceneBuffers::upload(&mut ex, &scene).expect("scene");
    let (w, h) = (192u32, 128u32);
    let output = ex.create_image("output", rg_core::Format::Rgba8Unorm, w, h).expect("image");
    let readback_buffer =
        ex.create_buffer("readback", (w * h * 4) as u64, MemoryUse::Readback).expect("buffer");
    let noise = TerrainNoise { side: 128, octaves: 6, base_shift: 6, seed: 2 };
    let layout = TerrainLayout {
        corner: [-64.0, -64.0],
        size: 128.0,
        vertical: 6.0,
        max_height: 2.0,
        texels: 128,
        quads: 8,
        levels: 5,
        range_factor: 8.0,
    };
    let mut compiler = Compiler::new();
    let mut levels = std::collections::BTreeSet::new();
    for f in 0..8u32 {
        let x = -50.0 + f as f32 * 8.1;
        // Just above the surface, looking ahead and a little down.
        let ground = height_at(((x + 64.0) / 128.0 * 128.0) as u32, 64, &noise) * 6.0;
        let eye = glam::Vec3::new(x, ground + 14.0, 0.3);
        let cam = Camera::look_at(eye, eye + glam::Vec3::new(1.0, -0.45, 0.2));
        levels.extend(select(&layout, eye).iter().map(|n| n.level));
        let mut g: Graph<Pass> = Graph::new(Extent::new(w, h));
        let s = TerrainFrame {
            noise,
            params: ErosionParams::default(),
            iterations: 0,
            hydraulic: false,
            fresh: f == 0,
        }
        .add(&mut g);
        let inputs = buffers.import(&mut g);
        let target = common::import_output(&mut g);
        let frame = SceneFrame {
            terrain: Some((s.height, layout)),
            clear: [1000.0, 0.0, 1000.0, 1.0],
            ..SceneFrame::new(cam.frame(w, h), &inputs, f > 0)
        };
        let out = frame.add(&mut g, inputs, target);
        let rb = readback::add_readback(&mut g, out.color, "readback", (w * h * 4) as u64);
        let compiled = compiler.compile_frame(g, ex.memory()).expect("compile");
        let bindings = buffers
            .bind(Bindings::new(), &inputs)
            .image(target, output)
            .buffer(rb, readback_buffer);
        ex.run(compiled, &bindings).expect("frame");
        let texels = ex.read_buffer(readback_buffer).expect("read");
        let holes = texels
            .chunks_exact(4)
            .enumerate()
            .filter(|(i, p)| (*i as u32 / w) >= h / 2 && p[0] == 255 && p[1] == 0 && p[2] == 255)
            .count();
        if holes > 0 {
            let at: Vec<(u32, u32)> = texels
                .chunks_exact(4)
                .enumerate()
                .filter(|(i, p)| {
                    (*i as u32 / w) >= h / 2 && p[0] == 255 && p[1] == 0 && p[2] == 255
                })
                .map(|(i, _)| (i as u32 % w, i as u32 / w))
                .collect();
            let path =
                std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("cracks-{f}.png"));
            readback::write_png(&path, w, h, rg_core::Format::Rgba8Unorm, &texels).expect("png");
            panic!(
                "frame {f}: {holes} sentinel pixels below the horizon at {at:?}; picture {}",
                path.display()
            );
        }
        let sky =
            texels.chunks_exact(4).filter(|p| p[0] == 255 && p[1] == 0 && p[2] == 255).count();
        assert!(sky < (w * h) as usize / 2, "frame {f}: the terrain must fill the lower half");
    }
    assert!(levels.len() >= 3, "the camera must see several levels: {levels:?}");
    drop(ex);
    assert_clean(&ctx, "cracks");
}

/// Checks: the terrain casts shadows. Two smooth mounds on a plain (a 64² heightfield uploaded
/// from the host, no instances) under a low sun, with cascaded shadows: for pixels over the image, whether the lighting pass found the
/// point in the sun's shadow (its visibility, in the HDR target's alpha, under a half) agrees
/// with a ray marched toward the sun over the CPU's heights (bilinear between texels), outside a
/// band around shadow edges (points whose neighbours on the tangent plane, three texels of
/// their cascade plus 0.3 away, disagree: the drawn surface is triangles, coarser far away) and
/// on surfaces turned almost away from the sun. At least 95 % of the lit points and 95 % of
/// the shadowed ones agree, with at least 40 of each. Without the terrain in the shadow map none of those would be dark.
#[test]
fn the_terrain_casts_shadows_where_a_cpu_ray_march_finds_them() {
    use glam::Vec3;
    use rg_passes::camera::Camera;
    use rg_passes::frame::SceneFrame;
    use rg_passes::scene::{Scene, SceneBuffers};
    use rg_passes::shadow::{self, CascadeSettings};
    use rg_passes::terrain_draw::TerrainLayout;
    let Some(ctx) = context("terrain_shadows") else { return };
    let mut ex = Executor::new(&ctx).expect("executor");
    let mut scene = Scene::default();
    scene.add_mesh(&rg_passes::mesh::shapes::cube());
    let buffers = SceneBuffers::upload(&mut ex, &scene).expect("scene");
    let (w, h) = (192u32, 128u32);
    let output = ex.create_image("output", rg_core::Format::Rgba8Unorm, w, h).expect("image");
    let bytes = (w * h * 16) as u64;
    let readback_buffer = ex.create_buffer("hdr", bytes, MemoryUse::Readback).expect("buffer");
    let layout = TerrainLayout {
        corner: [-32.0, -32.0],
        size: 64.0,
        vertical: 1.0,
        max_height: 2.0,
        texels: 64,
        quads: 16,
        levels: 3,
        range_factor: 8.0,
    };
    // Mounds of raised cosines on a plain at 1: (0, 0) 9 high, (-14, 10) 6 high.
    let mound = |x: f32, z: f32, cx: f32, cz: f32, r: f32, top: f32| {
        let d = ((x - cx).powi(2) + (z - cz).powi(2)).sqrt() / r;
        if d < 1.0 {
            top * 0.5 * (1.0 + (d * std::f32::consts::PI).cos())
        } else {
            0.0
        }
    };
    let heights: Vec<f32> = (0..64 * 64)
        .map(|i| {
            let (x, z) = ((i % 64) as f32 - 31.5, (i / 64) as f32 - 31.5);
            1.0 + mound(x, z, 0.0, 0.0, 8.0, 9.0) + mound(x, z, -14.0, 10.0, 6.0, 6.0)
        })
        .collect();
    let upload = ex.create_buffer("heights", 64 * 64 * 4, MemoryUse::Upload).expect("buffer");
    let height_bytes: Vec<u8> = heights.iter().flat_map(|h| h.to_le_bytes()).collect();
    ex.write_buffer(upload, &height_bytes).expect("write");
    let (lo, hi) = heights.iter().fold((f32::MAX, f32::MIN), |(a, b), &v| (a.min(v), b.max(v)));
    eprintln!("terrain shadows: heights from {lo} to {hi}");
    // The CPU's surface: bilinear between texel centres, clamped at the edges, as drawn.
    let ground = |x: f32, z: f32| {
        let t = |v: f32| (v + 32.0) - 0.5;
        let (tx, tz) = (t(x), t(z));
        let (ix, iz) = (tx.floor(), tz.floor());
        let (fx, fz) = (tx - ix, tz - iz);
        let at = |i: f32, j: f32| {
            heights[j.clamp(0.0, 63.0) as usize * 64 + i.clamp(0.0, 63.0) as usize]
        };
        let a = at(ix, iz) + (at(ix + 1.0, iz) - at(ix, iz)) * fx;
        let b = at(ix, iz + 1.0) + (at(ix + 1.0, iz + 1.0) - at(ix, iz + 1.0)) * fx;
        a + (b - a) * fz
    };
    // The first point where a ray from `o` along `d` goes below the surface, by steps of 0.1
    // then bisection; none past `far` or above the highest hill.
    let march = |o: Vec3, d: Vec3, far: f32| {
        let below = |t: f32| {
            let p = o + d * t;
            p.y < ground(p.x, p.z)
        };
        let mut t = 0.0;
        while t < far && !(d.y >= 0.0 && (o + d * t).y > hi) {
            let next = t + 0.1;
            if below(next) {
                let (mut a, mut b) = (t, next);
                for _ in 0..20 {
                    let m = 0.5 * (a + b);
                    if below(m) {
                        b = m
                    } else {
                        a = m
                    }
                }
                return Some(o + d * b);
            }
            t = next;
        }
        None
    };
    let normal_at = |p: Vec3| {
        let e = 0.5;
        let sx = (ground(p.x + e, p.z) - ground(p.x - e, p.z)) / (2.0 * e);
        let sz = (ground(p.x, p.z + e) - ground(p.x, p.z - e)) / (2.0 * e);
        Vec3::new(-sx, 1.0, -sz).normalize()
    };
    let sun = Vec3::new(0.8, 0.45, 0.35).normalize();
    let settings =
        CascadeSettings { resolution: 1024, distance: 80.0, reach: 60.0, ..Default::default() };
    let eye = Vec3::new(-24.0, 22.0, 22.0);
    let cam = Camera::look_at(eye, Vec3::new(-6.0, 0.0, 0.0));
    let mut compiler = Compiler::new();
    let mut hdr = Vec::new();
    for f in 0..2u32 {
        let mut g: Graph<Pass> = Graph::new(Extent::new(w, h));
        let written = rg_core::ResourceState::host_written(rg_core::QueueKind::Graphics);
        let source =
            g.import_buffer("heights", rg_core::BufferDesc::new(64 * 64 * 4), written, written);
        let desc =
            rg_core::ImageDesc::new(rg_core::Format::R32Float, rg_core::Size::absolute(64, 64));
        let height = g.create_image("heights", desc);
        let mut p = g.add_pass("heights.upload", rg_core::QueueKind::Graphics);
        p.read(source, rg_core::Access::CopySrc);
        let height = p.write(height, rg_core::Access::CopyDst);
        p.record(Box::new(move |r| r.copy_buffer_to_image(source, height)));
        let inputs = buffers.import(&mut g);
        let target = common::import_output(&mut g);
        let frame = SceneFrame {
            terrain: Some((height, layout)),
            shadows: Some(settings),
            sun,
            hdr: rg_core::Format::Rgba32Float,
            ..SceneFrame::new(cam.frame(w, h), &inputs, f > 0)
        };
        let out = frame.add(&mut g, inputs, target);
        let rb = readback::add_readback(&mut g, out.hdr, "hdr", bytes);
        let compiled = compiler.compile_frame(g, ex.memory()).expect("compile");
        let bindings = buffers
            .bind(Bindings::new(), &inputs)
            .image(target, output)
            .buffer(source, upload)
            .buffer(rb, readback_buffer);
        ex.run(compiled, &bindings).expect("frame");
        hdr = floats(&ex.read_buffer(readback_buffer).expect("read"));
    }
    // The sun's visibility as a picture, for a look when this fails.
    let picture: Vec<u8> = hdr
        .chunks_exact(4)
        .flat_map(|p| {
            let v = (p[3].clamp(0.0, 1.0) * 200.0) as u8 + (p[1].min(1.0) * 55.0) as u8;
            [v, v, v, 255]
        })
        .collect();
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("terrain-shadows.png");
    readback::write_png(&path, w, h, rg_core::Format::Rgba8Unorm, &picture).expect("png");
    let view = cam.frame(w, h);
    let cascades = shadow::cascades(&cam, view.aspect(), sun, &settings);
    let inv = view.view.inverse();
    // Agreeing and all points, lit and in shadow by the CPU's march.
    let (mut agree, mut all) = ([0; 2], [0; 2]);
    let mut skipped = [0; 3];
    for y in (0..h).step_by(2) {
        for x in (0..w).step_by(2) {
            let ndc =
                (2.0 * (x as f32 + 0.5) / w as f32 - 1.0, 2.0 * (y as f32 + 0.5) / h as f32 - 1.0);
            let d = Vec3::new(ndc.0 / view.p00, -ndc.1 / view.p11, -1.0);
            let dir = inv.transform_vector3(d).normalize();
            let Some(p) = march(view.position, dir, 150.0) else { continue };
            let inside = p.x.abs() < 31.0 && p.z.abs() < 31.0;
            let distance = (p - view.position).dot(view.forward);
            let Some(cascade) = cascades.iter().find(|c| distance <= c.far) else { continue };
            let n = normal_at(p);
            if !inside || n.dot(sun) < 0.2 {
                skipped[usize::from(inside)] += 1;
                continue;
            }
            let shadowed = |q: Vec3| march(q + n * 0.05, sun, 80.0).is_some();
            let centre = shadowed(p);
            let band = 3.0 * cascade.texel + 0.3;
            let t1 = n.any_orthonormal_vector();
            let edge = [t1, n.cross(t1)]
                .iter()
                .flat_map(|a| [*a * band, -*a * band])
                .any(|o| shadowed(p + o) != centre);
            if edge {
                skipped[2] += 1;
                continue;
            }
            let gpu = hdr[4 * (y * w + x) as usize + 3] < 0.5;
            all[usize::from(centre)] += 1;
            agree[usize::from(centre)] += usize::from(gpu == centre);
        }
    }
    let share = |k: usize| agree[k] as f64 / all[k].max(1) as f64 * 100.0;
    eprintln!(
        "terrain shadows: {} of {} lit points agree ({:.1}%), {} of {} in the mounds' shadows \
         ({:.1}%); skipped: {} off the terrain, {} turned from the sun, {} near an edge",
        agree[0],
        all[0],
        share(0),
        agree[1],
        all[1],
        share(1),
        skipped[0],
        skipped[1],
        skipped[2]
    );
    assert!(all[0] >= 40 && all[1] >= 40, "too few points to judge: {all:?}");
    assert!(share(0) >= 95.0 && share(1) >= 95.0, "too few agree: {agree:?} of {all:?}");
    ex.destroy_buffer(readback_buffer);
    ex.destroy_buffer(upload);
    drop(ex);
    assert_clean(&ctx, "terrain_shadows");
}

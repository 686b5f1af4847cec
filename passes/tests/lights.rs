//! Clustered lights against their float64 CPU reference, on lavapipe with validation and
//! synchronization validation on.

mod common;

use common::{assert_clean, context};
use glam::Vec3;
use rg_core::{
    Access, BufferDesc, BufferHandle, Compiler, Extent, Graph, QueueKind, ResourceState,
};
use rg_passes::camera::Camera;
use rg_passes::lights::{self, ClusterGrid, ClusterLights, LightBuffers, PointLight};
use rg_passes::reference;
use rg_vulkan::{Bindings, Executor, MemoryUse, Pass};

/// What one clustering frame left: the lights as moved, each cluster's list, the overflow.
struct Clustered {
    lights: Vec<(Vec3, f32)>,
    lists: Vec<Vec<u32>>,
    overflow: [u32; 2],
}

fn words(b: &[u8]) -> Vec<u32> {
    b.chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
}

/// Uploads `lights`, runs `lights.animate`, `lights.reset` and `lights.cluster` for `camera` at
/// `time`, and reads back what they wrote.
fn cluster(
    ex: &mut Executor,
    lights: &[PointLight],
    camera: &Camera,
    grid: ClusterGrid,
    time: f32,
) -> Clustered {
    let (w, h) = (320, 180);
    let buffers = LightBuffers::upload(ex, lights).expect("upload");
    let mut g: Graph<Pass> = Graph::new(Extent::new(w, h));
    let input = buffers.import(&mut g);
    let out = ClusterLights { view: camera.frame(w, h), grid, time }.add(&mut g, input);
    let host = ResourceState::host_read(QueueKind::Graphics);
    let sizes = [
        lights.len().max(1) as u64 * lights::LIGHT_BYTES,
        grid.clusters() as u64 * 4,
        grid.clusters() as u64 * grid.budget as u64 * 4,
        8,
    ];
    let mut reads: Vec<(BufferHandle, rg_vulkan::Buffer)> = Vec::new();
    for (k, (src, bytes)) in
        [out.lights, out.counts, out.items, out.overflow].into_iter().zip(sizes).enumerate()
    {
        let dst = g.import_buffer(&format!("read.{k}"), BufferDesc::new(bytes), host, host);
        let mut p = g.add_pass(&format!("read.{k}"), QueueKind::Graphics);
        p.read(src, Access::CopySrc);
        let dst = p.write(dst, Access::CopyDst);
        p.record(Box::new(move |r| r.copy_buffer(src, dst, Some(bytes))));
        reads.push((
            dst,
            ex.create_buffer(&format!("read.{k}"), bytes, MemoryUse::Readback).expect("buffer"),
        ));
    }
    let mut bindings = buffers.bind(Bindings::new(), &input);
    for &(h, b) in &reads {
        bindings = bindings.buffer(h, b);
    }
    let frame = Compiler::new().compile_frame(g, ex.memory()).expect("compile");
    ex.run(frame, &bindings).expect("frame");
    let data: Vec<Vec<u8>> = reads.iter().map(|&(_, b)| ex.read_buffer(b).expect("read")).collect();
    for (_, b) in reads {
        ex.destroy_buffer(b);
    }
    ex.destroy_buffer(buffers.base);
    let floats: Vec<f32> =
        data[0].chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
    let moved = floats
        .chunks_exact(8)
        .take(lights.len())
        .map(|l| (Vec3::new(l[0], l[1], l[2]), l[3]))
        .collect();
    let (counts, items) = (words(&data[1]), words(&data[2]));
    let b = grid.budget as usize;
    let lists = counts
        .iter()
        .enumerate()
        .map(|(c, &n)| items[c * b..c * b + n as usize].to_vec())
        .collect();
    let o = words(&data[3]);
    Clustered { lights: moved, lists, overflow: [o[0], o[1]] }
}

/// Checks: for 600 moving lights and a camera over them, every cluster's list holds every
/// light a float64 test of its sphere against the cluster's box finds (no misses), in light
/// order; a light listed beyond that is within the stated band of the box (counted); the lights
/// were moved as `PointLight::at` says.
#[test]
fn every_cluster_lists_every_light_the_float64_test_finds() {
    let Some(ctx) = context("clusters") else { return };
    let mut ex = Executor::new(&ctx).expect("executor");
    let lights = lights::procedural(600, 40.0, 3);
    let camera = Camera::look_at(Vec3::new(-12.0, 7.0, 16.0), Vec3::new(4.0, 0.0, -4.0));
    let grid = ClusterGrid { budget: 600, far: 60.0, ..ClusterGrid::default() };
    let got = cluster(&mut ex, &lights, &camera, grid, 1.5);
    for (l, (p, r)) in lights.iter().zip(&got.lights) {
        assert!((l.at(1.5) - *p).length() < 1e-4 && l.radius == *r, "light moved as specified");
    }
    let view = camera.frame(320, 180);
    let want = reference::cluster_lists(&view, &grid, &got.lights);
    let (mut listed, mut extras, mut busy) = (0, 0, 0);
    for (c, (gpu, cpu)) in got.lists.iter().zip(&want).enumerate() {
        assert!(gpu.windows(2).all(|w| w[0] < w[1]), "cluster {c}: lights in order");
        for i in cpu {
            assert!(gpu.contains(i), "cluster {c}: light {i} is missing (listed: {gpu:?})");
        }
        for i in gpu.iter().filter(|i| !cpu.contains(i)) {
            let (p, r) = got.lights[*i as usize];
            let band = reference::cluster_band(&view, p, r);
            let wider = reference::cluster_lists(&view, &grid, &[(p, r + band as f32)]);
            assert!(wider[c].contains(&0), "cluster {c}: light {i} listed beyond the band");
            extras += 1;
        }
        listed += gpu.len();
        busy += usize::from(!gpu.is_empty());
    }
    eprintln!(
        "clusters: {listed} entries in {busy} of {} clusters, {extras} extras within the band",
        grid.clusters()
    );
    assert!(busy > 300 && listed > 3000, "the test must exercise the grid");
    assert_eq!(got.overflow, [0, 0]);
    drop(ex);
    assert_clean(&ctx, "clusters");
}

/// Checks: 4096 lights at one point, all in the same few clusters, with a budget of 64: each
/// such cluster keeps exactly its first 64 lights in light order, the dropped ones and the
/// clusters over budget are counted, and every other cluster's list is what the reference says
/// (empty), untouched by the crowd.
#[test]
fn a_crowded_cluster_keeps_its_first_lights_and_counts_the_rest() {
    let Some(ctx) = context("crowded") else { return };
    let mut ex = Executor::new(&ctx).expect("executor");
    let spot = Vec3::new(0.0, 0.5, -10.0);
    let lights: Vec<PointLight> = (0..4096)
        .map(|i| PointLight {
            position: spot,
            radius: 0.05,
            color: Vec3::ONE,
            circle: 0.0,
            speed: 0.0,
            phase: i as f32,
        })
        .collect();
    let camera = Camera::look_at(Vec3::new(0.0, 0.5, 0.0), spot);
    let grid = ClusterGrid { budget: 64, far: 60.0, ..ClusterGrid::default() };
    let got = cluster(&mut ex, &lights, &camera, grid, 0.0);
    let want = reference::cluster_lists(&camera.frame(320, 180), &grid, &got.lights);
    let crowded: Vec<usize> =
        want.iter().enumerate().filter(|(_, l)| !l.is_empty()).map(|(c, _)| c).collect();
    assert!(!crowded.is_empty() && crowded.len() <= 8, "{} clusters hold the crowd", crowded.len());
    for (c, (gpu, cpu)) in got.lists.iter().zip(&want).enumerate() {
        if cpu.is_empty() {
            assert!(gpu.is_empty(), "cluster {c} is not crowded but lists {}", gpu.len());
        } else {
            assert_eq!(cpu.len(), 4096);
            assert_eq!(*gpu, (0..64).collect::<Vec<u32>>(), "cluster {c}: its first 64 lights");
        }
    }
    assert_eq!(got.overflow, [(4096 - 64) * crowded.len() as u32, crowded.len() as u32]);
    drop(ex);
    assert_clean(&ctx, "crowded");
}

/// Checks: a scene lit by 500 moving point lights (and the sun) shades the same from the
/// cluster lists as from every light, within 1e-4 at every channel of every pixel of an
/// Rgba32Float HDR target: one frame, one G-buffer, lit three times (from the lists, from every
/// light, with no point lights), so the light loop is the only difference; the lights add
/// visible light (the last image differs from the first).
#[test]
fn clustered_shading_equals_shading_with_every_light() {
    use rg_passes::frame::SceneFrame;
    use rg_passes::lighting::{DeferredLighting, DeferredLightingIn};
    use rg_passes::scene::{Scene, SceneBuffers};
    let Some(ctx) = context("clustered_shading") else { return };
    let mut ex = Executor::new(&ctx).expect("executor");
    let scene = Scene::procedural(150, 8);
    let extent = Scene::field_extent(150);
    let (w, h) = (160u32, 96u32);
    let cam = Camera::look_at(Vec3::new(-8.0, 5.0, 10.0), Vec3::new(3.0, 0.0, -3.0));
    let list = lights::procedural(500, extent, 4);
    let grid = ClusterGrid { budget: 500, far: 50.0, ..ClusterGrid::default() };
    let scene_buffers = SceneBuffers::upload(&mut ex, &scene).expect("scene");
    let light_buffers = LightBuffers::upload(&mut ex, &list).expect("lights");
    let output = ex.create_image("output", rg_core::Format::Rgba8Unorm, w, h).expect("output");
    let bytes = w as u64 * h as u64 * 16;
    let reads: Vec<_> = (0..3)
        .map(|k| ex.create_buffer(&format!("hdr.{k}"), bytes, MemoryUse::Readback).expect("buffer"))
        .collect();
    let mut compiler = Compiler::new();
    let mut images = Vec::new();
    // Two frames: the second draws everything visible in the early phase.
    for frame in 0..2 {
        let mut g: Graph<Pass> = Graph::new(Extent::new(w, h));
        let inputs = scene_buffers.import(&mut g);
        let light_in = light_buffers.import(&mut g);
        let target = common::import_output(&mut g);
        let view = cam.frame(w, h);
        let params = SceneFrame {
            lights: Some((light_in, grid, 0.5)),
            hdr: rg_core::Format::Rgba32Float,
            ..SceneFrame::new(view, &inputs, frame > 0)
        };
        let out = params.add(&mut g, inputs, target);
        let lighting = |brute_force_lights| DeferredLighting {
            view,
            sun: params.sun,
            ambient: 0.25,
            sky: [params.clear[0], params.clear[1], params.clear[2]],
            format: rg_core::Format::Rgba32Float,
            brute_force_lights,
        };
        let brute = lighting(true).add(
            &mut g,
            DeferredLightingIn { gbuffer: out.gbuffer, shadows: None, lights: out.lights },
        );
        let unlit = lighting(false)
            .add(&mut g, DeferredLightingIn { gbuffer: out.gbuffer, shadows: None, lights: None });
        let last = rg_vulkan::readback::add_readback(
            &mut g,
            out.color,
            "output.readback",
            w as u64 * h as u64 * 4,
        );
        let sink = ex
            .create_buffer("output.readback", w as u64 * h as u64 * 4, MemoryUse::Readback)
            .expect("sink");
        let mut bindings =
            scene_buffers.bind(Bindings::new(), &inputs).image(target, output).buffer(last, sink);
        bindings = light_buffers.bind(bindings, &light_in);
        for (k, image) in [out.hdr, brute, unlit].into_iter().enumerate() {
            let rb = rg_vulkan::readback::add_readback(&mut g, image, &format!("hdr.{k}"), bytes);
            bindings = bindings.buffer(rb, reads[k]);
        }
        let compiled = compiler.compile_frame(g, ex.memory()).expect("compile");
        ex.run(compiled, &bindings).expect("frame");
        ex.wait_idle().expect("idle");
        ex.destroy_buffer(sink);
        if frame == 1 {
            for &b in &reads {
                images.push(common::floats(&ex.read_buffer(b).expect("read")));
            }
        }
    }
    // Compare colour only: the alpha holds the sun's visibility, the same in all three.
    let rgb =
        |v: &[f32]| -> Vec<f32> { v.chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]).collect() };
    let (clustered, brute, unlit) = (rgb(&images[0]), rgb(&images[1]), rgb(&images[2]));
    let worst = clustered.iter().zip(&brute).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
    assert!(worst <= 1e-4, "clustered and brute-force shading differ by {worst}");
    let lit = clustered.iter().zip(&unlit).filter(|(a, b)| (*a - *b).abs() > 0.01).count();
    eprintln!("clustered shading: largest difference {worst}, {lit} channels lit by point lights");
    assert!(lit > (w * h) as usize / 20, "the lights must light part of the image: {lit}");
    drop(ex);
    assert_clean(&ctx, "clustered_shading");
}

/// Checks: a grid with no tiles is refused when the frame compiles (its count buffer would
/// have no bytes), and one with a budget of zero fails the frame with an error naming the pass
/// and the grid, rather than reaching the GPU.
#[test]
fn an_empty_grid_is_an_error() {
    let Some(ctx) = context("empty_grid") else { return };
    let mut ex = Executor::new(&ctx).expect("executor");
    let buffers = LightBuffers::upload(&mut ex, &lights::procedural(10, 10.0, 1)).expect("upload");
    let cam = Camera::look_at(Vec3::new(0.0, 2.0, 5.0), Vec3::ZERO);
    for (grid, compiles) in [
        (ClusterGrid { tiles_x: 0, ..ClusterGrid::default() }, false),
        (ClusterGrid { budget: 0, ..ClusterGrid::default() }, true),
    ] {
        let mut g: Graph<Pass> = Graph::new(Extent::new(64, 64));
        let input = buffers.import(&mut g);
        let out = ClusterLights { view: cam.frame(64, 64), grid, time: 0.0 }.add(&mut g, input);
        g.export(out.counts);
        match Compiler::new().compile_frame(g, ex.memory()) {
            Err(e) => {
                assert!(!compiles, "{grid:?}: {e}");
                assert!(e.to_string().contains("lights.counts"), "{e}");
            }
            Ok(frame) => {
                assert!(compiles, "{grid:?} compiled");
                let e = ex.run(frame, &buffers.bind(Bindings::new(), &input)).expect_err("refused");
                assert!(
                    e.to_string().contains("lights.cluster")
                        && e.to_string().contains("zero count"),
                    "{e}"
                );
            }
        }
    }
    ex.wait_idle().expect("idle");
    drop(ex);
    assert_clean(&ctx, "empty_grid");
}

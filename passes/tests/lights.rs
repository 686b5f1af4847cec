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
/// cluster lists as from every light, within 1e-4 at every channel of every pixel of the
/// Rgba32Float HDR target, over two frames; the lights add visible light (the images with and
/// without them differ).
#[test]
fn clustered_shading_equals_shading_with_every_light() {
    let Some(ctx) = context("clustered_shading") else { return };
    let scene = rg_passes::scene::Scene::procedural(150, 8);
    let extent = rg_passes::scene::Scene::field_extent(150);
    let (w, h) = (160, 96);
    let cam = Camera::look_at(Vec3::new(-8.0, 5.0, 10.0), Vec3::new(3.0, 0.0, -3.0));
    let lights = lights::procedural(500, extent, 4);
    let grid = ClusterGrid { budget: 500, far: 50.0, ..ClusterGrid::default() };
    let mut images = Vec::new();
    for (brute_force_lights, lit) in [(false, true), (true, true), (false, false)] {
        let mut rig = common::Rig::new(&ctx, scene.clone(), w, h);
        if lit {
            rig.lights = Some((LightBuffers::upload(&mut rig.ex, &lights).expect("upload"), grid));
        }
        let params = |p: rg_passes::frame::SceneFrame| rg_passes::frame::SceneFrame {
            brute_force_lights,
            hdr: rg_core::Format::Rgba32Float,
            ..p
        };
        rig.frame(&cam, params);
        images.push(rig.frame(&cam, params).hdr.expect("hdr"));
    }
    let worst = images[0].iter().zip(&images[1]).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
    assert!(worst <= 1e-4, "clustered and brute-force shading differ by {worst}");
    let lit = images[0].iter().zip(&images[2]).filter(|(a, b)| (*a - *b).abs() > 0.01).count();
    eprintln!("clustered shading: largest difference {worst}, {lit} channels lit by point lights");
    assert!(lit > (w * h) as usize / 20, "the lights must light part of the image: {lit}");
    assert_clean(&ctx, "clustered_shading");
}

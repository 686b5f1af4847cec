//! The culling passes against their CPU references, on lavapipe with validation and
//! synchronization validation on (any message fails a test). Scenes are a few hundred
//! instances and images a few hundred pixels wide: lavapipe renders on the CPU.

mod common;

use common::{assert_clean, context, Frame, Rig};
use glam::Vec3;
use rg_passes::camera::{self, Camera};
use rg_passes::cull::CullTests;
use rg_passes::reference;
use rg_passes::scene::{hash, Scene};
use std::collections::BTreeSet;

/// A camera inside the field of `scene`, from a seed: somewhere over the field, at the height
/// of a walker or a bird, looking in any direction and a little down.
fn camera_for(scene_extent: f32, seed: u32) -> Camera {
    let u =
        |k: u32| (hash(seed.wrapping_mul(31).wrapping_add(k)) >> 8) as f32 / (1u32 << 24) as f32;
    let position =
        Vec3::new((u(1) - 0.5) * scene_extent, 1.0 + u(2) * 12.0, (u(3) - 0.5) * scene_extent);
    let yaw = u(4) * std::f32::consts::TAU;
    let pitch = -0.1 - u(5) * 0.5;
    let forward = Vec3::new(yaw.cos() * pitch.cos(), pitch.sin(), yaw.sin() * pitch.cos());
    Camera { position, forward, fov_y: (45.0 + u(6) * 40.0f32).to_radians(), z_near: 0.1 }
}

/// Instances drawn in a frame, by the decisions the culling passes wrote.
fn drawn(f: &Frame) -> BTreeSet<u32> {
    f.decisions.iter().enumerate().filter(|(_, d)| d.drawn()).map(|(i, _)| i as u32).collect()
}

/// Instances with a pixel in a frame's id target.
fn seen(f: &Frame) -> BTreeSet<u32> {
    f.ids.as_ref().expect("ids").iter().filter(|&&id| id != 0).map(|&id| id - 1).collect()
}

/// Checks: on random scenes and cameras, every frustum decision equals the float64 reference
/// (the five planes of the view-projection matrix): no false negatives at all, and false
/// positives only within the stated band of a plane; every LOD pick equals the reference's
/// (a pick within 1e-5 of a threshold may be either neighbour; such ties are counted). The
/// first frame's early phase makes both decisions for every instance.
#[test]
fn frustum_and_lod_decisions_equal_the_float64_reference() {
    let Some(ctx) = context("frustum") else { return };
    let (mut inside, mut outside, mut tolerated, mut ties, mut lods_used) =
        (0, 0, 0, 0, BTreeSet::new());
    for seed in 0..3u32 {
        let scene = Scene::procedural(400, 100 + seed);
        let extent = Scene::field_extent(400);
        let mut rig = Rig::new(&ctx, scene, 160, 120);
        for k in 0..2u32 {
            let cam = camera_for(extent, seed * 10 + k);
            let view = cam.frame(rig.width, rig.height);
            let f = rig.frame(&cam, |p| p);
            for (i, d) in f.decisions.iter().enumerate() {
                let sphere = rig.scene.world_sphere(i);
                let margin = reference::frustum_margin(&view, sphere);
                let band = reference::frustum_band(&view, sphere);
                let cpu = margin >= 0.0;
                assert!(
                    !cpu || d.in_frustum(),
                    "seed {seed} camera {k}: instance {i} is inside the frustum by {margin} but \
                     the GPU culled it"
                );
                if d.in_frustum() && !cpu {
                    assert!(
                        margin > -band,
                        "seed {seed} camera {k}: instance {i} is {} outside the frustum, past the \
                         band {band}, but the GPU kept it",
                        -margin
                    );
                    tolerated += 1;
                }
                if cpu {
                    inside += 1;
                } else {
                    outside += 1;
                }
                let inst = &rig.scene.instances[i];
                let errors: Vec<f32> =
                    rig.scene.meshes[inst.mesh as usize].levels.iter().map(|l| l.error).collect();
                let pick = reference::lod(&view, sphere, inst.scale, &errors, 1.0);
                if pick.near_tie {
                    ties += 1;
                    assert!(
                        d.lod().abs_diff(pick.level) <= 1,
                        "instance {i}: LOD {} vs {}",
                        d.lod(),
                        pick.level
                    );
                } else {
                    assert_eq!(d.lod(), pick.level, "seed {seed} camera {k}: instance {i}'s LOD");
                }
                lods_used.insert(d.lod());
            }
        }
    }
    eprintln!(
        "frustum: {inside} inside, {outside} outside, {tolerated} false positives within the band; \
         LOD: levels used {lods_used:?}, {ties} near-ties"
    );
    assert!(inside > 100 && outside > 100, "the cameras must see some of each");
    assert!(lods_used.len() >= 3, "the scenes must exercise several LOD levels: {lods_used:?}");
    assert_clean(&ctx, "frustum");
}

/// Checks: the depth pyramid built from a depth buffer of random values (copied in, with
/// runs of equal values and the extremes 0 and 1) equals the CPU min-reduction bit for bit at
/// every level, for odd sizes (1366x769: level 0 is 1024x512, so footprints span one to three
/// texels) and small ones.
#[test]
fn the_pyramid_equals_a_cpu_min_reduction_bit_for_bit() {
    let Some(ctx) = context("pyramid") else { return };
    let mut ex = rg_vulkan::Executor::new(&ctx).expect("executor");
    for (w, h, seed) in [(1366u32, 769u32, 1u32), (97, 61, 2), (64, 1, 3), (3, 5, 4)] {
        let depth: Vec<f32> = (0..w * h)
            .map(|i| match hash((i / 7) ^ seed.wrapping_mul(0x9e37_79b9)) % 16 {
                0 => 0.0,
                1 => 1.0,
                k => (hash(i ^ seed) >> 8) as f32 / (1u32 << 24) as f32 * k as f32 / 16.0,
            })
            .collect();
        let got = common::pyramid_of(&mut ex, &depth, w, h);
        let want = reference::pyramid(&depth, w as usize, h as usize);
        assert_eq!(want.len(), got.len(), "{w}x{h}: levels");
        for (k, ((lw, lh, texels), got)) in want.iter().zip(&got).enumerate() {
            assert_eq!(texels.len(), lw * lh);
            assert_eq!(got.len(), lw * lh, "{w}x{h} level {k}: texels read back");
            if let Some(at) = texels.iter().zip(got).position(|(a, b)| a.to_bits() != b.to_bits()) {
                panic!(
                    "{w}x{h} level {k} ({lw}x{lh}): texel ({}, {}) is {} on the GPU, {} on the CPU",
                    at % lw,
                    at / lw,
                    got[at],
                    texels[at]
                );
            }
        }
        // Conservative: no texel of level 0 is nearer (larger) than a depth value it covers.
        let (lw, lh, l0) = &want[0];
        for y in 0..h as usize {
            for x in 0..w as usize {
                let t = l0[(y * lh / h as usize) * lw + x * lw / w as usize];
                assert!(t <= depth[y * w as usize + x], "{w}x{h}: ({x}, {y}) not covered");
            }
        }
    }
    drop(ex);
    assert_clean(&ctx, "pyramid");
}

/// Checks: along a camera path at walking height, (1) every instance with a pixel in an id-buffer
/// render with culling off was drawn by the culled frame (occlusion never hides what is
/// visible), (2) every instance culled as occluded is occluded by the CPU reference over the
/// same pyramid (`reference::occluded`: exact screen rectangle by angles, level-0 texels),
/// and (3) the colour images with culling on and off are the same, but for at most
/// 0.5% of pixels (where two surfaces meet at equal depth and draw order decides). On failure
/// both images and their difference are written beside the test's target directory.
#[test]
fn culling_never_hides_a_visible_instance_and_keeps_the_image() {
    let Some(ctx) = context("occlusion") else { return };
    let scene = Scene::procedural(400, 3);
    let extent = Scene::field_extent(400);
    let (w, h) = (192, 128);
    let mut on = Rig::new(&ctx, scene.clone(), w, h);
    let mut off = Rig::new(&ctx, scene, w, h);
    let mut occluded = 0;
    let (mut kept_occluded, mut occluded_ref) = (0, 0);
    for frame in 0..6 {
        // A walker among the instances, so near ones hide far ones: it moves and turns.
        let position = Vec3::new(-0.3 * extent + frame as f32 * 0.6, 1.2, -0.3 * extent);
        let target = Vec3::new(frame as f32 * 1.5, 0.5, 0.0);
        let cam = Camera::look_at(position, target);
        let a = on.frame(&cam, |p| rg_passes::frame::SceneFrame { instance_ids: true, ..p });
        let b = off.frame(&cam, |p| rg_passes::frame::SceneFrame {
            instance_ids: true,
            tests: CullTests::NONE,
            ..p
        });
        let visible = seen(&b);
        let drawn_set = drawn(&a);
        let hidden: Vec<_> = visible.difference(&drawn_set).collect();
        assert!(hidden.is_empty(), "frame {frame}: visible instances {hidden:?} were culled");
        // Every occlusion decision agrees with the CPU reference over the same pyramid.
        let view = cam.frame(w, h);
        let (pw, ph, _) = rg_passes::hiz::pyramid_shape(w, h);
        for (i, d) in a.decisions.iter().enumerate() {
            let sphere = on.scene.world_sphere(i);
            let cpu =
                reference::occluded(&view, sphere, &a.pyramid[0], pw as usize, ph as usize, 1e-3);
            assert!(
                !d.occluded() || cpu,
                "frame {frame}: instance {i} was culled as occluded, but \
                the reference sees it in front of the pyramid"
            );
            kept_occluded += usize::from(cpu && d.in_frustum() && !d.occluded());
            occluded_ref += usize::from(cpu && d.in_frustum());
        }
        assert_eq!(
            b.counts.draws_early as usize,
            on.scene.instances.len(),
            "culling off draws all"
        );
        occluded += a.counts.occluded;
        let differ = a.color.chunks(4).zip(b.color.chunks(4)).filter(|(x, y)| x != y).count();
        let allowed = (w * h) as usize / 200;
        if differ > allowed {
            let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
            let diff: Vec<u8> = a
                .color
                .chunks(4)
                .zip(b.color.chunks(4))
                .flat_map(|(x, y)| if x == y { [0, 0, 0, 255] } else { [255, 0, 255, 255] })
                .collect();
            for (name, data) in [("on", &a.color), ("off", &b.color), ("diff", &diff)] {
                let path = dir.join(format!("culling-frame{frame}-{name}.png"));
                rg_vulkan::readback::write_png(&path, w, h, rg_core::Format::Rgba8Unorm, data)
                    .expect("png");
            }
            panic!(
                "frame {frame}: {differ} pixels differ (at most {allowed}); images in {}",
                dir.display()
            );
        }
        if frame == 0 {
            let background = a.color.chunks(4).filter(|c| **c == a.color[..4]).count();
            assert!(background < (w * h) as usize * 9 / 10, "the scene covers part of the image");
        }
    }
    assert!(occluded > 0, "the path must show occlusion culling at work");
    eprintln!(
        "occlusion: {occluded} culled over the path; the level-0 reference finds {occluded_ref} \
         occluded, of which the coarser pyramid levels kept {kept_occluded}"
    );
    drop((on, off));
    assert_clean(&ctx, "occlusion");
}

/// Checks: with a static camera, the late phase draws what the first frame saw (nothing was
/// visible before it), then nothing from the third frame on; the early phase draws the
/// visible set.
#[test]
fn a_static_camera_draws_nothing_late_from_the_third_frame() {
    let Some(ctx) = context("static") else { return };
    let scene = Scene::procedural(300, 5);
    let extent = Scene::field_extent(300);
    let mut rig = Rig::new(&ctx, scene, 160, 120);
    let cam = camera::path(10.0, extent);
    let counts: Vec<_> = (0..5).map(|_| rig.frame(&cam, |p| p).counts).collect();
    assert!(counts[0].draws_late > 0 && counts[0].draws_early == 0, "{:?}", counts[0]);
    for (k, c) in counts.iter().enumerate().skip(2) {
        assert_eq!(c.draws_late, 0, "frame {k}: {c:?}");
        assert!(c.draws_early > 0, "frame {k}: {c:?}");
    }
    assert!(counts[1].occluded > 0, "the camera must look at occlusion: {:?}", counts[1]);
    drop(rig);
    assert_clean(&ctx, "static");
}

/// Checks: more visible draws than the buffer holds are clamped to its capacity and the rest
/// counted; the draws per LOD add up to what was written.
#[test]
fn overflow_of_the_draw_buffer_is_clamped_and_counted() {
    let Some(ctx) = context("overflow") else { return };
    let scene = Scene::procedural(200, 9);
    let mut rig = Rig::new(&ctx, scene, 96, 64);
    let cam = Camera::look_at(Vec3::new(0.0, 10.0, 30.0), Vec3::ZERO);
    let f = rig.frame(&cam, |p| rg_passes::frame::SceneFrame {
        capacity: 50,
        tests: CullTests::NONE,
        ..p
    });
    assert_eq!(f.counts.draws_early, 200);
    assert_eq!(f.counts.overflow, 150);
    assert_eq!(f.counts.lod_draws.iter().sum::<u32>(), 50);
    drop(rig);
    assert_clean(&ctx, "overflow");
}

/// Checks: the instance table is written again only when asked (`update_instances`), and the
/// next frame culls the moved instances: everything but the ground, moved behind the camera,
/// is outside the frustum.
#[test]
fn moved_instances_are_culled_where_they_now_are() {
    let Some(ctx) = context("moved") else { return };
    let scene = Scene::procedural(200, 11);
    let mut rig = Rig::new(&ctx, scene, 96, 64);
    let cam = Camera::look_at(Vec3::new(0.0, 10.0, 30.0), Vec3::ZERO);
    let before = rig.frame(&cam, |p| p);
    assert!(before.counts.frustum_culled < 190, "{:?}", before.counts);
    let mut moved = rig.scene.clone();
    for inst in moved.instances.iter_mut().skip(1) {
        inst.position.z += 500.0; // far behind the camera, which looks toward -z
    }
    rig.buffers.update_instances(&mut rig.ex, &moved).expect("update");
    rig.scene = moved;
    let after = rig.frame(&cam, |p| p);
    assert_eq!(after.counts.frustum_culled, 199, "{:?}", after.counts);
    assert_eq!(after.counts.draws_early + after.counts.draws_late, 1, "only the ground");
    drop(rig);
    assert_clean(&ctx, "moved");
}

/// Checks: an instance of a mesh the scene does not have is refused when uploading and when
/// updating, with an error naming the instance and the mesh (the shaders would index past the
/// mesh table), and nothing is made.
#[test]
fn an_instance_of_a_missing_mesh_is_an_error() {
    let Some(ctx) = context("missing_mesh") else { return };
    let mut ex = rg_vulkan::Executor::new(&ctx).expect("executor");
    let mut scene = Scene::procedural(20, 1);
    let good = rg_passes::scene::SceneBuffers::upload(&mut ex, &scene);
    let mut good = good.expect("a good scene uploads");
    scene.instances[7].mesh = 99;
    let e = rg_passes::scene::SceneBuffers::upload(&mut ex, &scene).err().expect("refused upload");
    assert!(e.to_string().contains("instance 7 uses mesh 99"), "{e}");
    let e = good.update_instances(&mut ex, &scene).expect_err("refused update");
    assert!(e.to_string().contains("instance 7 uses mesh 99"), "{e}");
    good.destroy(&mut ex);
    drop(ex);
    assert_clean(&ctx, "missing_mesh");
}

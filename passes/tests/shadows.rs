//! The cascaded shadow map against a CPU ray cast of the same scene, on lavapipe with
//! validation and synchronization validation on.

mod common;

use common::{assert_clean, context, Rig};
use glam::Vec3;
use rg_passes::camera::Camera;
use rg_passes::frame::SceneFrame;
use rg_passes::reference;
use rg_passes::scene::Scene;
use rg_passes::shadow::{self, CascadeSettings};

/// Checks: for pixels sampled over the image, whether the GPU found the point in shadow (the
/// 3x3 PCF share under a half, which the lighting pass leaves in the HDR target's alpha) agrees with a ray cast toward the sun from the same point of the
/// same scene (every instance at LOD 0), outside a band around shadow edges: points where rays
/// from four points around them on the surface's tangent plane, the band away (three texels of
/// the point's cascade plus 0.05), disagree with the centre's, points on surfaces turned almost away from
/// the sun, and pixels where the GPU's instance is not the ray's (silhouettes). At least 97% of
/// the rest must agree, with at least 40 lit and 40 shadowed points among them.
#[test]
fn shadows_agree_with_a_cpu_ray_cast_outside_edges() {
    let Some(ctx) = context("shadows") else { return };
    let scene = Scene::procedural(200, 21);
    let (w, h) = (192u32, 128u32);
    let mut rig = Rig::new(&ctx, scene, w, h);
    let sun = Vec3::new(0.55, 0.6, 0.35).normalize();
    let settings =
        CascadeSettings { resolution: 1024, distance: 60.0, ..CascadeSettings::default() };
    let cam = Camera::look_at(Vec3::new(-6.0, 6.0, 14.0), Vec3::new(2.0, 0.0, -2.0));
    let params = |p: SceneFrame| SceneFrame {
        instance_ids: true,
        shadows: Some(settings),
        sun,
        hdr: rg_core::Format::Rgba32Float,
        ..p
    };
    // Two frames: the second draws everything visible in the early phase.
    rig.frame(&cam, params);
    let f = rig.frame(&cam, params);
    let ids = f.ids.as_ref().expect("ids");
    // The lighting pass leaves the sun's visibility in the HDR target's alpha.
    let hdr = f.hdr.as_ref().expect("hdr");
    let view = cam.frame(w, h);
    let cascades = shadow::cascades(&cam, view.aspect(), sun, &settings);
    let inv = view.view.inverse();
    let (mut agree, mut disagree, mut lit, mut dark, mut skipped) = (0, 0, 0, 0, 0);
    let mut why = [0; 4];
    for y in (0..h).step_by(2) {
        for x in (0..w).step_by(2) {
            let id = ids[(y * w + x) as usize];
            if id == 0 {
                continue;
            }
            let ndc =
                (2.0 * (x as f32 + 0.5) / w as f32 - 1.0, 2.0 * (y as f32 + 0.5) / h as f32 - 1.0);
            let d = Vec3::new(ndc.0 / view.p00, -ndc.1 / view.p11, -1.0);
            let dir = inv.transform_vector3(d).normalize();
            let Some(hit) = reference::ray_cast(&rig.scene, view.position, dir, view.z_near) else {
                why[0] += 1;
                skipped += 1;
                continue;
            };
            let distance = (hit.point - view.position).dot(view.forward);
            let cascade = cascades.iter().find(|c| distance <= c.far);
            let (Some(cascade), true) = (cascade, hit.instance as u32 + 1 == id) else {
                why[1] += 1;
                skipped += 1;
                continue;
            };
            if hit.normal.dot(sun) < 0.2 {
                why[2] += 1;
                skipped += 1;
                continue;
            }
            let shadowed = |p: Vec3| {
                reference::ray_cast(&rig.scene, p + hit.normal * 0.01, sun, 1e-3).is_some()
            };
            let centre = shadowed(hit.point);
            let band = 3.0 * cascade.texel + 0.05;
            // Four points around the centre on the surface's tangent plane.
            let t1 = hit.normal.any_orthonormal_vector();
            let across = [t1, hit.normal.cross(t1)];
            let edge = across
                .iter()
                .flat_map(|a| [*a * band, -*a * band])
                .any(|o| shadowed(hit.point + o) != centre);
            if edge {
                why[3] += 1;
                skipped += 1;
                continue;
            }
            let gpu = hdr[4 * (y * w + x) as usize + 3] < 0.5;
            if gpu == centre {
                agree += 1;
            } else {
                disagree += 1;
            }
            if centre {
                dark += 1;
            } else {
                lit += 1;
            }
        }
    }
    let share = agree as f64 / (agree + disagree).max(1) as f64;
    eprintln!(
        "shadows: {agree} agree, {disagree} disagree ({:.1}%), {lit} lit, {dark} in shadow; skipped \
         {skipped}: {} missed by the ray, {} another instance or past the shadows, {} turned from \
         the sun, {} near an edge",
        share * 100.0,
        why[0],
        why[1],
        why[2],
        why[3]
    );
    assert!(lit >= 40 && dark >= 40, "too few points to judge: {lit} lit, {dark} in shadow");
    assert!(share >= 0.97, "only {:.1}% agree", share * 100.0);
    drop(rig);
    assert_clean(&ctx, "shadows");
}

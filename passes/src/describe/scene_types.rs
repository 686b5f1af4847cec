//! The pass types that work on the host's scene: GPU-driven culling in two phases, the scene's
//! draws, the depth pyramid between the phases, cascaded shadows and clustered lights.
//!
//! A culled scene is described as the library composes it in `frame::SceneFrame`:
//!
//! ```text
//! cull → draw_scene (clear) → … → hiz → cull_late → draw_scene
//! ```
//!
//! where other draws (the terrain, particles) may go between the early draw and the pyramid,
//! so what they hide is occluded in the late phase.

use super::types::{flag, float, int, port, sun_of, CulledDraws, PassType, PortValue};
use super::types::{FrameInputs, HostScene};
use crate::cull::{self, Cull, CullEarlyIn, CullLateIn, CullTests};
use crate::draw::{DrawScene, DrawSceneIn};
use crate::hiz::{DepthPyramid, DepthPyramidIn};
use crate::lights::{ClusterGrid, ClusterLights};
use crate::shadow::{CascadeSettings, ShadowCascades};
use rg_core::BufferDesc;

fn scene(f: &FrameInputs) -> Result<HostScene, String> {
    f.scene.ok_or_else(|| "the host gave no scene".to_string())
}

/// The scene pass types.
pub(super) fn registry() -> Vec<PassType> {
    use super::types::optional;
    use super::types::PortKind::*;
    vec![
        PassType {
            name: "cull",
            summary: "GPU-driven culling of the host's scene, the early phase: each instance \
                      tested against the frustum, its LOD picked by screen-space error, and \
                      last frame's visible set written as draws (`cull::Cull::add_early`, \
                      after `cull.reset`).",
            params: vec![
                flag("frustum", true, "drop instances outside the frustum"),
                flag("occlusion", true, "two-phase Hi-Z occlusion (the late phase tests it)"),
                float("lod_pixels", 0.01, 1e4, 1.0, "the largest screen-space error of a LOD"),
                int("capacity", 0, 16_000_000, 0, "draws a phase holds (0: one per instance)"),
            ],
            inputs: vec![],
            outputs: vec![port("draws", Draws, "last frame's visible instances, as draws")],
            declare: |a, g, f| {
                let scene = scene(f)?.inputs;
                let n = scene.instance_count;
                let capacity = match a.u32("capacity") {
                    0 => n.max(1),
                    c => c,
                };
                let visibility = g.temporal_buffer(
                    "cull.visibility",
                    BufferDesc::new(cull::per_instance_bytes(n)),
                );
                let draws = g.create_buffer(
                    "cull.draws.early",
                    BufferDesc::new(capacity as u64 * cull::DRAW_BYTES),
                );
                let decisions =
                    g.create_buffer("cull.decisions", BufferDesc::new(cull::per_instance_bytes(n)));
                let counts = cull::add_counts(g);
                let c = Cull {
                    view: f.view,
                    tests: CullTests { frustum: a.bool("frustum"), occlusion: a.bool("occlusion") },
                    history: f.frame > 0,
                    lod_pixels: a.float("lod_pixels"),
                };
                let input = CullEarlyIn { scene, visibility, draws, capacity, counts, decisions };
                let out = c.add_early(g, input);
                let d = CulledDraws { cull: c, input, out, late: false };
                Ok(vec![("draws", PortValue::Draws(d))])
            },
        },
        PassType {
            name: "draw_scene",
            summary: "Draws a culling phase's draws into a G-buffer, indirectly with the count \
                      the culling wrote (`draw::DrawScene`: `draw.early` or `draw.late`).",
            params: vec![flag("clear", false, "clear the G-buffer first")],
            inputs: vec![
                port("draws", Draws, "the draws of `cull` or `cull_late`"),
                port("gbuffer", GBuffer, "what to draw into"),
            ],
            outputs: vec![port("gbuffer", GBuffer, "with the draws")],
            declare: |a, g, f| {
                let (Some(PortValue::Draws(d)), Some(PortValue::GBuffer(gbuffer))) =
                    (a.input("draws"), a.input("gbuffer"))
                else {
                    unreachable!("checked")
                };
                let label = if d.late { "draw.late" } else { "draw.early" };
                let gb = DrawScene { view: f.view, clear: a.bool("clear"), label }.add(
                    g,
                    DrawSceneIn {
                        scene: d.input.scene,
                        draws: d.out.draws,
                        capacity: d.input.capacity,
                        counts: d.out.counts,
                        count_offset: if d.late { 4 } else { 0 },
                        gbuffer,
                    },
                );
                Ok(vec![("gbuffer", PortValue::GBuffer(gb))])
            },
        },
        PassType {
            name: "hiz",
            summary: "A min-reduced depth pyramid of a G-buffer's depth, a mip level a pass \
                      (`hiz::DepthPyramid`: `hiz.0` …), for the late culling phase.",
            params: vec![],
            inputs: vec![port("gbuffer", GBuffer, "whose depth to reduce")],
            outputs: vec![port("pyramid", Pyramid, "the pyramid")],
            declare: |a, g, _| {
                let Some(PortValue::GBuffer(gb)) = a.input("gbuffer") else {
                    unreachable!("checked")
                };
                let e = g.image_extent(gb.depth).unwrap_or(rg_core::Extent::new(1, 1));
                let hiz = DepthPyramid
                    .add(g, DepthPyramidIn { depth: gb.depth, depth_size: (e.width, e.height) });
                Ok(vec![("pyramid", PortValue::Pyramid(hiz))])
            },
        },
        PassType {
            name: "cull_late",
            summary: "The late culling phase: what the early phase did not draw, tested \
                      against the depth pyramid, and last frame's visibility updated \
                      (`cull::Cull::add_late`).",
            params: vec![],
            inputs: vec![
                port("draws", Draws, "the early phase's draws (from `cull`)"),
                port("pyramid", Pyramid, "the pyramid of what the early phase drew"),
            ],
            outputs: vec![port("draws", Draws, "the instances that became visible")],
            declare: |a, g, _| {
                let (Some(PortValue::Draws(early)), Some(PortValue::Pyramid(hiz))) =
                    (a.input("draws"), a.input("pyramid"))
                else {
                    unreachable!("checked")
                };
                if early.late {
                    return Err("its `draws` must be the early phase's (a `cull` pass)".into());
                }
                let draws = g.create_buffer(
                    "cull.draws.late",
                    BufferDesc::new(early.input.capacity as u64 * cull::DRAW_BYTES),
                );
                let input = CullEarlyIn {
                    draws,
                    counts: early.out.counts,
                    decisions: early.out.decisions,
                    ..early.input
                };
                let out = early.cull.add_late(
                    g,
                    CullLateIn {
                        early: input,
                        pyramid: hiz.pyramid,
                        pyramid_size: hiz.size,
                        pyramid_levels: hiz.levels,
                    },
                );
                let d = CulledDraws { cull: early.cull, input, out, late: true };
                Ok(vec![("draws", PortValue::Draws(d))])
            },
        },
        PassType {
            name: "shadows",
            summary: "Cascaded shadow maps from the sun: the host's scene (culled per cascade \
                      on the GPU) and optionally a terrain drawn into each cascade \
                      (`shadow::ShadowCascades`).",
            params: vec![
                int("cascades", 1, 8, 4, "cascades in the shadow array"),
                int("resolution", 16, 8192, 2048, "texels on a side of each cascade"),
                float("lambda", 0.0, 1.0, 0.75, "logarithmic (1) or uniform (0) splits"),
                float("distance", 0.1, 1e5, 120.0, "distance from the eye where shadows end"),
                float("reach", 0.0, 1e5, 60.0, "how far toward the sun casters are looked for"),
                float("sun_x", -1.0, 1.0, 0.6, "toward the sun, x (normalised with y and z)"),
                float("sun_y", -1.0, 1.0, 0.42, "toward the sun, y"),
                float("sun_z", -1.0, 1.0, 0.3, "toward the sun, z"),
            ],
            inputs: vec![optional("terrain", Heightfield, "a terrain that casts shadows too")],
            outputs: vec![port("shadows", Shadows, "the shadow map and the sun")],
            declare: |a, g, f| {
                let scene = scene(f)?.inputs;
                let sun = sun_of(a)?;
                let terrain = match a.input("terrain") {
                    Some(PortValue::Heightfield(h, layout)) => Some((h, layout)),
                    _ => None,
                };
                let settings = CascadeSettings {
                    count: a.u32("cascades"),
                    lambda: a.float("lambda"),
                    distance: a.float("distance"),
                    resolution: a.u32("resolution"),
                    reach: a.float("reach"),
                };
                let out = ShadowCascades { view: f.view, toward_sun: sun, settings, terrain }
                    .add(g, scene);
                Ok(vec![("shadows", PortValue::Shadows(out.inputs, sun, out.counts))])
            },
        },
        PassType {
            name: "lights",
            summary: "The host's point lights moved to this frame's time and sorted into a \
                      froxel grid, each cluster's list up to a budget \
                      (`lights::ClusterLights`).",
            params: vec![
                int("tiles_x", 1, 256, 16, "tiles across the screen"),
                int("tiles_y", 1, 256, 9, "tiles down the screen"),
                int("slices", 1, 256, 24, "depth slices, exponential"),
                int("budget", 1, 4096, 128, "lights a cluster keeps at most"),
                float("far", 0.1, 1e5, 100.0, "where the last slice ends"),
            ],
            inputs: vec![],
            outputs: vec![port("lights", Lights, "the lights and their clusters")],
            declare: |a, g, f| {
                let Some(input) = f.lights else {
                    return Err("the host gave no lights".into());
                };
                let grid = ClusterGrid {
                    tiles_x: a.u32("tiles_x"),
                    tiles_y: a.u32("tiles_y"),
                    slices: a.u32("slices"),
                    budget: a.u32("budget"),
                    far: a.float("far"),
                };
                if grid.far <= f.view.z_near {
                    return Err(format!(
                        "`far` ({}) must be beyond the camera's near plane ({})",
                        grid.far, f.view.z_near
                    ));
                }
                let lights = ClusterLights { view: f.view, grid, time: f.time }.add(g, input);
                Ok(vec![("lights", PortValue::Lights(lights, grid))])
            },
        },
    ]
}

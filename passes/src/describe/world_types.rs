//! The pass types of the terrain and its erosion, the particles and their physics, and the
//! shading: G-buffer, draws, deferred lighting and tone mapping.

use super::types::{flag, float, int, optional, port, sun_of, Args, PassType, PortKind, PortValue};
use crate::lighting::{DeferredLighting, DeferredLightingIn};
use crate::physics::{
    BroadPhase, DrawParticles, PhysicsStep, Rain, TerrainPlacement, PARTICLE_BYTES,
};
use crate::post::{Tonemap, TonemapIn};
use crate::terrain::{ErosionParams, TerrainFrame, TerrainNoise};
use crate::terrain_draw::{DrawTerrain, TerrainLayout};
use rg_core::{Access, BufferDesc, Format, Graph, ImageDesc, ImageHandle, QueueKind, Size};
use rg_vulkan::{Pass, Rendering};

/// A `terrain` pass's erosion (not yet marked fresh) and layout, from its settings.
pub(super) fn terrain_of(a: &Args<'_>) -> (TerrainFrame, TerrainLayout) {
    let side = a.u32("side");
    let t = TerrainFrame {
        noise: TerrainNoise {
            side,
            octaves: a.u32("octaves"),
            base_shift: a.u32("base_shift"),
            seed: a.u32("seed"),
        },
        params: ErosionParams {
            rain: a.float("rain"),
            capacity: a.float("capacity"),
            dissolving: a.float("dissolving"),
            deposition: a.float("deposition"),
            ..ErosionParams::default()
        },
        iterations: a.u32("iterations"),
        hydraulic: a.bool("hydraulic"),
        fresh: false,
    };
    let layout = TerrainLayout {
        corner: [a.float("corner_x"), a.float("corner_z")],
        size: a.float("size"),
        vertical: a.float("vertical"),
        max_height: 2.0,
        texels: side,
        quads: 16,
        levels: 5,
        range_factor: 8.0,
    };
    (t, layout)
}

/// The pass types of the terrain, the particles and the shading.
pub(super) fn registry() -> Vec<PassType> {
    use PortKind::*;
    vec![
        PassType {
            name: "terrain",
            summary: "A heightfield generated from integer-hash noise on the first frame, then \
                      eroded a number of steps every frame (`terrain::TerrainFrame`).",
            params: vec![
                int("side", 8, 4096, 256, "texels on a side"),
                int("octaves", 1, 12, 7, "noise octaves"),
                int("base_shift", 1, 12, 7, "the coarsest octave's period, as a power of two"),
                int("seed", 0, u32::MAX as i64, 11, "the noise's seed"),
                int("iterations", 0, 64, 2, "erosion steps a frame"),
                flag("hydraulic", true, "water erosion besides thermal erosion"),
                float("rain", 0.0, 1.0, 0.01, "water added a step, per cell"),
                float(
                    "capacity",
                    0.0,
                    100.0,
                    2.0,
                    "sediment water carries per unit of speed and slope",
                ),
                float(
                    "dissolving",
                    0.0,
                    1.0,
                    0.3,
                    "share of the missing capacity dissolved a step",
                ),
                float("deposition", 0.0, 1.0, 0.3, "share of the excess sediment dropped a step"),
                float("size", 1.0, 1e5, 120.0, "world size of the square"),
                float("corner_x", -1e5, 1e5, -60.0, "world x of the square's corner"),
                float("corner_z", -1e5, 1e5, -60.0, "world z of the square's corner"),
                float("vertical", 0.01, 1e3, 3.0, "world height per unit of the heightfield"),
            ],
            inputs: vec![],
            outputs: vec![port("height", Heightfield, "the eroded heights and where they lie")],
            declare: |a, g, f| {
                let (mut t, layout) = terrain_of(a);
                t.fresh = f.frame == 0;
                Ok(vec![("height", PortValue::Heightfield(t.add(g).height, layout))])
            },
        },
        PassType {
            name: "particles",
            summary: "A particle buffer kept from frame to frame: on the first frame empty \
                      (radius 0, for `rain` to fill), or the host's particles with `from_host`.",
            params: vec![
                int("count", 1, 4_000_000, 2048, "particles"),
                float("max_radius", 1e-3, 100.0, 0.25, "the largest radius any pass gives one"),
                flag(
                    "from_host",
                    false,
                    "start from the host's particles (their count, and on the first frame \
                     their state) instead of an empty buffer",
                ),
            ],
            inputs: vec![],
            outputs: vec![port(
                "particles",
                Particles,
                "the particles as the last frame left them",
            )],
            declare: |a, g, f| {
                let host = if a.bool("from_host") {
                    if a.given("count") {
                        return Err("`count` comes from the host when `from_host` is set".into());
                    }
                    let Some(host) = f.particles else {
                        return Err("`from_host` is set, but the host gave no particles".into());
                    };
                    Some(host)
                } else {
                    None
                };
                let n = host.map_or(a.u32("count"), |h| h.count);
                let bytes = n as u64 * PARTICLE_BYTES;
                let mut state = g.temporal_buffer("particles.state", BufferDesc::new(bytes));
                match (f.frame, host) {
                    (0, Some(h)) => {
                        let Some(start) = h.start else {
                            return Err("the host gave no first state on the first frame".into());
                        };
                        let mut p = g.add_pass("particles.start", QueueKind::Graphics);
                        p.read(start, Access::CopySrc);
                        state = p.write(state, Access::CopyDst);
                        let to = state;
                        p.record(Box::new(move |r| r.copy_buffer(start, to, Some(bytes))));
                    }
                    (0, None) => {
                        let mut p = g.add_pass("particles.clear", QueueKind::Graphics);
                        state = p.write(state, Access::CopyDst);
                        let s = state;
                        p.record(Box::new(move |r| r.fill_buffer(s, 0)));
                    }
                    _ => {}
                }
                Ok(vec![("particles", PortValue::Particles(state, n, a.float("max_radius")))])
            },
        },
        PassType {
            name: "rain",
            summary: "Replaces the oldest particles with new drops over a square, a few each \
                      frame (`physics::Rain`).",
            params: vec![
                int("per_frame", 0, 1_000_000, 8, "drops made each frame"),
                float("center_x", -1e5, 1e5, 0.0, "world x of the square's centre"),
                float("center_z", -1e5, 1e5, 0.0, "world z of the square's centre"),
                float("side", 0.0, 1e5, 14.0, "the square's side"),
                float("height", -1e5, 1e5, 12.0, "where drops start"),
                float("min_radius", 1e-3, 100.0, 0.15, "the smallest drop"),
                float("max_radius", 1e-3, 100.0, 0.25, "the largest drop"),
                float("speed", 0.0, 1e3, 2.0, "the drops' downward speed at the start"),
                int("seed", 0, u32::MAX as i64, 3, "where the drops fall"),
                int("from_frame", 0, i64::MAX, 0, "the first frame it rains"),
            ],
            inputs: vec![port("particles", Particles, "the particles to rain into")],
            outputs: vec![port("particles", Particles, "with this frame's drops")],
            declare: |a, g, f| {
                let Some(PortValue::Particles(buffer, n, max)) = a.input("particles") else {
                    unreachable!("checked")
                };
                let (r0, r1) = (a.float("min_radius"), a.float("max_radius"));
                if r0 > r1 || r1 > max {
                    return Err(format!(
                        "radii from {r0} to {r1} must increase and stay within the particles' \
                         largest radius, {max}"
                    ));
                }
                let side = a.float("side");
                let rain = Rain {
                    per_frame: a.u32("per_frame"),
                    corner: [a.float("center_x") - side / 2.0, a.float("center_z") - side / 2.0],
                    side,
                    height: a.float("height"),
                    radii: [r0, r1],
                    speed: a.float("speed"),
                    seed: a.u32("seed"),
                };
                if f.frame < a.int("from_frame") as u64 {
                    return Ok(vec![("particles", PortValue::Particles(buffer, n, max))]);
                }
                let buffer = rain.add(g, buffer, n, f.frame);
                Ok(vec![("particles", PortValue::Particles(buffer, n, max))])
            },
        },
        PassType {
            name: "physics",
            summary: "Steps of particle physics: the spatial-hash broad phase, contact springs \
                      with damping and friction, the terrain (`physics::PhysicsStep`).",
            params: vec![
                int("steps", 0, 64, 2, "steps a frame"),
                float("dt", 1e-5, 1.0, 1.0 / 120.0, "seconds a step"),
                float("stiffness", 0.0, 1e8, 3000.0, "force per unit of overlap, per unit of mass"),
                float("damping", 0.0, 1e6, 15.0, "force per unit of closing speed"),
                float("friction", 0.0, 1e6, 4.0, "force per unit of sliding speed"),
                float("gravity", -1e3, 1e3, 9.81, "downward acceleration"),
            ],
            inputs: vec![
                port("particles", Particles, "the particles to move"),
                optional("terrain", Heightfield, "ground to collide with"),
            ],
            outputs: vec![port("particles", Particles, "the particles moved")],
            declare: |a, g, _| {
                let Some(PortValue::Particles(mut buffer, n, max)) = a.input("particles") else {
                    unreachable!("checked")
                };
                let terrain = match a.input("terrain") {
                    Some(PortValue::Heightfield(height, l)) => Some(TerrainPlacement {
                        height,
                        corner: l.corner,
                        size: l.size,
                        vertical: l.vertical,
                        texels: l.texels,
                    }),
                    _ => None,
                };
                let step = PhysicsStep {
                    dt: a.float("dt"),
                    stiffness: a.float("stiffness"),
                    damping: a.float("damping"),
                    friction: a.float("friction"),
                    gravity: a.float("gravity"),
                    terrain,
                };
                let broad = BroadPhase::for_particles(n, max);
                for _ in 0..a.u32("steps") {
                    buffer = step.add(g, buffer, n, broad);
                }
                Ok(vec![("particles", PortValue::Particles(buffer, n, max))])
            },
        },
        PassType {
            name: "gbuffer",
            summary: "A G-buffer the size of the output (albedo `Rgba8Unorm`, normal \
                      `Rgba16Float`, depth `D32Float`), cleared by a pass of its own unless the \
                      first draw clears it (`draw::GBuffer`).",
            params: vec![flag(
                "clear",
                true,
                "clear it in a pass of its own (`gbuffer.clear`); without, the first draw must \
                 clear it (`draw_scene`'s `clear`)",
            )],
            inputs: vec![],
            outputs: vec![port("gbuffer", GBuffer, "the G-buffer")],
            declare: |a, g, f| {
                let extent = g.image_extent(f.output).unwrap_or(rg_core::Extent::new(1, 1));
                let size = Size::absolute(extent.width, extent.height);
                let albedo = g_image(g, "gbuffer.albedo", Format::Rgba8Unorm, size);
                let normal = g_image(g, "gbuffer.normal", Format::Rgba16Float, size);
                let depth = g_image(g, "scene.depth", Format::D32Float, size);
                let gbuffer = crate::draw::GBuffer { albedo, normal, depth, ids: None };
                if !a.bool("clear") {
                    return Ok(vec![("gbuffer", PortValue::GBuffer(gbuffer))]);
                }
                let mut p = g.add_pass("gbuffer.clear", QueueKind::Graphics);
                let albedo = p.write(albedo, Access::ColorWrite);
                let normal = p.write(normal, Access::ColorWrite);
                let depth = p.write(depth, Access::DepthWrite);
                p.record(Box::new(|r| {
                    r.begin_rendering(Rendering {
                        clear_color: Some([0.0; 4]),
                        clear_depth: Some(0.0),
                    })?;
                    r.end_rendering();
                    Ok(())
                }));
                Ok(vec![(
                    "gbuffer",
                    PortValue::GBuffer(crate::draw::GBuffer { albedo, normal, depth, ids: None }),
                )])
            },
        },
        PassType {
            name: "draw_terrain",
            summary:
                "Draws a heightfield into a G-buffer with CDLOD (`terrain_draw::DrawTerrain`).",
            params: vec![],
            inputs: vec![
                port("terrain", Heightfield, "the heights to draw"),
                port("gbuffer", GBuffer, "what to draw over"),
            ],
            outputs: vec![port("gbuffer", GBuffer, "with the terrain")],
            declare: |a, g, f| {
                let (Some(PortValue::Heightfield(height, layout)), Some(PortValue::GBuffer(gb))) =
                    (a.input("terrain"), a.input("gbuffer"))
                else {
                    unreachable!("checked")
                };
                let gb = DrawTerrain { view: f.view, layout }.add(g, height, gb);
                Ok(vec![("gbuffer", PortValue::GBuffer(gb))])
            },
        },
        PassType {
            name: "draw_particles",
            summary: "Draws particles as spheres into a G-buffer, the scene's sphere mesh scaled \
                      to each (`physics::DrawParticles`); needs the host's scene.",
            params: vec![],
            inputs: vec![
                port("particles", Particles, "the particles to draw"),
                port("gbuffer", GBuffer, "what to draw over"),
            ],
            outputs: vec![port("gbuffer", GBuffer, "with the particles")],
            declare: |a, g, f| {
                let (Some(PortValue::Particles(buffer, n, _)), Some(PortValue::GBuffer(gb))) =
                    (a.input("particles"), a.input("gbuffer"))
                else {
                    unreachable!("checked")
                };
                let Some(scene) = f.scene else {
                    return Err("the host gave no scene to take the sphere mesh from".into());
                };
                let draw = DrawParticles {
                    view: f.view,
                    mesh: scene.sphere,
                    mesh_radius: scene.sphere_radius,
                    color: [200, 190, 160, 255],
                };
                let gb = draw.add(g, scene.inputs, buffer, n, gb);
                Ok(vec![("gbuffer", PortValue::GBuffer(gb))])
            },
        },
        PassType {
            name: "lighting",
            summary: "Deferred lighting: each pixel of the G-buffer lit once by the sun and the \
                      sky into an HDR image (`lighting::DeferredLighting`).",
            params: vec![
                float("sun_x", -1.0, 1.0, 0.6, "toward the sun, x (normalised with y and z)"),
                float("sun_y", -1.0, 1.0, 0.42, "toward the sun, y"),
                float("sun_z", -1.0, 1.0, 0.3, "toward the sun, z"),
                float("ambient", 0.0, 10.0, 0.25, "the sky's light"),
                float("sky_r", 0.0, 1e3, 0.55, "the sky's colour where nothing was drawn, red"),
                float("sky_g", 0.0, 1e3, 0.7, "green"),
                float("sky_b", 0.0, 1e3, 0.9, "blue"),
            ],
            inputs: vec![
                port("gbuffer", GBuffer, "what to light"),
                optional(
                    "shadows",
                    Shadows,
                    "the sun's shadows; the sun's direction is then the shadows' (leave `sun_*` \
                     out)",
                ),
                optional("lights", Lights, "point lights, each pixel lit by its cluster's list"),
            ],
            outputs: vec![port("hdr", Hdr, "the lit image, `Rgba16Float`")],
            declare: |a, g, f| {
                let Some(PortValue::GBuffer(gbuffer)) = a.input("gbuffer") else {
                    unreachable!("checked")
                };
                let shadows = match a.input("shadows") {
                    Some(PortValue::Shadows(map, sun, _)) => Some((map, sun)),
                    _ => None,
                };
                let lights = match a.input("lights") {
                    Some(PortValue::Lights(l, _)) => Some(l),
                    _ => None,
                };
                let sun = match shadows {
                    Some(_) if ["sun_x", "sun_y", "sun_z"].iter().any(|k| a.given(k)) => {
                        return Err("with shadows wired in, the sun's direction is the shadows' \
                                    own: set it on the shadows pass"
                            .into())
                    }
                    Some((_, sun)) => sun,
                    None => sun_of(a)?,
                };
                let hdr = DeferredLighting {
                    view: f.view,
                    sun,
                    ambient: a.float("ambient"),
                    sky: [a.float("sky_r"), a.float("sky_g"), a.float("sky_b")],
                    format: Format::Rgba16Float,
                    brute_force_lights: false,
                }
                .add(g, DeferredLightingIn { gbuffer, shadows: shadows.map(|s| s.0), lights });
                Ok(vec![("hdr", PortValue::Hdr(hdr))])
            },
        },
        PassType {
            name: "tonemap",
            summary: "Exposure and `1 − e^(−x)` from an HDR image into the frame's output \
                      (`post::Tonemap`).",
            params: vec![float("exposure", 0.0, 1e3, 1.0, "the HDR image's scale")],
            inputs: vec![port("hdr", Hdr, "the lit image")],
            outputs: vec![port("color", Color, "the frame's output")],
            declare: |a, g, f| {
                let Some(PortValue::Hdr(hdr)) = a.input("hdr") else { unreachable!("checked") };
                let color = Tonemap { exposure: a.float("exposure") }
                    .add(g, TonemapIn { hdr, target: f.output });
                Ok(vec![("color", PortValue::Color(color))])
            },
        },
    ]
}

fn g_image(g: &mut Graph<Pass>, label: &str, format: Format, size: Size) -> ImageHandle {
    g.create_image(label, ImageDesc::new(format, size))
}

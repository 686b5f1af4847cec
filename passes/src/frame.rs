//! The GPU-driven scene frame: culling, LOD, two-phase occlusion and drawing, composed from the
//! library's passes.
//!
//! ```text
//! cull.reset → cull.early → draw.early → hiz.0 … hiz.N → cull.late → draw.late → lighting → post.tonemap
//! ```
//!
//! The draws write a G-buffer; `lighting` shades it once a pixel into an HDR target, which
//! `post.tonemap` maps into the output. With shadows, `shadow.setup → shadow.reset →
//! shadow.cull → shadow.0 … shadow.3` render the cascaded shadow map, which `lighting`
//! samples; with lights, `lights.animate → lights.reset → lights.cluster` sort them into the
//! froxel grid, whose lists `lighting` reads.
//!
//! The early phase draws last frame's visible set into a cleared colour and depth target, the
//! pyramid is built from that depth, and the late phase draws what became visible on top. The
//! visibility buffer is a history buffer: the graph carries it to the next frame.

use crate::camera::View;
use crate::cull::{self, Cull, CullEarlyIn, CullLateIn, CullTests};
use crate::draw::{DrawScene, DrawSceneIn, GBuffer, ShadowInputs};
use crate::hiz::{DepthPyramid, DepthPyramidIn};
use crate::lighting::{DeferredLighting, DeferredLightingIn};
use crate::lights::{ClusterGrid, ClusterLights, ClusteredLights, LightsIn};
use crate::physics::DrawParticles;
use crate::post::{Tonemap, TonemapIn};
use crate::scene::SceneInputs;
use crate::shadow::{CascadeSettings, ShadowCascades};
use crate::terrain_draw::{DrawTerrain, TerrainLayout};
use glam::Vec3;
use rg_core::{BufferDesc, BufferHandle, Format, Graph, ImageDesc, ImageHandle, Size};
use rg_vulkan::Pass;

/// Parameters of the frame.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SceneFrame {
    pub view: View,
    pub tests: CullTests,
    /// Whether last frame's visibility is in the history buffer (false on the first frame).
    pub history: bool,
    /// Draws each phase's buffer holds.
    pub capacity: u32,
    /// LOD threshold in pixels.
    pub lod_pixels: f32,
    /// Also write instance ids (index + 1) into an `R32Uint` target.
    pub instance_ids: bool,
    pub clear: [f32; 4],
    /// Unit direction toward the sun.
    pub sun: Vec3,
    /// Cascaded shadows from the sun ([`crate::shadow::ShadowCascades`]), or none.
    pub shadows: Option<CascadeSettings>,
    /// Clustered point lights ([`crate::lights::ClusterLights`]): the uploaded lights, the
    /// grid and the time they are moved to; or none.
    pub lights: Option<(LightsIn, ClusterGrid, f32)>,
    /// Shade with every light rather than the cluster lists (for comparisons).
    pub brute_force_lights: bool,
    /// The HDR target's format (`Rgba16Float`; tests read `Rgba32Float` exactly).
    pub hdr: Format,
    /// Exposure of the tone mapping into the output.
    pub exposure: f32,
    /// A terrain drawn with the scene ([`crate::terrain_draw::DrawTerrain`]): its heightfield
    /// (from [`crate::terrain::TerrainFrame`], in the same graph) and where it lies; or none.
    pub terrain: Option<(ImageHandle, TerrainLayout)>,
    /// Particles drawn with the scene ([`crate::physics::DrawParticles`]): the draw, the
    /// particle buffer and the count; or none.
    pub particles: Option<(DrawParticles, BufferHandle, u32)>,
}

impl SceneFrame {
    /// Full culling, a 1-pixel LOD threshold and room for a draw per instance.
    pub fn new(view: View, scene: &SceneInputs, history: bool) -> SceneFrame {
        SceneFrame {
            view,
            tests: CullTests::ALL,
            history,
            capacity: scene.instance_count.max(1),
            lod_pixels: 1.0,
            instance_ids: false,
            // A sky that the tone mapping turns into (0.55, 0.68, 0.85).
            clear: [0.8, 1.14, 1.9, 1.0],
            sun: Vec3::new(0.4, 0.8, 0.3).normalize(),
            shadows: None,
            lights: None,
            brute_force_lights: false,
            hdr: Format::Rgba16Float,
            exposure: 1.0,
            terrain: None,
            particles: None,
        }
    }
}

/// What the frame gives: its targets and the culling passes' outputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SceneFrameOut {
    pub color: ImageHandle,
    pub depth: ImageHandle,
    pub ids: Option<ImageHandle>,
    pub counts: BufferHandle,
    pub decisions: BufferHandle,
    pub pyramid: ImageHandle,
    pub draws_early: BufferHandle,
    pub draws_late: BufferHandle,
    /// The shadow map and cascade records, when the frame has shadows.
    pub shadows: Option<ShadowInputs>,
    /// The shadow casters' cull counts (a word a cascade, then draws over capacity).
    pub shadow_counts: Option<BufferHandle>,
    /// The lit scene before tone mapping.
    pub hdr: ImageHandle,
    /// The G-buffer the lighting pass read (its last versions).
    pub gbuffer: GBuffer,
    /// The clustered lights, when the frame has them.
    pub lights: Option<ClusteredLights>,
}

impl SceneFrame {
    /// Declares the frame, drawing into `color` (written whole; its size is the frame's).
    pub fn add(
        &self,
        g: &mut Graph<Pass>,
        scene: SceneInputs,
        color: ImageHandle,
    ) -> SceneFrameOut {
        let extent = g.image_extent(color).unwrap_or(rg_core::Extent::new(1, 1));
        let size = Size::absolute(extent.width, extent.height);
        // Declared in the order the showcase's description (`samples/frames/showcase.toml`)
        // declares them, so the two compile to the same plan.
        let shadow = self.shadows.map(|settings| {
            let terrain = self.terrain;
            ShadowCascades { view: self.view, toward_sun: self.sun, settings, terrain }
                .add(g, scene)
        });
        let shadows = shadow.as_ref().map(|s| s.inputs);
        let lights = self
            .lights
            .map(|(input, grid, time)| ClusterLights { view: self.view, grid, time }.add(g, input));
        let albedo = g.create_image("gbuffer.albedo", ImageDesc::new(Format::Rgba8Unorm, size));
        let normal = g.create_image("gbuffer.normal", ImageDesc::new(Format::Rgba16Float, size));
        let depth = g.create_image("scene.depth", ImageDesc::new(Format::D32Float, size));
        let ids = self
            .instance_ids
            .then(|| g.create_image("scene.ids", ImageDesc::new(Format::R32Uint, size)));
        let gbuffer = GBuffer { albedo, normal, depth, ids };
        let n = scene.instance_count;
        let visibility =
            g.temporal_buffer("cull.visibility", BufferDesc::new(cull::per_instance_bytes(n)));
        let draw_bytes = self.capacity.max(1) as u64 * cull::DRAW_BYTES;
        let draws_early = g.create_buffer("cull.draws.early", BufferDesc::new(draw_bytes));
        let decisions =
            g.create_buffer("cull.decisions", BufferDesc::new(cull::per_instance_bytes(n)));
        let counts = cull::add_counts(g);

        let c = Cull {
            view: self.view,
            tests: self.tests,
            history: self.history,
            lod_pixels: self.lod_pixels,
        };
        let early_in = CullEarlyIn {
            scene,
            visibility,
            draws: draws_early,
            capacity: self.capacity,
            counts,
            decisions,
        };
        let early = c.add_early(g, early_in);
        let draw = |label, clear| DrawScene { view: self.view, clear, label };
        let drawn = draw("draw.early", true).add(
            g,
            DrawSceneIn {
                scene,
                draws: early.draws,
                capacity: self.capacity,
                counts: early.counts,
                count_offset: 0,
                gbuffer,
            },
        );
        // The terrain joins the early depth, so the pyramid hides what its hills hide.
        let drawn = match self.terrain {
            Some((height, layout)) => DrawTerrain { view: self.view, layout }.add(g, height, drawn),
            None => drawn,
        };
        let drawn = match self.particles {
            Some((draw, buffer, count)) => draw.add(g, scene, buffer, count, drawn),
            None => drawn,
        };
        let hiz = DepthPyramid.add(
            g,
            DepthPyramidIn { depth: drawn.depth, depth_size: (extent.width, extent.height) },
        );
        let draws_late = g.create_buffer("cull.draws.late", BufferDesc::new(draw_bytes));
        let late = c.add_late(
            g,
            CullLateIn {
                early: CullEarlyIn {
                    draws: draws_late,
                    counts: early.counts,
                    decisions: early.decisions,
                    ..early_in
                },
                pyramid: hiz.pyramid,
                pyramid_size: hiz.size,
                pyramid_levels: hiz.levels,
            },
        );
        let last = draw("draw.late", false).add(
            g,
            DrawSceneIn {
                scene,
                draws: late.draws,
                capacity: self.capacity,
                counts: late.counts,
                count_offset: 4,
                gbuffer: drawn,
            },
        );
        let hdr = DeferredLighting {
            view: self.view,
            sun: self.sun,
            ambient: 0.25,
            sky: [self.clear[0], self.clear[1], self.clear[2]],
            format: self.hdr,
            brute_force_lights: self.brute_force_lights,
        }
        .add(g, DeferredLightingIn { gbuffer: last, shadows, lights });
        let color = Tonemap { exposure: self.exposure }.add(g, TonemapIn { hdr, target: color });
        SceneFrameOut {
            color,
            hdr,
            gbuffer: last,
            lights,
            depth: last.depth,
            ids: last.ids,
            counts: late.counts,
            decisions: late.decisions,
            pyramid: hiz.pyramid,
            draws_early: early.draws,
            draws_late: late.draws,
            shadows,
            shadow_counts: shadow.map(|s| s.counts),
        }
    }
}

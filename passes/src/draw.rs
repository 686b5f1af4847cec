//! Draws scene instances from compacted indirect draws (`shaders/passes/scene.vert`,
//! `scene.frag`), lit by one sun with an ambient term; optionally also writes each pixel's
//! instance index plus one into an `R32Uint` target, so tests can list what is visible.

use crate::camera::View;
use crate::lights::ClusteredLights;
use crate::scene::SceneInputs;
use rg_core::{Access, BufferHandle, Graph, ImageHandle, QueueKind, ShaderStages};
use rg_vulkan::{GraphicsDesc, Pass, Rendering, Sampler};

/// Parameters of a draw.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DrawScene {
    pub view: View,
    /// Unit direction toward the sun.
    pub sun: glam::Vec3,
    /// Ambient light, from the sky.
    pub ambient: f32,
    /// `Some(colour)`: clear the targets first (colour to this, depth to 0, ids to 0); `None`:
    /// draw over what they hold.
    pub clear: Option<[f32; 4]>,
    /// The pass's label (`draw.early`, `draw.late`).
    pub label: &'static str,
    /// Shade with every point light instead of the cluster's list (for tests and comparisons:
    /// the two sum the same terms in the same order).
    pub brute_force_lights: bool,
}

/// The cascaded shadow map a draw samples ([`crate::shadow::ShadowCascades`]' output).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShadowInputs {
    /// `D32Float`, one layer a cascade.
    pub map: ImageHandle,
    /// One record a cascade: its view-projection, far split, texel size, depth scale.
    pub cascades: BufferHandle,
    pub count: u32,
}

/// What [`DrawScene`] takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DrawSceneIn {
    pub scene: SceneInputs,
    pub draws: BufferHandle,
    pub capacity: u32,
    /// The count buffer and the byte offset of this draw's count in it.
    pub counts: BufferHandle,
    pub count_offset: u64,
    pub color: ImageHandle,
    pub depth: ImageHandle,
    /// An `R32Uint` target for instance ids, the colour target's size.
    pub ids: Option<ImageHandle>,
    /// Shadows from the sun, when there are any.
    pub shadows: Option<ShadowInputs>,
    /// Clustered point lights ([`crate::lights::ClusterLights`]), when there are any.
    pub lights: Option<ClusteredLights>,
}

/// What [`DrawScene`] gives: the targets' new versions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DrawSceneOut {
    pub color: ImageHandle,
    pub depth: ImageHandle,
    pub ids: Option<ImageHandle>,
}

impl DrawScene {
    /// Declares the draw.
    pub fn add(&self, g: &mut Graph<Pass>, input: DrawSceneIn) -> DrawSceneOut {
        // A clear colour is given as floats, which an integer target would read as bit
        // patterns: the id target is cleared to zero by a copy-engine clear instead, and then
        // loaded.
        let ids_in = match (input.ids, self.clear) {
            (Some(ids), Some(_)) => {
                let mut p = g.add_pass(&format!("{}.clear_ids", self.label), QueueKind::Graphics);
                let ids = p.write(ids, Access::CopyDst);
                p.record(Box::new(move |r| r.clear_image(ids, [0.0; 4])));
                Some(ids)
            }
            (ids, _) => ids,
        };
        let mut p = g.add_pass(self.label, QueueKind::Graphics);
        let s = input.scene;
        let vs = ShaderStages::VERTEX;
        p.read(s.vertices, Access::StorageRead(vs));
        p.read(s.instances, Access::StorageRead(vs));
        p.read(s.indices, Access::IndexBuffer);
        p.read(input.draws, Access::IndirectArgs);
        p.read(input.counts, Access::IndirectArgs);
        let fs = ShaderStages::FRAGMENT;
        if let Some(sh) = input.shadows {
            p.read(sh.map, Access::Sampled(fs));
            p.read(sh.cascades, Access::StorageRead(fs));
        }
        if let Some(l) = input.lights {
            for b in [l.lights, l.counts, l.items, l.grid] {
                p.read(b, Access::StorageRead(fs));
            }
        }
        let (color_access, depth_access) = match self.clear {
            Some(_) => (Access::ColorWrite, Access::DepthWrite),
            None => (Access::ColorReadWrite, Access::DepthReadWrite),
        };
        let color = p.write(input.color, color_access);
        let ids = ids_in.map(|i| p.write(i, Access::ColorReadWrite));
        let depth = p.write(input.depth, depth_access);
        let mut push = Vec::with_capacity(112);
        let v = &self.view;
        let cascades = input.shadows.map_or(0, |s| s.count);
        for f in v.view_projection.to_cols_array() {
            push.extend_from_slice(&f.to_le_bytes());
        }
        for f in [self.sun.x, self.sun.y, self.sun.z, self.ambient] {
            push.extend_from_slice(&f.to_le_bytes());
        }
        for f in [v.position.x, v.position.y, v.position.z, cascades as f32] {
            push.extend_from_slice(&f.to_le_bytes());
        }
        for f in [v.forward.x, v.forward.y, v.forward.z, 0.0] {
            push.extend_from_slice(&f.to_le_bytes());
        }
        let shadows = input.shadows;
        let lights = input.lights;
        let brute_force = self.brute_force_lights;
        let clear = self.clear;
        let with_ids = ids.is_some();
        let (draws, counts, offset, capacity) =
            (input.draws, input.counts, input.count_offset, input.capacity);
        p.record(Box::new(move |r| {
            r.begin_rendering(Rendering { clear_color: clear, clear_depth: clear.map(|_| 0.0) })?;
            let mut desc = GraphicsDesc::new("passes/scene.vert", "passes/scene.frag");
            desc.cull_back = true;
            desc.depth_test = Some(true);
            desc.depth_write = true;
            if with_ids {
                desc = desc.define("INSTANCE_IDS", "1");
            }
            if shadows.is_some() {
                desc = desc.define("SHADOWS", "1");
            }
            if lights.is_some() {
                desc = desc.define("LIGHTS", "1");
            }
            if lights.is_some() && brute_force {
                desc = desc.define("BRUTE_FORCE", "1");
            }
            r.graphics(&desc)?;
            r.bind_buffer(0, s.vertices)?;
            r.bind_buffer(1, s.instances)?;
            if let Some(sh) = shadows {
                r.bind_image(2, sh.map)?;
                r.bind_sampler(3, Sampler::Nearest)?;
                r.bind_buffer(4, sh.cascades)?;
            }
            if let Some(l) = lights {
                r.bind_buffer(5, l.lights)?;
                r.bind_buffer(6, l.counts)?;
                r.bind_buffer(7, l.items)?;
                r.bind_buffer(8, l.grid)?;
            }
            r.push_constants(&push)?;
            r.draw_indexed_indirect_count(s.indices, draws, 0, counts, offset, capacity)?;
            r.end_rendering();
            Ok(())
        }));
        DrawSceneOut { color, depth, ids }
    }
}

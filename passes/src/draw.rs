//! Draws scene instances from compacted indirect draws into the G-buffer
//! (`shaders/passes/scene.vert`, `scene.frag`): albedo, normal and depth, and optionally each
//! pixel's instance index plus one into an `R32Uint` target, so tests can list what is visible.
//! Lighting reads the G-buffer once a pixel ([`crate::lighting::DeferredLighting`]).

use crate::camera::View;
use crate::scene::SceneInputs;
use rg_core::{Access, BufferHandle, Graph, ImageHandle, QueueKind, ShaderStages};
use rg_vulkan::{GraphicsDesc, Pass, Rendering};

/// Parameters of a draw.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DrawScene {
    pub view: View,
    /// Clear the targets first (albedo and normal to zero, depth to 0: nothing drawn), or draw
    /// over what they hold.
    pub clear: bool,
    /// The pass's label (`draw.early`, `draw.late`).
    pub label: &'static str,
}

/// The cascaded shadow map lighting samples ([`crate::shadow::ShadowCascades`]' output).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShadowInputs {
    /// `D32Float`, one layer a cascade.
    pub map: ImageHandle,
    /// One record a cascade: its view-projection, far split, texel size, depth scale.
    pub cascades: BufferHandle,
    pub count: u32,
}

/// The G-buffer a draw writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GBuffer {
    /// `Rgba8Unorm`: linear albedo.
    pub albedo: ImageHandle,
    /// `Rgba16Float`: unit normal in world space.
    pub normal: ImageHandle,
    /// `D32Float`, reversed Z.
    pub depth: ImageHandle,
    /// `R32Uint`: instance index plus one, when asked for.
    pub ids: Option<ImageHandle>,
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
    pub gbuffer: GBuffer,
}

impl DrawScene {
    /// Declares the draw; returns the G-buffer's new versions.
    pub fn add(&self, g: &mut Graph<Pass>, input: DrawSceneIn) -> GBuffer {
        // Clear colours are given as floats, which an integer target would read as bit
        // patterns: the id target is cleared to zero by a copy-engine clear instead, and then
        // loaded.
        let ids_in = match (input.gbuffer.ids, self.clear) {
            (Some(ids), true) => {
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
        let (color_access, depth_access) = if self.clear {
            (Access::ColorWrite, Access::DepthWrite)
        } else {
            (Access::ColorReadWrite, Access::DepthReadWrite)
        };
        let albedo = p.write(input.gbuffer.albedo, color_access);
        let normal = p.write(input.gbuffer.normal, color_access);
        let ids = ids_in.map(|i| p.write(i, Access::ColorReadWrite));
        let depth = p.write(input.gbuffer.depth, depth_access);
        let push: Vec<u8> = self
            .view
            .view_projection
            .to_cols_array()
            .iter()
            .flat_map(|f| f.to_le_bytes())
            .collect();
        let clear = self.clear;
        let with_ids = ids.is_some();
        let (draws, counts, offset, capacity) =
            (input.draws, input.counts, input.count_offset, input.capacity);
        p.record(Box::new(move |r| {
            r.begin_rendering(Rendering {
                clear_color: clear.then_some([0.0; 4]),
                clear_depth: clear.then_some(0.0),
            })?;
            let mut desc = GraphicsDesc::new("passes/scene.vert", "passes/scene.frag");
            desc.cull_back = true;
            desc.depth_test = Some(true);
            desc.depth_write = true;
            if with_ids {
                desc = desc.define("INSTANCE_IDS", "1");
            }
            r.graphics(&desc)?;
            r.bind_buffer(0, s.vertices)?;
            r.bind_buffer(1, s.instances)?;
            r.push_constants(&push)?;
            r.draw_indexed_indirect_count(s.indices, draws, 0, counts, offset, capacity)?;
            r.end_rendering();
            Ok(())
        }));
        GBuffer { albedo, normal, depth, ids }
    }
}

//! GPU-driven culling and LOD selection (`shaders/passes/cull.comp`), in two phases.
//!
//! The technique is two-phase occlusion culling (Haar and Aaltonen, SIGGRAPH 2015): the early
//! phase draws what was visible last frame; a depth pyramid is built from that depth; the late
//! phase tests every instance against the frustum and the pyramid, draws what is visible now
//! but was not drawn early, and keeps visibility for the next frame in a history buffer. Each
//! phase picks a LOD level by screen-space error (meshoptimizer's rule: the coarsest level
//! whose object-space error, scaled and seen from the sphere's nearest point, stays under a
//! threshold in pixels) and appends indexed indirect draws through an atomic counter; more
//! visible draws than the buffer holds are counted and dropped, never written out of bounds.
//!
//! What proves it right (`passes/tests/culling.rs`): the frustum decisions equal a float64 CPU
//! reference ([`crate::reference::frustum_margin`]) with no false negatives and false positives only
//! inside the stated band; LOD picks equal [`crate::reference::lod`]; an id-buffer render with
//! culling off lists instances that the culled frame all drew; a static camera draws nothing
//! late from the third frame on; overflow is clamped and counted.

use crate::camera::View;
use crate::mesh::lod::MAX_LODS;
use crate::scene::SceneInputs;
use rg_core::{Access, BufferDesc, BufferHandle, Graph, ImageHandle, QueueKind, ShaderStages};
use rg_vulkan::{Pass, Sampler};

const C: ShaderStages = ShaderStages::COMPUTE;

/// Bytes of one indexed indirect draw.
pub const DRAW_BYTES: u64 = 20;

/// The words of the count buffer both phases fill (`COUNT_*` in `scene.glsl`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Draws appended by the early phase (the early draw's count; may exceed the capacity).
    pub draws_early: u32,
    /// Draws appended by the late phase.
    pub draws_late: u32,
    /// Instances the late phase tested (every instance).
    pub tested: u32,
    pub frustum_culled: u32,
    pub occluded: u32,
    /// Instances drawn in the early phase (visible last frame and inside the frustum).
    pub visible_early: u32,
    /// Instances drawn in the late phase (newly visible).
    pub visible_late: u32,
    /// Draws dropped because the draw buffer was full.
    pub overflow: u32,
    /// Draws per LOD level.
    pub lod_draws: [u32; MAX_LODS],
}

/// Words in the count buffer.
pub const COUNT_WORDS: usize = 8 + MAX_LODS;

impl Counts {
    /// Reads the count buffer's bytes.
    pub fn from_bytes(b: &[u8]) -> Counts {
        let w = |i: usize| {
            b.get(i * 4..i * 4 + 4).map_or(0, |s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
        };
        let mut lod_draws = [0; MAX_LODS];
        for (k, d) in lod_draws.iter_mut().enumerate() {
            *d = w(8 + k);
        }
        Counts {
            draws_early: w(0),
            draws_late: w(1),
            tested: w(2),
            frustum_culled: w(3),
            occluded: w(4),
            visible_early: w(5),
            visible_late: w(6),
            overflow: w(7),
            lod_draws,
        }
    }
}

/// One instance's decision word (`DECIDED_*` in `scene.glsl`), as the culling passes wrote it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision(pub u32);

impl Decision {
    pub fn lod(self) -> u32 {
        self.0 & 0xf
    }
    pub fn in_frustum(self) -> bool {
        self.0 & (1 << 4) != 0
    }
    pub fn drawn_early(self) -> bool {
        self.0 & (1 << 5) != 0
    }
    pub fn drawn_late(self) -> bool {
        self.0 & (1 << 6) != 0
    }
    pub fn drawn(self) -> bool {
        self.drawn_early() || self.drawn_late()
    }
    pub fn occluded(self) -> bool {
        self.0 & (1 << 7) != 0
    }
    pub fn was_visible(self) -> bool {
        self.0 & (1 << 8) != 0
    }

    /// Reads a decision buffer's bytes.
    pub fn from_bytes(b: &[u8]) -> Vec<Decision> {
        b.chunks_exact(4).map(|c| Decision(u32::from_le_bytes([c[0], c[1], c[2], c[3]]))).collect()
    }
}

/// Which tests the culling passes make.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CullTests {
    pub frustum: bool,
    pub occlusion: bool,
}

impl CullTests {
    /// Frustum and occlusion.
    pub const ALL: CullTests = CullTests { frustum: true, occlusion: true };
    /// Nothing is culled: every instance is drawn (in the early phase), LOD still chosen.
    pub const NONE: CullTests = CullTests { frustum: false, occlusion: false };
}

/// Parameters of a culling phase.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Cull {
    pub view: View,
    pub tests: CullTests,
    /// The history buffer holds last frame's visibility (false on the first frame, or after
    /// the scene changed: nothing counts as visible before).
    pub history: bool,
    /// LOD threshold: the largest error allowed on screen, in pixels (1 by default).
    pub lod_pixels: f32,
}

/// What the early phase takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CullEarlyIn {
    pub scene: SceneInputs,
    /// Last frame's visibility, one word an instance (a history buffer).
    pub visibility: BufferHandle,
    /// Where draws go, and how many fit.
    pub draws: BufferHandle,
    pub capacity: u32,
    /// The count buffer, zeroed this frame.
    pub counts: BufferHandle,
    /// One decision word an instance.
    pub decisions: BufferHandle,
}

/// What a phase gives: the new versions of what it wrote.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CullOut {
    pub draws: BufferHandle,
    pub counts: BufferHandle,
    pub decisions: BufferHandle,
    /// The late phase's visibility for the next frame (the early phase returns its input).
    pub visibility: BufferHandle,
}

/// What the late phase takes: as the early phase, plus the depth pyramid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CullLateIn {
    pub early: CullEarlyIn,
    pub pyramid: ImageHandle,
    pub pyramid_size: (u32, u32),
    pub pyramid_levels: u32,
}

/// Bytes of one decision or visibility word per instance, at least one word.
pub fn per_instance_bytes(instances: u32) -> u64 {
    instances.max(1) as u64 * 4
}

impl Cull {
    fn push(&self, instances: u32, capacity: u32, pyramid: (u32, u32, u32)) -> Vec<u8> {
        let v = &self.view;
        let lod_scale = self.lod_pixels * v.pixel_size_at_unit_distance();
        let mut flags = 0u32;
        if self.tests.frustum {
            flags |= 1;
        }
        if self.tests.occlusion {
            flags |= 2;
        }
        if self.history {
            flags |= 4;
        }
        if self.tests == CullTests::NONE {
            flags |= 8;
        }
        let mut b = Vec::with_capacity(104);
        for f in v.view.to_cols_array() {
            b.extend_from_slice(&f.to_le_bytes());
        }
        for f in [v.p00, v.p11, v.z_near, lod_scale] {
            b.extend_from_slice(&f.to_le_bytes());
        }
        for u in [instances, capacity, pyramid.0, pyramid.1, pyramid.2, flags] {
            b.extend_from_slice(&u.to_le_bytes());
        }
        b
    }

    /// Declares the early phase (`cull.early`).
    pub fn add_early(&self, g: &mut Graph<Pass>, input: CullEarlyIn) -> CullOut {
        let mut p = g.add_pass("cull.early", QueueKind::Graphics);
        let s = input.scene;
        p.read(s.meshes, Access::StorageRead(C));
        p.read(s.instances, Access::StorageRead(C));
        p.read(input.visibility, Access::StorageRead(C));
        let draws = p.write(input.draws, Access::StorageWrite(C));
        let counts = p.write(input.counts, Access::StorageReadWrite(C));
        let decisions = p.write(input.decisions, Access::StorageWrite(C));
        let push = self.push(s.instance_count, input.capacity, (1, 1, 1));
        let n = s.instance_count;
        p.record(Box::new(move |r| {
            r.compute("passes/cull.comp", &[])?;
            r.bind_buffer(0, s.meshes)?;
            r.bind_buffer(1, s.instances)?;
            r.bind_buffer(2, input.visibility)?;
            r.bind_buffer(3, draws)?;
            r.bind_buffer(4, counts)?;
            r.bind_buffer(5, decisions)?;
            r.push_constants(&push)?;
            if n > 0 {
                r.dispatch_threads(n, 1, 1)?;
            }
            Ok(())
        }));
        CullOut { draws, counts, decisions, visibility: input.visibility }
    }

    /// Declares the late phase (`cull.late`).
    pub fn add_late(&self, g: &mut Graph<Pass>, input: CullLateIn) -> CullOut {
        let e = input.early;
        let mut p = g.add_pass("cull.late", QueueKind::Graphics);
        let s = e.scene;
        p.read(s.meshes, Access::StorageRead(C));
        p.read(s.instances, Access::StorageRead(C));
        p.read(input.pyramid, Access::Sampled(C));
        let visibility = p.write(e.visibility, Access::StorageReadWrite(C));
        let draws = p.write(e.draws, Access::StorageWrite(C));
        let counts = p.write(e.counts, Access::StorageReadWrite(C));
        let decisions = p.write(e.decisions, Access::StorageReadWrite(C));
        let (w, h) = input.pyramid_size;
        let push = self.push(s.instance_count, e.capacity, (w, h, input.pyramid_levels));
        let n = s.instance_count;
        let pyramid = input.pyramid;
        p.record(Box::new(move |r| {
            r.compute("passes/cull.comp", &[("LATE", "1")])?;
            r.bind_buffer(0, s.meshes)?;
            r.bind_buffer(1, s.instances)?;
            r.bind_buffer(2, visibility)?;
            r.bind_buffer(3, draws)?;
            r.bind_buffer(4, counts)?;
            r.bind_buffer(5, decisions)?;
            r.bind_image(6, pyramid)?;
            r.bind_sampler(7, Sampler::Nearest)?;
            r.push_constants(&push)?;
            if n > 0 {
                r.dispatch_threads(n, 1, 1)?;
            }
            Ok(())
        }));
        CullOut { draws, counts, decisions, visibility }
    }
}

/// Creates the count buffer and declares the pass that zeroes it (`cull.reset`).
pub fn add_counts(g: &mut Graph<Pass>) -> BufferHandle {
    let counts = g.create_buffer("cull.counts", BufferDesc::new(COUNT_WORDS as u64 * 4));
    let mut p = g.add_pass("cull.reset", QueueKind::Graphics);
    let counts = p.write(counts, Access::CopyDst);
    p.record(Box::new(move |r| r.fill_buffer(counts, 0)));
    counts
}

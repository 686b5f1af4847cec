//! Random graphs for property tests and GPU tests: a seeded generator of valid frames (mixed
//! queues, imports, temporals, images and buffers, explicit orders, exports, side effects), and
//! optionally frames with mistakes in them. The same seed always gives the same graph.

use crate::access::{Access, Layout, ResourceState, ShaderStages, StageMask};
use crate::graph::Graph;
use crate::types::{BufferDesc, Extent, Format, ImageDesc, QueueKind, Size};
use crate::{AccessMask, BufferHandle, ImageHandle};

/// A small, fast, seedable generator (SplitMix64).
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9e37_79b9_7f4a_7c15)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64) < p
    }
}

/// What kind of graphs to make.
#[derive(Clone, Copy, Debug)]
pub struct Params {
    pub passes: usize,
    /// Accesses per pass, at most.
    pub max_accesses: usize,
    /// Use compute and transfer queues as well as graphics.
    pub queues: bool,
    pub imports: bool,
    pub temporals: bool,
    /// Put in mistakes (stale handles, reads before writes, misfit accesses) now and then.
    pub mistakes: bool,
    /// How far back (in passes) a read may reach; small values keep lifetimes short.
    pub window: usize,
    /// Only buffers of one size (1 KiB), only copies (`CopySrc`, `CopyDst`), no temporals: graphs
    /// an executor can run with fills and copies, and a CPU can model exactly.
    pub transfer_only: bool,
    /// Only shader work an executor can run and a CPU can model: 1 KiB buffers and 16x16
    /// `R32Uint` images, compute passes (storage reads and writes, sampled images, uniform
    /// buffers) and raster passes (one colour attachment, reads in the fragment stage), on the
    /// graphics and compute queues; imports are buffers; no temporals.
    pub shader_only: bool,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            passes: 24,
            max_accesses: 5,
            queues: true,
            imports: true,
            temporals: true,
            mistakes: false,
            window: 8,
            transfer_only: false,
            shader_only: false,
        }
    }
}

#[derive(Clone, Copy)]
enum H {
    Image(ImageHandle, bool),
    Buffer(BufferHandle),
}

struct Res {
    handle: H,
    /// Whether the current version holds contents.
    defined: bool,
    /// Pass that last wrote it (for the read window).
    written_at: usize,
}

fn shader(q: QueueKind, rng: &mut Rng) -> ShaderStages {
    match q {
        QueueKind::Compute => ShaderStages::COMPUTE,
        _ => [ShaderStages::VERTEX, ShaderStages::FRAGMENT, ShaderStages::COMPUTE][rng.below(3)],
    }
}

fn read_access(h: H, q: QueueKind, rng: &mut Rng) -> Access {
    let s = shader(q, rng);
    match (h, q) {
        (_, QueueKind::Transfer) => Access::CopySrc,
        (H::Image(_, true), QueueKind::Graphics) => {
            [Access::DepthRead, Access::Sampled(s), Access::CopySrc][rng.below(3)]
        }
        (H::Image(_, true), _) => [Access::Sampled(s), Access::CopySrc][rng.below(2)],
        (H::Image(_, false), _) => {
            [Access::Sampled(s), Access::StorageRead(s), Access::CopySrc][rng.below(3)]
        }
        (H::Buffer(_), QueueKind::Graphics) => [
            Access::Uniform(s),
            Access::StorageRead(s),
            Access::IndirectArgs,
            Access::VertexBuffer,
            Access::IndexBuffer,
            Access::CopySrc,
            Access::HostRead,
        ][rng.below(7)],
        (H::Buffer(_), _) => {
            [Access::Uniform(s), Access::StorageRead(s), Access::IndirectArgs, Access::CopySrc]
                [rng.below(4)]
        }
    }
}

fn write_access(h: H, q: QueueKind, defined: bool, rng: &mut Rng) -> Access {
    let s = shader(q, rng);
    let pick = |rng: &mut Rng, fresh: &[Access], rmw: &[Access]| {
        if defined && rng.chance(0.4) {
            rmw[rng.below(rmw.len())]
        } else {
            fresh[rng.below(fresh.len())]
        }
    };
    match (h, q) {
        (_, QueueKind::Transfer) => Access::CopyDst,
        (H::Image(_, true), QueueKind::Graphics) => {
            pick(rng, &[Access::DepthWrite, Access::CopyDst], &[Access::DepthReadWrite])
        }
        (H::Image(_, true), _) => Access::CopyDst,
        (H::Image(_, false), QueueKind::Graphics) => pick(
            rng,
            &[Access::ColorWrite, Access::StorageWrite(s), Access::CopyDst],
            &[Access::ColorReadWrite, Access::StorageReadWrite(s)],
        ),
        (H::Image(_, false), _) | (H::Buffer(_), _) => {
            pick(rng, &[Access::StorageWrite(s), Access::CopyDst], &[Access::StorageReadWrite(s)])
        }
    }
}

/// In a `shader_only` graph: the access of a compute pass's write (`rmw`: reading the old
/// contents too), or of its read.
fn shader_write(h: H, rmw: bool) -> Access {
    let _ = h;
    if rmw {
        Access::StorageReadWrite(ShaderStages::COMPUTE)
    } else {
        Access::StorageWrite(ShaderStages::COMPUTE)
    }
}

fn shader_read(h: H, stage: ShaderStages, rng: &mut Rng) -> Access {
    match h {
        H::Image(..) => [Access::StorageRead(stage), Access::Sampled(stage)][rng.below(2)],
        H::Buffer(_) => [Access::StorageRead(stage), Access::Uniform(stage)][rng.below(2)],
    }
}

/// The side of every image in a `shader_only` graph (16x16 `R32Uint`: 1 KiB, like the buffers).
pub const SHADER_IMAGE_SIDE: u32 = 16;

/// The size of every buffer in a `transfer_only` graph.
pub const TRANSFER_SIZE: u64 = 1024;

/// A random graph. Without `mistakes` it always compiles.
pub fn random_graph(seed: u64, p: &Params) -> Graph {
    random_graph_with(seed, p, |_| ())
}

/// [`random_graph`] with a payload for each pass, made from the pass's label.
pub fn random_graph_with<P>(seed: u64, p: &Params, mut payload: impl FnMut(&str) -> P) -> Graph<P> {
    let mut rng = Rng::new(seed);
    let mut g =
        Graph::new(Extent::new(64 + 16 * rng.below(8) as u32, 64 + 16 * rng.below(8) as u32));
    let mut res: Vec<Res> = Vec::new();
    let queues: &[QueueKind] = match (p.queues, p.shader_only && !p.transfer_only) {
        (true, false) => &QueueKind::ALL,
        (true, true) => &[QueueKind::Graphics, QueueKind::Compute],
        (false, _) => &[QueueKind::Graphics],
    };
    let formats = [Format::Rgba8Unorm, Format::Rgba16Float, Format::R32Float, Format::D32Float];

    let shader_only = p.shader_only && !p.transfer_only;
    let one_size = p.transfer_only || shader_only;
    let new_image = |g: &mut Graph<P>, rng: &mut Rng, label: String| {
        if shader_only {
            let side = SHADER_IMAGE_SIDE;
            let desc = ImageDesc::new(Format::R32Uint, Size::absolute(side, side));
            return (g.create_image(&label, desc), false);
        }
        let format = formats[rng.below(formats.len())];
        let size = match rng.below(3) {
            0 => Size::FULL,
            1 => Size::Output { sx: 0.5, sy: 0.5 },
            _ => Size::absolute(16 << rng.below(4), 16 << rng.below(4)),
        };
        (g.create_image(&label, ImageDesc::new(format, size)), format.is_depth())
    };

    if p.imports {
        for i in 0..rng.below(3) {
            let q = queues[rng.below(queues.len())];
            if rng.chance(0.5) && !one_size {
                let undefined = rng.chance(0.5);
                let entry = ResourceState {
                    layout: Some(if undefined {
                        Layout::Undefined
                    } else {
                        Layout::ShaderReadOnly
                    }),
                    queue: q,
                    stages: if q == QueueKind::Transfer {
                        StageMask::TRANSFER
                    } else {
                        StageMask::COMPUTE_SHADER
                    },
                    access: AccessMask::NONE,
                };
                let exit = ResourceState {
                    layout: Some(if rng.chance(0.5) {
                        Layout::Present
                    } else {
                        Layout::ShaderReadOnly
                    }),
                    queue: queues[rng.below(queues.len())],
                    stages: StageMask::NONE,
                    access: AccessMask::NONE,
                };
                let (entry, exit) =
                    if p.mistakes { spoil(&mut rng, entry, exit) } else { (entry, exit) };
                let h = g.import_image(
                    &format!("import{i}.image"),
                    ImageDesc::new(Format::Rgba8Unorm, Size::FULL),
                    entry,
                    exit,
                );
                res.push(Res { handle: H::Image(h, false), defined: !undefined, written_at: 0 });
            } else {
                let (entry, exit) = (
                    ResourceState::host_written(q),
                    ResourceState::host_read(queues[rng.below(queues.len())]),
                );
                let (entry, exit) =
                    if p.mistakes { spoil(&mut rng, entry, exit) } else { (entry, exit) };
                let h = g.import_buffer(
                    &format!("import{i}.buffer"),
                    BufferDesc::new(if one_size { TRANSFER_SIZE } else { 256 << rng.below(8) }),
                    entry,
                    exit,
                );
                res.push(Res { handle: H::Buffer(h), defined: true, written_at: 0 });
            }
        }
    }
    if p.temporals && !one_size {
        for i in 0..rng.below(3) {
            let h = if rng.chance(0.5) {
                H::Image(
                    g.temporal_image(
                        &format!("history{i}.image"),
                        ImageDesc::new(Format::Rgba16Float, Size::FULL),
                    ),
                    false,
                )
            } else {
                H::Buffer(g.temporal_buffer(&format!("history{i}.buffer"), BufferDesc::new(4096)))
            };
            res.push(Res { handle: h, defined: true, written_at: 0 });
        }
    }

    let mut pass_ids = Vec::new();
    for pi in 0..p.passes {
        let q = queues[rng.below(queues.len())];
        // New transients this pass writes.
        let mut chosen: Vec<usize> = Vec::new();
        let n = 1 + rng.below(p.max_accesses.max(1));
        if rng.chance(0.6) || res.is_empty() {
            let h = if rng.chance(0.5) && !p.transfer_only {
                let (h, d) = new_image(&mut g, &mut rng, format!("pass{pi}.image"));
                H::Image(h, d)
            } else {
                let size = if one_size { TRANSFER_SIZE } else { 64 << rng.below(10) };
                H::Buffer(g.create_buffer(&format!("pass{pi}.buffer"), BufferDesc::new(size)))
            };
            res.push(Res { handle: h, defined: false, written_at: pi });
            chosen.push(res.len() - 1);
        }
        while chosen.len() < n {
            // Prefer recent resources so lifetimes stay short.
            let recent: Vec<usize> = (0..res.len())
                .filter(|&i| res[i].written_at + p.window >= pi && !chosen.contains(&i))
                .collect();
            let pool = if recent.is_empty() || rng.chance(0.1) {
                (0..res.len()).filter(|i| !chosen.contains(i)).collect::<Vec<_>>()
            } else {
                recent
            };
            if pool.is_empty() {
                break;
            }
            chosen.push(pool[rng.below(pool.len())]);
        }
        let label = format!("pass{pi}");
        let mut pb = g.add_pass(&label, q);
        pass_ids.push(pb.id());
        if rng.chance(0.05) {
            pb.side_effect();
        }
        // A shader-only raster pass: a graphics pass whose first resource is an image, which
        // becomes its colour attachment; everything else it only reads, in the fragment stage.
        let raster = shader_only
            && q == QueueKind::Graphics
            && matches!(res[chosen[0]].handle, H::Image(..))
            && rng.chance(0.9);
        for (k, &ri) in chosen.iter().enumerate() {
            let r = &mut res[ri];
            let must_write = !r.defined;
            let write = must_write || (k == 0) || (!raster && rng.chance(0.3));
            let mistake = p.mistakes && rng.chance(0.03);
            if write {
                let mut a = if p.transfer_only {
                    Access::CopyDst
                } else if raster {
                    if r.defined && rng.chance(0.3) {
                        Access::ColorReadWrite
                    } else {
                        Access::ColorWrite
                    }
                } else if shader_only {
                    shader_write(r.handle, r.defined && rng.chance(0.4))
                } else {
                    write_access(r.handle, q, r.defined, &mut rng)
                };
                if mistake {
                    a = [Access::ColorWrite, Access::DepthWrite, Access::IndirectArgs]
                        [rng.below(3)];
                }
                let keep_stale = p.mistakes && rng.chance(0.03);
                let h = match r.handle {
                    H::Image(h, d) => H::Image(pb.write(h, a), d),
                    H::Buffer(h) => H::Buffer(pb.write(h, a)),
                };
                if !keep_stale {
                    r.handle = h;
                }
                r.defined = true;
                r.written_at = pi;
            } else {
                let a = if mistake {
                    Access::StorageWrite(ShaderStages::NONE)
                } else if p.transfer_only {
                    Access::CopySrc
                } else if shader_only {
                    let stage = if raster { ShaderStages::FRAGMENT } else { ShaderStages::COMPUTE };
                    shader_read(r.handle, stage, &mut rng)
                } else {
                    read_access(r.handle, q, &mut rng)
                };
                match r.handle {
                    H::Image(h, _) => pb.read(h, a),
                    H::Buffer(h) => pb.read(h, a),
                };
            }
        }
        pb.record(payload(&label));
        if pass_ids.len() > 2 && rng.chance(0.05) {
            let a = rng.below(pass_ids.len() - 1);
            let (before, after) = if p.mistakes && rng.chance(0.2) {
                (pass_ids[pass_ids.len() - 1], pass_ids[a])
            } else {
                (pass_ids[a], pass_ids[pass_ids.len() - 1])
            };
            g.order(before, after);
        }
    }
    // Export a few transients that were written.
    for r in &res {
        if r.defined && rng.chance(0.1) {
            match r.handle {
                H::Image(h, _) => g.export(h),
                H::Buffer(h) => g.export(h),
            }
        }
    }
    g
}

/// Now and then, an import state that no resource can be in: the layout taken away or given
/// where it does not belong, an exit in `Undefined`, accesses with no stage, a stage its queue
/// lacks, an access none of its stages makes.
fn spoil(
    rng: &mut Rng,
    entry: ResourceState,
    exit: ResourceState,
) -> (ResourceState, ResourceState) {
    let (mut entry, mut exit) = (entry, exit);
    if rng.chance(0.1) {
        let s = if rng.chance(0.5) { &mut entry } else { &mut exit };
        match rng.below(5) {
            0 => s.layout = if s.layout.is_some() { None } else { Some(Layout::General) },
            1 => s.layout = s.layout.map(|_| Layout::Undefined),
            2 => {
                s.stages = StageMask::NONE;
                s.access = AccessMask::TRANSFER_READ;
            }
            3 => {
                s.queue = QueueKind::Transfer;
                s.stages = StageMask::COMPUTE_SHADER;
            }
            _ => s.access |= AccessMask::DEPTH_READ,
        }
    }
    (entry, exit)
}

/// The benchmark's synthetic frame: `passes` passes with four accesses each, alternating
/// images and buffers and compute and graphics work. Pass `i` writes a new transient and reads
/// the outputs of passes `i - 1` and `i - 3` and a shared imported buffer, so lifetimes are short
/// and aliasing has plenty to do. The last pass's output is exported.
pub fn synthetic(passes: usize) -> Graph {
    let mut g = Graph::new(Extent::new(1920, 1080));
    let scene = g.import_buffer(
        "scene.data",
        BufferDesc::new(1 << 20),
        ResourceState::host_written(QueueKind::Graphics),
        ResourceState::host_written(QueueKind::Graphics),
    );
    #[derive(Clone, Copy)]
    enum Out {
        I(ImageHandle),
        B(BufferHandle),
    }
    let mut outs: Vec<Out> = Vec::with_capacity(passes);
    for i in 0..passes {
        let graphics = i % 3 == 2;
        let stage = if graphics { ShaderStages::FRAGMENT } else { ShaderStages::COMPUTE };
        let target = if i % 2 == 0 {
            let f = 1.0 / (1 + i % 4) as f32;
            let desc = ImageDesc::new(Format::Rgba16Float, Size::Output { sx: f, sy: f });
            Out::I(g.create_image(&format!("synthetic.image{i}"), desc))
        } else {
            Out::B(
                g.create_buffer(&format!("synthetic.buffer{i}"), BufferDesc::new(4096 << (i % 8))),
            )
        };
        let mut p = g.add_pass(&format!("synthetic.pass{i}"), QueueKind::Graphics);
        p.read(scene, Access::StorageRead(stage));
        for back in [1, 3] {
            match i.checked_sub(back).map(|j| outs[j]) {
                Some(Out::I(h)) => {
                    p.read(h, Access::Sampled(stage));
                }
                Some(Out::B(h)) => {
                    p.read(h, Access::StorageRead(stage));
                }
                None => {}
            }
        }
        let out = match target {
            Out::I(h) if graphics => Out::I(p.write(h, Access::ColorWrite)),
            Out::I(h) => Out::I(p.write(h, Access::StorageWrite(stage))),
            Out::B(h) => Out::B(p.write(h, Access::StorageWrite(stage))),
        };
        p.finish();
        outs.push(out);
    }
    match outs.last() {
        Some(Out::I(h)) => g.export(*h),
        Some(Out::B(h)) => g.export(*h),
        None => {}
    }
    g
}

/// One declared access, as tests that check the compiler from the outside need it.
#[derive(Clone, Copy, Debug)]
pub struct DeclaredAccess {
    pub resource: usize,
    /// The version read, or written over.
    pub version: u32,
    pub writes: bool,
    /// The version a write produces.
    pub produces: u32,
}

/// A graph's declarations, culled passes included, indexed by declaration order.
#[derive(Clone, Debug, Default)]
pub struct Declared {
    pub passes: Vec<Vec<DeclaredAccess>>,
    pub side_effect: Vec<bool>,
    /// `(resource, version)` of every export.
    pub exports: Vec<(usize, u32)>,
}

/// Reads back what was declared (for independent checks of the compiler).
pub fn declared_accesses<P>(g: &Graph<P>) -> Declared {
    Declared {
        passes: g
            .passes
            .iter()
            .map(|p| {
                g.accesses_of(p)
                    .iter()
                    .map(|a| DeclaredAccess {
                        resource: a.handle.index as usize,
                        version: a.handle.version,
                        writes: a.via_write,
                        produces: a.produces,
                    })
                    .collect()
            })
            .collect(),
        side_effect: g.passes.iter().map(|p| p.side_effect).collect(),
        exports: g.exports.iter().map(|e| (e.handle.index as usize, e.handle.version)).collect(),
    }
}

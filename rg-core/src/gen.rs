//! Random graphs for property tests and GPU tests: a seeded generator of valid frames (mixed
//! queues, imports, temporals, images and buffers, images of several mips and layers accessed by
//! random parts, explicit orders, exports, side effects), and optionally frames with mistakes in
//! them. The same seed always gives the same graph.

use crate::access::{Access, Layout, ResourceState, ShaderStages, StageMask};
use crate::graph::{Graph, Subresource};
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
    /// Images with several mip levels and layers, and accesses to random parts of them (among
    /// them the pyramid: one pass reads mip k-1 and writes mip k). Reads name only what was
    /// written, unless `mistakes`, which also names ranges past the image now and then. Not in
    /// `transfer_only` and `shader_only` graphs.
    pub subresources: bool,
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
            subresources: true,
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
    /// Whether the current version holds contents (in some of its cells, for an image).
    defined: bool,
    /// Pass that last wrote it (for the read window).
    written_at: usize,
    /// Mip levels and layers (one of each for a buffer), and which cells (mip-major) hold
    /// contents.
    mips: u32,
    layers: u32,
    written: Vec<bool>,
}

impl Res {
    fn new(handle: H, defined: bool, written_at: usize, (mips, layers): (u32, u32)) -> Res {
        let written = vec![defined; (mips * layers) as usize];
        Res { handle, defined, written_at, mips, layers, written }
    }

    fn whole(&self) -> Subresource {
        Subresource { base_mip: 0, mip_count: self.mips, base_layer: 0, layer_count: self.layers }
    }

    fn cells(&self, s: Subresource) -> impl Iterator<Item = usize> + '_ {
        (s.base_mip..s.base_mip + s.mip_count).flat_map(move |m| {
            (s.base_layer..s.base_layer + s.layer_count)
                .map(move |l| (m * self.layers + l) as usize)
        })
    }

    /// Whether every cell of `s` holds contents.
    fn holds(&self, s: Subresource) -> bool {
        self.cells(s).all(|c| self.written[c])
    }

    fn write(&mut self, s: Subresource) {
        let cells: Vec<usize> = self.cells(s).collect();
        for c in cells {
            self.written[c] = true;
        }
        self.defined = true;
    }

    /// A random range of its mips and layers.
    fn random_range(&self, rng: &mut Rng) -> Subresource {
        let base_mip = rng.below(self.mips as usize) as u32;
        let base_layer = rng.below(self.layers as usize) as u32;
        Subresource {
            base_mip,
            mip_count: 1 + rng.below((self.mips - base_mip) as usize) as u32,
            base_layer,
            layer_count: 1 + rng.below((self.layers - base_layer) as usize) as u32,
        }
    }

    /// A random range whose cells all hold contents (`holds(whole)` or some cell written).
    fn readable_range(&self, rng: &mut Rng) -> Subresource {
        if self.holds(self.whole()) && rng.chance(0.5) {
            return self.whole();
        }
        for _ in 0..4 {
            let s = self.random_range(rng);
            if self.holds(s) {
                return s;
            }
        }
        let written: Vec<usize> = (0..self.written.len()).filter(|&c| self.written[c]).collect();
        let c = written[rng.below(written.len())] as u32;
        Subresource {
            base_mip: c / self.layers,
            mip_count: 1,
            base_layer: c % self.layers,
            layer_count: 1,
        }
    }

    /// A selection the image does not have: past its last mip or layer, or empty.
    fn out_of_range(&self, rng: &mut Rng) -> Subresource {
        let mut s = self.whole();
        match rng.below(3) {
            0 => {
                s.base_mip = self.mips;
                s.mip_count = 1;
            }
            1 => s.layer_count = self.layers + 1,
            _ => s.mip_count = 0,
        }
        s
    }
}

/// `h` narrowed to `s`.
fn select(h: ImageHandle, s: Subresource) -> ImageHandle {
    h.mips(s.base_mip, s.mip_count).layers(s.base_layer, s.layer_count)
}

/// Mip levels and layers for a new image: now and then more than one of each.
fn shape(rng: &mut Rng, sub: bool) -> (u32, u32) {
    if sub && rng.chance(0.4) {
        (1 + rng.below(4) as u32, 1 + rng.below(4) as u32)
    } else {
        (1, 1)
    }
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
    // Every size below has at least 16 texels a side, so 4 mip levels always fit.
    let sub = p.subresources && !one_size;
    let new_image = |g: &mut Graph<P>, rng: &mut Rng, label: String| {
        if shader_only {
            let side = SHADER_IMAGE_SIDE;
            let desc = ImageDesc::new(Format::R32Uint, Size::absolute(side, side));
            return (g.create_image(&label, desc), false, (1, 1));
        }
        let format = formats[rng.below(formats.len())];
        let size = match rng.below(3) {
            0 => Size::FULL,
            1 => Size::Output { sx: 0.5, sy: 0.5 },
            _ => Size::absolute(16 << rng.below(4), 16 << rng.below(4)),
        };
        let (mips, layers) = shape(rng, sub);
        let desc = ImageDesc::new(format, size).mips(mips).layers(layers);
        (g.create_image(&label, desc), format.is_depth(), (mips, layers))
    };

    if p.imports {
        // Import states beyond the plain ones are drawn from a stream of their own, so that
        // they leave every graph's shape (and every other test's seeds) as it was.
        let mut states = Rng::new(seed.rotate_left(32) ^ 0x1d8e_4e27_c47d_124f);
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
                let exit = if exit.layout == Some(Layout::ShaderReadOnly) && states.chance(0.5) {
                    let (stages, access) =
                        first_use(&mut states, exit.queue, &[AccessMask::SAMPLED_READ]);
                    ResourceState { stages, access, ..exit }
                } else {
                    exit
                };
                let entry = if states.chance(0.25) { idle(entry) } else { entry };
                let (entry, exit) =
                    if p.mistakes { spoil(&mut rng, entry, exit) } else { (entry, exit) };
                let (mips, layers) = shape(&mut rng, sub);
                let h = g.import_image(
                    &format!("import{i}.image"),
                    ImageDesc::new(Format::Rgba8Unorm, Size::FULL).mips(mips).layers(layers),
                    entry,
                    exit,
                );
                res.push(Res::new(H::Image(h, false), !undefined, 0, (mips, layers)));
            } else {
                let exit_queue = queues[rng.below(queues.len())];
                let entry = ResourceState::host_written(q);
                // Graphs an executor runs keep the states they had.
                let widen = !one_size;
                let entry = if widen && states.chance(0.25) { idle(entry) } else { entry };
                let exit = if !widen || states.chance(0.5) {
                    ResourceState::host_read(exit_queue)
                } else {
                    let (stages, access) = first_use(
                        &mut states,
                        exit_queue,
                        &[
                            AccessMask::UNIFORM_READ,
                            AccessMask::STORAGE_READ,
                            AccessMask::STORAGE_READ | AccessMask::STORAGE_WRITE,
                        ],
                    );
                    ResourceState { layout: None, queue: exit_queue, stages, access }
                };
                let (entry, exit) =
                    if p.mistakes { spoil(&mut rng, entry, exit) } else { (entry, exit) };
                let h = g.import_buffer(
                    &format!("import{i}.buffer"),
                    BufferDesc::new(if one_size { TRANSFER_SIZE } else { 256 << rng.below(8) }),
                    entry,
                    exit,
                );
                res.push(Res::new(H::Buffer(h), true, 0, (1, 1)));
            }
        }
    }
    if p.temporals && !one_size {
        for i in 0..rng.below(3) {
            let (h, shape) = if rng.chance(0.5) {
                let (mips, layers) = shape(&mut rng, sub);
                let desc =
                    ImageDesc::new(Format::Rgba16Float, Size::FULL).mips(mips).layers(layers);
                (
                    H::Image(g.temporal_image(&format!("history{i}.image"), desc), false),
                    (mips, layers),
                )
            } else {
                let b = g.temporal_buffer(&format!("history{i}.buffer"), BufferDesc::new(4096));
                (H::Buffer(b), (1, 1))
            };
            res.push(Res::new(h, true, 0, shape));
        }
    }

    let mut pass_ids = Vec::new();
    for pi in 0..p.passes {
        let q = queues[rng.below(queues.len())];
        // New transients this pass writes.
        let mut chosen: Vec<usize> = Vec::new();
        let n = 1 + rng.below(p.max_accesses.max(1));
        if rng.chance(0.6) || res.is_empty() {
            let (h, shape) = if rng.chance(0.5) && !p.transfer_only {
                let (h, d, shape) = new_image(&mut g, &mut rng, format!("pass{pi}.image"));
                (H::Image(h, d), shape)
            } else {
                let size = if one_size { TRANSFER_SIZE } else { 64 << rng.below(10) };
                let b = g.create_buffer(&format!("pass{pi}.buffer"), BufferDesc::new(size));
                (H::Buffer(b), (1, 1))
            };
            res.push(Res::new(h, false, pi, shape));
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
            if let (true, H::Image(h, d)) = (r.written.len() > 1, r.handle) {
                image_part(&mut pb, r, h, d, q, k == 0, pi, p.mistakes, &mut rng);
                continue;
            }
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

/// One access (two, for the pyramid) of pass `pi` on `q` to image `r` of several cells, whose
/// current handle is `h` (`depth`: of a depth format), to random parts of it; `first` when the
/// pass must write it.
#[allow(clippy::too_many_arguments)]
fn image_part<P>(
    pb: &mut crate::graph::PassBuilder<'_, P>,
    r: &mut Res,
    h: ImageHandle,
    depth: bool,
    q: QueueKind,
    first: bool,
    pi: usize,
    mistakes: bool,
    rng: &mut Rng,
) {
    let mistake = mistakes && rng.chance(0.03);
    let written = |r: &mut Res, new: ImageHandle, range: Subresource, rng: &mut Rng| {
        // Now and then a mistake keeps using the handle the write made stale.
        if !(mistakes && rng.chance(0.03)) {
            r.handle = H::Image(new, depth);
        }
        r.write(range);
        r.written_at = pi;
    };
    // The pyramid: read mip k-1, write mip k, in one pass.
    if r.mips > 1 && rng.chance(0.25) {
        let ready: Vec<u32> = (1..r.mips)
            .filter(|&k| r.holds(Subresource { mip_count: 1, base_mip: k - 1, ..r.whole() }))
            .collect();
        if !ready.is_empty() {
            let k = ready[rng.below(ready.len())];
            let to = Subresource { mip_count: 1, base_mip: k, ..r.whole() };
            pb.read(h.mip(k - 1), read_access(r.handle, q, rng));
            let a = write_access(r.handle, q, r.holds(to), rng);
            let new = pb.write(h.mip(k), a);
            written(r, new, to, rng);
            return;
        }
    }
    if !r.defined || first || rng.chance(0.3) {
        let range = if rng.chance(0.5) { r.random_range(rng) } else { r.whole() };
        let a = write_access(r.handle, q, r.holds(range), rng);
        let named = if mistake { r.out_of_range(rng) } else { range };
        let new = pb.write(select(h, named), a);
        written(r, new, range, rng);
    } else {
        let mut range = r.readable_range(rng);
        if mistake {
            // Past the image, or (where there is one) a part nothing wrote.
            let unwritten = r.written.iter().position(|w| !w);
            range = match unwritten {
                Some(c) if rng.chance(0.5) => Subresource {
                    base_mip: c as u32 / r.layers,
                    mip_count: 1,
                    base_layer: c as u32 % r.layers,
                    layer_count: 1,
                },
                _ => r.out_of_range(rng),
            };
        }
        pb.read(select(h, range), read_access(r.handle, q, rng));
    }
}

/// `state` with nothing outstanding: the resource comes into the frame idle, with no work of
/// the outside world to order after, so only the frame's own accesses put queues on it.
fn idle(state: ResourceState) -> ResourceState {
    ResourceState { stages: StageMask::NONE, access: AccessMask::NONE, ..state }
}

/// The stages and accesses of an exit state whose first use after the frame is a shader on
/// `q` making one of `accesses`; a transfer queue, having no shader stage, gets a copy's read.
fn first_use(rng: &mut Rng, q: QueueKind, accesses: &[AccessMask]) -> (StageMask, AccessMask) {
    let stages = match q {
        QueueKind::Transfer => return (StageMask::TRANSFER, AccessMask::TRANSFER_READ),
        QueueKind::Compute => StageMask::COMPUTE_SHADER,
        QueueKind::Graphics => match rng.below(3) {
            0 => StageMask::VERTEX_SHADER,
            1 => StageMask::FRAGMENT_SHADER,
            _ => StageMask::COMPUTE_SHADER,
        },
    };
    (stages, accesses[rng.below(accesses.len())])
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

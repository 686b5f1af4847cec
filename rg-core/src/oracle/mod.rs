//! The hazard oracle: an independent check of a compiled [`Plan`].
//!
//! The compiler decides where barriers go; the oracle decides nothing and only replays. It reads
//! the raw facts of a plan (the pass order, each pass's queue, accesses, waits, barriers and
//! releases, the prologue and epilogue, and each resource's lifetime, entry and exit states and
//! placement) and nothing the compiler derived for its own use: `first_use`/`last_use` only ever
//! widen the live ranges the oracle computes from the accesses, so a wrong value can add a report
//! but never hide one. Every resource gets a shadow state: its layout, its owning queue, whether
//! its contents mean anything, the last write (with the stages it is execution-ordered before on
//! each queue, and the stage and access pairs it is visible to) and the reads since. As in Vulkan,
//! a barrier acts only on the queue it is recorded on; its first scope takes in logically earlier
//! pipeline stages and its second scope logically later ones, but its access scopes do not: a
//! write is made available only by a barrier that names what it wrote in the stages it wrote in,
//! and visible only to the accesses a barrier names, in the stages it names. A write after a
//! write needs the first made available, a layout transition or discard included (it writes),
//! even where the old contents are not kept. An access
//! stays tied to the queue and stages it ran in: a barrier there orders it even after the resource
//! has been to other queues and back, while another queue is ordered after it only through a
//! semaphore wait. Waits count per waiting stage and transitively (a wait on a pass also covers
//! whatever that pass's queue had waited for, this queue's own earlier work included), and a wait
//! is a full memory dependency for the stages it covers. An ownership acquire is an operation of
//! its own, like a layout transition: it must chain from the wait for its release, and later work
//! on the acquiring queue is ordered after it, and sees the write, only through its destination
//! scope. Aliasing is checked beside the replay: live ranges from the accesses, overlapping
//! placements found by a sort and sweep, and each hand-over's barrier checked against the previous
//! occupant's shadow state.
//!
//! Images are tracked per subresource: every mip level of every layer (a cell) has a shadow state
//! of its own, and a barrier or an access acts on exactly the cells its `subresource` names, all
//! of them checked and reported one by one (a range that reaches past the image is a hazard of
//! its own). Layout, ownership, contents, ordering and visibility are all per cell, so a barrier
//! narrowed to the wrong mip leaves the right one unsynchronized, and a write of mip 3 owes
//! nothing to readers of mip 5. Memory is not split by cell: a transient's cells each hand its
//! memory over from every cell of the resources that used it before. Buffers are one cell, and
//! so is an image of more than 65536 cells, which may only be named whole.
//!
//! The model is conservative on purpose. It grants no ordering that Vulkan gives implicitly (host
//! writes made visible by a submission, fences between frames), it tracks whole buffers rather
//! than byte ranges, and a layout transition or acquire has no stage of its own:
//! later work is ordered after it only through a chain from its destination stages. A correct plan
//! that leans on such guarantees is reported. It is lenient in two places, to stay simple:
//! visibility is kept per stage and access but not per queue (a barrier on one queue could make a
//! write visible to a stage on another, which no correct plan needs and the ownership rules make
//! hard to reach), and a chain of waits passes through a pass whatever stages that pass waited
//! in. The cost is linear in the size of the plan, plus O(n log n + overlapping pairs) for the
//! alias sweep, so property tests can replay thousands of random plans.
//!
//! The replay is spread over files by concern: `shadow` holds the state and the scope rules,
//! `alias` the memory hand-overs, `replay` the waits and plain barriers, `transfer` the
//! ownership transfers, `accesses` the passes' accesses and `exit` the frame's end.

mod accesses;
mod alias;
mod exit;
mod replay;
mod shadow;
mod transfer;

pub use alias::check_granularity;

#[cfg(test)]
mod tests;

use crate::access::{ResourceKind, StageMask};
use crate::graph::Subresource;
use crate::plan::Plan;
use crate::types::QueueKind;
use shadow::{initial_state, At, Origin, Read, Shadow, Sync, Write};
use std::fmt;

/// What went wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HazardKind {
    /// An access or a layout transition is not execution-ordered after an earlier conflicting
    /// access on the same queue.
    UnorderedAccess,
    /// Ordered, but the earlier write is not made available and visible to the access.
    InvisibleWrite,
    /// An image is not in the layout an access, a barrier or the exit state expects.
    LayoutMismatch,
    /// Two resources that share memory are live at the same time.
    AliasOverlap,
    /// A dependency on another queue's work with no semaphore wait that covers it.
    MissingWait,
    /// Queue-ownership rules broken: a use without a transfer, a release with no acquire, a
    /// barrier recorded on the wrong queue.
    OwnershipViolation,
    /// An import or temporal resource is not left in the state its exit (or the next frame's
    /// entry) promises.
    ExitStateMismatch,
    /// Contents read that were never written, or were discarded.
    UndefinedRead,
    /// A barrier or an access names mip levels or layers that its image does not have (or
    /// none), or names part of a buffer.
    InvalidRange,
}

/// One problem found in a plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hazard {
    pub kind: HazardKind,
    /// Index into `Plan::resources`.
    pub resource: usize,
    /// Index into `Plan::passes`; `None` for the prologue, the epilogue and the exit checks.
    pub pass: Option<usize>,
    /// What happened, naming the resource and pass labels.
    pub message: String,
}

impl fmt::Display for Hazard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Replays `plan` over a shadow state of every resource and returns every hazard, in replay order
/// (alias overlaps first). An empty list means the plan is correct under the oracle's model.
/// `bufferImageGranularity` depends on the device, which a plan does not name: see
/// [`check_granularity`].
pub fn check(plan: &Plan) -> Vec<Hazard> {
    let mut oracle = Oracle::new(plan);
    oracle.check_aliasing();
    oracle.replay();
    oracle.check_exit();
    oracle.hazards
}

/// The most cells an image is tracked by; a larger one is tracked whole.
const MAX_CELLS: u64 = 1 << 16;

/// Where a resource's cells are in `Oracle::shadows`: from `base`, mip-major, one per mip level
/// of each layer (one for a buffer, or for an image too large to track by cell).
#[derive(Clone, Copy)]
struct Dims {
    base: usize,
    /// What the image has (1 and 1 for a buffer).
    mips: u32,
    layers: u32,
    /// An image tracked whole although it has more than one cell.
    coarse: bool,
}

impl Dims {
    /// Mip levels and layers of its cells.
    fn grid(&self) -> (u32, u32) {
        if self.coarse {
            (1, 1)
        } else {
            (self.mips, self.layers)
        }
    }
}

/// Text made only when it is written: most of what the oracle could say about a plan, it
/// never has to.
struct Lazy<F>(F);

impl<F: Fn() -> String> fmt::Display for Lazy<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&(self.0)())
    }
}

/// What names a range of cells.
#[derive(Clone, Copy)]
enum By {
    Barrier(At),
    Access(usize),
}

impl By {
    fn pass(self) -> Option<usize> {
        match self {
            By::Barrier(at) => at.pass(),
            By::Access(i) => Some(i),
        }
    }
}

/// A rectangle of cells of one resource, as indices into `Oracle::shadows`.
#[derive(Clone, Debug)]
struct CellRange {
    base: usize,
    layers: u32,
    mips: std::ops::Range<u32>,
    layer: std::ops::Range<u32>,
}

impl CellRange {
    fn iter(self) -> impl Iterator<Item = usize> {
        let (base, layers, layer) = (self.base, self.layers, self.layer);
        self.mips.flat_map(move |m| layer.clone().map(move |l| base + (m * layers + l) as usize))
    }
}

struct Oracle<'p> {
    plan: &'p Plan,
    /// Every cell of every resource.
    shadows: Vec<Shadow>,
    dims: Vec<Dims>,
    /// For each resource, the earlier resources whose memory it takes over, latest first.
    preds: Vec<Vec<usize>>,
    sync: Sync,
    hazards: Vec<Hazard>,
}

impl<'p> Oracle<'p> {
    fn new(plan: &'p Plan) -> Self {
        let mut shadows = Vec::new();
        let mut dims = Vec::with_capacity(plan.resources.len());
        for (r, res) in plan.resources.iter().enumerate() {
            let (mips, layers) = match res.image {
                Some(i) if res.kind == ResourceKind::Image => {
                    (i.mip_levels.max(1), i.array_layers.max(1))
                }
                _ => (1, 1),
            };
            let coarse = mips as u64 * layers as u64 > MAX_CELLS;
            let d = Dims { base: shadows.len(), mips, layers, coarse };
            let start = initial_state(res, r);
            let (mips, layers) = d.grid();
            for mip in 0..mips {
                for layer in 0..layers {
                    shadows.push(Shadow { mip, layer, ..start.clone() });
                }
            }
            dims.push(d);
        }
        Oracle {
            plan,
            shadows,
            dims,
            preds: vec![Vec::new(); plan.resources.len()],
            sync: Sync::new(plan.passes.len()),
            hazards: Vec::new(),
        }
    }

    fn report(&mut self, kind: HazardKind, resource: usize, pass: Option<usize>, message: String) {
        self.hazards.push(Hazard { kind, resource, pass, message });
    }

    fn res(&self, r: usize) -> String {
        format!("`{}`", self.plan.resources.get(r).map_or("?", |x| &*x.label))
    }

    /// Cell `c` by name: its resource's label, with the mip and layer where it has several.
    fn name(&self, c: usize) -> String {
        let sh = &self.shadows[c];
        let (mips, layers) = self.dims[sh.resource].grid();
        let label = self.res(sh.resource);
        match (mips > 1, layers > 1) {
            (true, true) => format!("{label} mip {} layer {}", sh.mip, sh.layer),
            (true, false) => format!("{label} mip {}", sh.mip),
            (false, true) => format!("{label} layer {}", sh.layer),
            (false, false) => label,
        }
    }

    /// Every cell of resource `r`.
    fn all_cells(&self, r: usize) -> std::ops::Range<usize> {
        let d = self.dims[r];
        let (mips, layers) = d.grid();
        d.base..d.base + (mips * layers) as usize
    }

    /// The cells of resource `r` that `sub` names; a range it does not have is reported (as
    /// made by `by`) and names none.
    fn cells(&mut self, r: usize, sub: Subresource, by: By) -> CellRange {
        let d = self.dims[r];
        let image = self.shadows[d.base].image;
        let one = CellRange { base: d.base, layers: 1, mips: 0..1, layer: 0..1 };
        // A buffer is named whole, by `Subresource::ALL` only; an image also by explicit counts.
        if sub == Subresource::ALL || (image && sub.is_whole(d.mips, d.layers)) {
            let (mips, layers) = d.grid();
            return CellRange { base: d.base, layers, mips: 0..mips, layer: 0..layers };
        }
        let pass = by.pass();
        if !image || d.coarse {
            let why = if image {
                "of an image too large to track by mip and layer"
            } else {
                "of a buffer, which has none"
            };
            let msg = format!("{} names {sub} {why} ({})", self.by_name(by), self.res(r));
            self.report(HazardKind::InvalidRange, r, pass, msg);
            return one;
        }
        let Some(s) = sub.resolve(d.mips, d.layers) else {
            let s = |n: u32| if n == 1 { "" } else { "s" };
            let msg = format!(
                "{} names {sub} of {}, which has {} mip level{} and {} layer{}",
                self.by_name(by),
                self.res(r),
                d.mips,
                s(d.mips),
                d.layers,
                s(d.layers),
            );
            self.report(HazardKind::InvalidRange, r, pass, msg);
            return CellRange { mips: 0..0, ..one };
        };
        CellRange {
            base: d.base,
            layers: d.layers,
            mips: s.base_mip..s.base_mip + s.mip_count,
            layer: s.base_layer..s.base_layer + s.layer_count,
        }
    }

    fn by_name(&self, by: By) -> String {
        match by {
            By::Barrier(at) => format!("a barrier in {}", self.at_name(at)),
            By::Access(i) => format!("an access of {}", self.pass_name(i)),
        }
    }

    fn pass_name(&self, i: usize) -> String {
        match self.plan.passes.get(i) {
            Some(p) => format!("pass `{}`", p.label),
            None => format!("pass #{i}"),
        }
    }

    fn at_name(&self, at: At) -> String {
        match at {
            At::Prologue => "the prologue".into(),
            At::Batch(i) => format!("the barriers before {}", self.pass_name(i)),
            At::Release(i) => format!("the releases after {}", self.pass_name(i)),
            At::Epilogue => "the epilogue".into(),
        }
    }

    fn describe(&self, origin: Origin, verb: &str, queue: QueueKind, stages: StageMask) -> String {
        let what = match origin {
            Origin::Entry => format!("the {verb} before the frame (entry state)"),
            Origin::Access(j) => format!("the {verb} by {}", self.pass_name(j)),
            Origin::Barrier(at) => format!("the layout transition in {}", self.at_name(at)),
            Origin::Acquire(at) => format!("the ownership acquire in {}", self.at_name(at)),
        };
        if stages.is_empty() {
            format!("{what} on {queue}")
        } else {
            format!("{what} ({stages} on {queue})")
        }
    }

    fn describe_write(&self, w: &Write) -> String {
        self.describe(w.origin, "write", w.queue, w.stages)
    }

    fn describe_read(&self, r: &Read) -> String {
        self.describe(r.origin, "read", r.queue, r.stages)
    }
}

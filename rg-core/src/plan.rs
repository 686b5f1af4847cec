//! The compiled plan: plain data that says, for one frame, which passes run in which order, what
//! each waits on and which barriers come before it, and where every transient lives in memory.
//! `rg-vulkan` executes it; the hazard oracle ([`crate::oracle`]) checks it; `print.rs` writes it
//! as text, JSON and DOT.

use crate::access::{Access, AccessMask, Layout, ResourceKind, ResourceState, StageMask, Usage};
use crate::graph::{Lifetime, Subresource};
use crate::memory::{MemoryRequirements, ResolvedImage};
use crate::types::QueueKind;
use std::ops::Range;
use std::sync::Arc;

/// A frame's compiled plan.
///
/// The passes' waits, barriers, accesses and releases live in four arrays shared by the whole
/// plan, in pass order; each [`PlannedPass`] holds its ranges into them, and
/// [`Plan::waits_of`], [`Plan::barriers_of`], [`Plan::accesses_of`] and [`Plan::releases_of`]
/// give one pass's slice. A pass's batch is then one contiguous slice, as
/// `vkCmdPipelineBarrier2` takes it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Plan {
    /// Passes that run, in submission order. `Wait::Pass(i)` and resource lifetimes index this.
    pub passes: Vec<PlannedPass>,
    /// Every pass's cross-queue waits, pass after pass (`PlannedPass::waits` indexes this).
    pub waits: Vec<Wait>,
    /// Every pass's batch of barriers, pass after pass (`PlannedPass::barriers` indexes this).
    pub barriers: Vec<Barrier>,
    /// Every pass's accesses, pass after pass (`PlannedPass::accesses` indexes this).
    pub accesses: Vec<PlannedAccess>,
    /// Every pass's ownership releases, pass after pass (`PlannedPass::releases` indexes this).
    pub releases: Vec<Barrier>,
    /// Passes dropped because nothing needed what they produce.
    pub culled: Vec<(usize, Arc<str>)>,
    /// Every declared resource, indexed like the graph's handles.
    pub resources: Vec<PlannedResource>,
    /// Memory blocks that transients are placed in.
    pub heaps: Vec<Heap>,
    /// Ownership releases recorded at the start of the frame, before any pass, on the queue
    /// named in each barrier (imports owned by a queue other than their first user's).
    pub prologue: Vec<Barrier>,
    /// Transitions recorded after the last pass into imports' exit states, on each barrier's queue.
    pub epilogue: Vec<Barrier>,
    pub stats: PlanStats,
}

/// One pass as it runs. Its waits, barriers, accesses and releases are ranges into the plan's
/// arrays of the same names.
#[derive(Clone, Debug, PartialEq)]
pub struct PlannedPass {
    /// The pass's index in declaration order (for its payload). A plan may serve every graph of
    /// the same structure, so it holds indices, not a graph's [`crate::PassId`]s.
    pub id: usize,
    pub label: Arc<str>,
    pub queue: QueueKind,
    /// Cross-queue waits to perform before this pass's barriers: a range of `Plan::waits`.
    pub waits: Range<u32>,
    /// Whether some later pass on another queue waits for this one (signal after it).
    pub signal: bool,
    /// One batch of barriers recorded before the pass, on its queue: a range of `Plan::barriers`.
    pub barriers: Range<u32>,
    /// What the pass touches, in declaration order: a range of `Plan::accesses`.
    pub accesses: Range<u32>,
    /// Ownership releases recorded right after the pass, on its queue: a range of
    /// `Plan::releases`.
    pub releases: Range<u32>,
}

/// One access of a pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlannedAccess {
    pub resource: usize,
    pub access: Access,
    /// The version read (for a write, the version written over).
    pub version: u32,
    /// The mip levels and layers of an image it touches, with explicit counts
    /// ([`Subresource::ALL`] for buffers).
    pub subresource: Subresource,
}

/// What a cross-queue wait waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WaitPoint {
    /// The frame's prologue on `Wait::queue` (its ownership releases).
    Prologue,
    /// The end of the pass at this index of `Plan::passes` (which runs on `Wait::queue`).
    Pass(usize),
}

/// A semaphore wait on another queue's progress.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Wait {
    pub queue: QueueKind,
    pub point: WaitPoint,
    /// Stages of the waiting pass that must not start before the point is reached.
    pub stages: StageMask,
}

/// Which half of a queue-ownership transfer a barrier is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TransferHalf {
    Release,
    Acquire,
}

/// A queue-ownership transfer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct OwnershipTransfer {
    pub from: QueueKind,
    pub to: QueueKind,
    pub half: TransferHalf,
}

/// One resource's barrier: an execution and memory dependency from the `src` scope (earlier
/// commands on `queue`) to the `dst` scope (later ones), with a layout transition for images.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Barrier {
    pub resource: usize,
    /// The queue the barrier is recorded on.
    pub queue: QueueKind,
    pub src_stages: StageMask,
    pub src_access: AccessMask,
    pub dst_stages: StageMask,
    pub dst_access: AccessMask,
    /// `(old, new)` for images; `None` for buffers.
    pub layout: Option<(Layout, Layout)>,
    /// The mip levels and layers of an image it covers, with explicit counts
    /// ([`Subresource::ALL`] for buffers).
    pub subresource: Subresource,
    /// The old contents are not kept: first use of a transient, or an aliasing hand-over from
    /// the resources that used the memory before (the old layout is then `Undefined`).
    pub discard: bool,
    pub transfer: Option<OwnershipTransfer>,
}

/// A resource as planned.
#[derive(Clone, Debug, PartialEq)]
pub struct PlannedResource {
    pub label: Arc<str>,
    pub kind: ResourceKind,
    /// Set for images.
    pub image: Option<ResolvedImage>,
    /// Set for buffers.
    pub buffer_size: Option<u64>,
    pub lifetime: Lifetime,
    /// Usage inferred from every access (culled passes excluded).
    pub usage: Usage,
    /// State at the start of the frame: an import's entry state, or for a temporal resource the
    /// state the previous frame left it in. `None` for transients.
    pub entry: Option<ResourceState>,
    /// State required at the end of the frame (imports and temporals).
    pub exit: Option<ResourceState>,
    /// Whether the contents at entry are meaningful (false for transients and for imports whose
    /// entry layout is `Undefined`).
    pub defined_at_entry: bool,
    /// Indices into `Plan::passes` of the first and last pass that use it; `None` when unused.
    pub first_use: Option<usize>,
    pub last_use: Option<usize>,
    /// Where a transient lives; `None` for others and for unused transients.
    pub placement: Option<Placement>,
    /// What the memory oracle asked for (transients only).
    pub requirements: Option<MemoryRequirements>,
}

/// A transient's place in a heap.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Placement {
    pub heap: usize,
    pub offset: u64,
    pub size: u64,
}

/// A block of memory shared by transients whose lifetimes do not overlap.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Heap {
    /// Memory types every resource placed here accepts.
    pub memory_type_bits: u32,
    pub size: u64,
    pub alignment: u64,
    /// Resources placed here, in the order they were placed: largest first, then earliest
    /// first use, then declaration order. (The printed plan lists them by offset.)
    pub resources: Vec<usize>,
}

/// Totals of a plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct PlanStats {
    pub passes_declared: usize,
    pub passes_run: usize,
    pub passes_culled: usize,
    /// Barriers in the plan: pass batches, releases, prologue and epilogue.
    pub barriers: usize,
    /// Cross-queue waits.
    pub waits: usize,
    /// Sum of heap sizes.
    pub transient_bytes: u64,
    /// What the transients would take with no aliasing.
    pub unaliased_bytes: u64,
    /// The peak of bytes live at once over the schedule: no placement can do better.
    pub lower_bound_bytes: u64,
}

fn slice<'a, T>(all: &'a [T], r: &Range<u32>) -> &'a [T] {
    &all[r.start as usize..r.end as usize]
}

/// Removes `all[index]` and shifts the ranges that `range` picks out of each pass to match.
fn remove_at<T>(
    all: &mut Vec<T>,
    passes: &mut [PlannedPass],
    index: usize,
    range: impl Fn(&mut PlannedPass) -> &mut Range<u32>,
) -> T {
    let i = index as u32;
    for p in passes {
        let r = range(p);
        if r.start > i {
            r.start -= 1;
        }
        if r.end > i {
            r.end -= 1;
        }
    }
    all.remove(index)
}

impl Plan {
    /// The first pass run with label `label`, with its index in `Plan::passes` (for tools and
    /// tests that look a pass up by name; labels need not be unique).
    pub fn find_pass(&self, label: &str) -> Option<(usize, &PlannedPass)> {
        self.passes.iter().enumerate().find(|(_, p)| &*p.label == label)
    }

    /// The cross-queue waits of `pass`, performed before its barriers.
    pub fn waits_of(&self, pass: &PlannedPass) -> &[Wait] {
        slice(&self.waits, &pass.waits)
    }

    /// The batch of barriers recorded before `pass`.
    pub fn barriers_of(&self, pass: &PlannedPass) -> &[Barrier] {
        slice(&self.barriers, &pass.barriers)
    }

    /// What `pass` touches, in declaration order.
    pub fn accesses_of(&self, pass: &PlannedPass) -> &[PlannedAccess] {
        slice(&self.accesses, &pass.accesses)
    }

    /// The ownership releases recorded right after `pass`.
    pub fn releases_of(&self, pass: &PlannedPass) -> &[Barrier] {
        slice(&self.releases, &pass.releases)
    }

    /// Removes `Plan::waits[index]`, keeping every pass's range right (for tests and tools that
    /// edit a plan).
    ///
    /// # Panics
    /// If `index` is out of bounds.
    pub fn remove_wait(&mut self, index: usize) -> Wait {
        remove_at(&mut self.waits, &mut self.passes, index, |p| &mut p.waits)
    }

    /// Removes `Plan::barriers[index]`, keeping every pass's range right (for tests and tools
    /// that edit a plan).
    ///
    /// # Panics
    /// If `index` is out of bounds.
    pub fn remove_barrier(&mut self, index: usize) -> Barrier {
        remove_at(&mut self.barriers, &mut self.passes, index, |p| &mut p.barriers)
    }

    /// Removes `Plan::releases[index]`, keeping every pass's range right (for tests and tools
    /// that edit a plan).
    ///
    /// # Panics
    /// If `index` is out of bounds.
    pub fn remove_release(&mut self, index: usize) -> Barrier {
        remove_at(&mut self.releases, &mut self.passes, index, |p| &mut p.releases)
    }

    /// Iterates over every barrier of the plan: prologue, each pass's batch and releases, epilogue.
    pub fn all_barriers(&self) -> impl Iterator<Item = &Barrier> {
        self.prologue
            .iter()
            .chain(
                self.passes
                    .iter()
                    .flat_map(|p| self.barriers_of(p).iter().chain(self.releases_of(p))),
            )
            .chain(self.epilogue.iter())
    }
}

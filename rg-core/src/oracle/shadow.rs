//! The shadow state of a resource, and the rules of Vulkan's synchronization scopes the replay
//! applies to it: logically earlier and later stages, chains through barriers and semaphores, and
//! visibility per stage and access.

use crate::access::{AccessMask, Layout, ResourceKind, StageMask};
use crate::graph::Lifetime;
use crate::plan::{PlannedResource, WaitPoint};
use crate::types::QueueKind;
use std::fmt;

pub(super) const QUEUES: usize = QueueKind::ALL.len();
const STAGE_BITS: usize = 16;

/// Where in the replay a barrier sits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum At {
    Prologue,
    /// The batch before pass `i`.
    Batch(usize),
    /// The releases after pass `i`.
    Release(usize),
    Epilogue,
}

impl At {
    pub(super) fn pass(self) -> Option<usize> {
        match self {
            At::Batch(i) | At::Release(i) => Some(i),
            At::Prologue | At::Epilogue => None,
        }
    }

    /// The earliest wait point that covers work recorded here. Nothing in the frame can wait for
    /// the epilogue, so it gets a point no wait reaches.
    pub(super) fn point(self) -> WaitPoint {
        match self {
            At::Prologue => WaitPoint::Prologue,
            At::Batch(i) | At::Release(i) => WaitPoint::Pass(i),
            At::Epilogue => WaitPoint::Pass(usize::MAX),
        }
    }
}

/// What made an outstanding access.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Origin {
    /// The last use before the frame (the entry state).
    Entry,
    /// A pass's access. Only these are exempt from conflicts with the same pass's other accesses.
    Access(usize),
    /// A layout transition or discard.
    Barrier(At),
    /// The acquire half of an ownership transfer.
    Acquire(At),
}

/// For each queue, the stages on it that are execution-ordered after an access (by barriers on
/// that queue, whose first scope chains with the access, a semaphore wait or an earlier barrier).
pub(super) type Exec = [StageMask; QUEUES];

pub(super) const NO_EXEC: Exec = [StageMask::NONE; QUEUES];

/// Memory accesses per pipeline stage: what a write made, or what it has been made visible to.
/// Access scopes are exact where execution scopes are not: a barrier's first access scope holds
/// only the accesses it names made in the stages it names, and its second scope likewise; the
/// logically earlier or later stages its execution scopes take in add no accesses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct PerStage([AccessMask; STAGE_BITS]);

impl PerStage {
    pub(super) const NONE: PerStage = PerStage([AccessMask::NONE; STAGE_BITS]);

    /// Every access in `access` in every stage in `stages`.
    pub(super) fn pairs(stages: StageMask, access: AccessMask) -> PerStage {
        let mut v = PerStage::NONE;
        v.add(stages, access);
        v
    }

    pub(super) fn add(&mut self, stages: StageMask, access: AccessMask) {
        for b in stage_bits(stages) {
            self.0[b] |= access;
        }
    }

    pub(super) fn union(mut self, other: PerStage) -> PerStage {
        for (a, b) in self.0.iter_mut().zip(other.0) {
            *a |= b;
        }
        self
    }

    /// The stages in `stages` where not all of `access` is held.
    pub(super) fn missing(&self, stages: StageMask, access: AccessMask) -> StageMask {
        let mut out = StageMask::NONE;
        for b in stage_bits(stages).filter(|&b| !self.0[b].contains(access)) {
            out |= stage(b);
        }
        out
    }

    /// Whether every pair held is among `stages` x `access` (an access scope).
    pub(super) fn within(&self, stages: StageMask, access: AccessMask) -> bool {
        self.outside(stages, access) == PerStage::NONE
    }

    /// The pairs held that are not among `stages` x `access`.
    pub(super) fn outside(&self, stages: StageMask, access: AccessMask) -> PerStage {
        let mut out = *self;
        for b in stage_bits(stages) {
            out.0[b] = out.0[b].minus(access);
        }
        out
    }

    /// What is held in `stages`, for messages: `fragment_shader: sampled_read, transfer: -`.
    pub(super) fn names_in(&self, stages: StageMask) -> String {
        let names: Vec<String> =
            stage_bits(stages).map(|b| format!("{}: {}", stage(b), self.0[b])).collect();
        names.join(", ")
    }
}

impl fmt::Display for PerStage {
    /// The stages that hold something, and what they hold.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let held = (0..STAGE_BITS).filter(|&b| !self.0[b].is_empty());
        let mut stages = StageMask::NONE;
        held.for_each(|b| stages |= stage(b));
        if stages.is_empty() {
            f.write_str("nothing")
        } else {
            f.write_str(&self.names_in(stages))
        }
    }
}

/// The last write of a resource. A layout transition and an acquire count as one.
#[derive(Clone, Copy, Debug)]
pub(super) struct Write {
    /// The queue it ran on, which it stays on through ownership transfers: a barrier there whose
    /// source scope holds `stages` orders it even after a round trip through other queues.
    pub(super) queue: QueueKind,
    /// Stages the write ran in. Empty for transitions and acquires: later work is ordered after
    /// those only through a chain from `exec`.
    pub(super) stages: StageMask,
    pub(super) access: AccessMask,
    /// The write accesses it made, per stage: what a barrier's first access scope must hold to
    /// make it available.
    pub(super) made: PerStage,
    pub(super) origin: Origin,
    /// The earliest wait point on `queue` that covers it.
    pub(super) point: WaitPoint,
    pub(super) exec: Exec,
    pub(super) available: bool,
    /// The stage and access pairs it is visible to (meaningful only once available).
    pub(super) visible: PerStage,
}

impl Write {
    /// A barrier's own write (a layout transition, a discard or an acquire) on `q`: ordered
    /// before, and visible to, exactly its destination scope.
    pub(super) fn barrier(
        q: QueueKind,
        origin: Origin,
        at: At,
        dst_stages: StageMask,
        dst_access: AccessMask,
    ) -> Write {
        Write {
            queue: q,
            stages: StageMask::NONE,
            access: AccessMask::NONE,
            made: PerStage::NONE,
            origin,
            point: at.point(),
            exec: exec_on(q, dst_stages),
            available: true,
            visible: PerStage::pairs(dst_stages, dst_access),
        }
    }
}

/// A read since the last write.
#[derive(Clone, Copy, Debug)]
pub(super) struct Read {
    pub(super) queue: QueueKind,
    pub(super) stages: StageMask,
    pub(super) origin: Origin,
    pub(super) point: WaitPoint,
    pub(super) exec: Exec,
}

/// The first half of an ownership transfer, waiting for its acquire.
#[derive(Clone, Copy, Debug)]
pub(super) struct Release {
    pub(super) from: QueueKind,
    pub(super) to: QueueKind,
    pub(super) layout: Option<(Layout, Layout)>,
    pub(super) point: WaitPoint,
    pub(super) at: At,
}

/// The state of one cell: a mip level of a layer of an image, or a whole buffer.
#[derive(Clone, Debug, Default)]
pub(super) struct Shadow {
    /// Whose cell it is, and which.
    pub(super) resource: usize,
    pub(super) mip: u32,
    pub(super) layer: u32,
    pub(super) image: bool,
    pub(super) depth: bool,
    pub(super) layout: Option<Layout>,
    pub(super) owner: Option<QueueKind>,
    /// Whether the contents mean anything.
    pub(super) defined: bool,
    pub(super) write: Option<Write>,
    pub(super) reads: Vec<Read>,
    pub(super) release: Option<Release>,
    /// Whether a barrier or access has named it yet (its aliasing hand-over happens then).
    pub(super) touched: bool,
    /// What named it first. The next frame replays the same plan, so for a temporal resource
    /// this is also what the next frame does first to the state this frame leaves.
    pub(super) first: Option<Touch>,
}

/// The first barrier or access to name a cell. `waited` holds, for each queue, the stages of
/// it (of the barrier's first scope, with the logically earlier ones, or the accesses' stages)
/// that had waited by then, through semaphores, for that queue's work before the frame: a full
/// memory dependency on the last frame's work there.
#[derive(Clone, Copy, Debug)]
pub(super) enum Touch {
    /// A barrier on `queue` whose first scope is `src`.
    Barrier { at: At, queue: QueueKind, src: StageMask, waited: [StageMask; QUEUES] },
    /// The accesses of pass `pass`, on `queue`, with no barrier before them: they run in
    /// `stages` and read `reads` (besides the contents, which the layout and ordering cover).
    Access {
        pass: usize,
        queue: QueueKind,
        stages: StageMask,
        reads: AccessMask,
        waited: [StageMask; QUEUES],
    },
}

/// The state of every cell of resource `r` at the start of the frame.
pub(super) fn initial_state(res: &PlannedResource, r: usize) -> Shadow {
    let image = res.kind == ResourceKind::Image;
    let mut sh = Shadow {
        resource: r,
        image,
        depth: res.image.is_some_and(|im| im.format.is_depth()),
        layout: image.then_some(Layout::Undefined),
        ..Shadow::default()
    };
    // An import's entry state is the user's declaration, so it is read from the lifetime; only a
    // temporal's entry comes from the plan, where the compiler put what the last frame leaves.
    let (entry, defined) = match res.lifetime {
        Lifetime::Transient => return sh,
        Lifetime::Imported { entry, .. } => (Some(entry), entry.layout != Some(Layout::Undefined)),
        Lifetime::Temporal => (res.entry, res.defined_at_entry),
    };
    let Some(entry) = entry else { return sh };
    if image {
        sh.layout = Some(entry.layout.unwrap_or(Layout::Undefined));
    }
    sh.owner = Some(entry.queue);
    sh.defined = defined && !(image && sh.layout == Some(Layout::Undefined));
    if entry.stages.is_empty() {
        return sh;
    }
    if entry.access.writes().is_empty() {
        sh.reads.push(Read {
            queue: entry.queue,
            stages: entry.stages,
            origin: Origin::Entry,
            point: WaitPoint::Prologue,
            exec: NO_EXEC,
        });
    } else {
        sh.write = Some(Write {
            queue: entry.queue,
            stages: entry.stages,
            access: entry.access,
            made: PerStage::pairs(entry.stages, entry.access.writes()),
            origin: Origin::Entry,
            point: WaitPoint::Prologue,
            exec: NO_EXEC,
            available: false,
            visible: PerStage::NONE,
        });
    }
    sh
}

/// The pipelines' stages in logical order. A first synchronization scope takes in the logically
/// earlier stages of those it names, and a second scope the logically later ones; transfer and
/// host stages stand alone. Kept apart from `StageMask::and_later` on purpose, so that a mistake
/// there shows up as a disagreement between the compiler and the oracle.
const PIPELINES: [&[StageMask]; 2] = [
    &[
        StageMask::DRAW_INDIRECT,
        StageMask::VERTEX_INPUT,
        StageMask::VERTEX_SHADER,
        StageMask::EARLY_FRAGMENT_TESTS,
        StageMask::FRAGMENT_SHADER,
        StageMask::LATE_FRAGMENT_TESTS,
        StageMask::COLOR_ATTACHMENT_OUTPUT,
    ],
    &[StageMask::DRAW_INDIRECT, StageMask::COMPUTE_SHADER],
];

/// `stages` with every stage logically after one of them (a second synchronization scope).
pub(super) fn and_later(stages: StageMask) -> StageMask {
    let mut out = stages;
    for p in PIPELINES {
        if let Some(i) = p.iter().position(|s| stages.intersects(*s)) {
            p[i..].iter().for_each(|s| out |= *s);
        }
    }
    out
}

/// `stages` with every stage logically before one of them (a first synchronization scope).
pub(super) fn and_earlier(stages: StageMask) -> StageMask {
    let mut out = stages;
    for p in PIPELINES {
        if let Some(i) = p.iter().rposition(|s| stages.intersects(*s)) {
            p[..=i].iter().for_each(|s| out |= *s);
        }
    }
    out
}

/// Whether a barrier recorded on `q` with first scope `src` orders an access that ran on `queue`
/// in `stages` and is ordered before `exec`. Empty `stages` means "only through a chain", never
/// "trivially".
pub(super) fn ordered_by(
    q: QueueKind,
    src: StageMask,
    queue: QueueKind,
    stages: StageMask,
    exec: &Exec,
) -> bool {
    let src = and_earlier(src);
    (q == queue && !stages.is_empty() && src.contains(stages)) || src.intersects(exec[q.index()])
}

/// Ordered before the second scope `dst` on `q`.
pub(super) fn exec_on(q: QueueKind, dst: StageMask) -> Exec {
    let mut exec = NO_EXEC;
    exec[q.index()] = and_later(dst);
    exec
}

/// How far an access is ordered, for messages.
pub(super) fn ordered_only_before(exec: StageMask) -> String {
    if exec.is_empty() {
        "no barrier orders it".into()
    } else {
        format!("barriers order it only before {exec}")
    }
}

pub(super) fn stage_bits(stages: StageMask) -> impl Iterator<Item = usize> {
    (0..STAGE_BITS).filter(move |b| stages.0 & (1u16 << b) != 0)
}

fn stage(bit: usize) -> StageMask {
    StageMask(1 << bit)
}

/// What each queue is known to run after on the others, from the semaphore waits so far.
pub(super) struct Sync {
    /// `waited[q][q2][bit]`: the latest point on `q2` that work on `q` in stage `bit` runs after.
    /// Semaphore waits carry over to later submissions, so this only grows along a queue.
    pub(super) waited: [[[Option<WaitPoint>; STAGE_BITS]; QUEUES]; QUEUES],
    /// For each pass replayed so far: the latest point on each queue known finished when it ends.
    pub(super) done: Vec<[Option<WaitPoint>; QUEUES]>,
}

impl Sync {
    pub(super) fn new(passes: usize) -> Self {
        Sync { waited: [[[None; STAGE_BITS]; QUEUES]; QUEUES], done: Vec::with_capacity(passes) }
    }

    /// The stages in `stages` on `q` that wait for `point` on `q2`. A wait is a full memory
    /// dependency for them: what was done before `point` is ordered before and visible to every
    /// access in those stages.
    pub(super) fn waited(
        &self,
        q: QueueKind,
        q2: QueueKind,
        stages: StageMask,
        point: WaitPoint,
    ) -> StageMask {
        let w = &self.waited[q.index()][q2.index()];
        let mut out = StageMask::NONE;
        for b in stage_bits(stages).filter(|&b| w[b] >= Some(point)) {
            out |= stage(b);
        }
        out
    }

    /// For each queue, the stages in `stages` on `q` that wait for its work before the frame.
    pub(super) fn waited_before_frame(
        &self,
        q: QueueKind,
        stages: StageMask,
    ) -> [StageMask; QUEUES] {
        QueueKind::ALL.map(|q2| self.waited(q, q2, stages, WaitPoint::Prologue))
    }

    /// Whether a barrier recorded on `q` with first scope `src` chains from a wait for `point` on
    /// `q2`: some stage of its first scope (with the logically earlier ones) waited for it.
    pub(super) fn chains(
        &self,
        q: QueueKind,
        q2: QueueKind,
        src: StageMask,
        point: WaitPoint,
    ) -> bool {
        !self.waited(q, q2, and_earlier(src), point).is_empty()
    }
}

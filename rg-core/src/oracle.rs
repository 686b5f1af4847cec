//! The hazard oracle: an independent check of a compiled [`Plan`].
//!
//! The compiler decides where barriers go; the oracle decides nothing and only replays. It reads
//! the raw facts of a plan (the pass order, each pass's queue, accesses, waits, barriers and
//! releases, the prologue and epilogue, and each resource's lifetime, entry and exit states and
//! placement) and nothing the compiler derived for its own use: `first_use`/`last_use` only ever
//! widen the live ranges the oracle computes from the accesses, so a wrong value can add a report
//! but never hide one. Every resource gets a shadow state: its layout, its owning queue, whether
//! its contents mean anything, the last write (with the stages it is execution-ordered before, and
//! the accesses it is visible to) and the reads since. As in Vulkan, a barrier acts only on the
//! queue it is recorded on; semaphore waits order queues, per waiting stage and transitively (a
//! wait on a pass also covers whatever that pass's queue had waited for before it). Aliasing is
//! checked beside the replay: live ranges from the accesses, overlapping placements found by a sort
//! and sweep, and each hand-over's barrier checked against the previous occupant's shadow state.
//!
//! The model is conservative on purpose. It grants no ordering that Vulkan gives implicitly (host
//! writes made visible by a submission, fences between frames), it tracks whole resources rather
//! than mips, layers or byte ranges, and a layout transition has no stage of its own: later work is
//! ordered after it only through a chain from its destination stages. A correct plan that leans on
//! such guarantees is reported; a plan that passes is correct under the model. The cost is linear
//! in the size of the plan, plus O(n log n + overlapping pairs) for the alias sweep, so property
//! tests can replay thousands of random plans.

use crate::access::{Access, AccessMask, Layout, ResourceKind, ResourceState, StageMask};
use crate::graph::Lifetime;
use crate::plan::{Barrier, OwnershipTransfer, Plan, PlannedAccess, TransferHalf, WaitPoint};
use crate::types::QueueKind;
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
pub fn check(plan: &Plan) -> Vec<Hazard> {
    let mut oracle = Oracle::new(plan);
    oracle.check_aliasing();
    oracle.replay();
    oracle.check_exit();
    oracle.hazards
}

const QUEUES: usize = QueueKind::ALL.len();
const STAGE_BITS: usize = 16;
const ANY_STAGE: StageMask = StageMask(u16::MAX);

/// Where in the replay a barrier sits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum At {
    Prologue,
    /// The batch before pass `i`.
    Batch(usize),
    /// The releases after pass `i`.
    Release(usize),
    Epilogue,
}

impl At {
    fn pass(self) -> Option<usize> {
        match self {
            At::Batch(i) | At::Release(i) => Some(i),
            At::Prologue | At::Epilogue => None,
        }
    }

    /// The earliest wait point that covers work recorded here. Nothing in the frame can wait for
    /// the epilogue, so it gets a point no wait reaches.
    fn point(self) -> WaitPoint {
        match self {
            At::Prologue => WaitPoint::Prologue,
            At::Batch(i) | At::Release(i) => WaitPoint::Pass(i),
            At::Epilogue => WaitPoint::Pass(usize::MAX),
        }
    }
}

/// What made an outstanding access.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Origin {
    /// The last use before the frame (the entry state).
    Entry,
    /// A pass's access. Only these are exempt from conflicts with the same pass's other accesses.
    Access(usize),
    /// A layout transition or discard.
    Barrier(At),
}

/// The last write of a resource. A layout transition counts as one.
#[derive(Clone, Copy, Debug)]
struct Write {
    queue: QueueKind,
    /// Stages the write ran in. Empty for transitions and for writes handed over by an acquire:
    /// later work is ordered after those only through a chain from `exec`.
    stages: StageMask,
    access: AccessMask,
    origin: Origin,
    /// The earliest wait point on `queue` that covers it.
    point: WaitPoint,
    /// Stages on `queue` that are execution-ordered after it.
    exec: StageMask,
    available: bool,
    /// Accesses it is visible to.
    visible: AccessMask,
}

/// A read since the last write.
#[derive(Clone, Copy, Debug)]
struct Read {
    queue: QueueKind,
    stages: StageMask,
    origin: Origin,
    point: WaitPoint,
    exec: StageMask,
}

/// The first half of an ownership transfer, waiting for its acquire.
#[derive(Clone, Copy, Debug)]
struct Release {
    from: QueueKind,
    to: QueueKind,
    layout: Option<(Layout, Layout)>,
    point: WaitPoint,
    at: At,
}

#[derive(Clone, Debug, Default)]
struct Shadow {
    image: bool,
    depth: bool,
    layout: Option<Layout>,
    owner: Option<QueueKind>,
    /// Whether the contents mean anything.
    defined: bool,
    write: Option<Write>,
    reads: Vec<Read>,
    release: Option<Release>,
    /// Whether a barrier or access has named it yet (its aliasing hand-over happens then).
    touched: bool,
    /// Set once a later occupant of its memory took over; it is then no longer checked, because
    /// the next occupant is ordered after the hand-over that was.
    retired: bool,
}

/// Whether a barrier with first scope `src` orders an access that ran in `stages` and is already
/// ordered before `exec`. Empty `stages` means "only through a chain", never "trivially".
fn ordered_by(src: StageMask, stages: StageMask, exec: StageMask) -> bool {
    (!stages.is_empty() && src.contains(stages)) || src.intersects(exec)
}

fn stage_bits(stages: StageMask) -> impl Iterator<Item = usize> {
    (0..STAGE_BITS).filter(move |b| stages.0 & (1u16 << b) != 0)
}

/// What each queue is known to run after on the others, from the semaphore waits so far.
struct Sync {
    /// `waited[q][q2][bit]`: the latest point on `q2` that work on `q` in stage `bit` runs after.
    /// Semaphore waits carry over to later submissions, so this only grows along a queue.
    waited: [[[Option<WaitPoint>; STAGE_BITS]; QUEUES]; QUEUES],
    /// For each pass replayed so far: the latest point on each queue known finished when it ends.
    done: Vec<[Option<WaitPoint>; QUEUES]>,
}

impl Sync {
    /// Whether every stage in `stages` on `q` waits for `point` on `q2`.
    fn covers_all(&self, q: QueueKind, q2: QueueKind, stages: StageMask, point: WaitPoint) -> bool {
        let w = &self.waited[q.index()][q2.index()];
        !stages.is_empty() && stage_bits(stages).all(|b| w[b] >= Some(point))
    }

    /// Whether some stage in `stages` on `q` waits for `point` on `q2` (enough for a barrier,
    /// whose first scope then chains with the wait).
    fn covers_any(&self, q: QueueKind, q2: QueueKind, stages: StageMask, point: WaitPoint) -> bool {
        let w = &self.waited[q.index()][q2.index()];
        stage_bits(stages).any(|b| w[b] >= Some(point))
    }
}

struct Oracle<'p> {
    plan: &'p Plan,
    shadows: Vec<Shadow>,
    /// For each resource, the earlier resources whose memory it takes over.
    preds: Vec<Vec<usize>>,
    sync: Sync,
    hazards: Vec<Hazard>,
}

fn initial_state(res: &crate::plan::PlannedResource) -> Shadow {
    let image = res.kind == ResourceKind::Image;
    let mut sh = Shadow {
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
            exec: StageMask::NONE,
        });
    } else {
        sh.write = Some(Write {
            queue: entry.queue,
            stages: entry.stages,
            access: entry.access,
            origin: Origin::Entry,
            point: WaitPoint::Prologue,
            exec: StageMask::NONE,
            available: false,
            visible: AccessMask::NONE,
        });
    }
    sh
}

fn widen(range: &mut Option<(usize, usize)>, i: usize) {
    *range = Some(match *range {
        None => (i, i),
        Some((a, b)) => (a.min(i), b.max(i)),
    });
}

/// Each resource's live range in pass indices, from every barrier and access that names it.
/// A barrier in the epilogue keeps a resource live through the end (`passes.len()`).
fn live_ranges(plan: &Plan) -> Vec<Option<(usize, usize)>> {
    let mut live = vec![None; plan.resources.len()];
    let mut touch = |r: usize, i: usize| {
        if let Some(range) = live.get_mut(r) {
            widen(range, i);
        }
    };
    for b in &plan.prologue {
        touch(b.resource, 0);
    }
    for (i, p) in plan.passes.iter().enumerate() {
        for a in &p.accesses {
            touch(a.resource, i);
        }
        for b in p.barriers.iter().chain(&p.releases) {
            touch(b.resource, i);
        }
    }
    for b in &plan.epilogue {
        touch(b.resource, plan.passes.len());
    }
    // The compiler's own ranges only widen ours: an exported transient stays live to the end, and
    // a placement that contradicts the compiler's lifetimes is a bug worth reporting.
    for (r, res) in plan.resources.iter().enumerate() {
        for i in [res.first_use, res.last_use].into_iter().flatten() {
            touch(r, i);
        }
    }
    live
}

impl<'p> Oracle<'p> {
    fn new(plan: &'p Plan) -> Self {
        Oracle {
            plan,
            shadows: plan.resources.iter().map(initial_state).collect(),
            preds: vec![Vec::new(); plan.resources.len()],
            sync: Sync {
                waited: [[[None; STAGE_BITS]; QUEUES]; QUEUES],
                done: Vec::with_capacity(plan.passes.len()),
            },
            hazards: Vec::new(),
        }
    }

    fn report(&mut self, kind: HazardKind, resource: usize, pass: Option<usize>, message: String) {
        self.hazards.push(Hazard { kind, resource, pass, message });
    }

    fn res(&self, r: usize) -> String {
        format!("`{}`", self.plan.resources.get(r).map_or("?", |x| &*x.label))
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

    // ---- aliasing ----

    /// Reports placed resources that overlap in memory and in time, and records for each the
    /// earlier occupants of its memory, whose hand-over its first barrier must order.
    fn check_aliasing(&mut self) {
        let live = live_ranges(self.plan);
        let mut placed: Vec<(usize, u64, u64, usize)> = self
            .plan
            .resources
            .iter()
            .enumerate()
            .filter_map(|(r, res)| {
                let p = res.placement?;
                live[r]?;
                (p.size > 0).then(|| (p.heap, p.offset, p.offset.saturating_add(p.size), r))
            })
            .collect();
        placed.sort_unstable();
        // Sweep by offset: `active` holds the resources whose bytes reach the current offset, so
        // every pair compared overlaps in memory.
        let mut active: Vec<(u64, usize)> = Vec::new();
        let mut heap = None;
        for &(h, offset, end, r) in &placed {
            if heap != Some(h) {
                active.clear();
                heap = Some(h);
            }
            active.retain(|&(e, _)| e > offset);
            for &(_, other) in &active {
                self.alias_pair(other, r, &live);
            }
            active.push((end, r));
        }
    }

    fn alias_pair(&mut self, a: usize, b: usize, live: &[Option<(usize, usize)>]) {
        let (Some((fa, la)), Some((fb, lb))) = (live[a], live[b]) else { return };
        if la < fb {
            self.preds[b].push(a);
            return;
        }
        if lb < fa {
            self.preds[a].push(b);
            return;
        }
        let (first, second) = if fa <= fb { (a, b) } else { (b, a) };
        let at = fa.max(fb);
        let pass = (at < self.plan.passes.len()).then_some(at);
        let when = match pass {
            Some(i) => format!("at {}", self.pass_name(i)),
            None => "at the end of the frame".into(),
        };
        let msg = format!(
            "{} and {} share memory in heap {} but are both live {when}",
            self.res(first),
            self.res(second),
            self.plan.resources[a].placement.map_or(0, |p| p.heap),
        );
        self.report(HazardKind::AliasOverlap, second, pass, msg);
    }

    /// The earlier occupants of `r`'s memory not yet handed over, marked handed over now.
    fn take_preds(&mut self, r: usize) -> Vec<usize> {
        let preds: Vec<usize> =
            self.preds[r].iter().copied().filter(|&a| !self.shadows[a].retired).collect();
        for &a in &preds {
            self.shadows[a].retired = true;
        }
        preds
    }

    /// `r`'s first touch is barrier `b`: it must discard, and be ordered after every access of
    /// the resources that used the memory before.
    fn hand_over_at_barrier(&mut self, r: usize, b: &Barrier, at: At) {
        let preds = self.take_preds(r);
        if preds.is_empty() {
            return;
        }
        let pass = at.pass();
        if !b.discard {
            let (kind, what) = if self.shadows[r].image {
                (HazardKind::LayoutMismatch, "a transition from `undefined` that discards")
            } else {
                (HazardKind::UnorderedAccess, "a discarding barrier")
            };
            let msg = format!(
                "{} is the first barrier of {}, which takes over the memory of {}, but it is not {what}",
                self.at_name(at),
                self.res(r),
                self.res(preds[0]),
            );
            self.report(kind, r, pass, msg);
        }
        for a in preds {
            for (kind, prior) in self.unordered_before(a, b.queue, b.src_stages) {
                let msg = format!(
                    "the hand-over of memory from {} to {} in {} is not ordered after {prior}{}",
                    self.res(a),
                    self.res(r),
                    self.at_name(at),
                    self.why(kind, b.queue, b.src_stages),
                );
                self.report(kind, r, pass, msg);
            }
        }
    }

    /// `r`'s first touch is an access of pass `i`, with no barrier to hand its memory over.
    fn hand_over_at_access(&mut self, r: usize, i: usize) {
        let preds = self.take_preds(r);
        // An image's missing transition shows as a layout mismatch at the access itself.
        if self.shadows[r].image {
            return;
        }
        for a in preds {
            let msg = format!(
                "{} is the first to use {}, which takes over the memory of {}, but no barrier hands \
                 the memory over",
                self.pass_name(i),
                self.res(r),
                self.res(a),
            );
            self.report(HazardKind::UnorderedAccess, r, Some(i), msg);
        }
    }

    // ---- replay ----

    fn replay(&mut self) {
        let plan = self.plan;
        for b in &plan.prologue {
            self.barrier(b, At::Prologue);
        }
        for (i, p) in plan.passes.iter().enumerate() {
            self.waits(i);
            for b in &p.barriers {
                if self.on_pass_queue(b, i, At::Batch(i)) {
                    self.barrier(b, At::Batch(i));
                }
            }
            self.accesses(i);
            for b in &p.releases {
                if self.on_pass_queue(b, i, At::Release(i)) {
                    self.barrier(b, At::Release(i));
                }
            }
        }
        for b in &plan.epilogue {
            self.barrier(b, At::Epilogue);
        }
    }

    /// A pass's barriers are recorded in its command buffer; one that claims another queue cannot
    /// be, so it is reported and left out of the replay.
    fn on_pass_queue(&mut self, b: &Barrier, i: usize, at: At) -> bool {
        let q = self.plan.passes[i].queue;
        if b.queue == q || b.resource >= self.shadows.len() {
            return b.queue == q;
        }
        let msg = format!(
            "{} holds a barrier of {} recorded on {}, but {} runs on {q}",
            self.at_name(at),
            self.res(b.resource),
            b.queue,
            self.pass_name(i),
        );
        self.report(HazardKind::OwnershipViolation, b.resource, Some(i), msg);
        false
    }

    /// Applies pass `i`'s semaphore waits. A wait that names no earlier pass of the queue it
    /// names waits for nothing: it is skipped, and what depended on it shows as a missing wait.
    fn waits(&mut self, i: usize) {
        let plan = self.plan;
        let q = plan.passes[i].queue;
        for w in &plan.passes[i].waits {
            if w.queue == q {
                continue;
            }
            let reached = match w.point {
                WaitPoint::Prologue => {
                    let mut r = [None; QUEUES];
                    r[w.queue.index()] = Some(WaitPoint::Prologue);
                    r
                }
                WaitPoint::Pass(j) if j < i && plan.passes[j].queue == w.queue => self.sync.done[j],
                WaitPoint::Pass(_) => continue,
            };
            for q3 in QueueKind::ALL {
                let Some(p) = reached[q3.index()] else { continue };
                if q3 == q {
                    continue;
                }
                let slots = &mut self.sync.waited[q.index()][q3.index()];
                for b in stage_bits(w.stages) {
                    slots[b] = slots[b].max(Some(p));
                }
            }
        }
        // A semaphore signalled after pass i comes after all of its queue's work so far, and after
        // everything that work waited for, at whatever stage it waited.
        let mut done = [None; QUEUES];
        for q3 in QueueKind::ALL {
            done[q3.index()] = self.sync.waited[q.index()][q3.index()].iter().copied().max().flatten();
        }
        done[q.index()] = Some(WaitPoint::Pass(i));
        self.sync.done.push(done);
    }

    fn barrier(&mut self, b: &Barrier, at: At) {
        let r = b.resource;
        if r >= self.shadows.len() {
            return;
        }
        if !self.shadows[r].touched {
            self.shadows[r].touched = true;
            self.hand_over_at_barrier(r, b, at);
        }
        match b.transfer {
            Some(t) if t.half == TransferHalf::Release => self.release(r, b, t, at),
            Some(t) => self.acquire(r, b, t, at),
            None if b.discard || b.layout.is_some_and(|(o, n)| o != n) => self.transition(r, b, at),
            None => {
                if let Some((old, _)) = b.layout {
                    self.check_barrier_layout(r, at, old);
                }
                self.apply_scopes(r, b);
            }
        }
    }

    /// The execution and memory dependency of `b` on the accesses it orders.
    fn apply_scopes(&mut self, r: usize, b: &Barrier) {
        let sh = &mut self.shadows[r];
        if let Some(w) = sh.write.as_mut() {
            if w.queue == b.queue && ordered_by(b.src_stages, w.stages, w.exec) {
                w.exec |= b.dst_stages;
                if w.available || b.src_access.contains(w.access.writes()) {
                    w.available = true;
                    w.visible |= b.dst_access;
                }
            }
        }
        for rd in &mut sh.reads {
            if rd.queue == b.queue && ordered_by(b.src_stages, rd.stages, rd.exec) {
                rd.exec |= b.dst_stages;
            }
        }
    }

    /// Outstanding accesses of `r` that a barrier recorded on `q` with first scope `src` is not
    /// ordered after: on `q`, by its scope; elsewhere, by a wait that chains with it.
    fn unordered_before(&self, r: usize, q: QueueKind, src: StageMask) -> Vec<(HazardKind, String)> {
        let sh = &self.shadows[r];
        let kind = |queue: QueueKind, stages: StageMask, exec: StageMask, point: WaitPoint| {
            if queue == q {
                (!ordered_by(src, stages, exec)).then_some(HazardKind::UnorderedAccess)
            } else {
                (!self.sync.covers_any(q, queue, src, point)).then_some(HazardKind::MissingWait)
            }
        };
        let mut out = Vec::new();
        if let Some(w) = &sh.write {
            if let Some(k) = kind(w.queue, w.stages, w.exec, w.point) {
                out.push((k, self.describe_write(w)));
            }
        }
        for rd in &sh.reads {
            if let Some(k) = kind(rd.queue, rd.stages, rd.exec, rd.point) {
                out.push((k, self.describe_read(rd)));
            }
        }
        out
    }

    /// The tail of a message about a barrier that fails to order something.
    fn why(&self, kind: HazardKind, q: QueueKind, src: StageMask) -> String {
        match kind {
            HazardKind::MissingWait => {
                format!(": {q} does not wait for it at any source stage ({src})")
            }
            _ => format!(" (source stages {src})"),
        }
    }

    fn check_barrier_layout(&mut self, r: usize, at: At, old: Layout) {
        let sh = &self.shadows[r];
        let msg = if !sh.image {
            format!("{} names layouts in a barrier of buffer {}", self.at_name(at), self.res(r))
        } else if old != Layout::Undefined && sh.layout != Some(old) {
            format!(
                "{} transitions {} from layout `{old}`, but it is in `{}`",
                self.at_name(at),
                self.res(r),
                sh.layout.unwrap_or(Layout::Undefined),
            )
        } else {
            return;
        };
        self.report(HazardKind::LayoutMismatch, r, at.pass(), msg);
    }

    /// A layout transition or discard: a write of its own, which must be ordered after every
    /// outstanding access and, unless it discards, keep the contents it was handed.
    fn transition(&mut self, r: usize, b: &Barrier, at: At) {
        let q = b.queue;
        let pass = at.pass();
        let old = b.layout.map(|(o, _)| o);
        let discards = b.discard || old == Some(Layout::Undefined);
        let sh = &self.shadows[r];
        let ownership = if let Some(rel) = sh.release {
            Some(format!(
                "{} transitions {} on {q} while it is released from {} to {} (in {}) and not yet \
                 acquired",
                self.at_name(at),
                self.res(r),
                rel.from,
                rel.to,
                self.at_name(rel.at),
            ))
        } else {
            match sh.owner {
                Some(o) if o != q && sh.defined && !discards => Some(format!(
                    "{} transitions {} on {q} and keeps its contents, but {o} owns it: it needs a \
                     release on {o} and an acquire on {q}",
                    self.at_name(at),
                    self.res(r),
                )),
                _ => None,
            }
        };
        if let Some(msg) = ownership {
            self.report(HazardKind::OwnershipViolation, r, pass, msg);
        }
        for (kind, prior) in self.unordered_before(r, q, b.src_stages) {
            let msg = format!(
                "the {} of {} in {} is not ordered after {prior}{}",
                if discards { "discard" } else { "layout transition" },
                self.res(r),
                self.at_name(at),
                self.why(kind, q, b.src_stages),
            );
            self.report(kind, r, pass, msg);
        }
        let sh = &self.shadows[r];
        if let Some(w) = sh.write {
            let kept = !discards && sh.defined;
            let ordered = w.queue == q && ordered_by(b.src_stages, w.stages, w.exec);
            if kept && ordered && !(w.available || b.src_access.contains(w.access.writes())) {
                let msg = format!(
                    "the layout transition of {} in {} does not make {} available first (source \
                     access {} lacks {})",
                    self.res(r),
                    self.at_name(at),
                    self.describe_write(&w),
                    b.src_access,
                    w.access.writes().minus(b.src_access),
                );
                self.report(HazardKind::InvisibleWrite, r, pass, msg);
            }
        }
        if let Some(old) = old {
            self.check_barrier_layout(r, at, old);
        }
        let sh = &mut self.shadows[r];
        if discards {
            sh.defined = false;
        }
        if let (true, Some((_, new))) = (sh.image, b.layout) {
            sh.layout = Some(new);
        }
        sh.owner = Some(q);
        sh.release = None;
        sh.write = Some(Write {
            queue: q,
            stages: StageMask::NONE,
            access: AccessMask::NONE,
            origin: Origin::Barrier(at),
            point: at.point(),
            exec: b.dst_stages,
            available: true,
            visible: b.dst_access,
        });
        sh.reads.clear();
    }

    fn release(&mut self, r: usize, b: &Barrier, t: OwnershipTransfer, at: At) {
        let q = b.queue;
        let pass = at.pass();
        let name = self.res(r);
        let where_ = self.at_name(at);
        let mut found = Vec::new();
        if q != t.from {
            found.push(format!("{where_} releases {name} from {} but is recorded on {q}", t.from));
        }
        if t.from == t.to {
            found.push(format!("{where_} transfers {name} from {q} to itself"));
        }
        let sh = &self.shadows[r];
        if let Some(p) = sh.release {
            found.push(format!(
                "{where_} releases {name} again, while the release in {} is not yet acquired",
                self.at_name(p.at)
            ));
        } else if sh.owner != Some(t.from) {
            found.push(format!(
                "{where_} releases {name} from {}, but {}",
                t.from,
                sh.owner.map_or("no queue owns it".into(), |o| format!("{o} owns it")),
            ));
        }
        for msg in found {
            self.report(HazardKind::OwnershipViolation, r, pass, msg);
        }
        for (kind, prior) in self.unordered_before(r, q, b.src_stages) {
            let msg = format!(
                "the release of {name} in {where_} is not ordered after {prior}{}",
                self.why(kind, q, b.src_stages)
            );
            self.report(kind, r, pass, msg);
        }
        let sh = &self.shadows[r];
        if let Some(w) = sh.write {
            let ordered = w.queue == q && ordered_by(b.src_stages, w.stages, w.exec);
            if sh.defined && ordered && !(w.available || b.src_access.contains(w.access.writes())) {
                let msg = format!(
                    "the release of {name} in {where_} does not make {} available (source access {} \
                     lacks {})",
                    self.describe_write(&w),
                    b.src_access,
                    w.access.writes().minus(b.src_access),
                );
                self.report(HazardKind::InvisibleWrite, r, pass, msg);
            }
        }
        if let (Some((old, _)), false) = (b.layout, b.discard) {
            self.check_barrier_layout(r, at, old);
        }
        self.apply_scopes(r, b);
        self.shadows[r].release =
            Some(Release { from: t.from, to: t.to, layout: b.layout, point: at.point(), at });
    }

    fn acquire(&mut self, r: usize, b: &Barrier, t: OwnershipTransfer, at: At) {
        let q = b.queue;
        let pass = at.pass();
        let name = self.res(r);
        let where_ = self.at_name(at);
        if q != t.to {
            let msg = format!("{where_} acquires {name} for {} but is recorded on {q}", t.to);
            self.report(HazardKind::OwnershipViolation, r, pass, msg);
        }
        let Some(p) = self.shadows[r].release else {
            let msg = format!(
                "{where_} acquires {name} on {} from {}, but nothing released it",
                t.to, t.from
            );
            self.report(HazardKind::OwnershipViolation, r, pass, msg);
            // Go on as if owned here, so one missing release is reported once.
            self.apply_scopes(r, b);
            let sh = &mut self.shadows[r];
            sh.owner = Some(t.to);
            if let (true, Some((_, new))) = (sh.image, b.layout) {
                sh.layout = Some(new);
            }
            return;
        };
        let fmt_layout = |l: Option<(Layout, Layout)>| {
            l.map_or("no layouts".into(), |(o, n)| format!("`{o}` to `{n}`"))
        };
        if p.from != t.from || p.to != t.to || p.layout != b.layout {
            let msg = format!(
                "{where_} acquires {name} from {} to {} with {}, but the release in {} was from {} \
                 to {} with {}",
                t.from,
                t.to,
                fmt_layout(b.layout),
                self.at_name(p.at),
                p.from,
                p.to,
                fmt_layout(p.layout),
            );
            self.report(HazardKind::OwnershipViolation, r, pass, msg);
        } else if !self.sync.covers_any(q, t.from, ANY_STAGE, p.point) {
            let msg = format!(
                "{where_} acquires {name} on {q}, but {q} does not wait for {} after the release in {}",
                t.from,
                self.at_name(p.at),
            );
            self.report(HazardKind::MissingWait, r, pass, msg);
        }
        // The semaphore and the release/acquire pair carry every outstanding access over to this
        // queue, ordered before the acquire's destination scope and visible to its accesses.
        let sh = &mut self.shadows[r];
        sh.release = None;
        sh.owner = Some(t.to);
        if let Some((old, new)) = b.layout {
            if sh.image {
                sh.layout = Some(new);
            }
            if old == Layout::Undefined {
                sh.defined = false;
            }
        }
        if b.discard {
            sh.defined = false;
        }
        let point = at.point();
        if let Some(w) = sh.write.as_mut() {
            *w = Write {
                queue: q,
                stages: StageMask::NONE,
                exec: b.dst_stages,
                available: true,
                visible: b.dst_access,
                point,
                ..*w
            };
        }
        if let Some(last) = sh.reads.last().copied() {
            sh.reads.clear();
            sh.reads.push(Read { queue: q, stages: StageMask::NONE, exec: b.dst_stages, point, ..last });
        }
    }

    /// Checks every access of pass `i` against the state before the pass, then applies them all,
    /// so that a pass's accesses never conflict with each other.
    fn accesses(&mut self, i: usize) {
        let plan = self.plan;
        let p = &plan.passes[i];
        for a in &p.accesses {
            let r = a.resource;
            if r >= self.shadows.len() {
                continue;
            }
            if !self.shadows[r].touched {
                self.shadows[r].touched = true;
                self.hand_over_at_access(r, i);
            }
            self.check_access(i, p.queue, a);
        }
        for a in &p.accesses {
            if a.resource < self.shadows.len() {
                self.apply_access(i, p.queue, a.resource, a.access);
            }
        }
    }

    fn check_access(&mut self, i: usize, q: QueueKind, a: &PlannedAccess) {
        let r = a.resource;
        let acc = a.access;
        let stages = acc.stages();
        let memory = acc.memory();
        let writes = acc.writes();
        let needs_visible = memory.minus(AccessMask::WRITES);
        let reads_memory = acc.reads_contents() || !needs_visible.is_empty();
        let verb = if writes { "writes" } else { "reads" };
        let sh = &self.shadows[r];
        let mut found: Vec<(HazardKind, String)> = Vec::new();
        let who = || format!("{} {verb} {} ({acc})", self.pass_name(i), self.res(r));

        if let Some(p) = sh.release {
            found.push((
                HazardKind::OwnershipViolation,
                format!(
                    "{} on {q} while it is released from {} to {} (in {}) and not yet acquired",
                    who(),
                    p.from,
                    p.to,
                    self.at_name(p.at),
                ),
            ));
        } else if let Some(o) = sh.owner {
            if o != q && sh.defined {
                found.push((
                    HazardKind::OwnershipViolation,
                    format!(
                        "{} on {q}, but {o} owns it and its contents are kept: it needs a release \
                         on {o} and an acquire on {q}",
                        who()
                    ),
                ));
            }
        }
        if sh.image {
            let need = acc.layout(sh.depth);
            if sh.layout != Some(need) {
                found.push((
                    HazardKind::LayoutMismatch,
                    format!(
                        "{} in layout `{need}`, but it is in `{}`",
                        who(),
                        sh.layout.unwrap_or(Layout::Undefined)
                    ),
                ));
            }
        }
        if acc.reads_contents() && !sh.defined {
            found.push((
                HazardKind::UndefinedRead,
                format!("{}, but its contents were never written or were discarded", who()),
            ));
        }
        if let Some(w) = sh.write.filter(|w| w.origin != Origin::Access(i)) {
            if reads_memory || writes {
                let prior = self.describe_write(&w);
                if w.queue != q {
                    if !self.sync.covers_all(q, w.queue, stages, w.point) {
                        found.push((
                            HazardKind::MissingWait,
                            format!("{} on {q}, but {q} does not wait for {prior} at {stages}", who()),
                        ));
                    }
                } else if !w.exec.contains(stages) {
                    found.push((
                        HazardKind::UnorderedAccess,
                        format!(
                            "{} in {stages}, but {prior} is ordered only before {}",
                            who(),
                            w.exec
                        ),
                    ));
                } else if reads_memory && !(w.available && w.visible.contains(needs_visible)) {
                    found.push((
                        HazardKind::InvisibleWrite,
                        format!(
                            "{} with {needs_visible}, but {prior} is {}",
                            who(),
                            if w.available {
                                format!("visible only to {}", w.visible)
                            } else {
                                "not made available".into()
                            }
                        ),
                    ));
                } else if writes && !w.available {
                    found.push((
                        HazardKind::UnorderedAccess,
                        format!("{}, but {prior} is not made available before it", who()),
                    ));
                }
            }
        }
        if writes {
            let mut same_queue = false;
            let mut other_queue = false;
            for rd in sh.reads.iter().filter(|rd| rd.origin != Origin::Access(i)) {
                if rd.queue == q {
                    if !same_queue && !rd.exec.contains(stages) {
                        same_queue = true;
                        found.push((
                            HazardKind::UnorderedAccess,
                            format!(
                                "{} in {stages}, but {} is ordered only before {}",
                                who(),
                                self.describe_read(rd),
                                rd.exec
                            ),
                        ));
                    }
                } else if !other_queue && !self.sync.covers_all(q, rd.queue, stages, rd.point) {
                    other_queue = true;
                    found.push((
                        HazardKind::MissingWait,
                        format!(
                            "{} on {q}, but {q} does not wait for {} at {stages}",
                            who(),
                            self.describe_read(rd)
                        ),
                    ));
                }
            }
        }
        for (kind, msg) in found {
            self.report(kind, r, Some(i), msg);
        }
    }

    fn apply_access(&mut self, i: usize, q: QueueKind, r: usize, acc: Access) {
        let stages = acc.stages();
        let memory = acc.memory();
        let sh = &mut self.shadows[r];
        sh.owner = Some(q);
        sh.release = None;
        let own_write = sh.write.filter(|w| w.origin == Origin::Access(i));
        if acc.writes() {
            // The pass's other accesses of the resource are folded into the write, so that a
            // later barrier has to cover them too.
            let mut w_stages = stages;
            let mut w_access = memory;
            if let Some(w) = own_write {
                w_stages |= w.stages;
                w_access |= w.access;
            }
            for rd in sh.reads.iter().filter(|rd| rd.origin == Origin::Access(i)) {
                w_stages |= rd.stages;
            }
            sh.write = Some(Write {
                queue: q,
                stages: w_stages,
                access: w_access,
                origin: Origin::Access(i),
                point: WaitPoint::Pass(i),
                exec: StageMask::NONE,
                available: false,
                visible: AccessMask::NONE,
            });
            sh.reads.clear();
            sh.defined = true;
        } else if let (Some(w), Some(_)) = (sh.write.as_mut(), own_write) {
            w.stages |= stages;
            w.access |= memory;
        } else {
            let point = WaitPoint::Pass(i);
            // Reads in the same stages with nothing ordered after them yet are one read: the later
            // point covers the earlier one, which keeps the list short.
            match sh.reads.iter_mut().find(|rd| {
                rd.queue == q && rd.stages == stages && rd.exec.is_empty()
            }) {
                Some(rd) => {
                    rd.point = rd.point.max(point);
                    rd.origin = Origin::Access(i);
                }
                None => sh.reads.push(Read {
                    queue: q,
                    stages,
                    origin: Origin::Access(i),
                    point,
                    exec: StageMask::NONE,
                }),
            }
        }
    }

    // ---- exit ----

    fn check_exit(&mut self) {
        let plan = self.plan;
        for (r, res) in plan.resources.iter().enumerate() {
            match res.lifetime {
                Lifetime::Imported { exit, .. } => self.exit_import(r, exit),
                Lifetime::Temporal => self.exit_temporal(r, res.exit.or(res.entry), res.entry),
                Lifetime::Transient => {
                    if let Some(p) = self.shadows[r].release {
                        let msg = format!(
                            "{} is released from {} to {} in {}, but never acquired",
                            self.res(r),
                            p.from,
                            p.to,
                            self.at_name(p.at),
                        );
                        self.report(HazardKind::OwnershipViolation, r, None, msg);
                    }
                }
            }
        }
    }

    /// Layout and owner at the end of the frame; a pending release counts as done, since its
    /// acquire belongs to whoever uses the resource next.
    fn final_state(&self, r: usize) -> (Option<Layout>, Option<QueueKind>) {
        let sh = &self.shadows[r];
        match sh.release {
            Some(p) => (p.layout.map(|(_, n)| n).or(sh.layout).filter(|_| sh.image), Some(p.to)),
            None => (sh.layout, sh.owner),
        }
    }

    fn exit_import(&mut self, r: usize, exit: ResourceState) {
        let (layout, owner) = self.final_state(r);
        let name = self.res(r);
        let sh = &self.shadows[r];
        let mut found = Vec::new();
        if let (true, Some(want)) = (sh.image, exit.layout) {
            if want != Layout::Undefined && layout != Some(want) {
                found.push((
                    HazardKind::LayoutMismatch,
                    format!(
                        "the frame leaves {name} in layout `{}`, but its exit state needs `{want}`",
                        layout.unwrap_or(Layout::Undefined)
                    ),
                ));
            }
        }
        if owner != Some(exit.queue) {
            found.push((
                HazardKind::OwnershipViolation,
                format!(
                    "the frame leaves {name} {}, but its exit state needs it on {}",
                    match (sh.release, owner) {
                        (Some(p), _) => format!("released to {}", p.to),
                        (None, Some(o)) => format!("owned by {o}"),
                        (None, None) => "owned by no queue".into(),
                    },
                    exit.queue,
                ),
            ));
        }
        if sh.release.is_none() && owner == Some(exit.queue) && !exit.stages.is_empty() {
            let needs_visible = exit.access.minus(AccessMask::WRITES);
            // What came in with the entry state and was never touched is the outside world's to
            // order; only what the frame did must be ordered before the exit's first use.
            if let Some(w) = sh.write.filter(|w| w.origin != Origin::Entry && w.queue == exit.queue) {
                let ok = w.exec.contains(exit.stages)
                    && w.available
                    && w.visible.contains(needs_visible);
                if !ok {
                    found.push((
                        HazardKind::ExitStateMismatch,
                        format!(
                            "{} is not ordered before and visible to the exit state of {name} \
                             ({} with {} on {}): ordered before {}, visible to {}",
                            self.describe_write(&w),
                            exit.stages,
                            exit.access,
                            exit.queue,
                            w.exec,
                            if w.available { w.visible.names() } else { "nothing".into() },
                        ),
                    ));
                }
            }
            if !exit.access.writes().is_empty() {
                let late = sh.reads.iter().find(|rd| {
                    rd.origin != Origin::Entry
                        && rd.queue == exit.queue
                        && !rd.exec.contains(exit.stages)
                });
                if let Some(rd) = late {
                    found.push((
                        HazardKind::ExitStateMismatch,
                        format!(
                            "{} is not ordered before the exit state of {name}, which writes in {}",
                            self.describe_read(rd),
                            exit.stages,
                        ),
                    ));
                }
            }
        }
        for (kind, msg) in found {
            self.report(kind, r, None, msg);
        }
    }

    /// The next frame replays the same plan from the entry state, so the frame must leave the
    /// resource in it: same layout and queue, and nothing outstanding that the entry does not
    /// account for.
    fn exit_temporal(&mut self, r: usize, exit: Option<ResourceState>, entry: Option<ResourceState>) {
        let Some(exit) = exit else { return };
        let name = self.res(r);
        let sh = &self.shadows[r];
        let mut found = Vec::new();
        if let Some(p) = sh.release {
            found.push(format!(
                "the frame leaves {name} released to {} (in {}), but the next frame starts with it \
                 owned by {}",
                p.to,
                self.at_name(p.at),
                exit.queue
            ));
        } else {
            if sh.image && exit.layout.is_some() && sh.layout != exit.layout {
                found.push(format!(
                    "the frame leaves {name} in layout `{}`, but its exit state needs `{}`",
                    sh.layout.unwrap_or(Layout::Undefined),
                    exit.layout.unwrap_or(Layout::Undefined),
                ));
            }
            if sh.owner != Some(exit.queue) {
                found.push(format!(
                    "the frame leaves {name} owned by {}, but its exit state needs it on {}",
                    sh.owner.map_or("no queue".into(), |o| o.to_string()),
                    exit.queue
                ));
            }
        }
        if let Some(entry) = entry {
            if (sh.image && entry.layout != exit.layout) || entry.queue != exit.queue {
                found.push(format!(
                    "the exit state of {name} ({} on {}) is not the entry state the next frame \
                     starts from ({} on {})",
                    exit.layout.map_or("-".into(), |l| l.to_string()),
                    exit.queue,
                    entry.layout.map_or("-".into(), |l| l.to_string()),
                    entry.queue,
                ));
            }
            if let Some(w) = sh.write.filter(|w| w.origin != Origin::Entry) {
                let described = w.queue == entry.queue
                    && !w.stages.is_empty()
                    && !w.access.writes().is_empty()
                    && entry.stages.contains(w.stages)
                    && entry.access.contains(w.access.writes());
                let chained =
                    w.queue == entry.queue && w.available && w.exec.intersects(entry.stages);
                if !described && !chained {
                    found.push(format!(
                        "{} is still outstanding at the end of the frame, but the entry state of \
                         {name} ({} with {} on {}) does not account for it",
                        self.describe_write(&w),
                        entry.stages,
                        entry.access,
                        entry.queue,
                    ));
                }
            }
            let late = sh.reads.iter().find(|rd| {
                rd.origin != Origin::Entry
                    && !(rd.queue == entry.queue
                        && ((!rd.stages.is_empty() && entry.stages.contains(rd.stages))
                            || rd.exec.intersects(entry.stages)))
            });
            if let Some(rd) = late {
                found.push(format!(
                    "{} is still outstanding at the end of the frame, but the entry state of {name} \
                     ({} on {}) does not account for it",
                    self.describe_read(rd),
                    entry.stages,
                    entry.queue,
                ));
            }
        }
        for msg in found {
            self.report(HazardKind::ExitStateMismatch, r, None, msg);
        }
    }
}

//! The hazard oracle: an independent check of a compiled [`Plan`].
//!
//! The compiler decides where barriers go; the oracle decides nothing and only replays. It reads
//! the raw facts of a plan (the pass order, each pass's queue, accesses, waits, barriers and
//! releases, the prologue and epilogue, and each resource's lifetime, entry and exit states and
//! placement) and nothing the compiler derived for its own use: `first_use`/`last_use` only ever
//! widen the live ranges the oracle computes from the accesses, so a wrong value can add a report
//! but never hide one. Every resource gets a shadow state: its layout, its owning queue, whether
//! its contents mean anything, the last write (with the stages it is execution-ordered before on
//! each queue, and the accesses it is visible to) and the reads since. As in Vulkan, a barrier
//! acts only on the queue it is recorded on, and its first scope takes in logically earlier
//! pipeline stages, its second scope logically later ones. An access stays tied to the queue and
//! stages it ran in: a barrier there orders it even after the resource has been to other queues and
//! back, while another queue is ordered after it only through an acquire's destination scope or a
//! semaphore wait. Waits count per waiting stage and transitively (a wait on a pass also covers
//! whatever that pass's queue had waited for, this queue's own earlier work included). Aliasing is
//! checked beside the replay: live ranges from the accesses, overlapping placements found by a sort
//! and sweep, and each hand-over's barrier checked against the previous occupant's shadow state.
//!
//! The model is conservative on purpose. It grants no ordering that Vulkan gives implicitly (host
//! writes made visible by a submission, fences between frames), it tracks whole resources rather
//! than mips, layers or byte ranges, and a layout transition has no stage of its own: later work is
//! ordered after it only through a chain from its destination stages. A correct plan that leans on
//! such guarantees is reported. It is lenient in three places, to stay simple: availability and
//! visibility are kept per access type rather than per stage and access type, an acquire accepts a
//! wait at any stage, and a chain of waits passes through a pass whatever stages that pass waited
//! in. The cost is linear in the size of the plan, plus O(n log n + overlapping pairs) for the
//! alias sweep, so property tests can replay thousands of random plans.

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

/// For each queue, the stages on it that are execution-ordered after an access (by barriers, or
/// on another queue than the access's by an acquire, whose destination scope chains from the
/// release and the semaphore).
type Exec = [StageMask; QUEUES];

const NO_EXEC: Exec = [StageMask::NONE; QUEUES];

/// The last write of a resource. A layout transition counts as one.
#[derive(Clone, Copy, Debug)]
struct Write {
    /// The queue it ran on, which it stays on through ownership transfers: a barrier there whose
    /// source scope holds `stages` orders it even after a round trip through other queues.
    queue: QueueKind,
    /// Stages the write ran in. Empty for transitions: later work is ordered after those only
    /// through a chain from `exec`.
    stages: StageMask,
    access: AccessMask,
    origin: Origin,
    /// The earliest wait point on `queue` that covers it.
    point: WaitPoint,
    exec: Exec,
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
    exec: Exec,
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
}

/// The pipelines' stages in logical order. A first synchronization scope takes in the logically
/// earlier stages of those it names, and a second scope the logically later ones; transfer and
/// host stages stand alone.
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
fn and_later(stages: StageMask) -> StageMask {
    let mut out = stages;
    for p in PIPELINES {
        if let Some(i) = p.iter().position(|s| stages.intersects(*s)) {
            p[i..].iter().for_each(|s| out |= *s);
        }
    }
    out
}

/// `stages` with every stage logically before one of them (a first synchronization scope).
fn and_earlier(stages: StageMask) -> StageMask {
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
fn ordered_by(
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
fn exec_on(q: QueueKind, dst: StageMask) -> Exec {
    let mut exec = NO_EXEC;
    exec[q.index()] = and_later(dst);
    exec
}

/// How far an access is ordered, for messages.
fn ordered_only_before(exec: StageMask) -> String {
    if exec.is_empty() {
        "no barrier orders it".into()
    } else {
        format!("barriers order it only before {exec}")
    }
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
    /// For each resource, the earlier resources whose memory it takes over, latest first.
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
            exec: NO_EXEC,
        });
    } else {
        sh.write = Some(Write {
            queue: entry.queue,
            stages: entry.stages,
            access: entry.access,
            origin: Origin::Entry,
            point: WaitPoint::Prologue,
            exec: NO_EXEC,
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
        let last = |r: usize| live[r].map_or(0, |(_, l)| l);
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
        for preds in &mut self.preds {
            preds.sort_unstable_by_key(|&a| std::cmp::Reverse(last(a)));
        }
    }

    fn alias_pair(&mut self, a: usize, b: usize, live: &[Option<(usize, usize)>]) {
        let (Some((fa, la)), Some((fb, lb))) = (live[a], live[b]) else {
            return;
        };
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

    /// The earlier occupants of `r`'s memory that its hand-over must be ordered after: for each
    /// byte, the latest one that used it. Older ones were ordered before those by the hand-overs
    /// that displaced them, each checked in its turn.
    fn latest_preds(&self, r: usize) -> Vec<usize> {
        let span = |x: usize| {
            self.plan.resources[x].placement.map(|p| (p.offset, p.offset.saturating_add(p.size)))
        };
        let Some((lo, hi)) = span(r) else {
            return Vec::new();
        };
        // Byte ranges of `r` already claimed by a later occupant, sorted and disjoint.
        let mut claimed: Vec<(u64, u64)> = Vec::new();
        let mut out = Vec::new();
        for &a in &self.preds[r] {
            let Some((a_lo, a_hi)) = span(a) else {
                continue;
            };
            let (a_lo, a_hi) = (a_lo.max(lo), a_hi.min(hi));
            let mut at = a_lo;
            for &(c_lo, c_hi) in &claimed {
                if c_lo <= at && at < c_hi {
                    at = c_hi;
                }
            }
            if at < a_hi {
                out.push(a);
            }
            claimed.push((a_lo, a_hi));
            claimed.sort_unstable();
            let mut merged: Vec<(u64, u64)> = Vec::with_capacity(claimed.len());
            for (c_lo, c_hi) in claimed.drain(..) {
                match merged.last_mut() {
                    Some(m) if c_lo <= m.1 => m.1 = m.1.max(c_hi),
                    _ => merged.push((c_lo, c_hi)),
                }
            }
            claimed = merged;
        }
        out
    }

    /// `r`'s first touch is barrier `b`: it must discard, and be ordered after every access of
    /// the resources that used the memory before.
    fn hand_over_at_barrier(&mut self, r: usize, b: &Barrier, at: At) {
        let preds = self.latest_preds(r);
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
        let preds = self.latest_preds(r);
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
            // Including `q` itself: a round trip through another queue orders this queue's
            // earlier work before the waiting stages, with no barrier here.
            for q3 in QueueKind::ALL {
                let Some(p) = reached[q3.index()] else {
                    continue;
                };
                let slots = &mut self.sync.waited[q.index()][q3.index()];
                for b in stage_bits(and_later(w.stages)) {
                    slots[b] = slots[b].max(Some(p));
                }
            }
        }
        // A semaphore signalled after pass i comes after all of its queue's work so far, and after
        // everything that work waited for, at whatever stage it waited.
        let mut done = [None; QUEUES];
        for q3 in QueueKind::ALL {
            done[q3.index()] =
                self.sync.waited[q.index()][q3.index()].iter().copied().max().flatten();
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
        let (q, src) = (b.queue, b.src_stages);
        let sync = &self.sync;
        let sh = &mut self.shadows[r];
        if let Some(w) = sh.write.as_mut() {
            // A semaphore wait at a source stage chains into the barrier, and brings the write
            // along already available.
            let waited = sync.covers_any(q, w.queue, src, w.point);
            if waited || ordered_by(q, src, w.queue, w.stages, &w.exec) {
                w.exec[q.index()] |= and_later(b.dst_stages);
                if waited || w.available || b.src_access.contains(w.access.writes()) {
                    w.available = true;
                    w.visible |= b.dst_access;
                }
            }
        }
        for rd in &mut sh.reads {
            if ordered_by(q, src, rd.queue, rd.stages, &rd.exec)
                || sync.covers_any(q, rd.queue, src, rd.point)
            {
                rd.exec[q.index()] |= and_later(b.dst_stages);
            }
        }
    }

    /// Outstanding accesses of `r` that a barrier recorded on `q` with first scope `src` is not
    /// ordered after: on `q`, by its scope; elsewhere, by a wait that chains with it.
    fn unordered_before(
        &self,
        r: usize,
        q: QueueKind,
        src: StageMask,
    ) -> Vec<(HazardKind, String)> {
        let sh = &self.shadows[r];
        let kind = |queue: QueueKind, stages: StageMask, exec: &Exec, point: WaitPoint| {
            if ordered_by(q, src, queue, stages, exec) || self.sync.covers_any(q, queue, src, point)
            {
                None
            } else if queue == q {
                Some(HazardKind::UnorderedAccess)
            } else {
                Some(HazardKind::MissingWait)
            }
        };
        let mut out = Vec::new();
        if let Some(w) = &sh.write {
            if let Some(k) = kind(w.queue, w.stages, &w.exec, w.point) {
                out.push((k, self.describe_write(w)));
            }
        }
        for rd in &sh.reads {
            if let Some(k) = kind(rd.queue, rd.stages, &rd.exec, rd.point) {
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
            let ordered = ordered_by(q, b.src_stages, w.queue, w.stages, &w.exec);
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
            exec: exec_on(q, b.dst_stages),
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
            let ordered = ordered_by(q, b.src_stages, w.queue, w.stages, &w.exec);
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
        // The semaphore and the release/acquire pair order every outstanding access before the
        // acquire's destination scope on this queue and make the last write visible to its
        // accesses (and to no others here). A layout change on the way is a write of its own,
        // after all of them.
        let sh = &mut self.shadows[r];
        sh.release = None;
        sh.owner = Some(t.to);
        if b.discard || b.layout.is_some_and(|(old, _)| old == Layout::Undefined) {
            sh.defined = false;
        }
        let relayout = sh.image && b.layout.is_some_and(|(old, new)| old != new);
        if let (true, Some((_, new))) = (sh.image, b.layout) {
            sh.layout = Some(new);
        }
        if relayout || b.discard {
            sh.write = Some(Write {
                queue: q,
                stages: StageMask::NONE,
                access: AccessMask::NONE,
                origin: Origin::Barrier(at),
                point: at.point(),
                exec: exec_on(q, b.dst_stages),
                available: true,
                visible: b.dst_access,
            });
            sh.reads.clear();
            return;
        }
        if let Some(w) = sh.write.as_mut() {
            w.exec[q.index()] |= and_later(b.dst_stages);
            w.available = true;
            w.visible = b.dst_access;
        }
        for rd in &mut sh.reads {
            rd.exec[q.index()] |= and_later(b.dst_stages);
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
            // A write that does not read the old contents gives them up, so it needs no transfer:
            // only the waits checked below.
            if o != q && sh.defined && acc.reads_contents() {
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
                let prior = || self.describe_write(&w);
                let exec = w.exec[q.index()];
                // A chain of semaphores is a full memory dependency: nothing more to check.
                let waited = self.sync.covers_all(q, w.queue, stages, w.point);
                if waited {
                } else if !exec.contains(stages) && w.queue != q {
                    found.push((
                        HazardKind::MissingWait,
                        format!(
                            "{} on {q}, but {q} does not wait for {} at {stages}",
                            who(),
                            prior()
                        ),
                    ));
                } else if !exec.contains(stages) {
                    found.push((
                        HazardKind::UnorderedAccess,
                        format!(
                            "{} in {stages}, but {} is not ordered before it ({})",
                            who(),
                            prior(),
                            ordered_only_before(exec)
                        ),
                    ));
                } else if reads_memory && !(w.available && w.visible.contains(needs_visible)) {
                    found.push((
                        HazardKind::InvisibleWrite,
                        format!(
                            "{} with {needs_visible}, but {} is {}",
                            who(),
                            prior(),
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
                        format!("{}, but {} is not made available before it", who(), prior()),
                    ));
                }
            }
        }
        if writes {
            let mut same_queue = false;
            let mut other_queue = false;
            for rd in sh.reads.iter().filter(|rd| rd.origin != Origin::Access(i)) {
                let exec = rd.exec[q.index()];
                if exec.contains(stages) || self.sync.covers_all(q, rd.queue, stages, rd.point) {
                    continue;
                }
                if rd.queue == q {
                    if !same_queue {
                        same_queue = true;
                        found.push((
                            HazardKind::UnorderedAccess,
                            format!(
                                "{} in {stages}, but {} is not ordered before it ({})",
                                who(),
                                self.describe_read(rd),
                                ordered_only_before(exec)
                            ),
                        ));
                    }
                } else if !other_queue {
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
                exec: NO_EXEC,
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
            // Reads on one queue in the same stages are kept as one, ordered as little as the new
            // one is (nothing yet) and waited for at the later point: whatever orders it orders
            // both. This keeps the list short, and the replay linear.
            match sh.reads.iter_mut().find(|rd| rd.queue == q && rd.stages == stages) {
                Some(rd) => {
                    rd.point = rd.point.max(point);
                    rd.exec = NO_EXEC;
                    rd.origin = Origin::Access(i);
                }
                None => sh.reads.push(Read {
                    queue: q,
                    stages,
                    origin: Origin::Access(i),
                    point,
                    exec: NO_EXEC,
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
            let eq = exit.queue.index();
            if let Some(w) = sh.write.filter(|w| w.origin != Origin::Entry) {
                let ok = w.exec[eq].contains(exit.stages)
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
                            w.exec[eq],
                            if w.available { w.visible.names() } else { "nothing".into() },
                        ),
                    ));
                }
            }
            if !exit.access.writes().is_empty() {
                let late = sh
                    .reads
                    .iter()
                    .find(|rd| rd.origin != Origin::Entry && !rd.exec[eq].contains(exit.stages));
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
    fn exit_temporal(
        &mut self,
        r: usize,
        exit: Option<ResourceState>,
        entry: Option<ResourceState>,
    ) {
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
                let chained = w.available && w.exec[entry.queue.index()].intersects(entry.stages);
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
                    && !ordered_by(entry.queue, entry.stages, rd.queue, rd.stages, &rd.exec)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::{ShaderStages, Usage};
    use crate::graph::PassId;
    use crate::memory::ResolvedImage;
    use crate::plan::{Placement, PlanStats, PlannedPass, PlannedResource, Wait};
    use crate::types::{Extent, Format};
    use Layout::{ColorAttachment, ShaderReadOnly, Undefined};

    const G: QueueKind = QueueKind::Graphics;
    const C: QueueKind = QueueKind::Compute;
    const T: QueueKind = QueueKind::Transfer;
    type Scope = (StageMask, AccessMask);
    const NOTHING: Scope = (StageMask::NONE, AccessMask::NONE);
    const COLOR: Scope = (StageMask::COLOR_ATTACHMENT_OUTPUT, AccessMask::COLOR_WRITE);
    const SAMPLE: Scope = (StageMask::FRAGMENT_SHADER, AccessMask::SAMPLED_READ);
    const CS_WRITE: Scope = (StageMask::COMPUTE_SHADER, AccessMask::STORAGE_WRITE);
    const CS_READ: Scope = (StageMask::COMPUTE_SHADER, AccessMask::STORAGE_READ);
    const COPY: Scope = (StageMask::TRANSFER, AccessMask::TRANSFER_WRITE);
    const SAMPLED: Access = Access::Sampled(ShaderStages::FRAGMENT);
    const CS_W: Access = Access::StorageWrite(ShaderStages::COMPUTE);
    const CS_R: Access = Access::StorageRead(ShaderStages::COMPUTE);

    fn resource(
        label: &str,
        kind: ResourceKind,
        format: Format,
        lifetime: Lifetime,
    ) -> PlannedResource {
        let image = ResolvedImage {
            format,
            extent: Extent::new(64, 64),
            mip_levels: 1,
            array_layers: 1,
            samples: 1,
        };
        PlannedResource {
            label: label.into(),
            kind,
            image: (kind == ResourceKind::Image).then_some(image),
            buffer_size: (kind == ResourceKind::Buffer).then_some(256),
            lifetime,
            usage: Usage::NONE,
            entry: None,
            exit: None,
            defined_at_entry: false,
            first_use: None,
            last_use: None,
            placement: None,
            requirements: None,
        }
    }

    fn image(label: &str) -> PlannedResource {
        resource(label, ResourceKind::Image, Format::Rgba8Unorm, Lifetime::Transient)
    }

    fn buffer(label: &str) -> PlannedResource {
        resource(label, ResourceKind::Buffer, Format::R8Unorm, Lifetime::Transient)
    }

    fn placed(mut r: PlannedResource, size: u64) -> PlannedResource {
        r.placement = Some(Placement { heap: 0, offset: 0, size });
        r
    }

    fn pass(label: &str, queue: QueueKind, accesses: &[(usize, Access)]) -> PlannedPass {
        PlannedPass {
            id: PassId(0),
            label: label.into(),
            queue,
            waits: Vec::new(),
            signal: false,
            barriers: Vec::new(),
            accesses: accesses
                .iter()
                .map(|&(resource, access)| PlannedAccess { resource, access, version: 0 })
                .collect(),
            releases: Vec::new(),
        }
    }

    fn barrier(resource: usize, queue: QueueKind, src: Scope, dst: Scope) -> Barrier {
        Barrier {
            resource,
            queue,
            src_stages: src.0,
            src_access: src.1,
            dst_stages: dst.0,
            dst_access: dst.1,
            layout: None,
            discard: false,
            transfer: None,
        }
    }

    fn transition(b: Barrier, old: Layout, new: Layout) -> Barrier {
        Barrier { layout: Some((old, new)), discard: old == Undefined, ..b }
    }

    fn transfer(b: Barrier, from: QueueKind, to: QueueKind, half: TransferHalf) -> Barrier {
        Barrier { transfer: Some(OwnershipTransfer { from, to, half }), ..b }
    }

    fn wait(queue: QueueKind, pass: usize, stages: StageMask) -> Wait {
        Wait { queue, point: WaitPoint::Pass(pass), stages }
    }

    fn plan(resources: Vec<PlannedResource>, passes: Vec<PlannedPass>) -> Plan {
        Plan {
            passes,
            culled: Vec::new(),
            resources,
            heaps: Vec::new(),
            prologue: Vec::new(),
            epilogue: Vec::new(),
            stats: PlanStats::default(),
        }
    }

    /// Asserts that there are hazards, all of `kind`, each naming every label in `labels`.
    fn assert_only(hazards: &[Hazard], kind: HazardKind, labels: &[&str]) {
        assert!(!hazards.is_empty(), "expected {kind:?}, found nothing");
        for h in hazards {
            assert_eq!(h.kind, kind, "{hazards:#?}");
            assert_eq!(h.to_string(), h.message);
            for l in labels {
                assert!(h.message.contains(&format!("`{l}`")), "{l} not in: {}", h.message);
            }
        }
    }

    /// `scene.draw` writes `scene.color`; `post.tonemap` samples it after `second`.
    fn draw_then_sample(second: Barrier) -> Plan {
        let mut draw = pass("scene.draw", G, &[(0, Access::ColorWrite)]);
        draw.barriers.push(transition(barrier(0, G, NOTHING, COLOR), Undefined, ColorAttachment));
        let mut tonemap = pass("post.tonemap", G, &[(0, SAMPLED)]);
        tonemap.barriers.push(second);
        plan(vec![image("scene.color")], vec![draw, tonemap])
    }

    fn color_to_sampled() -> Barrier {
        transition(barrier(0, G, COLOR, SAMPLE), ColorAttachment, ShaderReadOnly)
    }

    #[test]
    fn write_then_read_with_a_barrier_is_clean() {
        assert_eq!(check(&draw_then_sample(color_to_sampled())), vec![]);
    }

    #[test]
    fn too_late_destination_stage_is_unordered() {
        // Colour output comes after the fragment shader: too late to order the read.
        let b = Barrier { dst_stages: StageMask::COLOR_ATTACHMENT_OUTPUT, ..color_to_sampled() };
        assert_only(
            &check(&draw_then_sample(b)),
            HazardKind::UnorderedAccess,
            &["scene.color", "post.tonemap"],
        );
    }

    #[test]
    fn missing_destination_access_is_invisible() {
        let b = Barrier { dst_access: AccessMask::NONE, ..color_to_sampled() };
        assert_only(
            &check(&draw_then_sample(b)),
            HazardKind::InvisibleWrite,
            &["scene.color", "post.tonemap"],
        );
    }

    #[test]
    fn missing_source_access_leaves_the_write_unavailable() {
        let b = Barrier { src_access: AccessMask::NONE, ..color_to_sampled() };
        assert_only(
            &check(&draw_then_sample(b)),
            HazardKind::InvisibleWrite,
            &["scene.color", "post.tonemap"],
        );
    }

    #[test]
    fn missing_transition_is_a_layout_mismatch() {
        let b = Barrier { layout: None, ..color_to_sampled() };
        assert_only(
            &check(&draw_then_sample(b)),
            HazardKind::LayoutMismatch,
            &["scene.color", "post.tonemap"],
        );
    }

    /// `sim.a` writes `particles`, `sim.b` reads it after `barrier_b`, and `sim.c` makes `third`.
    fn storage_chain(barrier_b: bool, third: Access) -> Plan {
        let mut b = pass("sim.b", C, &[(0, CS_R)]);
        if barrier_b {
            b.barriers.push(barrier(0, C, CS_WRITE, CS_READ));
        }
        let c = pass("sim.c", C, &[(0, third)]);
        plan(vec![buffer("particles")], vec![pass("sim.a", C, &[(0, CS_W)]), b, c])
    }

    #[test]
    fn read_after_write_without_a_barrier_is_unordered() {
        // `sim.c` is not ordered after the write either.
        let hazards = check(&storage_chain(false, CS_R));
        assert_only(&hazards, HazardKind::UnorderedAccess, &["particles", "sim.a"]);
        assert_eq!(hazards.iter().map(|h| h.pass).collect::<Vec<_>>(), [Some(1), Some(2)]);
    }

    #[test]
    fn write_after_read_without_a_barrier_is_unordered() {
        let hazards = check(&storage_chain(true, CS_W));
        assert_only(&hazards, HazardKind::UnorderedAccess, &["particles", "sim.c"]);
        assert_eq!(hazards[0].pass, Some(2));
    }

    #[test]
    fn read_after_read_needs_no_barrier() {
        assert_eq!(check(&storage_chain(true, CS_R)), vec![]);
    }

    #[test]
    fn accesses_of_one_pass_do_not_conflict() {
        let mut p = storage_chain(true, CS_R);
        p.passes[0].accesses.push(PlannedAccess {
            resource: 0,
            access: Access::CopyDst,
            version: 0,
        });
        p.passes[1].accesses.push(PlannedAccess { resource: 0, access: CS_R, version: 0 });
        // Both of `sim.a`'s writes must be covered by the barrier that follows them.
        assert_only(&check(&p), HazardKind::UnorderedAccess, &["particles", "sim.a"]);
        let b = &mut p.passes[1].barriers[0];
        b.src_stages |= StageMask::TRANSFER;
        b.src_access |= AccessMask::TRANSFER_WRITE;
        assert_eq!(check(&p), vec![]);
    }

    #[test]
    fn reading_a_discarded_transient_is_undefined() {
        let mut p = pass("post.blur", G, &[(0, SAMPLED)]);
        p.barriers.push(transition(barrier(0, G, NOTHING, SAMPLE), Undefined, ShaderReadOnly));
        let hazards = check(&plan(vec![image("blur.tmp")], vec![p]));
        assert_only(&hazards, HazardKind::UndefinedRead, &["blur.tmp", "post.blur"]);
    }

    #[test]
    fn aliased_transients_live_at_once_overlap() {
        let resources =
            vec![placed(buffer("cull.visible"), 256), placed(buffer("cull.counts"), 256)];
        let mut read = pass("cull.compact", C, &[(0, CS_R), (1, CS_R)]);
        read.barriers = vec![barrier(0, C, CS_WRITE, CS_READ), barrier(1, C, CS_WRITE, CS_READ)];
        let write = pass("cull.test", C, &[(0, CS_W), (1, CS_W)]);
        let hazards = check(&plan(resources, vec![write, read]));
        assert_only(&hazards, HazardKind::AliasOverlap, &["cull.visible", "cull.counts"]);
        assert_eq!(hazards.len(), 1, "{hazards:#?}");
    }

    /// `gbuffer.albedo` is drawn and sampled; `bloom.half` then takes over its memory, handed over
    /// by a barrier with source scope `src`.
    fn hand_over(src: StageMask) -> Plan {
        let resources =
            vec![placed(image("gbuffer.albedo"), 1 << 16), placed(image("bloom.half"), 1 << 16)];
        let mut draw = pass("gbuffer.draw", G, &[(0, Access::ColorWrite)]);
        draw.barriers.push(transition(barrier(0, G, NOTHING, COLOR), Undefined, ColorAttachment));
        let mut shade = pass("lighting.shade", G, &[(0, SAMPLED)]);
        shade.barriers.push(color_to_sampled());
        let mut bloom = pass("bloom.down", G, &[(1, Access::ColorWrite)]);
        let b =
            transition(barrier(1, G, (src, AccessMask::NONE), COLOR), Undefined, ColorAttachment);
        bloom.barriers.push(b);
        plan(resources, vec![draw, shade, bloom])
    }

    #[test]
    fn hand_over_must_cover_the_previous_occupant() {
        // A copy's stage orders nothing of the draw and the shading before it.
        let hazards = check(&hand_over(StageMask::TRANSFER));
        assert_only(&hazards, HazardKind::UnorderedAccess, &["gbuffer.albedo", "bloom.half"]);
        assert_eq!(check(&hand_over(StageMask::FRAGMENT_SHADER)), vec![]);
        // Colour output is logically after the fragment shader, so its scope takes that in too.
        assert_eq!(check(&hand_over(StageMask::COLOR_ATTACHMENT_OUTPUT)), vec![]);
    }

    #[test]
    fn hand_over_without_discard_is_reported() {
        let mut p = hand_over(StageMask::FRAGMENT_SHADER);
        p.passes[2].barriers[0].discard = false;
        assert_only(&check(&p), HazardKind::LayoutMismatch, &["gbuffer.albedo", "bloom.half"]);
    }

    /// `sim.a` writes `a` (512 bytes) in a compute shader, `sim.c` takes over its first 256 bytes
    /// for a copy, then `sim.b` takes over the 256 bytes at `b_offset` for another copy, with a
    /// barrier that orders only copies.
    fn hand_over_chain(b_offset: u64) -> Plan {
        let mut b_res = placed(buffer("b"), 256);
        b_res.placement = Some(Placement { heap: 0, offset: b_offset, size: 256 });
        let resources = vec![placed(buffer("a"), 512), placed(buffer("c"), 256), b_res];
        let mut c = pass("sim.c", C, &[(1, Access::CopyDst)]);
        let to_copy = barrier(1, C, (StageMask::COMPUTE_SHADER, AccessMask::NONE), COPY);
        c.barriers.push(Barrier { discard: true, ..to_copy });
        let mut b = pass("sim.b", C, &[(2, Access::CopyDst)]);
        let after_copy = barrier(2, C, (StageMask::TRANSFER, AccessMask::NONE), COPY);
        b.barriers.push(Barrier { discard: true, ..after_copy });
        plan(resources, vec![pass("sim.a", C, &[(0, CS_W)]), c, b])
    }

    #[test]
    fn hand_over_is_checked_against_the_latest_occupant_of_each_byte() {
        // `c` last held these bytes, and was itself handed over after `a`.
        assert_eq!(check(&hand_over_chain(0)), vec![]);
        // `a` last held these: the copy barrier does not order its compute write.
        assert_only(&check(&hand_over_chain(256)), HazardKind::UnorderedAccess, &["a", "b"]);
    }

    /// `physics.integrate` writes `particles.pos` on compute; `scene.draw` reads it as vertices on
    /// graphics after `waits`, with the release (if `release`) and the acquire.
    fn compute_to_graphics(waits: Vec<Wait>, release: bool) -> Plan {
        let mut sim = pass("physics.integrate", C, &[(0, CS_W)]);
        if release {
            let b = barrier(0, C, CS_WRITE, NOTHING);
            sim.releases.push(transfer(b, C, G, TransferHalf::Release));
        }
        let mut draw = pass("scene.draw", G, &[(0, Access::VertexBuffer)]);
        draw.waits = waits;
        let vertex = (StageMask::VERTEX_INPUT, AccessMask::VERTEX_READ);
        draw.barriers.push(transfer(barrier(0, G, NOTHING, vertex), C, G, TransferHalf::Acquire));
        plan(vec![buffer("particles.pos")], vec![sim, draw])
    }

    #[test]
    fn cross_queue_read_without_a_wait_is_missing_a_wait() {
        let hazards = check(&compute_to_graphics(vec![], true));
        assert_only(&hazards, HazardKind::MissingWait, &["particles.pos", "scene.draw"]);
    }

    #[test]
    fn cross_queue_read_with_wait_and_transfer_is_clean() {
        let waits = vec![wait(C, 0, StageMask::VERTEX_INPUT)];
        assert_eq!(check(&compute_to_graphics(waits, true)), vec![]);
    }

    #[test]
    fn after_an_acquire_barriers_chain_from_its_destination_stages() {
        // `scene.copy` copies the vertices on graphics after they were acquired for vertex input.
        let copy_after = |src: StageMask| {
            let mut p = compute_to_graphics(vec![wait(C, 0, StageMask::VERTEX_INPUT)], true);
            let mut copy = pass("scene.copy", G, &[(0, Access::CopySrc)]);
            let read = (StageMask::TRANSFER, AccessMask::TRANSFER_READ);
            copy.barriers.push(barrier(0, G, (src, AccessMask::NONE), read));
            p.passes.push(copy);
            p
        };
        // The write's own stage names nothing that ran on graphics.
        let hazards = check(&copy_after(StageMask::COMPUTE_SHADER));
        assert_only(&hazards, HazardKind::MissingWait, &["particles.pos", "scene.copy"]);
        assert_eq!(check(&copy_after(StageMask::VERTEX_INPUT)), vec![]);
    }

    #[test]
    fn acquire_without_release_is_an_ownership_violation() {
        let waits = vec![wait(C, 0, StageMask::VERTEX_INPUT)];
        let hazards = check(&compute_to_graphics(waits, false));
        assert_only(&hazards, HazardKind::OwnershipViolation, &["particles.pos", "scene.draw"]);
    }

    #[test]
    fn cross_queue_read_without_a_transfer_is_an_ownership_violation() {
        let mut p = compute_to_graphics(vec![wait(C, 0, StageMask::VERTEX_INPUT)], false);
        p.passes[1].barriers.clear();
        assert_only(&check(&p), HazardKind::OwnershipViolation, &["particles.pos", "scene.draw"]);
    }

    #[test]
    fn release_never_acquired_is_an_ownership_violation() {
        let mut p = compute_to_graphics(vec![], true);
        p.passes.truncate(1);
        assert_only(&check(&p), HazardKind::OwnershipViolation, &["particles.pos"]);
    }

    /// `terrain.erode` writes `terrain.height` on compute; `scene.upload` on graphics discards it
    /// and copies into it after waiting at `stages`.
    fn discard_after_wait(stages: StageMask) -> Plan {
        let mut copy = pass("scene.upload", G, &[(0, Access::CopyDst)]);
        copy.waits.push(wait(C, 0, stages));
        let b = barrier(0, G, (StageMask::TRANSFER, AccessMask::NONE), COPY);
        copy.barriers.push(Barrier { discard: true, ..b });
        plan(vec![buffer("terrain.height")], vec![pass("terrain.erode", C, &[(0, CS_W)]), copy])
    }

    #[test]
    fn wait_must_cover_the_stage_that_depends_on_it() {
        let hazards = check(&discard_after_wait(StageMask::FRAGMENT_SHADER));
        assert_only(&hazards, HazardKind::MissingWait, &["terrain.height"]);
        assert_eq!(check(&discard_after_wait(StageMask::TRANSFER)), vec![]);
    }

    #[test]
    fn waits_are_transitive() {
        // upload.copy (transfer) <- sim.step (compute) <- scene.upload (graphics).
        let chain = |relay: bool| {
            let mut step = pass("sim.step", C, &[(1, CS_W)]);
            if relay {
                step.waits.push(wait(T, 0, StageMask::COMPUTE_SHADER));
            }
            let mut copy = pass("scene.upload", G, &[(0, Access::CopyDst)]);
            copy.waits.push(wait(C, 1, StageMask::TRANSFER));
            let b = barrier(0, G, (StageMask::TRANSFER, AccessMask::NONE), COPY);
            copy.barriers.push(Barrier { discard: true, ..b });
            let upload = pass("upload.copy", T, &[(0, Access::CopyDst)]);
            plan(vec![buffer("staging"), buffer("sim.state")], vec![upload, step, copy])
        };
        assert_eq!(check(&chain(true)), vec![]);
        assert_only(&check(&chain(false)), HazardKind::MissingWait, &["staging"]);
    }

    #[test]
    fn barrier_on_another_queue_is_an_ownership_violation() {
        let mut p = storage_chain(true, CS_R);
        p.passes[1].barriers[0].queue = G;
        let hazards = check(&p);
        assert_eq!(hazards[0].kind, HazardKind::OwnershipViolation, "{hazards:#?}");
        assert!(
            hazards[0].message.contains("`particles`") && hazards[0].message.contains("`sim.b`")
        );
    }

    fn swapchain(epilogue: bool, first_src: StageMask) -> Plan {
        let mut r = resource(
            "swapchain",
            ResourceKind::Image,
            Format::Bgra8Srgb,
            Lifetime::Imported {
                entry: ResourceState::swapchain_acquired(),
                exit: ResourceState::present(),
            },
        );
        r.entry = Some(ResourceState::swapchain_acquired());
        r.exit = Some(ResourceState::present());
        let mut draw = pass("ui.draw", G, &[(0, Access::ColorWrite)]);
        let first = barrier(0, G, (first_src, AccessMask::NONE), COLOR);
        draw.barriers.push(transition(first, Undefined, ColorAttachment));
        let mut p = plan(vec![r], vec![draw]);
        if epilogue {
            p.epilogue.push(transition(
                barrier(0, G, COLOR, NOTHING),
                ColorAttachment,
                Layout::Present,
            ));
        }
        p
    }

    #[test]
    fn import_left_out_of_its_exit_layout_is_a_layout_mismatch() {
        let out = StageMask::COLOR_ATTACHMENT_OUTPUT;
        assert_only(&check(&swapchain(false, out)), HazardKind::LayoutMismatch, &["swapchain"]);
        assert_eq!(check(&swapchain(true, out)), vec![]);
    }

    #[test]
    fn first_transition_must_wait_for_the_entry_state() {
        let hazards = check(&swapchain(true, StageMask::NONE));
        assert_only(&hazards, HazardKind::UnorderedAccess, &["swapchain"]);
    }

    #[test]
    fn temporal_must_be_left_in_its_entry_state() {
        let history = |epilogue: bool| {
            let state = ResourceState::shader_read(G, StageMask::FRAGMENT_SHADER);
            let mut r = resource(
                "taa.history",
                ResourceKind::Image,
                Format::Rgba16Float,
                Lifetime::Temporal,
            );
            (r.entry, r.exit, r.defined_at_entry) = (Some(state), Some(state), true);
            let mut write = pass("taa.resolve", G, &[(0, Access::ColorWrite)]);
            let frag = (StageMask::FRAGMENT_SHADER, AccessMask::NONE);
            write.barriers.push(transition(
                barrier(0, G, frag, COLOR),
                ShaderReadOnly,
                ColorAttachment,
            ));
            let mut p = plan(vec![r], vec![pass("taa.blend", G, &[(0, SAMPLED)]), write]);
            if epilogue {
                p.epilogue.push(transition(
                    barrier(0, G, COLOR, SAMPLE),
                    ColorAttachment,
                    ShaderReadOnly,
                ));
            }
            p
        };
        assert_only(&check(&history(false)), HazardKind::ExitStateMismatch, &["taa.history"]);
        assert_eq!(check(&history(true)), vec![]);
    }

    #[test]
    fn many_readers_stay_linear() {
        let mut passes = vec![pass("sim.write", C, &[(0, CS_W)])];
        passes[0].releases.clear();
        for i in 0..5000 {
            let mut p = pass(&format!("sim.read{i}"), C, &[(0, CS_R)]);
            p.barriers.push(barrier(0, C, CS_WRITE, CS_READ));
            passes.push(p);
        }
        assert_eq!(check(&plan(vec![buffer("big")], passes)), vec![]);
    }
}

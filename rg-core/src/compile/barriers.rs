//! Phase 7, barriers: walk the schedule with a model of every resource's state (layout, owning
//! queue, the last write and the reads since, and which later stages each is already ordered
//! before) and emit, before each pass, one batch with at most one barrier per resource:
//!
//! - read after write: unless an earlier barrier already made the write visible to this stage
//!   and access (read after read in one layout costs nothing);
//! - write after write and write after read: an execution dependency on what came before;
//! - layout transitions, from `Undefined` (discarding) on a transient's first use;
//! - aliasing hand-overs: a transient's first barrier waits for the last accesses of whatever
//!   occupied its memory before (the latest occupant of each byte; older occupants were ordered
//!   before those by the hand-overs that displaced them);
//! - queue changes: a release recorded after the last pass that used the resource on the old
//!   queue (or in the prologue), an acquire before the new pass, and a semaphore wait between
//!   them. A write that does not read the old contents needs no transfer, only a wait.
//!
//! Imports end in their exit state through an epilogue batch. A temporal resource ends in the
//! state its first use next frame expects, because its entry state is defined as where this
//! frame leaves it.

use super::NONE;
use crate::access::{AccessMask, Layout, ResourceState, StageMask};
use crate::graph::{Graph, Lifetime};
use crate::plan::{
    Barrier, OwnershipTransfer, Placement, PlannedResource, TransferHalf, Wait, WaitPoint,
};
use crate::types::QueueKind;

/// What a write has been made visible to: memory accesses per pipeline stage. A barrier's
/// second access scope covers only the accesses it names in the stages it names.
#[derive(Clone, Copy)]
struct Vis([AccessMask; 10]);

impl Vis {
    const NONE: Vis = Vis([AccessMask::NONE; 10]);

    fn of(stages: StageMask, access: AccessMask) -> Vis {
        let mut v = Vis::NONE;
        v.add(stages, access);
        v
    }

    fn add(&mut self, stages: StageMask, access: AccessMask) {
        for bit in bits(stages.0 & Self::STAGES) {
            self.0[bit] |= access;
        }
    }

    fn contains(&self, stages: StageMask, access: AccessMask) -> bool {
        bits(stages.0 & Self::STAGES).all(|bit| self.0[bit].contains(access))
    }

    /// The stage bits it keeps.
    const STAGES: u16 = (1 << 10) - 1;
}

/// The indices of the bits set in `mask`, lowest first.
fn bits(mut mask: u16) -> impl Iterator<Item = usize> {
    std::iter::from_fn(move || {
        (mask != 0).then(|| {
            let bit = mask.trailing_zeros() as usize;
            mask &= mask - 1;
            bit
        })
    })
}

#[derive(Clone, Copy)]
struct St {
    layout: Option<Layout>,
    owner: Option<QueueKind>,
    defined: bool,
    touched: bool,
    has_write: bool,
    w_queue: QueueKind,
    w_stages: StageMask,
    w_access: AccessMask,
    w_pass: u32,
    w_exec: StageMask,
    w_vis: Vis,
    w_avail: bool,
    r_stages: [StageMask; 3],
    r_exec: [StageMask; 3],
    r_pass: [u32; 3],
    last_pass: [u32; 3],
}

impl St {
    fn new(layout: Option<Layout>) -> Self {
        St {
            layout,
            owner: None,
            defined: false,
            touched: false,
            has_write: false,
            w_queue: QueueKind::Graphics,
            w_stages: StageMask::NONE,
            w_access: AccessMask::NONE,
            w_pass: NONE,
            w_exec: StageMask::NONE,
            w_vis: Vis::NONE,
            w_avail: false,
            r_stages: [StageMask::NONE; 3],
            r_exec: [StageMask::NONE; 3],
            r_pass: [NONE; 3],
            last_pass: [NONE; 3],
        }
    }

    fn from_entry(e: &ResourceState, defined: bool) -> Self {
        let mut s = St::new(e.layout);
        s.owner = Some(e.queue);
        s.defined = defined;
        s.touched = true;
        if !e.access.writes().is_empty() {
            s.has_write = true;
            s.w_queue = e.queue;
            s.w_stages = e.stages;
            s.w_access = e.access;
        } else if !e.stages.is_empty() {
            s.r_stages[e.queue.index()] = e.stages;
        }
        s
    }

    /// A layout transition or an acquire recorded on `q` before pass `pos` becomes the last
    /// "write": later work is ordered after it through its second scope (`stages`, `access`),
    /// and everything before it is ordered before it.
    fn barrier_is_last_write(
        &mut self,
        q: QueueKind,
        pos: usize,
        stages: StageMask,
        access: AccessMask,
        layout: Option<Layout>,
    ) {
        self.has_write = true;
        self.w_queue = q;
        self.w_stages = stages;
        self.w_access = AccessMask::NONE;
        self.w_pass = pos as u32;
        self.w_exec = stages.and_later();
        self.w_vis = Vis::of(stages, access);
        self.w_avail = true;
        self.r_stages = [StageMask::NONE; 3];
        self.r_exec = [StageMask::NONE; 3];
        self.r_pass = [NONE; 3];
        self.layout = layout;
    }

    /// Stages and write accesses still outstanding on queue `q`.
    fn outstanding(&self, q: QueueKind) -> (StageMask, AccessMask) {
        let mut s = self.r_stages[q.index()];
        let mut a = AccessMask::NONE;
        if self.has_write && self.w_queue == q {
            s |= self.w_stages;
            a = self.w_access.writes();
        }
        (s, a)
    }
}

/// What one pass does to one resource, merged over its accesses.
#[derive(Clone, Copy)]
struct Touch {
    resource: u32,
    stages: StageMask,
    access: AccessMask,
    writes: bool,
    reads: bool,
    layout: Option<Layout>,
}

/// The phase's output. The per-pass lists are flat, in pass order: pass `i`'s batch is
/// `batches[batch_start[i]..batch_start[i + 1]]`, and likewise for waits and releases.
pub(crate) struct Barriers {
    pub batches: Vec<Barrier>,
    pub batch_start: Vec<u32>,
    pub releases: Vec<Barrier>,
    pub release_start: Vec<u32>,
    pub waits: Vec<Wait>,
    pub wait_start: Vec<u32>,
    pub signal: Vec<bool>,
    pub prologue: Vec<Barrier>,
    pub epilogue: Vec<Barrier>,
}

/// `waited[q][q2][stage bit]`: the latest point of queue `q2` that queue `q` has waited for
/// before that stage of its later work.
type Waited = [[[i64; 16]; 3]; 3];

/// Whether queue `q`'s waits already order `q2`'s work up to `point` before all of `stages`.
fn by_wait_point(
    waited: &Waited,
    q: QueueKind,
    q2: QueueKind,
    stages: StageMask,
    point: i64,
) -> bool {
    let seen = &waited[q.index()][q2.index()];
    !stages.is_empty() && bits(stages.0).all(|bit| seen[bit] >= point)
}

/// As [`by_wait_point`], for the work of a pass (`NONE`: the frame's entry).
fn by_wait(waited: &Waited, q: QueueKind, q2: QueueKind, stages: StageMask, pass: u32) -> bool {
    by_wait_point(waited, q, q2, stages, point(pass))
}

fn point(pass: u32) -> i64 {
    if pass == NONE {
        -1
    } else {
        pass as i64
    }
}

/// The barriers of the passes in `order`, given every resource's entry state and placement
/// (from the resource records) and the number of heaps.
pub(crate) fn barriers<P>(
    g: &Graph<P>,
    order: &[u32],
    resources: &[PlannedResource],
    heaps: usize,
) -> Barriers {
    let n = order.len();
    let naccesses = order.iter().map(|&p| g.passes[p as usize].accesses.len()).sum();
    let mut out = Barriers {
        // At most one barrier an access; what is left over is given back at the end.
        batches: Vec::with_capacity(naccesses),
        batch_start: Vec::with_capacity(n + 1),
        releases: Vec::new(),
        release_start: Vec::new(),
        waits: Vec::new(),
        wait_start: Vec::with_capacity(n + 1),
        signal: vec![false; n],
        prologue: Vec::new(),
        epilogue: Vec::new(),
    };
    let mut st: Vec<St> = resources
        .iter()
        .map(|r| match (r.lifetime, r.entry) {
            (Lifetime::Transient, _) | (_, None) => St::new(r.image.map(|_| Layout::Undefined)),
            (_, Some(e)) => St::from_entry(&e, r.defined_at_entry),
        })
        .collect();
    // Latest occupant of each byte, per heap, as disjoint `(start, end, resource)` intervals
    // in address order.
    let mut memory: Vec<Vec<(u64, u64, u32)>> = vec![Vec::new(); heaps];
    // Latest point each queue has waited for on each other queue, per waiting stage: a wait
    // only holds back the stages it names.
    let mut waited: Waited = [[[-2i64; 16]; 3]; 3];
    // For each pass, the latest point of each queue known complete when its signal fires.
    let mut done: Vec<[i64; 3]> = Vec::with_capacity(n);
    let mut touches: Vec<Touch> = Vec::with_capacity(8);
    let mut displaced: Vec<u32> = Vec::new();
    let mut disp_flat: Vec<u32> = Vec::new();
    // Per touch: its displaced occupants in `disp_flat`, and whether it waits on another queue.
    let mut disp_range: Vec<(usize, usize, bool)> = Vec::with_capacity(8);
    let mut pre_want: Vec<(QueueKind, i64, StageMask)> = Vec::with_capacity(8);
    let mut pass_waits: Vec<Wait> = Vec::new();
    // Releases, with the position of the pass they follow, in the order they were decided.
    let mut releases: Vec<(u32, Barrier)> = Vec::new();

    for (pos, &p) in order.iter().enumerate() {
        let pass = &g.passes[p as usize];
        let q = pass.queue;
        let qi = q.index();
        touches.clear();
        for a in &pass.accesses {
            let r = a.handle.index;
            let t = Touch {
                resource: r,
                stages: a.access.stages(),
                access: a.access.memory(),
                writes: a.access.writes(),
                reads: a.access.reads_contents(),
                layout: resources[r as usize].image.map(|i| a.access.layout(i.format.is_depth())),
            };
            match touches.iter_mut().find(|x| x.resource == r) {
                Some(x) => {
                    x.stages |= t.stages;
                    x.access |= t.access;
                    x.writes |= t.writes;
                    x.reads |= t.reads;
                }
                None => touches.push(t),
            }
        }
        // Cross-queue waits come first: they run before the pass's barriers, and what they order
        // (a round trip through another queue included) can make a barrier unnecessary.
        disp_flat.clear();
        disp_range.clear();
        pre_want.clear();
        for t in &touches {
            let ri = t.resource as usize;
            let s = &st[ri];
            let start = disp_flat.len();
            let wants_before = pre_want.len();
            if !s.touched {
                if let Some(pl) = resources[ri].placement {
                    occupy(&mut memory[pl.heap], pl, t.resource, &mut displaced);
                    for &d in &displaced {
                        let o = &st[d as usize];
                        for oq in QueueKind::ALL {
                            if oq == q || o.outstanding(oq).0.is_empty() {
                                continue;
                            }
                            let mut last = o.r_pass[oq.index()];
                            if o.has_write && o.w_queue == oq {
                                last = if last == NONE { o.w_pass } else { last.max(o.w_pass) };
                            }
                            pre_want.push((oq, point(last), t.stages));
                        }
                    }
                    disp_flat.extend_from_slice(&displaced);
                }
            } else if let Some(o) = s.owner.filter(|&o| o != q && t.reads && s.defined) {
                pre_want.push((o, point(s.last_pass[o.index()]), t.stages));
            } else {
                let relayout = t.layout.is_some() && t.layout != s.layout;
                for oq in QueueKind::ALL {
                    if oq == q {
                        continue;
                    }
                    if s.has_write && s.w_queue == oq {
                        pre_want.push((oq, point(s.w_pass), t.stages));
                    }
                    if (t.writes || relayout) && !s.r_stages[oq.index()].is_empty() {
                        pre_want.push((oq, point(s.r_pass[oq.index()]), t.stages));
                    }
                }
            }
            disp_range.push((start, disp_flat.len(), pre_want.len() > wants_before));
        }
        pass_waits.clear();
        emit_waits(&pre_want, q, pos, &mut waited, &mut done, &mut pass_waits);
        out.wait_start.push(out.waits.len() as u32);
        out.waits.extend_from_slice(&pass_waits);
        out.batch_start.push(out.batches.len() as u32);

        for (ti, t) in touches.iter().enumerate() {
            let ri = t.resource as usize;
            let mut b = Barrier {
                resource: ri,
                queue: q,
                src_stages: StageMask::NONE,
                src_access: AccessMask::NONE,
                dst_stages: t.stages,
                dst_access: t.access,
                layout: None,
                discard: false,
                transfer: None,
            };
            let mut need = false;
            let mut transition = false;
            let s = &mut st[ri];
            if !s.touched {
                // First use of a transient: hand over its memory from the latest occupants.
                s.touched = true;
                if resources[ri].placement.is_some() {
                    // Occupants on other queues were waited for before the batch.
                    let (d0, d1, _) = disp_range[ti];
                    for &d in &disp_flat[d0..d1] {
                        let (os, oa) = st[d as usize].outstanding(q);
                        b.src_stages |= os;
                        b.src_access |= oa;
                        need = true;
                    }
                }
                let s = &mut st[ri];
                if let Some(l) = t.layout {
                    b.layout = Some((Layout::Undefined, l));
                    need = true;
                    transition = true;
                }
                b.discard = need;
                s.owner = Some(q);
                s.layout = t.layout;
                s.defined = false;
            } else {
                if let Some(o) = s.owner.filter(|&o| o != q) {
                    if t.reads && s.defined {
                        // Queue-ownership transfer: release on the old queue, acquire here.
                        let (os, oa) = s.outstanding(o);
                        let layout = t.layout.zip(s.layout).map(|(new, old)| (old, new));
                        let rel_at = s.last_pass[o.index()];
                        let release = Barrier {
                            resource: ri,
                            queue: o,
                            src_stages: os,
                            src_access: oa,
                            dst_stages: StageMask::NONE,
                            dst_access: AccessMask::NONE,
                            layout,
                            discard: false,
                            transfer: Some(OwnershipTransfer {
                                from: o,
                                to: q,
                                half: TransferHalf::Release,
                            }),
                        };
                        if rel_at == NONE {
                            out.prologue.push(release);
                        } else {
                            releases.push((rel_at, release));
                        }
                        b.layout = layout;
                        b.transfer =
                            Some(OwnershipTransfer { from: o, to: q, half: TransferHalf::Acquire });
                        need = true;
                        transition = true;
                        // The pair orders everything done on `o` before the acquire's second
                        // scope; from here on, later barriers chain from those stages.
                        s.barrier_is_last_write(q, pos, t.stages, t.access, t.layout);
                        s.owner = Some(q);
                    } else {
                        // The old contents are not needed: no transfer, just a fresh start.
                        s.owner = Some(q);
                        s.defined = false;
                        if let Some(l) = t.layout.filter(|l| s.layout != Some(*l)) {
                            b.layout = Some((Layout::Undefined, l));
                            b.discard = true;
                            need = true;
                            transition = true;
                        }
                    }
                }
                let s = &mut st[ri];
                if s.owner.is_none() {
                    s.owner = Some(q);
                }
                // Same-queue hazards.
                let (os, oa) = s.outstanding(q);
                if !transition && t.layout.is_some() && t.layout != s.layout {
                    b.layout = Some((
                        s.layout.unwrap_or(Layout::Undefined),
                        t.layout.unwrap_or(Layout::General),
                    ));
                    b.src_stages |= os;
                    b.src_access |= oa;
                    need = true;
                    transition = true;
                } else if b.transfer.is_none() && !b.discard {
                    let w_here = s.has_write && s.w_queue == q;
                    // A round trip through another queue may already order it.
                    let w_waited = by_wait(&waited, q, q, t.stages, s.w_pass);
                    if t.writes {
                        if w_here && !w_waited && !(s.w_exec.contains(t.stages) && s.w_avail) {
                            b.src_stages |= s.w_stages;
                            b.src_access |= s.w_access.writes();
                            need = true;
                        }
                        if !s.r_stages[qi].is_empty()
                            && !s.r_exec[qi].contains(t.stages)
                            && !by_wait(&waited, q, q, t.stages, s.r_pass[qi])
                        {
                            b.src_stages |= s.r_stages[qi];
                            need = true;
                        }
                    } else if w_here
                        && !w_waited
                        && !(s.w_exec.contains(t.stages)
                            && s.w_avail
                            && s.w_vis.contains(t.stages, t.access.minus(AccessMask::WRITES)))
                    {
                        b.src_stages |= s.w_stages;
                        b.src_access |= s.w_access.writes();
                        need = true;
                    }
                } else if b.discard {
                    b.src_stages |= os;
                    b.src_access |= oa;
                }
            }

            // A barrier after a semaphore wait must start from the waited stages, or its layout
            // transition would not be ordered after the other queue's work.
            if need && disp_range[ti].2 {
                b.src_stages |= t.stages;
            }

            // Apply the barrier to the model, then the access.
            let s = &mut st[ri];
            if need {
                if transition && b.transfer.is_none() {
                    // The transition happens before the barrier's second scope, so later
                    // barriers chain to it through those stages.
                    s.barrier_is_last_write(q, pos, b.dst_stages, b.dst_access, t.layout);
                } else if b.transfer.is_none() {
                    let src = b.src_stages.and_earlier();
                    if s.has_write
                        && s.w_queue == q
                        && (src.contains(s.w_stages) || src.intersects(s.w_exec))
                    {
                        s.w_exec |= b.dst_stages.and_later();
                        if s.w_avail || b.src_access.contains(s.w_access.writes()) {
                            s.w_avail = true;
                            s.w_vis.add(b.dst_stages, b.dst_access);
                        }
                    }
                    if src.contains(s.r_stages[qi]) || src.intersects(s.r_exec[qi]) {
                        s.r_exec[qi] |= b.dst_stages.and_later();
                    }
                }
                out.batches.push(b);
            }
            if t.writes {
                s.has_write = true;
                s.w_queue = q;
                s.w_stages = t.stages;
                s.w_access = t.access;
                s.w_pass = pos as u32;
                s.w_exec = StageMask::NONE;
                s.w_vis = Vis::NONE;
                s.w_avail = false;
                s.r_stages = [StageMask::NONE; 3];
                s.r_exec = [StageMask::NONE; 3];
                s.r_pass = [NONE; 3];
                s.defined = true;
            } else {
                s.r_stages[qi] |= t.stages;
                s.r_exec[qi] = StageMask::NONE;
                s.r_pass[qi] = pos as u32;
            }
            s.owner = Some(q);
            s.last_pass[qi] = pos as u32;
        }
    }

    // Epilogue: imports into their exit states.
    for (ri, r) in g.resources.iter().enumerate() {
        let Lifetime::Imported { exit, .. } = r.lifetime else {
            continue;
        };
        let s = &st[ri];
        let o = s.owner.unwrap_or(exit.queue);
        let (os, oa) = s.outstanding(o);
        let layout_change = match (s.layout, exit.layout) {
            (Some(a), Some(b)) if a != b => Some((a, b)),
            _ => None,
        };
        // A write that came in with the entry state was ordered by whoever made it.
        let covered = exit.stages.is_empty()
            || !s.has_write
            || s.w_pass == NONE
            || s.w_queue != o
            || (s.w_exec.contains(exit.stages) && s.w_vis.contains(exit.stages, exit.access));
        let reads_covered = exit.access.writes().is_empty() || s.r_stages[o.index()].is_empty();
        if layout_change.is_none() && o == exit.queue && covered && reads_covered {
            continue;
        }
        let transfer = (o != exit.queue).then_some(OwnershipTransfer {
            from: o,
            to: exit.queue,
            half: TransferHalf::Release,
        });
        out.epilogue.push(Barrier {
            resource: ri,
            queue: o,
            src_stages: os,
            src_access: oa,
            dst_stages: if transfer.is_some() { StageMask::NONE } else { exit.stages },
            dst_access: if transfer.is_some() { AccessMask::NONE } else { exit.access },
            layout: layout_change
                .or(s.layout.map(|l| (l, l)))
                .filter(|(a, b)| a != b || transfer.is_some()),
            discard: s.layout == Some(Layout::Undefined),
            transfer,
        });
    }

    out.wait_start.push(out.waits.len() as u32);
    out.batch_start.push(out.batches.len() as u32);
    out.batches.shrink_to_fit();
    for w in &out.waits {
        if let WaitPoint::Pass(i) = w.point {
            out.signal[i] = true;
        }
    }
    // Releases grouped by the pass they follow, each group in the order it was decided.
    out.release_start = vec![0; n + 1];
    for &(at, _) in &releases {
        out.release_start[at as usize + 1] += 1;
    }
    for i in 0..n {
        out.release_start[i + 1] += out.release_start[i];
    }
    releases.sort_by_key(|&(at, _)| at);
    out.releases = releases.into_iter().map(|(_, b)| b).collect();
    out
}

/// Makes `resource` the latest occupant of the bytes of `pl`, and lists in `displaced` the
/// previous latest occupants of those bytes, in address order.
fn occupy(
    memory: &mut Vec<(u64, u64, u32)>,
    pl: Placement,
    resource: u32,
    displaced: &mut Vec<u32>,
) {
    displaced.clear();
    let (lo, hi) = (pl.offset, pl.offset + pl.size);
    if lo >= hi {
        return;
    }
    let a = memory.partition_point(|x| x.1 <= lo);
    let mut b = a;
    while b < memory.len() && memory[b].0 < hi {
        if !displaced.contains(&memory[b].2) {
            displaced.push(memory[b].2);
        }
        b += 1;
    }
    let mut new = [(lo, hi, resource); 3];
    let mut n = 0;
    if a < b && memory[a].0 < lo {
        new[n] = (memory[a].0, lo, memory[a].2);
        n += 1;
    }
    new[n] = (lo, hi, resource);
    n += 1;
    if a < b && memory[b - 1].1 > hi {
        new[n] = (hi, memory[b - 1].1, memory[b - 1].2);
        n += 1;
    }
    memory.splice(a..b, new[..n].iter().copied());
}

/// Turns the waits a pass wants into its `Wait`s, skipping what its queue already waited for,
/// and records what they reach (transitively, through what the waited queue had waited for).
fn emit_waits(
    wanted: &[(QueueKind, i64, StageMask)],
    q: QueueKind,
    pos: usize,
    waited: &mut Waited,
    done: &mut Vec<[i64; 3]>,
    waits: &mut Vec<Wait>,
) {
    let qi = q.index();
    for &(oq, pt, stages) in wanted {
        if by_wait_point(waited, q, oq, stages, pt) {
            continue;
        }
        let point = if pt < 0 { WaitPoint::Prologue } else { WaitPoint::Pass(pt as usize) };
        match waits.iter_mut().find(|w| w.queue == oq) {
            Some(w) => {
                if point > w.point {
                    w.point = point;
                }
                w.stages |= stages;
            }
            None => waits.push(Wait { queue: oq, point, stages }),
        }
    }
    // A wait that another wait of the same pass already reaches (through what that queue
    // waited for) is dropped.
    let reach = |w: &Wait| match w.point {
        WaitPoint::Prologue => {
            let mut r = [-2i64; 3];
            r[w.queue.index()] = -1;
            r
        }
        WaitPoint::Pass(j) => done[j],
    };
    let pt = |w: &Wait| match w.point {
        WaitPoint::Prologue => -1,
        WaitPoint::Pass(j) => j as i64,
    };
    let mut i = 0;
    while i < waits.len() {
        let w = waits[i];
        let implied = waits.iter().enumerate().any(|(k, o)| {
            k != i && reach(o)[w.queue.index()] >= pt(&w) && o.stages.and_later().contains(w.stages)
        });
        if implied {
            waits.remove(i);
        } else {
            i += 1;
        }
    }
    for w in waits.iter() {
        let reached = match w.point {
            WaitPoint::Prologue => {
                let mut r = [-2i64; 3];
                r[w.queue.index()] = -1;
                r
            }
            WaitPoint::Pass(j) => done[j],
        };
        let stages = w.stages.and_later();
        for (q3, reach) in reached.iter().enumerate() {
            for (bit, e) in waited[qi][q3].iter_mut().enumerate() {
                if stages.0 & (1 << bit) != 0 {
                    *e = (*e).max(*reach);
                }
            }
        }
    }
    let mut d = [-2i64; 3];
    for (q3, e) in d.iter_mut().enumerate() {
        *e = waited[qi][q3].iter().copied().max().unwrap_or(-2);
    }
    d[qi] = pos as i64;
    done.push(d);
}

/// The state a temporal resource is left in at the end of the frame (and so found in at the
/// start of the next): the last access's layout and queue, and the accesses still outstanding.
pub(crate) fn temporal_exit<P>(
    g: &Graph<P>,
    order: &[u32],
    resource: usize,
    depth: Option<bool>,
) -> ResourceState {
    let mut state = ResourceState {
        layout: depth.map(|_| Layout::General),
        queue: QueueKind::Graphics,
        stages: StageMask::NONE,
        access: AccessMask::NONE,
    };
    for &p in order {
        let pass = &g.passes[p as usize];
        for a in pass.accesses.iter().filter(|a| a.handle.index as usize == resource) {
            if a.access.writes() || pass.queue != state.queue {
                state.stages = StageMask::NONE;
                state.access = AccessMask::NONE;
            }
            state.queue = pass.queue;
            state.layout = depth.map(|d| a.access.layout(d));
            state.stages |= a.access.stages();
            state.access |= a.access.memory();
        }
    }
    state
}

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

use super::validate::Flat;
use super::NONE;
use crate::access::{AccessMask, Layout, ResourceState, StageMask};
use crate::graph::{Graph, Lifetime, Subresource};
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

/// Every mip level and layer of an image, with explicit counts; [`Subresource::ALL`] for a
/// buffer.
fn whole(r: &PlannedResource) -> Subresource {
    r.image.map_or(Subresource::ALL, |i| Subresource {
        base_mip: 0,
        mip_count: i.mip_levels,
        base_layer: 0,
        layer_count: i.array_layers,
    })
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
    /// A bit for each queue that may have accesses outstanding (the last write's, reads since):
    /// with no bit but the current queue's, the cross-queue checks have nothing to find.
    queues: u8,
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
            queues: 0,
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
            s.queues = 1 << e.queue.index();
        } else if !e.stages.is_empty() {
            s.r_stages[e.queue.index()] = e.stages;
            s.queues = 1 << e.queue.index();
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
        // Built in place: a copy assembled from 2-byte stores and then moved as a whole would
        // stall on the reload.
        self.w_vis = Vis::NONE;
        self.w_vis.add(stages, access);
        self.w_avail = true;
        self.r_stages = [StageMask::NONE; 3];
        self.r_exec = [StageMask::NONE; 3];
        self.r_pass = [NONE; 3];
        self.layout = layout;
        self.queues = 1 << q.index();
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
    /// For a first use: the range of the pass's displaced occupants that are its own.
    displaced: (u32, u32),
    /// Whether the pass waits on another queue for it.
    after_wait: bool,
}

/// The phase's output. The per-pass lists are flat, in pass order: pass `i`'s batch is
/// `batches[batch_start[i]..batch_start[i + 1]]`, and likewise for waits and releases. The
/// compiler keeps it between compiles; the lists that go into the plan (waits, batches,
/// releases, prologue, epilogue) are the plan's own arrays, lent to the phase and taken back.
#[derive(Default)]
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

/// The phase's working memory.
#[derive(Default)]
pub(crate) struct Scratch {
    st: Vec<St>,
    memory: Vec<Vec<(u64, u64, u32)>>,
    done: Vec<[i32; 3]>,
    touches: Vec<Touch>,
    displaced: Vec<u32>,
    wants: Vec<(QueueKind, i32, StageMask)>,
    pass_waits: Vec<Wait>,
    releases: Vec<(u32, Barrier)>,
    /// Tests set it to make every graph take the general walk, and read whether the last
    /// compile took the one-queue shortcut.
    #[cfg(test)]
    pub general_only: bool,
    #[cfg(test)]
    pub took_shortcut: bool,
}

/// `waited[q][q2][stage bit]`: the latest point of queue `q2` that queue `q` has waited for
/// before that stage of its later work.
type Waited = [[[i32; 16]; 3]; 3];

/// Whether queue `q`'s waits already order `q2`'s work up to `point` before all of `stages`.
fn by_wait_point(
    waited: &Waited,
    q: QueueKind,
    q2: QueueKind,
    stages: StageMask,
    point: i32,
) -> bool {
    let seen = &waited[q.index()][q2.index()];
    !stages.is_empty() && bits(stages.0).all(|bit| seen[bit] >= point)
}

/// As [`by_wait_point`], for the work of a pass (`NONE`: the frame's entry).
fn by_wait(waited: &Waited, q: QueueKind, q2: QueueKind, stages: StageMask, pass: u32) -> bool {
    by_wait_point(waited, q, q2, stages, point(pass))
}

fn point(pass: u32) -> i32 {
    if pass == NONE {
        -1
    } else {
        pass as i32
    }
}

/// The barriers of the passes in `order`, given every resource's entry state and placement
/// (from the resource records) and the number of heaps, into `out`.
pub(crate) fn barriers<P>(
    g: &Graph<P>,
    flat: &[Flat],
    order: &[u32],
    resources: &[PlannedResource],
    heaps: usize,
    out: &mut Barriers,
    scratch: &mut Scratch,
) {
    #[cfg(test)]
    let general_only = scratch.general_only;
    #[cfg(not(test))]
    let general_only = false;
    // With every pass and every resource's entry on one queue (most frames), no pass can wait
    // on another queue or take over a resource from one: the walk is compiled a second time
    // without that analysis, and first uses find what they displace as their barriers are made.
    let one_queue = !general_only
        && order.first().is_some_and(|&p0| {
            let q0 = g.passes[p0 as usize].queue;
            order.iter().all(|&p| g.passes[p as usize].queue == q0)
                && resources.iter().all(|r| r.entry.is_none_or(|e| e.queue == q0))
        });
    #[cfg(test)]
    {
        scratch.took_shortcut = one_queue;
    }
    if one_queue {
        walk::<true, P>(g, flat, order, resources, heaps, out, scratch);
    } else {
        walk::<false, P>(g, flat, order, resources, heaps, out, scratch);
    }
}

/// [`barriers`], for frames on one queue when `ONE` is set.
fn walk<const ONE: bool, P>(
    g: &Graph<P>,
    flat: &[Flat],
    order: &[u32],
    resources: &[PlannedResource],
    heaps: usize,
    out: &mut Barriers,
    scratch: &mut Scratch,
) {
    let n = order.len();
    out.batches.clear();
    out.batch_start.clear();
    out.releases.clear();
    out.release_start.clear();
    out.waits.clear();
    out.wait_start.clear();
    out.signal.clear();
    out.signal.resize(n, false);
    out.prologue.clear();
    out.epilogue.clear();
    let Scratch { st, memory, done, touches, displaced, wants, pass_waits, releases, .. } = scratch;
    st.clear();
    st.extend(resources.iter().map(|r| match (r.lifetime, r.entry) {
        (Lifetime::Transient, _) | (_, None) => St::new(r.image.map(|_| Layout::Undefined)),
        (_, Some(e)) => St::from_entry(&e, r.defined_at_entry),
    }));
    let st = &mut st[..];
    // Latest occupant of each byte, per heap, as disjoint `(start, end, resource)` intervals
    // in address order.
    memory.resize_with(heaps.max(memory.len()), Vec::new);
    memory.iter_mut().for_each(Vec::clear);
    // Latest point each queue has waited for on each other queue, per waiting stage: a wait
    // only holds back the stages it names.
    let mut waited: Waited = [[[-2i32; 16]; 3]; 3];
    // `reached[q][q2]`: the latest point of `q2` that `q` has waited for before any stage.
    let mut reached = [[-2i32; 3]; 3];
    // For each pass, the latest point of each queue known complete when its signal fires.
    done.clear();
    // The occupants each pass's first uses displace, and the waits it wants, in touch order.
    // Releases, with the position of the pass they follow, in the order they were decided.
    releases.clear();

    for (pos, &p) in order.iter().enumerate() {
        let pass = &g.passes[p as usize];
        let q = pass.queue;
        let qi = q.index();
        let others = !(1u8 << qi);
        touches.clear();
        for a in &flat[pass.accesses.start as usize..pass.accesses.end as usize] {
            let r = a.resource;
            let (writes, reads) = (a.writes(), a.reads());
            // Only a resource the pass already named can be in the list.
            let merged =
                if a.repeat() { touches.iter_mut().find(|x| x.resource == r) } else { None };
            match merged {
                Some(x) => {
                    x.stages |= a.stages;
                    x.access |= a.memory;
                    x.writes |= writes;
                    x.reads |= reads;
                }
                None => touches.push(Touch {
                    resource: r,
                    stages: a.stages,
                    access: a.memory,
                    writes,
                    reads,
                    layout: a.layout,
                    displaced: (0, 0),
                    after_wait: false,
                }),
            }
        }
        // Cross-queue waits come first: they run before the pass's barriers, and what they order
        // (a round trip through another queue included) can make a barrier unnecessary.
        displaced.clear();
        wants.clear();
        if !ONE {
            for t in touches.iter_mut() {
                let ri = t.resource as usize;
                let s = &st[ri];
                let wants_before = wants.len();
                if !s.touched {
                    if let Some(pl) = resources[ri].placement {
                        let from = displaced.len();
                        occupy(&mut memory[pl.heap], pl, t.resource, displaced);
                        t.displaced = (from as u32, displaced.len() as u32);
                        for &d in &displaced[from..] {
                            let o = &st[d as usize];
                            if o.queues & others == 0 {
                                continue;
                            }
                            for oq in QueueKind::ALL {
                                if oq == q || o.outstanding(oq).0.is_empty() {
                                    continue;
                                }
                                let mut last = o.r_pass[oq.index()];
                                if o.has_write && o.w_queue == oq {
                                    last = if last == NONE { o.w_pass } else { last.max(o.w_pass) };
                                }
                                wants.push((oq, point(last), t.stages));
                            }
                        }
                    }
                } else if let Some(o) = s.owner.filter(|&o| o != q && t.reads && s.defined) {
                    wants.push((o, point(s.last_pass[o.index()]), t.stages));
                } else if s.queues & others != 0 {
                    let relayout = t.layout.is_some() && t.layout != s.layout;
                    for oq in QueueKind::ALL {
                        if oq == q {
                            continue;
                        }
                        if s.has_write && s.w_queue == oq {
                            wants.push((oq, point(s.w_pass), t.stages));
                        }
                        if (t.writes || relayout) && !s.r_stages[oq.index()].is_empty() {
                            wants.push((oq, point(s.r_pass[oq.index()]), t.stages));
                        }
                    }
                }
                t.after_wait = wants.len() > wants_before;
            }
        }
        out.wait_start.push(out.waits.len() as u32);
        if !wants.is_empty() {
            pass_waits.clear();
            emit_waits(wants, q, &mut waited, done, pass_waits);
            out.waits.extend_from_slice(pass_waits);
            if !pass_waits.is_empty() {
                for (q3, e) in reached[qi].iter_mut().enumerate() {
                    *e = waited[qi][q3].iter().copied().max().unwrap_or(-2);
                }
            }
        }
        // Pushed, then patched in place: patching a copy first would store a word and at once
        // reload it inside a wider read, which the CPU cannot forward. (Only waits read it.)
        if !ONE {
            done.push(reached[qi]);
            if let Some(d) = done.last_mut() {
                d[qi] = pos as i32;
            }
        }
        out.batch_start.push(out.batches.len() as u32);

        for t in touches.iter() {
            let ri = t.resource as usize;
            let mut src_stages = StageMask::NONE;
            let mut src_access = AccessMask::NONE;
            let mut layout = None;
            let mut discard = false;
            let mut transfer = None;
            let mut need = false;
            let mut transition = false;
            if !st[ri].touched {
                // First use of a transient: hand over its memory from the latest occupants.
                // Occupants on other queues were waited for before the batch.
                let mut range = t.displaced;
                if ONE {
                    if let Some(pl) = resources[ri].placement {
                        let from = displaced.len() as u32;
                        occupy(&mut memory[pl.heap], pl, t.resource, displaced);
                        range = (from, displaced.len() as u32);
                    }
                }
                for &d in &displaced[range.0 as usize..range.1 as usize] {
                    let (os, oa) = st[d as usize].outstanding(q);
                    src_stages |= os;
                    src_access |= oa;
                    need = true;
                }
                let s = &mut st[ri];
                s.touched = true;
                if let Some(l) = t.layout {
                    layout = Some((Layout::Undefined, l));
                    need = true;
                    transition = true;
                }
                discard = need;
                s.owner = Some(q);
                s.layout = t.layout;
                s.defined = false;
            } else {
                let s = &mut st[ri];
                if let Some(o) = s.owner.filter(|&o| !ONE && o != q) {
                    if t.reads && s.defined {
                        // Queue-ownership transfer: release on the old queue, acquire here.
                        let (os, oa) = s.outstanding(o);
                        layout = t.layout.zip(s.layout).map(|(new, old)| (old, new));
                        let rel_at = s.last_pass[o.index()];
                        let release = Barrier {
                            resource: ri,
                            queue: o,
                            src_stages: os,
                            src_access: oa,
                            dst_stages: StageMask::NONE,
                            dst_access: AccessMask::NONE,
                            layout,
                            subresource: whole(&resources[ri]),
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
                        transfer =
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
                            layout = Some((Layout::Undefined, l));
                            discard = true;
                            need = true;
                            transition = true;
                        }
                    }
                }
                if s.owner.is_none() {
                    s.owner = Some(q);
                }
                // Same-queue hazards.
                if !transition && t.layout.is_some() && t.layout != s.layout {
                    let (os, oa) = s.outstanding(q);
                    layout = Some((
                        s.layout.unwrap_or(Layout::Undefined),
                        t.layout.unwrap_or(Layout::General),
                    ));
                    src_stages |= os;
                    src_access |= oa;
                    need = true;
                    transition = true;
                } else if transfer.is_none() && !discard {
                    let w_here = s.has_write && s.w_queue == q;
                    // A round trip through another queue may already order it (never before
                    // this queue has waited on one that waited for it: `reached` says so).
                    let round_trip = if ONE { -2 } else { reached[qi][qi] };
                    let by_round_trip = |pass: u32| {
                        round_trip >= point(pass) && by_wait(&waited, q, q, t.stages, pass)
                    };
                    let w_waited = || by_round_trip(s.w_pass);
                    if t.writes {
                        if w_here && !(s.w_exec.contains(t.stages) && s.w_avail) && !w_waited() {
                            src_stages |= s.w_stages;
                            src_access |= s.w_access.writes();
                            need = true;
                        }
                        if !s.r_stages[qi].is_empty()
                            && !s.r_exec[qi].contains(t.stages)
                            && !by_round_trip(s.r_pass[qi])
                        {
                            src_stages |= s.r_stages[qi];
                            need = true;
                        }
                    } else if w_here
                        && !(s.w_exec.contains(t.stages)
                            && s.w_avail
                            && s.w_vis.contains(t.stages, t.access.minus(AccessMask::WRITES)))
                        && !w_waited()
                    {
                        src_stages |= s.w_stages;
                        src_access |= s.w_access.writes();
                        need = true;
                    }
                } else if discard {
                    let (os, oa) = s.outstanding(q);
                    src_stages |= os;
                    src_access |= oa;
                }
            }

            // A barrier after a semaphore wait must start from the waited stages, or its layout
            // transition would not be ordered after the other queue's work.
            if !ONE && need && t.after_wait {
                src_stages |= t.stages;
            }

            // Apply the barrier to the model, then the access.
            let s = &mut st[ri];
            if need {
                if transfer.is_some() {
                } else if transition {
                    // The transition happens before the barrier's second scope, so later
                    // barriers chain to it through those stages.
                    s.barrier_is_last_write(q, pos, t.stages, t.access, t.layout);
                } else {
                    let src = src_stages.and_earlier();
                    if s.has_write
                        && s.w_queue == q
                        && (src.contains(s.w_stages) || src.intersects(s.w_exec))
                    {
                        s.w_exec |= t.stages.and_later();
                        if s.w_avail || src_access.contains(s.w_access.writes()) {
                            s.w_avail = true;
                            s.w_vis.add(t.stages, t.access);
                        }
                    }
                    if src.contains(s.r_stages[qi]) || src.intersects(s.r_exec[qi]) {
                        s.r_exec[qi] |= t.stages.and_later();
                    }
                }
                out.batches.push(Barrier {
                    resource: ri,
                    queue: q,
                    src_stages,
                    src_access,
                    dst_stages: t.stages,
                    dst_access: t.access,
                    layout,
                    subresource: whole(&resources[ri]),
                    discard,
                    transfer,
                });
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
                s.queues = 1 << qi;
            } else {
                s.r_stages[qi] |= t.stages;
                s.r_exec[qi] = StageMask::NONE;
                // What only the cross-queue analysis reads is not kept on one queue.
                if !ONE {
                    s.r_pass[qi] = pos as u32;
                    if !t.stages.is_empty() {
                        s.queues |= 1 << qi;
                    }
                }
            }
            s.owner = Some(q);
            if !ONE {
                s.last_pass[qi] = pos as u32;
            }
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
            subresource: whole(&resources[ri]),
            discard: s.layout == Some(Layout::Undefined),
            transfer,
        });
    }

    out.wait_start.push(out.waits.len() as u32);
    out.batch_start.push(out.batches.len() as u32);
    for w in &out.waits {
        if let WaitPoint::Pass(i) = w.point {
            out.signal[i] = true;
        }
    }
    // Releases grouped by the pass they follow, each group in the order it was decided.
    out.release_start.resize(n + 1, 0);
    for &(at, _) in releases.iter() {
        out.release_start[at as usize + 1] += 1;
    }
    for i in 0..n {
        out.release_start[i + 1] += out.release_start[i];
    }
    releases.sort_by_key(|&(at, _)| at);
    out.releases.extend(releases.iter().map(|&(_, b)| b));
}

/// Makes `resource` the latest occupant of the bytes of `pl`, and appends to `displaced` the
/// previous latest occupants of those bytes, in address order.
fn occupy(
    memory: &mut Vec<(u64, u64, u32)>,
    pl: Placement,
    resource: u32,
    displaced: &mut Vec<u32>,
) {
    let from = displaced.len();
    let (lo, hi) = (pl.offset, pl.offset + pl.size);
    if lo >= hi {
        return;
    }
    let a = memory.partition_point(|x| x.1 <= lo);
    let mut b = a;
    while let Some(&(start, _, occupant)) = memory.get(b) {
        if start >= hi {
            break;
        }
        // A plain scan: there are one or two, too few for `contains`'s vector loop to pay.
        if displaced[from..].iter().all(|&d| d != occupant) {
            displaced.push(occupant);
        }
        b += 1;
    }
    if a == b {
        memory.insert(a, (lo, hi, resource));
        return;
    }
    // What is left of the first and last occupants on either side of the newcomer.
    let (first, last) = (memory[a], memory[b - 1]);
    let mut at = a;
    if first.0 < lo {
        memory[at] = (first.0, lo, first.2);
        at += 1;
    }
    let right = (last.1 > hi).then_some((hi, last.1, last.2));
    // `at < b` unless the left part took the only slot, and then the right part needs one too.
    if at < b {
        memory[at] = (lo, hi, resource);
    } else {
        memory.insert(at, (lo, hi, resource));
        b += 1;
    }
    at += 1;
    if let Some(r) = right {
        if at < b {
            memory[at] = r;
        } else {
            memory.insert(at, r);
            b += 1;
        }
        at += 1;
    }
    if at < b {
        memory.drain(at..b);
    }
}

/// Turns the waits a pass wants into its `Wait`s, skipping what its queue already waited for,
/// and records in `waited` what they reach (transitively, through what the waited queue had
/// waited for).
fn emit_waits(
    wanted: &[(QueueKind, i32, StageMask)],
    q: QueueKind,
    waited: &mut Waited,
    done: &[[i32; 3]],
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
            let mut r = [-2i32; 3];
            r[w.queue.index()] = -1;
            r
        }
        WaitPoint::Pass(j) => done[j],
    };
    let pt = |w: &Wait| match w.point {
        WaitPoint::Prologue => -1,
        WaitPoint::Pass(j) => j as i32,
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
                let mut r = [-2i32; 3];
                r[w.queue.index()] = -1;
                r
            }
            WaitPoint::Pass(j) => done[j],
        };
        let stages = w.stages.and_later();
        for (q3, reach) in reached.iter().enumerate() {
            for bit in bits(stages.0) {
                let e = &mut waited[qi][q3][bit];
                *e = (*e).max(*reach);
            }
        }
    }
}

/// Sets the entry and exit state of every temporal resource to the state the frame leaves it
/// in (and so the next frame finds it in): the last access's layout and queue, and the
/// accesses still outstanding. One walk over the schedule covers them all.
pub(crate) fn temporal_exits<P>(
    g: &Graph<P>,
    flat: &[Flat],
    order: &[u32],
    resources: &mut [PlannedResource],
) {
    let temporal = |r: &PlannedResource| r.lifetime == Lifetime::Temporal;
    if !resources.iter().any(temporal) {
        return;
    }
    for r in resources.iter_mut().filter(|r| temporal(r)) {
        r.entry = Some(ResourceState {
            layout: r.image.map(|_| Layout::General),
            queue: QueueKind::Graphics,
            stages: StageMask::NONE,
            access: AccessMask::NONE,
        });
    }
    for &p in order {
        let pass = &g.passes[p as usize];
        for a in &flat[pass.accesses.start as usize..pass.accesses.end as usize] {
            let r = &mut resources[a.resource as usize];
            let (true, Some(state)) = (temporal(r), r.entry.as_mut()) else {
                continue;
            };
            if a.writes() || pass.queue != state.queue {
                state.stages = StageMask::NONE;
                state.access = AccessMask::NONE;
            }
            state.queue = pass.queue;
            state.layout = a.layout;
            state.stages |= a.stages;
            state.access |= a.memory;
        }
    }
    for r in resources.iter_mut().filter(|r| temporal(r)) {
        r.exit = r.entry;
        r.defined_at_entry = true;
    }
}

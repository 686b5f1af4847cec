//! The model the barrier walk keeps of one resource, or of one mip level of one layer of an
//! image tracked by cell, and the rules that turn what a pass needs of it into a barrier: the
//! same rules for both, so a cell is handled exactly as a whole resource would be.

use super::waits::{by_wait, point, Waited, Want};
use super::NONE;
use crate::access::{AccessMask, Layout, ResourceState, StageMask};
use crate::graph::Subresource;
use crate::plan::{Barrier, OwnershipTransfer, TransferHalf};
use crate::types::QueueKind;

/// What a write has been made visible to: memory accesses per pipeline stage. A barrier's
/// second access scope covers only the accesses it names in the stages it names.
#[derive(Clone, Copy)]
pub(super) struct Vis([AccessMask; 10]);

impl Vis {
    pub(super) const NONE: Vis = Vis([AccessMask::NONE; 10]);

    #[inline]
    pub(super) fn add(&mut self, stages: StageMask, access: AccessMask) {
        for bit in bits(stages.0 & Self::STAGES) {
            self.0[bit] |= access;
        }
    }

    #[inline]
    pub(super) fn contains(&self, stages: StageMask, access: AccessMask) -> bool {
        bits(stages.0 & Self::STAGES).all(|bit| self.0[bit].contains(access))
    }

    /// The stage bits it keeps.
    const STAGES: u16 = (1 << 10) - 1;
}

/// The indices of the bits set in `mask`, lowest first.
#[inline]
pub(super) fn bits(mut mask: u16) -> impl Iterator<Item = usize> {
    std::iter::from_fn(move || {
        (mask != 0).then(|| {
            let bit = mask.trailing_zeros() as usize;
            mask &= mask - 1;
            bit
        })
    })
}

/// The state of a resource or cell: layout, owner, the last write (with what it is ordered
/// before and visible to) and the reads since, per queue.
#[derive(Clone, Copy)]
pub(super) struct St {
    pub layout: Option<Layout>,
    pub owner: Option<QueueKind>,
    pub defined: bool,
    pub touched: bool,
    pub has_write: bool,
    pub w_queue: QueueKind,
    pub w_stages: StageMask,
    pub w_access: AccessMask,
    pub w_pass: u32,
    pub w_exec: StageMask,
    pub w_vis: Vis,
    pub w_avail: bool,
    pub r_stages: [StageMask; 3],
    pub r_pass: [u32; 3],
    pub last_pass: [u32; 3],
    /// A bit for each queue that may have accesses outstanding (the last write's, reads since):
    /// with no bit but the current queue's, the cross-queue checks have nothing to find.
    pub queues: u8,
}

impl St {
    /// A state that nothing has touched: an image in `Undefined`, a buffer with no layout.
    pub(super) const FRESH_IMAGE: St = St::new(Some(Layout::Undefined));
    pub(super) const FRESH_BUFFER: St = St::new(None);

    pub(super) const fn new(layout: Option<Layout>) -> Self {
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
            r_pass: [NONE; 3],
            last_pass: [NONE; 3],
            queues: 0,
        }
    }

    pub(super) fn from_entry(e: &ResourceState, defined: bool) -> Self {
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
    #[inline]
    pub(super) fn barrier_is_last_write(
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
        self.r_pass = [NONE; 3];
        self.layout = layout;
        self.queues = 1 << q.index();
    }

    /// Stages and write accesses still outstanding on queue `q`.
    #[inline]
    pub(super) fn outstanding(&self, q: QueueKind) -> (StageMask, AccessMask) {
        let mut s = self.r_stages[q.index()];
        let mut a = AccessMask::NONE;
        if self.has_write && self.w_queue == q {
            s |= self.w_stages;
            a = self.w_access.writes();
        }
        (s, a)
    }

    /// The latest pass on `oq` whose accesses are outstanding (`NONE`: the frame's entry).
    #[inline]
    pub(super) fn last_outstanding(&self, oq: QueueKind) -> u32 {
        let mut last = self.r_pass[oq.index()];
        if self.has_write && self.w_queue == oq {
            last = if last == NONE { self.w_pass } else { last.max(self.w_pass) };
        }
        last
    }
}

/// What one pass does to one state (a resource, or a cell), merged over its accesses.
#[derive(Clone, Copy)]
pub(super) struct Need {
    pub stages: StageMask,
    pub access: AccessMask,
    pub writes: bool,
    pub reads: bool,
    pub layout: Option<Layout>,
}

/// Where the walk is: the pass's queue and position, and what its queue has waited for.
pub(super) struct Here<'w> {
    pub q: QueueKind,
    pub pos: usize,
    pub waited: &'w Waited,
    /// `reached[q][q]`: the latest point of its own queue that `q` has waited for through
    /// another queue (a round trip).
    pub round_trip: i32,
}

/// The barrier one state needs before a pass, before it is applied.
#[derive(Clone, Copy)]
pub(super) struct Decision {
    pub src_stages: StageMask,
    pub src_access: AccessMask,
    pub layout: Option<(Layout, Layout)>,
    pub discard: bool,
    pub transfer: Option<OwnershipTransfer>,
    pub need: bool,
    pub transition: bool,
    /// The release half of an ownership transfer ([`Decision::release`] makes its barrier).
    pub release: Option<Release>,
}

/// What the release half of an ownership transfer needs besides its acquire: the queue it
/// leaves, the position of the pass it follows (`NONE`: the prologue) and what is outstanding
/// there. Kept apart from the barrier so that a decision stays small.
#[derive(Clone, Copy)]
pub(super) struct Release {
    pub from: QueueKind,
    pub at: u32,
    pub src_stages: StageMask,
    pub src_access: AccessMask,
}

impl Decision {
    const NOTHING: Decision = Decision {
        src_stages: StageMask::NONE,
        src_access: AccessMask::NONE,
        layout: None,
        discard: false,
        transfer: None,
        need: false,
        transition: false,
        release: None,
    };

    /// The release half of its ownership transfer to `q`, over `sub()` of resource `ri`, with
    /// the position of the pass it follows.
    pub(super) fn release(
        &self,
        ri: usize,
        sub: impl FnOnce() -> Subresource,
        q: QueueKind,
    ) -> Option<(u32, Barrier)> {
        let r = self.release?;
        let release = Barrier {
            resource: ri,
            queue: r.from,
            src_stages: r.src_stages,
            src_access: r.src_access,
            dst_stages: StageMask::NONE,
            dst_access: AccessMask::NONE,
            layout: self.layout,
            subresource: sub(),
            discard: false,
            transfer: Some(OwnershipTransfer { from: r.from, to: q, half: TransferHalf::Release }),
        };
        Some((r.at, release))
    }

    /// The barrier it makes on `q` for `n`, over `sub` of resource `ri`.
    #[inline]
    pub(super) fn barrier(&self, ri: usize, sub: Subresource, q: QueueKind, n: &Need) -> Barrier {
        Barrier {
            resource: ri,
            queue: q,
            src_stages: self.src_stages,
            src_access: self.src_access,
            dst_stages: n.stages,
            dst_access: n.access,
            layout: self.layout,
            subresource: sub,
            discard: self.discard,
            transfer: self.transfer,
        }
    }
}

/// The first use of a transient: its memory handed over from the latest occupants, whose
/// outstanding accesses (`src`) it waits for, and its layout from `Undefined`, discarding. The
/// state is left owned by `q`, in `n`'s layout, with no contents.
// Inlined into the walk's hot loop, where the decision stays in registers.
#[inline(always)]
pub(super) fn first_use(
    s: &mut St,
    n: &Need,
    q: QueueKind,
    src: (StageMask, AccessMask),
    displaces: bool,
) -> Decision {
    let mut d = Decision::NOTHING;
    d.src_stages = src.0;
    d.src_access = src.1;
    d.need = displaces;
    s.touched = true;
    if let Some(l) = n.layout {
        d.layout = Some((Layout::Undefined, l));
        d.need = true;
        d.transition = true;
    }
    d.discard = d.need;
    s.owner = Some(q);
    s.layout = n.layout;
    s.defined = false;
    d
}

/// The barrier a state already in use needs before a pass on `h.q` does `n` to it: an
/// ownership transfer (with what its release needs), a fresh start on a new queue, a layout
/// transition, or an execution and memory dependency on the same queue; nothing when earlier
/// barriers and waits already order it. An acquire is applied to the state here, being the
/// state's new last write.
// Inlined into the walk's hot loop, where the decision stays in registers.
#[inline(always)]
pub(super) fn decide<const ONE: bool>(s: &mut St, n: &Need, h: &Here<'_>) -> Decision {
    let q = h.q;
    let qi = q.index();
    let mut d = Decision::NOTHING;
    if let Some(o) = s.owner.filter(|&o| !ONE && o != q) {
        if n.reads && s.defined {
            // Queue-ownership transfer: release on the old queue, acquire here.
            let (src_stages, src_access) = s.outstanding(o);
            d.layout = n.layout.zip(s.layout).map(|(new, old)| (old, new));
            let at = s.last_pass[o.index()];
            d.release = Some(Release { from: o, at, src_stages, src_access });
            d.transfer = Some(OwnershipTransfer { from: o, to: q, half: TransferHalf::Acquire });
            d.need = true;
            d.transition = true;
            // The pair orders everything done on `o` before the acquire's second scope; from
            // here on, later barriers chain from those stages.
            s.barrier_is_last_write(q, h.pos, n.stages, n.access, n.layout);
            s.owner = Some(q);
        } else {
            // The old contents are not needed: no transfer, just a fresh start.
            s.owner = Some(q);
            s.defined = false;
            if let Some(l) = n.layout.filter(|l| s.layout != Some(*l)) {
                d.layout = Some((Layout::Undefined, l));
                d.discard = true;
                d.need = true;
                d.transition = true;
            }
        }
    }
    if s.owner.is_none() {
        s.owner = Some(q);
    }
    // Same-queue hazards.
    if !d.transition && n.layout.is_some() && n.layout != s.layout {
        let (os, oa) = s.outstanding(q);
        d.layout =
            Some((s.layout.unwrap_or(Layout::Undefined), n.layout.unwrap_or(Layout::General)));
        d.src_stages |= os;
        d.src_access |= oa;
        d.need = true;
        d.transition = true;
    } else if d.transfer.is_none() && !d.discard {
        let w_here = s.has_write && s.w_queue == q;
        // A round trip through another queue may already order it (never before this queue
        // has waited on one that waited for it: `round_trip` says so).
        let round_trip = if ONE { -2 } else { h.round_trip };
        let by_round_trip =
            |pass: u32| round_trip >= point(pass) && by_wait(h.waited, q, q, n.stages, pass);
        let w_waited = || by_round_trip(s.w_pass);
        if n.writes {
            if w_here && !(s.w_exec.contains(n.stages) && s.w_avail) && !w_waited() {
                d.src_stages |= s.w_stages;
                d.src_access |= s.w_access.writes();
                d.need = true;
            }
            // No earlier barrier can order the write after the reads: each barrier on this
            // queue comes before a pass that accesses the state, so the reads since the last
            // write include one it does not cover. Only a round trip can (a write in no stage
            // needs nothing).
            if !s.r_stages[qi].is_empty() && !n.stages.is_empty() && !by_round_trip(s.r_pass[qi]) {
                d.src_stages |= s.r_stages[qi];
                d.need = true;
            }
        } else if w_here
            && !(s.w_exec.contains(n.stages)
                && s.w_avail
                && s.w_vis.contains(n.stages, n.access.minus(AccessMask::WRITES)))
            && !w_waited()
        {
            d.src_stages |= s.w_stages;
            d.src_access |= s.w_access.writes();
            d.need = true;
        }
    } else if d.discard {
        let (os, oa) = s.outstanding(q);
        d.src_stages |= os;
        d.src_access |= oa;
    }
    d
}

/// Applies barrier `d`, recorded on `q` before pass `pos` for `n`, to the state.
// Inlined into the walk's hot loop, where the decision stays in registers.
#[inline(always)]
pub(super) fn apply_barrier(s: &mut St, d: &Decision, n: &Need, q: QueueKind, pos: usize) {
    if !d.need || d.transfer.is_some() {
        // An acquire was applied when it was decided.
        return;
    }
    if d.transition {
        // The transition happens before the barrier's second scope, so later barriers chain to
        // it through those stages.
        s.barrier_is_last_write(q, pos, n.stages, n.access, n.layout);
        return;
    }
    let src = d.src_stages.and_earlier();
    if s.has_write && s.w_queue == q && (src.contains(s.w_stages) || src.intersects(s.w_exec)) {
        s.w_exec |= n.stages.and_later();
        if s.w_avail || d.src_access.contains(s.w_access.writes()) {
            s.w_avail = true;
            s.w_vis.add(n.stages, n.access);
        }
    }
}

/// Applies the pass's access `n` on `q` at `pos` to the state.
// Inlined into the walk's hot loop, where the decision stays in registers.
#[inline(always)]
pub(super) fn apply_access<const ONE: bool>(s: &mut St, n: &Need, q: QueueKind, pos: usize) {
    let qi = q.index();
    if n.writes {
        s.has_write = true;
        s.w_queue = q;
        s.w_stages = n.stages;
        s.w_access = n.access;
        s.w_pass = pos as u32;
        s.w_exec = StageMask::NONE;
        s.w_vis = Vis::NONE;
        s.w_avail = false;
        s.r_stages = [StageMask::NONE; 3];
        s.r_pass = [NONE; 3];
        s.defined = true;
        s.queues = 1 << qi;
    } else {
        s.r_stages[qi] |= n.stages;
        // What only the cross-queue analysis reads is not kept on one queue.
        if !ONE {
            s.r_pass[qi] = pos as u32;
            if !n.stages.is_empty() {
                s.queues |= 1 << qi;
            }
        }
    }
    s.owner = Some(q);
    if !ONE {
        s.last_pass[qi] = pos as u32;
    }
}

/// The cross-queue waits a pass on `q` needs before it does `n` to a state already in use;
/// `others` has a bit for every queue but `q`. Where [`decide`] will make a barrier (an
/// ownership transfer, or a layout transition), its first scope names `n`'s stages (see
/// [`Want`]).
#[inline(always)]
pub(super) fn wants(s: &St, n: &Need, q: QueueKind, others: u8, out: &mut Vec<Want>) {
    let stages = n.stages;
    if let Some(o) = s.owner.filter(|&o| o != q && n.reads && s.defined) {
        let point = point(s.last_pass[o.index()]);
        out.push(Want { queue: o, point, stages, from: stages });
    } else if s.queues & others != 0 {
        let relayout = n.layout.is_some() && n.layout != s.layout;
        let from = if relayout { stages } else { StageMask::NONE };
        for oq in QueueKind::ALL {
            if oq == q {
                continue;
            }
            if s.has_write && s.w_queue == oq {
                out.push(Want { queue: oq, point: point(s.w_pass), stages, from });
            }
            if (n.writes || relayout) && !s.r_stages[oq.index()].is_empty() {
                let point = point(s.r_pass[oq.index()]);
                out.push(Want { queue: oq, point, stages, from });
            }
        }
    }
}

/// The waits a pass on `q` needs before it takes over memory from occupant state `o`, for a
/// barrier whose second scope is `stages` and whose first scope names at least `from` (the
/// hand-over always makes one: `first_use`).
#[inline(always)]
pub(super) fn handover_wants(
    o: &St,
    q: QueueKind,
    others: u8,
    (stages, from): (StageMask, StageMask),
    out: &mut Vec<Want>,
) {
    if o.queues & others == 0 {
        return;
    }
    for oq in QueueKind::ALL {
        if oq == q || o.outstanding(oq).0.is_empty() {
            continue;
        }
        let point = point(o.last_outstanding(oq));
        out.push(Want { queue: oq, point, stages, from });
    }
}

//! Phase 7, barriers: walk the schedule with a model of every resource's state (layout, owning
//! queue, the last write and the reads since, and which later stages each is already ordered
//! before) and emit, before each pass, one batch with at most one barrier per resource and
//! range:
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
//! frame leaves it; the epilogue makes its last write visible to that first use where the use
//! finds no barrier of its own (see `exits`).
//!
//! Subresources: an image that some access names only part of (a mip, a layer, a range) is
//! tracked by cell, one state per mip level of each layer, and every rule above applies to each
//! cell as to a whole resource, so a write of mip 3 waits for nothing that only touched mip 5.
//! The barriers of a pass's cells are merged where they are equal into rectangles (runs of
//! layers within a mip, then runs of mips over the same layers), so four layers written apart
//! and sampled together take one barrier. Everything else keeps one state, and its plan and
//! cost are what they were without subresources. A transient tracked by cell takes its memory
//! over from the previous occupants at its first use, and each cell's first barrier (from
//! `Undefined`, in the pass that first touches that cell) is ordered after all of their
//! outstanding accesses, since which bytes a cell has is not known here. Handing over cells
//! that the pass does not touch would cost a transition into a layout guessed ahead, whose
//! scope a later wait may make useless. Imports' entry and exit states are states of the whole
//! image; a temporal image tracked by cell is brought back to one state at the end (see
//! `exits`).
//!
//! The walk is a recipe of steps per pass: [`Walk::gather`] what the pass does to each
//! resource (and cell), [`Walk::want_waits`] on other queues, [`Walk::place_waits`], then
//! [`Walk::plan_whole`] or [`Walk::plan_cells`] for each resource it touches; after the last
//! pass, [`exits::epilogue`] and [`Walk::finish`].

mod cells;
mod exits;
mod memory;
mod state;
mod waits;

#[cfg(test)]
mod tests;

pub(crate) use cells::track_cells;
pub(crate) use exits::temporal_exits;

use super::validate::Flat;
use super::NONE;
use crate::access::{AccessMask, ResourceState, StageMask};
use crate::graph::{Graph, Lifetime, PassDecl, Subresource};
use crate::plan::{Barrier, PlannedResource, Wait, WaitPoint};
use crate::types::QueueKind;
use cells::{merge, Cells};
use memory::occupy;
use state::{apply_access, apply_barrier, decide, first_use, Decision, Here, Need, St};
use waits::{emit_waits, Waited, Want};

/// Every mip level and layer of an image, with explicit counts; [`Subresource::ALL`] for a
/// buffer.
#[inline]
pub(crate) fn whole(r: &PlannedResource) -> Subresource {
    r.image.map_or(Subresource::ALL, |i| Subresource {
        base_mip: 0,
        mip_count: i.mip_levels,
        base_layer: 0,
        layer_count: i.array_layers,
    })
}

/// What one pass does to one resource, merged over its accesses.
#[derive(Clone, Copy)]
struct Touch {
    resource: u32,
    need: Need,
    /// Whether the pass waits on another queue for it.
    after_wait: bool,
    /// The stages its wants promise the barrier starts from (`Want::from`), checked in debug
    /// builds.
    from: StageMask,
    /// Whether it is an image tracked by cell.
    tracked: bool,
    /// Tracked by cell: what the pass does to each cell, a range of `Cells::needs`. Else, for a
    /// first use: the range of the pass's displaced occupants that are its own.
    range: (u32, u32),
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
    cells: Cells,
    cell_exits: Vec<Option<ResourceState>>,
    /// Each cell's first use in the frame (see `temporal_exits`).
    cell_firsts: Vec<Option<ResourceState>>,
    /// Each temporal resource's first use in the frame, by resource (see `temporal_exits`).
    firsts: Vec<Option<ResourceState>>,
    memory: Vec<Vec<(u64, u64, u32)>>,
    done: Vec<[i32; 3]>,
    touches: Vec<Touch>,
    displaced: Vec<u32>,
    wants: Vec<Want>,
    pass_waits: Vec<Wait>,
    releases: Vec<(u32, Barrier)>,
    /// Every mip level and layer of each resource, by resource ([`whole`]), filled by the
    /// compiler before the walk.
    pub whole: Vec<Subresource>,
    /// Tests set it to make every graph take the general walk, and read whether the last
    /// compile took the one-queue shortcut.
    #[cfg(test)]
    pub general_only: bool,
    #[cfg(test)]
    pub took_shortcut: bool,
}

/// The barriers of the passes in `order`, given every resource's entry state and placement
/// (from the resource records) and the number of heaps, into `out`. [`track_cells`] (and
/// [`temporal_exits`]) ran before, with the same scratch.
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
    // Without images tracked by cell (most frames), the walk is compiled once more with no
    // cell steps at all: its work per touch is what it was before subresources.
    match (one_queue, scratch.cells.any) {
        (true, false) => walk::<true, false, P>(g, flat, order, resources, heaps, out, scratch),
        (true, true) => walk::<true, true, P>(g, flat, order, resources, heaps, out, scratch),
        (false, false) => walk::<false, false, P>(g, flat, order, resources, heaps, out, scratch),
        (false, true) => walk::<false, true, P>(g, flat, order, resources, heaps, out, scratch),
    }
}

/// [`barriers`], for frames on one queue when `ONE` is set, and with images tracked by cell
/// when `CELLS` is set (`Cells::any`).
fn walk<const ONE: bool, const CELLS: bool, P>(
    g: &Graph<P>,
    flat: &[Flat],
    order: &[u32],
    resources: &[PlannedResource],
    heaps: usize,
    out: &mut Barriers,
    scratch: &mut Scratch,
) {
    let mut w = Walk::begin(g, flat, resources, heaps, order.len(), out, scratch);
    // Lent out of the scratch for the walk, while the steps borrow the walk.
    let mut touches = std::mem::take(&mut w.s.touches);
    for (pos, &p) in order.iter().enumerate() {
        let pass = &g.passes[p as usize];
        w.gather::<ONE, CELLS>(pass, pos, &mut touches);
        if !ONE {
            w.want_waits::<CELLS>(pass.queue, &mut touches);
        }
        w.place_waits::<ONE>(pass.queue, pos);
        for t in &touches {
            if CELLS && t.tracked {
                w.plan_cells::<ONE>(t, pass.queue, pos);
            } else {
                w.plan_whole::<ONE, CELLS>(t, pass.queue, pos);
            }
        }
    }
    w.s.touches = touches;
    let firsts = exits::Firsts { whole: &w.s.firsts, cells: &w.s.cell_firsts };
    exits::epilogue(g, resources, &w.s.st, &mut w.s.cells, firsts, &mut w.out.epilogue);
    w.finish(order.len());
}

/// The stages that the barriers of the wants in `wants` are promised to start from (kept for
/// the debug builds' check only).
#[inline]
fn promised(wants: &[Want]) -> StageMask {
    wants.iter().fold(StageMask::NONE, |a, w| a | w.from)
}

/// The states of resource `r`: its own, or its cells'.
#[inline]
fn states<'s>(st: &'s [St], cells: &'s Cells, r: u32) -> &'s [St] {
    let t = cells.of(r as usize);
    if t.base == NONE {
        std::slice::from_ref(&st[r as usize])
    } else {
        &cells.st[t.base as usize..(t.base + t.cells()) as usize]
    }
}

/// [`states`], or with no images tracked by cell (`!CELLS`), the resource's own state.
#[inline]
fn states_in<'s, const CELLS: bool>(st: &'s [St], cells: &'s Cells, r: u32) -> &'s [St] {
    if CELLS {
        states(st, cells, r)
    } else {
        std::slice::from_ref(&st[r as usize])
    }
}

/// The occupants whose memory transient `r`, tracked by cell, takes over, as a range of
/// `Cells::occupants`: found at its first use (when the walk first asks), then remembered for
/// the first use of each of its cells. Nothing for a resource that is not placed.
fn occupy_cells(
    c: &mut Cells,
    st: &mut [St],
    memory: &mut [Vec<(u64, u64, u32)>],
    resources: &[PlannedResource],
    r: usize,
) -> (u32, u32) {
    if c.occupied[r].0 == NONE {
        let from = c.occupants.len() as u32;
        if let (false, Some(pl)) = (st[r].touched, resources[r].placement) {
            occupy(&mut memory[pl.heap], pl, r as u32, &mut c.occupants);
        }
        st[r].touched = true;
        c.occupied[r] = (from, c.occupants.len() as u32);
    }
    c.occupied[r]
}

/// The walk's state between passes.
struct Walk<'a, P> {
    g: &'a Graph<P>,
    flat: &'a [Flat],
    resources: &'a [PlannedResource],
    out: &'a mut Barriers,
    s: &'a mut Scratch,
    /// Latest point each queue has waited for on each other queue, per waiting stage: a wait
    /// only holds back the stages it names.
    waited: Waited,
    /// `reached[q][q2]`: the latest point of `q2` that `q` has waited for before any stage.
    reached: [[i32; 3]; 3],
}

impl<'a, P> Walk<'a, P> {
    /// Empties the output and sets every resource (and cell) in its state at the frame's start.
    fn begin(
        g: &'a Graph<P>,
        flat: &'a [Flat],
        resources: &'a [PlannedResource],
        heaps: usize,
        passes: usize,
        out: &'a mut Barriers,
        s: &'a mut Scratch,
    ) -> Self {
        out.batches.clear();
        out.batch_start.clear();
        out.releases.clear();
        out.release_start.clear();
        out.waits.clear();
        out.wait_start.clear();
        out.signal.clear();
        out.signal.resize(passes, false);
        out.prologue.clear();
        out.epilogue.clear();
        let start = |r: &PlannedResource| match (r.lifetime, r.entry) {
            (Lifetime::Transient, _) | (_, None) if r.image.is_some() => St::FRESH_IMAGE,
            (Lifetime::Transient, _) | (_, None) => St::FRESH_BUFFER,
            (_, Some(e)) => St::from_entry(&e, r.defined_at_entry),
        };
        s.st.clear();
        s.st.extend(resources.iter().map(start));
        if s.cells.any {
            for (r, res) in resources.iter().enumerate() {
                let t = s.cells.track[r];
                if t.base != NONE {
                    let at = t.base as usize..(t.base + t.cells()) as usize;
                    s.cells.st[at].fill(start(res));
                }
            }
        }
        // Latest occupant of each byte, per heap, as disjoint `(start, end, resource)`
        // intervals in address order.
        s.memory.resize_with(heaps.max(s.memory.len()), Vec::new);
        s.memory.iter_mut().for_each(Vec::clear);
        // For each pass, the latest point of each queue known complete when its signal fires.
        s.done.clear();
        // Releases, with the position of the pass they follow, in the order they were decided.
        s.releases.clear();
        Walk { g, flat, resources, out, s, waited: [[[-2i32; 16]; 3]; 3], reached: [[-2i32; 3]; 3] }
    }

    /// What the pass does to each resource, its accesses merged, into `touches`, and to each
    /// cell of the images tracked by cell.
    #[inline]
    fn gather<const ONE: bool, const CELLS: bool>(
        &mut self,
        pass: &PassDecl,
        pos: usize,
        touches: &mut Vec<Touch>,
    ) {
        let s = &mut *self.s;
        touches.clear();
        for a in &self.flat[pass.accesses.start as usize..pass.accesses.end as usize] {
            let r = a.resource;
            // Only a resource the pass already named can be in the list.
            let merged =
                if a.repeat() { touches.iter_mut().find(|x| x.resource == r) } else { None };
            match merged {
                Some(x) => {
                    x.need.stages |= a.stages;
                    x.need.access |= a.memory;
                    x.need.writes |= a.writes();
                    x.need.reads |= a.reads();
                }
                None => touches.push(Touch {
                    resource: r,
                    need: cells::need_of(a),
                    after_wait: false,
                    from: StageMask::NONE,
                    tracked: false,
                    range: (0, 0),
                }),
            }
        }
        if !CELLS {
            return;
        }
        s.cells.needs.clear();
        for t in touches.iter_mut() {
            let ri = t.resource as usize;
            if s.cells.track[ri].base == NONE {
                continue;
            }
            // A temporal's cells on other queues are taken over at its last access, so that
            // the frame leaves the whole image on the queue its exit state names.
            let res = &self.resources[ri];
            let pull =
                (!ONE && res.lifetime == Lifetime::Temporal && s.cells.last_at[ri] == pos as u32)
                    .then_some(res.exit)
                    .flatten();
            let q = pass.queue;
            t.tracked = true;
            t.range = s.cells.gather(self.g, self.flat, pass, t.resource, pos, q, pull);
        }
    }

    /// The cross-queue waits the pass on `q` needs, in touch order (in a frame on more than one
    /// queue). They run before the pass's barriers, and what they order (a round trip through
    /// another queue included) can make a barrier unnecessary. First uses find the occupants
    /// they displace here.
    #[inline]
    fn want_waits<const CELLS: bool>(&mut self, q: QueueKind, touches: &mut [Touch]) {
        let s = &mut *self.s;
        let others = !(1u8 << q.index());
        s.displaced.clear();
        s.wants.clear();
        for t in touches.iter_mut() {
            let ri = t.resource as usize;
            let before = s.wants.len();
            if CELLS && t.tracked {
                let (a, b) = t.range;
                // Each cell is handed over at its own first use, from every occupant.
                let (o_from, o_to) =
                    occupy_cells(&mut s.cells, &mut s.st, &mut s.memory, self.resources, ri);
                let base = s.cells.track[ri].base;
                // A cell's hand-over barrier starts from what its occupants left outstanding
                // here (`plan_cells`), as well as from its own stages after a wait.
                let mut left = StageMask::NONE;
                for &d in &s.cells.occupants[o_from as usize..o_to as usize] {
                    for o in states(&s.st, &s.cells, d) {
                        left |= o.outstanding(q).0;
                    }
                }
                for i in a as usize..b as usize {
                    let c = s.cells.needs[i];
                    let from = s.wants.len();
                    let cell = &s.cells.st[(base + c.cell) as usize];
                    if cell.touched {
                        state::wants(cell, &c.need, q, others, &mut s.wants);
                    } else {
                        for &d in &s.cells.occupants[o_from as usize..o_to as usize] {
                            let scopes = (c.need.stages, c.need.stages | left);
                            for o in states(&s.st, &s.cells, d) {
                                state::handover_wants(o, q, others, scopes, &mut s.wants);
                            }
                        }
                    }
                    s.cells.needs[i].after_wait = s.wants.len() > from;
                    if cfg!(debug_assertions) {
                        s.cells.needs[i].from = promised(&s.wants[from..]);
                    }
                }
            } else if !s.st[ri].touched {
                if let Some(pl) = self.resources[ri].placement {
                    let from = s.displaced.len();
                    occupy(&mut s.memory[pl.heap], pl, t.resource, &mut s.displaced);
                    t.range = (from as u32, s.displaced.len() as u32);
                    // The hand-over barrier starts from what the occupants left outstanding
                    // here (`handover`), as well as from the touch's own stages after a wait.
                    let mut left = StageMask::NONE;
                    for &d in &s.displaced[from..] {
                        for o in states_in::<CELLS>(&s.st, &s.cells, d) {
                            left |= o.outstanding(q).0;
                        }
                    }
                    let scopes = (t.need.stages, t.need.stages | left);
                    for &d in &s.displaced[from..] {
                        for o in states_in::<CELLS>(&s.st, &s.cells, d) {
                            state::handover_wants(o, q, others, scopes, &mut s.wants);
                        }
                    }
                }
                t.after_wait = s.wants.len() > before;
            } else {
                state::wants(&s.st[ri], &t.need, q, others, &mut s.wants);
                t.after_wait = s.wants.len() > before;
            }
            if cfg!(debug_assertions) {
                t.from = promised(&s.wants[before..]);
            }
        }
    }

    /// Turns what the pass wants into its waits, and opens its batch.
    #[inline]
    fn place_waits<const ONE: bool>(&mut self, q: QueueKind, pos: usize) {
        let (s, out) = (&mut *self.s, &mut *self.out);
        let qi = q.index();
        out.wait_start.push(out.waits.len() as u32);
        if !ONE && !s.wants.is_empty() {
            s.pass_waits.clear();
            emit_waits(&s.wants, q, &mut self.waited, &s.done, &mut s.pass_waits);
            out.waits.extend_from_slice(&s.pass_waits);
            if !s.pass_waits.is_empty() {
                for (q3, e) in self.reached[qi].iter_mut().enumerate() {
                    *e = self.waited[qi][q3].iter().copied().max().unwrap_or(-2);
                }
            }
        }
        // Pushed, then patched in place: patching a copy first would store a word and at once
        // reload it inside a wider read, which the CPU cannot forward. (Only waits read it.)
        if !ONE {
            s.done.push(self.reached[qi]);
            if let Some(d) = s.done.last_mut() {
                d[qi] = pos as i32;
            }
        }
        if ONE {
            s.displaced.clear();
        }
        out.batch_start.push(out.batches.len() as u32);
    }

    /// The outstanding accesses of the occupants that a first use of `t` on `q` displaces, and
    /// whether it displaces any. On one queue the occupants are found here.
    #[inline]
    fn handover<const ONE: bool, const CELLS: bool>(
        &mut self,
        t: &Touch,
        q: QueueKind,
    ) -> ((StageMask, AccessMask), bool) {
        let s = &mut *self.s;
        let mut range = t.range;
        if ONE {
            if let Some(pl) = self.resources[t.resource as usize].placement {
                let from = s.displaced.len() as u32;
                occupy(&mut s.memory[pl.heap], pl, t.resource, &mut s.displaced);
                range = (from, s.displaced.len() as u32);
            }
        }
        let mut src = (StageMask::NONE, AccessMask::NONE);
        for &d in &s.displaced[range.0 as usize..range.1 as usize] {
            let add = |o: &St| {
                let (os, oa) = o.outstanding(q);
                src.0 |= os;
                src.1 |= oa;
            };
            states_in::<CELLS>(&s.st, &s.cells, d).iter().for_each(add);
        }
        (src, range.1 > range.0)
    }

    /// Keeps a release: in the prologue when nothing on its queue used the resource before.
    #[inline]
    fn release(&mut self, at: u32, b: Barrier) {
        if at == NONE {
            self.out.prologue.push(b);
        } else {
            self.s.releases.push((at, b));
        }
    }

    /// The barrier of a resource tracked whole, applied with the access to its state.
    #[inline]
    fn plan_whole<const ONE: bool, const CELLS: bool>(
        &mut self,
        t: &Touch,
        q: QueueKind,
        pos: usize,
    ) {
        let ri = t.resource as usize;
        let resources = self.resources;
        // First use of a transient: hand over its memory from the latest occupants. Occupants
        // on other queues were waited for before the batch.
        let handed = (!self.s.st[ri].touched).then(|| self.handover::<ONE, CELLS>(t, q));
        let here =
            Here { q, pos, waited: &self.waited, round_trip: self.reached[q.index()][q.index()] };
        // One look-up for every step: the state is indexed once, not per step.
        let s = &mut self.s.st[ri];
        let mut d = match handed {
            Some((src, displaces)) => first_use(s, &t.need, q, src, displaces),
            None => decide::<ONE>(s, &t.need, &here),
        };
        // The release half of an ownership transfer is made from the decision as it was made:
        // the change below is to the acquire's first scope only.
        let release = if ONE { None } else { d.release(ri, || whole(&resources[ri]), q) };
        // A barrier after a semaphore wait must start from the waited stages, or its layout
        // transition would not be ordered after the other queue's work.
        if !ONE && d.need && t.after_wait {
            d.src_stages |= t.need.stages;
        }
        debug_assert!(
            t.from.is_empty() || (d.need && d.src_stages.contains(t.from)),
            "a skipped wait relies on a barrier of `{}` from {:?}, but the pass has {}",
            self.g.resources[ri].label,
            t.from,
            if d.need { format!("one from {:?}", d.src_stages) } else { "none".into() }
        );
        apply_barrier(s, &d, &t.need, q, pos);
        apply_access::<ONE>(s, &t.need, q, pos);
        if d.need {
            self.out.batches.push(d.barrier(ri, self.s.whole[ri], q, &t.need));
        }
        if let Some((at, b)) = release {
            self.release(at, b);
        }
    }

    /// The barriers of an image tracked by cell: each cell's, as [`Walk::plan_whole`] would
    /// make it for a resource, then equal ones merged into ranges.
    fn plan_cells<const ONE: bool>(&mut self, t: &Touch, q: QueueKind, pos: usize) {
        let (from, to) = t.range;
        let ri = t.resource as usize;
        let s = &mut *self.s;
        let (a, b) = occupy_cells(&mut s.cells, &mut s.st, &mut s.memory, self.resources, ri);
        // What a cell's first use hands over from: every cell of every occupant.
        let mut src = (StageMask::NONE, AccessMask::NONE);
        for &d in &self.s.cells.occupants[a as usize..b as usize] {
            for o in states(&self.s.st, &self.s.cells, d) {
                let (os, oa) = o.outstanding(q);
                src.0 |= os;
                src.1 |= oa;
            }
        }
        let displaces = b > a;
        let here =
            Here { q, pos, waited: &self.waited, round_trip: self.reached[q.index()][q.index()] };
        let c = &mut self.s.cells;
        let track = c.track[ri];
        c.found.clear();
        c.released.clear();
        for i in from..to {
            let n = c.needs[i as usize];
            let s = &mut c.st[(track.base + n.cell) as usize];
            let mut d: Decision = if s.touched {
                decide::<ONE>(s, &n.need, &here)
            } else {
                first_use(s, &n.need, q, src, displaces)
            };
            if let Some(release) = d.release(ri, || Subresource::ALL, q) {
                c.released.push((n.cell, release));
            }
            if !ONE && d.need && n.after_wait {
                d.src_stages |= n.need.stages;
            }
            debug_assert!(
                n.from.is_empty() || (d.need && d.src_stages.contains(n.from)),
                "a skipped wait relies on a barrier of cell {} of resource {ri} from {:?}, but \
                 the pass has {}",
                n.cell,
                n.from,
                if d.need { format!("one from {:?}", d.src_stages) } else { "none".into() }
            );
            apply_barrier(s, &d, &n.need, q, pos);
            if d.need {
                c.found.push((n.cell, d.barrier(ri, Subresource::ALL, q, &n.need)));
            }
            if n.access {
                apply_access::<ONE>(s, &n.need, q, pos);
            }
        }
        merge(&mut c.found, track.layers, &mut c.rects, &mut c.runs);
        let barriers = c.rects.iter().map(|&(sub, b)| Barrier { subresource: sub, ..b });
        self.out.batches.extend(barriers);
        if !c.released.is_empty() {
            merge(&mut c.released, track.layers, &mut c.release_rects, &mut c.runs);
            for i in 0..self.s.cells.release_rects.len() {
                let (sub, (at, b)) = self.s.cells.release_rects[i];
                self.release(at, Barrier { subresource: sub, ..b });
            }
        }
    }

    /// Closes the lists: the end of the last batch, which passes signal, and the releases
    /// grouped by the pass they follow.
    fn finish(&mut self, n: usize) {
        let (s, out) = (&mut *self.s, &mut *self.out);
        out.wait_start.push(out.waits.len() as u32);
        out.batch_start.push(out.batches.len() as u32);
        for w in &out.waits {
            if let WaitPoint::Pass(i) = w.point {
                out.signal[i] = true;
            }
        }
        // Releases grouped by the pass they follow, each group in the order it was decided.
        out.release_start.resize(n + 1, 0);
        for &(at, _) in s.releases.iter() {
            out.release_start[at as usize + 1] += 1;
        }
        for i in 0..n {
            out.release_start[i + 1] += out.release_start[i];
        }
        s.releases.sort_by_key(|&(at, _)| at);
        out.releases.extend(s.releases.iter().map(|&(_, b)| b));
    }
}

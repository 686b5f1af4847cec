//! The frame's end: imports into their exit states, and temporal resources into the state the
//! next frame starts from.
//!
//! A temporal resource's entry and exit state is one state for the whole of it, defined as where
//! this frame leaves it: the layout and queue of its last access, and the accesses still
//! outstanding. When it is tracked by cell, its cells may end in other layouts, or on other
//! queues: the walk takes the cells on other queues over at its last access, and the epilogue
//! moves the cells in other layouts into the exit layout. The exit's stages and accesses are
//! those outstanding on the cells that are left as they are.
//!
//! The next frame replays the same plan from that state, and when the state names only reads, a
//! first use that is a read in the same layout on the same queue finds no barrier before it. The
//! frame's last write is then often not an access but an ownership acquire (the exit names only
//! reads after a change of queue), or a transition after one, made for a later read of this
//! frame in stages that need not take in that first use; the epilogue then orders it before the
//! first use and makes it visible to it.

use super::cells::{for_cells, Cells};
use super::state::St;
use super::NONE;
use crate::access::{AccessMask, Layout, ResourceState, StageMask};
use crate::compile::validate::Flat;
use crate::graph::{Graph, Lifetime, Subresource};
use crate::plan::{Barrier, OwnershipTransfer, PlannedResource, TransferHalf};
use crate::types::QueueKind;

/// The epilogue barrier that takes state `s` of import `ri` (over `sub`) into `exit`, if it
/// needs one.
pub(super) fn import_exit(
    s: &St,
    exit: &ResourceState,
    ri: usize,
    sub: Subresource,
) -> Option<Barrier> {
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
        return None;
    }
    let transfer = (o != exit.queue).then_some(OwnershipTransfer {
        from: o,
        to: exit.queue,
        half: TransferHalf::Release,
    });
    Some(Barrier {
        resource: ri,
        queue: o,
        src_stages: os,
        src_access: oa,
        dst_stages: if transfer.is_some() { StageMask::NONE } else { exit.stages },
        dst_access: if transfer.is_some() { AccessMask::NONE } else { exit.access },
        layout: layout_change
            .or(s.layout.map(|l| (l, l)))
            .filter(|(a, b)| a != b || transfer.is_some()),
        subresource: sub,
        discard: s.layout == Some(Layout::Undefined),
        transfer,
    })
}

/// The epilogue barrier that state `s` of temporal resource `ri` (over `sub`), left in its exit
/// layout on its exit queue, needs before the next frame's first use of it, `first` (this
/// frame's first, as the next frame replays the plan): when that use is a read in the exit
/// layout on the exit queue and the exit state names no write, the next frame finds only reads
/// outstanding and records no barrier before it, so the last write of this frame must be
/// ordered before it and visible to it here. That write is an ownership acquire (the exit state
/// names no write only after the resource changed queues), or a transition after one, whose
/// second scope was what a pass of this frame needed, which need not take in the first use.
pub(super) fn temporal_exit(
    s: &St,
    exit: &ResourceState,
    first: Option<ResourceState>,
    ri: usize,
    sub: Subresource,
) -> Option<Barrier> {
    let f = first?;
    let q = exit.queue;
    let barrier_free = exit.access.writes().is_empty()
        && f.access.writes().is_empty()
        && f.queue == q
        && f.layout == exit.layout;
    let covered = !s.has_write
        || s.w_pass == NONE
        || s.w_queue != q
        || (s.w_exec.contains(f.stages) && s.w_vis.contains(f.stages, f.access));
    if !barrier_free || covered {
        return None;
    }
    let (os, oa) = s.outstanding(q);
    Some(Barrier {
        resource: ri,
        queue: q,
        src_stages: os,
        src_access: oa,
        dst_stages: f.stages,
        dst_access: f.access,
        layout: None,
        subresource: sub,
        discard: false,
        transfer: None,
    })
}

/// The epilogue barrier that takes cell state `s` of temporal image `ri` into its exit layout:
/// a transition on its queue, ordered after what is outstanding there, when it is in another.
pub(super) fn temporal_cell_exit(s: &St, exit: &ResourceState, ri: usize) -> Option<Barrier> {
    if s.layout == exit.layout {
        return None;
    }
    // The walk took every cell to the exit's queue at the image's last access.
    debug_assert!(s.owner.is_none_or(|o| o == exit.queue), "rg-core bug: a cell left on a queue");
    let (os, oa) = s.outstanding(exit.queue);
    Some(Barrier {
        resource: ri,
        queue: exit.queue,
        src_stages: os,
        src_access: oa,
        dst_stages: exit.stages,
        dst_access: exit.access,
        layout: Some((
            s.layout.unwrap_or(Layout::Undefined),
            exit.layout.unwrap_or(Layout::General),
        )),
        subresource: Subresource::ALL,
        discard: false,
        transfer: None,
    })
}

/// Sets the entry and exit state of every temporal resource to the state the frame leaves it
/// in (and so the next frame finds it in): the last access's layout and queue, and the
/// accesses still outstanding (on an image tracked by cell, on the cells left in that layout on
/// that queue). One walk over the schedule covers them all.
pub(crate) fn temporal_exits<P>(
    g: &Graph<P>,
    flat: &[Flat],
    order: &[u32],
    resources: &mut [PlannedResource],
    scratch: &mut super::Scratch,
) {
    let temporal = |r: &PlannedResource| r.lifetime == Lifetime::Temporal;
    if !resources.iter().any(temporal) {
        return;
    }
    let cells = &mut scratch.cells;
    // What the frame leaves in each cell of an image tracked by cell; `None` where it leaves
    // what it found.
    let exits = &mut scratch.cell_exits;
    exits.clear();
    let firsts = &mut scratch.cell_firsts;
    firsts.clear();
    if cells.any {
        exits.resize(cells.st.len(), None);
        firsts.resize(cells.st.len(), None);
    }
    let whole_firsts = &mut scratch.firsts;
    whole_firsts.clear();
    whole_firsts.resize(resources.len(), None);
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
        let range = pass.accesses.start as usize..pass.accesses.end as usize;
        for (i, a) in flat[range.clone()].iter().enumerate() {
            let r = &mut resources[a.resource as usize];
            let (true, Some(state)) = (temporal(r), r.entry.as_mut()) else {
                continue;
            };
            whole_firsts[a.resource as usize].get_or_insert(ResourceState {
                layout: a.layout,
                queue: pass.queue,
                stages: a.stages,
                access: a.memory,
            });
            leave(state, pass.queue, a);
            let t = cells.of(a.resource as usize);
            if t.base != NONE {
                for_cells(t.range_of(g, range.start + i, a), t.layers, |c| {
                    let e = exits[(t.base + c) as usize].get_or_insert(ResourceState {
                        layout: None,
                        queue: pass.queue,
                        stages: StageMask::NONE,
                        access: AccessMask::NONE,
                    });
                    leave(e, pass.queue, a);
                    firsts[(t.base + c) as usize].get_or_insert(ResourceState {
                        layout: a.layout,
                        queue: pass.queue,
                        stages: a.stages,
                        access: a.memory,
                    });
                });
            }
        }
    }
    for (ri, r) in resources.iter_mut().enumerate().filter(|(_, r)| temporal(r)) {
        let t = cells.of(ri);
        if let (true, Some(state)) = (t.base != NONE, r.entry.as_mut()) {
            state.stages = StageMask::NONE;
            state.access = AccessMask::NONE;
            let span = t.base as usize..(t.base + t.cells()) as usize;
            for (e, first) in exits[span.clone()].iter().zip(&firsts[span]) {
                let Some(e) = e else { continue };
                if e.queue == state.queue && e.layout == state.layout {
                    state.stages |= e.stages;
                    state.access |= e.access;
                } else if let Some(f) = first.filter(|f| {
                    f.access.writes().is_empty()
                        && f.layout == state.layout
                        && f.queue == state.queue
                }) {
                    // The frame's end moves this cell into the exit layout: a write that the
                    // next frame's first use of the cell must be ordered after. When that use is
                    // a read in the exit layout on the exit queue, the next frame finds a read
                    // before it and records no barrier; so the entry state, which is the
                    // transition's second scope, names the read, and the transition is made
                    // visible to it. (Any other first use gets a barrier of its own, from the
                    // entry state's stages, which chains after the transition.)
                    state.stages |= f.stages;
                    state.access |= f.access;
                }
            }
        }
        r.exit = r.entry;
        r.defined_at_entry = true;
    }
}

/// `state` after access `a` by a pass on `q`: a write, or a move to another queue, leaves
/// only the new access outstanding.
fn leave(state: &mut ResourceState, q: QueueKind, a: &Flat) {
    if a.writes() || q != state.queue {
        state.stages = StageMask::NONE;
        state.access = AccessMask::NONE;
    }
    state.queue = q;
    state.layout = a.layout;
    state.stages |= a.stages;
    state.access |= a.memory;
}

/// The first uses in the frame that [`temporal_exits`] found: of each temporal resource, and of
/// each cell tracked by cell.
#[derive(Clone, Copy)]
pub(super) struct Firsts<'a> {
    pub whole: &'a [Option<ResourceState>],
    pub cells: &'a [Option<ResourceState>],
}

/// Appends to `epilogue` the barriers of the frame's end: every import into its exit state,
/// every temporal image tracked by cell into one layout, cells merged into ranges, and every
/// temporal resource (or cell) made visible to its first use next frame where that use finds
/// no barrier of its own.
pub(super) fn epilogue<P>(
    g: &Graph<P>,
    resources: &[PlannedResource],
    st: &[St],
    cells: &mut Cells,
    firsts: Firsts<'_>,
    epilogue: &mut Vec<Barrier>,
) {
    // Most frames track nothing by cell: imports and temporals, each whole.
    if !cells.any {
        for (ri, r) in g.resources.iter().enumerate() {
            let whole = || super::whole(&resources[ri]);
            match (r.lifetime, resources[ri].exit) {
                (Lifetime::Imported { exit, .. }, _) => {
                    epilogue.extend(import_exit(&st[ri], &exit, ri, whole()));
                }
                (Lifetime::Temporal, Some(exit)) => {
                    epilogue.extend(temporal_exit(&st[ri], &exit, firsts.whole[ri], ri, whole()));
                }
                _ => {}
            }
        }
        return;
    }
    for (ri, r) in g.resources.iter().enumerate() {
        let t = cells.of(ri);
        let exit = match r.lifetime {
            Lifetime::Imported { exit, .. } => exit,
            Lifetime::Temporal => match resources[ri].exit {
                Some(e) => e,
                None => continue,
            },
            _ => continue,
        };
        if t.base == NONE {
            let whole = super::whole(&resources[ri]);
            epilogue.extend(match r.lifetime {
                Lifetime::Imported { .. } => import_exit(&st[ri], &exit, ri, whole),
                _ => temporal_exit(&st[ri], &exit, firsts.whole[ri], ri, whole),
            });
            continue;
        }
        cells.found.clear();
        for c in 0..t.cells() {
            let at = (t.base + c) as usize;
            let s = &cells.st[at];
            let b = match r.lifetime {
                Lifetime::Imported { .. } => import_exit(s, &exit, ri, Subresource::ALL),
                _ => temporal_cell_exit(s, &exit, ri)
                    .or_else(|| temporal_exit(s, &exit, firsts.cells[at], ri, Subresource::ALL)),
            };
            cells.found.extend(b.map(|b| (c, b)));
        }
        super::cells::merge(&mut cells.found, t.layers, &mut cells.rects, &mut cells.runs);
        epilogue.extend(cells.rects.iter().map(|&(sub, b)| Barrier { subresource: sub, ..b }));
    }
}

//! Phase 3, schedule: a topological order of the kept passes.
//!
//! Edges: the writer of a version before everything that reads it or writes over it (read after
//! write, write after write); every reader of a version before the pass that writes over it
//! (write after read); and the user's explicit orders.
//!
//! The heuristic is "consume what was just produced": among the ready passes, take the one whose
//! latest producer was scheduled most recently, then the earliest declared. A producer and its
//! consumers end up close together, so transients die soon after they are born and the aliasing
//! planner has short lifetimes to pack; ties fall back to the order the user wrote, which keeps
//! plans readable and deterministic. It is O((V + E) log V).
//!
//! A cycle (only possible through explicit orders) is reported with the passes around it and
//! what links each to the next.

use super::NONE;
use crate::compile::validate::Validated;
use crate::error::CompileError;
use crate::graph::Graph;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Why one pass must come before another: data flow through the resource of this index, or
/// [`Why::ORDER`], an explicit `Graph::order`. One word, so the edge lists stay small.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Why(u32);

impl Why {
    const ORDER: Why = Why(NONE);
}

pub(crate) struct Edges {
    /// CSR adjacency: successors of pass `p` are `succ[start[p]..start[p + 1]]`.
    pub start: Vec<u32>,
    pub succ: Vec<(u32, Why)>,
}

pub(crate) fn edges<P>(g: &Graph<P>, v: &Validated, kept: &[bool]) -> Edges {
    let n = g.passes.len();
    let mut list: Vec<(u32, u32, Why)> = Vec::with_capacity(n * 4);
    for (pi, p) in g.passes.iter().enumerate() {
        if !kept[pi] {
            continue;
        }
        for a in g.accesses_of(p) {
            let r = a.handle.index;
            let slot = (v.ver_base[r as usize] + a.handle.version) as usize;
            let w = v.writer[slot];
            if w != NONE && w as usize != pi {
                list.push((w, pi as u32, Why(r)));
            }
            if !a.via_write {
                let nw = v.next_writer[slot];
                if nw != NONE && nw as usize != pi && kept[nw as usize] {
                    list.push((pi as u32, nw, Why(r)));
                }
            }
        }
    }
    for o in &g.orders {
        if kept[o.before.index()] && kept[o.after.index()] {
            list.push((o.before.0, o.after.0, Why::ORDER));
        }
    }
    let mut start = vec![0u32; n + 1];
    for &(a, _, _) in &list {
        start[a as usize + 1] += 1;
    }
    for i in 0..n {
        start[i + 1] += start[i];
    }
    let mut fill = start.clone();
    let mut succ = vec![(0u32, Why::ORDER); list.len()];
    for (a, b, w) in list {
        succ[fill[a as usize] as usize] = (b, w);
        fill[a as usize] += 1;
    }
    Edges { start, succ }
}

/// The kept passes in execution order, or the cycle that prevents one.
pub(crate) fn schedule<P>(
    g: &Graph<P>,
    kept: &[bool],
    e: &Edges,
) -> Result<Vec<u32>, CompileError> {
    let n = g.passes.len();
    let mut indeg = vec![0u32; n];
    for &(b, _) in &e.succ {
        indeg[b as usize] += 1;
    }
    // Position of the latest scheduled producer of each pass (+1; 0 when it has none).
    let mut latest = vec![0u32; n];
    let mut ready: BinaryHeap<(u32, Reverse<u32>)> = BinaryHeap::new();
    for p in 0..n {
        if kept[p] && indeg[p] == 0 {
            ready.push((0, Reverse(p as u32)));
        }
    }
    let mut order = Vec::with_capacity(n);
    while let Some((_, Reverse(p))) = ready.pop() {
        let pos = order.len() as u32 + 1;
        order.push(p);
        let p = p as usize;
        for &(s, _) in &e.succ[e.start[p] as usize..e.start[p + 1] as usize] {
            let s = s as usize;
            latest[s] = latest[s].max(pos);
            indeg[s] -= 1;
            if indeg[s] == 0 {
                ready.push((latest[s], Reverse(s as u32)));
            }
        }
    }
    let kept_count = kept.iter().filter(|k| **k).count();
    if order.len() == kept_count {
        return Ok(order);
    }
    Err(find_cycle(g, kept, e, &indeg))
}

fn find_cycle<P>(g: &Graph<P>, kept: &[bool], e: &Edges, indeg: &[u32]) -> CompileError {
    // Every pass left with a nonzero in-degree has an unscheduled predecessor, so walking
    // successors among them from any of them must come back to a pass already on the path.
    let n = g.passes.len();
    let stuck = |p: usize| kept[p] && indeg[p] > 0;
    let first =
        (0..n).find(|&p| stuck(p)).expect("rg-core bug: no stuck pass in a failed schedule");
    // Walk predecessors instead: build them for the stuck set.
    let mut pred: Vec<Option<(u32, Why)>> = vec![None; n];
    for a in 0..n {
        if !stuck(a) {
            continue;
        }
        for &(b, w) in &e.succ[e.start[a] as usize..e.start[a + 1] as usize] {
            if stuck(b as usize) && pred[b as usize].is_none() {
                pred[b as usize] = Some((a as u32, w));
            }
        }
    }
    let mut seen = vec![usize::MAX; n];
    let mut walk = vec![first];
    seen[first] = 0;
    let mut cur = first;
    let start_at = loop {
        let (p, _) = pred[cur].expect("rg-core bug: a stuck pass without a stuck predecessor");
        let p = p as usize;
        if seen[p] != usize::MAX {
            break seen[p];
        }
        seen[p] = walk.len();
        walk.push(p);
        cur = p;
    };
    // `walk` goes backwards along edges; the cycle is walk[start_at..] reversed.
    let mut cycle: Vec<usize> = walk[start_at..].to_vec();
    cycle.reverse();
    let mut path = Vec::new();
    let mut via = Vec::new();
    for (i, &p) in cycle.iter().enumerate() {
        let next = cycle[(i + 1) % cycle.len()];
        path.push((g.passes[p].label.to_string(), g.passes[p].site));
        let why = pred[next].map(|(_, w)| w);
        via.push(match why {
            Some(Why(r)) if r != NONE => format!("`{}`", g.resources[r as usize].label),
            _ => "explicit order".into(),
        });
    }
    path.push((g.passes[cycle[0]].label.to_string(), g.passes[cycle[0]].site));
    CompileError::Cycle { path, via }
}

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
use std::collections::BinaryHeap;

/// Why one pass must come before another: data flow through the resource of this index, or
/// [`Why::ORDER`], an explicit `Graph::order`. One word, so the edge lists stay small.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Why(u32);

impl Why {
    const ORDER: Why = Why(NONE);
}

#[derive(Default)]
pub(crate) struct Edges {
    /// CSR adjacency: successors of pass `p` are `succ[start[p]..start[p + 1]]`.
    pub start: Vec<u32>,
    pub succ: Vec<(u32, Why)>,
    /// Every edge as `(before, after, why)`, in the order found.
    found: Vec<(u32, u32, Why)>,
}

/// Builds `e`: every edge between kept passes found in one walk over the accesses, then
/// grouped by the pass they start from, each group in the order its edges were found.
pub(crate) fn edges<P>(g: &Graph<P>, v: &Validated, kept: &[bool], e: &mut Edges) {
    let n = g.passes.len();
    let found = &mut e.found;
    found.clear();
    let (writer, next_writer) = (&v.writer[..], &v.next_writer[..]);
    for (pi, p) in g.passes.iter().enumerate() {
        if !kept[pi] {
            continue;
        }
        let pi = pi as u32;
        for a in &v.flat[p.accesses.start as usize..p.accesses.end as usize] {
            let slot = a.slot as usize;
            let w = writer[slot];
            if w != NONE && w != pi {
                found.push((w, pi, Why(a.resource)));
            }
            if !a.via_write() {
                let nw = next_writer[slot];
                if nw != NONE && nw != pi && kept[nw as usize] {
                    found.push((pi, nw, Why(a.resource)));
                }
            }
        }
    }
    for o in &g.orders {
        if kept[o.before.index()] && kept[o.after.index()] {
            found.push((o.before.index, o.after.index, Why::ORDER));
        }
    }
    // Counts go two slots up; after the sums, `start[p + 1]` is where `p`'s edges begin, and
    // it moves up to where they end (where `p + 1`'s begin) as they are written.
    e.start.clear();
    e.start.resize(n + 2, 0);
    e.succ.clear();
    e.succ.resize(found.len(), (0, Why::ORDER));
    let (start, succ) = (&mut e.start[..], &mut e.succ[..]);
    for &(a, _, _) in found.iter() {
        start[a as usize + 2] += 1;
    }
    for i in 2..n + 2 {
        start[i] += start[i - 1];
    }
    for &(a, b, w) in found.iter() {
        let at = &mut start[a as usize + 1];
        succ[*at as usize] = (b, w);
        *at += 1;
    }
    e.start.truncate(n + 1);
}

/// The schedule's working memory.
#[derive(Default)]
pub(crate) struct Scratch {
    indeg: Vec<u32>,
    latest: Vec<u32>,
    ready: Vec<u64>,
}

/// Puts the kept passes in execution order into `order`, or returns the cycle that prevents
/// one.
pub(crate) fn schedule<P>(
    g: &Graph<P>,
    kept: &[bool],
    e: &Edges,
    s: &mut Scratch,
    order: &mut Vec<u32>,
) -> Result<(), CompileError> {
    let n = g.passes.len();
    let indeg = &mut s.indeg;
    indeg.clear();
    indeg.resize(n, 0);
    for &(b, _) in &e.succ {
        indeg[b as usize] += 1;
    }
    // Position of the latest scheduled producer of each pass (+1; 0 when it has none).
    s.latest.clear();
    s.latest.resize(n, 0);
    // Ready passes as `latest << 32 | !pass`: the largest is the latest producer's consumer,
    // and among equals the earliest declared.
    let key = |latest: u32, p: u32| (latest as u64) << 32 | (!p) as u64;
    let mut ready = BinaryHeap::from(std::mem::take(&mut s.ready));
    ready.clear();
    for p in 0..n {
        if kept[p] && indeg[p] == 0 {
            ready.push(key(0, p as u32));
        }
    }
    order.clear();
    while let Some(k) = ready.pop() {
        let pos = order.len() as u32 + 1;
        let p = !(k as u32);
        order.push(p);
        let p = p as usize;
        for &(succ, _) in &e.succ[e.start[p] as usize..e.start[p + 1] as usize] {
            let succ = succ as usize;
            s.latest[succ] = s.latest[succ].max(pos);
            indeg[succ] -= 1;
            if indeg[succ] == 0 {
                ready.push(key(s.latest[succ], succ as u32));
            }
        }
    }
    s.ready = ready.into_vec();
    let kept_count = kept.iter().filter(|k| **k).count();
    if order.len() == kept_count {
        return Ok(());
    }
    Err(find_cycle(g, kept, e, &s.indeg))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::{Access, ShaderStages};
    use crate::compile::testing::{compiled, labels};
    use crate::types::{BufferDesc, Extent, Format, ImageDesc, QueueKind, Size};

    const C: ShaderStages = ShaderStages::COMPUTE;

    /// Producers before consumers, readers before the next writer, and among ready passes the
    /// consumer of what was just produced: the second chain waits until the first is done.
    #[test]
    fn consumers_follow_their_producers() {
        let mut g: Graph = Graph::new(Extent::new(64, 64));
        let a = g.create_buffer("a", BufferDesc::new(64));
        let b = g.create_buffer("b", BufferDesc::new(64));
        let a = g.add_pass("a.write", QueueKind::Compute).write(a, Access::StorageWrite(C));
        let b = g.add_pass("b.write", QueueKind::Compute).write(b, Access::StorageWrite(C));
        let mut p = g.add_pass("a.read", QueueKind::Compute);
        p.read(a, Access::StorageRead(C));
        p.side_effect();
        p.finish();
        let a = g.add_pass("a.rewrite", QueueKind::Compute).write(a, Access::StorageWrite(C));
        let mut p = g.add_pass("b.read", QueueKind::Compute);
        p.read(b, Access::StorageRead(C));
        p.side_effect();
        p.finish();
        g.export(a);
        let (_, mut s) = compiled(&g);
        edges(&g, &s.validated, &s.kept, &mut s.edges);
        let mut order = Vec::new();
        schedule(&g, &s.kept, &s.edges, &mut s.schedule, &mut order).expect("no cycle");
        assert_eq!(labels(&g, &order), ["a.write", "a.read", "a.rewrite", "b.write", "b.read"]);
    }

    /// A pyramid's levels are versions of one image: each level's pass follows the one below.
    #[test]
    fn a_pyramid_is_scheduled_level_by_level() {
        let mut g: Graph = Graph::new(Extent::new(64, 64));
        let desc = ImageDesc::new(Format::R32Float, Size::absolute(64, 64)).mips(3);
        let mut img = g.create_image("pyramid", desc);
        img = g.add_pass("mip0", QueueKind::Compute).write(img.mip(0), Access::StorageWrite(C));
        for k in [1, 2] {
            let mut p = g.add_pass(&format!("mip{k}"), QueueKind::Compute);
            p.read(img.mip(k - 1), Access::Sampled(C));
            img = p.write(img.mip(k), Access::StorageWrite(C));
            p.finish();
        }
        g.export(img);
        let (_, mut s) = compiled(&g);
        edges(&g, &s.validated, &s.kept, &mut s.edges);
        let mut order = Vec::new();
        schedule(&g, &s.kept, &s.edges, &mut s.schedule, &mut order).expect("no cycle");
        assert_eq!(labels(&g, &order), ["mip0", "mip1", "mip2"]);
    }

    /// An explicit order against the data flow is a cycle, reported with its path.
    #[test]
    fn a_cycle_names_its_passes_and_links() {
        let mut g: Graph = Graph::new(Extent::new(64, 64));
        let a = g.create_buffer("link", BufferDesc::new(64));
        let mut p = g.add_pass("first", QueueKind::Compute);
        let a = p.write(a, Access::StorageWrite(C));
        let first = p.finish();
        let mut p = g.add_pass("second", QueueKind::Compute);
        p.read(a, Access::StorageRead(C));
        p.side_effect();
        let second = p.finish();
        g.order(second, first);
        let mut v = crate::compile::validate::Validated::default();
        let mut resources = crate::compile::testing::records(&g);
        crate::compile::validate::validate(&g, Default::default(), &mut resources, &mut v)
            .expect("valid declarations");
        let kept = vec![true, true];
        let mut e = Edges::default();
        edges(&g, &v, &kept, &mut e);
        let err =
            schedule(&g, &kept, &e, &mut Scratch::default(), &mut Vec::new()).expect_err("a cycle");
        let CompileError::Cycle { path, via } = err else { panic!("{err}") };
        let names: Vec<&str> = path.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(names.first(), names.last());
        assert_eq!(names.len(), 3, "{names:?}");
        assert!(via.contains(&"`link`".to_string()) && via.contains(&"explicit order".to_string()));
    }
}

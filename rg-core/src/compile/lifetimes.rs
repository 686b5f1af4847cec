//! Phase 4, lifetimes: the first and last scheduled pass that uses each resource. An exported
//! transient lives to the end of the frame, since it is read after the last pass.

use crate::graph::Graph;

/// `(first, last)` positions in the schedule, per resource; `None` when no kept pass uses it.
pub(crate) fn lifetimes<P>(g: &Graph<P>, order: &[u32]) -> Vec<Option<(u32, u32)>> {
    let mut life: Vec<Option<(u32, u32)>> = vec![None; g.resources.len()];
    for (pos, &p) in order.iter().enumerate() {
        let pos = pos as u32;
        for a in &g.passes[p as usize].accesses {
            let l = &mut life[a.handle.index as usize];
            *l = Some(match *l {
                None => (pos, pos),
                Some((f, _)) => (f, pos),
            });
        }
    }
    let end = order.len().saturating_sub(1) as u32;
    for e in &g.exports {
        if let Some((_, last)) = &mut life[e.handle.index as usize] {
            *last = end;
        }
    }
    life
}

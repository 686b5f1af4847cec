//! Phase 4, lifetimes: the first and last scheduled pass that uses each resource. An exported
//! transient lives to the end of the frame, since it is read after the last pass.

use crate::compile::validate::Flat;
use crate::graph::Graph;
use crate::plan::PlannedResource;

/// Sets `first_use` and `last_use` (positions in the schedule) of every resource a kept pass
/// uses; the others keep `None`.
pub(crate) fn lifetimes<P>(
    g: &Graph<P>,
    flat: &[Flat],
    order: &[u32],
    resources: &mut [PlannedResource],
) {
    for (pos, &p) in order.iter().enumerate() {
        let range = &g.passes[p as usize].accesses;
        for a in &flat[range.start as usize..range.end as usize] {
            let r = &mut resources[a.resource as usize];
            if r.first_use.is_none() {
                r.first_use = Some(pos);
            }
            r.last_use = Some(pos);
        }
    }
    let end = order.len().saturating_sub(1);
    for e in &g.exports {
        let r = &mut resources[e.handle.index as usize];
        if r.last_use.is_some() {
            r.last_use = Some(end);
        }
    }
}

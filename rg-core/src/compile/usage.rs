//! Phase 5, usage inference: a resource's usage flags are the union of what its kept accesses
//! need, so they are never declared twice and never wider than the frame uses.

use crate::compile::validate::Flat;
use crate::graph::Graph;
use crate::plan::PlannedResource;

/// Sets every resource's `usage`.
pub(crate) fn usage<P>(
    g: &Graph<P>,
    flat: &[Flat],
    order: &[u32],
    resources: &mut [PlannedResource],
) {
    for &p in order {
        let range = &g.passes[p as usize].accesses;
        for a in &flat[range.start as usize..range.end as usize] {
            resources[a.resource as usize].usage |= a.usage;
        }
    }
}

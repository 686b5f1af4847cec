//! Phase 5, usage inference: a resource's usage flags are the union of what its kept accesses
//! need, so they are never declared twice and never wider than the frame uses.

use crate::graph::Graph;
use crate::plan::PlannedResource;

/// Sets every resource's `usage`.
pub(crate) fn usage<P>(g: &Graph<P>, order: &[u32], resources: &mut [PlannedResource]) {
    for &p in order {
        for a in g.accesses_of(&g.passes[p as usize]) {
            resources[a.handle.index as usize].usage |= a.access.usage();
        }
    }
}

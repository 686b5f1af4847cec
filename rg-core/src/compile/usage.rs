//! Phase 5, usage inference: a resource's usage flags are the union of what its kept accesses
//! need, so they are never declared twice and never wider than the frame uses.

use crate::access::Usage;
use crate::graph::Graph;

pub(crate) fn usage<P>(g: &Graph<P>, order: &[u32]) -> Vec<Usage> {
    let mut usage = vec![Usage::NONE; g.resources.len()];
    for &p in order {
        for a in &g.passes[p as usize].accesses {
            usage[a.handle.index as usize] |= a.access.usage();
        }
    }
    usage
}

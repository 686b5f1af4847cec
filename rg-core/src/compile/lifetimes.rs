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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::{Access, ShaderStages};
    use crate::compile::testing::compiled;
    use crate::types::{BufferDesc, Extent, QueueKind};

    const C: ShaderStages = ShaderStages::COMPUTE;

    /// First and last use in scheduled order; an exported resource lives to the last pass, an
    /// unused one not at all.
    #[test]
    fn first_and_last_use_in_schedule_order() {
        let mut g: Graph = Graph::new(Extent::new(64, 64));
        let a = g.create_buffer("a", BufferDesc::new(64));
        let b = g.create_buffer("b", BufferDesc::new(64));
        let _never = g.create_buffer("never", BufferDesc::new(64));
        let a = g.add_pass("p0", QueueKind::Compute).write(a, Access::StorageWrite(C));
        let mut p = g.add_pass("p1", QueueKind::Compute);
        p.read(a, Access::StorageRead(C));
        let b = p.write(b, Access::StorageWrite(C));
        p.finish();
        let mut p = g.add_pass("p2", QueueKind::Compute);
        p.read(b, Access::StorageRead(C));
        p.side_effect();
        p.finish();
        g.export(a);
        let (mut plan, s) = compiled(&g);
        for r in &mut plan.resources {
            r.first_use = None;
            r.last_use = None;
        }
        lifetimes(&g, &s.validated.flat, &s.order, &mut plan.resources);
        let uses: Vec<_> = plan.resources.iter().map(|r| (r.first_use, r.last_use)).collect();
        assert_eq!(uses, [(Some(0), Some(2)), (Some(1), Some(2)), (None, None)]);
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::{Access, ShaderStages, Usage};
    use crate::compile::testing::compiled;
    use crate::types::{Extent, Format, ImageDesc, QueueKind, Size};

    /// The union of what the kept passes' accesses need, and nothing for a culled one.
    #[test]
    fn usage_is_the_union_of_kept_accesses() {
        let mut g: Graph = Graph::new(Extent::new(64, 64));
        let desc = ImageDesc::new(Format::Rgba8Unorm, Size::FULL).mips(2);
        let img = g.create_image("img", desc);
        let img = g.add_pass("draw", QueueKind::Graphics).write(img.mip(0), Access::ColorWrite);
        let mut p = g.add_pass("sample", QueueKind::Graphics);
        p.read(img.mip(0), Access::Sampled(ShaderStages::FRAGMENT));
        let img = p.write(img.mip(1), Access::StorageWrite(ShaderStages::FRAGMENT));
        p.finish();
        g.export(img);
        let mut p = g.add_pass("culled", QueueKind::Graphics);
        p.read(img, Access::CopySrc);
        p.finish();
        let (mut plan, s) = compiled(&g);
        plan.resources[0].usage = Usage::NONE;
        usage(&g, &s.validated.flat, &s.order, &mut plan.resources);
        assert_eq!(
            plan.resources[0].usage,
            Usage::COLOR_ATTACHMENT | Usage::SAMPLED | Usage::STORAGE,
            "no transfer_src: the copy was culled"
        );
    }
}

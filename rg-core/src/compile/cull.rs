//! Phase 2, cull: keep only the passes that something needs. The roots are side-effect passes,
//! the writers of exported versions, and the writers of the final versions of imported and
//! temporal resources (whatever leaves the frame). From the roots the walk goes back along data
//! flow: a pass needs the writer of every version it reads or writes over, since a write may be
//! partial. Explicit orders do not keep passes alive.
//!
//! An export asks for a version's contents at the end of the frame; a kept pass that writes over
//! that version destroys them, which [`stale_exports`] reports.

use super::NONE;
use crate::compile::validate::Validated;
use crate::error::CompileError;
use crate::graph::{Graph, Lifetime};

/// Sets `kept[p]` for every declared pass (`stack` is working memory).
pub(crate) fn cull<P>(g: &Graph<P>, v: &Validated, kept: &mut Vec<bool>, stack: &mut Vec<u32>) {
    kept.clear();
    kept.resize(g.passes.len(), false);
    stack.clear();
    let mut root = |p: u32, kept: &mut Vec<bool>| {
        if p != NONE && !kept[p as usize] {
            kept[p as usize] = true;
            stack.push(p);
        }
    };
    for (i, p) in g.passes.iter().enumerate() {
        if p.side_effect {
            root(i as u32, kept);
        }
    }
    for e in &g.exports {
        root(v.writer[(v.ver_base[e.handle.index as usize] + e.handle.version) as usize], kept);
    }
    for (i, r) in g.resources.iter().enumerate() {
        if !matches!(r.lifetime, Lifetime::Transient) && r.versions > 1 {
            root(v.writer[(v.ver_base[i] + r.versions - 1) as usize], kept);
        }
    }
    while let Some(p) = stack.pop() {
        let range = &g.passes[p as usize].accesses;
        for a in &v.flat[range.start as usize..range.end as usize] {
            let w = v.writer[a.slot as usize];
            if w != NONE && !kept[w as usize] {
                kept[w as usize] = true;
                stack.push(w);
            }
        }
    }
}

/// An error for every exported version that a kept pass writes over.
pub(crate) fn stale_exports<P>(g: &Graph<P>, v: &Validated, kept: &[bool]) -> Vec<CompileError> {
    let mut errors = Vec::new();
    for e in &g.exports {
        let slot = v.ver_base[e.handle.index as usize] + e.handle.version;
        let writer = v.next_writer[slot as usize];
        if writer != NONE && kept[writer as usize] {
            errors.push(CompileError::StaleExport {
                resource: g.resources[e.handle.index as usize].label.to_string(),
                version: e.handle.version,
                writer: g.passes[writer as usize].label.to_string(),
                writer_site: v.next_write_site(g, slot),
                site: e.site,
            });
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::{Access, ShaderStages};
    use crate::compile::testing::compiled;
    use crate::types::{BufferDesc, Extent, Format, ImageDesc, QueueKind, Size};

    const C: ShaderStages = ShaderStages::COMPUTE;

    /// Roots are the side effect, the export and the import's last writer; the walk back keeps
    /// their producers, and a pass whose output nothing needs goes. Versions being per image, the
    /// writer of one mip is kept for a reader of another.
    #[test]
    fn keeps_the_producers_of_what_leaves_the_frame() {
        let mut g: Graph = Graph::new(Extent::new(64, 64));
        let pyramid = ImageDesc::new(Format::R32Float, Size::absolute(64, 64)).mips(2);
        let img = g.create_image("img", pyramid);
        let unused = g.create_buffer("unused", BufferDesc::new(64));
        let out = g.create_buffer("out", BufferDesc::new(64));
        let img = g.add_pass("mip0", QueueKind::Compute).write(img.mip(0), Access::StorageWrite(C));
        let img = g.add_pass("mip1", QueueKind::Compute).write(img.mip(1), Access::StorageWrite(C));
        let _ = g.add_pass("dead", QueueKind::Compute).write(unused, Access::StorageWrite(C));
        let mut p = g.add_pass("reads.mip0", QueueKind::Compute);
        p.read(img.mip(0), Access::Sampled(C));
        let out = p.write(out, Access::StorageWrite(C));
        p.finish();
        g.export(out);
        let mut p = g.add_pass("side", QueueKind::Compute);
        p.side_effect();
        p.finish();
        let (_, mut s) = compiled(&g);
        let mut kept = Vec::new();
        cull(&g, &s.validated, &mut kept, &mut s.stack);
        assert_eq!(kept, [true, true, false, true, true]);
        assert!(stale_exports(&g, &s.validated, &kept).is_empty());
    }
}

//! Unit tests of validation on small graphs: accesses of part of an image and their versions,
//! ranges past the image, conflicts within a pass, reads of cells nothing wrote, and the
//! bookkeeping of written cells up to the largest image tracked by part.

use super::*;
use crate::access::{Access, ShaderStages};
use crate::compile::testing::records;
use crate::types::{BufferDesc, Format, ImageDesc, QueueKind};

const C: ShaderStages = ShaderStages::COMPUTE;

fn run(g: &Graph, limits: Limits) -> (Validated, Result<(), Vec<CompileError>>) {
    let mut v = Validated::default();
    let mut resources = records(g);
    let result = validate(g, limits, &mut resources, &mut v);
    (v, result)
}

fn image(g: &mut Graph, label: &str, mips: u32, layers: u32) -> crate::ImageHandle {
    let desc = ImageDesc::new(Format::Rgba16Float, Size::absolute(64, 64));
    g.create_image(label, desc.mips(mips).layers(layers))
}

/// An access that names part of an image of several cells is flagged, one that names all of
/// it (however it is spelled) is not, and the version table is per image all the same.
#[test]
fn partial_accesses_are_flagged_and_versions_stay_per_image() {
    let mut g: Graph = Graph::new(Extent::new(64, 64));
    let img = image(&mut g, "img", 4, 2);
    let one = image(&mut g, "one", 1, 1);
    let buf = g.create_buffer("buf", BufferDesc::new(64));
    let mut p = g.add_pass("write", QueueKind::Compute);
    let img = p.write(img.mips(0, 4).layers(0, 2), Access::StorageWrite(C));
    let one = p.write(one.mip(0), Access::StorageWrite(C));
    let _ = p.write(buf, Access::StorageWrite(C));
    p.finish();
    let mut p = g.add_pass("part", QueueKind::Compute);
    p.read(img.mip(1), Access::Sampled(C)).read(one, Access::Sampled(C));
    let _ = p.write(img.mip(2).layer(1), Access::StorageWrite(C));
    p.finish();
    let (v, result) = run(&g, Limits::default());
    assert_eq!(result, Ok(()));
    let parts: Vec<bool> = v.flat.iter().map(Flat::part).collect();
    assert_eq!(parts, [false, false, false, true, false, true]);
    assert!(v.any_part);
    // Versions 0, 1 (by `write`) and 2 (by `part`, of mip 2 layer 1 only) of `img`.
    assert_eq!(v.writer[v.ver_base[0] as usize..][..3], [NONE, 0, 1]);
    assert_eq!(v.flat[4].slot, v.ver_base[1] + 1, "`one` v1 is read");
}

/// A selection past the image is one error, which names what the image has; the access is
/// then left out of the checks by range (no conflict is made up for it).
#[test]
fn a_range_past_the_image_is_reported_once() {
    let mut g: Graph = Graph::new(Extent::new(64, 64));
    let img = image(&mut g, "img", 4, 2);
    let mut p = g.add_pass("p", QueueKind::Compute);
    p.read(img.layers(1, 2), Access::Sampled(C));
    let _ = p.write(img.mip(0), Access::StorageWrite(C));
    p.finish();
    let (_, result) = run(&g, Limits::default());
    let errors = result.expect_err("layers 1..3 of 2");
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        matches!(&errors[0], CompileError::SubresourceOutOfRange { range, mips: 4, layers: 2, .. } if range == "layers 1..3"),
        "{errors:?}"
    );
    // The other error is the read of v0 of a transient, not a conflict.
    assert!(matches!(errors[1], CompileError::ReadBeforeWrite { .. }), "{errors:?}");
}

/// Two accesses of one pass to one image conflict only where their ranges overlap.
#[test]
fn accesses_of_one_pass_conflict_only_where_they_overlap() {
    let conflicts = |read: Subresource, write: Subresource| {
        let mut g: Graph = Graph::new(Extent::new(64, 64));
        let img = image(&mut g, "img", 3, 4);
        let img = g.add_pass("fill", QueueKind::Compute).write(img, Access::StorageWrite(C));
        let mut p = g.add_pass("p", QueueKind::Compute);
        let at = |h: crate::ImageHandle, s: Subresource| {
            h.mips(s.base_mip, s.mip_count).layers(s.base_layer, s.layer_count)
        };
        p.read(at(img, read), Access::Sampled(C));
        let _ = p.write(at(img, write), Access::StorageWrite(C));
        p.finish();
        let (_, result) = run(&g, Limits::default());
        result
            .err()
            .is_some_and(|e| e.iter().any(|e| matches!(e, CompileError::ConflictingAccess { .. })))
    };
    let range = |base_mip, mip_count, base_layer, layer_count| Subresource {
        base_mip,
        mip_count,
        base_layer,
        layer_count,
    };
    assert!(!conflicts(range(0, 1, 0, 4), range(1, 1, 0, 4)), "mip 0 and mip 1");
    assert!(!conflicts(range(0, 3, 0, 2), range(0, 3, 2, 2)), "layers 0..2 and 2..4");
    assert!(conflicts(range(0, 2, 0, 4), range(1, 1, 3, 1)), "mips 0..2 hold mip 1 layer 3");
    assert!(conflicts(Subresource::ALL, range(2, 1, 0, 1)));
}

/// Once an image is accessed by part, reads of cells that nothing wrote are errors; before
/// that, every write was of all of it.
#[test]
fn reads_of_cells_nothing_wrote_are_errors() {
    let errors = |reads: &[Subresource]| {
        let mut g: Graph = Graph::new(Extent::new(64, 64));
        let img = image(&mut g, "img", 2, 2);
        let mut p = g.add_pass("fill", QueueKind::Compute);
        let img = p.write(img.mip(0).layer(1), Access::StorageWrite(C));
        p.finish();
        let mut p = g.add_pass("read", QueueKind::Compute);
        for s in reads {
            p.read(
                img.mips(s.base_mip, s.mip_count).layers(s.base_layer, s.layer_count),
                Access::Sampled(C),
            );
        }
        p.side_effect();
        p.finish();
        run(&g, Limits::default()).1.err().unwrap_or_default()
    };
    let cell = |m, l| Subresource { base_mip: m, mip_count: 1, base_layer: l, layer_count: 1 };
    assert!(errors(&[cell(0, 1)]).is_empty());
    let e = errors(&[cell(0, 1), cell(1, 1), Subresource::ALL]);
    assert_eq!(e.len(), 2, "{e:?}");
    assert!(e.iter().all(|e| matches!(e, CompileError::UnwrittenSubresource { .. })));
    // A whole write first: every cell holds contents.
    let mut g: Graph = Graph::new(Extent::new(64, 64));
    let img = image(&mut g, "img", 2, 2);
    let img = g.add_pass("fill", QueueKind::Compute).write(img, Access::StorageWrite(C));
    let mut p = g.add_pass("read", QueueKind::Compute);
    p.read(img.mip(1).layer(1), Access::Sampled(C));
    p.side_effect();
    p.finish();
    assert_eq!(run(&g, Limits::default()).1, Ok(()));
}

/// An image with more cells than are tracked by part may be accessed whole only.
#[test]
fn images_too_large_to_track_by_part_are_named_whole() {
    let limits = Limits { max_image_array_layers: 1 << 20, ..Limits::default() };
    let mut g: Graph = Graph::new(Extent::new(64, 64));
    let img = image(&mut g, "atlas", 1, 70_000);
    let img = g.add_pass("fill", QueueKind::Compute).write(img, Access::StorageWrite(C));
    let mut p = g.add_pass("one.layer", QueueKind::Compute);
    p.read(img.layer(3), Access::Sampled(C));
    p.side_effect();
    p.finish();
    let (v, result) = run(&g, limits);
    let errors = result.expect_err("too many cells");
    assert!(
        matches!(&errors[..], [CompileError::AccessMismatch { reason, .. }] if reason.contains("up to 65536")),
        "{errors:?}"
    );
    assert!(!v.any_part);
}

/// Cells are told apart by mip and layer: of a 2-mip, 2-layer image whose mip 1 of layer 0
/// alone was written, mip 0 of layer 1 holds nothing; and an image of more cells than one
/// word of the bitset holds (8 mips of 16 layers) keeps the cells past the first 64.
#[test]
fn written_cells_are_kept_by_mip_and_layer() {
    let reads = |mips: u32, layers: u32, write: Subresource, read: Subresource| {
        let mut g: Graph = Graph::new(Extent::new(256, 256));
        let desc = ImageDesc::new(Format::R8Unorm, Size::absolute(256, 256));
        let img = g.create_image("img", desc.mips(mips).layers(layers));
        let narrow = |h: crate::ImageHandle, s: Subresource| {
            h.mips(s.base_mip, s.mip_count).layers(s.base_layer, s.layer_count)
        };
        let img = g
            .add_pass("fill", QueueKind::Compute)
            .write(narrow(img, write), Access::StorageWrite(C));
        let mut p = g.add_pass("read", QueueKind::Compute);
        p.read(narrow(img, read), Access::Sampled(C));
        p.side_effect();
        p.finish();
        run(&g, Limits::default()).1.err().unwrap_or_default()
    };
    let cell = |m, l| Subresource { base_mip: m, mip_count: 1, base_layer: l, layer_count: 1 };
    let e = reads(2, 2, cell(1, 0), cell(0, 1));
    assert!(matches!(&e[..], [CompileError::UnwrittenSubresource { .. }]), "{e:?}");
    assert!(reads(2, 2, cell(1, 0), cell(1, 0)).is_empty());
    assert!(reads(8, 16, cell(7, 15), cell(7, 15)).is_empty());
    let e = reads(8, 16, cell(7, 15), cell(7, 14));
    assert!(matches!(&e[..], [CompileError::UnwrittenSubresource { .. }]), "{e:?}");
}

/// An image of exactly as many cells as are tracked by part (65536: one mip of 65536
/// layers) may still be accessed by part.
#[test]
fn images_of_the_most_cells_tracked_may_be_named_by_part() {
    let limits = Limits { max_image_array_layers: 1 << 20, ..Limits::default() };
    let mut g: Graph = Graph::new(Extent::new(64, 64));
    let img = image(&mut g, "atlas", 1, 1 << 16);
    let img = g.add_pass("fill", QueueKind::Compute).write(img, Access::StorageWrite(C));
    let mut p = g.add_pass("one.layer", QueueKind::Compute);
    p.read(img.layer(3), Access::Sampled(C));
    p.side_effect();
    p.finish();
    let (v, result) = run(&g, limits);
    assert_eq!(result, Ok(()));
    assert!(v.any_part);
}

//! Unit tests of the barrier phase: the phase run again on what the phases before it made of a
//! small graph, and the merging of cells into ranges on its own.

use super::cells::merge;
use super::*;
use crate::access::{Access, AccessMask, Layout, ResourceState, ShaderStages};
use crate::compile::testing::compiled;
use crate::plan::{Plan, TransferHalf};
use crate::types::{BufferDesc, Extent, Format, ImageDesc, Size};

const C: ShaderStages = ShaderStages::COMPUTE;

/// The barrier phase run again on `g`'s validated accesses, order and resource records (on the
/// general walk too, which must agree), checked against the plan the compile made.
fn rerun(g: &Graph) -> (Plan, Barriers) {
    let (plan, mut s) = compiled(g);
    let mut runs = Vec::new();
    for general in [false, true] {
        let v = &s.validated;
        let b = &mut s.barrier_scratch;
        b.general_only = general;
        track_cells(g, &v.flat, &s.order, &plan.resources, v.any_part, b);
        let mut out = Barriers::default();
        barriers(g, &v.flat, &s.order, &plan.resources, plan.heaps.len(), &mut out, b);
        assert_eq!(out.batches, plan.barriers);
        assert_eq!((&out.prologue, &out.epilogue), (&plan.prologue, &plan.epilogue));
        runs.push(out);
    }
    let hazards = crate::oracle::check(&plan);
    assert!(hazards.is_empty(), "{hazards:#?}\n{}", crate::print::text(&plan));
    (plan, runs.swap_remove(0))
}

fn cells(m: u32, mc: u32, l: u32, lc: u32) -> Subresource {
    Subresource { base_mip: m, mip_count: mc, base_layer: l, layer_count: lc }
}

fn batch(out: &Barriers, pos: usize) -> &[Barrier] {
    &out.batches[out.batch_start[pos] as usize..out.batch_start[pos + 1] as usize]
}

/// Equal barriers of neighbouring cells become one: runs of layers within a mip, then runs of
/// mips over the same layers; anything else stays apart, in the order of its first cell.
#[test]
fn cells_merge_into_rectangles() {
    // A 3-mip, 4-layer image: mips 0..2 of layers 1..3 agree ('a'); mip 2 layer 0 is alone,
    // mip 2 layers 1..4 agree ('b') but reach further than the 'a' rectangle above them.
    let layers = 4;
    let mut items: Vec<(u32, char)> = vec![
        (4 * 2 + 3, 'b'),
        (1, 'a'),
        (2, 'a'),
        (5, 'a'),
        (6, 'a'),
        (4 * 2, 'c'),
        (4 * 2 + 1, 'b'),
        (4 * 2 + 2, 'b'),
    ];
    let (mut rects, mut runs) = (Vec::new(), (Vec::new(), Vec::new()));
    merge(&mut items, layers, &mut rects, &mut runs);
    assert_eq!(
        rects,
        [(cells(0, 2, 1, 2), 'a'), (cells(2, 1, 0, 1), 'c'), (cells(2, 1, 1, 3), 'b')]
    );
    // A gap of one mip breaks a run of mips.
    let mut items = vec![(0, 'a'), (8, 'a')];
    merge(&mut items, layers, &mut rects, &mut runs);
    assert_eq!(rects, [(cells(0, 1, 0, 1), 'a'), (cells(2, 1, 0, 1), 'a')]);
}

/// Images accessed whole all frame keep one state: nothing is tracked by cell, and their
/// barriers name all of them.
#[test]
fn whole_images_are_not_tracked_by_cell() {
    let mut g: Graph = Graph::new(Extent::new(64, 64));
    let img = g.create_image("img", ImageDesc::new(Format::R32Float, Size::FULL).mips(3));
    let img = g.add_pass("write", QueueKind::Compute).write(img, Access::StorageWrite(C));
    let mut p = g.add_pass("read", QueueKind::Compute);
    p.read(img, Access::Sampled(C));
    p.side_effect();
    p.finish();
    let (_, out) = rerun(&g);
    assert_eq!(out.batches.len(), 2);
    assert!(out.batches.iter().all(|b| b.subresource == cells(0, 3, 0, 1)));
    let (_, s) = compiled(&g);
    assert!(!s.barrier_scratch.cells.any);
}

/// Each cell of a transient is handed over at its own first use, from everything the memory's
/// previous occupant left outstanding, and from `Undefined`.
#[test]
fn each_cell_is_handed_over_at_its_first_use() {
    let mut g: Graph = Graph::new(Extent::new(64, 64));
    let old = g.create_buffer("old", BufferDesc::new(1 << 20));
    let old = g.add_pass("old.write", QueueKind::Compute).write(old, Access::StorageWrite(C));
    let mut p = g.add_pass("old.read", QueueKind::Compute);
    p.read(old, Access::StorageRead(C));
    p.side_effect();
    p.finish();
    let desc = ImageDesc::new(Format::Rgba8Unorm, Size::absolute(64, 64)).mips(2);
    let img = g.create_image("new", desc);
    let img = g.add_pass("mip0", QueueKind::Compute).write(img.mip(0), Access::CopyDst);
    let img = g.add_pass("mip1", QueueKind::Compute).write(img.mip(1), Access::CopyDst);
    g.export(img);
    let (plan, out) = rerun(&g);
    let (a, b) = (plan.resources[0].placement, plan.resources[1].placement);
    assert_eq!(
        a.map(|p| (p.heap, p.offset)),
        b.map(|p| (p.heap, p.offset)),
        "`new` takes over `old`"
    );
    for (pos, k) in [(2, 0), (3, 1)] {
        let ours = batch(&out, pos);
        assert_eq!(ours.len(), 1, "{ours:#?}");
        let b = ours[0];
        assert_eq!((b.resource, b.subresource), (1, cells(k, 1, 0, 1)));
        assert_eq!(b.layout, Some((Layout::Undefined, Layout::TransferDst)));
        assert_eq!(b.src_stages, StageMask::COMPUTE_SHADER, "after `old.read`");
        assert!(b.discard);
    }
}

/// A temporal image's cells end the frame on the queue of its last access: one left on another
/// queue is released there after its last use and acquired before that last access (with a
/// wait), already in the exit layout, so nothing is left for the epilogue.
#[test]
fn a_temporal_images_cells_are_brought_to_its_exit_queue() {
    let mut g: Graph = Graph::new(Extent::new(64, 64));
    let desc = ImageDesc::new(Format::Rgba16Float, Size::FULL).mips(2);
    let h = g.temporal_image("history", desc);
    let h = g.add_pass("compute", QueueKind::Compute).write(h.mip(0), Access::StorageReadWrite(C));
    let _ = g.add_pass("draw", QueueKind::Graphics).write(h.mip(1), Access::ColorWrite);
    let (plan, out) = rerun(&g);
    let exit = plan.resources[0].exit.expect("a temporal exit");
    assert_eq!((exit.layout, exit.queue), (Some(Layout::ColorAttachment), QueueKind::Graphics));
    // Only mip 1 was left on the exit queue in the exit layout: its write is what is outstanding.
    assert_eq!(
        (exit.stages, exit.access),
        (StageMask::COLOR_ATTACHMENT_OUTPUT, AccessMask::COLOR_WRITE)
    );
    let release = &plan.releases_of(&plan.passes[0]);
    assert_eq!(release.len(), 1, "{release:#?}");
    assert_eq!(release[0].subresource, cells(0, 1, 0, 1));
    assert_eq!(release[0].layout, Some((Layout::General, Layout::ColorAttachment)));
    assert_eq!(
        release[0].transfer.map(|t| (t.from, t.to, t.half)),
        Some((QueueKind::Compute, QueueKind::Graphics, TransferHalf::Release))
    );
    let acquire: Vec<&Barrier> = batch(&out, 1).iter().filter(|b| b.transfer.is_some()).collect();
    assert_eq!(acquire.len(), 1, "{acquire:#?}");
    assert_eq!(acquire[0].subresource, cells(0, 1, 0, 1));
    assert_eq!(acquire[0].transfer.map(|t| t.half), Some(TransferHalf::Acquire));
    assert!(plan.waits_of(&plan.passes[1]).iter().any(|w| w.queue == QueueKind::Compute));
    assert!(plan.epilogue.is_empty(), "{:#?}", plan.epilogue);
}

/// An import's exit state is a state of the whole image: the epilogue moves back the layers a
/// pass moved, and only those.
#[test]
fn an_imports_exit_moves_back_only_the_cells_that_moved() {
    let mut g: Graph = Graph::new(Extent::new(64, 64));
    let state = ResourceState::shader_read(QueueKind::Graphics, StageMask::FRAGMENT_SHADER);
    let desc = ImageDesc::new(Format::Rgba8Unorm, Size::FULL).layers(3);
    let img = g.import_image("atlas", desc, state, state);
    let _ = g.add_pass("paint", QueueKind::Graphics).write(img.layer(1), Access::ColorWrite);
    let (_, out) = rerun(&g);
    let b = batch(&out, 0);
    assert_eq!(b.len(), 1, "{b:#?}");
    assert_eq!(
        (b[0].subresource, b[0].layout),
        (cells(0, 1, 1, 1), Some((Layout::ShaderReadOnly, Layout::ColorAttachment)))
    );
    assert_eq!(out.epilogue.len(), 1, "{:#?}", out.epilogue);
    let e = out.epilogue[0];
    assert_eq!(
        (e.subresource, e.layout),
        (cells(0, 1, 1, 1), Some((Layout::ColorAttachment, Layout::ShaderReadOnly)))
    );
    assert_eq!(
        (e.src_stages, e.dst_stages),
        (StageMask::COLOR_ATTACHMENT_OUTPUT, StageMask::FRAGMENT_SHADER)
    );
}

/// The map of each byte's latest occupant, against a byte-by-byte model: after every placement
/// its intervals are non-empty, disjoint, in address order and exactly the runs of the model,
/// and the occupants a placement displaces are those of its bytes, each once, in address order.
/// Random placements in a small heap hit every case: inside one occupant, over several, on the
/// edges of one, and in free memory.
#[test]
fn memory_keeps_the_latest_occupant_of_every_byte() {
    use super::memory::occupy;
    use crate::gen::Rng;
    use crate::plan::Placement;
    const BYTES: usize = 48;
    let mut rng = Rng::new(7);
    for round in 0..400 {
        let mut memory = Vec::new();
        let mut model: [Option<u32>; BYTES] = [None; BYTES];
        for resource in 0..12u32 {
            let offset = rng.below(BYTES) as u64;
            let size = rng.below(BYTES + 1 - offset as usize) as u64;
            let pl = Placement { heap: 0, offset, size };
            let mut want = Vec::new();
            for o in model[offset as usize..(offset + size) as usize].iter().flatten() {
                if !want.contains(o) {
                    want.push(*o);
                }
            }
            // Something is already displaced: the list is appended to.
            let mut displaced = vec![u32::MAX];
            occupy(&mut memory, pl, resource, &mut displaced);
            assert_eq!(displaced[1..], want, "round {round}: {pl:?} in {memory:?}");
            model[offset as usize..(offset + size) as usize].fill(Some(resource));
            let mut runs = Vec::new();
            for (at, o) in model.iter().enumerate() {
                let Some(o) = *o else { continue };
                match runs.last_mut() {
                    Some((_, end, last)) if *end == at as u64 && *last == o => *end += 1,
                    _ => runs.push((at as u64, at as u64 + 1, o)),
                }
            }
            assert_eq!(memory, runs, "round {round}: after {pl:?}");
        }
    }
}

/// A write that does not read the old contents takes a resource to another queue with no
/// ownership transfer, only a wait: a buffer written on the compute queue, read there, then
/// written over (not read) on the graphics queue gets no release and no acquire, and the
/// graphics pass waits for the compute read. A read-modify-write there would need the transfer.
#[test]
fn a_write_over_old_contents_on_another_queue_needs_no_transfer() {
    for rmw in [false, true] {
        let mut g: Graph = Graph::new(Extent::new(64, 64));
        let buf = g.create_buffer("buf", BufferDesc::new(256));
        let buf = g.add_pass("make", QueueKind::Compute).write(buf, Access::StorageWrite(C));
        let mut p = g.add_pass("use", QueueKind::Compute);
        p.read(buf, Access::StorageRead(C));
        p.side_effect();
        p.finish();
        let write = if rmw { Access::StorageReadWrite(C) } else { Access::StorageWrite(C) };
        let buf = g.add_pass("redo", QueueKind::Graphics).write(buf, write);
        g.export(buf);
        let (plan, out) = rerun(&g);
        let transfers = plan.all_barriers().filter(|b| b.transfer.is_some()).count();
        assert_eq!(transfers, if rmw { 2 } else { 0 }, "{}", crate::print::text(&plan));
        assert!(out.releases.is_empty() != rmw, "{:#?}", out.releases);
        let waits = &out.waits[out.wait_start[2] as usize..out.wait_start[3] as usize];
        assert_eq!(waits.len(), 1, "{waits:#?}");
        assert_eq!((waits[0].queue, waits[0].point), (QueueKind::Compute, WaitPoint::Pass(1)));
    }
}

//! Temporal resources across the frame boundary. The next frame replays the same plan from the
//! state this frame leaves, so the frame's last write to a temporal (an access, or an ownership
//! acquire or layout transition made for a later read) must be ordered before, and visible to,
//! whatever the plan does first to it, which finds only reads outstanding and records no barrier
//! of its own when it is a read in the exit layout on the exit queue. The oracle checks that
//! exactly, against the plan's first use of each cell, and these tests show it reporting the
//! plans that fall short.

use rg_core::*;

const G: QueueKind = QueueKind::Graphics;
const C: QueueKind = QueueKind::Compute;

fn compile(g: &Graph) -> std::sync::Arc<Plan> {
    let plan = Compiler::new().compile(g, &FakeMemory::default()).unwrap_or_else(|e| panic!("{e}"));
    let hazards = oracle::check(&plan);
    assert!(hazards.is_empty(), "{hazards:#?}\n{}", print::text(&plan));
    plan
}

/// The hazards `plan` has on the frame's boundary for resource `r`.
fn exit_hazards(plan: &Plan, r: usize) -> Vec<oracle::Hazard> {
    let hazards = oracle::check(plan);
    hazards
        .into_iter()
        .filter(|h| h.kind == oracle::HazardKind::ExitStateMismatch && h.resource == r)
        .collect()
}

/// A temporal image written by part: mip 0 written in a compute shader, mip 1 sampled last in a
/// fragment shader, and mip 0 sampled first, in a compute shader, with no barrier before it.
/// The epilogue moves mip 0 into the exit layout; that transition's second scope must take in
/// the compute stage. Without it, it is still ordered before the fragment stage the entry state
/// also names (which a looser check took for enough), but not before the next frame's read.
#[test]
fn a_moved_cell_must_be_ordered_before_its_first_use_next_frame() {
    let mut g: Graph = Graph::new(Extent::new(64, 64));
    let h = g.temporal_image("history", ImageDesc::new(Format::Rgba16Float, Size::FULL).mips(2));
    let mut p = g.add_pass("first", G);
    p.side_effect().read(h.mip(0), Access::Sampled(ShaderStages::COMPUTE));
    p.finish();
    let mut p = g.add_pass("write", G);
    let h1 = p.write(h.mip(0), Access::StorageWrite(ShaderStages::COMPUTE));
    p.finish();
    let mut p = g.add_pass("last", G);
    p.side_effect().read(h1.mip(1), Access::Sampled(ShaderStages::FRAGMENT));
    p.finish();
    let plan = compile(&g);
    let entry = plan.resources[h.index()].entry.expect("a temporal entry state");
    assert!(entry.stages.contains(StageMask::FRAGMENT_SHADER), "{entry:?}");
    let moved = plan
        .epilogue
        .iter()
        .position(|b| b.resource == h.index() && b.subresource.base_mip == 0)
        .unwrap_or_else(|| panic!("mip 0 is moved at the end\n{}", print::text(&plan)));

    let mut broken = (*plan).clone();
    let b = &mut broken.epilogue[moved];
    b.dst_stages = b.dst_stages.minus(StageMask::COMPUTE_SHADER);
    assert!(!b.dst_stages.is_empty(), "the fragment stage stays: {b:?}");
    let found = exit_hazards(&broken, h.index());
    assert_eq!(found.len(), 1, "{found:#?}\n{}", print::text(&broken));
    assert!(found[0].message.contains("`history` mip 0"), "{}", found[0]);
    assert!(found[0].message.contains("pass `first`"), "{}", found[0]);
}

/// A temporal buffer read first as a copy source on the compute queue, written on the graphics
/// queue, and read last in a compute shader back on the compute queue. The frame ends with the
/// acquire before that read, whose second scope is the compute shader; the next frame's copy
/// finds only reads outstanding and no barrier before it. So the epilogue orders the acquire
/// before the copy and makes it visible to it, and the oracle reports the plan without that.
#[test]
fn a_temporal_acquired_at_the_end_is_made_visible_to_its_first_use_next_frame() {
    let mut g: Graph = Graph::new(Extent::new(64, 64));
    let h = g.temporal_buffer("history", BufferDesc::new(4096));
    let mut p = g.add_pass("first", C);
    p.side_effect().read(h, Access::CopySrc);
    p.finish();
    let mut p = g.add_pass("write", G);
    let h1 = p.write(h, Access::StorageWrite(ShaderStages::COMPUTE));
    p.finish();
    let mut p = g.add_pass("last", C);
    p.side_effect().read(h1, Access::StorageRead(ShaderStages::COMPUTE));
    p.finish();
    let plan = compile(&g);
    let text = print::text(&plan);
    let labels: Vec<&str> = plan.passes.iter().map(|p| &*p.label).collect();
    assert_eq!(labels, ["first", "write", "last"], "{text}");
    assert!(plan.barriers_of(&plan.passes[0]).is_empty(), "the copy has no barrier\n{text}");
    let last = plan.barriers_of(&plan.passes[2]);
    assert!(last.iter().any(|b| b.transfer.is_some()), "`last` acquires the buffer\n{text}");
    let entry = plan.resources[h.index()].entry.expect("a temporal entry state");
    assert_eq!((entry.queue, entry.access), (C, AccessMask::STORAGE_READ), "{text}");

    let at = plan
        .epilogue
        .iter()
        .position(|b| b.resource == h.index())
        .unwrap_or_else(|| panic!("an epilogue barrier for `history`\n{text}"));
    let b = plan.epilogue[at];
    assert_eq!((b.queue, b.transfer, b.layout), (C, None, None), "{b:?}");
    assert_eq!((b.src_stages, b.src_access), (StageMask::COMPUTE_SHADER, AccessMask::NONE));
    assert_eq!((b.dst_stages, b.dst_access), (StageMask::TRANSFER, AccessMask::TRANSFER_READ));

    let mut broken = (*plan).clone();
    broken.epilogue.remove(at);
    let found = exit_hazards(&broken, h.index());
    assert_eq!(found.len(), 1, "{found:#?}\n{}", print::text(&broken));
    assert!(found[0].message.contains("ownership acquire"), "{}", found[0]);
    assert!(found[0].message.contains("pass `first`"), "{}", found[0]);
}

//! `bufferImageGranularity`: on a device whose images align to less than its granularity, a
//! heap holding buffers and images keeps each buffer and each image live at the same time on
//! pages of their own, and the oracle reports a plan where they share one; a heap holding one
//! kind only keeps its members' own alignment.

use rg_core::*;

/// Images aligned to 256 bytes, pages of 64 KiB: only the compiler's rounding keeps neighbours
/// apart.
fn memory() -> FakeMemory {
    FakeMemory { image_alignment: 256, granularity: 64 << 10, ..FakeMemory::default() }
}

/// A small image and a small buffer written by one pass and read by the next: live together,
/// in one heap, on different pages. Placed largest first, so with the buffer larger (512 bytes
/// against the image's 256) the buffer goes first, and with the image larger (1024 bytes) the
/// image does: the heap holds both either way.
#[test]
fn a_buffer_and_an_image_live_at_once_never_share_a_page() {
    for side in [8, 16] {
        buffer_and_image_apart(side);
    }
}

fn buffer_and_image_apart(side: u32) {
    let mut g: Graph = Graph::new(Extent::new(64, 64));
    let desc = ImageDesc::new(Format::R32Uint, Size::absolute(side, side));
    let img = g.create_image("gran.image", desc);
    let buf = g.create_buffer("gran.buffer", BufferDesc::new(512));
    let mut w = g.add_pass("gran.write", QueueKind::Graphics);
    let img = w.write(img, Access::StorageWrite(ShaderStages::COMPUTE));
    let buf = w.write(buf, Access::StorageWrite(ShaderStages::COMPUTE));
    w.finish();
    let mut r = g.add_pass("gran.read", QueueKind::Graphics);
    r.side_effect()
        .read(img, Access::StorageRead(ShaderStages::COMPUTE))
        .read(buf, Access::StorageRead(ShaderStages::COMPUTE));
    r.finish();
    let memory = memory();
    let plan = Compiler::new().compile(&g, &memory).unwrap_or_else(|e| panic!("{e}"));
    let text = print::text(&plan);
    assert!(oracle::check(&plan).is_empty(), "{text}");
    assert!(oracle::check_granularity(&plan, memory.granularity).is_empty(), "{text}");
    let p = |label: &str| {
        plan.resources.iter().find(|r| &*r.label == label).and_then(|r| r.placement).expect(label)
    };
    let (pi, pb) = (p("gran.image"), p("gran.buffer"));
    assert_eq!(pi.heap, pb.heap, "one heap holds both\n{text}");
    let (lo, hi) = if pi.offset < pb.offset { (pi, pb) } else { (pb, pi) };
    assert!(hi.offset >= lo.offset + lo.size, "no overlap\n{text}");
    assert_eq!(hi.offset % memory.granularity, 0, "the second starts a page\n{text}");

    // The plan as it would be without the rounding: the first resource only as large as it
    // needs, the second right after it. No byte is shared, but a page is.
    let mut broken = (*plan).clone();
    let first = broken.resources.iter_mut().find(|r| r.placement == Some(lo)).expect("placed");
    let need = first.requirements.expect("placed, so sized").size;
    first.placement = Some(Placement { size: need, ..lo });
    let second = broken.resources.iter_mut().find(|r| r.placement == Some(hi)).expect("placed");
    second.placement = Some(Placement { offset: lo.offset + need, ..hi });
    assert!(oracle::check(&broken).is_empty(), "no bytes are shared\n{}", print::text(&broken));
    let found = oracle::check_granularity(&broken, memory.granularity);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].kind, oracle::HazardKind::AliasOverlap);
    assert!(found[0].message.contains("`gran.image`"), "{}", found[0]);
    assert!(found[0].message.contains("`gran.buffer`"), "{}", found[0]);
}

/// A heap that holds only buffers (or only images) is not rounded to pages: two 512-byte buffers
/// live at once sit side by side at their own alignment, on the device whose pages are 64 KiB.
#[test]
fn a_heap_of_one_kind_keeps_its_own_alignment() {
    let mut g: Graph = Graph::new(Extent::new(64, 64));
    let a = g.create_buffer("gran.a", BufferDesc::new(512));
    let b = g.create_buffer("gran.b", BufferDesc::new(512));
    let mut w = g.add_pass("gran.write", QueueKind::Graphics);
    let a = w.write(a, Access::StorageWrite(ShaderStages::COMPUTE));
    let b = w.write(b, Access::StorageWrite(ShaderStages::COMPUTE));
    w.finish();
    let mut r = g.add_pass("gran.read", QueueKind::Graphics);
    r.side_effect()
        .read(a, Access::StorageRead(ShaderStages::COMPUTE))
        .read(b, Access::StorageRead(ShaderStages::COMPUTE));
    r.finish();
    let plan = Compiler::new().compile(&g, &memory()).unwrap_or_else(|e| panic!("{e}"));
    let text = print::text(&plan);
    assert!(oracle::check(&plan).is_empty(), "{text}");
    assert_eq!(plan.heaps.len(), 1, "{text}");
    assert_eq!((plan.heaps[0].size, plan.heaps[0].alignment), (1024, 256), "{text}");
    let mut offsets: Vec<u64> =
        plan.resources.iter().map(|r| r.placement.expect("placed").offset).collect();
    offsets.sort_unstable();
    assert_eq!(offsets, [0, 512], "{text}");
}

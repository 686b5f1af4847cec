//! Imports at the edges of the frame, in the states random graphs rarely give them: an entry
//! state that names no stages (nothing outstanding when the frame starts), and an exit state
//! whose first use is a shader stage with its own access. Each plan has the wait or barrier the
//! case needs, the oracle passes it, and the oracle reports the plan with that wait or barrier
//! taken out. And the other way: an import whose end needs no barrier gets none, and a wait for
//! the prologue that releases an import is dropped when another wait of the pass reaches it.

use rg_core::*;

const G: QueueKind = QueueKind::Graphics;
const C: QueueKind = QueueKind::Compute;

fn compile(g: &Graph) -> std::sync::Arc<Plan> {
    let plan = Compiler::new().compile(g, &FakeMemory::default()).unwrap_or_else(|e| panic!("{e}"));
    let hazards = oracle::check(&plan);
    assert!(hazards.is_empty(), "{hazards:#?}\n{}", print::text(&plan));
    plan
}

/// A buffer imported with nothing outstanding (no stages, no accesses) on the graphics queue,
/// read there by `reader`, then overwritten on the compute queue by `writer`: the write must
/// not start before the read is done, so `writer` waits for `reader`. Nothing but the read puts
/// the graphics queue among those with work outstanding on the buffer, since the entry state
/// names none.
#[test]
fn a_write_on_another_queue_waits_for_a_read_of_an_import_with_no_entry_stages() {
    let mut g = Graph::new(Extent::new(64, 64));
    let idle =
        ResourceState { layout: None, queue: G, stages: StageMask::NONE, access: AccessMask::NONE };
    let buf = g.import_buffer("import.idle", BufferDesc::new(256), idle, idle);
    let mut r = g.add_pass("reader", G);
    r.side_effect().read(buf, Access::StorageRead(ShaderStages::COMPUTE));
    r.finish();
    let mut w = g.add_pass("writer", C);
    let out = w.write(buf, Access::StorageWrite(ShaderStages::COMPUTE));
    w.finish();
    g.export(out);
    let plan = compile(&g);

    let (reader, _) = plan.find_pass("reader").expect("reader");
    let (_, writer) = plan.find_pass("writer").expect("writer");
    let waits = plan.waits_of(writer);
    let k = waits
        .iter()
        .position(|w| w.queue == G && w.point == WaitPoint::Pass(reader))
        .unwrap_or_else(|| panic!("`writer` must wait for `reader`\n{}", print::text(&plan)));
    assert!(waits[k].stages.contains(StageMask::COMPUTE_SHADER), "{:?}", waits[k]);

    let mut broken = (*plan).clone();
    broken.remove_wait(writer.waits.start as usize + k);
    let hazards = oracle::check(&broken);
    assert!(!hazards.is_empty(), "the oracle must miss the wait\n{}", print::text(&broken));
}

/// A buffer written by a compute shader, then read as storage by a fragment shader, and left
/// for a first use outside the frame that reads it as a uniform buffer in a fragment shader:
/// the barrier before the fragment read made the write visible to storage reads only, so the
/// epilogue still needs a barrier making it visible to uniform reads there.
#[test]
fn an_exit_with_shader_stages_and_accesses_keeps_its_final_barrier() {
    let mut g = Graph::new(Extent::new(64, 64));
    let entry =
        ResourceState { layout: None, queue: G, stages: StageMask::NONE, access: AccessMask::NONE };
    let exit = ResourceState {
        layout: None,
        queue: G,
        stages: StageMask::FRAGMENT_SHADER,
        access: AccessMask::UNIFORM_READ,
    };
    let buf = g.import_buffer("import.params", BufferDesc::new(256), entry, exit);
    let mut w = g.add_pass("writer", G);
    let written = w.write(buf, Access::StorageWrite(ShaderStages::COMPUTE));
    w.finish();
    let mut r = g.add_pass("reader", G);
    r.side_effect().read(written, Access::StorageRead(ShaderStages::FRAGMENT));
    r.finish();
    g.export(written);
    let plan = compile(&g);

    let (_, reader) = plan.find_pass("reader").expect("reader");
    let before = plan.barriers_of(reader);
    assert_eq!(before.len(), 1, "{}", print::text(&plan));
    assert_eq!(
        (before[0].dst_stages, before[0].dst_access),
        (StageMask::FRAGMENT_SHADER, AccessMask::STORAGE_READ)
    );
    let last = plan
        .epilogue
        .iter()
        .position(|b| b.resource == before[0].resource)
        .unwrap_or_else(|| panic!("the epilogue must keep a barrier\n{}", print::text(&plan)));
    let b = plan.epilogue[last];
    assert!(b.src_access.contains(AccessMask::STORAGE_WRITE), "{b:?}");
    assert!(b.src_stages.contains(StageMask::COMPUTE_SHADER), "{b:?}");
    assert_eq!((b.dst_stages, b.dst_access), (exit.stages, exit.access), "{b:?}");

    let mut broken = (*plan).clone();
    broken.epilogue.remove(last);
    let hazards = oracle::check(&broken);
    assert!(!hazards.is_empty(), "the oracle must miss the barrier\n{}", print::text(&broken));
}

/// Nothing redundant at the frame's end: a buffer the host wrote before the frame, only read in
/// it (by a compute shader) and left for the host to read, needs no epilogue barrier. The host's
/// write was ordered before the frame by whoever made it, and reads need no ordering before
/// other reads, so a barrier there would order nothing (the oracle finds no hazard without one).
#[test]
fn an_import_only_read_and_left_for_the_host_has_no_epilogue_barrier() {
    let mut g = Graph::new(Extent::new(64, 64));
    let (entry, exit) = (ResourceState::host_written(G), ResourceState::host_read(G));
    let buf = g.import_buffer("import.host", BufferDesc::new(256), entry, exit);
    let mut r = g.add_pass("reader", G);
    r.side_effect().read(buf, Access::StorageRead(ShaderStages::COMPUTE));
    r.finish();
    let plan = compile(&g);
    let (_, reader) = plan.find_pass("reader").expect("reader");
    assert_eq!(plan.barriers_of(reader).len(), 1, "the host's write is made visible to the read");
    assert!(plan.epilogue.is_empty(), "a barrier that orders nothing\n{}", print::text(&plan));
}

/// Nothing redundant among waits: two imports written on the compute queue before the frame,
/// one read by a copy on the transfer queue, the other (with the copy's output) by a compute
/// shader on the graphics queue. Both are released in the compute queue's prologue; the copy
/// waits for that prologue, so the graphics pass, waiting for the copy, has waited for it too
/// and needs one wait, not two.
#[test]
fn a_wait_for_a_prologue_that_another_wait_reaches_is_dropped() {
    const T: QueueKind = QueueKind::Transfer;
    let mut g = Graph::new(Extent::new(64, 64));
    let before = ResourceState {
        layout: None,
        queue: C,
        stages: StageMask::COMPUTE_SHADER,
        access: AccessMask::STORAGE_WRITE,
    };
    let idle = |queue| ResourceState {
        queue,
        stages: StageMask::NONE,
        access: AccessMask::NONE,
        ..before
    };
    let params = g.import_buffer("import.params", BufferDesc::new(256), before, idle(G));
    let source = g.import_buffer("import.source", BufferDesc::new(256), before, idle(T));
    let copy = g.create_buffer("copy", BufferDesc::new(256));
    let mut p = g.add_pass("copier", T);
    p.read(source, Access::CopySrc);
    let copy = p.write(copy, Access::CopyDst);
    p.finish();
    let mut p = g.add_pass("user", G);
    let read = Access::StorageRead(ShaderStages::COMPUTE);
    p.side_effect().read(params, read).read(copy, read);
    p.finish();
    let plan = compile(&g);

    let (copier, c) = plan.find_pass("copier").expect("copier");
    assert_eq!(
        plan.waits_of(c).iter().map(|w| (w.queue, w.point)).collect::<Vec<_>>(),
        [(C, WaitPoint::Prologue)]
    );
    let (_, user) = plan.find_pass("user").expect("user");
    let waits: Vec<(QueueKind, WaitPoint)> =
        plan.waits_of(user).iter().map(|w| (w.queue, w.point)).collect();
    assert_eq!(waits, [(T, WaitPoint::Pass(copier))], "{}", print::text(&plan));
}

//! GPU tests of the executor on buffer work (lavapipe in CI), with validation and
//! synchronization validation on; any warning fails a test.

mod common;

use common::pass;
use rg_core::*;
use rg_vulkan::{Bindings, DeviceMemory, Executor, MemoryUse, Pass};

/// A host-visible buffer the frame writes and the host reads afterwards.
fn host_readback(g: &mut Graph<Pass>, label: &str, size: u64) -> BufferHandle {
    let state = ResourceState::host_read(QueueKind::Graphics);
    g.import_buffer(label, BufferDesc::new(size), state, state)
}

/// Checks: a chain fill → copy → copy into an imported host-visible buffer runs, the readback
/// holds the filled pattern, and the validation layers (with synchronization validation) say
/// nothing. Resources: two transient buffers and one import; passes: `fill`, `copy`, `readback`.
#[test]
fn fill_copy_readback_is_correct_and_validation_clean() {
    let Some(ctx) = common::context("fill_copy_readback") else { return };
    let mut ex = Executor::new(&ctx).expect("executor");
    let out = ex.create_buffer("test.readback", 4096, MemoryUse::Readback).expect("buffer");

    let mut g: Graph<Pass> = Graph::new(Extent::new(64, 64));
    let readback = host_readback(&mut g, "test.readback", 4096);
    let a = g.create_buffer("test.a", BufferDesc::new(4096));
    let b = g.create_buffer("test.b", BufferDesc::new(4096));
    let mut p = g.add_pass("fill", QueueKind::Transfer);
    let a1 = p.write(a, Access::CopyDst);
    p.record(pass(move |r| r.fill_buffer(a1, 0xC0FF_EE11)));
    let mut p = g.add_pass("copy", QueueKind::Transfer);
    p.read(a1, Access::CopySrc);
    let b1 = p.write(b, Access::CopyDst);
    p.record(pass(move |r| r.copy_buffer(a1, b1, None)));
    let mut p = g.add_pass("readback", QueueKind::Transfer);
    p.read(b1, Access::CopySrc);
    let rb1 = p.write(readback, Access::CopyDst);
    p.record(pass(move |r| r.copy_buffer(b1, rb1, None)));

    let frame = Compiler::new().compile_frame(g, &DeviceMemory::new(&ctx)).expect("valid graph");
    assert!(oracle::check(frame.plan()).is_empty());
    let stats = ex.run(frame, &Bindings::new().buffer(readback, out)).expect("frame runs");
    let bytes = ex.read_buffer(out).expect("host visible");
    let words: Vec<u32> =
        bytes.chunks(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
    assert!(words.iter().all(|&w| w == 0xC0FF_EE11), "readback holds {:#x}…", words[0]);
    assert_eq!(stats.passes_run, 3);
    assert!(stats.barriers >= 3 && stats.barrier_calls <= 4, "{stats:?}");
    drop(ex);
    common::assert_clean(&ctx, "fill_copy_readback");
}

/// Checks: transients forced to share memory (each written, then read, then dead before the
/// next) each deliver their own producer's pattern; the plan aliases them (bytes used below the
/// unaliased sum) and validation is clean.
#[test]
fn aliased_transients_keep_their_own_contents() {
    let Some(ctx) = common::context("aliased_transients") else { return };
    let mut ex = Executor::new(&ctx).expect("executor");
    let n = 6u32;
    let out = ex.create_buffer("test.out", 4096 * n as u64, MemoryUse::Readback).expect("buffer");
    let mut g: Graph<Pass> = Graph::new(Extent::new(64, 64));
    let mut readback = host_readback(&mut g, "test.out", 4096 * n as u64);
    let mut parts = Vec::new();
    for i in 0..n {
        // Each chunk: fill a transient, copy it into a second transient, copy that into a
        // staging transient of the full size whose slot i is then copied into the readback.
        let t = g.create_buffer(&format!("test.t{i}"), BufferDesc::new(4096));
        let pattern = 0x1000_0000 + i;
        let mut p = g.add_pass(&format!("fill{i}"), QueueKind::Graphics);
        let t1 = p.write(t, Access::CopyDst);
        p.record(pass(move |r| r.fill_buffer(t1, pattern)));
        parts.push((i, t1));
    }
    // Read each chunk back through its own copy pass into the readback buffer.
    for (i, t1) in parts {
        let mut p = g.add_pass(&format!("store{i}"), QueueKind::Graphics);
        p.read(t1, Access::CopySrc);
        readback = p.write(readback, Access::CopyDst);
        let rb = readback;
        p.record(pass(move |r| r.copy_buffer(t1, rb, Some(4096))));
    }
    let frame = Compiler::new().compile_frame(g, &DeviceMemory::new(&ctx)).expect("valid graph");
    let plan = frame.plan();
    assert!(oracle::check(plan).is_empty());
    assert!(
        plan.stats.transient_bytes * 2 <= plan.stats.unaliased_bytes,
        "the transients should share memory: {:?}",
        plan.stats
    );
    let _ = ex.run(frame, &Bindings::new().buffer(readback, out)).expect("frame runs");
    let bytes = ex.read_buffer(out).expect("host visible");
    let first = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    // Every store pass copies to offset 0, so the last one wins: the last chunk's pattern.
    assert_eq!(first, 0x1000_0000 + n - 1);
    drop(ex);
    common::assert_clean(&ctx, "aliased_transients");
}

/// Checks: a pass that records on a buffer it did not declare gets an error naming the pass,
/// the resource and what it did declare, and nothing is lost (the executor runs the next frame).
#[test]
fn undeclared_use_is_an_error_naming_pass_and_resource() {
    let Some(ctx) = common::context("undeclared_use") else { return };
    let mut ex = Executor::new(&ctx).expect("executor");
    let out = ex.create_buffer("test.out", 256, MemoryUse::Readback).expect("buffer");
    let mut g: Graph<Pass> = Graph::new(Extent::new(8, 8));
    let rb = host_readback(&mut g, "test.out", 256);
    let a = g.create_buffer("test.a", BufferDesc::new(256));
    // Declares a read of `a` only, but fills it.
    let mut p = g.add_pass("sloppy", QueueKind::Graphics);
    let _ = p.write(rb, Access::CopySrc);
    p.record(pass(move |r| r.fill_buffer(rb, 7)));
    let _ = a;
    let plan = Compiler::new().compile_uncached(&g, &DeviceMemory::new(&ctx));
    // `CopySrc` through `write` is itself a compile error; fix the graph and misuse at record.
    assert!(plan.is_err());
    let mut g: Graph<Pass> = Graph::new(Extent::new(8, 8));
    let rb = host_readback(&mut g, "test.out", 256);
    let mut p = g.add_pass("sloppy", QueueKind::Graphics);
    p.read(rb, Access::CopySrc);
    p.side_effect();
    p.record(pass(move |r| r.fill_buffer(rb, 7)));
    let frame = Compiler::new().compile_frame(g, &DeviceMemory::new(&ctx)).expect("valid graph");
    let err = ex.run(frame, &Bindings::new().buffer(rb, out)).expect_err("undeclared fill");
    assert!(
        matches!(&err, rg_vulkan::Error::Undeclared { pass, resource, .. }
            if pass == "sloppy" && resource == "test.out"),
        "{err}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("`sloppy`") && msg.contains("`test.out`") && msg.contains("copy-src"),
        "{msg}"
    );
    drop(ex);
    common::assert_clean(&ctx, "undeclared_use");
}

/// Checks: the validation layers are really listening. The same fill → copy chain with the
/// barrier between the passes removed from the plan must be reported by synchronization
/// validation as a hazard; if this test fails, "validation clean" in the others means nothing.
///
/// The executor runs a plan only together with the graph it was compiled from, so the plan
/// with its barrier removed is checked by the hazard oracle, and the device gets the same
/// commands from a graph that cannot see the link: the fill writes one import and the copy
/// reads another, both bound to the same buffer, in an explicit order. The graph plans no
/// barrier on that buffer between the passes, as in the edited plan.
#[test]
fn a_missing_barrier_is_reported_by_synchronization_validation() {
    let Some(ctx) = common::context("missing_barrier") else { return };
    let mut g: Graph<Pass> = Graph::new(Extent::new(64, 64));
    let readback = host_readback(&mut g, "test.readback", 4096);
    let a = g.create_buffer("test.a", BufferDesc::new(4096));
    let mut p = g.add_pass("fill", QueueKind::Graphics);
    let a1 = p.write(a, Access::CopyDst);
    p.record(pass(move |r| r.fill_buffer(a1, 1)));
    let mut p = g.add_pass("copy", QueueKind::Graphics);
    p.read(a1, Access::CopySrc);
    let rb1 = p.write(readback, Access::CopyDst);
    p.record(pass(move |r| r.copy_buffer(a1, rb1, None)));
    let mut plan =
        Compiler::new().compile_uncached(&g, &DeviceMemory::new(&ctx)).expect("valid graph");
    let a_index = a.index();
    let before = plan.passes[1].barriers.len();
    let at =
        plan.passes[1].barriers.clone().find(|&i| plan.barriers[i as usize].resource == a_index);
    plan.remove_barrier(at.expect("the copy pass had a barrier for `test.a`") as usize);
    assert_eq!(
        plan.passes[1].barriers.len() + 1,
        before,
        "the copy pass had a barrier for `test.a`"
    );
    assert!(!oracle::check(&plan).is_empty(), "the oracle sees the hazard too");

    let mut ex = Executor::new(&ctx).expect("executor");
    let out = ex.create_buffer("test.readback", 4096, MemoryUse::Readback).expect("buffer");
    let buffer_a = ex.create_buffer("test.a", 4096, MemoryUse::Readback).expect("buffer");
    let mut g: Graph<Pass> = Graph::new(Extent::new(64, 64));
    let readback = host_readback(&mut g, "test.readback", 4096);
    // Two names for one buffer, in a state whose scope holds no transfer write: nothing the
    // graph plans for either orders the fill before the copy.
    let a = host_readback(&mut g, "test.a", 4096);
    let a_again = host_readback(&mut g, "test.a.again", 4096);
    let mut p = g.add_pass("fill", QueueKind::Graphics);
    let a1 = p.write(a, Access::CopyDst);
    let fill = p.record(pass(move |r| r.fill_buffer(a1, 1)));
    let mut p = g.add_pass("copy", QueueKind::Graphics);
    p.read(a_again, Access::CopySrc);
    let rb1 = p.write(readback, Access::CopyDst);
    let copy = p.record(pass(move |r| r.copy_buffer(a_again, rb1, None)));
    g.order(fill, copy);
    let frame = Compiler::new().compile_frame(g, &DeviceMemory::new(&ctx)).expect("valid graph");
    let plan = frame.plan();
    assert_eq!(plan.passes.len(), 2);
    assert!(
        !plan
            .barriers_of(&plan.passes[1])
            .iter()
            .any(|b| b.resource == a_again.index() && b.src_stages.contains(StageMask::TRANSFER)),
        "nothing orders the fill's write before the copy:\n{}",
        print::text(plan)
    );
    let bindings =
        Bindings::new().buffer(readback, out).buffer(a, buffer_a).buffer(a_again, buffer_a);
    ex.run(frame, &bindings).expect("frame runs");
    drop(ex);
    let problems = ctx.problems();
    assert!(
        problems.iter().any(|m| m.id.contains("SYNC-HAZARD")),
        "expected a SYNC-HAZARD message, got {:?}",
        problems.iter().map(|m| &m.id).collect::<Vec<_>>()
    );
}

/// Checks: teardown leaves nothing behind. After a frame, dropping the executor and shutting
/// the context down gives no message from the layer's object tracker; and a buffer leaked on
/// purpose is reported, which shows the tracker is listening.
#[test]
fn teardown_leaves_nothing_behind() {
    let Some(ctx) = common::context("teardown") else { return };
    {
        let mut ex = Executor::new(&ctx).expect("executor");
        let out = ex.create_buffer("test.out", 256, MemoryUse::Readback).expect("buffer");
        let mut g: Graph<Pass> = Graph::new(Extent::new(8, 8));
        let rb = host_readback(&mut g, "test.out", 256);
        let t = g.create_buffer("test.t", BufferDesc::new(256));
        let mut p = g.add_pass("fill", QueueKind::Graphics);
        let t = p.write(t, Access::CopyDst);
        p.record(pass(move |r| r.fill_buffer(t, 3)));
        let mut p = g.add_pass("copy", QueueKind::Graphics);
        p.read(t, Access::CopySrc);
        let rb1 = p.write(rb, Access::CopyDst);
        p.record(pass(move |r| r.copy_buffer(t, rb1, None)));
        let frame = Compiler::new().compile_frame(g, &DeviceMemory::new(&ctx)).expect("valid");
        ex.run(frame, &Bindings::new().buffer(rb, out)).expect("frame runs");
        // gpu-allocator gives back everything once the persistent resources are destroyed and
        // the frames that used them are done.
        let image = ex.create_image("test.image", Format::Rgba8Unorm, 32, 32).expect("image");
        assert!(ex.allocated_bytes() >= 256 + 32 * 32 * 4);
        ex.destroy_buffer(out);
        ex.destroy_image(image);
        ex.wait_idle().expect("idle");
        assert_eq!(ex.allocated_bytes(), 0, "the allocator reports no live allocation");
    }
    let problems = ctx.shutdown();
    assert!(
        problems.is_empty(),
        "teardown: {:?}",
        problems.iter().map(|m| &m.text).collect::<Vec<_>>()
    );

    let Some(ctx) = common::context("teardown.leak") else { return };
    // SAFETY: a valid create info; the buffer is leaked on purpose and only the device's
    // destruction (inside `shutdown`) sees it.
    unsafe {
        let info = ash::vk::BufferCreateInfo::default()
            .size(64)
            .usage(ash::vk::BufferUsageFlags::TRANSFER_DST);
        ctx.raw_device().create_buffer(&info, None).expect("buffer");
    }
    let problems = ctx.shutdown();
    assert!(
        problems.iter().any(|m| m.text.contains("VkBuffer")
            || m.id.contains("ObjectTracker")
            || m.id.contains("05137")),
        "a leaked buffer must be reported: {:?}",
        problems.iter().map(|m| &m.id).collect::<Vec<_>>()
    );
}

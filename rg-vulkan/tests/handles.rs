//! GPU tests of what a recording may name: only the handles its pass declared (this graph's,
//! at the declared version, within the declared mips and layers), and of ownership: executors
//! outlive or predecease their context in any order without touching a destroyed device.

mod common;

use rg_core::*;
use rg_vulkan::{Bindings, DeviceMemory, Error, Executor, MemoryUse, Pass};

fn run(ctx: &rg_vulkan::Context, g: Graph<Pass>, bindings: &Bindings) -> Result<(), Error> {
    let mut ex = Executor::new(ctx).expect("executor");
    let frame = Compiler::new().compile_frame(g, &DeviceMemory::new(ctx)).expect("valid graph");
    ex.run(frame, bindings).map(|_| ())
}

/// Checks: a recording that names an older version than its pass declared is refused before
/// anything is recorded, with an error naming the pass, the resource and both versions; the
/// same graph recording the declared version runs cleanly.
#[test]
fn a_stale_version_at_record_time_is_an_error_naming_both_versions() {
    let Some(ctx) = common::context("stale_version") else { return };
    for stale in [true, false] {
        let mut g: Graph<Pass> = Graph::new(Extent::new(8, 8));
        let b = g.create_buffer("data", BufferDesc::new(256));
        let mut p = g.add_pass("first", QueueKind::Graphics);
        let b1 = p.write(b, Access::CopyDst);
        p.record(Box::new(move |r| r.fill_buffer(b1, 1)));
        let mut p = g.add_pass("second", QueueKind::Graphics);
        let b2 = p.write(b1, Access::CopyDst);
        // v0 is two versions behind what `second` declared (v1 written to v2).
        let named = if stale { b } else { b2 };
        p.record(Box::new(move |r| r.fill_buffer(named, 2)));
        g.export(b2);
        let result = run(&ctx, g, &Bindings::new());
        if stale {
            let e = result.expect_err("a stale handle is refused");
            assert!(matches!(e, Error::StaleHandle { used: 0, .. }), "{e:?}");
            let text = e.to_string();
            for part in ["`second`", "`data` v0", "v1 (written to v2)"] {
                assert!(text.contains(part), "`{text}` names {part}");
            }
        } else {
            result.expect("the declared version records");
        }
    }
    common::assert_clean(&ctx, "stale_version");
}

/// Checks: a handle captured from another graph (a previous frame's) is refused as foreign.
#[test]
fn a_handle_of_another_graph_at_record_time_is_an_error() {
    let Some(ctx) = common::context("foreign_handle") else { return };
    let mut old: Graph<Pass> = Graph::new(Extent::new(8, 8));
    let stolen = old.create_buffer("data", BufferDesc::new(256));
    let mut g: Graph<Pass> = Graph::new(Extent::new(8, 8));
    let b = g.create_buffer("data", BufferDesc::new(256));
    let mut p = g.add_pass("thief", QueueKind::Graphics);
    let b = p.write(b, Access::CopyDst);
    p.record(Box::new(move |r| r.fill_buffer(stolen, 1)));
    g.export(b);
    let e = run(&ctx, g, &Bindings::new()).expect_err("a foreign handle is refused");
    assert!(matches!(e, Error::ForeignHandle { .. }), "{e:?}");
    assert!(e.to_string().contains("`thief`"), "{e}");
    common::assert_clean(&ctx, "foreign_handle");
}

/// Checks: a copy out of a mip level the pass did not declare is an error naming the pass,
/// the image, the level used and what was declared.
#[test]
fn a_mip_outside_the_declared_range_is_an_error() {
    let Some(ctx) = common::context("outside_declared") else { return };
    let mut ex = Executor::new(&ctx).expect("executor");
    let out = ex.create_buffer("readback", 64, MemoryUse::Readback).unwrap();
    let mut g: Graph<Pass> = Graph::new(Extent::new(8, 8));
    let host = ResourceState::host_read(QueueKind::Graphics);
    let rb = g.import_buffer("readback", BufferDesc::new(64), host, host);
    let desc = ImageDesc::new(Format::Rgba8Unorm, Size::absolute(4, 4)).mips(3);
    let img = g.create_image("chain", desc);
    let mut p = g.add_pass("clear", QueueKind::Graphics);
    let img = p.write(img, Access::CopyDst);
    p.record(Box::new(move |r| r.clear_image(img, [1.0; 4])));
    let mut p = g.add_pass("copy", QueueKind::Graphics);
    p.read(img.mip(1), Access::CopySrc);
    let rb = p.write(rb, Access::CopyDst);
    p.record(Box::new(move |r| r.copy_image_to_buffer(img.mip(2), rb)));
    let frame = Compiler::new().compile_frame(g, &DeviceMemory::new(&ctx)).expect("valid");
    let e = ex.run(frame, &Bindings::new().buffer(rb, out)).expect_err("outside the declaration");
    assert!(matches!(e, Error::OutsideDeclared { .. }), "{e:?}");
    let text = e.to_string();
    for part in ["`copy`", "`chain`", "mip 2", "mip 1"] {
        assert!(text.contains(part), "`{text}` names {part}");
    }
    drop(ex);
    common::assert_clean(&ctx, "outside_declared");
}

/// Runs one small frame on `ex` (compiled with the executor's own memory, so it needs no
/// context) and reads its result back.
fn use_executor(ex: &mut Executor) {
    let out = ex.create_buffer("readback", 64, MemoryUse::Readback).unwrap();
    let mut g: Graph<Pass> = Graph::new(Extent::new(8, 8));
    let host = ResourceState::host_read(QueueKind::Graphics);
    let rb = g.import_buffer("readback", BufferDesc::new(64), host, host);
    let mut p = g.add_pass("fill", QueueKind::Graphics);
    let rb = p.write(rb, Access::CopyDst);
    p.record(Box::new(move |r| r.fill_buffer(rb, 0x0102_0304)));
    let memory = ex.memory().clone();
    let frame = Compiler::new().compile_frame(g, &memory).expect("valid");
    ex.run(frame, &Bindings::new().buffer(rb, out)).expect("frame");
    assert_eq!(&ex.read_buffer(out).unwrap()[..4], &0x0102_0304u32.to_le_bytes());
}

/// Checks: a context and two executors made from it, each having run a frame, can be dropped
/// in every order; the device is destroyed by the last of them, with no validation message
/// (the layer reports objects leaked or used after the device is gone). `shutdown` with an
/// executor still alive says so instead of destroying the device under it.
#[test]
fn contexts_and_executors_drop_in_any_order() {
    let orders: [[usize; 3]; 6] =
        [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];
    for order in orders {
        let Some(ctx) = common::context("drop_order") else { return };
        let log = ctx.message_log();
        let mut a = Executor::new(&ctx).expect("executor");
        let mut b = Executor::new(&ctx).expect("executor");
        use_executor(&mut a);
        use_executor(&mut b);
        let (mut ctx, mut a, mut b) = (Some(ctx), Some(a), Some(b));
        for which in order {
            match which {
                0 => drop(ctx.take()),
                1 => drop(a.take()),
                _ => drop(b.take()),
            }
            // What is still alive keeps working, with or without the context.
            for e in [a.as_mut(), b.as_mut()].into_iter().flatten() {
                use_executor(e);
            }
        }
        let problems = log.problems();
        assert!(problems.is_empty(), "order {order:?}: {problems:?}");
    }
    let Some(ctx) = common::context("drop_order") else { return };
    let ex = Executor::new(&ctx).expect("executor");
    let problems = ctx.shutdown();
    assert!(
        problems.iter().any(|m| m.text.contains("still alive")),
        "shutdown says an executor still holds the device: {problems:?}"
    );
    drop(ex);
}

/// Checks: a frame compiled against another memory model (rg-core's `FakeMemory`) is refused
/// before anything is made or recorded, with an error saying how to compile it.
#[test]
fn a_frame_placed_in_another_memory_model_is_refused() {
    let Some(ctx) = common::context("foreign_plan") else { return };
    let mut ex = Executor::new(&ctx).expect("executor");
    let mut g: Graph<Pass> = Graph::new(Extent::new(8, 8));
    let b = g.create_buffer("data", BufferDesc::new(256));
    let mut p = g.add_pass("fill", QueueKind::Graphics);
    let b = p.write(b, Access::CopyDst);
    p.record(Box::new(move |r| r.fill_buffer(b, 1)));
    g.export(b);
    let frame = Compiler::new().compile_frame(g, &FakeMemory::default()).expect("valid");
    let e = ex.run(frame, &Bindings::new()).expect_err("a plan for another memory model");
    assert!(matches!(e, Error::ForeignPlan), "{e:?}");
    assert!(e.to_string().contains("Executor::memory()"), "{e}");
    drop(ex);
    common::assert_clean(&ctx, "foreign_plan");
}

/// Checks: an import declared with 4 layers, bound to a persistent image of one, is refused
/// naming both, before any barrier reaches the layers the image lacks.
#[test]
fn an_import_bound_to_an_image_of_another_shape_is_refused() {
    let Some(ctx) = common::context("import_shape") else { return };
    let mut ex = Executor::new(&ctx).expect("executor");
    let target = ex.create_image("persistent", Format::Rgba8Unorm, 16, 16).unwrap();
    let mut g: Graph<Pass> = Graph::new(Extent::new(16, 16));
    let state = ResourceState::shader_read(QueueKind::Graphics, StageMask::FRAGMENT_SHADER);
    let desc = ImageDesc::new(Format::Rgba8Unorm, Size::FULL).layers(4);
    let img = g.import_image("cascades", desc, state, state);
    let mut p = g.add_pass("clear", QueueKind::Graphics);
    let img2 = p.write(img, Access::CopyDst);
    p.record(Box::new(move |r| r.clear_image(img2, [0.0; 4])));
    let frame = Compiler::new().compile_frame(g, ex.memory()).expect("valid");
    let e = ex.run(frame, &Bindings::new().image(img, target)).expect_err("the shapes differ");
    assert!(matches!(e, Error::Import { .. }), "{e:?}");
    let text = e.to_string();
    for part in ["`cascades`", "4 layers", "`persistent`"] {
        assert!(text.contains(part), "`{text}` names {part}");
    }
    drop(ex);
    common::assert_clean(&ctx, "import_shape");
}

/// Checks: a command given the whole image while its pass declared two parts of it is refused
/// (which part was meant must be said), and a copy of several mip levels at once is refused.
#[test]
fn ambiguous_and_multi_mip_copies_are_errors() {
    let Some(ctx) = common::context("ambiguous_part") else { return };
    for whole in [true, false] {
        let mut ex = Executor::new(&ctx).expect("executor");
        let out = ex.create_buffer("readback", 64, MemoryUse::Readback).unwrap();
        let mut g: Graph<Pass> = Graph::new(Extent::new(8, 8));
        let host = ResourceState::host_read(QueueKind::Graphics);
        let rb = g.import_buffer("readback", BufferDesc::new(64), host, host);
        let desc = ImageDesc::new(Format::Rgba8Unorm, Size::absolute(4, 4)).mips(3);
        let img = g.create_image("chain", desc);
        let mut p = g.add_pass("clear", QueueKind::Graphics);
        let img = p.write(img, Access::CopyDst);
        p.record(Box::new(move |r| r.clear_image(img, [1.0; 4])));
        let mut p = g.add_pass("copy", QueueKind::Graphics);
        if whole {
            p.read(img.mip(0), Access::CopySrc);
            p.read(img.mip(1), Access::CopySrc);
        } else {
            p.read(img.mips(0, 2), Access::CopySrc);
        }
        let rb = p.write(rb, Access::CopyDst);
        let named = if whole { img } else { img.mips(0, 2) };
        p.record(Box::new(move |r| r.copy_image_to_buffer(named, rb)));
        let frame = Compiler::new().compile_frame(g, ex.memory()).expect("valid");
        let e = ex.run(frame, &Bindings::new().buffer(rb, out)).expect_err("refused");
        let text = e.to_string();
        if whole {
            assert!(matches!(e, Error::OutsideDeclared { .. }), "{e:?}");
            assert!(text.contains("several parts"), "{text}");
        } else {
            assert!(matches!(e, Error::Misuse { .. }), "{e:?}");
            assert!(text.contains("one mip level") && text.contains("mips 0..2"), "{text}");
        }
    }
    common::assert_clean(&ctx, "ambiguous_part");
}

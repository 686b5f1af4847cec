//! GPU tests of commands recorded wrongly: every one is an error naming the pass and what is
//! wrong, recorded nowhere, so the device never sees it (no validation message, no fault, no
//! hang); and graphs that are right run clean even where they use an image only for copies.

mod common;

use common::pass;
use rg_core::*;
use rg_vulkan::{
    Bindings, DeviceMemory, Error, Executor, ExecutorConfig, MemoryUse, Pass, Recorder,
};
use std::path::PathBuf;

const C: ShaderStages = ShaderStages::COMPUTE;

/// The tests' shaders, written once (tests run on several threads; a file being rewritten while
/// another test compiles it would be read half-written).
fn shader_root() -> PathBuf {
    static ROOT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    ROOT.get_or_init(write_shaders).clone()
}

fn write_shaders() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rg-misuse-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = "layout(set = 0, binding = 0) writeonly buffer Out { uint o[]; };\n";
    let files = [
        ("noop.comp", "void main() {}\n".to_owned()),
        ("store.comp", format!("{out}void main() {{ o[0] = 1u; }}\n")),
        (
            "pc.comp",
            format!(
                "{out}layout(push_constant) uniform P {{ uint a; uint b; }} p;\n\
                 void main() {{ o[0] = p.a + p.b; }}\n"
            ),
        ),
        // 48 words: 192 bytes of push constants, over the 128 bytes lavapipe (and many devices)
        // has.
        (
            "big_push.comp",
            format!(
                "{out}layout(push_constant) uniform P {{ uint w[48]; }} p;\n\
                 void main() {{ o[0] = p.w[47]; }}\n"
            ),
        ),
    ];
    for (name, body) in files {
        let source = format!("#version 450\nlayout(local_size_x = 1) in;\n{body}");
        std::fs::write(dir.join(name), source).unwrap();
    }
    dir
}

/// Runs a frame that `build` declares (given an imported 1024-byte host-readable buffer) and
/// returns the words of that buffer after the frame, or the frame's error.
fn frame(
    ctx: &rg_vulkan::Context,
    build: impl FnOnce(&mut Graph<Pass>, BufferHandle),
) -> Result<Vec<u32>, Error> {
    let config = ExecutorConfig { shader_root: shader_root(), ..ExecutorConfig::default() };
    let mut ex = Executor::with_config(ctx, config).expect("executor");
    let out = ex.create_buffer("sink", 1024, MemoryUse::Readback).unwrap();
    let mut g: Graph<Pass> = Graph::new(Extent::new(16, 16));
    let host = ResourceState::host_read(QueueKind::Graphics);
    let sink = g.import_buffer("sink", BufferDesc::new(1024), host, host);
    build(&mut g, sink);
    let frame = match Compiler::new().compile_frame(g, &DeviceMemory::new(ctx)) {
        Ok(f) => f,
        Err(e) => panic!("{e}"),
    };
    ex.run(frame, &Bindings::new().buffer(sink, out))?;
    let bytes = ex.read_buffer(out).unwrap();
    Ok(bytes.chunks(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect())
}

/// A frame of one pass that declares `access` on a transient buffer of `bytes` bytes (written
/// first by a producer when the access reads) and records `f`; returns the frame's error.
fn buffer_misuse(
    ctx: &rg_vulkan::Context,
    bytes: u64,
    access: Access,
    f: impl FnOnce(&mut Recorder<'_>, BufferHandle, BufferHandle) -> Result<(), Error> + 'static,
) -> Error {
    let e = frame(ctx, |g, sink| {
        let mut data = g.create_buffer("data", BufferDesc::new(bytes));
        if !access.writes() {
            let mut p = g.add_pass("producer", QueueKind::Graphics);
            data = p.write(data, Access::CopyDst);
            let first = data;
            p.record(pass(move |r| r.fill_buffer(first, 0)));
        }
        let mut p = g.add_pass("culprit", QueueKind::Graphics);
        if access.writes() {
            data = p.write(data, access);
        } else {
            p.read(data, access);
        }
        let sink = p.write(sink, Access::CopyDst);
        p.record(pass(move |r| f(r, data, sink)));
    })
    .expect_err("refused");
    let text = e.to_string();
    assert!(text.contains("`culprit`"), "the error names the pass: {text}");
    assert_eq!(text.matches("`culprit`").count(), 1, "the pass is named once: {text}");
    e
}

/// The pass an error of a recorded command names.
fn pass_of(e: &Error) -> Option<&str> {
    match e {
        Error::OutOfBounds { pass, .. }
        | Error::OverLimit { pass, .. }
        | Error::PushConstants { pass, .. }
        | Error::NotInFrame { pass, .. }
        | Error::Misuse { pass, .. }
        | Error::Binding { pass, .. } => Some(pass),
        _ => None,
    }
}

/// Checks: indirect arguments outside their buffer or misaligned, a copy longer than its
/// buffers, more workgroups than the device has, and a push-constant block over the device's
/// limit are errors; the frame after each runs, and the validation layers saw nothing.
#[test]
fn commands_that_would_fault_the_device_are_errors() {
    let Some(ctx) = common::context("device_faults") else { return };
    let args = Access::IndirectArgs;
    let e = buffer_misuse(&ctx, 16, args, |r, data, _| {
        r.compute("noop.comp", &[])?;
        r.dispatch_indirect(data, 8)
    });
    assert!(matches!(e, Error::OutOfBounds { .. }) && pass_of(&e) == Some("culprit"), "{e}");
    let e = e.to_string();
    assert!(
        e.contains("dispatch arguments in `data`") && e.contains("do not fit in its 16"),
        "{e}"
    );
    let e = buffer_misuse(&ctx, 16, args, |r, data, _| {
        r.compute("noop.comp", &[])?;
        r.dispatch_indirect(data, 2)
    });
    assert!(matches!(e, Error::OutOfBounds { .. }) && pass_of(&e) == Some("culprit"), "{e}");
    let e = e.to_string();
    assert!(e.contains("offset 2 is not a multiple of 4"), "{e}");
    // Ten draws from a buffer that holds one (the range is checked before rendering is).
    let e = buffer_misuse(&ctx, 16, args, |r, data, _| r.draw_indirect(data, 0, 10));
    assert!(matches!(e, Error::OutOfBounds { .. }) && pass_of(&e) == Some("culprit"), "{e}");
    let e = e.to_string();
    assert!(e.contains("10 × 16 bytes from offset 0 do not fit in its 16 bytes"), "{e}");
    let e = buffer_misuse(&ctx, 1024, Access::CopySrc, |r, data, sink| {
        r.copy_buffer(data, sink, Some(1 << 20))
    });
    assert!(matches!(e, Error::OutOfBounds { .. }) && pass_of(&e) == Some("culprit"), "{e}");
    let e = e.to_string();
    assert!(e.contains("a copy of 1048576 bytes from `data` (1024 bytes)"), "{e}");
    let e = buffer_misuse(&ctx, 64, Access::StorageWrite(C), |r, _, _| {
        r.compute("noop.comp", &[])?;
        r.dispatch(1 << 30, 1, 1)
    });
    assert!(matches!(e, Error::OverLimit { .. }) && pass_of(&e) == Some("culprit"), "{e}");
    let e = e.to_string();
    assert!(e.contains("workgroups is over the device's limit"), "{e}");
    let e = frame(&ctx, |g, sink| {
        let mut p = g.add_pass("culprit", QueueKind::Compute);
        let sink = p.write(sink, Access::StorageWrite(C));
        p.record(pass(move |r| {
            r.compute("big_push.comp", &[])?;
            r.bind_buffer(0, sink)
        }));
    })
    .expect_err("refused");
    assert!(matches!(e, Error::Shader { .. }), "{e}");
    assert!(e.to_string().contains("push-constant block of 192 bytes is over"), "{e}");
    // Push constants the shader reads, never (or only partly) set.
    for pushed in [0usize, 1] {
        let e = frame(&ctx, move |g, sink| {
            let mut p = g.add_pass("culprit", QueueKind::Compute);
            let sink = p.write(sink, Access::StorageWrite(C));
            p.record(pass(move |r| {
                r.compute("pc.comp", &[])?;
                r.bind_buffer(0, sink)?;
                r.push_u32(&[5, 6][..pushed])?;
                r.dispatch(1, 1, 1)
            }));
        })
        .expect_err("refused");
        assert!(matches!(e, Error::PushConstants { .. }) && pass_of(&e) == Some("culprit"), "{e}");
        let e = e.to_string();
        let want = format!("declares 8 bytes of push constants, but {} were pushed", pushed * 4);
        assert!(e.contains(&want), "{e}");
    }
    // All of them pushed: the frame runs.
    let words = frame(&ctx, |g, sink| {
        let mut p = g.add_pass("sum", QueueKind::Compute);
        let sink = p.write(sink, Access::StorageWrite(C));
        p.record(pass(move |r| {
            r.compute("pc.comp", &[])?;
            r.bind_buffer(0, sink)?;
            r.push_u32(&[5, 6])?;
            r.dispatch(1, 1, 1)
        }));
    })
    .expect("frame");
    assert_eq!(words[0], 11);
    common::assert_clean(&ctx, "device_faults");
}

/// Checks: an image given where a buffer is wanted (fill, copy, binding by index) is an error,
/// not a null buffer handed to the device; a copy out of a multisampled image is an error; an
/// image format the device cannot use as the accesses ask is an error naming the image; and
/// persistent images of zero or too many texels are errors.
#[test]
fn resources_of_the_wrong_kind_or_format_are_errors() {
    let Some(ctx) = common::context("wrong_kind") else { return };
    let rgba = |w| ImageDesc::new(Format::Rgba8Unorm, Size::absolute(w, w));
    let e = frame(&ctx, |g, sink| {
        let img = g.create_image("picture", rgba(4));
        let mut p = g.add_pass("culprit", QueueKind::Graphics);
        let img = p.write(img, Access::CopyDst);
        let _ = p.write(sink, Access::CopyDst);
        p.record(pass(move |r| r.fill(img.index(), 0)));
    })
    .expect_err("refused");
    assert!(matches!(e, Error::NotInFrame { .. }) && pass_of(&e) == Some("culprit"), "{e}");
    let e = e.to_string();
    assert!(e.contains("`picture` is not a buffer of this frame"), "{e}");

    let e = frame(&ctx, |g, sink| {
        let img = g.create_image("picture", rgba(4));
        let mut p = g.add_pass("culprit", QueueKind::Compute);
        let img = p.write(img, Access::StorageWrite(C));
        let _ = p.write(sink, Access::CopyDst);
        p.record(pass(move |r| {
            r.compute("store.comp", &[])?;
            r.bind_buffer_index(0, img.index())
        }));
    })
    .expect_err("refused");
    assert!(matches!(e, Error::NotInFrame { .. }) && pass_of(&e) == Some("culprit"), "{e}");
    let e = e.to_string();
    assert!(e.contains("`culprit`") && e.contains("`picture` is not a buffer"), "{e}");

    let e = frame(&ctx, |g, sink| {
        let mut d = rgba(4);
        d.samples = 4;
        let img = g.create_image("msaa", d);
        let mut p = g.add_pass("clear", QueueKind::Graphics);
        let img = p.write(img, Access::CopyDst);
        p.record(pass(move |r| r.clear_image(img, [0.0; 4])));
        let mut p = g.add_pass("culprit", QueueKind::Graphics);
        p.read(img, Access::CopySrc);
        let sink = p.write(sink, Access::CopyDst);
        p.record(pass(move |r| r.copy_image_to_buffer(img, sink)));
    })
    .expect_err("refused");
    assert!(matches!(e, Error::Misuse { .. }) && pass_of(&e) == Some("culprit"), "{e}");
    let e = e.to_string();
    assert!(e.contains("`msaa` has 4 samples a texel"), "{e}");

    // sRGB formats take no storage writes on lavapipe (nor on most devices).
    let e = frame(&ctx, |g, sink| {
        let img = g.create_image("srgb", ImageDesc::new(Format::Rgba8Srgb, Size::absolute(4, 4)));
        let mut p = g.add_pass("culprit", QueueKind::Compute);
        let _ = p.write(img, Access::StorageWrite(C));
        let _ = p.write(sink, Access::CopyDst);
        p.record(pass(|_| Ok(())));
    })
    .expect_err("refused");
    assert!(matches!(&e, Error::InvalidImage { label, .. } if label == "srgb"), "{e}");
    let e = e.to_string();
    assert!(e.contains("image `srgb`") && e.contains("as storage"), "{e}");

    let config = ExecutorConfig { shader_root: shader_root(), ..ExecutorConfig::default() };
    let mut ex = Executor::with_config(&ctx, config).expect("executor");
    for (w, h) in [(0, 0), (100_000, 4)] {
        let e = ex.create_image("huge", Format::Rgba8Unorm, w, h).expect_err("refused");
        assert!(matches!(&e, Error::InvalidImage { label, .. } if label == "huge"), "{e}");
        assert!(e.to_string().contains(&format!("image `huge`: {w}×{h} texels")), "{e}");
    }
    drop(ex);
    common::assert_clean(&ctx, "wrong_kind");
}

/// Checks: an image that is only cleared and copied (no view can be made of it) runs clean and
/// reads back what was cleared.
#[test]
fn images_used_only_for_copies_run_clean() {
    let Some(ctx) = common::context("copy_only") else { return };
    let words = frame(&ctx, |g, sink| {
        let img = g.create_image("plain", ImageDesc::new(Format::R32Uint, Size::absolute(16, 16)));
        let mut p = g.add_pass("clear", QueueKind::Graphics);
        let img = p.write(img, Access::CopyDst);
        p.record(pass(move |r| r.clear_image(img, [f32::from_bits(7), 0.0, 0.0, 0.0])));
        let mut p = g.add_pass("copy", QueueKind::Graphics);
        p.read(img, Access::CopySrc);
        let sink = p.write(sink, Access::CopyDst);
        p.record(pass(move |r| r.copy_image_to_buffer(img, sink)));
    })
    .expect("frame");
    assert!(words.iter().all(|&w| w == 7), "{:?}", &words[..4]);
    common::assert_clean(&ctx, "copy_only");
}

//! GPU tests of the recording API with shaders: real compute results read back, and every way a
//! pass can bind wrongly is an error naming the pass, the binding and the resource.

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
    let dir = std::env::temp_dir().join(format!("rg-recording-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("fill.comp"),
        "#version 450\nlayout(local_size_x = 64) in;\n\
         layout(set = 0, binding = 0) writeonly buffer Out { uint o[]; };\n\
         layout(push_constant) uniform P { uint base; } p;\n\
         void main() { uint i = gl_GlobalInvocationID.x; o[i] = i * 3u + p.base; }\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("image.comp"),
        "#version 450\nlayout(local_size_x = 8, local_size_y = 8) in;\n\
         layout(set = 0, binding = 0) readonly buffer In { uint v[]; };\n\
         layout(set = 0, binding = 1, r32ui) uniform writeonly uimage2D img;\n\
         void main() { ivec2 p = ivec2(gl_GlobalInvocationID.xy);\n\
         imageStore(img, p, uvec4(v[p.y * 16 + p.x] + 1000u)); }\n",
    )
    .unwrap();
    std::fs::write(dir.join("broken.comp"), "#version 450\nvoid main() {\n  nope();\n}\n").unwrap();
    dir
}

fn executor(ctx: &rg_vulkan::Context) -> Executor {
    let config = ExecutorConfig { shader_root: shader_root(), ..ExecutorConfig::default() };
    Executor::with_config(ctx, config).expect("executor")
}

fn words(bytes: &[u8]) -> Vec<u32> {
    bytes.chunks(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
}

/// Checks: a compute pass fills a transient buffer from its shader and push constants, a second
/// compute pass turns it into an R32Uint storage image, a copy reads the image back; every texel
/// holds what the shaders compute, with no validation message.
#[test]
fn compute_results_are_read_back_exactly() {
    let Some(ctx) = common::context("compute_results") else { return };
    let mut ex = executor(&ctx);
    let out = ex.create_buffer("readback", 16 * 16 * 4, MemoryUse::Readback).unwrap();
    let mut g: Graph<Pass> = Graph::new(Extent::new(16, 16));
    let host = ResourceState::host_read(QueueKind::Graphics);
    let rb = g.import_buffer("readback", BufferDesc::new(1024), host, host);
    let values = g.create_buffer("values", BufferDesc::new(1024));
    let img = g.create_image("img", ImageDesc::new(Format::R32Uint, Size::absolute(16, 16)));
    let mut p = g.add_pass("fill", QueueKind::Compute);
    let values = p.write(values, Access::StorageWrite(C));
    p.record(pass(move |r| {
        r.compute("fill.comp", &[])?;
        r.bind_buffer(0, values)?;
        r.push_u32(&[7])?;
        r.dispatch_threads(256, 1, 1)
    }));
    let mut p = g.add_pass("to image", QueueKind::Compute);
    p.read(values, Access::StorageRead(C));
    let img = p.write(img, Access::StorageWrite(C));
    p.record(pass(move |r| {
        r.compute("image.comp", &[])?;
        r.bind_buffer(0, values)?;
        r.bind_image(1, img)?;
        r.dispatch_threads(16, 16, 1)
    }));
    let mut p = g.add_pass("copy", QueueKind::Graphics);
    p.read(img, Access::CopySrc);
    let rb1 = p.write(rb, Access::CopyDst);
    p.record(pass(move |r| r.copy_image_to_buffer(img, rb1)));
    let frame = Compiler::new().compile_frame(g, &DeviceMemory::new(&ctx)).expect("valid");
    assert!(oracle::check(frame.plan()).is_empty());
    ex.run(frame, &Bindings::new().buffer(rb, out)).expect("frame");
    let got = words(&ex.read_buffer(out).unwrap());
    let want: Vec<u32> = (0..256).map(|i| i * 3 + 7 + 1000).collect();
    assert_eq!(got, want);
    drop(ex);
    common::assert_clean(&ctx, "compute_results");
}

/// Runs a one-pass graph whose pass records `f` on a transient buffer declared with `declared`
/// (or not declared when `None`), and returns the frame's error.
fn bind_error(
    ctx: &rg_vulkan::Context,
    declared: Option<Access>,
    f: impl FnOnce(&mut Recorder<'_>, BufferHandle) -> Result<(), Error> + 'static,
) -> Error {
    let mut ex = executor(ctx);
    let out = ex.create_buffer("sink", 1024, MemoryUse::Readback).unwrap();
    let mut g: Graph<Pass> = Graph::new(Extent::new(16, 16));
    let host = ResourceState::host_read(QueueKind::Graphics);
    let sink = g.import_buffer("sink", BufferDesc::new(1024), host, host);
    let mut data = g.create_buffer("data", BufferDesc::new(1024));
    if declared.is_some_and(|a| !a.writes()) {
        // Give the read something to read.
        let mut q = g.add_pass("producer", QueueKind::Compute);
        data = q.write(data, Access::StorageWrite(C));
        q.record(pass(|_| Ok(())));
    }
    let mut p = g.add_pass("culprit", QueueKind::Graphics);
    let _ = p.write(sink, Access::StorageWrite(C));
    if let Some(a) = declared {
        if a.writes() {
            data = p.write(data, a);
        } else {
            p.read(data, a);
        }
    }
    p.record(pass(move |r| f(r, data)));
    let frame = match Compiler::new().compile_frame(g, &DeviceMemory::new(ctx)) {
        Ok(f) => f,
        Err(e) => panic!("{e}"),
    };
    let e = ex.run(frame, &Bindings::new().buffer(sink, out)).expect_err("refused");
    drop(ex);
    e
}

/// Checks: binding a buffer the pass did not declare, binding a written storage buffer the pass
/// declared read-only, binding to a binding the shader lacks, leaving a binding unbound, and a
/// shader that does not compile are each an error naming what is wrong; no message from the
/// validation layers (nothing wrong reaches the device).
#[test]
fn wrong_bindings_are_errors_naming_pass_binding_and_resource() {
    let Some(ctx) = common::context("wrong_bindings") else { return };
    let e = bind_error(&ctx, None, |r, data| {
        r.compute("fill.comp", &[])?;
        r.bind_buffer(0, data)
    });
    let text = e.to_string();
    assert!(matches!(e, Error::Binding { binding: 0, .. }), "{text}");
    assert!(
        text.contains("`culprit`") && text.contains("`data`") && text.contains("nothing"),
        "{text}"
    );

    let e = bind_error(&ctx, Some(Access::StorageRead(C)), |r, data| {
        r.compute("fill.comp", &[])?;
        r.bind_buffer(0, data)
    });
    assert!(matches!(&e, Error::Binding { pass, binding: 0, .. } if pass == "culprit"), "{e}");
    let e = e.to_string();
    assert!(e.contains("binding 0 (`Out`)") && e.contains("storage-r(compute)"), "{e}");

    let e = bind_error(&ctx, Some(Access::StorageWrite(ShaderStages::FRAGMENT)), |r, data| {
        r.compute("fill.comp", &[])?;
        r.bind_buffer(0, data)
    });
    assert!(matches!(&e, Error::Binding { pass, binding: 0, .. } if pass == "culprit"), "{e}");
    let e = e.to_string();
    assert!(e.contains("compute shader") && e.contains("storage-w(fragment)"), "{e}");

    let e = bind_error(&ctx, Some(Access::StorageWrite(C)), |r, data| {
        r.compute("fill.comp", &[])?;
        r.bind_buffer(3, data)
    });
    assert!(matches!(&e, Error::Binding { pass, binding: 3, .. } if pass == "culprit"), "{e}");
    let e = e.to_string();
    assert!(e.contains("binding 3") && e.contains("does not exist in `fill.comp`"), "{e}");

    let e = bind_error(&ctx, Some(Access::StorageWrite(C)), |r, _| {
        r.compute("fill.comp", &[])?;
        r.dispatch(1, 1, 1)
    });
    assert!(matches!(&e, Error::Binding { pass, binding: 0, .. } if pass == "culprit"), "{e}");
    let e = e.to_string();
    assert!(e.contains("binding 0 (`Out`) of `fill.comp` is not bound"), "{e}");

    let e = bind_error(&ctx, Some(Access::StorageWrite(C)), |r, _| r.compute("broken.comp", &[]));
    assert!(matches!(&e, Error::Shader { line: 3, .. }), "{e}");
    assert!(e.to_string().contains("broken.comp:3:"), "{e}");
    common::assert_clean(&ctx, "wrong_bindings");
}

/// Checks: a history (temporal) buffer carries over from frame to frame. Each frame a compute
/// pass adds 1 to every word of the history in place, and a copy reads it back: after frame `n`
/// the words hold `n` (the history starts as zeros, filled by a clear in the first frame).
/// Three frames in flight at most, no validation message.
#[test]
fn history_buffers_carry_over_between_frames() {
    let Some(ctx) = common::context("history") else { return };
    let root = shader_root();
    std::fs::write(
        root.join("inc.comp"),
        "#version 450\nlayout(local_size_x = 64) in;\n\
         layout(set = 0, binding = 0) buffer H { uint h[]; };\n\
         void main() { h[gl_GlobalInvocationID.x] += 1u; }\n",
    )
    .unwrap();
    let mut ex = executor(&ctx);
    let out = ex.create_buffer("readback", 256, MemoryUse::Readback).unwrap();
    for frame in 1..=3u32 {
        let mut g: Graph<Pass> = Graph::new(Extent::new(16, 16));
        let host = ResourceState::host_read(QueueKind::Graphics);
        let rb = g.import_buffer("readback", BufferDesc::new(256), host, host);
        let mut history = g.temporal_buffer("history", BufferDesc::new(256));
        if frame == 1 {
            let mut p = g.add_pass("clear", QueueKind::Graphics);
            history = p.write(history, Access::CopyDst);
            p.record(pass(move |r| r.fill_buffer(history, 0)));
        }
        let mut p = g.add_pass("increment", QueueKind::Compute);
        let history = p.write(history, Access::StorageReadWrite(C));
        p.record(pass(move |r| {
            r.compute("inc.comp", &[])?;
            r.bind_buffer(0, history)?;
            r.dispatch_threads(64, 1, 1)
        }));
        let mut p = g.add_pass("copy", QueueKind::Graphics);
        p.read(history, Access::CopySrc);
        let rb1 = p.write(rb, Access::CopyDst);
        p.record(pass(move |r| r.copy_buffer(history, rb1, None)));
        let compiled = Compiler::new().compile_frame(g, &DeviceMemory::new(&ctx)).expect("valid");
        assert!(oracle::check(compiled.plan()).is_empty());
        ex.run(compiled, &Bindings::new().buffer(rb, out)).expect("frame");
        let got = words(&ex.read_buffer(out).unwrap());
        assert!(got.iter().all(|&w| w == frame), "frame {frame}: {:?}", &got[..4]);
    }
    drop(ex);
    common::assert_clean(&ctx, "history");
}

/// Checks: passes that use one pipeline in a row (its bind is recorded once per command
/// buffer) still each write with their own bindings and push constants; with timestamps and
/// labels switched off for a frame, that frame reports no GPU times and the next one, switched
/// back on, does; no validation message.
#[test]
fn passes_sharing_a_pipeline_keep_their_own_bindings_and_timing_switches_per_frame() {
    let Some(ctx) = common::context("shared_pipeline") else { return };
    let mut ex = executor(&ctx);
    let outs: Vec<_> = (0..3)
        .map(|k| ex.create_buffer(&format!("rb{k}"), 256, MemoryUse::Readback).unwrap())
        .collect();
    for (frame, timed) in [(0u32, false), (1, true)] {
        ex.set_timestamps(timed);
        ex.set_labels(timed);
        let mut g: Graph<Pass> = Graph::new(Extent::new(16, 16));
        let host = ResourceState::host_read(QueueKind::Graphics);
        let mut bindings = Bindings::new();
        for (k, &out) in outs.iter().enumerate() {
            let rb = g.import_buffer(&format!("rb{k}"), BufferDesc::new(256), host, host);
            let values = g.create_buffer(&format!("values{k}"), BufferDesc::new(256));
            let mut p = g.add_pass(&format!("fill{k}"), QueueKind::Compute);
            let values = p.write(values, Access::StorageWrite(C));
            let base = 100 * frame + k as u32;
            p.record(pass(move |r| {
                r.compute("fill.comp", &[])?;
                r.bind_buffer(0, values)?;
                r.push_u32(&[base])?;
                r.dispatch_threads(64, 1, 1)
            }));
            let mut p = g.add_pass(&format!("copy{k}"), QueueKind::Graphics);
            p.read(values, Access::CopySrc);
            let rb1 = p.write(rb, Access::CopyDst);
            p.record(pass(move |r| r.copy_buffer(values, rb1, None)));
            bindings = bindings.buffer(rb, out);
        }
        let compiled = Compiler::new().compile_frame(g, ex.memory()).expect("valid");
        ex.run(compiled, &bindings).expect("frame");
        ex.wait_idle().unwrap();
        for (k, &out) in outs.iter().enumerate() {
            let got = words(&ex.read_buffer(out).unwrap());
            let want: Vec<u32> = (0..64).map(|i| i * 3 + 100 * frame + k as u32).collect();
            assert_eq!(got, want, "frame {frame}, pass fill{k}");
        }
        let gpu = ex.take_gpu_frames();
        let timed_passes: usize = gpu.iter().map(|f| f.passes.len()).sum();
        if timed && ctx.capabilities.timestamps {
            assert_eq!(timed_passes, 6, "frame {frame}: every pass timed");
        } else {
            assert_eq!(timed_passes, 0, "frame {frame}: timestamps off");
        }
    }
    drop(ex);
    common::assert_clean(&ctx, "shared_pipeline");
}

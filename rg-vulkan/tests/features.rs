//! GPU tests of format and feature corners: a depth-stencil image sampled through its depth
//! aspect, and a shader that needs a device feature the device may lack.

mod common;

use rg_core::*;
use rg_vulkan::{
    Bindings, DeviceMemory, Error, Executor, ExecutorConfig, MemoryUse, Pass, Rendering, Sampler,
};
use std::path::PathBuf;

const C: ShaderStages = ShaderStages::COMPUTE;

fn shader_root() -> PathBuf {
    static ROOT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    ROOT.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("rg-features-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let files = [
            (
                "sample_depth.comp",
                "#version 450\nlayout(local_size_x = 16, local_size_y = 16) in;\n\
                 layout(set = 0, binding = 0) uniform texture2D depth;\n\
                 layout(set = 0, binding = 1) uniform sampler nearest;\n\
                 layout(set = 0, binding = 2) writeonly buffer Out { float o[]; };\n\
                 void main() { ivec2 p = ivec2(gl_GlobalInvocationID.xy);\n\
                 o[p.y * 16 + p.x] = texelFetch(sampler2D(depth, nearest), p, 0).r; }\n",
            ),
            (
                "formatless.comp",
                "#version 450\n#extension GL_EXT_shader_image_load_formatted : require\n\
                 layout(local_size_x = 8, local_size_y = 8) in;\n\
                 layout(set = 0, binding = 0) uniform readonly image2D src;\n\
                 layout(set = 0, binding = 1) writeonly buffer Out { float o[]; };\n\
                 void main() { ivec2 p = ivec2(gl_GlobalInvocationID.xy);\n\
                 o[p.y * 8 + p.x] = imageLoad(src, p).r; }\n",
            ),
            (
                "one_layer.comp",
                "#version 450\nlayout(local_size_x = 8, local_size_y = 8) in;\n\
                 layout(set = 0, binding = 0) uniform texture2D layer;\n\
                 layout(set = 0, binding = 1) uniform sampler nearest;\n\
                 layout(set = 0, binding = 2) writeonly buffer Out { float o[]; };\n\
                 void main() { ivec2 p = ivec2(gl_GlobalInvocationID.xy);\n\
                 o[p.y * 8 + p.x] = texelFetch(sampler2D(layer, nearest), p, 0).r; }\n",
            ),
        ];
        for (name, text) in files {
            std::fs::write(dir.join(name), text).expect("shader file");
        }
        dir
    })
    .clone()
}

fn executor(ctx: &rg_vulkan::Context) -> Executor {
    let config = ExecutorConfig { shader_root: shader_root(), ..ExecutorConfig::default() };
    Executor::with_config(ctx, config).expect("executor")
}

/// Checks: a D24UnormS8Uint image cleared to depth 0.25 as an attachment (both aspects) and
/// then sampled in compute (through a view of its depth aspect alone, as Vulkan requires for
/// sampling) reads back 0.25 at every texel, with no validation message.
#[test]
fn a_depth_stencil_image_is_sampled_through_its_depth_aspect() {
    let Some(ctx) = common::context("depth_stencil_sampled") else { return };
    let mut ex = executor(&ctx);
    let out = ex.create_buffer("readback", 16 * 16 * 4, MemoryUse::Readback).unwrap();
    let mut g: Graph<Pass> = Graph::new(Extent::new(16, 16));
    let host = ResourceState::host_read(QueueKind::Graphics);
    let rb = g.import_buffer("readback", BufferDesc::new(16 * 16 * 4), host, host);
    let depth = g.create_image("ds", ImageDesc::new(Format::D24UnormS8Uint, Size::FULL));
    let values = g.create_buffer("values", BufferDesc::new(16 * 16 * 4));
    let mut p = g.add_pass("clear", QueueKind::Graphics);
    let depth = p.write(depth, Access::DepthWrite);
    p.record(Box::new(|r| {
        r.begin_rendering(Rendering { clear_color: None, clear_depth: Some(0.25) })?;
        r.end_rendering();
        Ok(())
    }));
    let mut p = g.add_pass("sample", QueueKind::Compute);
    p.read(depth, Access::Sampled(C));
    let values = p.write(values, Access::StorageWrite(C));
    p.record(Box::new(move |r| {
        r.compute("sample_depth.comp", &[])?;
        r.bind_image(0, depth)?;
        r.bind_sampler(1, Sampler::Nearest)?;
        r.bind_buffer(2, values)?;
        r.dispatch_threads(16, 16, 1)
    }));
    let mut p = g.add_pass("copy", QueueKind::Graphics);
    p.read(values, Access::CopySrc);
    let rb = p.write(rb, Access::CopyDst);
    p.record(Box::new(move |r| r.copy_buffer(values, rb, None)));
    let frame = Compiler::new().compile_frame(g, &DeviceMemory::new(&ctx)).expect("valid");
    match ex.run(frame, &Bindings::new().buffer(rb, out)) {
        Ok(_) => {
            let bytes = ex.read_buffer(out).unwrap();
            for c in bytes.chunks(4) {
                let v = f32::from_le_bytes([c[0], c[1], c[2], c[3]]);
                // 24-bit unorm: 0.25 is stored as the nearest multiple of 1 / (2^24 - 1).
                assert!((v - 0.25).abs() < 1e-6, "read {v}, want 0.25");
            }
        }
        // A device without the format for these uses says so, naming the image.
        Err(e @ Error::InvalidImage { .. }) => {
            assert!(e.to_string().contains("`ds`"), "{e}");
            eprintln!("depth_stencil_sampled: this device cannot sample D24UnormS8Uint: {e}");
        }
        Err(e) => panic!("{e}"),
    }
    drop(ex);
    common::assert_clean(&ctx, "depth_stencil_sampled");
}

/// Checks: a shader that reads a storage image declared without a format runs where the
/// device has `shaderStorageImageReadWithoutFormat`, and is an error naming the feature and the
/// shader where it does not (lavapipe lacks it), before anything reaches the device.
#[test]
fn a_formatless_storage_read_needs_the_device_feature() {
    let Some(ctx) = common::context("formatless_read") else { return };
    let has = ctx.capabilities.storage_read_without_format;
    let mut ex = executor(&ctx);
    let mut g: Graph<Pass> = Graph::new(Extent::new(8, 8));
    let img = g.create_image("src", ImageDesc::new(Format::R32Float, Size::FULL));
    let out = g.create_buffer("out", BufferDesc::new(8 * 8 * 4));
    let mut p = g.add_pass("fill", QueueKind::Graphics);
    let img = p.write(img, Access::CopyDst);
    p.record(Box::new(move |r| r.clear_image(img, [0.5; 4])));
    let mut p = g.add_pass("load", QueueKind::Compute);
    p.read(img, Access::StorageRead(C));
    let out = p.write(out, Access::StorageWrite(C));
    p.record(Box::new(move |r| {
        r.compute("formatless.comp", &[])?;
        r.bind_image(0, img)?;
        r.bind_buffer(1, out)?;
        r.dispatch_threads(8, 8, 1)
    }));
    g.export(out);
    let frame = Compiler::new().compile_frame(g, &DeviceMemory::new(&ctx)).expect("valid");
    let result = ex.run(frame, &Bindings::new());
    if has {
        result.expect("the device reads storage images without a format");
    } else {
        let e = result.expect_err("the device lacks the feature");
        assert!(matches!(e, Error::MissingFeature { .. }), "{e:?}");
        let text = e.to_string();
        assert!(text.contains("shaderStorageImageReadWithoutFormat"), "{text}");
        assert!(text.contains("formatless.comp"), "{text}");
    }
    drop(ex);
    common::assert_clean(&ctx, "formatless_read");
}

/// Checks: layers of an array cleared one a pass to their own values; a `texture2D` binding
/// given one layer reads that layer through a 2D view, and given all four layers is an error
/// naming the binding (a 2D binding takes one layer; an array binding takes several).
#[test]
fn a_2d_binding_takes_one_layer_of_an_array() {
    let Some(ctx) = common::context("one_layer") else { return };
    for bind_all in [false, true] {
        let mut ex = executor(&ctx);
        let out = ex.create_buffer("readback", 8 * 8 * 4, MemoryUse::Readback).unwrap();
        let mut g: Graph<Pass> = Graph::new(Extent::new(8, 8));
        let host = ResourceState::host_read(QueueKind::Graphics);
        let rb = g.import_buffer("readback", BufferDesc::new(8 * 8 * 4), host, host);
        let desc = ImageDesc::new(Format::R32Float, Size::FULL).layers(4);
        let mut img = g.create_image("array", desc);
        for k in 0..4u32 {
            let mut p = g.add_pass(&format!("clear{k}"), QueueKind::Graphics);
            img = p.write(img.layer(k), Access::CopyDst);
            let part = img.layer(k);
            let value = 10.0 + k as f32;
            p.record(Box::new(move |r| r.clear_image(part, [value; 4])));
        }
        let values = g.create_buffer("values", BufferDesc::new(8 * 8 * 4));
        let mut p = g.add_pass("read", QueueKind::Compute);
        let named = if bind_all { img } else { img.layer(2) };
        p.read(named, Access::Sampled(C));
        let values = p.write(values, Access::StorageWrite(C));
        p.record(Box::new(move |r| {
            r.compute("one_layer.comp", &[])?;
            r.bind_image(0, named)?;
            r.bind_sampler(1, Sampler::Nearest)?;
            r.bind_buffer(2, values)?;
            r.dispatch_threads(8, 8, 1)
        }));
        let mut p = g.add_pass("copy", QueueKind::Graphics);
        p.read(values, Access::CopySrc);
        let rb = p.write(rb, Access::CopyDst);
        p.record(Box::new(move |r| r.copy_buffer(values, rb, None)));
        let frame = Compiler::new().compile_frame(g, ex.memory()).expect("valid");
        let result = ex.run(frame, &Bindings::new().buffer(rb, out));
        if bind_all {
            let e = result.expect_err("four layers for a 2D binding");
            assert!(matches!(e, Error::Binding { binding: 0, .. }), "{e:?}");
            let text = e.to_string();
            assert!(text.contains("`layer`") && text.contains("not an array"), "{text}");
        } else {
            result.expect("one layer for a 2D binding");
            let bytes = ex.read_buffer(out).unwrap();
            for c in bytes.chunks(4) {
                assert_eq!(f32::from_le_bytes([c[0], c[1], c[2], c[3]]), 12.0, "layer 2's value");
            }
        }
    }
    common::assert_clean(&ctx, "one_layer");
}

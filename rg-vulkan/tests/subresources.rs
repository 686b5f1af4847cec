//! GPU tests of mips and layers: passes that each touch one mip level or one layer of an image,
//! with exactly the barriers and views that part needs.

mod common;

use rg_core::*;
use rg_vulkan::{
    Bindings, DeviceMemory, Executor, ExecutorConfig, GraphicsDesc, MemoryUse, Pass, Rendering,
    Sampler,
};
use std::path::PathBuf;

const C: ShaderStages = ShaderStages::COMPUTE;

fn shader_root() -> PathBuf {
    static ROOT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    ROOT.get_or_init(write_shaders).clone()
}

fn write_shaders() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rg-subresources-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let files = [
        // One level of a min pyramid: each texel of the destination is the minimum of every
        // source texel its footprint overlaps, so odd sizes keep the extra row or column.
        (
            "reduce.comp",
            "#version 450\nlayout(local_size_x = 8, local_size_y = 8) in;\n\
             layout(set = 0, binding = 0) uniform texture2D src;\n\
             layout(set = 0, binding = 1) uniform sampler nearest;\n\
             layout(set = 0, binding = 2, r32f) uniform writeonly image2D dst;\n\
             void main() {\n\
               ivec2 d = ivec2(gl_GlobalInvocationID.xy);\n\
               ivec2 ds = imageSize(dst);\n\
               ivec2 ss = textureSize(sampler2D(src, nearest), 0);\n\
               if (d.x >= ds.x || d.y >= ds.y) return;\n\
               ivec2 lo = (d * ss) / ds;\n\
               ivec2 hi = ((d + 1) * ss + ds - 1) / ds;\n\
               float m = 1.0 / 0.0;\n\
               for (int y = lo.y; y < hi.y; y++)\n\
                 for (int x = lo.x; x < hi.x; x++)\n\
                   m = min(m, texelFetch(sampler2D(src, nearest), ivec2(x, y), 0).r);\n\
               imageStore(dst, d, vec4(m));\n\
             }\n",
        ),
        (
            "depth.frag",
            "#version 450\nlayout(push_constant) uniform P { float depth; } p;\n\
             void main() { gl_FragDepth = p.depth; }\n",
        ),
        (
            "fullscreen.vert",
            "#version 450\nvoid main() {\n\
               vec2 uv = vec2((gl_VertexIndex << 1) & 2, gl_VertexIndex & 2);\n\
               gl_Position = vec4(uv * 2.0 - 1.0, 0.0, 1.0);\n\
             }\n",
        ),
        // Reads texel (x, y) of every layer of a depth array into `out[layer * 64 + y * 8 + x]`.
        (
            "layers.comp",
            "#version 450\nlayout(local_size_x = 8, local_size_y = 8, local_size_z = 1) in;\n\
             layout(set = 0, binding = 0) uniform texture2DArray depth;\n\
             layout(set = 0, binding = 1) uniform sampler nearest;\n\
             layout(set = 0, binding = 2) writeonly buffer Out { float o[]; };\n\
             void main() {\n\
               ivec3 p = ivec3(gl_GlobalInvocationID.xy * 7u, gl_GlobalInvocationID.z);\n\
               uint i = gl_GlobalInvocationID.z * 64u + gl_GlobalInvocationID.y * 8u\n\
                      + gl_GlobalInvocationID.x;\n\
               o[i] = texelFetch(sampler2DArray(depth, nearest), p, 0).r;\n\
             }\n",
        ),
    ];
    for (name, text) in files {
        std::fs::write(dir.join(name), text).expect("shader file");
    }
    dir
}

fn executor(ctx: &rg_vulkan::Context) -> Executor {
    let config = ExecutorConfig { shader_root: shader_root(), ..ExecutorConfig::default() };
    Executor::with_config(ctx, config).expect("executor")
}

fn floats(bytes: &[u8]) -> Vec<f32> {
    bytes.chunks(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
}

/// The min pyramid of `base` (`w` x `h`) from the definition: level k+1 texel (x, y) covers the
/// rectangle [x, x+1) x [y, y+1) scaled by the ratio of the two levels' sizes, and holds the
/// minimum of every level-k texel that rectangle overlaps. Sizes halve, rounding down, to 1.
fn cpu_pyramid(base: &[f32], w: usize, h: usize) -> Vec<(usize, usize, Vec<f32>)> {
    let mut levels = vec![(w, h, base.to_vec())];
    while levels.last().is_some_and(|l| l.0 > 1 || l.1 > 1) {
        let (sw, sh, src) = levels.last().expect("a level");
        let (dw, dh) = ((sw / 2).max(1), (sh / 2).max(1));
        let mut dst = vec![0.0; dw * dh];
        for y in 0..dh {
            for x in 0..dw {
                // The footprint [x, x+1) * sw / dw overlaps the source texels s with
                // [s, s+1) meeting it.
                let (fx0, fx1) =
                    (x as f64 * *sw as f64 / dw as f64, (x + 1) as f64 * *sw as f64 / dw as f64);
                let (fy0, fy1) =
                    (y as f64 * *sh as f64 / dh as f64, (y + 1) as f64 * *sh as f64 / dh as f64);
                // The texels from the one holding the rectangle's start to the one holding
                // the point just before its end.
                let (x0, x1) = (fx0.floor() as usize, (fx1.ceil() as usize).min(*sw));
                let (y0, y1) = (fy0.floor() as usize, (fy1.ceil() as usize).min(*sh));
                let mut m = f32::INFINITY;
                for sy in y0..y1 {
                    for sx in x0..x1 {
                        m = m.min(src[sy * sw + sx]);
                    }
                }
                dst[y * dw + x] = m;
            }
        }
        levels.push((dw, dh, dst));
    }
    levels
}

/// Checks: a min-reduction pyramid of a 1366x769 R32Float image, built one mip level a pass
/// (pass k samples mip k-1 and writes mip k as a storage image), read back level by level, is
/// equal bit for bit to the CPU reduction; each pass's barrier names only the mips it touches,
/// the plan passes the hazard oracle, and validation reports nothing.
#[test]
fn a_min_pyramid_built_one_mip_a_pass_matches_the_cpu() {
    let Some(ctx) = common::context("min_pyramid") else { return };
    let (w, h) = (1366usize, 769usize);
    let base: Vec<f32> = (0..w * h)
        .map(|i| {
            let (x, y) = ((i % w) as u32, (i / w) as u32);
            let v = x.wrapping_mul(0x9E37_79B9) ^ y.wrapping_mul(0x85EB_CA6B);
            (v >> 8) as f32 / (1u32 << 24) as f32
        })
        .collect();
    let want = cpu_pyramid(&base, w, h);
    let mips = want.len() as u32;
    assert_eq!(mips, 11);

    let mut ex = executor(&ctx);
    let upload = ex.create_buffer("pyramid.source", (w * h * 4) as u64, MemoryUse::Upload).unwrap();
    let bytes: Vec<u8> = base.iter().flat_map(|v| v.to_le_bytes()).collect();
    ex.write_buffer(upload, &bytes).unwrap();
    let readbacks: Vec<_> = want
        .iter()
        .enumerate()
        .map(|(k, (lw, lh, _))| {
            let size = (lw * lh * 4) as u64;
            ex.create_buffer(&format!("pyramid.readback{k}"), size, MemoryUse::Readback).unwrap()
        })
        .collect();

    let mut g: Graph<Pass> = Graph::new(Extent::new(w as u32, h as u32));
    let host_w = ResourceState::host_written(QueueKind::Graphics);
    let source =
        g.import_buffer("pyramid.source", BufferDesc::new((w * h * 4) as u64), host_w, host_w);
    let desc = ImageDesc::new(Format::R32Float, Size::absolute(w as u32, h as u32)).mips(mips);
    let mut pyramid = g.create_image("pyramid", desc);

    let mut p = g.add_pass("pyramid.mip0", QueueKind::Compute);
    p.read(source, Access::CopySrc);
    pyramid = p.write(pyramid.mip(0), Access::CopyDst);
    let dst = pyramid.mip(0);
    p.record(Box::new(move |r| r.copy_buffer_to_image(source, dst)));
    for k in 1..mips {
        let mut p = g.add_pass(&format!("pyramid.mip{k}"), QueueKind::Compute);
        let src = pyramid.mip(k - 1);
        p.read(src, Access::Sampled(C));
        pyramid = p.write(pyramid.mip(k), Access::StorageWrite(C));
        let dst = pyramid.mip(k);
        let (dw, dh) = (want[k as usize].0 as u32, want[k as usize].1 as u32);
        p.record(Box::new(move |r| {
            r.compute("reduce.comp", &[])?;
            r.bind_image(0, src)?;
            r.bind_sampler(1, Sampler::Nearest)?;
            r.bind_image(2, dst)?;
            r.dispatch_threads(dw, dh, 1)
        }));
    }
    let host_r = ResourceState::host_read(QueueKind::Graphics);
    let mut rbs = Vec::new();
    for (k, (lw, lh, _)) in want.iter().enumerate() {
        let b = g.import_buffer(
            &format!("pyramid.readback{k}"),
            BufferDesc::new((lw * lh * 4) as u64),
            host_r,
            host_r,
        );
        rbs.push(b);
    }
    let mut p = g.add_pass("pyramid.copy", QueueKind::Graphics);
    p.read(pyramid, Access::CopySrc);
    let written: Vec<BufferHandle> = rbs.iter().map(|&b| p.write(b, Access::CopyDst)).collect();
    p.record(Box::new(move |r| {
        for (k, &b) in written.iter().enumerate() {
            r.copy_image_to_buffer(pyramid.mip(k as u32), b)?;
        }
        Ok(())
    }));

    let frame = Compiler::new().compile_frame(g, &DeviceMemory::new(&ctx)).expect("valid");
    let plan = frame.plan();
    assert!(oracle::check(plan).is_empty(), "{:?}", oracle::check(plan));
    // Between pass k and pass k+1 the only barrier on the pyramid names mip k alone.
    for k in 1..mips as usize {
        let pass = &plan.passes[k];
        assert_eq!(&*pass.label, format!("pyramid.mip{k}"));
        let on_pyramid: Vec<&Barrier> =
            plan.barriers_of(pass).iter().filter(|b| b.resource == pyramid.index()).collect();
        assert!(!on_pyramid.is_empty(), "pass {k} has a barrier on the pyramid");
        for b in on_pyramid {
            assert_eq!(b.subresource.layer_count, 1);
            assert!(
                b.subresource.mip_count == 1
                    && (b.subresource.base_mip == k as u32
                        || b.subresource.base_mip == k as u32 - 1),
                "pass {k}: a barrier on {}",
                b.subresource
            );
        }
    }
    let mut bindings = Bindings::new().buffer(source, upload);
    for (&h, &b) in rbs.iter().zip(&readbacks) {
        bindings = bindings.buffer(h, b);
    }
    ex.run(frame, &bindings).expect("frame");
    for (k, ((lw, lh, level), &rb)) in want.iter().zip(&readbacks).enumerate() {
        let got = floats(&ex.read_buffer(rb).unwrap());
        assert_eq!(got.len(), lw * lh);
        let wrong = got.iter().zip(level).filter(|(a, b)| a.to_bits() != b.to_bits()).count();
        assert_eq!(wrong, 0, "mip {k} ({lw}x{lh}): {wrong} texels differ from the CPU reduction");
    }
    drop(ex);
    common::assert_clean(&ctx, "min_pyramid");
}

/// Checks: a 4-layer D32Float array rendered one layer a pass (pass k clears its layer and draws
/// depth (k+1)/8 over it), then sampled as one array by a compute pass, reads back each layer's
/// own value everywhere; the sampling pass's barrier covers the four layers; no validation
/// message.
#[test]
fn a_depth_array_rendered_one_layer_a_pass_keeps_each_layers_value() {
    let Some(ctx) = common::context("depth_layers") else { return };
    let mut ex = executor(&ctx);
    let out = ex.create_buffer("layers.readback", 4 * 64 * 4, MemoryUse::Readback).unwrap();
    let host = ResourceState::host_read(QueueKind::Graphics);
    let desc = ImageDesc::new(Format::D32Float, Size::absolute(64, 64)).layers(4);
    // The read pass writes a transient buffer from its shader, and a copy takes it to the host.
    let mut g: Graph<Pass> = Graph::new(Extent::new(64, 64));
    let rb = g.import_buffer("layers.readback", BufferDesc::new(4 * 64 * 4), host, host);
    let mut depth = g.create_image("shadows.depth", desc);
    for k in 0..4u32 {
        let mut p = g.add_pass(&format!("shadows.cascade{k}"), QueueKind::Graphics);
        depth = p.write(depth.layer(k), Access::DepthWrite);
        let value = (k + 1) as f32 / 8.0;
        p.record(Box::new(move |r| {
            r.begin_rendering(Rendering { clear_color: None, clear_depth: Some(0.0) })?;
            let desc = GraphicsDesc {
                depth_test: Some(true),
                depth_write: true,
                ..GraphicsDesc::new("fullscreen.vert", "depth.frag")
            };
            r.graphics(&desc)?;
            r.push_f32(&[value])?;
            r.draw(3, 1)
        }));
    }
    let samples = g.create_buffer("shadows.samples", BufferDesc::new(4 * 64 * 4));
    let mut p = g.add_pass("shadows.read", QueueKind::Compute);
    p.read(depth, Access::Sampled(C));
    let samples = p.write(samples, Access::StorageWrite(C));
    p.record(Box::new(move |r| {
        r.compute("layers.comp", &[])?;
        r.bind_image(0, depth)?;
        r.bind_sampler(1, Sampler::Nearest)?;
        r.bind_buffer(2, samples)?;
        r.dispatch_threads(8, 8, 4)
    }));
    let mut p = g.add_pass("shadows.copy", QueueKind::Graphics);
    p.read(samples, Access::CopySrc);
    let rb_w = p.write(rb, Access::CopyDst);
    p.record(Box::new(move |r| r.copy_buffer(samples, rb_w, None)));

    let frame = Compiler::new().compile_frame(g, &DeviceMemory::new(&ctx)).expect("valid");
    let plan = frame.plan();
    assert!(oracle::check(plan).is_empty(), "{:?}", oracle::check(plan));
    let read = plan.passes.iter().find(|p| &*p.label == "shadows.read").expect("kept");
    let layers: Vec<Subresource> = plan
        .barriers_of(read)
        .iter()
        .filter(|b| b.resource == depth.index())
        .map(|b| b.subresource)
        .collect();
    let covered: u32 = layers.iter().map(|s| s.layer_count).sum();
    assert_eq!(covered, 4, "the read's barriers cover the 4 layers once: {layers:?}");
    ex.run(frame, &Bindings::new().buffer(rb, out)).expect("frame");
    let got = floats(&ex.read_buffer(out).unwrap());
    for layer in 0..4 {
        let want = (layer + 1) as f32 / 8.0;
        let slice = &got[layer * 64..(layer + 1) * 64];
        assert!(slice.iter().all(|&v| v == want), "layer {layer}: {slice:?}, want {want}");
    }
    drop(ex);
    common::assert_clean(&ctx, "depth_layers");
}

//! The Vulkan 1.2 path on the device: RenderDoc's capture layer reports lavapipe as Vulkan 1.2
//! (it reports 1.3 only for drivers with `bufferDeviceAddressCaptureReplay`), so running under
//! that layer makes the context enable VK_KHR_synchronization2, VK_KHR_dynamic_rendering and
//! VK_KHR_maintenance4 and reach their commands through the `KHR` entry points. The layer is
//! switched on by an environment variable the loader reads when the instance is made, so the
//! test runs its frame in a child process of this test binary.

mod common;

use rg_core::*;
use rg_vulkan::{Bindings, DeviceMemory, Executor, ExecutorConfig, GraphicsDesc, MemoryUse, Pass};
use rg_vulkan::{Rendering, Sampler};
use std::path::{Path, PathBuf};
use std::process::Command;

const C: ShaderStages = ShaderStages::COMPUTE;

/// Set in the child process that runs the frame under the layer.
const CHILD: &str = "RG_VULKAN12_CHILD";

/// Where Vulkan loaders look for implicit layers on Linux (system and user folders).
const LAYER_DIRS: [&str; 3] = [
    "/usr/share/vulkan/implicit_layer.d",
    "/etc/vulkan/implicit_layer.d",
    "/usr/local/share/vulkan/implicit_layer.d",
];

/// Whether RenderDoc's Vulkan layer is installed; with `RG_REQUIRE_GPU=1` (CI, where
/// tools/setup.sh installs it) a missing one fails the test.
fn renderdoc_layer_or_skip(test: &str) -> bool {
    let found = LAYER_DIRS.iter().any(|d| Path::new(d).join("renderdoc_capture.json").exists());
    if found {
        return true;
    }
    if std::env::var("RG_REQUIRE_GPU").is_ok_and(|v| v == "1") {
        panic!(
            "{test}: RG_REQUIRE_GPU=1 but RenderDoc's Vulkan layer (renderdoc_capture.json) is \
             not installed in {LAYER_DIRS:?}: run tools/setup.sh (Debian package librenderdoc)"
        );
    }
    eprintln!("{test}: SKIPPED, RenderDoc's Vulkan layer is not installed (librenderdoc)");
    false
}

/// Checks: a child process of this binary, with RenderDoc's layer on and validation with
/// synchronization validation, runs `frame_on_the_reported_version` (below) and passes; on
/// lavapipe the device it got reports Vulkan 1.2, so the frame went through the `KHR` entry
/// points.
#[test]
fn a_frame_runs_through_khr_entry_points_on_a_vulkan_1_2_device() {
    if !renderdoc_layer_or_skip("vulkan12") || common::context("vulkan12").is_none() {
        return;
    }
    let out = Command::new(std::env::current_exe().expect("the test binary"))
        .args(["--exact", "frame_on_the_reported_version", "--ignored", "--nocapture"])
        .env("ENABLE_VULKAN_RENDERDOC_CAPTURE", "1")
        .env(CHILD, "1")
        .output()
        .expect("the test binary starts");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the child failed ({:?}):\n{stdout}\n{stderr}", out.status);
    assert!(stdout.contains("1 passed"), "the child ran no test:\n{stdout}\n{stderr}");
    let device = stdout.lines().find(|l| l.starts_with("device: ")).expect("the child's device");
    if device.contains("llvmpipe") {
        assert!(device.contains("Vulkan 1.2."), "lavapipe under RenderDoc: {device}");
    }
}

/// The child's part: on whatever version the device reports, a compute pass fills a transient
/// buffer, a graphics pass draws a push-constant colour over a cleared transient image with
/// dynamic rendering, a compute pass samples that image into a second buffer, and copies take
/// both to the host: the buffer holds what the shader computes, every sample holds the colour,
/// each pass has a GPU time (timestamps written with `vkCmdWriteTimestamp2`), and validation
/// says nothing.
#[test]
#[ignore = "run by a_frame_runs_through_khr_entry_points_on_a_vulkan_1_2_device under RenderDoc's layer"]
fn frame_on_the_reported_version() {
    if std::env::var(CHILD).is_err() {
        eprintln!("frame_on_the_reported_version: run by the test above, under RenderDoc's layer");
        return;
    }
    let Some(ctx) = common::context("vulkan12.child") else { return };
    let (major, minor, patch) = ctx.capabilities.api_version;
    println!("device: {} Vulkan {major}.{minor}.{patch}", ctx.capabilities.device_name);
    let config = ExecutorConfig { shader_root: shader_root(), ..ExecutorConfig::default() };
    let mut ex = Executor::with_config(&ctx, config).expect("executor");
    let fill_out = ex.create_buffer("fill.readback", 256 * 4, MemoryUse::Readback).unwrap();
    let samples_out = ex.create_buffer("samples.readback", 64 * 16, MemoryUse::Readback).unwrap();
    let host = ResourceState::host_read(QueueKind::Graphics);
    let mut g: Graph<Pass> = Graph::new(Extent::new(8, 8));
    let fill_rb = g.import_buffer("fill.readback", BufferDesc::new(256 * 4), host, host);
    let samples_rb = g.import_buffer("samples.readback", BufferDesc::new(64 * 16), host, host);

    let values = g.create_buffer("fill.values", BufferDesc::new(256 * 4));
    let mut p = g.add_pass("fill", QueueKind::Compute);
    let values = p.write(values, Access::StorageWrite(C));
    p.record(Box::new(move |r| {
        r.compute("fill.comp", &[])?;
        r.bind_buffer(0, values)?;
        r.push_u32(&[7])?;
        r.dispatch_threads(256, 1, 1)
    }));
    let colour = [0.25f32, 0.5, 0.75, 1.0];
    let image = g.create_image("draw.colour", ImageDesc::new(Format::Rgba8Unorm, Size::FULL));
    let mut p = g.add_pass("draw", QueueKind::Graphics);
    let image = p.write(image, Access::ColorWrite);
    p.record(Box::new(move |r| {
        r.begin_rendering(Rendering::clear([0.0, 0.0, 0.0, 0.0]))?;
        r.graphics(&GraphicsDesc::new("cover.vert", "colour.frag"))?;
        r.push_f32(&colour)?;
        r.draw(3, 1)
    }));
    let samples = g.create_buffer("sample.values", BufferDesc::new(64 * 16));
    let mut p = g.add_pass("sample", QueueKind::Compute);
    p.read(image, Access::Sampled(C));
    let samples = p.write(samples, Access::StorageWrite(C));
    p.record(Box::new(move |r| {
        r.compute("sample.comp", &[])?;
        r.bind_image(0, image)?;
        r.bind_sampler(1, Sampler::Nearest)?;
        r.bind_buffer(2, samples)?;
        r.dispatch_threads(8, 8, 1)
    }));
    let mut p = g.add_pass("copy", QueueKind::Graphics);
    p.read(values, Access::CopySrc);
    p.read(samples, Access::CopySrc);
    let fill_rb_w = p.write(fill_rb, Access::CopyDst);
    let samples_rb_w = p.write(samples_rb, Access::CopyDst);
    p.record(Box::new(move |r| {
        r.copy_buffer(values, fill_rb_w, None)?;
        r.copy_buffer(samples, samples_rb_w, None)
    }));

    let frame = Compiler::new().compile_frame(g, &DeviceMemory::new(&ctx)).expect("valid");
    assert!(oracle::check(frame.plan()).is_empty());
    let bindings = Bindings::new().buffer(fill_rb, fill_out).buffer(samples_rb, samples_out);
    ex.run(frame, &bindings).expect("the frame runs");
    ex.wait_idle().unwrap();
    let bytes = ex.read_buffer(fill_out).unwrap();
    let got: Vec<u32> =
        bytes.chunks(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
    assert_eq!(got, (0..256).map(|i| i * 3 + 7).collect::<Vec<u32>>());
    let bytes = ex.read_buffer(samples_out).unwrap();
    let texels: Vec<f32> =
        bytes.chunks(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
    for (i, texel) in texels.chunks(4).enumerate() {
        // Rgba8Unorm stores the colour to within half a step of 1/255.
        let close = texel.iter().zip(colour).all(|(a, b)| (a - b).abs() <= 0.5 / 255.0 + 1e-6);
        assert!(close, "texel {i}: {texel:?}, want {colour:?}");
    }
    if ctx.capabilities.timestamps {
        let frames = ex.take_gpu_frames();
        let labels: Vec<&str> =
            frames.iter().flat_map(|f| f.passes.iter().map(|p| &*p.0)).collect();
        assert_eq!(labels, ["fill", "draw", "sample", "copy"], "{frames:?}");
    }
    drop(ex);
    common::assert_clean(&ctx, "vulkan12.child");
}

/// The test's shaders, written once into a folder of their own.
fn shader_root() -> PathBuf {
    static ROOT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    ROOT.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("rg-vulkan12-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let files = [
            (
                "fill.comp",
                "#version 450\nlayout(local_size_x = 64) in;\n\
                 layout(set = 0, binding = 0) writeonly buffer Out { uint o[]; };\n\
                 layout(push_constant) uniform P { uint base; } p;\n\
                 void main() { uint i = gl_GlobalInvocationID.x; o[i] = i * 3u + p.base; }\n",
            ),
            (
                "cover.vert",
                "#version 450\nvoid main() {\n\
                 vec2 uv = vec2((gl_VertexIndex << 1) & 2, gl_VertexIndex & 2);\n\
                 gl_Position = vec4(uv * 2.0 - 1.0, 0.0, 1.0); }\n",
            ),
            (
                "colour.frag",
                "#version 450\nlayout(push_constant) uniform P { vec4 colour; } p;\n\
                 layout(location = 0) out vec4 o;\nvoid main() { o = p.colour; }\n",
            ),
            (
                "sample.comp",
                "#version 450\nlayout(local_size_x = 8, local_size_y = 8) in;\n\
                 layout(set = 0, binding = 0) uniform texture2D img;\n\
                 layout(set = 0, binding = 1) uniform sampler s;\n\
                 layout(set = 0, binding = 2) writeonly buffer Out { vec4 o[]; };\n\
                 void main() { ivec2 p = ivec2(gl_GlobalInvocationID.xy);\n\
                 o[p.y * 8 + p.x] = texelFetch(sampler2D(img, s), p, 0); }\n",
            ),
        ];
        for (name, text) in files {
            std::fs::write(dir.join(name), text).expect("shader written");
        }
        dir
    })
    .clone()
}

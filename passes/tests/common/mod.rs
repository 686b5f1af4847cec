//! Shared by the pass library's GPU tests: a validated context (or a clear skip, a failure
//! with `RG_REQUIRE_GPU=1`), and a rig that runs scene frames and reads back what they made.

#![allow(dead_code)] // each test binary uses a part

use rg_core::{Access, BufferDesc, BufferHandle, Compiler, Extent, Format, Graph, ImageDesc};
use rg_core::{ImageHandle, QueueKind, ResourceState, Size};
use rg_passes::camera::Camera;
use rg_passes::cull::{Counts, Decision};
use rg_passes::frame::{SceneFrame, SceneFrameOut};
use rg_passes::scene::{Scene, SceneBuffers};
use rg_vulkan::{readback, Bindings, Buffer, Config, Context, Executor, Image, MemoryUse, Pass};

/// A validated context, or `None` (with the reason printed) when no Vulkan device exists and
/// `RG_REQUIRE_GPU` is not set.
pub fn context(test: &str) -> Option<Context> {
    match Context::new(&Config { validation: true, ..Config::default() }) {
        Ok(ctx) => Some(ctx),
        Err(e) => {
            if std::env::var("RG_REQUIRE_GPU").is_ok_and(|v| v == "1") {
                panic!("{test}: RG_REQUIRE_GPU=1 but no Vulkan device could be set up: {e}");
            }
            eprintln!("{test}: SKIPPED, no Vulkan device: {e}");
            None
        }
    }
}

/// Fails with every message the validation layers reported.
pub fn assert_clean(ctx: &Context, test: &str) {
    let problems = ctx.problems();
    assert!(
        problems.is_empty(),
        "{test}: {} validation message(s):\n{}",
        problems.len(),
        problems.iter().map(|m| format!("[{}] {}", m.id, m.text)).collect::<Vec<_>>().join("\n")
    );
}

/// What one frame left behind.
pub struct Frame {
    pub counts: Counts,
    pub decisions: Vec<Decision>,
    /// RGBA8 texels.
    pub color: Vec<u8>,
    /// Instance index + 1 per pixel (0: nothing), when ids were asked for.
    pub ids: Option<Vec<u32>>,
    /// Every level of the depth pyramid the late phase tested against, level 0 first.
    pub pyramid: Vec<Vec<f32>>,
    /// The HDR target's texels, when the frame made it `Rgba32Float`.
    pub hdr: Option<Vec<f32>>,
}

/// An executor with a scene uploaded and an output image, running scene frames.
pub struct Rig {
    pub ex: Executor,
    pub scene: Scene,
    pub buffers: SceneBuffers,
    pub width: u32,
    pub height: u32,
    output: Image,
    compiler: Compiler,
    frames: u64,
    /// Point lights every frame is lit by, with the grid they are sorted into.
    pub lights: Option<(rg_passes::lights::LightBuffers, rg_passes::lights::ClusterGrid)>,
}

fn host() -> ResourceState {
    ResourceState::host_read(QueueKind::Graphics)
}

/// Copies a buffer into an imported host-readable buffer.
fn read_buffer(g: &mut Graph<Pass>, src: BufferHandle, label: &str, bytes: u64) -> BufferHandle {
    let dst = g.import_buffer(label, BufferDesc::new(bytes), host(), host());
    let mut p = g.add_pass(&format!("read {label}"), QueueKind::Graphics);
    p.read(src, Access::CopySrc);
    let dst = p.write(dst, Access::CopyDst);
    p.record(Box::new(move |r| r.copy_buffer(src, dst, Some(bytes))));
    dst
}

fn words(b: &[u8]) -> Vec<u32> {
    b.chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
}

pub fn floats(b: &[u8]) -> Vec<f32> {
    b.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
}

/// Imports the frame's `Rgba8Unorm` output at the graph's size, its contents not needed at the
/// start, left ready to be copied from (`readback::COPIED`).
pub fn import_output(g: &mut Graph<Pass>) -> ImageHandle {
    let desc = ImageDesc::new(Format::Rgba8Unorm, Size::FULL);
    let fresh = ResourceState::undefined(QueueKind::Graphics);
    g.import_image("output", desc, fresh, readback::COPIED)
}

impl Rig {
    pub fn new(ctx: &Context, scene: Scene, width: u32, height: u32) -> Rig {
        let mut ex = Executor::new(ctx).expect("executor");
        let buffers = SceneBuffers::upload(&mut ex, &scene).expect("upload");
        let output = ex.create_image("output", Format::Rgba8Unorm, width, height).expect("output");
        Rig {
            ex,
            scene,
            buffers,
            width,
            height,
            output,
            compiler: Compiler::new(),
            frames: 0,
            lights: None,
        }
    }

    /// Runs one frame of `params` (its `history` is set from the frames run so far) seen from
    /// `camera`, and reads back its counts, decisions and colour, plus ids (when
    /// `params.instance_ids`).
    pub fn frame(&mut self, camera: &Camera, params: impl Fn(SceneFrame) -> SceneFrame) -> Frame {
        let (w, h) = (self.width, self.height);
        let view = camera.frame(w, h);
        let mut g: Graph<Pass> = Graph::new(Extent::new(w, h));
        let inputs = self.buffers.import(&mut g);
        let output = import_output(&mut g);
        let lights = self.lights.as_ref().map(|(b, grid)| (b.import(&mut g), *grid));
        let mut first = SceneFrame::new(view, &inputs, self.frames > 0);
        first.lights = lights.map(|(input, grid)| (input, grid, 0.0));
        let frame = params(first);
        let out: SceneFrameOut = frame.add(&mut g, inputs, output);
        let n = inputs.instance_count.max(1) as u64;
        let texels = w as u64 * h as u64 * 4;
        let mut reads: Vec<(BufferHandle, u64)> = Vec::new();
        reads.push((read_buffer(&mut g, out.counts, "counts", 64), 64));
        reads.push((read_buffer(&mut g, out.decisions, "decisions", n * 4), n * 4));
        reads.push((readback::add_readback(&mut g, out.color, "color", texels), texels));
        let hdr_floats = frame.hdr == Format::Rgba32Float;
        if hdr_floats {
            let bytes = texels * 4;
            reads.push((readback::add_readback(&mut g, out.hdr, "hdr", bytes), bytes));
        }
        if let Some(ids) = out.ids {
            reads.push((readback::add_readback(&mut g, ids, "ids", texels), texels));
        }
        let (pw, ph, levels) = rg_passes::hiz::pyramid_shape(w, h);
        for k in 0..levels {
            let bytes = ((pw >> k).max(1) * (ph >> k).max(1) * 4) as u64;
            let label = format!("pyramid.{k}");
            reads.push((readback::add_readback(&mut g, out.pyramid.mip(k), &label, bytes), bytes));
        }
        let mut made: Vec<Buffer> = Vec::new();
        let mut bindings = self.buffers.bind(Bindings::new(), &inputs).image(output, self.output);
        if let (Some((b, _)), Some((input, _))) = (&self.lights, lights) {
            bindings = b.bind(bindings, &input);
        }
        for (k, &(h, bytes)) in reads.iter().enumerate() {
            let b = self
                .ex
                .create_buffer(&format!("read.{k}"), bytes, MemoryUse::Readback)
                .expect("buffer");
            bindings = bindings.buffer(h, b);
            made.push(b);
        }
        let compiled = self.compiler.compile_frame(g, self.ex.memory()).expect("compile");
        self.ex.run(compiled, &bindings).expect("frame");
        self.frames += 1;
        let mut data: Vec<Vec<u8>> =
            made.iter().map(|&b| self.ex.read_buffer(b).expect("read")).collect();
        for b in made {
            self.ex.destroy_buffer(b);
        }
        let mut data = data.drain(..);
        let counts = Counts::from_bytes(&data.next().expect("counts"));
        let decisions = Decision::from_bytes(&data.next().expect("decisions"));
        let decisions = decisions[..inputs.instance_count as usize].to_vec();
        let color = data.next().expect("color");
        let hdr = hdr_floats.then(|| floats(&data.next().expect("hdr")));
        let ids = out.ids.map(|_| words(&data.next().expect("ids")));
        let pyramid = (0..levels).map(|_| floats(&data.next().expect("level"))).collect();
        Frame { counts, decisions, color, ids, pyramid, hdr }
    }

    /// Frames run so far.
    pub fn frames(&self) -> u64 {
        self.frames
    }
}

/// Builds the depth pyramid of `depth` (`width` x `height`, row-major) on the GPU: the values
/// are copied into a `D32Float` image, [`rg_passes::hiz::DepthPyramid`] reduces it, and every
/// level is read back.
pub fn pyramid_of(ex: &mut Executor, depth: &[f32], width: u32, height: u32) -> Vec<Vec<f32>> {
    let bytes: Vec<u8> = depth.iter().flat_map(|d| d.to_le_bytes()).collect();
    let upload =
        ex.create_buffer("depth.upload", bytes.len() as u64, MemoryUse::Upload).expect("buffer");
    ex.write_buffer(upload, &bytes).expect("write");
    let mut g: Graph<Pass> = Graph::new(Extent::new(width, height));
    let written = ResourceState::host_written(QueueKind::Graphics);
    let src =
        g.import_buffer("depth.upload", BufferDesc::new(bytes.len() as u64), written, written);
    let image =
        g.create_image("depth", ImageDesc::new(Format::D32Float, Size::absolute(width, height)));
    let mut p = g.add_pass("depth.fill", QueueKind::Graphics);
    p.read(src, Access::CopySrc);
    let image = p.write(image, Access::CopyDst);
    p.record(Box::new(move |r| r.copy_buffer_to_image(src, image)));
    let out = rg_passes::hiz::DepthPyramid
        .add(&mut g, rg_passes::hiz::DepthPyramidIn { depth: image, depth_size: (width, height) });
    let (pw, ph) = out.size;
    let mut reads = Vec::new();
    for k in 0..out.levels {
        let b = ((pw >> k).max(1) * (ph >> k).max(1) * 4) as u64;
        let h = readback::add_readback(&mut g, out.pyramid.mip(k), &format!("level.{k}"), b);
        reads.push((
            h,
            ex.create_buffer(&format!("level.{k}"), b, MemoryUse::Readback).expect("buffer"),
        ));
    }
    let mut bindings = Bindings::new().buffer(src, upload);
    for &(h, b) in &reads {
        bindings = bindings.buffer(h, b);
    }
    let compiled = Compiler::new().compile_frame(g, ex.memory()).expect("compile");
    ex.run(compiled, &bindings).expect("frame");
    let levels = reads.iter().map(|&(_, b)| floats(&ex.read_buffer(b).expect("read"))).collect();
    for (_, b) in reads {
        ex.destroy_buffer(b);
    }
    ex.destroy_buffer(upload);
    levels
}

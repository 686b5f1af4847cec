//! GPU time of the pass library's culling: N instances (10k, 100k, 1M by default) through the
//! scene frame's two culling phases and depth pyramid, along the showcase's camera path.
//!
//! For each N it prints the median GPU time of each phase over the measured frames (from the
//! executor's per-pass timestamps), the draws each phase made, and instances culled per
//! millisecond (N over the two culling passes' time). On a real GPU those are the figures to
//! report. Lavapipe's timestamps do not bound a pass's work (it defers rasterization and
//! compute until something waits on them, so a pass's time lands in a later one), so a second
//! table times the late culling phase alone by the wall clock: a frame of only `cull.reset` and
//! `cull.late` (against a cleared pyramid, so every test fetches and nothing is occluded),
//! from submission until the device is idle, minus the same frame with one instance.
//!
//! Run with `cargo bench -p rg-benches --bench cull` (`RG_CULL_COUNTS=10000,100000` picks the
//! sizes, `RG_CULL_FRAMES` the frames measured per size, default 10; validation is off unless
//! `RG_VALIDATION=1`).

use rg_core::{Compiler, Extent, Format, Graph, ImageDesc, QueueKind, ResourceState, Size};
use rg_passes::camera;
use rg_passes::frame::SceneFrame;
use rg_passes::scene::{Scene, SceneBuffers};
use rg_vulkan::{Bindings, Config, Context, Executor, Pass};
use std::collections::BTreeMap;

const WIDTH: u32 = 1280;
const HEIGHT: u32 = 720;

use rg_benches::{median, FRESH};

fn main() {
    let counts: Vec<usize> = std::env::var("RG_CULL_COUNTS")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![10_000, 100_000, 1_000_000]);
    let frames: u64 =
        std::env::var("RG_CULL_FRAMES").ok().and_then(|s| s.parse().ok()).unwrap_or(10);
    let ctx = match Context::new(&Config::default()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("cull: no Vulkan device: {e}");
            return;
        }
    };
    println!(
        "cull: {} ({}x{}), {frames} frames measured per size after 3 warm-up frames",
        ctx.capabilities.device_name, WIDTH, HEIGHT
    );
    println!(
        "{:>9}  {:>12}  {:>12}  {:>12}  {:>12}  {:>10}  {:>10}  {:>10}  {:>14}",
        "instances",
        "cull.early",
        "hiz (all)",
        "cull.late",
        "draws",
        "drawn 1",
        "drawn 2",
        "occluded",
        "instances/ms"
    );
    for &n in &counts {
        let scene = Scene::procedural(n, 1);
        let mut ex = Executor::new(&ctx).expect("executor");
        let buffers = SceneBuffers::upload(&mut ex, &scene).expect("upload");
        let output = ex.create_image("output", Format::Rgba8Unorm, WIDTH, HEIGHT).expect("image");
        let stats = ex.create_buffer("stats", 64, rg_vulkan::MemoryUse::Readback).expect("buffer");
        let mut compiler = Compiler::new();
        let field = Scene::field_extent(n);
        let mut times: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
        let mut last = rg_passes::cull::Counts::default();
        for frame in 0..frames + 3 {
            let mut g: Graph<Pass> = Graph::new(Extent::new(WIDTH, HEIGHT));
            let inputs = buffers.import(&mut g);
            let target = g.import_image(
                "output",
                ImageDesc::new(Format::Rgba8Unorm, Size::FULL),
                FRESH,
                ResourceState::shader_read(
                    QueueKind::Graphics,
                    rg_core::StageMask::FRAGMENT_SHADER,
                ),
            );
            let view = camera::path(frame as f32 / 60.0, field).frame(WIDTH, HEIGHT);
            let out = SceneFrame::new(view, &inputs, frame > 0).add(&mut g, inputs, target);
            let host = ResourceState::host_read(QueueKind::Graphics);
            let rb = g.import_buffer("stats", rg_core::BufferDesc::new(64), host, host);
            let mut p = g.add_pass("stats", QueueKind::Graphics);
            p.read(out.counts, rg_core::Access::CopySrc);
            let rb = p.write(rb, rg_core::Access::CopyDst);
            let counts = out.counts;
            p.record(Box::new(move |r| r.copy_buffer(counts, rb, Some(64))));
            let compiled = compiler.compile_frame(g, ex.memory()).expect("compile");
            let bindings =
                buffers.bind(Bindings::new(), &inputs).image(target, output).buffer(rb, stats);
            ex.run(compiled, &bindings).expect("frame");
            ex.wait_idle().expect("idle");
            last = rg_passes::cull::Counts::from_bytes(&ex.read_buffer(stats).expect("read"));
            for f in ex.take_gpu_frames() {
                if f.frame < 3 {
                    continue;
                }
                let mut hiz = 0.0;
                for (label, ns) in &f.passes {
                    match &**label {
                        "cull.early" => times.entry("early").or_default().push(*ns),
                        "cull.late" => times.entry("late").or_default().push(*ns),
                        "draw.early" | "draw.late" => {}
                        l if l.starts_with("hiz.") => hiz += ns,
                        _ => {}
                    }
                }
                times.entry("hiz").or_default().push(hiz);
            }
        }
        let us = |k: &str| median(times.get(k).cloned().unwrap_or_default()) / 1000.0;
        let (early, hiz, late) = (us("early"), us("hiz"), us("late"));
        println!(
            "{:>9}  {:>9.1} us  {:>9.1} us  {:>9.1} us  {:>12}  {:>10}  {:>10}  {:>10}  {:>14.0}",
            n,
            early,
            hiz,
            late,
            last.draws_early + last.draws_late,
            last.visible_early,
            last.visible_late,
            last.occluded,
            n as f64 / ((early + late) / 1000.0)
        );
        buffers.destroy(&mut ex);
    }
    println!();
    println!("late culling phase alone, wall clock from submission to idle (median of {frames}), minus the same frame with 1 instance:");
    println!("{:>9}  {:>12}  {:>14}", "instances", "cull.late", "instances/ms");
    let base = late_alone(&ctx, 1, frames);
    for &n in &counts {
        let t = late_alone(&ctx, n, frames) - base;
        println!("{:>9}  {:>9.1} us  {:>14.0}", n, t * 1e6, n as f64 / (t * 1e3));
    }
}

/// Median seconds from submission to idle of a frame that zeroes the counts and runs the late
/// culling phase over `n` instances against a cleared pyramid.
fn late_alone(ctx: &Context, n: usize, frames: u64) -> f64 {
    use rg_core::{Access, BufferDesc};
    use rg_passes::cull::{self, Cull, CullEarlyIn, CullLateIn, CullTests};
    let scene = Scene::procedural(n, 1);
    let mut ex = Executor::new(ctx).expect("executor");
    let buffers = SceneBuffers::upload(&mut ex, &scene).expect("upload");
    let mut compiler = Compiler::new();
    let field = Scene::field_extent(n);
    let mut walls = Vec::new();
    for frame in 0..frames + 2 {
        let mut g: Graph<Pass> = Graph::new(Extent::new(WIDTH, HEIGHT));
        let inputs = buffers.import(&mut g);
        let (pw, ph, levels) = rg_passes::hiz::pyramid_shape(WIDTH, HEIGHT);
        let pyramid = g.create_image(
            "hiz.pyramid",
            ImageDesc::new(Format::R32Float, Size::absolute(pw, ph)).mips(levels),
        );
        let mut p = g.add_pass("hiz.clear", QueueKind::Graphics);
        let pyramid = p.write(pyramid, Access::CopyDst);
        p.record(Box::new(move |r| r.clear_image(pyramid, [0.0; 4])));
        let counts = cull::add_counts(&mut g);
        let bytes = cull::per_instance_bytes(n as u32);
        let visibility = g.temporal_buffer("cull.visibility", BufferDesc::new(bytes));
        let draws =
            g.create_buffer("cull.draws", BufferDesc::new(n.max(1) as u64 * cull::DRAW_BYTES));
        let decisions = g.create_buffer("cull.decisions", BufferDesc::new(bytes));
        // The decisions must be written before the late phase reads them back.
        let mut p = g.add_pass("decisions.clear", QueueKind::Graphics);
        let decisions = p.write(decisions, Access::CopyDst);
        p.record(Box::new(move |r| r.fill_buffer(decisions, 0)));
        let view = camera::path(frame as f32 / 60.0, field).frame(WIDTH, HEIGHT);
        let c = Cull { view, tests: CullTests::ALL, history: false, lod_pixels: 1.0 };
        let early = CullEarlyIn {
            scene: inputs,
            visibility,
            draws,
            capacity: n.max(1) as u32,
            counts,
            decisions,
        };
        let out = c.add_late(
            &mut g,
            CullLateIn { early, pyramid, pyramid_size: (pw, ph), pyramid_levels: levels },
        );
        // The late phase writes the history buffer, which keeps it from being culled.
        let _ = out;
        let compiled = compiler.compile_frame(g, ex.memory()).expect("compile");
        ex.wait_idle().expect("idle");
        let start = std::time::Instant::now();
        ex.run(compiled, &buffers.bind(Bindings::new(), &inputs)).expect("frame");
        ex.wait_idle().expect("idle");
        if frame >= 2 {
            walls.push(start.elapsed().as_secs_f64());
        }
    }
    buffers.destroy(&mut ex);
    median(walls)
}

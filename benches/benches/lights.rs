//! The cost of clustered lighting: 4096 moving point lights over the showcase's scene at
//! 1920×1080, sorted into a 16×9×24 froxel grid and shaded by the deferred lighting pass.
//!
//! It prints the median GPU time of `lights.animate`, `lights.cluster` and `lighting` from the
//! executor's per-pass timestamps (the figures to report on a real GPU), then two wall-clock
//! figures that hold on lavapipe too (whose timestamps do not bound a pass): a frame of only
//! the light passes from submission to idle, minus the same frame with one light; and the whole
//! scene frame with the lights against the same frame without them.
//!
//! Run with `cargo bench -p rg-benches --bench lights` (`RG_LIGHTS_FRAMES`, default 10;
//! validation is off unless `RG_VALIDATION=1`).

use rg_core::{Compiler, Extent, Format, Graph, ImageDesc, QueueKind, ResourceState, Size};
use rg_passes::camera;
use rg_passes::frame::SceneFrame;
use rg_passes::lights::{self, ClusterGrid, ClusterLights, LightBuffers};
use rg_passes::scene::{Scene, SceneBuffers};
use rg_vulkan::{Bindings, Config, Context, Executor, Pass};
use std::collections::BTreeMap;
use std::time::Instant;

const WIDTH: u32 = 1920;
const HEIGHT: u32 = 1080;
const LIGHTS: usize = 4096;
const INSTANCES: usize = 10_000;

use rg_benches::{median, FRESH};

/// Median seconds from submission to idle of the scene frame (with `lights` lights, or none),
/// and the median GPU time of each pass.
fn scene_frames(ctx: &Context, lights: usize, frames: u64) -> (f64, BTreeMap<String, f64>) {
    let scene = Scene::procedural(INSTANCES, 1);
    let field = Scene::field_extent(INSTANCES);
    let mut ex = Executor::new(ctx).expect("executor");
    let buffers = SceneBuffers::upload(&mut ex, &scene).expect("upload");
    let light_list = lights::procedural(lights, field, 7);
    let light_buffers =
        (lights > 0).then(|| LightBuffers::upload(&mut ex, &light_list).expect("lights"));
    let output = ex.create_image("output", Format::Rgba8Unorm, WIDTH, HEIGHT).expect("image");
    let mut compiler = Compiler::new();
    let (mut walls, mut passes) = (Vec::new(), BTreeMap::<String, Vec<f64>>::new());
    for frame in 0..frames + 3 {
        let mut g: Graph<Pass> = Graph::new(Extent::new(WIDTH, HEIGHT));
        let inputs = buffers.import(&mut g);
        let target = g.import_image(
            "output",
            ImageDesc::new(Format::Rgba8Unorm, Size::FULL),
            FRESH,
            ResourceState::shader_read(QueueKind::Graphics, rg_core::StageMask::FRAGMENT_SHADER),
        );
        let time = frame as f32 / 60.0;
        let view = camera::path(time, field).frame(WIDTH, HEIGHT);
        let light_in = light_buffers.as_ref().map(|b| b.import(&mut g));
        let params = SceneFrame {
            lights: light_in.map(|l| (l, ClusterGrid::default(), time)),
            ..SceneFrame::new(view, &inputs, frame > 0)
        };
        params.add(&mut g, inputs, target);
        let compiled = compiler.compile_frame(g, ex.memory()).expect("compile");
        let mut bindings = buffers.bind(Bindings::new(), &inputs).image(target, output);
        if let (Some(b), Some(l)) = (&light_buffers, light_in) {
            bindings = b.bind(bindings, &l);
        }
        ex.wait_idle().expect("idle");
        let start = Instant::now();
        ex.run(compiled, &bindings).expect("frame");
        ex.wait_idle().expect("idle");
        if frame >= 3 {
            walls.push(start.elapsed().as_secs_f64());
        }
        for f in ex.take_gpu_frames() {
            if f.frame >= 3 {
                for (label, ns) in f.passes {
                    passes.entry(label.to_string()).or_default().push(ns);
                }
            }
        }
    }
    (median(walls), passes.into_iter().map(|(k, v)| (k, median(v))).collect())
}

/// Median seconds from submission to idle of a frame of only the light passes.
fn light_passes(ctx: &Context, lights: usize, frames: u64) -> f64 {
    let field = Scene::field_extent(INSTANCES);
    let mut ex = Executor::new(ctx).expect("executor");
    let list = lights::procedural(lights, field, 7);
    let buffers = LightBuffers::upload(&mut ex, &list).expect("lights");
    let mut compiler = Compiler::new();
    let mut walls = Vec::new();
    for frame in 0..frames + 3 {
        let mut g: Graph<Pass> = Graph::new(Extent::new(WIDTH, HEIGHT));
        let input = buffers.import(&mut g);
        let time = frame as f32 / 60.0;
        let view = camera::path(time, field).frame(WIDTH, HEIGHT);
        let out = ClusterLights { view, grid: ClusterGrid::default(), time }.add(&mut g, input);
        g.export(out.items);
        g.export(out.counts);
        g.export(out.overflow);
        let compiled = compiler.compile_frame(g, ex.memory()).expect("compile");
        let bindings = buffers.bind(Bindings::new(), &input);
        ex.wait_idle().expect("idle");
        let start = Instant::now();
        ex.run(compiled, &bindings).expect("frame");
        ex.wait_idle().expect("idle");
        if frame >= 3 {
            walls.push(start.elapsed().as_secs_f64());
        }
    }
    median(walls)
}

fn main() {
    let frames: u64 =
        std::env::var("RG_LIGHTS_FRAMES").ok().and_then(|s| s.parse().ok()).unwrap_or(10);
    let ctx = match Context::new(&Config::default()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("lights: no Vulkan device: {e}");
            return;
        }
    };
    println!(
        "lights: {} at {WIDTH}x{HEIGHT}, {LIGHTS} lights, {INSTANCES} instances, 16x9x24 clusters, {frames} frames measured",
        ctx.capabilities.device_name
    );
    let (with, passes) = scene_frames(&ctx, LIGHTS, frames);
    let (without, _) = scene_frames(&ctx, 0, frames);
    println!("| pass | GPU median (timestamps) |");
    println!("| --- | ---: |");
    for label in ["lights.animate", "lights.cluster", "lighting"] {
        let t = passes.get(label).copied().unwrap_or(f64::NAN);
        println!("| {label} | {:.1} µs |", t / 1000.0);
    }
    let alone = light_passes(&ctx, LIGHTS, frames) - light_passes(&ctx, 1, frames);
    println!();
    println!("| wall clock, submission to idle | median |");
    println!("| --- | ---: |");
    println!(
        "| light passes alone ({LIGHTS} lights) minus the same with 1 light | {:.2} ms |",
        alone * 1e3
    );
    println!("| scene frame with {LIGHTS} lights | {:.2} ms |", with * 1e3);
    println!("| scene frame without lights | {:.2} ms |", without * 1e3);
    println!("| the lights' share (clustering and shading) | {:.2} ms |", (with - without) * 1e3);
}

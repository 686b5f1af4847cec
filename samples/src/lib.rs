//! What every sample shares: command-line options, the headless path (render, read back,
//! write a PNG), the windowed path (winit window, swapchain, resize), and the per-pass table
//! printed at the end of a run.
//!
//! A sample is a [`Sample`]: each frame it declares its passes into a graph whose output image
//! it must write. The harness imports that output (a swapchain image, or an image it reads back
//! to PNG), compiles the graph with a cached [`rg_core::Compiler`] and runs it.

#![forbid(unsafe_code)]

pub mod compute;
pub mod showcase;
pub mod triangle;
pub mod xvfb;

use rg_core::{
    Access, Compiled, Compiler, Extent, Format, Graph, ImageDesc, ImageHandle, Plan, QueueKind,
    ResourceState, Size,
};
use rg_vulkan::{
    readback, Bindings, Config, Context, Error, Executor, ExecutorConfig, FrameCapture, MemoryUse,
    Pass, Rendering, Swapchain,
};
use std::path::PathBuf;
use std::sync::Arc;

/// A sample: declares one frame's passes writing `output`.
pub trait Sample {
    fn name(&self) -> &'static str;
    /// Declares the frame's passes. `output` starts with undefined contents; the sample must
    /// write all of it (as a colour attachment or by a copy) and return its final version.
    fn frame(&mut self, g: &mut Graph<Pass>, output: ImageHandle, frame: u64) -> ImageHandle;

    /// Makes the sample's persistent resources (a scene's buffers, say) once the executor
    /// exists, before the first frame.
    ///
    /// # Errors
    /// Whatever making them fails with.
    fn prepare(&mut self, _ex: &mut Executor) -> Result<(), Error> {
        Ok(())
    }

    /// Binds what the last [`Sample::frame`] imported besides the output.
    fn bind(&self, bindings: Bindings) -> Bindings {
        bindings
    }

    /// Before each frame: picks up edits to files the sample reads besides shaders (a frame
    /// description), each checked before it is used; on a mistake the sample keeps what it
    /// had. Returns what it read again.
    fn reload(&mut self) -> Vec<Reloaded> {
        Vec::new()
    }

    /// After the last frame, with the GPU idle: the sample's own statistics for `--stats`.
    ///
    /// # Errors
    /// Reading them back failed.
    fn finish(&mut self, _ex: &mut Executor) -> Result<Option<String>, Error> {
        Ok(None)
    }
}

/// A file read again while a sample ran (a shader, a frame description), and how it went.
#[derive(Clone, Debug)]
pub struct Reloaded {
    /// What was read, with its path.
    pub what: String,
    /// `Err` with every mistake when the edit was not taken (what ran before keeps running).
    pub result: Result<(), String>,
    /// Reading, checking and rebuilding it.
    pub elapsed: std::time::Duration,
}

impl Reloaded {
    /// One line for the terminal and the profiler.
    pub fn line(&self) -> String {
        let ms = self.elapsed.as_secs_f64() * 1e3;
        match &self.result {
            Ok(()) => format!("reloaded {} in {ms:.1} ms", self.what),
            Err(e) => format!(
                "reload of {} failed after {ms:.1} ms; the last good one keeps running:\n{e}",
                self.what
            ),
        }
    }
}

/// The samples by name, as they start with no options, for tools that list or draw them.
///
/// # Errors
/// No sample has that name, or the sample cannot start (its frame description has mistakes).
pub fn by_name(name: &str) -> Result<Box<dyn Sample>, String> {
    match name {
        "compute" => Ok(Box::new(compute::ComputeChain)),
        "showcase" => match showcase::Showcase::from_args(Vec::new()) {
            Ok((s, _)) => Ok(Box::new(s)),
            Err(showcase::ArgsError::Usage(e) | showcase::ArgsError::Gltf(e)) => Err(e),
            Err(showcase::ArgsError::Pipeline(e)) => Err(e),
        },
        "triangle" => Ok(Box::new(triangle::Triangle)),
        _ => Err(format!("no sample called `{name}` (there are: {})", SAMPLES.join(", "))),
    }
}

/// The names [`by_name`] knows.
pub const SAMPLES: &[&str] = &["compute", "showcase", "triangle"];

/// Declares one windowed frame of `sample` into a `format` swapchain image of `width` x
/// `height`, acquired and presented; returns the graph and the imported swapchain image. The
/// windowed path runs it; tools compile and draw it without a device.
pub fn frame_graph(
    sample: &mut dyn Sample,
    format: Format,
    width: u32,
    height: u32,
    frame: u64,
) -> (Graph<Pass>, ImageHandle) {
    let mut g: Graph<Pass> = Graph::new(Extent::new(width, height));
    let output = g.import_image(
        "swapchain",
        ImageDesc::new(format, Size::FULL),
        ResourceState::swapchain_acquired(),
        ResourceState::present(),
    );
    sample.frame(&mut g, output, frame);
    (g, output)
}

/// A sample whose frame ends with a pass that fails while recording (`--fail-at`): it writes
/// the output after the sample, so it is never culled, begins rendering and returns an error.
struct FailingFrame<'a>(&'a mut dyn Sample);

impl Sample for FailingFrame<'_> {
    fn name(&self) -> &'static str {
        self.0.name()
    }

    fn frame(&mut self, g: &mut Graph<Pass>, output: ImageHandle, frame: u64) -> ImageHandle {
        let last = self.0.frame(g, output, frame);
        let mut p = g.add_pass("harness.fail", QueueKind::Graphics);
        let out = p.write(last, Access::ColorWrite);
        p.record(Box::new(move |r| {
            r.begin_rendering(Rendering::clear([1.0, 0.0, 1.0, 1.0]))?;
            Err(Error::Pass {
                pass: "harness.fail".into(),
                message: format!("frame {frame} fails on purpose (--fail-at)"),
            })
        }));
        out
    }
}

/// Parses `WIDTHxHEIGHT`, each 1..=16384.
pub fn parse_size(v: &str) -> Option<(u32, u32)> {
    v.split_once('x')
        .and_then(|(w, h)| Some((w.parse().ok()?, h.parse().ok()?)))
        .filter(|&(w, h): &(u32, u32)| w > 0 && h > 0 && w <= 16384 && h <= 16384)
}

/// Command-line options every sample takes.
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    /// Render without a window even when a display exists.
    pub headless: bool,
    /// Frames to run (headless default 1; windowed default: until the window closes).
    pub frames: Option<u64>,
    /// Where the headless path writes its PNG.
    pub out: PathBuf,
    pub width: u32,
    pub height: u32,
    /// Print the per-pass table at the end.
    pub stats: bool,
    /// Give every transient its own memory (same schedule and barriers).
    pub no_aliasing: bool,
    /// Windowed: ask the window to shrink at this frame (to exercise swapchain recreation).
    pub resize_at: Option<u64>,
    /// Windowed: a pass fails while recording at this frame, counting from 0 (to exercise the
    /// error path: the run stops with the error).
    pub fail_at: Option<u64>,
    /// Validation and synchronization validation (default: on in debug builds, or as
    /// `RG_VALIDATION` says).
    pub validation: bool,
    /// Send zones, plots and messages to Tracy (default: on when built with the `tracy`
    /// feature; `--tracy` in a build without it is an error).
    pub tracy: bool,
    /// Keep what is sent to the profiler in [`Report::profile`] (for tests; not an option).
    pub keep_profile_events: bool,
    /// Capture this frame (counting from 0) with RenderDoc, which must be loaded (the sample
    /// started under it). Headless, the run lasts this frame plus one unless `frames` says.
    pub capture_frame: Option<u64>,
    /// Where the capture goes.
    pub capture_out: PathBuf,
    /// Keep transients aliased in a capture run (by default each gets its own memory, so the
    /// capture shows every image's own contents).
    pub capture_aliasing: bool,
    /// Where shaders are read from (default: the workspace's `shaders/`).
    pub shaders: Option<PathBuf>,
}

impl Options {
    /// Whether transients share memory in this run: unless asked otherwise, not in a capture
    /// run.
    pub fn aliasing(&self) -> bool {
        !self.no_aliasing && (self.capture_frame.is_none() || self.capture_aliasing)
    }

    /// The executor's configuration for this run.
    pub fn executor_config(&self) -> ExecutorConfig {
        let mut config = ExecutorConfig {
            aliasing: self.aliasing(),
            tracy: self.tracy,
            ..ExecutorConfig::default()
        };
        if let Some(dir) = &self.shaders {
            config.shader_root = dir.clone();
        }
        config
    }

    /// Where frame `frame`'s picture goes when every frame is written (`--out` with
    /// `{frame}` in it), or none.
    pub fn frame_png(&self, frame: u64) -> Option<PathBuf> {
        let out = self.out.to_str()?;
        out.contains("{frame}").then(|| PathBuf::from(out.replace("{frame}", &frame.to_string())))
    }
}

pub const USAGE: &str = "options:
  --headless         render without a window, even when a display exists
  --frames N         frames to run (headless: default 1; windowed: until closed)
  --out FILE.png     where the headless image goes (default: <sample>.png); a name with
                     {frame} in it writes every frame (frame-{frame}.png)
  --shaders DIR      read shaders from DIR instead of the workspace's shaders/ (they are
                     read again whenever they change while the sample runs)
  --size WxH         output size (default 640x480)
  --stats            print a per-pass table (GPU time, barriers, transient bytes) at the end
  --no-aliasing      give every transient its own memory (for frame captures)
  --resize-at N      windowed: shrink the window at frame N (tests swapchain recreation)
  --fail-at N        windowed: a pass fails at frame N, counting from 0 (tests the error path)
  --capture-frame N  capture frame N (counting from 0) with RenderDoc, which the sample must be
                     started under (see the README); headless runs N+1 frames unless --frames
                     says; transients get their own memory unless --capture-aliasing
  --capture-out FILE.rdc  where the capture goes (default: <sample>.rdc)
  --capture-aliasing keep transients aliased in the captured run
  --tracy            send CPU and GPU zones, plots and messages to the Tracy profiler (needs a
                     build with `--features tracy`, where it is on by default)
  --help             this text";

impl Options {
    /// Parses `args` (without the program name).
    ///
    /// # Errors
    /// An unknown option or a bad value, with what was wrong.
    pub fn parse(sample: &str, args: impl IntoIterator<Item = String>) -> Result<Options, String> {
        let mut o = Options {
            headless: false,
            frames: None,
            out: PathBuf::from(format!("{sample}.png")),
            width: 640,
            height: 480,
            stats: false,
            no_aliasing: false,
            resize_at: None,
            fail_at: None,
            validation: Config::default().validation,
            tracy: rg_vulkan::profile::TRACY_BUILT,
            keep_profile_events: false,
            capture_frame: None,
            capture_out: PathBuf::from(format!("{sample}.rdc")),
            capture_aliasing: false,
            shaders: None,
        };
        let mut capture_options = Vec::new();
        let mut args = args.into_iter();
        while let Some(a) = args.next() {
            let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
            match a.as_str() {
                "--headless" => o.headless = true,
                "--stats" => o.stats = true,
                "--no-aliasing" => o.no_aliasing = true,
                "--tracy" if rg_vulkan::profile::TRACY_BUILT => o.tracy = true,
                "--tracy" => {
                    return Err("--tracy: this build has no Tracy client; run \
                                `cargo run -p rg-samples --features tracy --bin <sample> -- --tracy`"
                        .into())
                }
                "--frames" => {
                    let v = value("--frames")?;
                    o.frames = Some(
                        v.parse()
                            .ok()
                            .filter(|&n| n > 0)
                            .ok_or(format!("--frames {v}: not a positive number"))?,
                    );
                }
                "--resize-at" => {
                    let v = value("--resize-at")?;
                    o.resize_at =
                        Some(v.parse().map_err(|_| format!("--resize-at {v}: not a number"))?);
                }
                "--fail-at" => {
                    let v = value("--fail-at")?;
                    o.fail_at = Some(v.parse().map_err(|_| format!("--fail-at {v}: not a number"))?);
                }
                "--capture-frame" => {
                    let v = value("--capture-frame")?;
                    o.capture_frame =
                        Some(v.parse().map_err(|_| format!("--capture-frame {v}: not a number"))?);
                }
                "--capture-out" => {
                    o.capture_out = PathBuf::from(value("--capture-out")?);
                    capture_options.push("--capture-out");
                }
                "--capture-aliasing" => {
                    o.capture_aliasing = true;
                    capture_options.push("--capture-aliasing");
                }
                "--out" => o.out = PathBuf::from(value("--out")?),
                "--shaders" => o.shaders = Some(PathBuf::from(value("--shaders")?)),
                "--size" => {
                    let v = value("--size")?;
                    let (w, h) = parse_size(&v)
                        .ok_or(format!("--size {v}: expected WIDTHxHEIGHT, e.g. 640x480"))?;
                    o.width = w;
                    o.height = h;
                }
                "--help" | "-h" => return Err(String::new()),
                other => return Err(format!("unknown option `{other}`")),
            }
        }
        match (o.capture_frame, o.frames) {
            (None, _) if !capture_options.is_empty() => {
                return Err(format!("{} needs --capture-frame N", capture_options.join(" and ")))
            }
            (Some(n), Some(frames)) if frames <= n => {
                return Err(format!(
                    "--capture-frame {n}: the run has {frames} frame(s), counting from 0; \
                     capture an earlier one or run more (--frames {})",
                    n + 1
                ))
            }
            _ => {}
        }
        Ok(o)
    }
}

/// What a run did.
#[derive(Clone, Debug, Default)]
pub struct Report {
    pub frames: u64,
    /// The last frame's CPU-side statistics.
    pub last: rg_vulkan::FrameStats,
    /// Per pass (plan order of the last frame): label, barriers before it, transient bytes it
    /// touches, GPU times over the frames.
    pub passes: Vec<PassRow>,
    /// Swapchain recreations (windowed).
    pub recreated: u32,
    /// Why the graph was compiled anew, once per compile that missed the plan cache.
    pub recompiles: Vec<String>,
    /// The final output size.
    pub width: u32,
    pub height: u32,
    /// Headless: the PNG written.
    pub png: Option<PathBuf>,
    /// Validation warnings and errors.
    pub problems: Vec<String>,
    /// What was sent to the profiler, when [`Options::keep_profile_events`] is on.
    pub profile: Vec<rg_vulkan::ProfileEvent>,
    /// Whether zones reached a Tracy client with a GPU context.
    pub profiled_with_tracy: bool,
    /// The sample's own statistics ([`Sample::finish`]).
    pub sample_stats: Option<String>,
    /// The frame capture written (`--capture-frame`).
    pub capture: Option<PathBuf>,
    /// Files read again while the sample ran: shaders and frame descriptions.
    pub reloads: Vec<Reloaded>,
}

/// One row of the per-pass table.
#[derive(Clone, Debug, Default)]
pub struct PassRow {
    pub label: Arc<str>,
    pub barriers: usize,
    pub transient_bytes: u64,
    pub gpu_ns: Vec<f64>,
}

impl Report {
    fn note_plan(&mut self, plan: &Plan) {
        self.passes = plan
            .passes
            .iter()
            .map(|p| {
                let mut seen = Vec::new();
                let mut bytes = 0;
                for a in plan.accesses_of(p) {
                    let r = &plan.resources[a.resource];
                    if let (Some(pl), false) = (r.placement, seen.contains(&a.resource)) {
                        seen.push(a.resource);
                        bytes += pl.size;
                    }
                }
                let old = self.passes.iter().find(|o| o.label == p.label);
                PassRow {
                    label: p.label.clone(),
                    barriers: plan.barriers_of(p).len(),
                    transient_bytes: bytes,
                    gpu_ns: old.map(|o| o.gpu_ns.clone()).unwrap_or_default(),
                }
            })
            .collect();
    }

    fn note_gpu(&mut self, frames: Vec<rg_vulkan::GpuFrame>) {
        for f in frames {
            for (label, ns) in f.passes {
                if let Some(row) = self.passes.iter_mut().find(|r| r.label == label) {
                    row.gpu_ns.push(ns);
                }
            }
        }
    }

    /// The per-pass table: GPU time (median over the frames), barriers before the pass,
    /// transient bytes it touches; then the frame totals.
    pub fn table(&self) -> String {
        let mut s = String::new();
        let w = self.passes.iter().map(|p| p.label.len()).max().unwrap_or(4).max(4);
        s.push_str(&format!(
            "{:<w$}  {:>12}  {:>8}  {:>14}\n",
            "pass", "gpu median", "barriers", "transient B"
        ));
        let mut total_gpu = 0.0;
        for p in &self.passes {
            let med = median(&p.gpu_ns);
            total_gpu += med.unwrap_or(0.0);
            let gpu = med.map_or("-".into(), |ns| format!("{:.1} us", ns / 1000.0));
            s.push_str(&format!(
                "{:<w$}  {:>12}  {:>8}  {:>14}\n",
                p.label, gpu, p.barriers, p.transient_bytes
            ));
        }
        let l = &self.last;
        s.push_str(&format!(
            "frame: {} passes run, {} culled, {} barriers in {} calls, GPU {:.1} us (sum of medians), CPU record {:.1} us\n",
            l.passes_run, l.passes_culled, l.barriers, l.barrier_calls, total_gpu / 1000.0, l.record_us
        ));
        s.push_str(&format!(
            "transients: {} B used, {} B lower bound, {} B without aliasing\n",
            l.transient_bytes, l.lower_bound_bytes, l.unaliased_bytes
        ));
        s
    }
}

impl Report {
    /// The files read again during the run, each with what it cost: a count, then a line
    /// each (`--stats`).
    pub fn reload_table(&self) -> String {
        let failed = self.reloads.iter().filter(|r| r.result.is_err()).count();
        let mut s = format!("reloads: {} taken, {failed} refused\n", self.reloads.len() - failed);
        for r in &self.reloads {
            s.push_str(&format!("  {}\n", r.line().lines().next().unwrap_or("")));
        }
        s
    }
}

fn median(v: &[f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    let mut v = v.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    Some(v[v.len() / 2])
}

/// Whether a display to open a window on exists.
pub fn display_exists() -> bool {
    std::env::var_os("DISPLAY").is_some_and(|d| !d.is_empty())
}

/// The sample's `main`: parses options, runs windowed or headless, prints the outcome. Exit
/// codes: 0 success, 1 a runtime error, 2 bad options, 3 validation reported problems.
pub fn main_with(sample: &mut dyn Sample) -> std::process::ExitCode {
    main_with_args(sample, std::env::args().skip(1).collect(), "")
}

/// [`main_with`] on `args` (without the program name); `extra_usage` lists options the
/// sample's own `main` took out of them before.
pub fn main_with_args(
    sample: &mut dyn Sample,
    args: Vec<String>,
    extra_usage: &str,
) -> std::process::ExitCode {
    let name = sample.name();
    let opts = match Options::parse(name, args) {
        Ok(o) => o,
        Err(e) => {
            if e.is_empty() {
                println!("{name}: a sample of the rg frame graph\n{USAGE}{extra_usage}");
                return std::process::ExitCode::SUCCESS;
            }
            eprintln!("{name}: {e}\n{USAGE}{extra_usage}");
            return std::process::ExitCode::from(2);
        }
    };
    let windowed = !opts.headless && display_exists();
    let result = if windowed { window::run(sample, &opts) } else { run_headless(sample, &opts) };
    match result {
        Ok(report) => {
            if let Some(png) = &report.png {
                println!(
                    "{name}: {} frame(s) headless, {}x{} image written to {}",
                    report.frames,
                    report.width,
                    report.height,
                    png.display()
                );
            } else {
                println!(
                    "{name}: {} frame(s) in a window, last size {}x{}, swapchain recreated {} time(s)",
                    report.frames, report.width, report.height, report.recreated
                );
            }
            match (&report.capture, opts.capture_frame) {
                (Some(path), Some(n)) => {
                    println!("{name}: frame {n} captured with RenderDoc to {}", path.display())
                }
                (None, Some(n)) => eprintln!("{name}: the run ended before frame {n}: no capture"),
                _ => {}
            }
            println!(
                "{name}: compiled {} time(s), the plan cache served the other frames: {}",
                report.recompiles.len(),
                report.recompiles.join("; ")
            );
            if opts.stats {
                print!("{}", report.table());
                if let Some(stats) = &report.sample_stats {
                    print!("{stats}");
                }
                print!("{}", report.reload_table());
            }
            if !report.problems.is_empty() {
                eprintln!(
                    "{name}: the validation layers reported {} problem(s):",
                    report.problems.len()
                );
                for p in &report.problems {
                    eprintln!("  {p}");
                }
                return std::process::ExitCode::from(3);
            }
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{name}: {e}");
            std::process::ExitCode::from(1)
        }
    }
}

/// Renders `opts.frames` frames (default 1) into an image, reads the last one back and writes
/// it to `opts.out` as PNG.
///
/// # Errors
/// No device, a compile error, a failed frame, or the PNG cannot be written.
pub fn run_headless(sample: &mut dyn Sample, opts: &Options) -> Result<Report, Error> {
    let ctx = Context::new(&Config {
        app_name: sample.name().into(),
        validation: opts.validation,
        ..Config::default()
    })?;
    let result = headless_frames(&ctx, sample, opts);
    let problems = ctx.shutdown();
    let mut report = result?;
    report.problems = problems.iter().map(|m| format!("[{}] {}", m.id, m.text)).collect();
    Ok(report)
}

fn headless_frames(
    ctx: &Context,
    sample: &mut dyn Sample,
    opts: &Options,
) -> Result<Report, Error> {
    // Before any work: without RenderDoc the run stops here, saying how to start it.
    let mut capture = opts.capture_frame.map(|_| FrameCapture::new(ctx)).transpose()?;
    let mut ex = Executor::with_config(ctx, opts.executor_config())?;
    ex.profiler().keep_events(opts.keep_profile_events);
    sample.prepare(&mut ex)?;
    let format = Format::Rgba8Unorm;
    let (w, h) = (opts.width, opts.height);
    let image = ex.create_image("output", format, w, h)?;
    let bytes = w as u64 * h as u64 * 4;
    let buffer = ex.create_buffer("output.readback", bytes, MemoryUse::Readback)?;
    let mut compiler = FrameCompiler::default();
    let mut report = Report { width: w, height: h, ..Report::default() };
    let frames = opts.frames.unwrap_or(opts.capture_frame.map_or(1, |n| n + 1));
    for frame in 0..frames {
        let captured = capture.as_mut().filter(|_| opts.capture_frame == Some(frame));
        if let Some(c) = captured {
            c.start(&opts.capture_out)?;
        }
        reload(&mut ex, sample, &mut report)?;
        let mut g: Graph<Pass> = Graph::new(Extent::new(w, h));
        let fresh = ResourceState::undefined(QueueKind::Graphics);
        let output =
            g.import_image("output", ImageDesc::new(format, Size::FULL), fresh, readback::COPIED);
        let last = sample.frame(&mut g, output, frame);
        let rb = readback::add_readback(&mut g, last, "output.readback", bytes);
        let compiled = compiler.compile(g, &mut ex)?;
        report.note_plan(compiled.plan());
        let bindings = sample.bind(Bindings::new().image(output, image).buffer(rb, buffer));
        report.last = ex.run(compiled, &bindings)?;
        if let Some(c) = capture.as_mut().filter(|c| c.capturing()) {
            report.capture = Some(c.end()?);
        }
        ex.profiler().frame_mark();
        report.note_gpu(ex.take_gpu_frames());
        report.frames += 1;
        if let Some(png) = opts.frame_png(frame) {
            ex.wait_idle()?;
            readback::write_png(&png, w, h, format, &ex.read_buffer(buffer)?)?;
            report.png = Some(png);
        }
    }
    ex.wait_idle()?;
    report.note_gpu(ex.take_gpu_frames());
    report.sample_stats = sample.finish(&mut ex)?;
    report.profile = ex.profiler().take_events();
    report.recompiles = compiler.reasons;
    report.profiled_with_tracy = ex.profiler().sends_to_tracy() && ex.profiler().has_gpu_context();
    if report.png.is_none() {
        let texels = ex.read_buffer(buffer)?;
        readback::write_png(&opts.out, w, h, format, &texels)?;
        report.png = Some(opts.out.clone());
    }
    Ok(report)
}

/// Before a frame: shaders and the sample's own files that changed since they were read are
/// read again (each checked first; on a mistake what ran before keeps running). Each reload is
/// printed, sent to the profiler with its cost, and kept in the report.
///
/// # Errors
/// None today from the shaders' side (a shader that does not compile is reported, not
/// returned); kept for the executor's signature.
fn reload(ex: &mut Executor, sample: &mut dyn Sample, report: &mut Report) -> Result<(), Error> {
    let shaders = ex.reload_shaders()?;
    let mut done = Vec::new();
    if !shaders.reloaded.is_empty() {
        done.push(Reloaded {
            what: format!("shader(s) {}", shaders.reloaded.join(", ")),
            result: Ok(()),
            elapsed: shaders.elapsed,
        });
    }
    for (name, e) in shaders.failed {
        done.push(Reloaded {
            what: format!("shader {name}"),
            result: Err(e.to_string()),
            elapsed: shaders.elapsed,
        });
    }
    done.extend(sample.reload());
    for r in done {
        let line = r.line();
        eprintln!("{}: {line}", sample.name());
        let profiler = ex.profiler();
        profiler.message(&line);
        profiler.plot("reload ms", r.elapsed.as_secs_f64() * 1e3);
        report.reloads.push(r);
    }
    Ok(())
}

/// The cached compiler of a run, reporting compile times and recompiles to the profiler.
#[derive(Default)]
struct FrameCompiler {
    compiler: Compiler,
    /// The output extent of the last compiled frame.
    extent: Option<Extent>,
    /// The reason of every recompile so far.
    reasons: Vec<String>,
}

impl FrameCompiler {
    /// Compiles `g` (a cache hit when its structure is unchanged) into a frame to run; a
    /// compile error becomes [`Error::Compile`], listing every problem. A recompile sends a
    /// message saying why.
    fn compile(&mut self, g: Graph<Pass>, ex: &mut Executor) -> Result<Compiled<Pass>, Error> {
        // Two reference counts, not a new answerer of memory questions every frame.
        let memory = ex.memory().clone();
        let profiler = ex.profiler();
        let misses = self.compiler.cache_stats().1;
        let now = g.output_extent();
        let start = std::time::Instant::now();
        let zone = profiler.zone("compile");
        let compiled = self.compiler.compile_frame(g, &memory)?;
        drop(zone);
        profiler.plot("compile us", start.elapsed().as_secs_f64() * 1e6);
        if self.compiler.cache_stats().1 > misses {
            let why = match self.extent {
                None => "first frame".to_string(),
                Some(e) if e != now => format!(
                    "output resized from {}x{} to {}x{}",
                    e.width, e.height, now.width, now.height
                ),
                Some(_) => "structure changed".to_string(),
            };
            profiler.message(&format!("frame graph recompiled: {why}"));
            self.reasons.push(why);
        }
        self.extent = Some(now);
        Ok(compiled)
    }
}

/// The windowed path.
pub mod window;

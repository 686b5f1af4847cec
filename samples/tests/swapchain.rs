//! The swapchain's teardown and error paths under Xvfb, on the device (lavapipe in CI), with
//! validation and synchronization validation on: a swapchain dropped without `destroy`, frames
//! whose pass fails while presenting, an error found before recording, executors of another
//! device or another executor, and the windowed sample stopping on a failed frame.

use raw_window_handle::HasDisplayHandle;
use rg_core::{
    Access, Compiler, Extent, Graph, ImageDesc, QueueKind, ResourceState, Size, StageMask,
};
use rg_samples::xvfb::Xvfb;
use rg_vulkan::{
    Acquired, Bindings, Config, Context, Error, Executor, MessageLog, Pass, Rendering, Swapchain,
};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use winit::event_loop::EventLoop;
use winit::platform::x11::EventLoopBuilderExtX11;
use winit::window::Window;

fn require_gpu() -> bool {
    std::env::var("RG_REQUIRE_GPU").is_ok_and(|v| v == "1")
}

/// Whether a Vulkan device exists; with `RG_REQUIRE_GPU=1` a missing one fails the test.
fn device_or_skip(test: &str) -> bool {
    match Context::new(&Config::default()) {
        Ok(_) => true,
        Err(e) if require_gpu() => panic!("{test}: RG_REQUIRE_GPU=1 but there is no device: {e}"),
        Err(e) => {
            eprintln!("{test}: SKIPPED, no Vulkan device: {e}");
            false
        }
    }
}

/// Starts Xvfb on a free display, or says why not: a skip, or a failure with
/// `RG_REQUIRE_GPU=1`.
fn xvfb_or_skip(test: &str) -> Option<Xvfb> {
    match Xvfb::start() {
        Ok(x) => Some(x),
        Err(e) if require_gpu() => panic!("{test}: Xvfb cannot start ({e}); run tools/setup.sh"),
        Err(e) => {
            eprintln!("{test}: SKIPPED, Xvfb cannot start: {e}");
            None
        }
    }
}

/// Fails with every warning or error the validation layers reported.
fn assert_clean(log: &MessageLog, what: &str) {
    let problems = log.problems();
    assert!(
        problems.is_empty(),
        "{what}: {} validation message(s):\n{}",
        problems.len(),
        problems.iter().map(|m| format!("[{}] {}", m.id, m.text)).collect::<Vec<_>>().join("\n")
    );
}

/// A window on the test's X server, a validated context for its display and an executor.
fn setup(el: &EventLoop<()>) -> (Arc<Window>, Context, Executor) {
    let attrs = Window::default_attributes()
        .with_title("rg: swapchain test")
        .with_inner_size(winit::dpi::PhysicalSize::new(320u32, 240u32));
    // The test never runs the event loop (its windows need no events), so it makes windows
    // outside of it.
    #[allow(deprecated)]
    let window = Arc::new(el.create_window(attrs).expect("a window on Xvfb"));
    let display = window.display_handle().expect("a display handle").as_raw();
    let ctx =
        Context::new(&Config { validation: true, display: Some(display), ..Config::default() })
            .expect("a context for the window's display");
    let ex = Executor::new(&ctx).expect("an executor");
    (window, ctx, ex)
}

/// How a test frame goes.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Outcome {
    /// The pass clears the image.
    Clears,
    /// The pass begins rendering, then returns an error.
    Fails,
    /// The swapchain image is not bound: `run` fails before recording.
    Unbound,
}

/// Acquires an image, runs one frame of a single pass `test.clear` (or `test.fail`) writing
/// it, and returns the image with `run`'s result. Recreates the swapchain when it is out of
/// date.
fn run_frame(
    ex: &mut Executor,
    sc: &mut Swapchain,
    outcome: Outcome,
) -> (Acquired, Result<rg_vulkan::FrameStats, Error>) {
    let a = loop {
        match sc.acquire().expect("acquire") {
            Some(a) => break a,
            None => sc.recreate(ex, 320, 240).expect("recreate"),
        }
    };
    let mut g: Graph<Pass> = Graph::new(Extent::new(a.width, a.height));
    let out = g.import_image(
        "swapchain",
        ImageDesc::new(a.format, Size::FULL),
        ResourceState::swapchain_acquired(),
        ResourceState::present(),
    );
    let fails = outcome == Outcome::Fails;
    let mut p = g.add_pass(if fails { "test.fail" } else { "test.clear" }, QueueKind::Graphics);
    let _presented = p.write(out, Access::ColorWrite);
    p.record(Box::new(move |r| {
        r.begin_rendering(Rendering::clear([0.2, 0.4, 0.6, 1.0]))?;
        if fails {
            return Err(Error::Pass { pass: "test.fail".into(), message: "on purpose".into() });
        }
        Ok(())
    }));
    let compiled = Compiler::new().compile_frame(g, ex.memory()).expect("the frame compiles");
    let bindings = match outcome {
        Outcome::Unbound => Bindings::new(),
        _ => Bindings::new().image(out, a.image),
    }
    .present(&a);
    let result = ex.run(compiled, &bindings);
    (a, result)
}

/// Presents `a`; recreates the swapchain when it is out of date or suboptimal.
fn present(ex: &mut Executor, sc: &mut Swapchain, a: &Acquired) {
    if !sc.present(a).expect("present") {
        sc.recreate(ex, 320, 240).expect("recreate");
    }
}

/// Kills the X server and the test if it hangs (an acquire on an unbalanced semaphore, or
/// with too many images held, waits forever).
fn watchdog(test: &'static str, xvfb_pid: u32, limit: Duration) {
    std::thread::spawn(move || {
        std::thread::sleep(limit);
        eprintln!("{test}: still running after {limit:?}: a swapchain call hangs");
        let _ = Command::new("kill").arg(xvfb_pid.to_string()).status();
        std::process::exit(101);
    });
}

/// Checks, in one process (winit makes one event loop per process), with a 320x240 window
/// and a graph of one pass writing the imported swapchain image:
/// (a) a swapchain used for a few frames and dropped without `destroy`, then its executor and
///     its context, leaves nothing for the validation layer's object tracker to report when
///     the device and the instance are destroyed;
/// (b) frames whose pass fails after beginning rendering (the first frame of all, two in a
///     row, and others among good frames) return the pass's error, and presenting their image
///     and acquiring again works, for more frames than there are images and acquire
///     semaphores, with no validation message;
/// (c) a failed frame that is not presented, then `destroy`, and an error found before
///     recording followed by `recreate` and good frames, are clean too;
/// (d) an executor of another context is refused by `new`, `recreate` and `destroy`, one of
///     the same context that does not hold the images by `recreate`, and an image acquired
///     before a `recreate` by `present`, each with an error naming the problem.
#[test]
fn swapchain_teardown_and_failed_frames_are_clean() {
    let test = "swapchain_teardown";
    if !device_or_skip(test) {
        return;
    }
    let Some(x) = xvfb_or_skip(test) else { return };
    watchdog(test, x.id(), Duration::from_secs(300));
    // winit opens the display that DISPLAY names; this test is the only one in this binary
    // that reads it.
    std::env::set_var("DISPLAY", x.display());
    let el = EventLoop::builder().with_any_thread(true).build().expect("an event loop on Xvfb");

    // (a) Dropped without `destroy`, after frames in flight.
    {
        let (window, ctx, mut ex) = setup(&el);
        let log = ctx.message_log();
        let mut sc = Swapchain::new(&ctx, &mut ex, window.clone(), 320, 240).expect("new");
        let mut kept = None;
        for _ in 0..4 {
            let (a, r) = run_frame(&mut ex, &mut sc, Outcome::Clears);
            r.expect("a clearing frame runs");
            present(&mut ex, &mut sc, &a);
            kept = Some(a);
        }
        drop(sc);
        // An image of the dropped swapchain is refused, not recorded on.
        let a = kept.expect("an acquired image");
        let mut g: Graph<Pass> = Graph::new(Extent::new(a.width, a.height));
        let state = ResourceState::shader_read(QueueKind::Graphics, StageMask::FRAGMENT_SHADER);
        let out = g.import_image("stale", ImageDesc::new(a.format, Size::FULL), state, state);
        let mut p = g.add_pass("test.stale", QueueKind::Graphics);
        let written = p.write(out, Access::CopyDst);
        p.record(Box::new(move |r| r.clear_image(written, [0.0; 4])));
        let compiled = Compiler::new().compile_frame(g, ex.memory()).expect("compiles");
        let e = ex.run(compiled, &Bindings::new().image(out, a.image)).expect_err("refused");
        assert!(e.to_string().contains("swapchain has been dropped"), "(a) {e}");
        drop(ex);
        drop(ctx);
        assert_clean(&log, "(a) swapchain dropped without destroy");
    }

    // (b) Failed frames among good ones, each presented.
    {
        let (window, ctx, mut ex) = setup(&el);
        let log = ctx.message_log();
        let mut sc = Swapchain::new(&ctx, &mut ex, window.clone(), 320, 240).expect("new");
        let fails = [0, 2, 3, 7, 10];
        for k in 0..14 {
            let outcome = if fails.contains(&k) { Outcome::Fails } else { Outcome::Clears };
            let (a, r) = run_frame(&mut ex, &mut sc, outcome);
            match (outcome, r) {
                (Outcome::Fails, Err(Error::Pass { pass, .. })) => assert_eq!(pass, "test.fail"),
                (Outcome::Fails, other) => panic!("(b) frame {k}: the pass's error, got {other:?}"),
                (_, r) => {
                    r.unwrap_or_else(|e| panic!("(b) frame {k} runs: {e}"));
                }
            }
            present(&mut ex, &mut sc, &a);
        }
        sc.destroy(&mut ex).expect("destroy");
        drop(ex);
        assert_clean(&log, "(b) failed frames presented");
        drop(ctx);
        assert_clean(&log, "(b) after teardown");
    }

    // (c) A failed frame left unpresented, then `destroy` (what the samples do on an error);
    // an error before recording, then `recreate` (the recovery `Bindings::present` names).
    {
        let (window, ctx, mut ex) = setup(&el);
        let log = ctx.message_log();
        let mut sc = Swapchain::new(&ctx, &mut ex, window.clone(), 320, 240).expect("new");
        let (a, r) = run_frame(&mut ex, &mut sc, Outcome::Clears);
        r.expect("a clearing frame runs");
        present(&mut ex, &mut sc, &a);
        let (_, r) = run_frame(&mut ex, &mut sc, Outcome::Fails);
        assert!(matches!(r, Err(Error::Pass { .. })), "{r:?}");
        sc.destroy(&mut ex).expect("destroy");

        let mut sc = Swapchain::new(&ctx, &mut ex, window.clone(), 320, 240).expect("new");
        let (_, r) = run_frame(&mut ex, &mut sc, Outcome::Unbound);
        let e = r.expect_err("an unbound swapchain image is an error");
        assert!(e.to_string().contains("is not bound"), "{e}");
        sc.recreate(&mut ex, 320, 240).expect("recreate");
        for _ in 0..6 {
            let (a, r) = run_frame(&mut ex, &mut sc, Outcome::Clears);
            r.expect("a clearing frame runs after the recovery");
            present(&mut ex, &mut sc, &a);
        }
        drop(sc);
        drop(ex);
        drop(ctx);
        assert_clean(&log, "(c) unpresented failed frame; recovery by recreate");
    }

    // (d) Executors that do not fit.
    {
        let (window, ctx, mut ex) = setup(&el);
        let log = ctx.message_log();
        let (other_window, other_ctx, mut other_ex) = setup(&el);
        let other_log = other_ctx.message_log();
        let e = Swapchain::new(&ctx, &mut other_ex, window.clone(), 320, 240)
            .err()
            .expect("an executor of another context is refused");
        assert!(e.to_string().contains("another context"), "{e}");

        let mut sc = Swapchain::new(&ctx, &mut ex, window.clone(), 320, 240).expect("new");
        let (a, r) = run_frame(&mut ex, &mut sc, Outcome::Clears);
        r.expect("a clearing frame runs");
        present(&mut ex, &mut sc, &a);
        let e = sc.recreate(&mut other_ex, 320, 240).expect_err("another device's executor");
        assert!(e.to_string().contains("another context"), "{e}");
        let mut same_device = Executor::new(&ctx).expect("a second executor");
        let e = sc.recreate(&mut same_device, 320, 240).expect_err("another executor");
        assert!(e.to_string().contains("registered with another executor"), "{e}");

        let (stale, r) = run_frame(&mut ex, &mut sc, Outcome::Clears);
        r.expect("a clearing frame runs");
        present(&mut ex, &mut sc, &stale);
        sc.recreate(&mut ex, 320, 240).expect("recreate");
        let e = sc.present(&stale).expect_err("an image of the swapchain before recreate");
        assert!(e.to_string().contains("before this one was recreated"), "{e}");
        // A frame that would wait on the stale image's (destroyed) semaphores is refused
        // before anything is submitted.
        let mut g: Graph<Pass> = Graph::new(Extent::new(stale.width, stale.height));
        let state = ResourceState::shader_read(QueueKind::Graphics, StageMask::FRAGMENT_SHADER);
        let img = g.import_image("old", ImageDesc::new(stale.format, Size::FULL), state, state);
        let mut p = g.add_pass("test.old", QueueKind::Graphics);
        let written = p.write(img, Access::CopyDst);
        p.record(Box::new(move |r| r.clear_image(written, [0.0; 4])));
        let compiled = Compiler::new().compile_frame(g, ex.memory()).expect("compiles");
        let e = ex.run(compiled, &Bindings::new().present(&stale)).expect_err("stale semaphores");
        assert!(e.to_string().contains("acquired before its swapchain was recreated"), "{e}");

        let e = sc.destroy(&mut other_ex).expect_err("destroy with another device's executor");
        assert!(e.to_string().contains("another context"), "{e}");
        drop((same_device, other_ex, ex));
        drop((ctx, other_ctx, other_window));
        assert_clean(&log, "(d) refused executors");
        assert_clean(&other_log, "(d) the other context");
    }
    drop(x);
}

/// Checks: the triangle sample in a window under Xvfb, told to fail at frame 5 (a pass that
/// begins rendering and returns an error, after the triangle pass), stops with exit code 1 and
/// the pass's error after presenting frames 0 to 4, and does not hang.
#[test]
fn windowed_sample_stops_on_a_failed_frame() {
    let test = "windowed_failed_frame";
    if !device_or_skip(test) {
        return;
    }
    let Some(x) = xvfb_or_skip(test) else { return };
    let mut child = Command::new(env!("CARGO_BIN_EXE_triangle"))
        .args(["--frames", "30", "--fail-at", "5"])
        .env("DISPLAY", x.display())
        .env("RG_VALIDATION", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the sample starts");
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait for the sample") {
            break s;
        }
        if start.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{test}: the sample still runs after 120 s: it hangs after the failed frame");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let out = child.wait_with_output().expect("the sample's output");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("pass `harness.fail` failed: frame 5 fails on purpose (--fail-at)"),
        "{stderr}"
    );
    assert!(!stdout.contains("frame(s) in a window"), "{stdout}");
    drop(x);
}

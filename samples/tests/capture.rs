//! Frame captures with RenderDoc, end to end on the device (lavapipe in CI): the compute sample
//! runs under RenderDoc's Vulkan layer (which reports lavapipe as Vulkan 1.2, so the 1.2 path
//! runs too) with validation and synchronization validation on, headless and windowed under
//! Xvfb, and RenderDoc's Python module (Debian's `/usr/bin/python3` with python3-renderdoc)
//! opens each capture through `rdc_inspect.py` beside this file. Also: the options' rules, and
//! the error that says how to start a sample under RenderDoc.

use rg_core::{Compiler, FakeMemory, Format, Lifetime};
use rg_samples::{compute::ComputeChain, frame_graph, Options};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn require_gpu() -> bool {
    std::env::var("RG_REQUIRE_GPU").is_ok_and(|v| v == "1")
}

/// Whether a Vulkan device exists; with `RG_REQUIRE_GPU=1` a missing one fails the test.
fn device_or_skip(test: &str) -> bool {
    match rg_vulkan::Context::new(&rg_vulkan::Config::default()) {
        Ok(_) => true,
        Err(e) if require_gpu() => panic!("{test}: RG_REQUIRE_GPU=1 but there is no device: {e}"),
        Err(e) => {
            eprintln!("{test}: SKIPPED, no Vulkan device: {e}");
            false
        }
    }
}

/// Debian's Python, which python3-renderdoc installs the module for.
const PYTHON: &str = "/usr/bin/python3";

/// Whether a device, RenderDoc's Vulkan layer and its Python module are all there. With
/// `RG_REQUIRE_GPU=1` (CI, where tools/setup.sh installs librenderdoc and python3-renderdoc) a
/// missing one fails the test.
fn renderdoc_or_skip(test: &str) -> bool {
    if !device_or_skip(test) {
        return false;
    }
    let layer = ["/usr/share/vulkan/implicit_layer.d", "/etc/vulkan/implicit_layer.d"]
        .iter()
        .any(|d| Path::new(d).join("renderdoc_capture.json").exists());
    let module = Command::new(PYTHON)
        .args(["-c", "import renderdoc"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let missing = match (layer, module) {
        (true, true) => return true,
        (false, _) => "RenderDoc's Vulkan layer (Debian package librenderdoc)",
        (true, false) => "RenderDoc's Python module for /usr/bin/python3 (python3-renderdoc)",
    };
    if require_gpu() {
        panic!("{test}: RG_REQUIRE_GPU=1 but {missing} is not installed: run tools/setup.sh");
    }
    eprintln!("{test}: SKIPPED, {missing} is not installed (tools/setup.sh installs it)");
    false
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rg-capture-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir.join(name)
}

/// The compute sample under RenderDoc's layer, with validation on.
fn compute_under_renderdoc(args: &[&str], display: Option<&str>) -> (String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_compute"));
    cmd.args(args).env("ENABLE_VULKAN_RENDERDOC_CAPTURE", "1").env("RG_VALIDATION", "1");
    match display {
        Some(d) => cmd.env("DISPLAY", d),
        None => cmd.env_remove("DISPLAY"),
    };
    let out = cmd.output().expect("the sample starts");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    // Exit 3 is a validation message, 1 a failed run.
    assert!(out.status.success(), "exit {:?}\n{stdout}\n{stderr}", out.status);
    (stdout, stderr)
}

/// What `rdc_inspect.py` found in a capture.
#[derive(Debug, Default)]
struct Capture {
    /// Each marker's label and the actions inside it: dispatches, draws, copies, clears,
    /// indirect-count draws.
    markers: Vec<(String, [u32; 5])>,
    /// Named textures and buffers.
    names: BTreeSet<String>,
    /// Presents (`vkQueuePresentKHR(...)`; RenderDoc ends a frame without one with
    /// `End of Capture`).
    presents: Vec<String>,
}

/// Opens `rdc` with RenderDoc's Python module; `save`: a texture to replay to the frame's end
/// and write as PNG.
fn inspect(rdc: &Path, save: Option<(&str, &Path)>) -> Capture {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/rdc_inspect.py");
    let mut cmd = Command::new(PYTHON);
    cmd.arg(&script).arg(rdc).env_remove("ENABLE_VULKAN_RENDERDOC_CAPTURE");
    if let Some((texture, png)) = save {
        cmd.arg("--save").arg(texture).arg(png);
    }
    let out = cmd.output().expect("python3 starts");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "rdc_inspect.py failed:\n{stdout}\n{stderr}");
    let mut c = Capture::default();
    for line in stdout.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        match f.as_slice() {
            ["marker", label, n @ ..] if n.len() == 5 => {
                let n: Vec<u32> = n.iter().map(|x| x.parse().expect("a count")).collect();
                c.markers.push((label.to_string(), [n[0], n[1], n[2], n[3], n[4]]));
            }
            ["texture" | "buffer", name] => {
                c.names.insert(name.to_string());
            }
            ["present", name] => c.presents.push(name.to_string()),
            _ => {}
        }
    }
    c
}

/// The compute sample's frame compiled without a device: its pass labels in order, and the
/// labels of its transients.
fn compute_plan() -> (Vec<String>, Vec<String>) {
    let (g, _) = frame_graph(&mut ComputeChain, Format::Rgba8Unorm, 320, 240, 3);
    let plan = Compiler::new().compile(&g, &FakeMemory::default()).expect("the frame compiles");
    let passes = plan.passes.iter().map(|p| p.label.to_string()).collect();
    let transients = plan
        .resources
        .iter()
        .filter(|r| matches!(r.lifetime, Lifetime::Transient))
        .map(|r| r.label.to_string())
        .collect();
    (passes, transients)
}

/// The actions each of the compute sample's passes records: [dispatches, draws, copies,
/// clears, indirect-count draws].
fn compute_actions(label: &str) -> [u32; 5] {
    match label {
        "noise" | "blur" | "slopes" | "shade" => [1, 0, 0, 0, 0],
        "show" => [0, 1, 0, 0, 0],
        "readback" => [0, 0, 1, 0, 0],
        other => panic!("the compute sample has no pass `{other}`"),
    }
}

/// The `transients: U B used, L B lower bound, N B without aliasing` line of `--stats`.
fn transient_bytes(stdout: &str) -> (u64, u64) {
    let line = stdout.lines().find(|l| l.starts_with("transients: ")).expect("--stats printed");
    let n: Vec<u64> = line.split(' ').filter_map(|w| w.parse().ok()).collect();
    (n[0], n[2])
}

/// Checks: the compute sample, headless under RenderDoc's layer with `--capture-frame 3`, runs
/// frames 0..=3, writes the capture where `--capture-out` says, and its transients had memory
/// of their own (bytes used at least those without aliasing). RenderDoc's Python module opens
/// the capture and finds one marker per pass label, in plan order (the plan's passes, then
/// the harness's `readback`), each with its pass's dispatch, draw or copy inside; the
/// transients and the output under their labels; no present. Replaying the frame to its end
/// gives the output image equal, texel for texel, to the PNG the run wrote (frame 3).
#[test]
fn a_headless_capture_has_a_marker_per_pass_and_replays_to_the_png() {
    if !renderdoc_or_skip("headless_capture") {
        return;
    }
    let (png, rdc) = (scratch("compute.png"), scratch("compute.rdc"));
    let args = ["--headless", "--size", "320x240", "--capture-frame", "3", "--stats"];
    let (stdout, _) = compute_under_renderdoc(
        &[&args[..], &["--out", png.to_str().unwrap(), "--capture-out", rdc.to_str().unwrap()]]
            .concat(),
        None,
    );
    assert!(stdout.contains("4 frame(s) headless"), "{stdout}");
    assert!(stdout.contains(&format!("frame 3 captured with RenderDoc to {}", rdc.display())));
    let (used, unaliased) = transient_bytes(&stdout);
    assert!(used >= unaliased, "a capture run aliased its transients: {used} B < {unaliased} B");

    let replayed = scratch("compute-replay.png");
    let capture = inspect(&rdc, Some(("output", &replayed)));
    let (passes, transients) = compute_plan();
    let labels: Vec<&str> = capture.markers.iter().map(|m| m.0.as_str()).collect();
    let want: Vec<&str> = passes.iter().map(String::as_str).chain(["readback"]).collect();
    assert_eq!(labels, want, "one marker per pass, in plan order");
    for (label, actions) in &capture.markers {
        assert_eq!(*actions, compute_actions(label), "actions inside `{label}`");
    }
    for name in transients.iter().map(String::as_str).chain(["output", "output.readback"]) {
        assert!(capture.names.contains(name), "`{name}` is not named: {:?}", capture.names);
    }
    assert_eq!(capture.presents, ["End of Capture"]);

    let want = image::open(&png).expect("the run's PNG").to_rgba8();
    let got = image::open(&replayed).expect("the replayed PNG").to_rgba8();
    assert_eq!(got.dimensions(), want.dimensions());
    let differing = got.pixels().zip(want.pixels()).filter(|(a, b)| a != b).count();
    assert_eq!(
        differing,
        0,
        "{differing} texels of {} differ from {}",
        replayed.display(),
        png.display()
    );
}

/// Checks: with `--capture-aliasing` the captured run keeps the plan's aliasing (fewer bytes
/// used than without it: `noise` dies after `blur` and its memory is reused), and the capture
/// still has every marker.
#[test]
fn capture_aliasing_keeps_the_shared_memory() {
    if !renderdoc_or_skip("capture_aliasing") {
        return;
    }
    let (png, rdc) = (scratch("aliased.png"), scratch("aliased.rdc"));
    let (stdout, _) = compute_under_renderdoc(
        &[
            "--headless",
            "--size",
            "320x240",
            "--capture-frame",
            "0",
            "--capture-aliasing",
            "--stats",
            "--out",
            png.to_str().unwrap(),
            "--capture-out",
            rdc.to_str().unwrap(),
        ],
        None,
    );
    let (used, unaliased) = transient_bytes(&stdout);
    assert!(used < unaliased, "no aliasing: {used} B used, {unaliased} B without aliasing");
    let capture = inspect(&rdc, None);
    assert_eq!(capture.markers.len(), compute_plan().0.len() + 1, "{:?}", capture.markers);
}

/// An X server of its own, or `None` (the test skipped) when Xvfb cannot start and
/// `RG_REQUIRE_GPU` is not set.
fn xvfb() -> Option<rg_samples::xvfb::Xvfb> {
    match rg_samples::xvfb::Xvfb::start() {
        Ok(x) => Some(x),
        Err(e) if require_gpu() => panic!("Xvfb cannot start ({e}); run tools/setup.sh"),
        Err(e) => {
            eprintln!("windowed capture: SKIPPED, Xvfb cannot start: {e}");
            None
        }
    }
}

/// Checks: the compute sample in a window under Xvfb, under RenderDoc's layer, with
/// `--frames 3 --capture-frame 1`, writes a capture holding one marker per pass label with its
/// dispatch or draw, the frame's one present, and the swapchain images under their labels.
#[test]
fn a_windowed_capture_holds_the_frame_and_its_present() {
    if !renderdoc_or_skip("windowed_capture") {
        return;
    }
    let Some(xvfb) = xvfb() else { return };
    let rdc = scratch("windowed.rdc");
    let args = ["--size", "320x240", "--frames", "3", "--capture-frame", "1", "--capture-out"];
    let (stdout, _) = compute_under_renderdoc(
        &[&args[..], &[rdc.to_str().unwrap()]].concat(),
        Some(xvfb.display()),
    );
    drop(xvfb);
    assert!(stdout.contains("3 frame(s) in a window"), "{stdout}");
    let capture = inspect(&rdc, None);
    let labels: Vec<&str> = capture.markers.iter().map(|m| m.0.as_str()).collect();
    assert_eq!(labels, compute_plan().0);
    for (label, actions) in &capture.markers {
        assert_eq!(*actions, compute_actions(label), "actions inside `{label}`");
    }
    assert_eq!(capture.presents.len(), 1, "{:?}", capture.presents);
    assert!(capture.presents[0].starts_with("vkQueuePresentKHR"), "{:?}", capture.presents);
    assert!(capture.names.contains("swapchain image 0"), "{:?}", capture.names);
}

/// Checks: `renderdoccmd capture`, the other way to start a sample under RenderDoc, captures
/// too.
#[test]
fn renderdoccmd_starts_a_sample_that_captures() {
    if !renderdoc_or_skip("renderdoccmd") {
        return;
    }
    if Command::new("renderdoccmd").arg("version").output().is_err() {
        if require_gpu() {
            panic!("RG_REQUIRE_GPU=1 but renderdoccmd is not installed: run tools/setup.sh");
        }
        eprintln!("renderdoccmd: SKIPPED, renderdoccmd is not installed");
        return;
    }
    let (png, rdc) = (scratch("cmd.png"), scratch("cmd.rdc"));
    let out = Command::new("renderdoccmd")
        .args(["capture", "-w", env!("CARGO_BIN_EXE_compute"), "--headless", "--size", "64x64"])
        .args(["--capture-frame", "0", "--out", png.to_str().unwrap()])
        .args(["--capture-out", rdc.to_str().unwrap()])
        .env("RG_VALIDATION", "1")
        .env_remove("DISPLAY")
        .output()
        .expect("renderdoccmd starts");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("frame 0 captured with RenderDoc"), "{stdout}");
    assert_eq!(inspect(&rdc, None).markers.len(), compute_plan().0.len() + 1);
}

/// Checks: without RenderDoc loaded, `--capture-frame` stops the run before any frame with exit
/// 1 and an error giving both ways to start this very command line under RenderDoc.
#[test]
fn without_renderdoc_the_error_says_how_to_start_it() {
    if !device_or_skip("no_renderdoc") {
        return;
    }
    let png = scratch("never.png");
    let out = Command::new(env!("CARGO_BIN_EXE_compute"))
        .args(["--headless", "--capture-frame", "1", "--out", png.to_str().unwrap()])
        .env_remove("ENABLE_VULKAN_RENDERDOC_CAPTURE")
        .env_remove("LD_PRELOAD")
        .env_remove("DISPLAY")
        .output()
        .expect("the sample starts");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let cmd = format!("{} --headless --capture-frame 1 --out", env!("CARGO_BIN_EXE_compute"));
    assert!(stderr.contains("RenderDoc is not loaded in this process"), "{stderr}");
    assert!(stderr.contains(&format!("`ENABLE_VULKAN_RENDERDOC_CAPTURE=1 {cmd}")), "{stderr}");
    assert!(stderr.contains(&format!("`renderdoccmd capture -w {cmd}")), "{stderr}");
    assert!(!png.exists(), "a frame ran");
}

/// Checks: the capture options' rules, without a device: frames count from 0, a headless run
/// lasts through the captured frame unless `--frames` says, a capture of a frame the run does
/// not reach is refused, the output options need `--capture-frame`, and a capture run gives
/// transients their own memory unless `--capture-aliasing`.
#[test]
fn capture_options_are_checked() {
    let parse = |args: &[&str]| Options::parse("compute", args.iter().map(|a| a.to_string()));
    let o = parse(&["--capture-frame", "2"]).unwrap();
    assert_eq!((o.capture_frame, o.frames), (Some(2), None));
    assert_eq!(o.capture_out, PathBuf::from("compute.rdc"));
    assert!(!o.aliasing());
    assert!(parse(&["--capture-frame", "2", "--capture-aliasing"]).unwrap().aliasing());
    assert!(parse(&[]).unwrap().aliasing());
    assert!(!parse(&["--no-aliasing", "--capture-frame", "0", "--capture-aliasing"])
        .unwrap()
        .aliasing());
    let e = parse(&["--frames", "3", "--capture-frame", "3"]).unwrap_err();
    assert!(e.contains("--capture-frame 3: the run has 3 frame(s), counting from 0"), "{e}");
    assert!(e.contains("--frames 4"), "{e}");
    assert!(parse(&["--frames", "4", "--capture-frame", "3"]).is_ok());
    let e = parse(&["--capture-out", "x.rdc"]).unwrap_err();
    assert_eq!(e, "--capture-out needs --capture-frame N");
    let e = parse(&["--capture-aliasing"]).unwrap_err();
    assert_eq!(e, "--capture-aliasing needs --capture-frame N");
    let e = parse(&["--capture-frame", "last"]).unwrap_err();
    assert_eq!(e, "--capture-frame last: not a number");
}

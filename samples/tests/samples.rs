//! End-to-end runs of the samples on the device (lavapipe in CI) with validation and
//! synchronization validation on: the triangle against its golden image, the compute chain with
//! aliasing on and off, the windowed path under Xvfb with a resize, and the command line's
//! errors.

use rg_samples::{compute::ComputeChain, run_headless, triangle::Triangle, Options};
use std::path::{Path, PathBuf};
use std::process::Command;

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

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rg-samples-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn headless(name: &str, frames: u64) -> Options {
    let mut o = Options::parse(name, Vec::new()).unwrap();
    o.headless = true;
    o.frames = Some(frames);
    o.out = scratch(&format!("{name}-{frames}.png"));
    o.validation = true;
    o
}

/// Pixels whose channels differ by more than `tolerance`, out of all pixels.
fn differing(
    a: &image::RgbaImage,
    b: &image::RgbaImage,
    tolerance: u8,
) -> (usize, image::RgbaImage) {
    let mut diff = image::RgbaImage::new(a.width(), a.height());
    let mut n = 0;
    for (x, y, pa) in a.enumerate_pixels() {
        let pb = b.get_pixel(x, y);
        let d = (0..4).map(|c| pa[c].abs_diff(pb[c])).max().unwrap_or(0);
        if d > tolerance {
            n += 1;
            diff.put_pixel(x, y, image::Rgba([255, 0, 255, 255]));
        } else {
            let g = pa[1] / 4;
            diff.put_pixel(x, y, image::Rgba([g, g, g, 255]));
        }
    }
    (n, diff)
}

/// The tolerance of the golden comparison: a pixel matches when every channel is within 2 of
/// the golden (rounding differences between drivers), and at most 0.5% of the pixels (the
/// triangle's edges, where rasterizers may disagree on coverage) may fail that.
const CHANNEL_TOLERANCE: u8 = 2;
const MAX_DIFFERING: f64 = 0.005;

fn compare_with_golden(actual_path: &Path, golden: &Path) -> Result<(), String> {
    let actual = image::open(actual_path).map_err(|e| e.to_string())?.to_rgba8();
    if std::env::var("RG_UPDATE_GOLDEN").is_ok_and(|v| v == "1") {
        actual.save(golden).map_err(|e| e.to_string())?;
    }
    let want = image::open(golden).map_err(|e| format!("{}: {e}", golden.display()))?.to_rgba8();
    let (n, diff) = if actual.dimensions() == want.dimensions() {
        differing(&actual, &want, CHANNEL_TOLERANCE)
    } else {
        (usize::MAX, image::RgbaImage::new(1, 1))
    };
    let total = want.width() as usize * want.height() as usize;
    if n == usize::MAX || n as f64 > MAX_DIFFERING * total as f64 {
        let stem = golden.with_extension("");
        let actual_out = stem.with_extension("actual.png");
        let diff_out = stem.with_extension("diff.png");
        let _ = actual.save(&actual_out);
        let _ = diff.save(&diff_out);
        return Err(format!(
            "{} differs from {}: {} of {total} pixels beyond ±{CHANNEL_TOLERANCE} (at most {:.1}% allowed); wrote {} and {}",
            actual_path.display(),
            golden.display(),
            if n == usize::MAX { "all (sizes differ)".to_string() } else { n.to_string() },
            MAX_DIFFERING * 100.0,
            actual_out.display(),
            diff_out.display()
        ));
    }
    Ok(())
}

/// Checks: the triangle sample's first frame matches `samples/golden/triangle.png` within the
/// stated tolerance, with no validation message; and the comparison does fail on an image with
/// a small square painted on it (so the check can catch a wrong picture).
#[test]
fn triangle_matches_its_golden_image() {
    if !device_or_skip("triangle_golden") {
        return;
    }
    let opts = headless("triangle", 1);
    let report = run_headless(&mut Triangle, &opts).expect("the triangle runs");
    assert!(report.problems.is_empty(), "validation: {:#?}", report.problems);
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("golden/triangle.png");
    compare_with_golden(&opts.out, &golden).unwrap();

    let mut wrong = image::open(&opts.out).unwrap().to_rgba8();
    for y in 200..240 {
        for x in 300..340 {
            wrong.put_pixel(x, y, image::Rgba([255, 255, 255, 255]));
        }
    }
    let wrong_path = scratch("triangle-wrong.png");
    wrong.save(&wrong_path).unwrap();
    let golden_copy = scratch("triangle-golden-copy.png");
    std::fs::copy(&golden, &golden_copy).unwrap();
    let e = compare_with_golden(&wrong_path, &golden_copy).expect_err("a wrong image is caught");
    assert!(e.contains("1600 of 307200"), "{e}");
    assert!(scratch("triangle-golden-copy.diff.png").exists(), "a diff image is written");
}

/// Checks: the compute chain's transients really share memory (bytes used below the unaliased
/// total), and with aliasing switched off (each transient in its own memory, same schedule and
/// barriers) the picture is byte for byte the same, so no consumer saw another producer's data.
/// Both runs are free of validation messages and render several frames in flight.
#[test]
fn compute_chain_is_identical_with_aliasing_on_and_off() {
    if !device_or_skip("compute_aliasing") {
        return;
    }
    let on = headless("compute-aliased", 4);
    let mut off = headless("compute-separate", 4);
    off.no_aliasing = true;
    let a = run_headless(&mut ComputeChain, &on).expect("aliased run");
    let b = run_headless(&mut ComputeChain, &off).expect("separate run");
    assert!(a.problems.is_empty() && b.problems.is_empty(), "{:#?} {:#?}", a.problems, b.problems);
    assert!(a.last.transient_bytes < a.last.unaliased_bytes, "aliasing saves memory: {:?}", a.last);
    assert!(b.last.transient_bytes >= b.last.unaliased_bytes, "no aliasing: {:?}", b.last);
    assert_eq!(a.last.passes_run, 6, "noise, blur, slopes, shade, show, readback");
    let (ia, ib) =
        (image::open(&on.out).unwrap().to_rgba8(), image::open(&off.out).unwrap().to_rgba8());
    assert!(ia == ib, "aliasing changed the picture");
    // The picture is not blank: the shading produces many distinct colours.
    let mut colours: Vec<[u8; 4]> = ia.pixels().map(|p| p.0).collect();
    colours.sort_unstable();
    colours.dedup();
    assert!(colours.len() > 1000, "{} distinct colours", colours.len());
}

/// Checks: the windowed path under Xvfb renders 30 frames into a swapchain, survives the
/// window shrinking at frame 10 (the swapchain is recreated and later frames are 480x360), and
/// exits 0, which the sample does only when validation reported nothing.
#[test]
fn windowed_triangle_survives_a_resize_under_xvfb() {
    if !device_or_skip("windowed") {
        return;
    }
    let xvfb = match rg_samples::xvfb::Xvfb::start() {
        Ok(x) => x,
        Err(e) if require_gpu() => panic!("Xvfb cannot start ({e}); run tools/setup.sh"),
        Err(e) => {
            eprintln!("windowed: SKIPPED, Xvfb cannot start: {e}");
            return;
        }
    };
    let out = Command::new(env!("CARGO_BIN_EXE_triangle"))
        .args(["--frames", "30", "--resize-at", "10"])
        .env("DISPLAY", xvfb.display())
        .env("RG_VALIDATION", "1")
        .output()
        .expect("the sample starts");
    drop(xvfb);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "exit {:?}\n{stdout}\n{stderr}", out.status);
    assert!(stdout.contains("30 frame(s) in a window"), "{stdout}");
    assert!(stdout.contains("last size 480x360"), "{stdout}");
    // The graph is compiled on the first frame and again when the output size changes; the
    // plan cache serves every other frame.
    assert!(
        stdout.contains("first frame; output resized from 640x480 to 480x360"),
        "recompiles: {stdout}"
    );
    assert!(!stdout.contains("recreated 0 time"), "{stdout}");
}

/// Checks: bad command lines and a PNG that cannot be written are clear errors with distinct
/// exit codes, not panics.
#[test]
fn command_line_errors_are_clear() {
    let run = |args: &[&str]| {
        let o = Command::new(env!("CARGO_BIN_EXE_compute"))
            .args(args)
            .env_remove("DISPLAY")
            .output()
            .unwrap();
        (o.status.code(), String::from_utf8_lossy(&o.stderr).into_owned())
    };
    let (code, err) = run(&["--frames", "0"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("--frames 0: not a positive number"), "{err}");
    let (code, err) = run(&["--size", "wide"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("expected WIDTHxHEIGHT"), "{err}");
    let (code, err) = run(&["--bogus"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("unknown option `--bogus`"), "{err}");
    if !rg_vulkan::profile::TRACY_BUILT {
        let (code, err) = run(&["--tracy"]);
        assert_eq!(code, Some(2), "{err}");
        assert!(err.contains("this build has no Tracy client"), "{err}");
    }
    if device_or_skip("command_line") {
        let (code, err) =
            run(&["--headless", "--size", "64x64", "--out", "/proc/no/such/dir/x.png"]);
        assert_eq!(code, Some(1), "{err}");
        assert!(err.contains("/proc/no/such/dir"), "{err}");
    }
}

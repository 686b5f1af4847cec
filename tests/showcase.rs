//! End-to-end runs of the showcase as a user starts it, on the device (lavapipe in CI) with
//! validation and synchronization validation on (the sample exits 3 on any message): headless
//! with culling on and off (the pictures must agree), windowed under Xvfb, and its errors.
//! Scenes are a few hundred instances at small sizes: lavapipe renders on the CPU.

use std::path::PathBuf;
use std::process::{Command, Output};

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
    let dir = std::env::temp_dir().join(format!("rg-tests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn showcase(args: &[&str], display: Option<&str>) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_e2e-showcase"));
    c.args(args).env("RG_VALIDATION", "1");
    match display {
        Some(d) => c.env("DISPLAY", d),
        None => c.env_remove("DISPLAY"),
    };
    c.output().expect("the showcase starts")
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Checks: the showcase renders headless with culling on and with it off, both clean, and the
/// two pictures agree but for at most 0.5% of pixels (equal depths, where draw order decides);
/// `--stats` reports the culling counts, and culling on drew fewer instances than off. On
/// failure both pictures and their difference are left in the scratch folder.
#[test]
fn headless_pictures_agree_with_culling_on_and_off() {
    if !device_or_skip("headless") {
        return;
    }
    let common =
        ["--headless", "--frames", "4", "--size", "256x160", "--instances", "500", "--stats"];
    let on_png = scratch("on.png");
    let off_png = scratch("off.png");
    let mut on_args = common.to_vec();
    on_args.extend(["--out", on_png.to_str().unwrap()]);
    let mut off_args = common.to_vec();
    off_args.extend(["--out", off_png.to_str().unwrap(), "--no-culling"]);
    let on = showcase(&on_args, None);
    let off = showcase(&off_args, None);
    let (on_out, on_err) = text(&on);
    let (off_out, off_err) = text(&off);
    assert!(on.status.success(), "culling on: {:?}\n{on_out}\n{on_err}", on.status);
    assert!(off.status.success(), "culling off: {:?}\n{off_out}\n{off_err}", off.status);
    assert!(on_out.contains("4 frame(s) headless, 256x160"), "{on_out}");
    assert!(
        on_out.contains("culling on") && off_out.contains("culling off"),
        "{on_out}\n{off_out}"
    );
    let drawn = |out: &str| -> u32 {
        let line = out.lines().find(|l| l.starts_with("culling (last frame)")).expect("counts");
        let num = |after: &str| -> u32 {
            let i = line.find(after).expect(after);
            line[..i].split_whitespace().last().unwrap().trim_matches(',').parse().unwrap()
        };
        num(" drawn in phase 1") + num(" in phase 2")
    };
    assert_eq!(drawn(&off_out), 500, "{off_out}");
    assert!(drawn(&on_out) < 500, "culling on drew every instance:\n{on_out}");

    let a = image::open(&on_png).unwrap().to_rgba8();
    let b = image::open(&off_png).unwrap().to_rgba8();
    let mut diff = image::RgbaImage::new(a.width(), a.height());
    let mut n = 0;
    for (x, y, pa) in a.enumerate_pixels() {
        let same = pa == b.get_pixel(x, y);
        n += usize::from(!same);
        diff.put_pixel(x, y, image::Rgba(if same { [0, 0, 0, 255] } else { [255, 0, 255, 255] }));
    }
    let allowed = (a.width() * a.height()) as usize / 200;
    if n > allowed {
        let d = scratch("diff.png");
        diff.save(&d).unwrap();
        panic!(
            "{n} pixels differ (at most {allowed}): {} {} {}",
            on_png.display(),
            off_png.display(),
            d.display()
        );
    }
    // Not a blank picture: the scene covers much of it in many colours.
    let mut colours: Vec<[u8; 4]> = a.pixels().map(|p| p.0).collect();
    colours.sort_unstable();
    colours.dedup();
    assert!(colours.len() > 200, "{} distinct colours", colours.len());
}

/// Checks: the showcase runs in a window under Xvfb (the same graph into a swapchain) for a
/// few frames and exits 0, which it does only when validation reported nothing.
#[test]
fn windowed_under_xvfb() {
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
    let out = showcase(
        &["--frames", "5", "--size", "320x200", "--instances", "300", "--stats"],
        Some(xvfb.display()),
    );
    drop(xvfb);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "exit {:?}\n{stdout}\n{stderr}", out.status);
    assert!(stdout.contains("5 frame(s) in a window"), "{stdout}");
    assert!(stdout.contains("culling (last frame): 300 tested"), "{stdout}");
}

/// Checks: the showcase's own options fail clearly: a bad count is a usage error (exit 2), a
/// glTF file that does not exist or is not glTF is an error naming the file (exit 1), a frame
/// description with mistakes gives each with its line and column before any frame runs (exit
/// 1), and `--help` lists the showcase's options with every sample's.
#[test]
fn command_line_errors_are_clear() {
    let o = showcase(&["--instances", "zero"], None);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("--instances zero: expected a number"), "{err}");

    let missing = scratch("no-such-mesh.glb");
    let o = showcase(&["--gltf", missing.to_str().unwrap()], None);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("no-such-mesh.glb"), "{err}");

    let junk = scratch("junk.gltf");
    std::fs::write(&junk, b"{ this is not json").unwrap();
    let o = showcase(&["--gltf", junk.to_str().unwrap()], None);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("junk.gltf"), "{err}");

    // A description with two mistakes: both told with their lines and columns, before any
    // frame runs.
    let bad = scratch("bad-frame.toml");
    std::fs::write(
        &bad,
        "output = \"tonemap.color\"\n[[pass]]\nname = \"tonemap\"\ntype = \"tonemap\"\n\
         hdr = \"light.hdr\"\nexposure = \"bright\"\n",
    )
    .unwrap();
    let o = showcase(&["--headless", "--pipeline", bad.to_str().unwrap()], None);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("bad-frame.toml:5:7: no pass is named `light`"), "{err}");
    assert!(err.contains("bad-frame.toml:6:12: `exposure` of pass `tonemap`"), "{err}");
    assert!(!out.contains("frame(s)"), "nothing ran: {out}");

    let o = showcase(&["--help"], None);
    let (out, _) = text(&o);
    assert!(o.status.success());
    assert!(out.contains("--gltf FILE") && out.contains("--headless"), "{out}");
    assert!(out.contains("--pipeline FILE") && out.contains("--rust"), "{out}");
}

/// Checks: a glTF mesh given with `--gltf` joins the scene and the frame renders clean.
#[test]
fn a_gltf_mesh_joins_the_scene() {
    if !device_or_skip("gltf") {
        return;
    }
    let path = scratch("icosphere.glb");
    rg_passes::mesh::gltf::write_glb(&rg_passes::mesh::shapes::icosphere(2), &path).unwrap();
    let png = scratch("gltf.png");
    let o = showcase(
        &[
            "--headless",
            "--frames",
            "2",
            "--size",
            "160x100",
            "--instances",
            "200",
            "--stats",
            "--gltf",
            path.to_str().unwrap(),
            "--out",
            png.to_str().unwrap(),
        ],
        None,
    );
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}\n{err}");
    assert!(out.contains("200 instances of 8 meshes"), "{out}");
}

/// Where the golden pictures live.
fn golden(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("golden").join(name)
}

/// Checks: the lit showcase (shadows, 512 moving lights, 500 instances, 256x160, frame 4)
/// matches `tests/golden/showcase.png`: a pixel matches when every channel is within 3 of the
/// golden, and at most 0.5% of the pixels may not (where surfaces meet at equal depth and the
/// order of the compacted draws, which atomics decide, picks one). On failure the actual
/// picture and a difference picture (mismatches in magenta) are written beside the golden;
/// `RG_UPDATE_GOLDEN=1` rewrites it.
#[test]
fn the_lit_showcase_matches_its_golden_picture() {
    if !device_or_skip("golden") {
        return;
    }
    let png = scratch("golden-run.png");
    let o = showcase(
        &[
            "--headless",
            "--frames",
            "4",
            "--size",
            "256x160",
            "--instances",
            "500",
            "--lights",
            "512",
            "--out",
            png.to_str().unwrap(),
        ],
        None,
    );
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}\n{err}");
    let actual = image::open(&png).unwrap().to_rgba8();
    let path = golden("showcase.png");
    if std::env::var("RG_UPDATE_GOLDEN").is_ok_and(|v| v == "1") {
        actual.save(&path).unwrap();
    }
    let want = image::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).to_rgba8();
    assert_eq!(actual.dimensions(), want.dimensions());
    let mut diff = image::RgbaImage::new(want.width(), want.height());
    let mut n = 0;
    for (x, y, a) in actual.enumerate_pixels() {
        let b = want.get_pixel(x, y);
        let off = (0..4).any(|c| a[c].abs_diff(b[c]) > 3);
        n += usize::from(off);
        let g = a[1] / 3;
        diff.put_pixel(x, y, image::Rgba(if off { [255, 0, 255, 255] } else { [g, g, g, 255] }));
    }
    let allowed = (want.width() * want.height()) as usize / 200;
    if n > allowed {
        let (a, d) = (golden("showcase.actual.png"), golden("showcase.diff.png"));
        actual.save(&a).unwrap();
        diff.save(&d).unwrap();
        panic!(
            "{n} pixels differ from the golden (at most {allowed}): {} {}",
            a.display(),
            d.display()
        );
    }
}

//! Hot reload while a sample runs headless (lavapipe, validation and synchronization validation
//! on): a shader replaced by one that does not compile keeps the last good pipeline running and
//! names its file and line, then a fixed one is used from the next frame (read back); the
//! showcase's description edited mid-run runs the new graph from the next frame, and an invalid
//! edit keeps the last good graph. Every edit is saved as editors do: a new file renamed over
//! the old one.

use rg_core::{Graph, ImageHandle};
use rg_samples::showcase::Showcase;
use rg_samples::triangle::Triangle;
use rg_samples::{run_headless, Options, Reloaded, Sample};
use rg_vulkan::{Bindings, Error, Executor, Pass};
use std::path::{Path, PathBuf};

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

/// A fresh folder for one test.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rg-reload-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Copies a folder's files and subfolders.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// Saves `text` to `path` as many editors do: written to a new file, renamed over the old.
fn save(path: &Path, text: &str) {
    let tmp = path.with_extension("saving");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

/// Runs another sample and, right after declaring frame `n`, saves the edits planned for it
/// (so the harness sees them before frame `n + 1`); keeps each frame's pass labels.
struct Edited<S> {
    inner: S,
    edits: Vec<(u64, PathBuf, String)>,
    labels: Vec<Vec<String>>,
}

impl<S: Sample> Sample for Edited<S> {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn frame(&mut self, g: &mut Graph<Pass>, output: ImageHandle, frame: u64) -> ImageHandle {
        let first = g.pass_count();
        let out = self.inner.frame(g, output, frame);
        self.labels.push((first..g.pass_count()).map(|k| g.pass_label(k).to_owned()).collect());
        for (_, path, text) in self.edits.iter().filter(|e| e.0 == frame) {
            save(path, text);
        }
        out
    }

    fn prepare(&mut self, ex: &mut Executor) -> Result<(), Error> {
        self.inner.prepare(ex)
    }

    fn bind(&self, bindings: Bindings) -> Bindings {
        self.inner.bind(bindings)
    }

    fn reload(&mut self) -> Vec<Reloaded> {
        self.inner.reload()
    }

    fn finish(&mut self, ex: &mut Executor) -> Result<Option<String>, Error> {
        self.inner.finish(ex)
    }
}

fn options(sample: &str, dir: &Path, frames: u64, size: (u32, u32)) -> Options {
    let mut o = Options::parse(sample, Vec::new()).unwrap();
    o.headless = true;
    o.frames = Some(frames);
    o.out = dir.join("frame-{frame}.png");
    o.validation = true;
    (o.width, o.height) = size;
    o
}

fn centre(dir: &Path, frame: u64) -> [u8; 4] {
    let png = dir.join(format!("frame-{frame}.png"));
    let img = image::open(&png).unwrap_or_else(|e| panic!("{}: {e}", png.display())).to_rgba8();
    img.get_pixel(img.width() / 2, img.height() / 2).0
}

const BROKEN: &str = "#version 450

layout(location = 0) in vec3 color;
layout(location = 0) out vec4 out_color;

void main() {
    out_color = vec4(colour, 1.0);
}
";

const MAGENTA: &str = "#version 450

layout(location = 0) in vec3 color;
layout(location = 0) out vec4 out_color;

void main() {
    out_color = vec4(1.0, 0.0, 1.0, 1.0);
}
";

/// Checks: the triangle's fragment shader, replaced after frame 1 by one that does not compile,
/// is refused before frame 2 with an error naming `triangle.frag` and line 7, and frames 2 and
/// 3 are drawn by the last good pipeline (the vertex colours at the centre); replaced after
/// frame 3 by one that compiles, it is used from frame 4 on (magenta, read back). Validation
/// reports nothing (the old pipeline is destroyed only after the frames that used it).
#[test]
fn a_broken_shader_keeps_the_old_pipeline_and_a_fixed_one_is_used_next_frame() {
    if !device_or_skip("shader reload") {
        return;
    }
    let dir = scratch("shader");
    let shaders = dir.join("shaders");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shaders");
    copy_dir(&root, &shaders);
    let frag = shaders.join("triangle.frag");
    let mut sample = Edited {
        inner: Triangle,
        edits: vec![(1, frag.clone(), BROKEN.into()), (3, frag.clone(), MAGENTA.into())],
        labels: Vec::new(),
    };
    let mut opts = options("triangle", &dir, 6, (64, 64));
    opts.shaders = Some(shaders.clone());
    let report = run_headless(&mut sample, &opts).expect("the run goes on through the edits");
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!(report.frames, 6);
    let [refused, taken] = &report.reloads[..] else {
        panic!("two reloads expected: {:?}", report.reloads)
    };
    let error = refused.result.as_ref().expect_err("the broken shader is refused");
    assert!(refused.what.contains("triangle.frag"), "{}", refused.what);
    assert!(error.contains("triangle.frag:7"), "the error names the file and line: {error}");
    assert!(error.contains("colour"), "{error}");
    assert!(taken.result.is_ok() && taken.what.contains("triangle.frag"), "{taken:?}");
    for frame in 0..4 {
        let [r, g, b, _] = centre(&dir, frame);
        // The vertex colours blend at the centre: green is there, unlike in magenta.
        assert!(g > 40 && (r, g, b) != (255, 0, 255), "frame {frame}: {r} {g} {b}");
    }
    for frame in 4..6 {
        assert_eq!(centre(&dir, frame), [255, 0, 255, 255], "frame {frame} uses the new shader");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The showcase's description without its shadows pass (and the lighting's input from it).
fn without_shadows(text: &str) -> String {
    let start = text.find("[[pass]]\nname = \"shadows\"").expect("a shadows pass");
    let end = start + text[start + 1..].find("[[pass]]").expect("a pass after it") + 1;
    let cut = format!("{}{}", &text[..start], &text[end..]);
    let edited = cut.replace("shadows = \"shadows.shadows\"\n", "");
    assert!(!edited.contains("shadows.shadows") && edited.len() < text.len());
    edited
}

/// Checks: the showcase runs its description from a file; after frame 1 the file loses its
/// shadows pass and from frame 2 the frame runs without the shadow passes (they ran before),
/// starting over (the terrain generated and the particles dropped again on frame 2); after
/// frame 3 an edit naming an unknown pass type is refused before frame 4 with its line and
/// column; after frame 5 an edit that checks but does not compile (a second terrain draw into
/// the G-buffer the first draws into) is refused before frame 6 naming both passes' lines;
/// frames 4 to 7 keep the last good graph (no shadows, no restart). Validation reports nothing.
#[test]
fn an_edited_description_runs_next_frame_and_a_bad_edit_keeps_the_last_good_graph() {
    if !device_or_skip("description reload") {
        return;
    }
    let dir = scratch("description");
    let file = dir.join("showcase.toml");
    let shipped = std::fs::read_to_string(rg_samples::showcase::DEFAULT_PIPELINE).unwrap();
    std::fs::write(&file, &shipped).unwrap();
    let no_shadows = without_shadows(&shipped);
    let bad_line = no_shadows.lines().count() + 4;
    let bad = format!("{no_shadows}\n[[pass]]\nname = \"glow\"\ntype = \"bloom\"\n");
    let ground_line = 1 + no_shadows.lines().position(|l| l == "name = \"ground\"").unwrap();
    let fork_line = no_shadows.lines().count() + 3;
    let fork = format!(
        "{no_shadows}\n[[pass]]\nname = \"again\"\ntype = \"draw_terrain\"\n\
         terrain = \"terrain.height\"\ngbuffer = \"early.gbuffer\"\n"
    );
    let args = ["--pipeline", file.to_str().unwrap(), "--instances", "200", "--lights", "64"];
    let args = args.iter().map(|s| s.to_string()).chain(["--particles".into(), "256".into()]);
    let (showcase, rest) = Showcase::from_args(args.collect()).expect("options");
    assert!(rest.is_empty());
    let mut sample = Edited {
        inner: showcase,
        edits: vec![(1, file.clone(), no_shadows), (3, file.clone(), bad), (5, file.clone(), fork)],
        labels: Vec::new(),
    };
    let mut opts = options("showcase", &dir, 8, (128, 80));
    opts.keep_profile_events = true;
    let report = run_headless(&mut sample, &opts).expect("the run goes on through the edits");
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    let has = |label: &str| -> Vec<bool> {
        sample.labels.iter().map(|l| l.iter().any(|p| p.starts_with(label))).collect()
    };
    let once = [true, false, true, false, false, false, false, false];
    assert_eq!(has("shadow."), [true, true, false, false, false, false, false, false]);
    assert_eq!(has("terrain.generate"), once);
    assert_eq!(has("particles.start"), once);
    assert!(sample.labels.iter().all(|l| l.contains(&"lighting".to_string())));
    let [taken, refused, forked] = &report.reloads[..] else {
        panic!("three reloads expected: {:?}", report.reloads)
    };
    assert!(taken.result.is_ok() && taken.what.contains("showcase.toml"), "{taken:?}");
    let error = refused.result.as_ref().expect_err("the bad edit is refused");
    let at = format!("showcase.toml:{bad_line}:8: unknown pass type `bloom`");
    assert!(error.contains(&at), "expected `{at}` in:\n{error}");
    let error = forked.result.as_ref().expect_err("the edit that does not compile is refused");
    let involved = format!("`ground` (line {ground_line}), `again` (line {fork_line})");
    assert!(error.contains(&involved) && error.contains("with no order"), "{error}");
    // The profiler (Tracy, when built with it) has the reloads as messages, with their cost.
    use rg_vulkan::ProfileEvent;
    let messages: Vec<&str> = report
        .profile
        .iter()
        .filter_map(|e| match e {
            ProfileEvent::Message(m) => Some(m.as_str()),
            _ => None,
        })
        .collect();
    assert!(messages.iter().any(|m| m.starts_with("reloaded frame description")), "{messages:?}");
    assert!(messages.iter().any(|m| m.contains("unknown pass type `bloom`")), "{messages:?}");
    let costs = report
        .profile
        .iter()
        .filter(|e| matches!(e, ProfileEvent::Plot { name: "reload ms", value } if *value > 0.0));
    assert_eq!(costs.count(), 3);
    // `--stats` lists them, with their costs.
    let table = report.reload_table();
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines[0], "reloads: 1 taken, 2 refused", "{table}");
    assert!(
        lines[1].contains("reloaded frame description") && lines[1].ends_with(" ms"),
        "{table}"
    );
    assert!(
        lines[2].contains("reload of frame description") && lines[2].contains(" ms;"),
        "{table}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

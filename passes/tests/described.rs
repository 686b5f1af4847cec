//! Frames described in files (`rg_passes::describe`): every kind of mistake reported with its
//! line and column before anything is declared, and a good description declared and compiled
//! with rg-core's `FakeMemory` (no device), then run on lavapipe.

mod common;

use rg_core::{Compiler, Extent, FakeMemory, Format, Graph, ImageDesc, ResourceState, Size};
use rg_passes::camera::Camera;
use rg_passes::describe::{Description, FrameInputs, HostScene, Mistakes};
use rg_passes::scene::Scene;
use rg_vulkan::Pass;

fn mistakes(text: &str) -> Mistakes {
    Description::from_text("frame.toml", text).expect_err("the description has mistakes")
}

/// `(line, column)` of each mistake and its message.
fn places(m: &Mistakes) -> Vec<(usize, usize, String)> {
    m.0.iter().map(|m| (m.at.line, m.at.column, m.message.clone())).collect()
}

const GOOD: &str = include_str!("../../samples/frames/rain.toml");

/// Checks: the shipped description declares and compiles (its passes in an order where each
/// comes after what feeds it, the physics after the erosion whose heights it reads, nothing for
/// the hazard oracle), on the first frame and on a later one.
#[test]
fn the_shipped_description_declares_and_compiles() {
    let d = Description::from_text("rain.toml", GOOD).expect("the description is good");
    let scene = Scene::procedural(20, 1);
    let sphere = scene.mesh_range(Scene::SPHERE_MESH, 0).expect("a sphere mesh");
    for frame in [0, 1] {
        let mut g: Graph<Pass> = Graph::new(Extent::new(320, 200));
        let output = g.import_image(
            "output",
            ImageDesc::new(Format::Rgba8Unorm, Size::FULL),
            ResourceState::swapchain_acquired(),
            ResourceState::present(),
        );
        let inputs = scene.sizes().import(&mut g);
        let view =
            Camera::look_at(glam::Vec3::new(0.0, 20.0, 30.0), glam::Vec3::ZERO).frame(320, 200);
        let host = Some(HostScene { inputs, sphere, sphere_radius: 0.5 });
        let f = FrameInputs { scene: host, ..FrameInputs::new(view, frame, output) };
        d.declare(&mut g, &f).expect("declared");
        let plan = Compiler::new().compile(&g, &FakeMemory::default()).expect("compiles");
        let labels: Vec<&str> = plan.passes.iter().map(|p| &*p.label).collect();
        let at = |l: &str| {
            labels.iter().position(|x| *x == l).unwrap_or_else(|| panic!("{l} in {labels:?}"))
        };
        let last_erosion = labels.iter().rposition(|l| l.starts_with("erosion.")).expect("erosion");
        assert!(last_erosion < at("physics.step"), "{labels:?}");
        assert!(at("physics.rain") < at("physics.step"));
        assert!(at("particles.draw") < at("lighting") && at("lighting") < at("post.tonemap"));
        assert_eq!(labels.contains(&"particles.clear"), frame == 0, "{labels:?}");
        let hazards = rg_core::oracle::check(&plan);
        assert!(hazards.is_empty(), "{hazards:?}");
    }
}

/// Checks: each kind of mistake, alone, gives one message at the line and column of what is
/// wrong, naming it.
#[test]
fn each_mistake_is_reported_at_its_line_and_column() {
    let head = "output = \"t.color\"\n[[pass]]\nname = \"h\"\ntype = \"lighting\"\ngbuffer = \"g.gbuffer\"\n\
                [[pass]]\nname = \"g\"\ntype = \"gbuffer\"\n[[pass]]\nname = \"t\"\ntype = \"tonemap\"\nhdr = \"h.hdr\"\n";
    Description::from_text("frame.toml", head).expect("the base is good");
    let cases: &[(&str, &str, (usize, usize), &str)] = &[
        (
            "a syntax error",
            "[[pass]]\nname = \"x\ntype = \"gbuffer\"\n",
            (14, 10),
            "invalid basic string",
        ),
        (
            "an unknown pass type",
            "[[pass]]\nname = \"x\"\ntype = \"bloom\"\n",
            (15, 8),
            "unknown pass type `bloom`",
        ),
        (
            "an unknown setting",
            "[[pass]]\nname = \"x\"\ntype = \"tonemap\"\nhdr = \"h.hdr\"\nbrightness = 2\n",
            (17, 1),
            "no setting or input `brightness`",
        ),
        (
            "an ill-typed setting",
            "[[pass]]\nname = \"x\"\ntype = \"tonemap\"\nhdr = \"h.hdr\"\nexposure = \"high\"\n",
            (17, 12),
            "expected a number, found a string",
        ),
        (
            "a setting out of range",
            "[[pass]]\nname = \"x\"\ntype = \"terrain\"\nside = 3\n",
            (16, 8),
            "3 is out of range",
        ),
        (
            "a missing input",
            "[[pass]]\nname = \"x\"\ntype = \"tonemap\"\n",
            (14, 1),
            "needs its input `hdr`",
        ),
        (
            "an unknown pass in an input",
            "[[pass]]\nname = \"x\"\ntype = \"tonemap\"\nhdr = \"bloom.hdr\"\n",
            (16, 7),
            "no pass is named `bloom`",
        ),
        (
            "an unknown output in an input",
            "[[pass]]\nname = \"x\"\ntype = \"tonemap\"\nhdr = \"h.light\"\n",
            (16, 7),
            "has no output `light`",
        ),
        (
            "an output of the wrong kind",
            "[[pass]]\nname = \"x\"\ntype = \"tonemap\"\nhdr = \"g.gbuffer\"\n",
            (16, 7),
            "`g.gbuffer` is a G-buffer, but input `hdr` of pass `x` (tonemap) takes an HDR image",
        ),
        (
            "a name used twice",
            "[[pass]]\nname = \"g\"\ntype = \"gbuffer\"\n",
            (14, 8),
            "the name `g` is used twice (first at line 7)",
        ),
    ];
    for (what, tail, (line, column), says) in cases {
        let m = mistakes(&format!("{head}{tail}"));
        let p = places(&m);
        assert_eq!(p.len(), 1, "{what}: {m}");
        assert_eq!((p[0].0, p[0].1), (*line, *column), "{what}: {m}");
        assert!(p[0].2.contains(says), "{what}: {m}");
        assert!(m.to_string().starts_with(&format!("frame.toml:{line}:{column}: ")), "{what}: {m}");
    }
}

/// Checks: a file with many mistakes reports them all at once, in file order; passes that feed
/// each other in a cycle are named with their lines; a frame output that is not a colour image
/// is refused; nothing is declared when there is any mistake.
#[test]
fn every_mistake_is_reported_at_once_and_cycles_name_their_lines() {
    let m = mistakes(
        "output = \"g.gbuffer\"\n[[pass]]\nname = \"g\"\ntype = \"gbuffer\"\nsize = 4\n\
         [[pass]]\nname = \"p\"\ntype = \"physics\"\nsteps = -1\n[[pass]]\nname = \"q\"\ntype = \"fog\"\n",
    );
    let p = places(&m);
    assert_eq!(p.iter().map(|p| p.0).collect::<Vec<_>>(), [1, 5, 7, 9, 12], "{m}");
    assert!(p[0].2.contains("must be a colour image"), "{m}");
    assert!(p[2].2.contains("needs its input `particles`"), "{m}");
    let cycle = mistakes(
        "output = \"t.color\"\n[[pass]]\nname = \"a\"\ntype = \"rain\"\nparticles = \"b.particles\"\n\
         [[pass]]\nname = \"b\"\ntype = \"physics\"\nparticles = \"a.particles\"\n\
         [[pass]]\nname = \"t\"\ntype = \"tonemap\"\nhdr = \"l.hdr\"\n[[pass]]\nname = \"l\"\ntype = \"lighting\"\ngbuffer = \"g.gbuffer\"\n\
         [[pass]]\nname = \"g\"\ntype = \"gbuffer\"\n",
    );
    let text = cycle.to_string();
    assert!(
        text.contains("cycle") && text.contains("`a` (line 3)") && text.contains("`b` (line 7)"),
        "{text}"
    );
    assert!(!text.contains("`t` (line"), "only the cycle's passes: {text}");
}

/// Checks: `docs/described-passes.md` is what the registry generates (`RG_UPDATE_DOCS=1`
/// rewrites it), and lists every pass type.
#[test]
fn the_pass_type_reference_is_generated_from_the_registry() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/described-passes.md");
    let want = rg_passes::describe::types::reference();
    if std::env::var("RG_UPDATE_DOCS").is_ok_and(|v| v == "1") {
        std::fs::write(&path, &want).expect("write the reference");
    }
    let got = std::fs::read_to_string(&path).expect("docs/described-passes.md");
    assert!(got == want, "docs/described-passes.md is stale: run with RG_UPDATE_DOCS=1");
    for t in rg_passes::describe::registry() {
        assert!(got.contains(&format!("## `{}`", t.name)));
    }
}

/// Checks: the shipped description runs on the device for four frames (the first clears the
/// particles, the later ones rain into them) with validation and synchronization validation
/// clean, and its picture shows the lit terrain: the sky's colour in under half the pixels
/// below the middle, and many distinct colours.
#[test]
fn the_shipped_description_runs_on_the_device() {
    use rg_passes::scene::SceneBuffers;
    use rg_vulkan::{readback, Bindings, Executor, MemoryUse};
    let Some(ctx) = common::context("described") else { return };
    let mut ex = Executor::new(&ctx).expect("executor");
    let d = Description::from_text("rain.toml", GOOD).expect("the description is good");
    let scene = Scene::procedural(1, 1);
    let sphere = scene.mesh_range(Scene::SPHERE_MESH, 0).expect("a sphere mesh");
    let buffers = SceneBuffers::upload(&mut ex, &scene).expect("scene");
    let (w, h) = (160u32, 100u32);
    let output = ex.create_image("output", Format::Rgba8Unorm, w, h).expect("image");
    let bytes = (w * h * 4) as u64;
    let read = ex.create_buffer("readback", bytes, MemoryUse::Readback).expect("buffer");
    let eye = glam::Vec3::new(-20.0, 25.0, 30.0);
    let view = Camera::look_at(eye, glam::Vec3::ZERO).frame(w, h);
    let mut compiler = Compiler::new();
    for frame in 0..4 {
        let mut g: Graph<Pass> = Graph::new(Extent::new(w, h));
        let target = common::import_output(&mut g);
        let inputs = buffers.import(&mut g);
        let scene = Some(HostScene { inputs, sphere, sphere_radius: 0.5 });
        let f = FrameInputs { scene, ..FrameInputs::new(view, frame, target) };
        let color = d.declare(&mut g, &f).expect("declared").output;
        let rb = readback::add_readback(&mut g, color, "readback", bytes);
        let compiled = compiler.compile_frame(g, ex.memory()).expect("compiles");
        let bindings =
            buffers.bind(Bindings::new(), &inputs).image(target, output).buffer(rb, read);
        ex.run(compiled, &bindings).expect("the frame runs");
    }
    let texels = ex.read_buffer(read).expect("read");
    let sky = texels[..4].to_vec();
    let lower = &texels[(h / 2 * w * 4) as usize..];
    let sky_below = lower.chunks_exact(4).filter(|p| *p == &sky[..]).count();
    let mut colours: Vec<&[u8]> = texels.chunks_exact(4).collect();
    colours.sort_unstable();
    colours.dedup();
    eprintln!(
        "described frame: {} colours, {sky_below} of {} pixels below the middle are sky",
        colours.len(),
        lower.len() / 4
    );
    assert!(sky_below < lower.len() / 8, "the terrain must cover the lower half");
    assert!(colours.len() > 100, "a lit terrain has many colours, not {}", colours.len());
    ex.destroy_buffer(read);
    drop(ex);
    common::assert_clean(&ctx, "described");
}

/// Declares `text` with a small scene from the host and compiles it without a device; returns
/// the description, what it declared and the compile errors.
fn compiled(text: &str) -> (Description, rg_passes::describe::Declared, rg_core::CompileErrors) {
    let d = Description::from_text("forked.toml", text).expect("the description checks");
    let mut g: Graph<Pass> = Graph::new(Extent::new(64, 64));
    let output = common::import_output(&mut g);
    let scene = Scene::procedural(20, 1);
    let inputs = scene.sizes().import(&mut g);
    let sphere = scene.mesh_range(Scene::SPHERE_MESH, 0).expect("a sphere mesh");
    let view = Camera::look_at(glam::Vec3::new(0.0, 20.0, 30.0), glam::Vec3::ZERO).frame(64, 64);
    let host = Some(HostScene { inputs, sphere, sphere_radius: 0.5 });
    let f = FrameInputs { scene: host, ..FrameInputs::new(view, 1, output) };
    let declared = d.declare(&mut g, &f).expect("declared");
    let errors = Compiler::new().compile(&g, &FakeMemory::default()).expect_err("a fork");
    (d, declared, errors)
}

/// Checks: a mistake only the graph compiler finds (a terrain draw and the scene's early draw
/// both drawing into the same version of the G-buffer, so nothing orders them) is told at the
/// line of each described pass involved and at no other; with another terrain draw that is
/// not involved but declares passes of the same label, that one is named too, as possibly
/// not involved.
#[test]
fn a_compile_error_is_told_at_the_lines_of_the_passes_involved() {
    let base = "output = \"tonemap.color\"\n\
                [[pass]]\nname = \"terrain\"\ntype = \"terrain\"\nside = 64\n\
                [[pass]]\nname = \"gbuffer\"\ntype = \"gbuffer\"\n\
                [[pass]]\nname = \"ground\"\ntype = \"draw_terrain\"\nterrain = \"terrain.height\"\ngbuffer = \"gbuffer.gbuffer\"\n\
                [[pass]]\nname = \"cull\"\ntype = \"cull\"\n\
                [[pass]]\nname = \"early\"\ntype = \"draw_scene\"\ndraws = \"cull.draws\"\ngbuffer = \"gbuffer.gbuffer\"\n\
                [[pass]]\nname = \"light\"\ntype = \"lighting\"\ngbuffer = \"early.gbuffer\"\n\
                [[pass]]\nname = \"tonemap\"\ntype = \"tonemap\"\nhdr = \"light.hdr\"\n";
    let lines = |m: &Mistakes| -> Vec<usize> {
        let set: std::collections::BTreeSet<usize> = m.0.iter().map(|m| m.at.line).collect();
        set.into_iter().collect()
    };
    // `ground` starts at line 10 and `early` at line 18 (their first keys).
    let (d, declared, errors) = compiled(base);
    let told = declared.explain(&d, &errors);
    assert_eq!(lines(&told), [10, 18], "{told}");
    for m in &told.0 {
        assert!(m.message.contains("`ground` (line 10), `early` (line 18)"), "{}", m.message);
        assert!(m.message.contains("terrain.draw") && m.message.contains("draw.early"));
        assert!(!m.message.contains("may be involved"), "{}", m.message);
    }
    // Another terrain draw (line 31), on the ground's output: not involved, but its pass has
    // the label the error names.
    let extra = format!(
        "{base}[[pass]]\nname = \"extra\"\ntype = \"draw_terrain\"\nterrain = \"terrain.height\"\ngbuffer = \"ground.gbuffer\"\n"
    );
    let (d, declared, errors) = compiled(&extra);
    let told = declared.explain(&d, &errors);
    assert_eq!(lines(&told), [10, 18, 31], "{told}");
    assert!(told
        .0
        .iter()
        .all(|m| m.message.contains("`terrain.draw` is declared by more than one")));
}

/// Checks: `without` leaves passes out and rewires what they fed. Without `particles`, the rain,
/// the physics and the particle draw go too (each is left with nothing for an input it needs)
/// and the lighting reads the terrain draw's G-buffer; without `terrain`, the physics keeps
/// going with no ground (its input is optional) and the terrain draw goes; without `tonemap`,
/// nothing is left for the frame's output, said at its line.
#[test]
fn passes_left_out_hand_on_what_fed_them() {
    let d = Description::from_text("rain.toml", GOOD).expect("good");
    let names = |d: &Description| d.passes().iter().map(|p| p.name.clone()).collect::<Vec<_>>();
    let input = |d: &Description, pass: &str, key: &str| {
        let p = d.passes().iter().find(|p| p.name == pass).expect(pass);
        p.settings.iter().find(|s| s.key == key).map(|s| s.value.clone())
    };
    let text = |s: &str| Some(rg_passes::describe::Value::Text(s.into()));

    let no_particles = d.without("particles").expect("still a frame");
    assert_eq!(names(&no_particles), ["terrain", "gbuffer", "ground", "light", "tonemap"]);
    assert_eq!(input(&no_particles, "light", "gbuffer"), text("ground.gbuffer"));

    let no_terrain = d.without("terrain").expect("still a frame");
    assert_eq!(
        names(&no_terrain),
        ["particles", "rain", "physics", "gbuffer", "drops", "light", "tonemap"]
    );
    assert_eq!(input(&no_terrain, "physics", "terrain"), None);
    assert_eq!(input(&no_terrain, "drops", "gbuffer"), text("gbuffer.gbuffer"));

    let m = d.without("tonemap").expect_err("nothing feeds the output");
    assert_eq!(places(&m).len(), 1, "{m}");
    let (line, column, message) = &places(&m)[0];
    assert_eq!((*line, *column), (3, 10), "{m}");
    assert!(message.contains("nothing is left to feed the frame's output"), "{message}");
}

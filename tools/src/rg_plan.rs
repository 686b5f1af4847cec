//! `rg-plan`: compiles a frame graph and prints or draws its plan. No GPU is needed: memory
//! requirements come from rg-core's model of a typical device.
//!
//! ```text
//! rg-plan [FRAME] [--text|--json|--dot] [--png FILE] [--svg FILE] [--size WxH] [--check]
//! ```
//! FRAME is a reference frame (`deferred`, `compute`, `temporal`), a sample (`sample:compute`,
//! `sample:triangle`, drawn at `--size`, 1280x720 by default) or a frame description file
//! (`FILE.toml`, see `rg_passes::describe`; its mistakes are listed with lines and columns). `--check` also replays the plan
//! through the hazard oracle and fails if it finds anything.

#![forbid(unsafe_code)]

use rg_core::{oracle, print, reference, CompileErrors, Compiler, FakeMemory, Format, Plan};
use rg_tools::picture::Picture;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

const USAGE: &str =
    "usage: rg-plan [FRAME] [--text|--json|--dot] [--png FILE] [--svg FILE] [--size WxH] [--check]
  FRAME   deferred (default), compute, temporal, sample:NAME or a description FILE.toml
  --text  the plan as text (the default when nothing is drawn)
  --json  the plan as JSON
  --dot   the plan as a Graphviz digraph (rg-plan --dot | dot -Tsvg > plan.svg)
  --png   draw passes along time and transients at their heap offsets into a PNG
  --svg   the same picture as SVG, with tooltips
  --size  the output size a sample is declared at (default 1280x720)
  --check replay the plan through the hazard oracle; fail on any hazard";

struct Args {
    frame: String,
    format: Option<&'static str>,
    png: Option<PathBuf>,
    svg: Option<PathBuf>,
    size: (u32, u32),
    check: bool,
}

fn parse(args: impl IntoIterator<Item = String>) -> Result<Option<Args>, String> {
    let mut a = Args {
        frame: "deferred".into(),
        format: None,
        png: None,
        svg: None,
        size: (1280, 720),
        check: false,
    };
    let mut it = args.into_iter();
    let mut frame: Option<String> = None;
    while let Some(arg) = it.next() {
        // An option's value is the next argument, unless that is an option itself.
        let mut value = |what: &str| {
            it.next()
                .filter(|v| !v.starts_with("--"))
                .ok_or_else(|| format!("`{arg}` needs {what}"))
        };
        let mut format = |f: &'static str| match a.format {
            Some(g) if g != f => Err(format!("`--{f}` and `--{g}`: choose one output format")),
            _ => {
                a.format = Some(f);
                Ok(())
            }
        };
        match arg.as_str() {
            "--text" => format("text")?,
            "--json" => format("json")?,
            "--dot" => format("dot")?,
            "--png" => a.png = Some(value("a file name")?.into()),
            "--svg" => a.svg = Some(value("a file name")?.into()),
            "--size" => {
                let v = value("a size like 1280x720")?;
                a.size = rg_samples::parse_size(&v).ok_or_else(|| {
                    format!("`--size {v}`: expected WIDTHxHEIGHT, each 1..=16384")
                })?;
            }
            "--check" => a.check = true,
            "-h" | "--help" => return Ok(None),
            f if !f.starts_with('-') => {
                if let Some(first) = frame.replace(f.to_string()) {
                    return Err(format!("two frames named, `{first}` and `{f}`: give one"));
                }
            }
            f => return Err(format!("unknown option `{f}`")),
        }
    }
    if let Some(f) = frame {
        a.frame = f;
    }
    Ok(Some(a))
}

fn compile(a: &Args) -> Result<Arc<Plan>, String> {
    let memory = FakeMemory::default();
    let errors = |e: CompileErrors| format!("`{}` does not compile: {e}", a.frame);
    if a.frame.ends_with(".toml") {
        let g = described(Path::new(&a.frame), a.size)?;
        return Compiler::new().compile(&g, &memory).map_err(errors);
    }
    if let Some(name) = a.frame.strip_prefix("sample:") {
        let mut sample = rg_samples::by_name(name)?;
        let (g, _) =
            rg_samples::frame_graph(&mut *sample, Format::Bgra8Srgb, a.size.0, a.size.1, 0);
        return Compiler::new().compile(&g, &memory).map_err(errors);
    }
    let (_, g) = reference::all().into_iter().find(|(n, _)| *n == a.frame).ok_or_else(|| {
        format!(
            "no frame called `{}` (try deferred, compute, temporal, sample:compute or sample:triangle)",
            a.frame
        )
    })?;
    Compiler::new().compile(&g, &memory).map_err(errors)
}

/// The frame a description file declares at `size`, seen from above the origin, with the
/// procedural scene's buffers (for the sphere particles are drawn with) imported.
fn described(path: &Path, size: (u32, u32)) -> Result<rg_core::Graph<rg_vulkan::Pass>, String> {
    use rg_passes::describe::{Description, FrameInputs, HostParticles, HostScene};
    use rg_passes::scene::Scene;
    let d = Description::load(path).map_err(|m| m.to_string())?;
    let mut g = rg_core::Graph::new(rg_core::Extent::new(size.0, size.1));
    let output = g.import_image(
        "output",
        rg_core::ImageDesc::new(Format::Bgra8Srgb, rg_core::Size::FULL),
        rg_core::ResourceState::swapchain_acquired(),
        rg_core::ResourceState::present(),
    );
    let scene = Scene::procedural(100, 1);
    let inputs = scene.sizes().import(&mut g);
    let sphere = scene.mesh_range(Scene::SPHERE_MESH, 0).unwrap_or((0, 0, 0));
    let eye = glam::Vec3::new(0.0, 30.0, 40.0);
    let view = rg_passes::camera::Camera::look_at(eye, glam::Vec3::ZERO).frame(size.0, size.1);
    // The second frame: temporal state is carried over, as in every frame after the first.
    let frame = FrameInputs {
        scene: Some(HostScene { inputs, sphere, sphere_radius: 0.5 }),
        lights: Some(rg_passes::lights::import(&mut g, 256)),
        particles: Some(HostParticles { count: 2048, start: None }),
        ..FrameInputs::new(view, 1, output)
    };
    let declared = d.declare(&mut g, &frame).map_err(|m| m.to_string())?;
    // A compile error is told at the lines of the described passes involved.
    if let Err(e) = rg_core::Compiler::new().compile(&g, &FakeMemory::default()) {
        return Err(declared.explain(&d, &e).to_string());
    }
    Ok(g)
}

fn write(path: &Path, what: &str, f: impl FnOnce() -> Result<(), String>) -> Result<(), String> {
    f().map_err(|e| format!("cannot write the {what} to {}: {e}", path.display()))?;
    eprintln!("rg-plan: wrote {}", path.display());
    Ok(())
}

fn run(a: &Args) -> Result<(), String> {
    let plan = compile(a)?;
    let drawn = a.png.is_some() || a.svg.is_some();
    let out = match a.format.or(if drawn { None } else { Some("text") }) {
        Some("json") => Some(print::json(&plan) + "\n"),
        Some("dot") => Some(print::dot(&plan)),
        Some(_) => Some(print::text(&plan)),
        None => None,
    };
    if let Some(out) = out {
        let mut stdout = std::io::stdout().lock();
        match stdout.write_all(out.as_bytes()).and_then(|()| stdout.flush()) {
            // A reader that stopped early (`| head`) wanted no more; pictures and the check
            // still follow.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
            Err(e) => return Err(format!("cannot write the plan to standard output: {e}")),
            Ok(()) => {}
        }
    }
    if drawn {
        let picture = Picture::new(&a.frame, &plan);
        if let Some(path) = &a.png {
            let png = || picture.png().save_with_format(path, image::ImageFormat::Png);
            write(path, "PNG", || png().map_err(|e| e.to_string()))?;
        }
        if let Some(path) = &a.svg {
            write(path, "SVG", || std::fs::write(path, picture.svg()).map_err(|e| e.to_string()))?;
        }
    }
    if a.check {
        let hazards = oracle::check(&plan);
        if !hazards.is_empty() {
            let list: Vec<String> = hazards.iter().map(|h| format!("hazard: {h}")).collect();
            return Err(format!("the hazard oracle found:\n{}", list.join("\n")));
        }
        eprintln!("rg-plan: the hazard oracle found nothing in `{}`", a.frame);
    }
    Ok(())
}

fn main() -> ExitCode {
    let args = match parse(std::env::args().skip(1)) {
        Ok(Some(a)) => a,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("rg-plan: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rg-plan: {e}");
            ExitCode::FAILURE
        }
    }
}

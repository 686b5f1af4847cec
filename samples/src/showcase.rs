//! The showcase: a procedural scene of thousands of instances of several meshes, each with its
//! LOD chain, drawn through GPU-driven culling (frustum, LOD by screen-space error, two-phase
//! Hi-Z occlusion) from the pass library (`rg_passes::frame::SceneFrame`), along a scripted
//! camera path. The same graph runs windowed and headless.
//!
//! Options of its own (besides every sample's): `--instances N` (default 10000), `--gltf FILE`
//! (a `.gltf` or `.glb` mesh placed among the procedural ones), `--no-culling` (draw every
//! instance; the picture must not change). `--stats` adds the culling counts of the last frame.

use crate::Sample;
use glam::{Quat, Vec3};
use rg_core::{Access, BufferDesc, BufferHandle, Graph, ImageHandle, QueueKind, ResourceState};
use rg_passes::camera;
use rg_passes::cull::{Counts, CullTests, COUNT_WORDS};
use rg_passes::frame::SceneFrame;
use rg_passes::mesh::Mesh;
use rg_passes::scene::{Instance, Scene, SceneBuffers, SceneInputs, SceneSizes};
use rg_vulkan::{Bindings, Buffer, Error, Executor, MemoryUse, Pass};
use std::path::{Path, PathBuf};

/// Instances in the scene by default.
pub const DEFAULT_INSTANCES: usize = 10_000;

/// Options only the showcase takes.
pub const USAGE: &str = "
showcase options:
  --instances N      instances in the scene (default 10000)
  --gltf FILE        add a mesh from a .gltf or .glb file among the procedural ones
  --no-culling       draw every instance (no frustum or occlusion culling; LOD still chosen)";

/// The showcase sample.
pub struct Showcase {
    scene: Scene,
    sizes: SceneSizes,
    tests: CullTests,
    buffers: Option<SceneBuffers>,
    /// A host-readable copy of the last frame's culling counts.
    stats: Option<Buffer>,
    /// What the last frame imported, to bind.
    imports: Option<(SceneInputs, BufferHandle)>,
}

impl Default for Showcase {
    fn default() -> Showcase {
        Showcase::new(Scene::procedural(DEFAULT_INSTANCES, 1), CullTests::ALL)
    }
}

const COUNT_BYTES: u64 = COUNT_WORDS as u64 * 4;

impl Showcase {
    pub fn new(scene: Scene, tests: CullTests) -> Showcase {
        Showcase { sizes: scene.sizes(), scene, tests, buffers: None, stats: None, imports: None }
    }

    /// Takes the showcase's own options out of `args`; returns the sample and the rest.
    ///
    /// # Errors
    /// A bad value, or a glTF file that cannot be loaded (the message names the file).
    pub fn from_args(args: Vec<String>) -> Result<(Showcase, Vec<String>), ArgsError> {
        let usage = ArgsError::Usage;
        let mut rest = Vec::new();
        let (mut instances, mut gltf, mut tests) =
            (DEFAULT_INSTANCES, None::<PathBuf>, CullTests::ALL);
        let mut it = args.into_iter();
        while let Some(a) = it.next() {
            match a.as_str() {
                "--instances" => {
                    let v = it.next().ok_or(usage("--instances needs a value".into()))?;
                    instances = v.parse().ok().filter(|&n| (1..=4_000_000).contains(&n)).ok_or(
                        usage(format!("--instances {v}: expected a number from 1 to 4000000")),
                    )?;
                }
                "--gltf" => {
                    let v = it.next().ok_or(usage("--gltf needs a file".into()))?;
                    gltf = Some(PathBuf::from(v));
                }
                "--no-culling" => tests = CullTests::NONE,
                _ => rest.push(a),
            }
        }
        let mut scene = Scene::procedural(instances, 1);
        if let Some(path) = gltf {
            add_gltf(&mut scene, &path).map_err(ArgsError::Gltf)?;
        }
        Ok((Showcase::new(scene, tests), rest))
    }

    /// The scene it draws.
    pub fn scene(&self) -> &Scene {
        &self.scene
    }
}

/// The showcase's `main`: its own options, then every sample's. Exit codes as
/// [`crate::main_with`]'s; a `--gltf` file that cannot be used exits 1, naming the file.
pub fn main() -> std::process::ExitCode {
    match Showcase::from_args(std::env::args().skip(1).collect()) {
        Ok((mut sample, rest)) => crate::main_with_args(&mut sample, rest, USAGE),
        Err(ArgsError::Usage(e)) => {
            eprintln!("showcase: {e}{USAGE}");
            std::process::ExitCode::from(2)
        }
        Err(ArgsError::Gltf(e)) => {
            eprintln!("showcase: {e}");
            std::process::ExitCode::from(1)
        }
    }
}

/// Why [`Showcase::from_args`] failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ArgsError {
    /// An option or its value is wrong.
    Usage(String),
    /// The `--gltf` file cannot be used (the message names it).
    Gltf(String),
}

/// Loads a glTF mesh, scales it to about the procedural meshes' size and puts it in place of
/// one procedural instance in twenty.
fn add_gltf(scene: &mut Scene, path: &Path) -> Result<(), String> {
    let mesh: Mesh = rg_passes::mesh::gltf::load(path).map_err(|e| e.to_string())?;
    let radius = mesh.bounds().radius.max(1e-6);
    let index = scene.add_mesh(&mesh);
    for (k, inst) in scene.instances.iter_mut().enumerate().skip(1).step_by(20) {
        let scale = 0.8 / radius;
        *inst = Instance {
            position: Vec3::new(inst.position.x, scale * radius, inst.position.z),
            scale,
            rotation: Quat::from_rotation_y(k as f32 * 0.7),
            mesh: index,
            color: [210, 170, 90, 255],
        };
    }
    Ok(())
}

impl Sample for Showcase {
    fn name(&self) -> &'static str {
        "showcase"
    }

    fn frame(&mut self, g: &mut Graph<Pass>, output: ImageHandle, frame: u64) -> ImageHandle {
        let extent = g.output_extent();
        let time = frame as f32 / 60.0;
        let field = Scene::field_extent(self.scene.instances.len());
        let view = camera::path(time, field).frame(extent.width, extent.height);
        let inputs = self.sizes.import(g);
        let params = SceneFrame { tests: self.tests, ..SceneFrame::new(view, &inputs, frame > 0) };
        let out = params.add(g, inputs, output);
        // The counts go to a host-readable buffer for `--stats`.
        let host = ResourceState::host_read(QueueKind::Graphics);
        let stats = g.import_buffer("showcase.stats", BufferDesc::new(COUNT_BYTES), host, host);
        let mut p = g.add_pass("showcase.stats", QueueKind::Graphics);
        p.read(out.counts, Access::CopySrc);
        let stats = p.write(stats, Access::CopyDst);
        let counts = out.counts;
        p.record(Box::new(move |r| r.copy_buffer(counts, stats, Some(COUNT_BYTES))));
        self.imports = Some((inputs, stats));
        out.color
    }

    fn prepare(&mut self, ex: &mut Executor) -> Result<(), Error> {
        self.buffers = Some(SceneBuffers::upload(ex, &self.scene)?);
        self.stats = Some(ex.create_buffer("showcase.stats", COUNT_BYTES, MemoryUse::Readback)?);
        Ok(())
    }

    fn bind(&self, bindings: Bindings) -> Bindings {
        match (&self.buffers, self.stats, &self.imports) {
            (Some(b), Some(stats), Some((inputs, h))) => b.bind(bindings, inputs).buffer(*h, stats),
            _ => bindings,
        }
    }

    fn finish(&mut self, ex: &mut Executor) -> Result<Option<String>, Error> {
        let Some(stats) = self.stats else { return Ok(None) };
        let c = Counts::from_bytes(&ex.read_buffer(stats)?);
        let meshes = self.scene.meshes.len();
        let levels: usize = self.scene.meshes.iter().map(|m| m.levels.len()).sum();
        let mut s = format!(
            "scene: {} instances of {meshes} meshes ({levels} LOD levels in all), culling {}\n",
            self.scene.instances.len(),
            if self.tests == CullTests::NONE { "off" } else { "on" }
        );
        s.push_str(&format!(
            "culling (last frame): {} tested, {} drawn in phase 1, {} in phase 2, {} occluded, \
             {} outside the frustum, {} draws over capacity\n",
            c.tested, c.visible_early, c.visible_late, c.occluded, c.frustum_culled, c.overflow
        ));
        let lods: Vec<String> = c
            .lod_draws
            .iter()
            .enumerate()
            .filter(|(_, &n)| n > 0)
            .map(|(k, n)| format!("LOD {k}: {n}"))
            .collect();
        s.push_str(&format!("draws per level: {}\n", lods.join(", ")));
        Ok(Some(s))
    }
}

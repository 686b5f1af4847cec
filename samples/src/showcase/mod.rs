//! The showcase: a procedural scene of thousands of instances of several meshes, each with its
//! LOD chain, drawn through GPU-driven culling (frustum, LOD by screen-space error, two-phase
//! Hi-Z occlusion) from the pass library (`rg_passes::frame::SceneFrame`), along a scripted
//! camera path. The same graph runs windowed and headless.
//!
//! Options of its own (besides every sample's): `--instances N` (default 10000), `--gltf FILE`
//! (a `.gltf` or `.glb` mesh placed among the procedural ones), `--lights N` (default 4096),
//! `--no-culling` (draw every instance; the picture must not change), `--no-shadows`,
//! `--no-terrain` (a flat ground instead of the eroding terrain), `--particles N` (default 2048:
//! a cloud dropped onto the terrain at the start, then rain that recycles the oldest drops).
//! `--stats` adds the culling counts, shadow casters and light lists of the last frame.
//!
//! The frame is described in a file, `samples/frames/showcase.toml` unless `--pipeline FILE`
//! names another, read again whenever it changes while the sample runs (a bad edit keeps the
//! last good frame and prints why). `--rust` declares the same frame in Rust instead
//! (`rg_passes::frame::SceneFrame`); both compile to the same plan.

mod frame;
mod pipeline;

pub use pipeline::{Pipeline, DEFAULT_PIPELINE};

use crate::{Reloaded, Sample};
use glam::{Quat, Vec3};
use rg_core::{Access, BufferDesc, BufferHandle, Graph, ImageHandle, QueueKind, ResourceState};
use rg_core::{Compiler, Extent, FakeMemory, Format, ImageDesc, Size};
use rg_passes::camera::{self, View};
use rg_passes::cull::{Counts, CullTests, COUNT_WORDS};
use rg_passes::describe::{
    terrain_setup, Declared, Description, FrameInputs, HostParticles, HostScene, Mistakes,
    PortKind, PortValue, Value,
};
use rg_passes::frame::SceneFrame;
use rg_passes::lights::{self, ClusterGrid, ClusteredLights, LightBuffers, LightsIn, PointLight};
use rg_passes::mesh::Mesh;
use rg_passes::physics::{
    self, BroadPhase, DrawParticles, Particle, PhysicsStep, Rain, TerrainPlacement,
};
use rg_passes::scene::{Instance, Scene, SceneBuffers, SceneInputs, SceneSizes};
use rg_passes::shadow::CascadeSettings;
use rg_passes::terrain::{height_at, ErosionParams, TerrainFrame, TerrainNoise};
use rg_passes::terrain_draw::TerrainLayout;
use rg_vulkan::{Bindings, Buffer, Error, Executor, MemoryUse, Pass};
use std::path::{Path, PathBuf};

/// Instances in the scene by default.
pub const DEFAULT_INSTANCES: usize = 10_000;

/// Options only the showcase takes.
pub const USAGE: &str = "
showcase options:
  --instances N      instances in the scene (default 10000)
  --gltf FILE        add a mesh from a .gltf or .glb file among the procedural ones
  --no-culling       draw every instance (no frustum or occlusion culling; LOD still chosen)
  --no-shadows       no cascaded shadow map from the sun
  --no-terrain       a flat ground instead of the eroding terrain
  --particles N      particles raining onto the terrain (default 2048; 0 for none)
  --lights N         moving point lights, clustered (default 4096, at most 65536; 0 for none)
  --pipeline FILE    the frame's description (default: samples/frames/showcase.toml), read
                     again whenever it changes while the sample runs
  --rust             declare the frame in Rust (SceneFrame) instead of from a description";

/// The showcase sample.
pub struct Showcase {
    scene: Scene,
    sizes: SceneSizes,
    tests: CullTests,
    /// Cascaded shadows from the sun, or none.
    shadows: Option<CascadeSettings>,
    /// The eroding terrain the instances stand on, or none (a flat ground instead).
    terrain: Option<TerrainSetup>,
    /// Particles dropped over the field at the start, falling onto the terrain and piling up.
    particles: Vec<Particle>,
    /// The rain that then replaces the oldest particles, a few each frame.
    rain: Option<Rain>,
    particle_start: Option<Buffer>,
    /// Point lights over the field, clustered each frame.
    lights: Vec<PointLight>,
    light_buffers: Option<LightBuffers>,
    /// Host-readable copies of the last frame's cluster counts and light overflow.
    light_stats: Option<(Buffer, Buffer)>,
    buffers: Option<SceneBuffers>,
    /// Host-readable copies of the last frame's culling counts and shadow casters' counts.
    stats: Option<Buffer>,
    shadow_stats: Option<Buffer>,
    /// What the last frame imported, to bind.
    imports: Option<Imports>,
    /// Where the frame comes from: Rust, or a description file.
    source: Source,
    /// What the last frame drew, for `--stats`.
    shown: Shown,
}

/// Where the showcase's frame comes from.
#[derive(Clone, Debug)]
enum Source {
    /// Declared in Rust ([`SceneFrame`]), `--rust`.
    Rust,
    /// A description file, fitted to the scene and the options.
    File(Box<Pipeline>),
}

/// What the last frame had, for `--stats`.
#[derive(Clone, Copy, Debug, Default)]
struct Shown {
    /// Cascades and their resolution.
    shadows: Option<(u32, u32)>,
    lights: Option<ClusterGrid>,
    /// Whether it culled the scene (and copied the counts back).
    culled: bool,
}

/// The showcase's terrain: generated on the first frame, eroded a few steps every frame, drawn
/// with CDLOD under the instances.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TerrainSetup {
    pub noise: TerrainNoise,
    pub layout: TerrainLayout,
    pub erosion: ErosionParams,
    /// Erosion steps a frame.
    pub iterations: u32,
}

impl TerrainSetup {
    /// A terrain under a square field of side `extent` centred on the origin.
    pub fn for_field(extent: f32) -> TerrainSetup {
        let side = 256;
        TerrainSetup {
            noise: TerrainNoise { side, octaves: 7, base_shift: 7, seed: 11 },
            layout: TerrainLayout {
                corner: [-extent * 0.6, -extent * 0.6],
                size: extent * 1.2,
                vertical: 3.0,
                max_height: 2.0,
                texels: side,
                quads: 16,
                levels: 5,
                range_factor: 8.0,
            },
            erosion: ErosionParams {
                rain: 0.01,
                capacity: 1.0,
                dissolving: 0.1,
                deposition: 0.1,
                ..ErosionParams::default()
            },
            iterations: 2,
        }
    }

    /// The generated ground's height at world (x, z) (erosion moves it a little).
    pub fn ground_at(&self, x: f32, z: f32) -> f32 {
        let l = &self.layout;
        let texel = |v: f32, c: f32| {
            (((v - c) / l.size * l.texels as f32) as i64).clamp(0, l.texels as i64 - 1) as u32
        };
        height_at(texel(x, l.corner[0]), texel(z, l.corner[1]), &self.noise) * l.vertical
    }
}

/// What a frame imported, to bind.
struct Imports {
    scene: SceneInputs,
    /// The particles' first state, imported on the first frame.
    particle_start: Option<BufferHandle>,
    stats: Option<BufferHandle>,
    shadow_stats: Option<BufferHandle>,
    lights: Option<(LightsIn, BufferHandle, BufferHandle)>,
}

/// Particles in the showcase by default.
pub const DEFAULT_PARTICLES: usize = 2048;

/// Point lights in the showcase by default.
pub const DEFAULT_LIGHTS: usize = 4096;

/// The showcase's froxel grid.
pub const GRID: ClusterGrid =
    ClusterGrid { tiles_x: 16, tiles_y: 9, slices: 24, budget: 128, far: 100.0 };

/// The showcase's shadows: 4 cascades of 1024² over the first 80 units.
pub const SHADOWS: CascadeSettings =
    CascadeSettings { count: 4, lambda: 0.75, distance: 80.0, resolution: 1024, reach: 60.0 };

impl Default for Showcase {
    /// The showcase with its defaults, declared in Rust (`--rust`).
    fn default() -> Showcase {
        let mut s = Showcase::new(Scene::procedural(DEFAULT_INSTANCES + 1, 1), CullTests::ALL);
        s.set_lights(DEFAULT_LIGHTS);
        let extent = Scene::field_extent(s.scene.instances.len());
        s.set_terrain(TerrainSetup::for_field(extent));
        s.set_particles(DEFAULT_PARTICLES);
        s
    }
}

const COUNT_BYTES: u64 = COUNT_WORDS as u64 * 4;
/// The shadow casters' counts: a word a cascade (at most 8) and one of draws over capacity.
const SHADOW_COUNT_BYTES: u64 = (8 + 1) * 4;
/// The cluster counts copied back for `--stats`, at most.
const MAX_STAT_CLUSTERS: u32 = 65_536;

impl Showcase {
    pub fn new(scene: Scene, tests: CullTests) -> Showcase {
        Showcase {
            sizes: scene.sizes(),
            scene,
            tests,
            shadows: Some(SHADOWS),
            terrain: None,
            particles: Vec::new(),
            particle_start: None,
            rain: None,
            lights: Vec::new(),
            light_buffers: None,
            light_stats: None,
            buffers: None,
            stats: None,
            shadow_stats: None,
            imports: None,
            source: Source::Rust,
            shown: Shown::default(),
        }
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
        let mut shadows = Some(SHADOWS);
        let mut terrain = true;
        let mut particle_count = DEFAULT_PARTICLES;
        let mut light_count = DEFAULT_LIGHTS;
        let mut pipeline = Some(PathBuf::from(DEFAULT_PIPELINE));
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
                "--no-shadows" => shadows = None,
                "--no-terrain" => terrain = false,
                "--particles" => {
                    let v = it.next().ok_or(usage("--particles needs a value".into()))?;
                    particle_count = v.parse().ok().filter(|&n| n <= 1_000_000).ok_or(usage(
                        format!("--particles {v}: expected a number from 0 to 1000000"),
                    ))?;
                }
                "--lights" => {
                    let v = it.next().ok_or(usage("--lights needs a value".into()))?;
                    light_count =
                        v.parse().ok().filter(|&n| n <= 65_536).ok_or(usage(format!(
                            "--lights {v}: expected a number from 0 to 65536"
                        )))?;
                }
                "--pipeline" => {
                    let v = it.next().ok_or(usage("--pipeline needs a file".into()))?;
                    pipeline = Some(PathBuf::from(v));
                }
                "--rust" => pipeline = None,
                _ => rest.push(a),
            }
        }
        // With the terrain, the flat ground (the first instance) goes: make one more.
        let mut scene = Scene::procedural(instances + usize::from(terrain), 1);
        if let Some(path) = gltf {
            add_gltf(&mut scene, &path).map_err(ArgsError::Gltf)?;
        }
        let mut showcase = Showcase { shadows, ..Showcase::new(scene, tests) };
        showcase.set_lights(light_count);
        let pipeline = pipeline.map(|p| Pipeline::load(&p)).transpose();
        let mut pipeline = pipeline.map_err(|m| ArgsError::Pipeline(m.to_string()))?;
        // A description without a terrain pass is a frame on the flat ground.
        let described_terrain = |p: &Pipeline| p.fitted.passes_of_type("terrain").next().is_some();
        let terrain = terrain && pipeline.as_ref().is_none_or(described_terrain);
        if terrain {
            let field = Scene::field_extent(showcase.scene.instances.len());
            let mut setup = TerrainSetup::for_field(field);
            // The instances stand on the terrain the description makes.
            if let Some(p) = &pipeline {
                let fitted =
                    setup.fit(&p.fitted).map_err(|m| ArgsError::Pipeline(m.to_string()))?;
                let entry = fitted.passes_of_type("terrain").next().cloned();
                if let Some(entry) = entry {
                    let (t, layout) = terrain_setup(&entry);
                    setup = TerrainSetup {
                        noise: t.noise,
                        layout,
                        erosion: t.params,
                        iterations: t.iterations,
                    };
                }
            }
            showcase.set_terrain(setup);
        }
        showcase.set_particles(particle_count);
        if let Some(p) = &mut pipeline {
            let fitted = showcase.fit(&p.fitted).and_then(|d| showcase.trial(&d).map(|()| d));
            p.fitted = fitted.map_err(|m| ArgsError::Pipeline(m.to_string()))?;
        }
        showcase.source = pipeline.map_or(Source::Rust, |p| Source::File(Box::new(p)));
        Ok((showcase, rest))
    }

    /// The scene it draws.
    pub fn scene(&self) -> &Scene {
        &self.scene
    }

    /// Puts the field on an eroding terrain: the flat ground (the scene's first instance) goes,
    /// and every other instance stands on the terrain. Make the scene with one instance more.
    pub fn set_terrain(&mut self, setup: TerrainSetup) {
        if self.terrain.is_none() && !self.scene.instances.is_empty() {
            self.scene.instances.remove(0);
            for inst in &mut self.scene.instances {
                inst.position.y += setup.ground_at(inst.position.x, inst.position.z);
            }
            self.sizes = self.scene.sizes();
        }
        self.terrain = Some(setup);
    }

    /// Drops `count` particles in a cloud over where the camera first looks, then rains them
    /// there (0: none).
    pub fn set_particles(&mut self, count: usize) {
        let field = Scene::field_extent(self.scene.instances.len());
        let start = camera::path(0.0, field);
        let target = start.position + start.forward * 18.0;
        let side = (count as f32).cbrt().ceil().max(1.0) as usize;
        self.particles = (0..count)
            .map(|k| {
                let (x, y, z) = (k % side, (k / side) % side, k / (side * side));
                let jitter =
                    (rg_passes::scene::hash(k as u32) >> 8) as f32 / (1u32 << 24) as f32 * 0.05;
                let ground = self.terrain.map_or(0.0, |t| t.ground_at(target.x, target.z));
                Particle {
                    position: Vec3::new(
                        target.x + (x as f32 - side as f32 / 2.0) * 0.45 + jitter,
                        ground + 6.0 + y as f32 * 0.45,
                        target.z + (z as f32 - side as f32 / 2.0) * 0.45 - jitter,
                    ),
                    radius: 0.15 + 0.05 * (k % 3) as f32,
                    velocity: Vec3::ZERO,
                }
            })
            .collect();
        // Then rain over the same spot: a drop a frame for every 256 particles, so each lives
        // about 256 frames.
        let ground = self.terrain.map_or(0.0, |t| t.ground_at(target.x, target.z));
        self.rain = (count > 0).then(|| Rain {
            per_frame: (count as u32 / 256).max(1),
            corner: [target.x - 7.0, target.z - 7.0],
            side: 14.0,
            height: ground + 10.0,
            radii: [0.15, 0.25],
            speed: 2.0,
            seed: 3,
        });
    }

    /// Lights the field with `count` moving point lights (0: none).
    pub fn set_lights(&mut self, count: usize) {
        let extent = Scene::field_extent(self.scene.instances.len());
        self.lights = lights::procedural(count, extent, 7);
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
        Err(ArgsError::Gltf(e) | ArgsError::Pipeline(e)) => {
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
    /// The frame's description has mistakes (each with its file, line and column).
    Pipeline(String),
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
        // A description starts over when it is taken: its first frame (generating the
        // terrain, dropping the particles) is the first it runs.
        let start = match &mut self.source {
            Source::Rust => 0,
            Source::File(p) => *p.taken_at.get_or_insert(frame),
        };
        let h = self.host(g, frame, start);
        let out = match &self.source {
            Source::Rust => self.declared_in_rust(g, output, frame, &h),
            // Every description in use was declared and compiled by `trial` first, on its
            // first frame and a later one, which are all the cases a pass's declaration tells
            // apart.
            Source::File(p) => match self.described(&p.fitted, g, output, frame - start, &h) {
                Ok((out, _)) => out,
                Err(m) => panic!("a checked description failed to declare:\n{m}"),
            },
        };
        let host = ResourceState::host_read(QueueKind::Graphics);
        // The counts (and the shadow casters' and lights' counts) go to host-readable buffers
        // for `--stats`.
        let stats = out.counts.map(|counts| {
            let stats = g.import_buffer("showcase.stats", BufferDesc::new(COUNT_BYTES), host, host);
            let mut p = g.add_pass("showcase.stats", QueueKind::Graphics);
            p.read(counts, Access::CopySrc);
            let stats = p.write(stats, Access::CopyDst);
            p.record(Box::new(move |r| r.copy_buffer(counts, stats, Some(COUNT_BYTES))));
            stats
        });
        self.shown.shadows = out.shadows.map(|(_, map, count)| {
            let side = g.image_desc(map).map_or(0, |d| match d.size {
                Size::Absolute(e) => e.width,
                _ => 0,
            });
            (count, side)
        });
        let shadow_stats = out.shadows.map(|(c, _, count)| {
            let bytes = (count.min(8) as u64 + 1) * 4;
            let b = BufferDesc::new(SHADOW_COUNT_BYTES);
            let shadow_stats = g.import_buffer("showcase.shadow_stats", b, host, host);
            let mut p = g.add_pass("showcase.shadow_stats", QueueKind::Graphics);
            p.read(c, Access::CopySrc);
            let shadow_stats = p.write(shadow_stats, Access::CopyDst);
            p.record(Box::new(move |r| r.copy_buffer(c, shadow_stats, Some(bytes))));
            shadow_stats
        });
        self.shown.lights = out.lights.map(|(_, grid)| grid);
        self.shown.culled = out.counts.is_some();
        let light_stats = out.lights.map(|(l, grid)| {
            let counts_bytes = grid.clusters().min(MAX_STAT_CLUSTERS) as u64 * 4;
            let a = g.import_buffer(
                "showcase.cluster_counts",
                BufferDesc::new(MAX_STAT_CLUSTERS as u64 * 4),
                host,
                host,
            );
            let b = g.import_buffer("showcase.light_overflow", BufferDesc::new(8), host, host);
            let mut p = g.add_pass("showcase.light_stats", QueueKind::Graphics);
            p.read(l.counts, Access::CopySrc);
            p.read(l.overflow, Access::CopySrc);
            let a = p.write(a, Access::CopyDst);
            let b = p.write(b, Access::CopyDst);
            p.record(Box::new(move |r| {
                r.copy_buffer(l.counts, a, Some(counts_bytes))?;
                r.copy_buffer(l.overflow, b, Some(8))
            }));
            (a, b)
        });
        self.imports = Some(Imports {
            particle_start: h.start,
            scene: h.scene,
            stats,
            shadow_stats,
            lights: h.lights.zip(light_stats).map(|(l, (a, b))| (l, a, b)),
        });
        out.color
    }

    fn reload(&mut self) -> Vec<Reloaded> {
        self.reload_pipeline()
    }

    fn prepare(&mut self, ex: &mut Executor) -> Result<(), Error> {
        if !self.particles.is_empty() {
            let bytes = physics::particle_bytes(&self.particles);
            let b =
                ex.create_buffer("showcase.particles", bytes.len() as u64, MemoryUse::Upload)?;
            ex.write_buffer(b, &bytes)?;
            self.particle_start = Some(b);
        }
        self.buffers = Some(SceneBuffers::upload(ex, &self.scene)?);
        self.stats = Some(ex.create_buffer("showcase.stats", COUNT_BYTES, MemoryUse::Readback)?);
        let shadow =
            ex.create_buffer("showcase.shadow_stats", SHADOW_COUNT_BYTES, MemoryUse::Readback)?;
        self.shadow_stats = Some(shadow);
        if !self.lights.is_empty() {
            self.light_buffers = Some(LightBuffers::upload(ex, &self.lights)?);
            let counts = ex.create_buffer(
                "showcase.cluster_counts",
                MAX_STAT_CLUSTERS as u64 * 4,
                MemoryUse::Readback,
            )?;
            let overflow = ex.create_buffer("showcase.light_overflow", 8, MemoryUse::Readback)?;
            self.light_stats = Some((counts, overflow));
        }
        Ok(())
    }

    fn bind(&self, bindings: Bindings) -> Bindings {
        let (Some(b), Some(stats), Some(shadow), Some(i)) =
            (&self.buffers, self.stats, self.shadow_stats, &self.imports)
        else {
            return bindings;
        };
        let mut bound = b.bind(bindings, &i.scene);
        if let Some(h) = i.stats {
            bound = bound.buffer(h, stats);
        }
        if let (Some(h), Some(start)) = (i.particle_start, self.particle_start) {
            bound = bound.buffer(h, start);
        }
        if let Some(sh) = i.shadow_stats {
            bound = bound.buffer(sh, shadow);
        }
        if let (Some((input, a, c)), Some(lb), Some((counts, overflow))) =
            (i.lights, &self.light_buffers, self.light_stats)
        {
            bound = lb.bind(bound, &input).buffer(a, counts).buffer(c, overflow);
        }
        bound
    }

    fn finish(&mut self, ex: &mut Executor) -> Result<Option<String>, Error> {
        let Some(stats) = self.stats else { return Ok(None) };
        // Zeros when the frame had no culling pass (nothing tested).
        let c = match self.shown.culled {
            true => Counts::from_bytes(&ex.read_buffer(stats)?),
            false => Counts::default(),
        };
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
        if let (Some((count, resolution)), Some(buffer)) = (self.shown.shadows, self.shadow_stats) {
            let bytes = ex.read_buffer(buffer)?;
            let word = |i: usize| {
                let at = 4 * i;
                bytes.get(at..at + 4).map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            };
            let casters: Vec<String> = (0..count as usize).map(|k| word(k).to_string()).collect();
            s.push_str(&format!(
                "shadows: {count} cascades of {resolution}², casters drawn per cascade: {}, over \
                 capacity: {}\n",
                casters.join(", "),
                word(count as usize)
            ));
        } else {
            s.push_str("shadows: off\n");
        }
        if let (Some((counts, overflow)), Some(grid)) = (self.light_stats, self.shown.lights) {
            let words = |b: Vec<u8>| -> Vec<u32> {
                b.chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
            };
            let mut counts = words(ex.read_buffer(counts)?);
            counts.truncate(grid.clusters().min(MAX_STAT_CLUSTERS) as usize);
            let overflow = words(ex.read_buffer(overflow)?);
            let busy = counts.iter().filter(|&&n| n > 0).count();
            let longest = counts.iter().max().copied().unwrap_or(0);
            s.push_str(&format!(
                "lights: {} point lights in {} clusters ({}x{}x{}), {busy} clusters lit, the longest list {longest} (budget {}), {} lights dropped in {} clusters over budget\n",
                self.lights.len(),
                grid.clusters(),
                grid.tiles_x,
                grid.tiles_y,
                grid.slices,
                grid.budget,
                overflow.first().copied().unwrap_or(0),
                overflow.get(1).copied().unwrap_or(0)
            ));
        } else {
            s.push_str("lights: none\n");
        }
        Ok(Some(s))
    }
}

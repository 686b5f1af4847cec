//! Point lights sorted into a froxel grid (clustered shading, Olsson, Billeter and Assarsson
//! 2012; Doom 2016's 16×9×24 layout with logarithmic slices).
//!
//! `lights.animate` moves the uploaded lights for the frame (each circles its base position),
//! `lights.reset` zeroes the overflow counters, and `lights.cluster` lists, for every cluster
//! (a tile of the screen between two depths), the lights whose spheres touch the cluster's
//! view-space box, in light order, up to a budget a cluster; lights past the budget are dropped
//! (the first ones are kept, so the subset is deterministic) and counted. The scene draw reads
//! its pixel's cluster's list ([`crate::lighting::DeferredLighting`], `shading.glsl`). Sorting
//! costs one sphere–box test per cluster and light (14 million for 4096 lights in the default
//! 3456 clusters), so hundreds of thousands of lights need a finer method than this one.
//!
//! What proves it right (`passes/tests/lights.rs`): every list holds every light a float64 CPU
//! test finds (no misses; extras only inside the stated band, counted); shading from the lists
//! equals shading from every light within 1e-4; 4096 lights in one cluster are clamped to the
//! budget, the overflow counted, and the neighbouring clusters' lists untouched.

use crate::camera::View;
use glam::Vec3;
use rg_core::{Access, BufferDesc, BufferHandle, Graph, QueueKind, ResourceState, ShaderStages};
use rg_vulkan::{Bindings, Buffer, Error, Executor, MemoryUse, Pass};

const C: ShaderStages = ShaderStages::COMPUTE;

/// A point light as uploaded: it circles `position` at `circle` units, `speed` radians a
/// second, starting at `phase`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PointLight {
    pub position: Vec3,
    /// Where its falloff reaches zero.
    pub radius: f32,
    /// Linear colour times intensity.
    pub color: Vec3,
    pub circle: f32,
    pub speed: f32,
    pub phase: f32,
}

/// Bytes of an uploaded light (`BaseLight` in `lights_animate.comp`).
pub const BASE_LIGHT_BYTES: u64 = 48;
/// Bytes of a light as the frame sees it (`Light` in `lights.glsl`).
pub const LIGHT_BYTES: u64 = 32;
/// Bytes of the grid's parameters (`ClusterGrid` in `lights.glsl`).
pub const GRID_BYTES: u64 = 48;

impl PointLight {
    /// Where the light is at `time` seconds (as `lights_animate.comp` computes it).
    pub fn at(&self, time: f32) -> Vec3 {
        let a = self.phase + time * self.speed;
        self.position + Vec3::new(a.cos(), 0.0, a.sin()) * self.circle
    }
}

/// `count` lights of varied colours over a square field of side `extent`, a little above the
/// ground, each circling slowly. The same `seed` gives the same lights.
pub fn procedural(count: usize, extent: f32, seed: u32) -> Vec<PointLight> {
    let mut state = crate::scene::hash(seed ^ 0x5eed);
    let mut next = move || {
        state = crate::scene::hash(state.wrapping_add(0x9e37_79b9));
        (state >> 8) as f32 / (1u32 << 24) as f32
    };
    (0..count)
        .map(|_| {
            let position =
                Vec3::new((next() - 0.5) * extent, 0.3 + next() * 2.0, (next() - 0.5) * extent);
            let hue = next() * 6.0;
            let c = |h: f32| {
                (1.0 - ((hue - h).rem_euclid(6.0) - 3.0).abs().min(3.0) / 1.5).clamp(0.0, 1.0)
            };
            PointLight {
                position,
                radius: 1.5 + next() * 3.0,
                color: Vec3::new(c(0.0), c(2.0), c(4.0)) * (0.6 + next() * 1.4),
                circle: next() * 2.0,
                speed: 0.3 + next(),
                phase: next() * std::f32::consts::TAU,
            }
        })
        .collect()
}

/// The uploaded lights on the device.
pub struct LightBuffers {
    pub base: Buffer,
    pub count: u32,
}

const HOST: ResourceState = ResourceState::host_written(QueueKind::Graphics);

impl LightBuffers {
    /// Uploads `lights` (at least one entry's room is made for none).
    ///
    /// # Errors
    /// Out of memory.
    pub fn upload(ex: &mut Executor, lights: &[PointLight]) -> Result<LightBuffers, Error> {
        let mut bytes = Vec::with_capacity(lights.len() * BASE_LIGHT_BYTES as usize);
        for l in lights {
            let words = [
                l.position.x,
                l.position.y,
                l.position.z,
                l.radius,
                l.color.x,
                l.color.y,
                l.color.z,
                0.0,
                l.circle,
                l.speed,
                l.phase,
                0.0,
            ];
            for w in words {
                bytes.extend_from_slice(&w.to_le_bytes());
            }
        }
        let size = (bytes.len() as u64).max(BASE_LIGHT_BYTES);
        let base = ex.create_buffer("lights.base", size, MemoryUse::Upload)?;
        ex.write_buffer(base, &bytes)?;
        Ok(LightBuffers { base, count: lights.len() as u32 })
    }

    /// Imports the uploaded lights into a frame's graph.
    pub fn import(&self, g: &mut Graph<Pass>) -> LightsIn {
        let size = (self.count as u64 * BASE_LIGHT_BYTES).max(BASE_LIGHT_BYTES);
        LightsIn {
            base: g.import_buffer("lights.base", BufferDesc::new(size), HOST, HOST),
            count: self.count,
        }
    }

    /// Binds the import of [`LightBuffers::import`].
    pub fn bind(&self, b: Bindings, input: &LightsIn) -> Bindings {
        b.buffer(input.base, self.base)
    }
}

/// Imports `count` uploaded lights into a frame's graph: all a graph needs to declare them,
/// with no device (bind them with [`LightBuffers::bind`]).
pub fn import(g: &mut Graph<Pass>, count: u32) -> LightsIn {
    let size = (count as u64 * BASE_LIGHT_BYTES).max(BASE_LIGHT_BYTES);
    LightsIn { base: g.import_buffer("lights.base", BufferDesc::new(size), HOST, HOST), count }
}

/// The uploaded lights in a frame's graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LightsIn {
    pub base: BufferHandle,
    pub count: u32,
}

/// The froxel grid's layout.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ClusterGrid {
    pub tiles_x: u32,
    pub tiles_y: u32,
    pub slices: u32,
    /// Lights a cluster keeps at most.
    pub budget: u32,
    /// Where the last slice ends (the first starts at the camera's near plane).
    pub far: f32,
}

impl Default for ClusterGrid {
    fn default() -> ClusterGrid {
        ClusterGrid { tiles_x: 16, tiles_y: 9, slices: 24, budget: 128, far: 100.0 }
    }
}

impl ClusterGrid {
    pub fn clusters(&self) -> u32 {
        self.tiles_x * self.tiles_y * self.slices
    }
}

/// Moves and sorts the lights for one frame.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ClusterLights {
    pub view: View,
    pub grid: ClusterGrid,
    /// Seconds: where the lights are on their circles.
    pub time: f32,
}

/// What [`ClusterLights`] gives: the frame's lights, each cluster's count and list (cluster
/// `c`'s lights start at `c × budget`), the overflow counters (lights dropped, clusters over
/// budget), and the grid's parameters for shading.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClusteredLights {
    pub lights: BufferHandle,
    pub counts: BufferHandle,
    pub items: BufferHandle,
    pub overflow: BufferHandle,
    pub grid: BufferHandle,
    pub count: u32,
}

impl ClusterLights {
    /// Declares `lights.animate`, `lights.reset` and `lights.cluster`.
    pub fn add(&self, g: &mut Graph<Pass>, input: LightsIn) -> ClusteredLights {
        let n = input.count;
        let grid = self.grid;
        let clusters = grid.clusters();
        let lights =
            g.create_buffer("lights.frame", BufferDesc::new(n.max(1) as u64 * LIGHT_BYTES));
        let mut p = g.add_pass("lights.animate", QueueKind::Graphics);
        p.read(input.base, Access::StorageRead(C));
        let lights = p.write(lights, Access::StorageWrite(C));
        let time = self.time;
        p.record(Box::new(move |r| {
            r.compute("passes/lights_animate.comp", &[])?;
            r.bind_buffer(0, input.base)?;
            r.bind_buffer(1, lights)?;
            let mut push = time.to_le_bytes().to_vec();
            push.extend_from_slice(&n.to_le_bytes());
            r.push_constants(&push)?;
            if n > 0 {
                r.dispatch_threads(n, 1, 1)?;
            }
            Ok(())
        }));

        let overflow = g.create_buffer("lights.overflow", BufferDesc::new(8));
        let mut p = g.add_pass("lights.reset", QueueKind::Graphics);
        let overflow = p.write(overflow, Access::CopyDst);
        p.record(Box::new(move |r| r.fill_buffer(overflow, 0)));

        let counts = g.create_buffer("lights.counts", BufferDesc::new(clusters as u64 * 4));
        let items = g.create_buffer(
            "lights.items",
            BufferDesc::new((clusters as u64 * grid.budget.max(1) as u64 * 4).max(4)),
        );
        let grid_buffer = g.create_buffer("lights.grid", BufferDesc::new(GRID_BYTES));
        let mut p = g.add_pass("lights.cluster", QueueKind::Graphics);
        p.read(lights, Access::StorageRead(C));
        let counts = p.write(counts, Access::StorageWrite(C));
        let items = p.write(items, Access::StorageWrite(C));
        let overflow = p.write(overflow, Access::StorageReadWrite(C));
        let grid_buffer = p.write(grid_buffer, Access::StorageWrite(C));
        let v = self.view;
        let mut push = Vec::with_capacity(112);
        for f in v.view.to_cols_array() {
            push.extend_from_slice(&f.to_le_bytes());
        }
        for f in [v.p00, v.p11, v.width as f32, v.height as f32] {
            push.extend_from_slice(&f.to_le_bytes());
        }
        for u in [grid.tiles_x, grid.tiles_y, grid.slices, grid.budget] {
            push.extend_from_slice(&u.to_le_bytes());
        }
        let far = grid.far.max(v.z_near * 2.0);
        for f in [v.z_near, far, (far / v.z_near).ln(), n as f32] {
            push.extend_from_slice(&f.to_le_bytes());
        }
        let bad = if grid.tiles_x == 0 || grid.tiles_y == 0 || grid.slices == 0 || grid.budget == 0
        {
            Some(format!("the cluster grid {grid:?} has a zero count"))
        } else if !(v.z_near > 0.0 && v.z_near.is_finite() && grid.far > v.z_near) {
            Some(format!(
                "the grid needs 0 < near < far, but near is {} and far {}",
                v.z_near, grid.far
            ))
        } else {
            None
        };
        p.record(Box::new(move |r| {
            if let Some(message) = bad {
                return Err(Error::Pass { pass: "lights.cluster".into(), message });
            }
            r.compute("passes/lights_cluster.comp", &[])?;
            r.bind_buffer(0, lights)?;
            r.bind_buffer(1, counts)?;
            r.bind_buffer(2, items)?;
            r.bind_buffer(3, overflow)?;
            r.bind_buffer(4, grid_buffer)?;
            r.push_constants(&push)?;
            r.dispatch_threads(clusters, 1, 1)
        }));
        ClusteredLights { lights, counts, items, overflow, grid: grid_buffer, count: n }
    }
}

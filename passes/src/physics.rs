//! Particles on the GPU: the broad phase that finds which touch (a spatial hash, sorted by a
//! counting sort).
//!
//! `physics.reset` zeroes the slot counts; `physics.count` hashes each particle's grid cell
//! (cells as wide as the largest particle, so touching particles are in neighbouring cells)
//! into a slot of a power-of-two table and takes its rank there; `physics.scan` sums the counts
//! into starts in one workgroup (no workgroup waits on another, which Vulkan does not allow to
//! rely on); `physics.scatter` puts each particle at its slot's start plus its rank;
//! `physics.order` sorts each slot's short range by particle index, so nothing downstream
//! depends on which atomic came first. `physics.contacts` lists, per particle, the others it
//! touches in the 27 cells around its own. In a periodic box ([`BroadPhase::period`]) cells
//! wrap and distances are taken to the nearest image. [`PhysicsStep`] moves the particles,
//! [`Rain`] recycles the oldest into new drops, [`DrawParticles`] draws them.
//!
//! What proves it right (`passes/tests/physics.rs`): the contacts equal a brute-force test of
//! every pair exactly (all in one cell, negative coordinates, tiny and large radii mixed,
//! periodic boxes of 8 and 3 cells); the sorted order is a permutation with its slots in order
//! and each slot's particles in index order.

use glam::Vec3;
use rg_core::{Access, BufferDesc, BufferHandle, Graph, QueueKind, ShaderStages};
use rg_vulkan::Pass;

const C: ShaderStages = ShaderStages::COMPUTE;

/// Bytes of a particle (`Particle` in `physics.glsl`): position and radius, velocity.
pub const PARTICLE_BYTES: u64 = 32;

/// A particle as uploaded.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Particle {
    pub position: Vec3,
    pub radius: f32,
    pub velocity: Vec3,
}

/// The particles' bytes, as the passes read them.
pub fn particle_bytes(particles: &[Particle]) -> Vec<u8> {
    let mut out = Vec::with_capacity(particles.len() * PARTICLE_BYTES as usize);
    for p in particles {
        for f in [
            p.position.x,
            p.position.y,
            p.position.z,
            p.radius,
            p.velocity.x,
            p.velocity.y,
            p.velocity.z,
            0.0,
        ] {
            out.extend_from_slice(&f.to_le_bytes());
        }
    }
    out
}

/// The cell key of a position, as `physics.glsl` computes it.
pub fn cell_key(position: Vec3, cell_size: f32, mask: u32) -> u32 {
    key_of_cell((position / cell_size).floor(), mask)
}

/// The hash-table slot of the grid cell `c` (whole numbers), as `physics.glsl` computes it.
fn key_of_cell(c: Vec3, mask: u32) -> u32 {
    let mut h = (c.x as i32 as u32).wrapping_mul(0x8da6_b343)
        ^ (c.y as i32 as u32).wrapping_mul(0xd816_3841)
        ^ (c.z as i32 as u32).wrapping_mul(0xcb1a_b31f);
    h ^= h >> 16;
    h = h.wrapping_mul(0x7feb_352d);
    h ^= h >> 15;
    h = h.wrapping_mul(0x846c_a68b);
    h ^= h >> 16;
    h & mask
}

/// The broad phase's layout.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BroadPhase {
    /// The grid's cell size: at least twice the largest radius.
    pub cell_size: f32,
    /// Slots in the hash table (a power of two; about twice the particles is plenty).
    pub slots: u32,
    /// Also find each particle's contacts (`physics.contacts`).
    pub contacts: bool,
    /// Cells a side of a periodic box (0: none, the default): the box spans
    /// `[0, period × cell_size)` on every axis, neighbours are found across its faces, distances
    /// are taken to the nearest image and [`PhysicsStep`] wraps positions into it. At least 3,
    /// so that a particle's 27 neighbouring cells are distinct.
    pub period: u32,
}

impl BroadPhase {
    /// A table of about two slots a particle, cells twice `max_radius`.
    pub fn for_particles(count: u32, max_radius: f32) -> BroadPhase {
        BroadPhase {
            cell_size: 2.0 * max_radius,
            slots: (2 * count.max(1)).next_power_of_two(),
            contacts: false,
            period: 0,
        }
    }

    /// The side of the periodic box (0 when there is none).
    pub fn box_side(&self) -> f32 {
        self.cell_size * self.period as f32
    }

    /// The slot a particle at `position` is sorted into, as `physics.count` computes it.
    pub fn slot_of(&self, position: Vec3) -> u32 {
        let mask = self.slots.max(1).next_power_of_two() - 1;
        if self.period == 0 {
            return cell_key(position, self.cell_size, mask);
        }
        let side = self.box_side();
        let wrapped = position - side * (position / side).floor();
        let last = (self.period - 1) as f32;
        let cell = (wrapped / self.cell_size).floor().clamp(Vec3::ZERO, Vec3::splat(last));
        key_of_cell(cell, mask)
    }

    /// From `b` to `a`, through the nearest image of `b` in the periodic box (if any).
    pub fn separation(&self, a: Vec3, b: Vec3) -> Vec3 {
        let d = a - b;
        let side = self.box_side();
        if self.period == 0 {
            d
        } else {
            d - side * (d / side).round()
        }
    }

    /// Why this layout cannot run, if it cannot.
    fn problem(&self) -> Option<String> {
        if !(self.cell_size > 0.0 && self.cell_size.is_finite()) {
            Some(format!("the cell size must be positive, not {}", self.cell_size))
        } else if self.period > 0 && self.period < 3 {
            Some(format!(
                "a periodic box needs at least 3 cells a side, not {} (its 27 neighbouring cells \
                 must be distinct)",
                self.period
            ))
        } else {
            None
        }
    }
}

/// What [`BroadPhase`] gives: each particle's slot (`keys`), the slots' starts in `sorted`
/// (`slots + 1` words, the last the total), the particle indices sorted by slot and, when
/// asked, the contacts (per particle: count, sum of partners' indices, XOR of a hash of each,
/// unused).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BroadPhaseOut {
    pub keys: BufferHandle,
    pub starts: BufferHandle,
    pub sorted: BufferHandle,
    pub contacts: Option<BufferHandle>,
}

impl BroadPhase {
    /// Declares the broad phase over `count` particles in `particles`.
    pub fn add(&self, g: &mut Graph<Pass>, particles: BufferHandle, count: u32) -> BroadPhaseOut {
        let n = count.max(1) as u64;
        let slots = self.slots.max(1).next_power_of_two();
        let mask = slots - 1;
        let cell = self.cell_size;
        let counts = g.create_buffer("physics.counts", BufferDesc::new(slots as u64 * 4));
        let keys = g.create_buffer("physics.keys", BufferDesc::new(n * 4));
        let ranks = g.create_buffer("physics.ranks", BufferDesc::new(n * 4));
        let starts = g.create_buffer("physics.starts", BufferDesc::new((slots as u64 + 1) * 4));
        let sorted = g.create_buffer("physics.sorted", BufferDesc::new(n * 4));

        let mut p = g.add_pass("physics.reset", QueueKind::Graphics);
        let counts = p.write(counts, Access::CopyDst);
        p.record(Box::new(move |r| r.fill_buffer(counts, 0)));

        let mut p = g.add_pass("physics.count", QueueKind::Graphics);
        p.read(particles, Access::StorageRead(C));
        let counts = p.write(counts, Access::StorageReadWrite(C));
        let keys = p.write(keys, Access::StorageWrite(C));
        let ranks = p.write(ranks, Access::StorageWrite(C));
        let push: Vec<u8> = [
            count.to_le_bytes(),
            mask.to_le_bytes(),
            cell.to_le_bytes(),
            self.period.to_le_bytes(),
        ]
        .concat();
        let count_push = push.clone();
        let problem = self.problem();
        p.record(Box::new(move |r| {
            if let Some(message) = problem {
                return Err(rg_vulkan::Error::Pass { pass: "physics.count".into(), message });
            }
            r.compute("passes/physics_count.comp", &[])?;
            r.bind_buffer(0, particles)?;
            r.bind_buffer(1, counts)?;
            r.bind_buffer(2, keys)?;
            r.bind_buffer(3, ranks)?;
            r.push_constants(&count_push)?;
            if count > 0 {
                r.dispatch_threads(count, 1, 1)?;
            }
            Ok(())
        }));

        let mut p = g.add_pass("physics.scan", QueueKind::Graphics);
        p.read(counts, Access::StorageRead(C));
        let starts = p.write(starts, Access::StorageWrite(C));
        p.record(Box::new(move |r| {
            r.compute("passes/physics_scan.comp", &[])?;
            r.bind_buffer(0, counts)?;
            r.bind_buffer(1, starts)?;
            r.push_u32(&[slots])?;
            r.dispatch(1, 1, 1)
        }));

        let mut p = g.add_pass("physics.scatter", QueueKind::Graphics);
        p.read(keys, Access::StorageRead(C))
            .read(ranks, Access::StorageRead(C))
            .read(starts, Access::StorageRead(C));
        let sorted = p.write(sorted, Access::StorageWrite(C));
        p.record(Box::new(move |r| {
            r.compute("passes/physics_scatter.comp", &[])?;
            r.bind_buffer(0, keys)?;
            r.bind_buffer(1, ranks)?;
            r.bind_buffer(2, starts)?;
            r.bind_buffer(3, sorted)?;
            r.push_u32(&[count])?;
            if count > 0 {
                r.dispatch_threads(count, 1, 1)?;
            }
            Ok(())
        }));

        let mut p = g.add_pass("physics.order", QueueKind::Graphics);
        p.read(starts, Access::StorageRead(C));
        let sorted = p.write(sorted, Access::StorageReadWrite(C));
        p.record(Box::new(move |r| {
            r.compute("passes/physics_order.comp", &[])?;
            r.bind_buffer(0, starts)?;
            r.bind_buffer(1, sorted)?;
            r.push_u32(&[slots])?;
            r.dispatch_threads(slots, 1, 1)
        }));

        let contacts = self.contacts.then(|| {
            let contacts = g.create_buffer("physics.contacts", BufferDesc::new(n * 16));
            let mut p = g.add_pass("physics.contacts", QueueKind::Graphics);
            p.read(particles, Access::StorageRead(C))
                .read(starts, Access::StorageRead(C))
                .read(sorted, Access::StorageRead(C));
            let contacts = p.write(contacts, Access::StorageWrite(C));
            p.record(Box::new(move |r| {
                r.compute("passes/physics_contacts.comp", &[])?;
                r.bind_buffer(0, particles)?;
                r.bind_buffer(1, starts)?;
                r.bind_buffer(2, sorted)?;
                r.bind_buffer(3, contacts)?;
                r.push_constants(&push)?;
                if count > 0 {
                    r.dispatch_threads(count, 1, 1)?;
                }
                Ok(())
            }));
            contacts
        });
        BroadPhaseOut { keys, starts, sorted, contacts }
    }
}

/// The hash the contact list mixes each partner's index with (as `physics_contacts.comp`).
pub fn mix_index(j: u32) -> u32 {
    let mut h = j.wrapping_mul(0x9e37_79b9);
    h ^= h >> 16;
    h = h.wrapping_mul(0x7feb_352d);
    h ^ (h >> 15)
}

/// Where a heightfield lies in the world, for particles to collide with.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TerrainPlacement {
    /// The `R32Float` heightfield (texel centres span the square).
    pub height: rg_core::ImageHandle,
    /// World x and z of the square's corner, and its side.
    pub corner: [f32; 2],
    pub size: f32,
    /// World height per unit of the heightfield's values.
    pub vertical: f32,
    /// Texels on a side.
    pub texels: u32,
}

/// One physics step (`physics.step`, `shaders/passes/physics_step.comp`, then `physics.commit`
/// copying the next state over the particles): contact springs with damping and friction
/// between touching particles, found through the broad phase and summed in a fixed order (cells, then particle
/// index) with no floating-point atomics, so the same inputs give the same bits; the terrain
/// pushing along its normal; gravity; semi-implicit Euler; never below the terrain.
///
/// Friction is viscous (a force against the sliding speed; no per-contact history), so grains
/// come to rest where a pile can stand on its contacts, but a random heap keeps compacting
/// slowly, as frictionless grains do.
///
/// What proves it right (`passes/tests/physics.rs`): two runs of 200 steps give bit-identical
/// particles; particles dropped on an eroded terrain never end below its surface; in an elastic
/// periodic box momentum stays within f32 rounding (about 1e-6 of Σ|v| over 300 steps) and
/// energy within 2 %; a stacked pile comes to rest with overlaps under 1 % of a radius.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PhysicsStep {
    pub dt: f32,
    /// Force per unit of overlap, per unit of mass.
    pub stiffness: f32,
    /// Force per unit of closing speed, per unit of mass.
    pub damping: f32,
    /// Force per unit of sliding speed at a contact, per unit of mass (0: frictionless).
    pub friction: f32,
    pub gravity: f32,
    pub terrain: Option<TerrainPlacement>,
}

impl PhysicsStep {
    /// Declares the broad phase and the step over `count` particles in `particles` (a buffer
    /// the step writes back, such as a history buffer); returns its new version.
    pub fn add(
        &self,
        g: &mut Graph<Pass>,
        particles: BufferHandle,
        count: u32,
        broad: BroadPhase,
    ) -> BufferHandle {
        let found = BroadPhase { contacts: false, ..broad }.add(g, particles, count);
        let n = count.max(1) as u64;
        let next = g.create_buffer("physics.next", BufferDesc::new(n * PARTICLE_BYTES));
        let mut p = g.add_pass("physics.step", QueueKind::Graphics);
        p.read(particles, Access::StorageRead(C))
            .read(found.starts, Access::StorageRead(C))
            .read(found.sorted, Access::StorageRead(C));
        if let Some(t) = self.terrain {
            p.read(t.height, Access::StorageRead(C));
        }
        let next = p.write(next, Access::StorageWrite(C));
        let slots = broad.slots.max(1).next_power_of_two();
        let t = self.terrain;
        let (corner, size, vertical, texels) =
            t.map_or(([0.0; 2], 0.0, 0.0, 0), |t| (t.corner, t.size, t.vertical, t.texels));
        let mut push: Vec<u8> = Vec::with_capacity(64);
        for u in [count, slots - 1] {
            push.extend_from_slice(&u.to_le_bytes());
        }
        for f in [
            broad.cell_size,
            self.dt,
            self.stiffness,
            self.damping,
            self.gravity,
            size,
            self.friction,
            f32::from_bits(broad.period),
            0.0,
            0.0,
            corner[0],
            corner[1],
            vertical,
            texels as f32,
        ] {
            push.extend_from_slice(&f.to_le_bytes());
        }
        let (starts, sorted) = (found.starts, found.sorted);
        p.record(Box::new(move |r| {
            let defines: &[(&str, &str)] = if t.is_some() { &[("TERRAIN", "1")] } else { &[] };
            r.compute("passes/physics_step.comp", defines)?;
            r.bind_buffer(0, particles)?;
            r.bind_buffer(1, starts)?;
            r.bind_buffer(2, sorted)?;
            r.bind_buffer(3, next)?;
            if let Some(t) = t {
                r.bind_image(4, t.height)?;
            }
            r.push_constants(&push)?;
            if count > 0 {
                r.dispatch_threads(count, 1, 1)?;
            }
            Ok(())
        }));
        let mut p = g.add_pass("physics.commit", QueueKind::Graphics);
        p.read(next, Access::CopySrc);
        let particles = p.write(particles, Access::CopyDst);
        p.record(Box::new(move |r| r.copy_buffer(next, particles, Some(n * PARTICLE_BYTES))));
        particles
    }
}

/// Draws particles as spheres into the G-buffer (`particles.draw`, `shaders/passes/particles.vert`):
/// one instance a particle, a sphere mesh of the scene (a mesh level's range, as
/// [`crate::scene::Scene::mesh_range`] gives it, and the mesh's radius) scaled to each radius.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DrawParticles {
    pub view: crate::camera::View,
    /// First index, index count and first vertex of the sphere mesh's level.
    pub mesh: (u32, u32, u32),
    pub mesh_radius: f32,
    /// Linear RGBA8.
    pub color: [u8; 4],
}

impl DrawParticles {
    /// Declares the draw over `count` particles in `particles`, reading the scene's vertex and
    /// index buffers as storage.
    pub fn add(
        &self,
        g: &mut Graph<Pass>,
        scene: crate::scene::SceneInputs,
        particles: BufferHandle,
        count: u32,
        gbuffer: crate::draw::GBuffer,
    ) -> crate::draw::GBuffer {
        let vs = ShaderStages::VERTEX;
        let mut p = g.add_pass("particles.draw", QueueKind::Graphics);
        p.read(scene.vertices, Access::StorageRead(vs))
            .read(scene.indices, Access::StorageRead(vs))
            .read(particles, Access::StorageRead(vs));
        let albedo = p.write(gbuffer.albedo, Access::ColorReadWrite);
        let normal = p.write(gbuffer.normal, Access::ColorReadWrite);
        let ids = gbuffer.ids.map(|i| p.write(i, Access::ColorReadWrite));
        let depth = p.write(gbuffer.depth, Access::DepthReadWrite);
        let mut push: Vec<u8> = self
            .view
            .view_projection
            .to_cols_array()
            .iter()
            .flat_map(|f| f.to_le_bytes())
            .collect();
        let (first, index_count, vertex) = self.mesh;
        push.extend_from_slice(&first.to_le_bytes());
        push.extend_from_slice(&(vertex as i32).to_le_bytes());
        push.extend_from_slice(&self.mesh_radius.max(1e-6).to_le_bytes());
        push.extend_from_slice(&u32::from_le_bytes(self.color).to_le_bytes());
        let with_ids = ids.is_some();
        p.record(Box::new(move |r| {
            r.begin_rendering(rg_vulkan::Rendering { clear_color: None, clear_depth: None })?;
            let mut desc =
                rg_vulkan::GraphicsDesc::new("passes/particles.vert", "passes/scene.frag");
            desc.cull_back = true;
            desc.depth_test = Some(true);
            desc.depth_write = true;
            if with_ids {
                desc = desc.define("INSTANCE_IDS", "1");
            }
            r.graphics(&desc)?;
            r.bind_buffer(0, scene.vertices)?;
            r.bind_buffer(1, scene.indices)?;
            r.bind_buffer(2, particles)?;
            r.push_constants(&push)?;
            if count > 0 && index_count > 0 {
                r.draw(index_count, count)?;
            }
            r.end_rendering();
            Ok(())
        }));
        crate::draw::GBuffer { albedo, normal, depth, ids }
    }
}

/// Rain (`physics.rain`, `shaders/passes/physics_rain.comp`): each frame, `per_frame`
/// particles, from `(frame × per_frame) mod count` on round the buffer, are replaced by new
/// drops starting at `height` over a square area and falling at `speed`. A fixed number of
/// particles rains without end: the oldest drops make way. Where each drop starts and how big
/// it is comes from an integer hash of its index, the frame and the seed ([`Rain::drop`] gives
/// the same on the CPU).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rain {
    /// Drops made each frame.
    pub per_frame: u32,
    /// x and z of the area's corner, and its side.
    pub corner: [f32; 2],
    pub side: f32,
    /// Where drops start.
    pub height: f32,
    /// Smallest and largest radius (at most half the broad phase's cell).
    pub radii: [f32; 2],
    /// Downward speed at the start.
    pub speed: f32,
    pub seed: u32,
}

impl Rain {
    /// The first particle replaced in frame `frame`, of `count`.
    pub fn first(&self, frame: u64, count: u32) -> u32 {
        if count == 0 {
            return 0;
        }
        ((frame % count as u64) * (self.per_frame as u64 % count as u64) % count as u64) as u32
    }

    /// The drop particle `index` becomes in frame `frame`, as the pass makes it.
    pub fn drop(&self, index: u32, frame: u64) -> Particle {
        let mix = crate::scene::hash;
        let h = mix(index ^ mix(self.frame_seed(frame)));
        let unit = |h: u32| (h >> 8) as f32 * (1.0 / 16_777_216.0);
        let (hx, hz, hr) = (mix(h.wrapping_add(1)), mix(h.wrapping_add(2)), mix(h.wrapping_add(3)));
        Particle {
            position: Vec3::new(
                self.corner[0] + unit(hx) * self.side,
                self.height,
                self.corner[1] + unit(hz) * self.side,
            ),
            radius: self.radii[0] + unit(hr) * (self.radii[1] - self.radii[0]),
            velocity: Vec3::new(0.0, -self.speed, 0.0),
        }
    }

    fn frame_seed(&self, frame: u64) -> u32 {
        self.seed ^ (frame as u32).wrapping_mul(0x9e37_79b9)
    }

    /// Declares this frame's drops over `count` particles in `particles`; returns its new
    /// version.
    pub fn add(
        &self,
        g: &mut Graph<Pass>,
        particles: BufferHandle,
        count: u32,
        frame: u64,
    ) -> BufferHandle {
        let mut p = g.add_pass("physics.rain", QueueKind::Graphics);
        let particles = p.write(particles, Access::StorageReadWrite(C));
        let made = self.per_frame.min(count);
        let mut push = Vec::with_capacity(48);
        for u in [self.first(frame, count), made, count, self.frame_seed(frame)] {
            push.extend_from_slice(&u.to_le_bytes());
        }
        for f in [
            self.corner[0],
            self.corner[1],
            self.side,
            self.height,
            self.radii[0],
            self.radii[1],
            self.speed,
            0.0,
        ] {
            push.extend_from_slice(&f.to_le_bytes());
        }
        p.record(Box::new(move |r| {
            r.compute("passes/physics_rain.comp", &[])?;
            r.bind_buffer(0, particles)?;
            r.push_constants(&push)?;
            if made > 0 {
                r.dispatch_threads(made, 1, 1)?;
            }
            Ok(())
        }));
        particles
    }
}

//! Terrain: a heightfield generated on the GPU from fractal value noise built on an integer
//! hash (`shaders/passes/terrain_noise.glsl`), with a CPU reference that gives the same heights
//! bit for bit: every step before the last is integer arithmetic (lattice values from the hash,
//! smoothstep weights and blends in 12-bit fixed point, octaves summed as integers), and the one
//! conversion to float is exact (an integer below 2^24 times a power of two).
//!
//! What proves it right (`passes/tests/terrain.rs`): the heights read back equal
//! [`height_at`] bit for bit over whole grids, including odd seeds and octave counts.

use rg_core::{Access, Format, Graph, ImageDesc, ImageHandle, QueueKind, ShaderStages, Size};
use rg_vulkan::Pass;

/// How a heightfield is generated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TerrainNoise {
    /// Texels on a side.
    pub side: u32,
    /// Octaves, 1 to 12 (more would overflow the exact sum).
    pub octaves: u32,
    /// The first octave's lattice period is `2^base_shift` texels (at least `octaves − 1`).
    pub base_shift: u32,
    pub seed: u32,
}

impl Default for TerrainNoise {
    fn default() -> TerrainNoise {
        TerrainNoise { side: 256, octaves: 6, base_shift: 7, seed: 1 }
    }
}

impl TerrainNoise {
    /// The settings made valid: octaves in 1..=12, a base period of at least one texel for the
    /// last octave.
    pub fn clamped(self) -> TerrainNoise {
        let octaves = self.octaves.clamp(1, 12);
        TerrainNoise {
            side: self.side.max(1),
            octaves,
            base_shift: self.base_shift.clamp(octaves - 1, 30),
            seed: self.seed,
        }
    }
}

fn terrain_hash(x: u32, y: u32, octave: u32, seed: u32) -> u32 {
    let mut h = x.wrapping_mul(0x8da6_b343)
        ^ y.wrapping_mul(0xd816_3841)
        ^ (octave + 1).wrapping_mul(0xcb1a_b31f)
        ^ seed.wrapping_mul(0x9e37_79b9);
    h ^= h >> 16;
    h = h.wrapping_mul(0x7feb_352d);
    h ^= h >> 15;
    h = h.wrapping_mul(0x846c_a68b);
    h ^= h >> 16;
    h
}

/// The height of texel `(x, y)` in `[0, 2)`: the value noise's definition, octave by octave.
pub fn height_at(x: u32, y: u32, noise: &TerrainNoise) -> f32 {
    let n = noise.clamped();
    let lattice = |x: u32, y: u32, o: u32| (terrain_hash(x, y, o, n.seed) >> 20) as i32;
    let smooth = |t: i32| {
        let t2 = (t * t) >> 12;
        (t2 * (3 * 4096 - 2 * t)) >> 12
    };
    let lerp = |a: i32, b: i32, t: i32| a + (((b - a) * t) >> 12);
    let mut sum = 0i32;
    for o in 0..n.octaves {
        let shift = n.base_shift - o;
        let (ix, iy) = (x >> shift, y >> shift);
        let mask = (1u32 << shift) - 1;
        let fx = (((x & mask) << 12) >> shift) as i32;
        let fy = (((y & mask) << 12) >> shift) as i32;
        let (sx, sy) = (smooth(fx), smooth(fy));
        let a = lerp(lattice(ix, iy, o), lattice(ix.wrapping_add(1), iy, o), sx);
        let b = lerp(
            lattice(ix, iy.wrapping_add(1), o),
            lattice(ix.wrapping_add(1), iy.wrapping_add(1), o),
            sx,
        );
        sum += lerp(a, b, sy) << (n.octaves - 1 - o);
    }
    // sum < 2^24: exact as a float; the scale is a power of two, exact too.
    sum as f32 * 2f32.powi(-(11 + n.octaves as i32))
}

/// Generates a heightfield (`terrain.generate`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GenerateTerrain {
    pub noise: TerrainNoise,
}

impl GenerateTerrain {
    /// Creates the `R32Float` heightfield and declares the pass that fills it.
    pub fn add(&self, g: &mut Graph<Pass>) -> ImageHandle {
        let n = self.noise.clamped();
        let desc = ImageDesc::new(Format::R32Float, Size::absolute(n.side, n.side));
        let height = g.create_image("terrain.height", desc);
        self.add_into(g, height)
    }

    /// Declares the pass that fills `height` (an `R32Float` image `side` texels square, such as
    /// a history image the erosion passes keep).
    pub fn add_into(&self, g: &mut Graph<Pass>, height: ImageHandle) -> ImageHandle {
        let n = self.noise.clamped();
        let mut p = g.add_pass("terrain.generate", QueueKind::Graphics);
        let height = p.write(height, Access::StorageWrite(ShaderStages::COMPUTE));
        p.record(Box::new(move |r| {
            r.compute("passes/terrain_generate.comp", &[])?;
            r.bind_image(0, height)?;
            r.push_u32(&[n.side, n.octaves, n.base_shift, n.seed])?;
            r.dispatch_threads(n.side, n.side, 1)
        }));
        height
    }
}

/// The constants of hydraulic and thermal erosion.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ErosionParams {
    /// Seconds a step.
    pub dt: f32,
    pub gravity: f32,
    /// Water added to every cell a unit of time.
    pub rain: f32,
    /// Share of the water lost a unit of time.
    pub evaporation: f32,
    /// Sediment a unit of water carries per unit of speed and slope.
    pub capacity: f32,
    /// Share of the missing capacity taken from the ground a step.
    pub dissolving: f32,
    /// Share of the excess sediment dropped a step.
    pub deposition: f32,
    /// The largest height difference between neighbours that thermal erosion leaves.
    pub talus: f32,
    /// Share of the excess over the talus step moved between two neighbours a step (at most
    /// 0.125 keeps it from overshooting), 0 for no thermal erosion.
    pub thermal: f32,
}

impl Default for ErosionParams {
    fn default() -> ErosionParams {
        ErosionParams {
            dt: 0.05,
            gravity: 9.81,
            rain: 0.02,
            evaporation: 0.05,
            capacity: 2.0,
            dissolving: 0.3,
            deposition: 0.3,
            talus: 0.02,
            thermal: 0.1,
        }
    }
}

/// The terrain's state, kept from frame to frame in history images (`side` × `side`):
/// ground height, water depth and suspended sediment (`R32Float`), and the outflow to the four
/// neighbours (`Rgba32Float`: left, right, up, down).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TerrainState {
    pub height: ImageHandle,
    pub water: ImageHandle,
    pub sediment: ImageHandle,
    pub flux: ImageHandle,
}

/// The terrain of a frame: generated on its first frame, then eroded by `iterations` steps a
/// frame, so it changes frame after frame. Each step is passes over the history images:
/// `erosion.flux` (virtual pipes: outflow from water surface differences, never more than a cell
/// holds), `erosion.water` (water moves, velocity, evaporation, rain), `erosion.erode`
/// (dissolving and deposition by the water's capacity), `erosion.transport` (sediment moves
/// with the outflow, conservatively) and `erosion.thermal` (ground above the talus step slides
/// down, conservatively). With `hydraulic` off, a step is thermal erosion alone.
///
/// What proves it right (`passes/tests/terrain.rs`): ground plus suspended sediment is kept
/// within a stated tolerance over 100 steps; water is never negative; thermal erosion leaves no
/// neighbour difference above the talus step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TerrainFrame {
    pub noise: TerrainNoise,
    pub params: ErosionParams,
    pub iterations: u32,
    pub hydraulic: bool,
    /// The history images hold nothing yet (the first frame, or the size changed): generate.
    pub fresh: bool,
}

impl TerrainFrame {
    /// Declares the frame's terrain passes; returns the state's new versions.
    pub fn add(&self, g: &mut Graph<Pass>) -> TerrainState {
        let n = self.noise.clamped();
        let side = n.side;
        let size = Size::absolute(side, side);
        let r32 = ImageDesc::new(Format::R32Float, size);
        let mut s = TerrainState {
            height: g.temporal_image("terrain.height", r32),
            water: g.temporal_image("terrain.water", r32),
            sediment: g.temporal_image("terrain.sediment", r32),
            flux: g.temporal_image("terrain.flux", ImageDesc::new(Format::Rgba32Float, size)),
        };
        if self.fresh {
            s.height = GenerateTerrain { noise: n }.add_into(g, s.height);
            let mut p = g.add_pass("terrain.clear", QueueKind::Graphics);
            let (w, sd, f) = (
                p.write(s.water, Access::CopyDst),
                p.write(s.sediment, Access::CopyDst),
                p.write(s.flux, Access::CopyDst),
            );
            p.record(Box::new(move |r| {
                r.clear_image(w, [0.0; 4])?;
                r.clear_image(sd, [0.0; 4])?;
                r.clear_image(f, [0.0; 4])
            }));
            (s.water, s.sediment, s.flux) = (w, sd, f);
        }
        let p = self.params;
        let words: Vec<u8> = std::iter::once(side.to_le_bytes())
            .chain(
                [
                    p.dt,
                    p.gravity,
                    p.rain,
                    p.evaporation,
                    p.capacity,
                    p.dissolving,
                    p.deposition,
                    p.talus,
                    p.thermal,
                ]
                .map(f32::to_le_bytes),
            )
            .flatten()
            .collect();
        let c = ShaderStages::COMPUTE;
        let (read, write, rw) =
            (Access::StorageRead(c), Access::StorageWrite(c), Access::StorageReadWrite(c));
        let motion_desc = ImageDesc::new(Format::Rgba32Float, size);
        for _ in 0..self.iterations {
            let ground = if self.hydraulic {
                let mut q = g.add_pass("erosion.flux", QueueKind::Graphics);
                q.read(s.height, read).read(s.water, read);
                s.flux = q.write(s.flux, rw);
                let (h, w, f, push) = (s.height, s.water, s.flux, words.clone());
                q.record(Box::new(move |r| {
                    r.compute("passes/erosion_flux.comp", &[])?;
                    r.bind_image(0, h)?;
                    r.bind_image(1, w)?;
                    r.bind_image(2, f)?;
                    r.push_constants(&push)?;
                    r.dispatch_threads(side, side, 1)
                }));

                let motion = g.create_image("erosion.motion", motion_desc);
                let mut q = g.add_pass("erosion.water", QueueKind::Graphics);
                q.read(s.flux, read);
                s.water = q.write(s.water, rw);
                let motion = q.write(motion, write);
                let (f, w, push) = (s.flux, s.water, words.clone());
                q.record(Box::new(move |r| {
                    r.compute("passes/erosion_water.comp", &[])?;
                    r.bind_image(0, f)?;
                    r.bind_image(1, w)?;
                    r.bind_image(2, motion)?;
                    r.push_constants(&push)?;
                    r.dispatch_threads(side, side, 1)
                }));

                let ground2 = g.create_image("erosion.ground", r32);
                let sediment2 = g.create_image("erosion.sediment", r32);
                let mut q = g.add_pass("erosion.erode", QueueKind::Graphics);
                q.read(s.height, read).read(s.sediment, read).read(motion, read);
                let ground2 = q.write(ground2, write);
                let sediment2 = q.write(sediment2, write);
                let (h, sd, push) = (s.height, s.sediment, words.clone());
                q.record(Box::new(move |r| {
                    r.compute("passes/erosion_erode.comp", &[])?;
                    r.bind_image(0, h)?;
                    r.bind_image(1, sd)?;
                    r.bind_image(2, motion)?;
                    r.bind_image(3, ground2)?;
                    r.bind_image(4, sediment2)?;
                    r.push_constants(&push)?;
                    r.dispatch_threads(side, side, 1)
                }));

                let mut q = g.add_pass("erosion.transport", QueueKind::Graphics);
                q.read(sediment2, read).read(s.flux, read).read(motion, read);
                s.sediment = q.write(s.sediment, write);
                let (f, sd, push) = (s.flux, s.sediment, words.clone());
                q.record(Box::new(move |r| {
                    r.compute("passes/erosion_transport.comp", &[])?;
                    r.bind_image(0, sediment2)?;
                    r.bind_image(1, f)?;
                    r.bind_image(2, motion)?;
                    r.bind_image(3, sd)?;
                    r.push_constants(&push)?;
                    r.dispatch_threads(side, side, 1)
                }));
                ground2
            } else {
                // Thermal erosion alone: slide into a scratch image, then back below.
                let scratch = g.create_image("erosion.ground", r32);
                thermal(g, s.height, scratch, &words, side)
            };
            // Thermal erosion writes the step's ground back into the history image (with a
            // share of 0 it is a copy).
            s.height = thermal(g, ground, s.height, &words, side);
        }
        s
    }
}

/// Declares `erosion.thermal`: reads `from`, writes `to` (different images).
fn thermal(
    g: &mut Graph<Pass>,
    from: ImageHandle,
    to: ImageHandle,
    words: &[u8],
    side: u32,
) -> ImageHandle {
    let c = ShaderStages::COMPUTE;
    let mut q = g.add_pass("erosion.thermal", QueueKind::Graphics);
    q.read(from, Access::StorageRead(c));
    let to = q.write(to, Access::StorageWrite(c));
    let push = words.to_vec();
    q.record(Box::new(move |r| {
        r.compute("passes/erosion_thermal.comp", &[])?;
        r.bind_image(0, from)?;
        r.bind_image(1, to)?;
        r.push_constants(&push)?;
        r.dispatch_threads(side, side, 1)
    }));
    to
}

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

//! The depth pyramid (Hi-Z) the late culling phase tests against
//! (`shaders/passes/hiz_base.comp`, `hiz_reduce.comp`).
//!
//! Level 0 is the largest power of two no larger than the depth buffer on each axis; each of
//! its texels keeps the minimum (with reversed Z, the farthest depth) of every depth texel its
//! footprint touches, so odd sizes lose nothing. Each further level halves the one above it
//! with a 2x2 minimum, one pass per level writing that mip as a subresource, down to 1x1.
//! What proves it right: the pyramid read back equals [`crate::reference::pyramid`], a CPU
//! min-reduction written from this definition, bit for bit, odd sizes included
//! (`passes/tests/culling.rs`).

use rg_core::{Access, Format, Graph, ImageDesc, ImageHandle, QueueKind, ShaderStages, Size};
use rg_vulkan::{Pass, Sampler};

const C: ShaderStages = ShaderStages::COMPUTE;

/// The largest power of two no larger than `n` (`n` ≥ 1).
pub fn previous_power_of_two(n: u32) -> u32 {
    1 << (31 - n.max(1).leading_zeros())
}

/// The pyramid's level-0 size and level count for a depth buffer of `width` x `height`.
pub fn pyramid_shape(width: u32, height: u32) -> (u32, u32, u32) {
    let (w, h) = (previous_power_of_two(width), previous_power_of_two(height));
    let levels = 32 - w.max(h).leading_zeros();
    (w, h, levels)
}

/// Builds the pyramid from a depth buffer.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct DepthPyramid;

/// What [`DepthPyramid`] takes: the depth buffer (sampled) and its size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DepthPyramidIn {
    pub depth: ImageHandle,
    pub depth_size: (u32, u32),
}

/// What [`DepthPyramid`] gives: the pyramid (`R32Float`, every level written) and its shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DepthPyramidOut {
    pub pyramid: ImageHandle,
    pub size: (u32, u32),
    pub levels: u32,
}

impl DepthPyramid {
    /// Creates the pyramid and declares `hiz.0` (from depth) and `hiz.1` … `hiz.N-1` (each
    /// from the level above).
    pub fn add(&self, g: &mut Graph<Pass>, input: DepthPyramidIn) -> DepthPyramidOut {
        let (dw, dh) = input.depth_size;
        let (w, h, levels) = pyramid_shape(dw, dh);
        let desc = ImageDesc::new(Format::R32Float, Size::absolute(w, h)).mips(levels);
        let mut pyramid = g.create_image("hiz.pyramid", desc);

        let mut p = g.add_pass("hiz.0", QueueKind::Graphics);
        p.read(input.depth, Access::Sampled(C));
        pyramid = p.write(pyramid.mip(0), Access::StorageWrite(C));
        let (depth, level0) = (input.depth, pyramid);
        p.record(Box::new(move |r| {
            r.compute("passes/hiz_base.comp", &[])?;
            r.bind_image(0, depth)?;
            r.bind_sampler(1, Sampler::Nearest)?;
            r.bind_image(2, level0.mip(0))?;
            r.push_u32(&[dw, dh, w, h])?;
            r.dispatch_threads(w, h, 1)
        }));
        for k in 1..levels {
            let above = ((w >> (k - 1)).max(1), (h >> (k - 1)).max(1));
            let below = ((w >> k).max(1), (h >> k).max(1));
            let mut p = g.add_pass(&format!("hiz.{k}"), QueueKind::Graphics);
            p.read(pyramid.mip(k - 1), Access::StorageRead(C));
            pyramid = p.write(pyramid.mip(k), Access::StorageWrite(C));
            let image = pyramid;
            p.record(Box::new(move |r| {
                r.compute("passes/hiz_reduce.comp", &[])?;
                r.bind_image(0, image.mip(k - 1))?;
                r.bind_image(1, image.mip(k))?;
                r.push_u32(&[above.0, above.1, below.0, below.1])?;
                r.dispatch_threads(below.0, below.1, 1)
            }));
        }
        DepthPyramidOut { pyramid: pyramid.whole(), size: (w, h), levels }
    }
}

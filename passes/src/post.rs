//! Post-processing: tone mapping the HDR target into the output (`shaders/passes/tonemap.frag`).

use rg_core::{Access, Graph, ImageHandle, QueueKind, ShaderStages};
use rg_vulkan::{GraphicsDesc, Pass, Rendering, Sampler};

/// Exposure, then `1 − e^(−x)`: darks stay about linear, highlights roll off toward 1.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tonemap {
    pub exposure: f32,
}

/// What [`Tonemap`] takes: the HDR image and the target (the same size, written whole).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TonemapIn {
    pub hdr: ImageHandle,
    pub target: ImageHandle,
}

impl Tonemap {
    /// Declares `post.tonemap`; returns the target's new version.
    pub fn add(&self, g: &mut Graph<Pass>, input: TonemapIn) -> ImageHandle {
        let mut p = g.add_pass("post.tonemap", QueueKind::Graphics);
        p.read(input.hdr, Access::Sampled(ShaderStages::FRAGMENT));
        let target = p.write(input.target, Access::ColorWrite);
        let exposure = self.exposure;
        p.record(Box::new(move |r| {
            r.begin_rendering(Rendering { clear_color: None, clear_depth: None })?;
            r.graphics(&GraphicsDesc::new("fullscreen.vert", "passes/tonemap.frag"))?;
            r.bind_image(0, input.hdr)?;
            r.bind_sampler(1, Sampler::Nearest)?;
            r.push_f32(&[exposure])?;
            r.draw(3, 1)
        }));
        target
    }
}

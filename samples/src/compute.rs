//! A chain of compute passes over transient images and buffers, then a graphics pass that
//! shows the result:
//!
//! `noise` (image) → `blur` (image → image) → `slopes` (image → buffer) → `shade` (buffer and
//! image → image) → `show` (sampled into the output).
//!
//! `noise` is dead once `blur` has run, so its memory is reused by later transients: the plan's
//! aliasing is visible in `--stats` and in the plan picture.

use crate::Sample;
use rg_core::{
    Access, BufferDesc, Format, Graph, ImageDesc, ImageHandle, QueueKind, ShaderStages, Size,
};
use rg_vulkan::{GraphicsDesc, Pass, Rendering, Sampler};

/// The compute sample.
#[derive(Default)]
pub struct ComputeChain;

/// The side of the square field the compute passes work on.
pub const FIELD: u32 = 256;

const C: ShaderStages = ShaderStages::COMPUTE;

impl Sample for ComputeChain {
    fn name(&self) -> &'static str {
        "compute"
    }

    fn frame(&mut self, g: &mut Graph<Pass>, output: ImageHandle, frame: u64) -> ImageHandle {
        let time = frame as f32 / 60.0;
        let field = Size::absolute(FIELD, FIELD);
        let noise = g.create_image("noise", ImageDesc::new(Format::R32Float, field));
        let smooth = g.create_image("smooth", ImageDesc::new(Format::R32Float, field));
        let lit = g.create_image("lit", ImageDesc::new(Format::Rgba8Unorm, field));
        let slopes = g.create_buffer("slopes", BufferDesc::new(FIELD as u64 * FIELD as u64 * 8));

        let mut p = g.add_pass(
            "noise",
            QueueKind::Compute,
            Box::new(move |r| {
                r.compute("compute/noise.comp", &[])?;
                r.bind_image(0, noise)?;
                r.push_f32(&[time])?;
                r.dispatch_threads(FIELD, FIELD, 1)
            }),
        );
        let noise = p.write(noise, Access::StorageWrite(C));
        p.finish();

        let mut p = g.add_pass(
            "blur",
            QueueKind::Compute,
            Box::new(move |r| {
                r.compute("compute/blur.comp", &[])?;
                r.bind_image(0, noise)?;
                r.bind_image(1, smooth)?;
                r.dispatch_threads(FIELD, FIELD, 1)
            }),
        );
        p.read(noise, Access::StorageRead(C));
        let smooth = p.write(smooth, Access::StorageWrite(C));
        p.finish();

        let mut p = g.add_pass(
            "slopes",
            QueueKind::Compute,
            Box::new(move |r| {
                r.compute("compute/slopes.comp", &[])?;
                r.bind_image(0, smooth)?;
                r.bind_buffer(1, slopes)?;
                r.dispatch_threads(FIELD, FIELD, 1)
            }),
        );
        p.read(smooth, Access::StorageRead(C));
        let slopes = p.write(slopes, Access::StorageWrite(C));
        p.finish();

        let mut p = g.add_pass(
            "shade",
            QueueKind::Compute,
            Box::new(move |r| {
                r.compute("compute/shade.comp", &[])?;
                r.bind_image(0, smooth)?;
                r.bind_buffer(1, slopes)?;
                r.bind_image(2, lit)?;
                r.push_f32(&[time])?;
                r.dispatch_threads(FIELD, FIELD, 1)
            }),
        );
        p.read(smooth, Access::StorageRead(C));
        p.read(slopes, Access::StorageRead(C));
        let lit = p.write(lit, Access::StorageWrite(C));
        p.finish();

        let mut p = g.add_pass(
            "show",
            QueueKind::Graphics,
            Box::new(move |r| {
                r.begin_rendering(Rendering::clear([0.0, 0.0, 0.0, 1.0]))?;
                r.graphics(&GraphicsDesc::new("fullscreen.vert", "compute/show.frag"))?;
                r.bind_image(0, lit)?;
                r.bind_sampler(1, Sampler::Linear)?;
                r.draw(3, 1)
            }),
        );
        p.read(lit, Access::Sampled(ShaderStages::FRAGMENT));
        let out = p.write(output, Access::ColorWrite);
        p.finish();
        out
    }
}

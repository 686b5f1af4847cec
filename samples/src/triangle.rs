//! One graphics pass drawing a triangle into the output. It turns a little every frame.

use crate::Sample;
use rg_core::{Access, Graph, ImageHandle, QueueKind};
use rg_vulkan::{GraphicsDesc, Pass, Rendering};

/// The triangle sample.
#[derive(Default)]
pub struct Triangle;

/// The background colour (linear RGBA).
pub const CLEAR: [f32; 4] = [0.05, 0.06, 0.08, 1.0];

impl Sample for Triangle {
    fn name(&self) -> &'static str {
        "triangle"
    }

    fn frame(&mut self, g: &mut Graph<Pass>, output: ImageHandle, frame: u64) -> ImageHandle {
        let angle = frame as f32 * 0.02;
        let mut p = g.add_pass("triangle", QueueKind::Graphics);
        let out = p.write(output, Access::ColorWrite);
        p.record(Box::new(move |r| {
            r.begin_rendering(Rendering::clear(CLEAR))?;
            r.graphics(&GraphicsDesc::new("triangle.vert", "triangle.frag"))?;
            r.push_f32(&[angle])?;
            r.draw(3, 1)
        }));
        out
    }
}

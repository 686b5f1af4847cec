//! Deferred lighting (`shaders/passes/lighting.comp`, `shading.glsl`): once a pixel, the
//! surface's position from depth, then the sun filtered by the cascaded shadow map (3×3 PCF,
//! normal offset, a small constant bias), sky ambient and the pixel's cluster of point lights,
//! into an HDR target whose alpha holds the sun's visibility.
//!
//! Deferred rather than Forward+: the frame's two-phase culling draws surfaces twice at most but
//! overlapping ones all the same, and with thousands of lights a pixel is shaded once here
//! whatever the overdraw; the G-buffer's targets also die with this pass, so their memory goes
//! to later transients (the plan picture shows it).
//!
//! What proves it right (`passes/tests/shadows.rs`, `lights.rs`): the sun's visibility agrees
//! with a CPU ray cast outside a band around shadow edges; shading from the cluster lists equals
//! shading from every light within 1e-4.

use crate::camera::View;
use crate::draw::{GBuffer, ShadowInputs};
use crate::lights::ClusteredLights;
use glam::Vec3;
use rg_core::{Access, Format, Graph, ImageDesc, ImageHandle, QueueKind, ShaderStages, Size};
use rg_vulkan::{Pass, Sampler};

/// Parameters of the lighting pass.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DeferredLighting {
    pub view: View,
    /// Unit direction toward the sun.
    pub sun: Vec3,
    /// Ambient light from the sky.
    pub ambient: f32,
    /// The HDR colour where nothing was drawn.
    pub sky: [f32; 3],
    /// `Rgba16Float`, or `Rgba32Float` (for tests that compare exactly).
    pub format: Format,
    /// Shade with every point light instead of the cluster lists (for tests and comparisons:
    /// the two sum the same terms in the same order).
    pub brute_force_lights: bool,
}

/// What [`DeferredLighting`] takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeferredLightingIn {
    pub gbuffer: GBuffer,
    pub shadows: Option<ShadowInputs>,
    pub lights: Option<ClusteredLights>,
}

impl DeferredLighting {
    /// Creates the HDR target (the G-buffer's size) and declares `lighting`.
    pub fn add(&self, g: &mut Graph<Pass>, input: DeferredLightingIn) -> ImageHandle {
        let extent = g.image_extent(input.gbuffer.depth).unwrap_or(rg_core::Extent::new(1, 1));
        let size = Size::absolute(extent.width, extent.height);
        let hdr = g.create_image("lighting.hdr", ImageDesc::new(self.format, size));
        let c = ShaderStages::COMPUTE;
        let mut p = g.add_pass("lighting", QueueKind::Graphics);
        let gb = input.gbuffer;
        for image in [gb.albedo, gb.normal, gb.depth] {
            p.read(image, Access::Sampled(c));
        }
        if let Some(sh) = input.shadows {
            p.read(sh.map, Access::Sampled(c));
            p.read(sh.cascades, Access::StorageRead(c));
        }
        if let Some(l) = input.lights {
            for b in [l.lights, l.counts, l.items, l.grid] {
                p.read(b, Access::StorageRead(c));
            }
        }
        let hdr = p.write(hdr, Access::StorageWrite(c));
        let v = &self.view;
        let cascades = input.shadows.map_or(0, |s| s.count);
        let mut push = Vec::with_capacity(128);
        for f in v.view_projection.inverse().to_cols_array() {
            push.extend_from_slice(&f.to_le_bytes());
        }
        let words = [
            [self.sun.x, self.sun.y, self.sun.z, self.ambient],
            [v.position.x, v.position.y, v.position.z, cascades as f32],
            [v.forward.x, v.forward.y, v.forward.z, 0.0],
            [self.sky[0], self.sky[1], self.sky[2], 0.0],
        ];
        for f in words.iter().flatten() {
            push.extend_from_slice(&f.to_le_bytes());
        }
        let mut defines: Vec<(&'static str, &'static str)> = Vec::new();
        if self.format == Format::Rgba32Float {
            defines.push(("HDR32", "1"));
        }
        if input.shadows.is_some() {
            defines.push(("SHADOWS", "1"));
        }
        if input.lights.is_some() {
            defines.push(("LIGHTS", "1"));
            if self.brute_force_lights {
                defines.push(("BRUTE_FORCE", "1"));
            }
        }
        let (shadows, lights) = (input.shadows, input.lights);
        let format = self.format;
        p.record(Box::new(move |r| {
            if format != Format::Rgba16Float && format != Format::Rgba32Float {
                return Err(rg_vulkan::Error::Pass {
                    pass: "lighting".into(),
                    message: format!(
                        "the HDR target is {format:?}; it must be Rgba16Float or Rgba32Float"
                    ),
                });
            }
            r.compute("passes/lighting.comp", &defines)?;
            r.bind_image(0, gb.albedo)?;
            r.bind_image(1, gb.normal)?;
            r.bind_image(2, gb.depth)?;
            r.bind_sampler(3, Sampler::Nearest)?;
            r.bind_image(4, hdr)?;
            if let Some(sh) = shadows {
                r.bind_image(5, sh.map)?;
                r.bind_buffer(6, sh.cascades)?;
            }
            if let Some(l) = lights {
                r.bind_buffer(7, l.lights)?;
                r.bind_buffer(8, l.counts)?;
                r.bind_buffer(9, l.items)?;
                r.bind_buffer(10, l.grid)?;
            }
            r.push_constants(&push)?;
            r.dispatch_threads(extent.width, extent.height, 1)
        }));
        hdr
    }
}

//! A chain of compute passes over transient images and buffers, then a graphics pass that
//! shows the result:
//!
//! [`Noise`] (image) → [`Blur`] (image → image) → [`Slopes`] (image → buffer) → [`Shade`]
//! (buffer and image → image) → [`Show`] (sampled into the output).
//!
//! Each step is written as the `passes` library will write its techniques: a parameter struct
//! (`Noise`), plain `Copy` structs of the handles it takes and gives (`BlurIn`, `BlurOut`), and
//! `add`, which creates the step's outputs (sized from its inputs), declares what it reads and
//! writes, then records with the handles those declarations returned. No GPU object is made
//! while declaring, so a step's declarations can be tested without a device
//! (`samples/tests/declarations.rs`). The frame is then ordinary data flow, one step's output
//! the next one's input.
//!
//! `noise` is dead once `blur` has run, so its memory is reused by later transients: the plan's
//! aliasing is visible in `--stats` and in the plan picture.

use crate::Sample;
use rg_core::{
    Access, BufferDesc, BufferHandle, Extent, Format, Graph, ImageDesc, ImageHandle, QueueKind,
    ShaderStages, Size,
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
        let noise = Noise { time, ..Noise::default() }.add(g);
        let smooth = Blur.add(g, BlurIn { field: noise.field });
        let slopes = Slopes.add(g, SlopesIn { field: smooth.field });
        let lit = Shade { time }.add(g, ShadeIn { field: smooth.field, slopes: slopes.slopes });
        Show.add(g, ShowIn { image: lit.image, target: output }).target
    }
}

/// The extent `image` resolves to, or one texel when it resolves to none (a handle of another
/// graph): the compile reports that handle, so nothing records with this extent.
fn extent_of(g: &Graph<Pass>, image: ImageHandle) -> Extent {
    g.image_extent(image).unwrap_or(Extent::new(1, 1))
}

/// How `image` was declared, or a one-texel stand-in when it is not an image of `g` (as
/// [`extent_of`]: the compile reports the handle).
fn desc_of(g: &Graph<Pass>, image: ImageHandle) -> ImageDesc {
    g.image_desc(image).unwrap_or(ImageDesc::new(Format::R32Float, Size::absolute(1, 1)))
}

// ---- noise -------------------------------------------------------------------------------

/// `noise`: value noise of four octaves, drifting with time, as a height field in
/// `R32Float` (`shaders/compute/noise.comp`). Heights lie in `[0, 1)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Noise {
    /// Seconds since the start: the noise drifts with it.
    pub time: f32,
    /// The side of the square field it creates, in texels.
    pub side: u32,
}

impl Default for Noise {
    fn default() -> Noise {
        Noise { time: 0.0, side: FIELD }
    }
}

/// What [`Noise`] gives: the height field (`noise`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NoiseOut {
    pub field: ImageHandle,
}

impl Noise {
    /// Creates the field and declares the pass that fills it. It takes no input.
    pub fn add(&self, g: &mut Graph<Pass>) -> NoiseOut {
        let side = self.side;
        let desc = ImageDesc::new(Format::R32Float, Size::absolute(side, side));
        let field = g.create_image("noise", desc);
        let mut p = g.add_pass("noise", QueueKind::Compute);
        let field = p.write(field, Access::StorageWrite(C));
        let time = self.time;
        p.record(Box::new(move |r| {
            r.compute("compute/noise.comp", &[])?;
            r.bind_image(0, field)?;
            r.push_f32(&[time])?;
            r.dispatch_threads(side, side, 1)
        }));
        NoiseOut { field }
    }
}

// ---- blur --------------------------------------------------------------------------------

/// `blur`: a 5×5 box blur of a one-channel field (`shaders/compute/blur.comp`), clamped at
/// the edges. One pass, not separable: fine for a small field.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Blur;

/// What [`Blur`] takes: the field to blur (read as a storage image).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlurIn {
    pub field: ImageHandle,
}

/// What [`Blur`] gives: the blurred field (`smooth`), declared as its input is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlurOut {
    pub field: ImageHandle,
}

impl Blur {
    /// Creates the blurred field, the same format and size as the input, and declares the
    /// pass that reads the input and writes it.
    pub fn add(&self, g: &mut Graph<Pass>, input: BlurIn) -> BlurOut {
        let smooth = g.create_image("smooth", desc_of(g, input.field));
        let e = extent_of(g, input.field);
        let mut p = g.add_pass("blur", QueueKind::Compute);
        p.read(input.field, Access::StorageRead(C));
        let smooth = p.write(smooth, Access::StorageWrite(C));
        p.record(Box::new(move |r| {
            r.compute("compute/blur.comp", &[])?;
            r.bind_image(0, input.field)?;
            r.bind_image(1, smooth)?;
            r.dispatch_threads(e.width, e.height, 1)
        }));
        BlurOut { field: smooth }
    }
}

// ---- slopes ------------------------------------------------------------------------------

/// `slopes`: central differences of a height field, one `vec2` a texel, row by row
/// (`shaders/compute/slopes.comp`), clamped at the edges.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Slopes;

/// What [`Slopes`] takes: the height field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SlopesIn {
    pub field: ImageHandle,
}

/// What [`Slopes`] gives: the slopes buffer (`slopes`), 8 bytes a texel of the field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SlopesOut {
    pub slopes: BufferHandle,
}

impl Slopes {
    /// Creates the slopes buffer, sized for the field, and declares the pass that fills it.
    pub fn add(&self, g: &mut Graph<Pass>, input: SlopesIn) -> SlopesOut {
        let e = extent_of(g, input.field);
        let bytes = e.width as u64 * e.height as u64 * 8;
        let slopes = g.create_buffer("slopes", BufferDesc::new(bytes));
        let mut p = g.add_pass("slopes", QueueKind::Compute);
        p.read(input.field, Access::StorageRead(C));
        let slopes = p.write(slopes, Access::StorageWrite(C));
        p.record(Box::new(move |r| {
            r.compute("compute/slopes.comp", &[])?;
            r.bind_image(0, input.field)?;
            r.bind_buffer(1, slopes)?;
            r.dispatch_threads(e.width, e.height, 1)
        }));
        SlopesOut { slopes }
    }
}

// ---- shade -------------------------------------------------------------------------------

/// `shade`: lights a height field from its slopes under a sun that turns with time, and
/// colours it by height like a small map (water, grass, rock) (`shaders/compute/shade.comp`).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Shade {
    /// Seconds since the start: the sun turns with it.
    pub time: f32,
}

/// What [`Shade`] takes: the height field and its slopes (from [`Slopes`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShadeIn {
    pub field: ImageHandle,
    pub slopes: BufferHandle,
}

/// What [`Shade`] gives: the lit picture (`lit`), `Rgba8Unorm`, the size of the field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShadeOut {
    pub image: ImageHandle,
}

impl Shade {
    /// Creates the picture, the field's size, and declares the pass that lights it.
    pub fn add(&self, g: &mut Graph<Pass>, input: ShadeIn) -> ShadeOut {
        let size = desc_of(g, input.field).size;
        let e = extent_of(g, input.field);
        let lit = g.create_image("lit", ImageDesc::new(Format::Rgba8Unorm, size));
        let mut p = g.add_pass("shade", QueueKind::Compute);
        p.read(input.field, Access::StorageRead(C));
        p.read(input.slopes, Access::StorageRead(C));
        let lit = p.write(lit, Access::StorageWrite(C));
        let time = self.time;
        p.record(Box::new(move |r| {
            r.compute("compute/shade.comp", &[])?;
            r.bind_image(0, input.field)?;
            r.bind_buffer(1, input.slopes)?;
            r.bind_image(2, lit)?;
            r.push_f32(&[time])?;
            r.dispatch_threads(e.width, e.height, 1)
        }));
        ShadeOut { image: lit }
    }
}

// ---- show --------------------------------------------------------------------------------

/// `show`: draws an image over the whole of a target, sampled with linear filtering, with
/// one full-screen triangle (`shaders/fullscreen.vert`, `shaders/compute/show.frag`).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Show;

/// What [`Show`] takes: the image to show and the target to draw it into (written whole).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShowIn {
    pub image: ImageHandle,
    pub target: ImageHandle,
}

/// What [`Show`] gives: the target's new version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShowOut {
    pub target: ImageHandle,
}

impl Show {
    /// Declares the pass that samples the image into the target, a colour attachment.
    pub fn add(&self, g: &mut Graph<Pass>, input: ShowIn) -> ShowOut {
        let mut p = g.add_pass("show", QueueKind::Graphics);
        p.read(input.image, Access::Sampled(ShaderStages::FRAGMENT));
        let target = p.write(input.target, Access::ColorWrite);
        p.record(Box::new(move |r| {
            r.begin_rendering(Rendering::clear([0.0, 0.0, 0.0, 1.0]))?;
            r.graphics(&GraphicsDesc::new("fullscreen.vert", "compute/show.frag"))?;
            r.bind_image(0, input.image)?;
            r.bind_sampler(1, Sampler::Linear)?;
            r.draw(3, 1)
        }));
        ShowOut { target }
    }
}

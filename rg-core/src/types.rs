//! Resource descriptions: formats, sizes, queue kinds. Plain data with no GPU meaning attached;
//! `rg-vulkan`'s `conv.rs` is the one place that maps them to Vulkan.

use std::fmt;

/// Pixel formats the framework knows. Sizes are per texel of the base level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    R8Unorm,
    Rgba8Unorm,
    Rgba8Srgb,
    Bgra8Unorm,
    Bgra8Srgb,
    A2b10g10r10Unorm,
    B10g11r11Float,
    R16Float,
    Rg16Float,
    Rgba16Float,
    R32Float,
    Rg32Float,
    Rgba32Float,
    R32Uint,
    Rg32Uint,
    Rgba32Uint,
    D16Unorm,
    D32Float,
    D24UnormS8Uint,
}

impl Format {
    /// Bytes per texel.
    pub const fn texel_bytes(self) -> u32 {
        use Format::*;
        match self {
            R8Unorm => 1,
            D16Unorm | R16Float => 2,
            Rgba8Unorm | Rgba8Srgb | Bgra8Unorm | Bgra8Srgb | A2b10g10r10Unorm | B10g11r11Float
            | Rg16Float | R32Float | R32Uint | D32Float | D24UnormS8Uint => 4,
            Rgba16Float | Rg32Float | Rg32Uint => 8,
            Rgba32Float | Rgba32Uint => 16,
        }
    }

    /// Whether the format has a depth aspect.
    pub const fn is_depth(self) -> bool {
        matches!(self, Format::D16Unorm | Format::D32Float | Format::D24UnormS8Uint)
    }

    /// Whether the format has a stencil aspect.
    pub const fn has_stencil(self) -> bool {
        matches!(self, Format::D24UnormS8Uint)
    }

    pub(crate) const fn code(self) -> u32 {
        self as u32
    }
}

/// A width and height in texels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Extent {
    pub width: u32,
    pub height: u32,
}

impl Extent {
    pub const fn new(width: u32, height: u32) -> Self {
        Self { width, height }
    }
}

impl fmt::Display for Extent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}x{}", self.width, self.height)
    }
}

/// How big an image is: in texels, or a scale of the frame's output or of another image.
/// Relative sizes are resolved at compile time and rounded to the nearest texel.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Size {
    Absolute(Extent),
    /// A scale of the graph's output extent (`1.0, 1.0` is full resolution).
    Output {
        sx: f32,
        sy: f32,
    },
    /// A scale of another image's resolved extent.
    Image {
        image: crate::ImageHandle,
        sx: f32,
        sy: f32,
    },
}

impl Size {
    /// Full output resolution.
    pub const FULL: Size = Size::Output { sx: 1.0, sy: 1.0 };

    pub const fn absolute(width: u32, height: u32) -> Size {
        Size::Absolute(Extent::new(width, height))
    }
}

/// What an image looks like. `usage` is never declared: it is inferred from the accesses.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ImageDesc {
    pub format: Format,
    pub size: Size,
    pub mip_levels: u32,
    pub array_layers: u32,
    pub samples: u32,
}

impl ImageDesc {
    pub const fn new(format: Format, size: Size) -> Self {
        Self { format, size, mip_levels: 1, array_layers: 1, samples: 1 }
    }

    pub const fn mips(mut self, mip_levels: u32) -> Self {
        self.mip_levels = mip_levels;
        self
    }

    pub const fn layers(mut self, array_layers: u32) -> Self {
        self.array_layers = array_layers;
        self
    }
}

/// What a buffer looks like: only its size in bytes. Usage is inferred from the accesses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BufferDesc {
    pub size: u64,
}

impl BufferDesc {
    pub const fn new(size: u64) -> Self {
        Self { size }
    }
}

/// The kind of queue a pass runs on. Passes on different kinds may run concurrently; the plan
/// orders them with cross-queue waits and hands resources over with ownership transfers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum QueueKind {
    Graphics,
    Compute,
    Transfer,
}

impl QueueKind {
    pub const ALL: [QueueKind; 3] = [QueueKind::Graphics, QueueKind::Compute, QueueKind::Transfer];

    pub const fn name(self) -> &'static str {
        match self {
            QueueKind::Graphics => "graphics",
            QueueKind::Compute => "compute",
            QueueKind::Transfer => "transfer",
        }
    }

    pub(crate) const fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for QueueKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Limits a plan must respect; `rg-vulkan` fills them from the device.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Limits {
    /// `maxImageDimension2D`.
    pub max_image_dimension: u32,
    /// `maxImageArrayLayers`.
    pub max_image_array_layers: u32,
    /// The largest buffer the device makes (`maxBufferSize`, or `maxStorageBufferRange` where
    /// that is all there is).
    pub max_buffer_size: u64,
}

impl Default for Limits {
    /// 16384 texels a side, 2048 layers and 1 GiB a buffer: what desktop devices offer.
    fn default() -> Self {
        Self { max_image_dimension: 16384, max_image_array_layers: 2048, max_buffer_size: 1 << 30 }
    }
}

//! What the planner needs to know about device memory, asked through [`MemoryOracle`] so that
//! aliasing is planned (and tested) on the CPU. `rg-vulkan` answers from the device; tests use
//! [`FakeMemory`].

use crate::access::Usage;
use crate::types::{Extent, Format, Limits};

/// An image description with its size resolved to texels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ResolvedImage {
    pub format: Format,
    pub extent: Extent,
    pub mip_levels: u32,
    pub array_layers: u32,
    pub samples: u32,
}

impl ResolvedImage {
    /// Bytes of texel data, all mips and layers, with no padding; `u64::MAX` when that does not
    /// fit in 64 bits (the compiler then reports that the frame needs more memory than exists).
    pub fn texel_bytes(&self) -> u64 {
        let mut total = 0u64;
        let (mut w, mut h) = (self.extent.width as u64, self.extent.height as u64);
        for _ in 0..self.mip_levels.clamp(1, 64) {
            total = total.saturating_add(w * h);
            w = (w / 2).max(1);
            h = (h / 2).max(1);
        }
        // `w * h` cannot overflow (each is below 2^32); the sum and the products can.
        total
            .saturating_mul(self.format.texel_bytes() as u64)
            .saturating_mul(self.array_layers as u64)
            .saturating_mul(self.samples as u64)
    }
}

/// Size, alignment and allowed memory types of one resource (`VkMemoryRequirements`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MemoryRequirements {
    pub size: u64,
    pub alignment: u64,
    /// Bit `i` set when memory type `i` can hold the resource.
    pub memory_type_bits: u32,
}

/// Answers memory questions for the aliasing planner.
pub trait MemoryOracle {
    fn image_requirements(&self, image: &ResolvedImage, usage: Usage) -> MemoryRequirements;
    fn buffer_requirements(&self, size: u64, usage: Usage) -> MemoryRequirements;
    /// `bufferImageGranularity`: buffers and optimal-tiling images that are live at the same time
    /// in one heap must not share a page of this size.
    fn buffer_image_granularity(&self) -> u64 {
        1
    }
    fn limits(&self) -> Limits {
        Limits::default()
    }
    /// Distinguishes oracles that answer differently, so a cached plan is never reused for
    /// another device. Two oracles with the same fingerprint must give the same answers.
    fn fingerprint(&self) -> u64 {
        0
    }
}

/// A deterministic stand-in for a device: images aligned to 64 KiB, buffers to 256 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FakeMemory {
    pub image_alignment: u64,
    pub buffer_alignment: u64,
    /// When true, images and buffers need different memory types and never share a heap.
    pub split_types: bool,
    pub granularity: u64,
    pub limits: Limits,
}

impl Default for FakeMemory {
    fn default() -> Self {
        Self {
            image_alignment: 64 << 10,
            buffer_alignment: 256,
            split_types: false,
            granularity: 1024,
            limits: Limits::default(),
        }
    }
}

impl FakeMemory {
    /// Images and buffers in separate memory types.
    pub fn split() -> Self {
        Self { split_types: true, ..Self::default() }
    }
}

/// `x` rounded up to a multiple of `a`, or `u64::MAX` when that does not fit.
fn round_up(x: u64, a: u64) -> u64 {
    x.div_ceil(a).saturating_mul(a)
}

impl MemoryOracle for FakeMemory {
    fn image_requirements(&self, image: &ResolvedImage, _usage: Usage) -> MemoryRequirements {
        MemoryRequirements {
            size: round_up(image.texel_bytes().max(1), self.image_alignment),
            alignment: self.image_alignment,
            memory_type_bits: if self.split_types { 0b01 } else { 0b11 },
        }
    }

    fn buffer_requirements(&self, size: u64, _usage: Usage) -> MemoryRequirements {
        MemoryRequirements {
            size: round_up(size.max(1), self.buffer_alignment),
            alignment: self.buffer_alignment,
            memory_type_bits: if self.split_types { 0b10 } else { 0b11 },
        }
    }

    fn buffer_image_granularity(&self) -> u64 {
        self.granularity
    }

    fn limits(&self) -> Limits {
        self.limits
    }

    fn fingerprint(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.hash(&mut h);
        h.finish() | 1
    }
}

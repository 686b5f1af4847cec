//! The one place that maps rg-core's vocabulary onto Vulkan: stages, accesses, layouts, usage,
//! formats. Everything else in rg-vulkan goes through these functions.

use ash::vk;
use rg_core::{AccessMask, Format, Layout, StageMask, Usage};

/// The union of `table[b]` for every bit `b` set in `bits`. Only the set bits are visited: the
/// stage and access conversions run for every barrier of every frame.
fn union_of_bits<T: Copy + Default + std::ops::BitOrAssign>(bits: u16, table: &[T]) -> T {
    let mut out = T::default();
    let mut rest = bits;
    while rest != 0 {
        out |= table.get(rest.trailing_zeros() as usize).copied().unwrap_or_default();
        rest &= rest - 1;
    }
    out
}

/// Pipeline stages (`synchronization2`).
pub fn stages(s: StageMask) -> vk::PipelineStageFlags2 {
    // Indexed by `StageMask` bit.
    const BITS: [vk::PipelineStageFlags2; 10] = [
        vk::PipelineStageFlags2::DRAW_INDIRECT,
        vk::PipelineStageFlags2::VERTEX_INPUT,
        vk::PipelineStageFlags2::VERTEX_SHADER,
        vk::PipelineStageFlags2::FRAGMENT_SHADER,
        vk::PipelineStageFlags2::EARLY_FRAGMENT_TESTS,
        vk::PipelineStageFlags2::LATE_FRAGMENT_TESTS,
        vk::PipelineStageFlags2::COLOR_ATTACHMENT_OUTPUT,
        vk::PipelineStageFlags2::COMPUTE_SHADER,
        vk::PipelineStageFlags2::ALL_TRANSFER,
        vk::PipelineStageFlags2::HOST,
    ];
    union_of_bits(s.bits(), &BITS)
}

/// Memory accesses (`synchronization2`).
pub fn access(a: AccessMask) -> vk::AccessFlags2 {
    // Indexed by `AccessMask` bit.
    const BITS: [vk::AccessFlags2; 15] = [
        vk::AccessFlags2::INDIRECT_COMMAND_READ,
        vk::AccessFlags2::INDEX_READ,
        vk::AccessFlags2::VERTEX_ATTRIBUTE_READ,
        vk::AccessFlags2::UNIFORM_READ,
        vk::AccessFlags2::SHADER_SAMPLED_READ,
        vk::AccessFlags2::SHADER_STORAGE_READ,
        vk::AccessFlags2::SHADER_STORAGE_WRITE,
        vk::AccessFlags2::COLOR_ATTACHMENT_READ,
        vk::AccessFlags2::COLOR_ATTACHMENT_WRITE,
        vk::AccessFlags2::DEPTH_STENCIL_ATTACHMENT_READ,
        vk::AccessFlags2::DEPTH_STENCIL_ATTACHMENT_WRITE,
        vk::AccessFlags2::TRANSFER_READ,
        vk::AccessFlags2::TRANSFER_WRITE,
        vk::AccessFlags2::HOST_READ,
        vk::AccessFlags2::HOST_WRITE,
    ];
    union_of_bits(a.bits(), &BITS)
}

pub fn layout(l: Layout) -> vk::ImageLayout {
    match l {
        Layout::Undefined => vk::ImageLayout::UNDEFINED,
        Layout::General => vk::ImageLayout::GENERAL,
        Layout::ColorAttachment => vk::ImageLayout::COLOR_ATTACHMENT_OPTIMAL,
        Layout::DepthAttachment => vk::ImageLayout::DEPTH_ATTACHMENT_OPTIMAL,
        Layout::DepthReadOnly => vk::ImageLayout::DEPTH_READ_ONLY_OPTIMAL,
        Layout::ShaderReadOnly => vk::ImageLayout::SHADER_READ_ONLY_OPTIMAL,
        Layout::TransferSrc => vk::ImageLayout::TRANSFER_SRC_OPTIMAL,
        Layout::TransferDst => vk::ImageLayout::TRANSFER_DST_OPTIMAL,
        Layout::Present => vk::ImageLayout::PRESENT_SRC_KHR,
    }
}

/// Buffer usage flags.
pub fn buffer_usage(u: Usage) -> vk::BufferUsageFlags {
    let mut out = vk::BufferUsageFlags::empty();
    for (ours, theirs) in [
        (Usage::UNIFORM, vk::BufferUsageFlags::UNIFORM_BUFFER),
        (Usage::STORAGE, vk::BufferUsageFlags::STORAGE_BUFFER),
        (Usage::INDIRECT, vk::BufferUsageFlags::INDIRECT_BUFFER),
        (Usage::VERTEX, vk::BufferUsageFlags::VERTEX_BUFFER),
        (Usage::INDEX, vk::BufferUsageFlags::INDEX_BUFFER),
        (Usage::TRANSFER_SRC, vk::BufferUsageFlags::TRANSFER_SRC),
        (Usage::TRANSFER_DST, vk::BufferUsageFlags::TRANSFER_DST),
    ] {
        if u.contains(ours) {
            out |= theirs;
        }
    }
    // A buffer needs some usage to be created; transfer-dst is the harmless default.
    if out.is_empty() {
        out = vk::BufferUsageFlags::TRANSFER_DST;
    }
    out
}

/// Image usage flags.
pub fn image_usage(u: Usage) -> vk::ImageUsageFlags {
    let mut out = vk::ImageUsageFlags::empty();
    for (ours, theirs) in [
        (Usage::SAMPLED, vk::ImageUsageFlags::SAMPLED),
        (Usage::STORAGE, vk::ImageUsageFlags::STORAGE),
        (Usage::COLOR_ATTACHMENT, vk::ImageUsageFlags::COLOR_ATTACHMENT),
        (Usage::DEPTH_ATTACHMENT, vk::ImageUsageFlags::DEPTH_STENCIL_ATTACHMENT),
        (Usage::TRANSFER_SRC, vk::ImageUsageFlags::TRANSFER_SRC),
        (Usage::TRANSFER_DST, vk::ImageUsageFlags::TRANSFER_DST),
    ] {
        if u.contains(ours) {
            out |= theirs;
        }
    }
    if out.is_empty() {
        out = vk::ImageUsageFlags::TRANSFER_DST;
    }
    out
}

/// Formats.
pub fn format(f: Format) -> vk::Format {
    match f {
        Format::R8Unorm => vk::Format::R8_UNORM,
        Format::Rgba8Unorm => vk::Format::R8G8B8A8_UNORM,
        Format::Rgba8Srgb => vk::Format::R8G8B8A8_SRGB,
        Format::Bgra8Unorm => vk::Format::B8G8R8A8_UNORM,
        Format::Bgra8Srgb => vk::Format::B8G8R8A8_SRGB,
        Format::A2b10g10r10Unorm => vk::Format::A2B10G10R10_UNORM_PACK32,
        Format::B10g11r11Float => vk::Format::B10G11R11_UFLOAT_PACK32,
        Format::R16Float => vk::Format::R16_SFLOAT,
        Format::Rg16Float => vk::Format::R16G16_SFLOAT,
        Format::Rgba16Float => vk::Format::R16G16B16A16_SFLOAT,
        Format::R32Float => vk::Format::R32_SFLOAT,
        Format::Rg32Float => vk::Format::R32G32_SFLOAT,
        Format::Rgba32Float => vk::Format::R32G32B32A32_SFLOAT,
        Format::R32Uint => vk::Format::R32_UINT,
        Format::Rg32Uint => vk::Format::R32G32_UINT,
        Format::Rgba32Uint => vk::Format::R32G32B32A32_UINT,
        Format::D16Unorm => vk::Format::D16_UNORM,
        Format::D32Float => vk::Format::D32_SFLOAT,
        Format::D24UnormS8Uint => vk::Format::D24_UNORM_S8_UINT,
    }
}

/// The aspect of an image of this format.
pub fn aspect(f: Format) -> vk::ImageAspectFlags {
    match (f.is_depth(), f.has_stencil()) {
        (true, true) => vk::ImageAspectFlags::DEPTH | vk::ImageAspectFlags::STENCIL,
        (true, false) => vk::ImageAspectFlags::DEPTH,
        _ => vk::ImageAspectFlags::COLOR,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_stage_and_access_maps_to_its_vulkan_flag_and_unions_to_unions() {
        let stage_pairs = [
            (StageMask::DRAW_INDIRECT, vk::PipelineStageFlags2::DRAW_INDIRECT),
            (StageMask::VERTEX_INPUT, vk::PipelineStageFlags2::VERTEX_INPUT),
            (StageMask::VERTEX_SHADER, vk::PipelineStageFlags2::VERTEX_SHADER),
            (StageMask::FRAGMENT_SHADER, vk::PipelineStageFlags2::FRAGMENT_SHADER),
            (StageMask::EARLY_FRAGMENT_TESTS, vk::PipelineStageFlags2::EARLY_FRAGMENT_TESTS),
            (StageMask::LATE_FRAGMENT_TESTS, vk::PipelineStageFlags2::LATE_FRAGMENT_TESTS),
            (StageMask::COLOR_ATTACHMENT_OUTPUT, vk::PipelineStageFlags2::COLOR_ATTACHMENT_OUTPUT),
            (StageMask::COMPUTE_SHADER, vk::PipelineStageFlags2::COMPUTE_SHADER),
            (StageMask::TRANSFER, vk::PipelineStageFlags2::ALL_TRANSFER),
            (StageMask::HOST, vk::PipelineStageFlags2::HOST),
        ];
        let access_pairs = [
            (AccessMask::INDIRECT_READ, vk::AccessFlags2::INDIRECT_COMMAND_READ),
            (AccessMask::INDEX_READ, vk::AccessFlags2::INDEX_READ),
            (AccessMask::VERTEX_READ, vk::AccessFlags2::VERTEX_ATTRIBUTE_READ),
            (AccessMask::UNIFORM_READ, vk::AccessFlags2::UNIFORM_READ),
            (AccessMask::SAMPLED_READ, vk::AccessFlags2::SHADER_SAMPLED_READ),
            (AccessMask::STORAGE_READ, vk::AccessFlags2::SHADER_STORAGE_READ),
            (AccessMask::STORAGE_WRITE, vk::AccessFlags2::SHADER_STORAGE_WRITE),
            (AccessMask::COLOR_READ, vk::AccessFlags2::COLOR_ATTACHMENT_READ),
            (AccessMask::COLOR_WRITE, vk::AccessFlags2::COLOR_ATTACHMENT_WRITE),
            (AccessMask::DEPTH_READ, vk::AccessFlags2::DEPTH_STENCIL_ATTACHMENT_READ),
            (AccessMask::DEPTH_WRITE, vk::AccessFlags2::DEPTH_STENCIL_ATTACHMENT_WRITE),
            (AccessMask::TRANSFER_READ, vk::AccessFlags2::TRANSFER_READ),
            (AccessMask::TRANSFER_WRITE, vk::AccessFlags2::TRANSFER_WRITE),
            (AccessMask::HOST_READ, vk::AccessFlags2::HOST_READ),
            (AccessMask::HOST_WRITE, vk::AccessFlags2::HOST_WRITE),
        ];
        assert_eq!(stages(StageMask::NONE), vk::PipelineStageFlags2::NONE);
        assert_eq!(access(AccessMask::NONE), vk::AccessFlags2::NONE);
        // Every subset of the stage bits, and every pair of access bits.
        for set in 0u32..1 << stage_pairs.len() {
            let (mut ours, mut theirs) = (StageMask::NONE, vk::PipelineStageFlags2::NONE);
            for (k, (o, t)) in stage_pairs.iter().enumerate() {
                if set & (1 << k) != 0 {
                    ours = ours.union(*o);
                    theirs |= *t;
                }
            }
            assert_eq!(stages(ours), theirs, "stage set {set:#b}");
        }
        for (a, ta) in access_pairs {
            assert_eq!(access(a), ta, "{a:?}");
            for (b, tb) in access_pairs {
                assert_eq!(access(a.union(b)), ta | tb, "{a:?} | {b:?}");
            }
        }
    }
}

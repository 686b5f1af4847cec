//! rg-core's [`MemoryOracle`] answered by the device (`vkGetDevice*MemoryRequirements`, core in
//! Vulkan 1.3, so no object is created to ask), so that the aliasing plan fits real sizes,
//! alignments and memory types.

use crate::context::{Capabilities, Context, Shared};
use crate::conv;
use ash::vk;
use rg_core::{Limits, MemoryOracle, MemoryRequirements, ResolvedImage, Usage};
use std::sync::Arc;

/// Memory questions answered by one device. It keeps the device alive, so an executor's
/// (see [`crate::Executor::memory`]) outlives the context it came from.
#[derive(Clone)]
pub struct DeviceMemory {
    device: ash::Device,
    capabilities: Arc<Capabilities>,
    device_local: u32,
    /// The device's identity, worked out once: every compile and every frame asks for it.
    fingerprint: u64,
    _shared: Arc<Shared>,
}

impl DeviceMemory {
    /// The memory of `ctx`'s device.
    pub fn new(ctx: &Context) -> Self {
        Self::of(ctx.shared.clone(), ctx.device.clone(), &ctx.memory_properties, &ctx.capabilities)
    }

    pub(crate) fn of(
        shared: Arc<Shared>,
        device: ash::Device,
        p: &vk::PhysicalDeviceMemoryProperties,
        capabilities: &Capabilities,
    ) -> Self {
        let device_local = (0..p.memory_type_count)
            .filter(|&i| {
                p.memory_types[i as usize]
                    .property_flags
                    .contains(vk::MemoryPropertyFlags::DEVICE_LOCAL)
            })
            .fold(0u32, |bits, i| bits | 1 << i);
        let fingerprint = {
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            capabilities.device_name.hash(&mut h);
            capabilities.api_version.hash(&mut h);
            h.finish() | 1
        };
        DeviceMemory {
            device,
            capabilities: Arc::new(capabilities.clone()),
            device_local,
            fingerprint,
            _shared: shared,
        }
    }

    /// Keeps only device-local types when the resource allows any (transients live there).
    fn prefer_local(&self, bits: u32) -> u32 {
        if bits & self.device_local != 0 {
            bits & self.device_local
        } else {
            bits
        }
    }
}

impl MemoryOracle for DeviceMemory {
    fn image_requirements(&self, image: &ResolvedImage, usage: Usage) -> MemoryRequirements {
        let info = image_info(image, conv::image_usage(usage), true);
        let query = vk::DeviceImageMemoryRequirements::default().create_info(&info);
        let mut out = vk::MemoryRequirements2::default();
        // SAFETY: a query with valid create info; no object is created.
        unsafe { self.device.get_device_image_memory_requirements(&query, &mut out) };
        let r = out.memory_requirements;
        MemoryRequirements {
            size: r.size,
            alignment: r.alignment,
            memory_type_bits: self.prefer_local(r.memory_type_bits),
        }
    }

    fn buffer_requirements(&self, size: u64, usage: Usage) -> MemoryRequirements {
        let info = buffer_info(size, usage);
        let query = vk::DeviceBufferMemoryRequirements::default().create_info(&info);
        let mut out = vk::MemoryRequirements2::default();
        // SAFETY: a query with valid create info; no object is created.
        unsafe { self.device.get_device_buffer_memory_requirements(&query, &mut out) };
        let r = out.memory_requirements;
        MemoryRequirements {
            size: r.size,
            alignment: r.alignment,
            memory_type_bits: self.prefer_local(r.memory_type_bits),
        }
    }

    fn buffer_image_granularity(&self) -> u64 {
        self.capabilities.buffer_image_granularity
    }

    fn limits(&self) -> Limits {
        Limits {
            max_image_dimension: self.capabilities.max_image_dimension_2d,
            max_image_array_layers: self.capabilities.max_image_array_layers,
            // Storage and uniform bindings have smaller limits of their own, which the recorder
            // checks where a buffer is bound.
            max_buffer_size: self.capabilities.max_buffer_size.max(1 << 20),
        }
    }

    fn fingerprint(&self) -> u64 {
        self.fingerprint
    }
}

/// The create info of a 2D image; transients are created with the `ALIAS` flag, and the memory
/// questions above ask with the same info the executor creates them with.
pub(crate) fn image_info(
    image: &ResolvedImage,
    usage: vk::ImageUsageFlags,
    alias: bool,
) -> vk::ImageCreateInfo<'static> {
    vk::ImageCreateInfo::default()
        .image_type(vk::ImageType::TYPE_2D)
        .format(conv::format(image.format))
        .extent(vk::Extent3D { width: image.extent.width, height: image.extent.height, depth: 1 })
        .mip_levels(image.mip_levels)
        .array_layers(image.array_layers)
        .samples(vk::SampleCountFlags::from_raw(image.samples))
        .tiling(vk::ImageTiling::OPTIMAL)
        .usage(usage)
        .flags(if alias { vk::ImageCreateFlags::ALIAS } else { vk::ImageCreateFlags::empty() })
        .sharing_mode(vk::SharingMode::EXCLUSIVE)
        .initial_layout(vk::ImageLayout::UNDEFINED)
}

/// The create info of a transient buffer.
pub(crate) fn buffer_info(size: u64, usage: Usage) -> vk::BufferCreateInfo<'static> {
    vk::BufferCreateInfo::default()
        .size(size)
        .usage(conv::buffer_usage(usage))
        .sharing_mode(vk::SharingMode::EXCLUSIVE)
}

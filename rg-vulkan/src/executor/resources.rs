//! Persistent resources: buffers and images the executor owns across frames (imports, history,
//! readback buffers), made through gpu-allocator, and external images (swapchain images) it
//! only views.

use super::*;
/// Image usages, the format feature each needs with optimal tiling, and their names.
const FORMAT_FEATURES: [(vk::ImageUsageFlags, vk::FormatFeatureFlags, &str); 6] = [
    (vk::ImageUsageFlags::SAMPLED, vk::FormatFeatureFlags::SAMPLED_IMAGE, "sampled"),
    (vk::ImageUsageFlags::STORAGE, vk::FormatFeatureFlags::STORAGE_IMAGE, "storage"),
    (
        vk::ImageUsageFlags::COLOR_ATTACHMENT,
        vk::FormatFeatureFlags::COLOR_ATTACHMENT,
        "colour attachment",
    ),
    (
        vk::ImageUsageFlags::DEPTH_STENCIL_ATTACHMENT,
        vk::FormatFeatureFlags::DEPTH_STENCIL_ATTACHMENT,
        "depth attachment",
    ),
    (vk::ImageUsageFlags::TRANSFER_SRC, vk::FormatFeatureFlags::TRANSFER_SRC, "copy source"),
    (vk::ImageUsageFlags::TRANSFER_DST, vk::FormatFeatureFlags::TRANSFER_DST, "copy destination"),
];

/// What a registered external image (a swapchain image) may be used for: it must have been
/// made with at least these usages.
const EXTERNAL_USAGE: vk::ImageUsageFlags = vk::ImageUsageFlags::from_raw(
    vk::ImageUsageFlags::COLOR_ATTACHMENT.as_raw()
        | vk::ImageUsageFlags::TRANSFER_SRC.as_raw()
        | vk::ImageUsageFlags::TRANSFER_DST.as_raw(),
);

impl Executor {
    pub(super) fn allocator(&mut self) -> &mut Allocator {
        self.allocator.as_mut().expect("the allocator lives until Drop")
    }

    pub(super) fn allocate(
        &mut self,
        label: &str,
        requirements: vk::MemoryRequirements,
        location: MemoryLocation,
        linear: bool,
    ) -> Result<Allocation, Error> {
        self.allocator()
            .allocate(&AllocationCreateDesc {
                name: label,
                requirements,
                location,
                linear,
                allocation_scheme: AllocationScheme::GpuAllocatorManaged,
            })
            .map_err(|e| match e {
                gpu_allocator::AllocationError::OutOfMemory => {
                    Error::OutOfMemory { label: label.to_owned(), bytes: requirements.size }
                }
                e => Error::Allocator { label: label.to_owned(), source: e },
            })
    }

    pub(super) fn name_object<H: vk::Handle>(&self, handle: H, name: &str) {
        if let Some(d) = &self.debug {
            if let Ok(name) = std::ffi::CString::new(name) {
                let info = vk::DebugUtilsObjectNameInfoEXT::default()
                    .object_handle(handle)
                    .object_name(&name);
                // SAFETY: the handle is a live object of this device; naming is advisory.
                let _ = unsafe { d.set_debug_utils_object_name(&info) };
            }
        }
    }

    /// A persistent buffer (imports bind to these). `Upload` and `Readback` buffers are
    /// host-visible: see [`Executor::write_buffer`] and [`Executor::read_buffer`].
    ///
    /// # Errors
    /// Out of memory, no fitting memory type, a failed call.
    pub fn create_buffer(
        &mut self,
        label: &str,
        size: u64,
        memory: MemoryUse,
    ) -> Result<Buffer, Error> {
        let usage = vk::BufferUsageFlags::TRANSFER_SRC
            | vk::BufferUsageFlags::TRANSFER_DST
            | vk::BufferUsageFlags::STORAGE_BUFFER
            | vk::BufferUsageFlags::UNIFORM_BUFFER
            | vk::BufferUsageFlags::INDIRECT_BUFFER
            | vk::BufferUsageFlags::VERTEX_BUFFER
            | vk::BufferUsageFlags::INDEX_BUFFER;
        let info = vk::BufferCreateInfo::default().size(size.max(4)).usage(usage);
        // SAFETY: valid create info; destroyed by `destroy_buffer` or Drop after the GPU is done.
        let buffer =
            unsafe { self.device.create_buffer(&info, None) }.check("vkCreateBuffer", label)?;
        // SAFETY: the buffer was just created.
        let req = unsafe { self.device.get_buffer_memory_requirements(buffer) };
        let location = match memory {
            MemoryUse::Device => MemoryLocation::GpuOnly,
            MemoryUse::Upload => MemoryLocation::CpuToGpu,
            MemoryUse::Readback => MemoryLocation::GpuToCpu,
        };
        let allocation = match self.allocate(label, req, location, true) {
            Ok(a) => a,
            Err(e) => {
                // SAFETY: the buffer is unused.
                unsafe { self.device.destroy_buffer(buffer, None) };
                return Err(e);
            }
        };
        // SAFETY: fresh buffer and memory the allocator chose for its requirements.
        if let Err(e) = unsafe {
            self.device.bind_buffer_memory(buffer, allocation.memory(), allocation.offset())
        } {
            // SAFETY: unused.
            unsafe { self.device.destroy_buffer(buffer, None) };
            let _ = self.allocator().free(allocation);
            return Err(Error::Vulkan {
                call: "vkBindBufferMemory",
                label: label.into(),
                result: e,
            });
        }
        self.name_object(buffer, label);
        Ok(self.buffers.insert(OwnedBuffer {
            label: label.to_owned(),
            buffer,
            allocation: Some(allocation),
            size,
        }))
    }

    /// A persistent 2D image usable as an attachment, storage image, sampled image and copy
    /// source and destination (as far as the format allows).
    ///
    /// # Errors
    /// Out of memory, a failed call.
    pub fn create_image(
        &mut self,
        label: &str,
        format: Format,
        width: u32,
        height: u32,
    ) -> Result<Image, Error> {
        let max = self.max_image_dimension;
        if width == 0 || height == 0 || width > max || height > max {
            return Err(Error::InvalidImage {
                label: label.to_owned(),
                problem: format!(
                    "{width}×{height} texels; each side must be from 1 to the device's limit of \
                     {max}"
                ),
            });
        }
        let usage = self.full_usage(format);
        let (r, allocation) = self.make_image(label, &plain_2d(format, width, height), None)?;
        Ok(self.images.insert(OwnedImage {
            label: label.to_owned(),
            r,
            allocation: Some(allocation),
            external: false,
            usage,
            owner: None,
        }))
    }

    /// Checks that the device supports `format`, with optimal tiling, for every use in `usage`.
    pub(super) fn check_format(
        &self,
        label: &str,
        format: Format,
        usage: vk::ImageUsageFlags,
    ) -> Result<(), Error> {
        // SAFETY: a plain query.
        let props = unsafe {
            self.instance.get_physical_device_format_properties(self.physical, conv::format(format))
        };
        let have = props.optimal_tiling_features;
        let missing: Vec<&str> = FORMAT_FEATURES
            .iter()
            .filter(|&&(u, f, _)| usage.contains(u) && !have.contains(f))
            .map(|&(_, _, name)| name)
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        Err(Error::InvalidImage {
            label: label.to_owned(),
            problem: format!(
                "this device cannot use the format {format:?} as {} (its accesses ask for it)",
                missing.join(" or ")
            ),
        })
    }

    /// Every usage the format supports with optimal tiling, so a persistent image can be used
    /// by any pass.
    pub(super) fn full_usage(&self, format: Format) -> vk::ImageUsageFlags {
        // SAFETY: a plain query.
        let props = unsafe {
            self.instance.get_physical_device_format_properties(self.physical, conv::format(format))
        };
        let f = props.optimal_tiling_features;
        // Copies are always allowed: every format the framework names can be copied.
        let mut u = vk::ImageUsageFlags::TRANSFER_SRC | vk::ImageUsageFlags::TRANSFER_DST;
        for &(usage, feature, _) in &FORMAT_FEATURES {
            if f.contains(feature) {
                u |= usage;
            }
        }
        u
    }

    pub(super) fn make_image(
        &mut self,
        label: &str,
        resolved: &ResolvedImage,
        usage: Option<Usage>,
    ) -> Result<(ImageRef, Allocation), Error> {
        let usage = usage.map_or_else(|| self.full_usage(resolved.format), conv::image_usage);
        let info = crate::memory::image_info(resolved, usage, false);
        // SAFETY: valid create info; destroyed with the allocation.
        let image =
            unsafe { self.device.create_image(&info, None) }.check("vkCreateImage", label)?;
        // SAFETY: the image was just created.
        let req = unsafe { self.device.get_image_memory_requirements(image) };
        let allocation = match self.allocate(label, req, MemoryLocation::GpuOnly, false) {
            Ok(a) => a,
            Err(e) => {
                // SAFETY: unused.
                unsafe { self.device.destroy_image(image, None) };
                return Err(e);
            }
        };
        // SAFETY: memory chosen for this image's requirements.
        let bound = unsafe {
            self.device.bind_image_memory(image, allocation.memory(), allocation.offset())
        }
        .check("vkBindImageMemory", label);
        let view = bound.and_then(|()| self.make_view(image, resolved, usage, label));
        match view {
            Ok(r) => {
                self.name_object(image, label);
                Ok((r, allocation))
            }
            Err(e) => {
                // SAFETY: unused.
                unsafe { self.device.destroy_image(image, None) };
                let _ = self.allocator().free(allocation);
                Err(e)
            }
        }
    }

    /// The image's record, with a view of all of it when `usage` has a use that reads through
    /// one (an image only copied to and from gets none: Vulkan forbids views of it).
    pub(super) fn make_view(
        &self,
        image: vk::Image,
        resolved: &ResolvedImage,
        usage: vk::ImageUsageFlags,
        label: &str,
    ) -> Result<ImageRef, Error> {
        let format = conv::format(resolved.format);
        let aspect = conv::aspect(resolved.format);
        let r = ImageRef {
            image,
            view: vk::ImageView::null(),
            format,
            aspect,
            extent: vk::Extent2D { width: resolved.extent.width, height: resolved.extent.height },
            mip_levels: resolved.mip_levels,
            array_layers: resolved.array_layers,
            depth: resolved.format.is_depth(),
            texel_bytes: resolved.format.texel_bytes(),
            samples: resolved.samples,
        };
        let viewed = vk::ImageUsageFlags::SAMPLED
            | vk::ImageUsageFlags::STORAGE
            | vk::ImageUsageFlags::COLOR_ATTACHMENT
            | vk::ImageUsageFlags::DEPTH_STENCIL_ATTACHMENT
            | vk::ImageUsageFlags::INPUT_ATTACHMENT;
        if !usage.intersects(viewed) {
            return Ok(r);
        }
        let view_type = if resolved.array_layers > 1 {
            vk::ImageViewType::TYPE_2D_ARRAY
        } else {
            vk::ImageViewType::TYPE_2D
        };
        let info = vk::ImageViewCreateInfo::default()
            .image(image)
            .view_type(view_type)
            .format(format)
            .subresource_range(full_range(&r));
        // SAFETY: a view of a live image with a matching format and range.
        let view = unsafe { self.device.create_image_view(&info, None) }
            .check("vkCreateImageView", label)?;
        Ok(ImageRef { view, ..r })
    }

    /// Registers an image the executor does not own (a swapchain image), so a graph's import can
    /// bind to it. The executor makes a view of it and destroys only that.
    ///
    /// # Errors
    /// The view cannot be made.
    ///
    /// # Safety
    /// `image` must be a live image of this executor's device, of `format` and `width` x
    /// `height`, one mip, one layer, one sample, made with at least the colour-attachment,
    /// copy-source and copy-destination usages, that stays alive until [`Executor::destroy_image`] is called on the result and
    /// the frames submitted before that are done.
    pub unsafe fn register_external_image(
        &mut self,
        label: &str,
        image: vk::Image,
        format: Format,
        width: u32,
        height: u32,
    ) -> Result<Image, Error> {
        let resolved = plain_2d(format, width, height);
        // Registered images are attachments, cleared or copied: they get a view.
        let r = self.make_view(image, &resolved, EXTERNAL_USAGE, label)?;
        // Named like the executor's own images, so a frame capture shows it by its label.
        self.name_object(image, label);
        Ok(self.images.insert(OwnedImage {
            label: label.to_owned(),
            r,
            allocation: None,
            external: true,
            usage: EXTERNAL_USAGE,
            owner: None,
        }))
    }

    /// Ties a registered external image to its owner's liveness: once every `Arc` of `alive`
    /// is dropped, frames refuse the image instead of recording on a destroyed one.
    pub(crate) fn tie_to_owner(&mut self, i: Image, alive: std::sync::Weak<()>) {
        if let Some(o) = self.images.get_mut(i) {
            o.owner = Some(alive);
        }
    }

    /// Destroys a persistent buffer once no frame in flight can use it.
    pub fn destroy_buffer(&mut self, b: Buffer) {
        if let Some(o) = self.buffers.remove(b) {
            let at = self.submitted;
            self.graveyard.push((at, Dead::Buffer(o.buffer)));
            if let Some(a) = o.allocation {
                self.graveyard.push((at, Dead::Allocation(a)));
            }
        }
    }

    /// Destroys a persistent image (or forgets an external one) once no frame in flight can
    /// use it.
    pub fn destroy_image(&mut self, i: Image) {
        if let Some(o) = self.images.remove(i) {
            let at = self.submitted;
            self.graveyard.push((at, Dead::View(o.r.view)));
            self.graveyard
                .extend(self.views.take_for(o.r.image).into_iter().map(|v| (at, Dead::View(v))));
            if !o.external {
                self.graveyard.push((at, Dead::Image(o.r.image)));
            }
            if let Some(a) = o.allocation {
                self.graveyard.push((at, Dead::Allocation(a)));
            }
        }
    }

    /// Waits for every submitted frame, then returns the contents of a host-visible buffer.
    ///
    /// # Errors
    /// An unknown or device-local buffer, or device loss while waiting.
    pub fn read_buffer(&mut self, b: Buffer) -> Result<Vec<u8>, Error> {
        self.wait_for(self.submitted)?;
        let o = self.buffers.get(b).ok_or(Error::UnknownBuffer)?;
        let slice = o
            .allocation
            .as_ref()
            .and_then(|a| a.mapped_slice())
            .ok_or_else(|| Error::NotHostVisible { label: o.label.clone() })?;
        Ok(slice[..o.size as usize].to_vec())
    }

    /// Waits for every submitted frame, then writes the start of a host-visible buffer.
    ///
    /// # Errors
    /// As [`Executor::read_buffer`], or more data than the buffer holds.
    pub fn write_buffer(&mut self, b: Buffer, data: &[u8]) -> Result<(), Error> {
        let _zone = self.profiler.zone("upload");
        self.wait_for(self.submitted)?;
        let o = self.buffers.get_mut(b).ok_or(Error::UnknownBuffer)?;
        if data.len() as u64 > o.size {
            return Err(Error::TooMuchData {
                label: o.label.clone(),
                bytes: data.len() as u64,
                size: o.size,
            });
        }
        let label = o.label.clone();
        let slice = o
            .allocation
            .as_mut()
            .and_then(|a| a.mapped_slice_mut())
            .ok_or_else(|| Error::NotHostVisible { label: label.clone() })?;
        slice[..data.len()].copy_from_slice(data);
        Ok(())
    }

    /// Labels of persistent buffers, for messages.
    pub fn buffer_label(&self, b: Buffer) -> Option<&str> {
        self.buffers.get(b).map(|o| o.label.as_str())
    }

    /// Bytes gpu-allocator holds for live allocations (0 once everything is destroyed and the
    /// frames that used it are done).
    pub fn allocated_bytes(&mut self) -> u64 {
        let _ = self.collect_garbage();
        self.allocator.as_ref().map_or(0, |a| a.generate_report().total_allocated_bytes)
    }

    /// The raw image behind a handle (for presenting or for tools).
    ///
    /// # Safety
    /// The caller must not destroy the image, and must keep to Vulkan's synchronization rules
    /// for it with respect to the frames the executor submits.
    pub unsafe fn raw_image(&self, i: Image) -> Option<vk::Image> {
        self.images.get(i).map(|o| o.r.image)
    }
}

/// A 2D image of one mip, one layer and one sample: persistent and swapchain images.
pub(super) fn plain_2d(format: Format, width: u32, height: u32) -> ResolvedImage {
    ResolvedImage {
        format,
        extent: rg_core::Extent::new(width, height),
        mip_levels: 1,
        array_layers: 1,
        samples: 1,
    }
}

//! Runs compiled plans, frame after frame.
//!
//! - Frames in flight: each frame records into its own command pool and signals a timeline
//!   semaphore; a frame slot is reused only when the GPU has passed its value. Objects that a
//!   frame in flight may still use are destroyed once the timeline passes the last frame that
//!   could use them.
//! - Memory: persistent resources (imports, history resources, readback buffers) come from
//!   gpu-allocator. Transients are bound at the plan's offsets inside heaps kept from frame to
//!   frame and grown when a plan needs more; with aliasing switched off (for frame captures)
//!   every transient gets memory of its own and the schedule stays the same. Transient objects
//!   are kept while the plan's placements stay the same.
//! - Barriers: each pass boundary is one `vkCmdPipelineBarrier2` call at most. Every queue kind
//!   runs on the device's one graphics-and-compute queue, so cross-queue waits become memory
//!   barriers, ownership releases are dropped, and acquires become plain barriers from
//!   everything before.
//! - Each pass gets a debug label and, when the device has timestamps, GPU timestamps around
//!   its commands; [`Executor::take_gpu_frames`] returns the times of finished frames.

use crate::context::{Context, Shared};
use crate::conv;
use crate::error::{Check, Error};
use crate::pipeline::Pipelines;
use crate::profile::{PendingGpuZone, Profiler};
use crate::recorder::{full_range, FrameResources, ImageRef, Recorder};
use crate::shader::ShaderCompiler;
use crate::views::Views;
use ash::vk;
use gpu_allocator::vulkan::{Allocation, AllocationCreateDesc, AllocationScheme, Allocator};
use gpu_allocator::MemoryLocation;
use rg_core::{
    Barrier, BufferHandle, Compiled, Format, Graph, ImageHandle, Lifetime, Placement, Plan,
    ResolvedImage, ResourceKind, TransferHalf, Usage,
};
use slotmap::SlotMap;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

/// A pass's recording: called once, with a recorder scoped to the pass.
pub type Pass = Box<dyn FnOnce(&mut Recorder<'_>) -> Result<(), Error>>;

slotmap::new_key_type! {
    /// A persistent buffer owned by the executor (see [`Executor::create_buffer`]).
    pub struct Buffer;
    /// A persistent image owned by the executor (see [`Executor::create_image`]), or a
    /// swapchain image registered with it.
    pub struct Image;
}

/// Where a persistent buffer lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemoryUse {
    /// Device-local; the GPU only.
    Device,
    /// Written by the host, read by the GPU.
    Upload,
    /// Written by the GPU, read back by the host.
    Readback,
}

/// How the executor runs frames.
#[derive(Clone, Debug)]
pub struct ExecutorConfig {
    /// Frames the CPU may record ahead of the GPU (at least 1).
    pub frames_in_flight: usize,
    /// Place transients at the plan's shared offsets (`true`), or give each its own memory with
    /// the same schedule and barriers (`false`, for frame captures and for comparisons).
    pub aliasing: bool,
    /// GPU timestamps around every pass (when the device supports them).
    pub timestamps: bool,
    /// The folder shader paths are relative to.
    pub shader_root: PathBuf,
    /// Send CPU and GPU zones, plots and messages to Tracy (needs the `tracy` feature; on by
    /// default when the feature is built).
    pub tracy: bool,
}

impl Default for ExecutorConfig {
    fn default() -> Self {
        ExecutorConfig {
            frames_in_flight: 2,
            aliasing: true,
            timestamps: true,
            shader_root: ShaderCompiler::workspace_root(),
            tracy: crate::profile::TRACY_BUILT,
        }
    }
}

/// What one frame did on the CPU side.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct FrameStats {
    /// The frame's number, counting from 0.
    pub frame: u64,
    pub passes_run: usize,
    pub passes_culled: usize,
    /// Buffer, image and memory barriers recorded.
    pub barriers: usize,
    /// `vkCmdPipelineBarrier2` calls.
    pub barrier_calls: usize,
    /// Bytes of transient memory the frame used (the heaps, or the separate allocations when
    /// aliasing is off).
    pub transient_bytes: u64,
    /// The plan's lower bound: the peak of transient bytes live at once.
    pub lower_bound_bytes: u64,
    /// What the transients would take with no aliasing.
    pub unaliased_bytes: u64,
    /// CPU time spent preparing, recording and submitting the frame, in microseconds.
    pub record_us: f64,
}

/// GPU times of one finished frame.
#[derive(Clone, Debug, PartialEq)]
pub struct GpuFrame {
    pub frame: u64,
    /// Each pass's label and the GPU time its commands took, in nanoseconds, in plan order.
    pub passes: Vec<(Arc<str>, f64)>,
}

/// Persistent resources bound to a frame's imports, and semaphores the submission waits on or
/// signals (swapchain acquire and present).
#[derive(Default)]
pub struct Bindings {
    buffers: Vec<(usize, Buffer)>,
    images: Vec<(usize, Image)>,
    pub(crate) wait: Vec<(vk::Semaphore, vk::PipelineStageFlags2)>,
    pub(crate) signal: Vec<vk::Semaphore>,
}

impl Bindings {
    pub fn new() -> Bindings {
        Bindings::default()
    }

    /// Binds an imported buffer of the graph to a persistent buffer.
    pub fn buffer(mut self, h: BufferHandle, b: Buffer) -> Bindings {
        self.buffers.push((h.index(), b));
        self
    }

    /// Binds an imported image of the graph to a persistent or swapchain image.
    pub fn image(mut self, h: ImageHandle, i: Image) -> Bindings {
        self.images.push((h.index(), i));
        self
    }
}

struct OwnedBuffer {
    label: String,
    buffer: vk::Buffer,
    allocation: Option<Allocation>,
    size: u64,
}

struct OwnedImage {
    label: String,
    r: ImageRef,
    allocation: Option<Allocation>,
    /// Swapchain images: the executor owns the view only.
    external: bool,
}

/// Something to destroy once the GPU has passed a timeline value.
enum Dead {
    Buffer(vk::Buffer),
    Image(vk::Image),
    View(vk::ImageView),
    Memory(vk::DeviceMemory),
    Allocation(Allocation),
}

struct Heap {
    memory: vk::DeviceMemory,
    size: u64,
    type_index: u32,
}

/// What a transient object was made for; objects are kept while this stays the same.
#[derive(Clone, PartialEq)]
struct TransientKey {
    resource: usize,
    buffer_size: Option<u64>,
    image: Option<ResolvedImage>,
    usage: Usage,
    placement: Option<Placement>,
}

#[derive(Default)]
struct Transients {
    key: Vec<TransientKey>,
    aliasing: bool,
    /// Heap generation the objects are bound to.
    generation: u64,
    buffers: Vec<(usize, vk::Buffer, u64)>,
    images: Vec<(usize, ImageRef)>,
    /// Separate memory of each transient when aliasing is off.
    memories: Vec<vk::DeviceMemory>,
    bytes: u64,
}

struct History {
    kind: ResourceKind,
    buffer_size: Option<u64>,
    image: Option<ResolvedImage>,
    buffer: vk::Buffer,
    r: Option<ImageRef>,
    allocation: Option<Allocation>,
    /// Whether a frame has left it in the plan's exit state yet.
    initialized: bool,
}

struct FrameSlot {
    pool: vk::CommandPool,
    cmd: vk::CommandBuffer,
    queries: vk::QueryPool,
    query_capacity: u32,
    /// Timeline value that marks this slot's last submission done (0: never submitted).
    value: u64,
    frame: u64,
    /// Labels of the timed passes of the last submission.
    timed: Vec<Arc<str>>,
    /// Their GPU zones, waiting for the timestamps (when profiling).
    gpu_zones: Vec<PendingGpuZone>,
}

/// Executes plans on one [`Context`].
pub struct Executor {
    device: ash::Device,
    debug: Option<ash::ext::debug_utils::Device>,
    push_descriptor: ash::khr::push_descriptor::Device,
    queue: vk::Queue,
    memory_properties: vk::PhysicalDeviceMemoryProperties,
    allocator: Option<Allocator>,
    buffers: SlotMap<Buffer, OwnedBuffer>,
    images: SlotMap<Image, OwnedImage>,
    timeline: vk::Semaphore,
    submitted: u64,
    slots: Vec<FrameSlot>,
    frame: u64,
    heaps: Vec<Heap>,
    heap_generation: u64,
    transients: Transients,
    history: HashMap<Arc<str>, History>,
    graveyard: Vec<(u64, Dead)>,
    pipelines: Option<Pipelines>,
    config: ExecutorConfig,
    timestamps: bool,
    timestamp_period: f64,
    finished: Vec<GpuFrame>,
    profiler: Profiler,
    queue_family: u32,
    instance: ash::Instance,
    physical: vk::PhysicalDevice,
    max_image_dimension: u32,
    /// Views of parts of images (a mip, a layer, the depth aspect).
    views: Views,
    /// Keeps the device alive while the executor is (dropped after `Drop::drop` has destroyed
    /// everything the executor made).
    _shared: Arc<Shared>,
}

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

impl Executor {
    /// An executor with the default configuration (two frames in flight, aliasing on,
    /// timestamps on, shaders from the workspace's `shaders/`).
    ///
    /// # Errors
    /// A failed Vulkan call.
    pub fn new(ctx: &Context) -> Result<Executor, Error> {
        Executor::with_config(ctx, ExecutorConfig::default())
    }

    /// An executor configured by `config`.
    ///
    /// # Errors
    /// A failed Vulkan call, or shaderc could not start.
    pub fn with_config(ctx: &Context, config: ExecutorConfig) -> Result<Executor, Error> {
        let device = ctx.device.clone();
        let allocator = Allocator::new(&gpu_allocator::vulkan::AllocatorCreateDesc {
            instance: ctx.instance.clone(),
            device: device.clone(),
            physical_device: ctx.physical,
            debug_settings: Default::default(),
            buffer_device_address: false,
            allocation_sizes: Default::default(),
        })
        .map_err(|e| Error::Allocator { label: "the executor".into(), source: e })?;
        let mut type_info = vk::SemaphoreTypeCreateInfo::default()
            .semaphore_type(vk::SemaphoreType::TIMELINE)
            .initial_value(0);
        let info = vk::SemaphoreCreateInfo::default().push_next(&mut type_info);
        // SAFETY: valid create info; destroyed in Drop after the GPU is idle.
        let timeline = unsafe { device.create_semaphore(&info, None) }
            .check("vkCreateSemaphore", "frame timeline")?;
        let profiler = if config.tracy { Profiler::tracy()? } else { Profiler::off() };
        let compiler = ShaderCompiler::new(config.shader_root.clone())?;
        let pipelines = Pipelines::new(device.clone(), compiler, &ctx.capabilities)?;
        let mut ex = Executor {
            device,
            debug: ctx.debug_device.clone(),
            push_descriptor: ctx.push_descriptor.clone(),
            queue: ctx.queue,
            memory_properties: ctx.memory_properties,
            allocator: Some(allocator),
            buffers: SlotMap::with_key(),
            images: SlotMap::with_key(),
            timeline,
            submitted: 0,
            slots: Vec::new(),
            frame: 0,
            heaps: Vec::new(),
            heap_generation: 0,
            transients: Transients::default(),
            history: HashMap::new(),
            graveyard: Vec::new(),
            pipelines: Some(pipelines),
            timestamps: config.timestamps && ctx.capabilities.timestamps,
            timestamp_period: ctx.capabilities.timestamp_period_ns as f64,
            config,
            finished: Vec::new(),
            profiler,
            queue_family: ctx.queue_family,
            instance: ctx.instance.clone(),
            physical: ctx.physical,
            max_image_dimension: ctx.capabilities.max_image_dimension_2d,
            views: Views::default(),
            _shared: ctx.shared.clone(),
        };
        for i in 0..ex.config.frames_in_flight.max(1) {
            let slot = ex.new_slot(ctx.queue_family, i)?;
            ex.slots.push(slot);
        }
        Ok(ex)
    }

    fn new_slot(&self, family: u32, i: usize) -> Result<FrameSlot, Error> {
        let label = format!("frame slot {i}");
        let info = vk::CommandPoolCreateInfo::default()
            .queue_family_index(family)
            .flags(vk::CommandPoolCreateFlags::TRANSIENT);
        // SAFETY: the device is alive; the pool is destroyed in Drop after the GPU is idle.
        let pool = unsafe { self.device.create_command_pool(&info, None) }
            .check("vkCreateCommandPool", &label)?;
        let alloc = vk::CommandBufferAllocateInfo::default()
            .command_pool(pool)
            .level(vk::CommandBufferLevel::PRIMARY)
            .command_buffer_count(1);
        // SAFETY: the pool belongs to this device and is used by this thread only.
        let cmd = match unsafe { self.device.allocate_command_buffers(&alloc) } {
            Ok(c) => c[0],
            Err(e) => {
                // SAFETY: the pool is unused.
                unsafe { self.device.destroy_command_pool(pool, None) };
                return Err(Error::Vulkan { call: "vkAllocateCommandBuffers", label, result: e });
            }
        };
        Ok(FrameSlot {
            pool,
            cmd,
            queries: vk::QueryPool::null(),
            query_capacity: 0,
            value: 0,
            frame: 0,
            timed: Vec::new(),
            gpu_zones: Vec::new(),
        })
    }

    fn allocator(&mut self) -> &mut Allocator {
        self.allocator.as_mut().expect("the allocator lives until Drop")
    }

    fn allocate(
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

    fn name_object<H: vk::Handle>(&self, handle: H, name: &str) {
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

    // ---- persistent resources ---------------------------------------------------------------

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
        let (r, allocation) = self.make_image(label, &plain_2d(format, width, height), None)?;
        Ok(self.images.insert(OwnedImage {
            label: label.to_owned(),
            r,
            allocation: Some(allocation),
            external: false,
        }))
    }

    /// Checks that the device supports `format`, with optimal tiling, for every use in `usage`.
    fn check_format(
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
    fn full_usage(&self, format: Format) -> vk::ImageUsageFlags {
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

    fn make_image(
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
    fn make_view(
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
    /// `height`, that stays alive until [`Executor::destroy_image`] is called on the result and
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
        // Registered images are attachments or are read through views: they get one.
        let r = self.make_view(image, &resolved, vk::ImageUsageFlags::SAMPLED, label)?;
        Ok(self.images.insert(OwnedImage {
            label: label.to_owned(),
            r,
            allocation: None,
            external: true,
        }))
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

    // ---- frames -----------------------------------------------------------------------------

    fn completed(&self) -> Result<u64, Error> {
        // SAFETY: our own timeline semaphore.
        unsafe { self.device.get_semaphore_counter_value(self.timeline) }
            .check("vkGetSemaphoreCounterValue", "frame timeline")
    }

    fn wait_for(&mut self, value: u64) -> Result<(), Error> {
        if value == 0 {
            return Ok(());
        }
        let sems = [self.timeline];
        let values = [value];
        let info = vk::SemaphoreWaitInfo::default().semaphores(&sems).values(&values);
        // SAFETY: waiting on our own timeline for a value that was (or will be) signalled by a
        // submitted frame.
        unsafe { self.device.wait_semaphores(&info, u64::MAX) }
            .check("vkWaitSemaphores", "frame timeline")?;
        self.collect_garbage()
    }

    /// Waits until the GPU has finished every submitted frame.
    ///
    /// # Errors
    /// Device loss.
    pub fn wait_idle(&mut self) -> Result<(), Error> {
        self.wait_for(self.submitted)?;
        // Oldest frame first: GPU frames and profiler zones are reported in submission order.
        let mut order: Vec<usize> = (0..self.slots.len()).collect();
        order.sort_by_key(|&i| self.slots[i].frame);
        for i in order {
            self.harvest(i)?;
        }
        Ok(())
    }

    fn collect_garbage(&mut self) -> Result<(), Error> {
        if self.graveyard.is_empty() {
            return Ok(());
        }
        let done = self.completed()?;
        let mut keep = Vec::new();
        for (at, dead) in std::mem::take(&mut self.graveyard) {
            if at > done {
                keep.push((at, dead));
                continue;
            }
            self.destroy_now(dead);
        }
        self.graveyard = keep;
        Ok(())
    }

    fn destroy_now(&mut self, dead: Dead) {
        // SAFETY: the GPU has passed every frame that could use the object.
        unsafe {
            match dead {
                Dead::Buffer(b) => self.device.destroy_buffer(b, None),
                Dead::Image(i) => self.device.destroy_image(i, None),
                Dead::View(v) => self.device.destroy_image_view(v, None),
                Dead::Memory(m) => self.device.free_memory(m, None),
                Dead::Allocation(a) => {
                    let _ = self.allocator().free(a);
                }
            }
        }
    }

    /// Reads the timestamps of the slot's finished submission.
    fn harvest(&mut self, i: usize) -> Result<(), Error> {
        let slot = &mut self.slots[i];
        if slot.timed.is_empty() || slot.queries == vk::QueryPool::null() {
            return Ok(());
        }
        let n = slot.timed.len();
        let mut data = vec![0u64; 2 * n];
        // SAFETY: the slot's submission is complete (the caller waited for its value), and every
        // query in the range was written by it.
        unsafe {
            self.device.get_query_pool_results(
                slot.queries,
                0,
                &mut data,
                vk::QueryResultFlags::TYPE_64,
            )
        }
        .check("vkGetQueryPoolResults", "pass timestamps")?;
        let period = self.timestamp_period;
        for (k, zone) in std::mem::take(&mut slot.gpu_zones).into_iter().enumerate() {
            self.profiler.gpu_zone_done(zone, data[2 * k], data[2 * k + 1]);
        }
        let slot = &mut self.slots[i];
        let passes = std::mem::take(&mut slot.timed)
            .into_iter()
            .enumerate()
            .map(|(k, label)| (label, data[2 * k + 1].saturating_sub(data[2 * k]) as f64 * period))
            .collect();
        self.finished.push(GpuFrame { frame: slot.frame, passes });
        Ok(())
    }

    /// The profiler this executor reports to: add zones, plots, messages and frame marks of
    /// your own through it, or keep its events (see [`Profiler::keep_events`]).
    pub fn profiler(&mut self) -> &mut Profiler {
        &mut self.profiler
    }

    /// Reads the GPU's timestamp counter now (a one-off submission, waited for), so that
    /// profilers can line GPU times up with the CPU clock.
    fn read_gpu_clock(&mut self) -> Result<u64, Error> {
        /// The objects of the one-off submission, destroyed however the reading ends.
        struct Scratch<'a> {
            device: &'a ash::Device,
            queue: vk::Queue,
            pool: vk::CommandPool,
            query: vk::QueryPool,
            fence: vk::Fence,
            in_flight: bool,
        }
        impl Drop for Scratch<'_> {
            fn drop(&mut self) {
                // SAFETY: each object is this device's and destroyed once; a submission that
                // was not waited for is waited for first, so nothing is destroyed in use.
                unsafe {
                    if self.in_flight {
                        let _ = self.device.queue_wait_idle(self.queue);
                    }
                    self.device.destroy_fence(self.fence, None);
                    self.device.destroy_query_pool(self.query, None);
                    self.device.destroy_command_pool(self.pool, None);
                }
            }
        }
        let at = "GPU clock";
        let device = &self.device;
        let mut s = Scratch {
            device,
            queue: self.queue,
            pool: vk::CommandPool::null(),
            query: vk::QueryPool::null(),
            fence: vk::Fence::null(),
            in_flight: false,
        };
        let pool = vk::CommandPoolCreateInfo::default()
            .queue_family_index(self.queue_family)
            .flags(vk::CommandPoolCreateFlags::TRANSIENT);
        let queries =
            vk::QueryPoolCreateInfo::default().query_type(vk::QueryType::TIMESTAMP).query_count(1);
        // SAFETY: valid create infos; `s` destroys what is made here.
        unsafe {
            s.pool = device.create_command_pool(&pool, None).check("vkCreateCommandPool", at)?;
            s.query = device.create_query_pool(&queries, None).check("vkCreateQueryPool", at)?;
            s.fence = device
                .create_fence(&vk::FenceCreateInfo::default(), None)
                .check("vkCreateFence", at)?;
        }
        let alloc = vk::CommandBufferAllocateInfo::default()
            .command_pool(s.pool)
            .level(vk::CommandBufferLevel::PRIMARY)
            .command_buffer_count(1);
        let begin = vk::CommandBufferBeginInfo::default()
            .flags(vk::CommandBufferUsageFlags::ONE_TIME_SUBMIT);
        // SAFETY: the command buffer is recorded, submitted once and waited for by its fence
        // before the query is read; the queue is used by this thread only.
        unsafe {
            let cmd =
                device.allocate_command_buffers(&alloc).check("vkAllocateCommandBuffers", at)?[0];
            device.begin_command_buffer(cmd, &begin).check("vkBeginCommandBuffer", at)?;
            device.cmd_reset_query_pool(cmd, s.query, 0, 1);
            device.cmd_write_timestamp2(cmd, vk::PipelineStageFlags2::ALL_COMMANDS, s.query, 0);
            device.end_command_buffer(cmd).check("vkEndCommandBuffer", at)?;
            let cmds = [vk::CommandBufferSubmitInfo::default().command_buffer(cmd)];
            let submit = vk::SubmitInfo2::default().command_buffer_infos(&cmds);
            device.queue_submit2(s.queue, &[submit], s.fence).check("vkQueueSubmit2", at)?;
            s.in_flight = true;
            device.wait_for_fences(&[s.fence], true, u64::MAX).check("vkWaitForFences", at)?;
            s.in_flight = false;
            let mut data = [0u64; 1];
            device
                .get_query_pool_results(s.query, 0, &mut data, vk::QueryResultFlags::TYPE_64)
                .check("vkGetQueryPoolResults", at)?;
            Ok(data[0])
        }
    }

    /// GPU times of the frames finished since the last call, oldest first.
    pub fn take_gpu_frames(&mut self) -> Vec<GpuFrame> {
        std::mem::take(&mut self.finished)
    }

    fn heap(&mut self, index: usize, size: u64, bits: u32) -> Result<vk::DeviceMemory, Error> {
        let type_index = self.memory_type(bits).ok_or_else(|| Error::NoMemoryType {
            label: format!("transient heap {index}"),
            bits,
            wanted: vk::MemoryPropertyFlags::DEVICE_LOCAL,
        })?;
        if let Some(h) = self.heaps.get(index) {
            if h.size >= size && h.type_index == type_index {
                return Ok(h.memory);
            }
        }
        let memory = self.allocate_memory(&format!("transient heap {index}"), size, type_index)?;
        let heap = Heap { memory, size, type_index };
        self.heap_generation += 1;
        if index < self.heaps.len() {
            let old = std::mem::replace(&mut self.heaps[index], heap);
            self.graveyard.push((self.submitted, Dead::Memory(old.memory)));
        } else {
            self.heaps.push(heap);
        }
        Ok(memory)
    }

    fn memory_type(&self, bits: u32) -> Option<u32> {
        let p = &self.memory_properties;
        let find = |wanted: vk::MemoryPropertyFlags| {
            (0..p.memory_type_count).find(|&i| {
                bits & (1 << i) != 0 && p.memory_types[i as usize].property_flags.contains(wanted)
            })
        };
        find(vk::MemoryPropertyFlags::DEVICE_LOCAL)
            .or_else(|| find(vk::MemoryPropertyFlags::empty()))
    }

    fn allocate_memory(
        &self,
        label: &str,
        size: u64,
        type_index: u32,
    ) -> Result<vk::DeviceMemory, Error> {
        let alloc = vk::MemoryAllocateInfo::default()
            .allocation_size(size.max(1))
            .memory_type_index(type_index);
        // SAFETY: valid allocate info; freed through the graveyard or in Drop.
        unsafe { self.device.allocate_memory(&alloc, None) }
            .map_err(|_| Error::OutOfMemory { label: label.to_owned(), bytes: size })
    }

    /// Makes (or keeps) the transient objects of `plan`.
    fn prepare_transients(&mut self, plan: &Plan) -> Result<(), Error> {
        let aliasing = self.config.aliasing;
        let key: Vec<TransientKey> = plan
            .resources
            .iter()
            .enumerate()
            .filter(|(_, r)| r.placement.is_some())
            .map(|(i, r)| TransientKey {
                resource: i,
                buffer_size: r.buffer_size,
                image: r.image,
                usage: r.usage,
                placement: r.placement,
            })
            .collect();
        if aliasing {
            for (h, heap) in plan.heaps.iter().enumerate() {
                self.heap(h, heap.size, heap.memory_type_bits)?;
            }
        }
        let t = &self.transients;
        if t.key == key
            && t.aliasing == aliasing
            && (!aliasing || t.generation == self.heap_generation)
        {
            return Ok(());
        }
        // Retire the old objects once the frames using them are done.
        let old = std::mem::take(&mut self.transients);
        self.retire(old);
        let mut made = Transients {
            key: Vec::new(),
            aliasing,
            generation: self.heap_generation,
            ..Transients::default()
        };
        let result = self.make_transients(plan, &key, &mut made);
        made.bytes = if aliasing { plan.heaps.iter().map(|h| h.size).sum() } else { made.bytes };
        match result {
            Ok(()) => {
                made.key = key;
                self.transients = made;
                Ok(())
            }
            Err(e) => {
                // Whatever was made is not used by any frame: destroy it with the next garbage.
                self.retire(made);
                Err(e)
            }
        }
    }

    /// Hands a set of transient objects to the graveyard, to be destroyed once every frame
    /// submitted so far is done.
    fn retire(&mut self, t: Transients) {
        let at = self.submitted;
        for (_, b, _) in t.buffers {
            self.graveyard.push((at, Dead::Buffer(b)));
        }
        for (_, r) in t.images {
            self.graveyard.push((at, Dead::View(r.view)));
            self.graveyard
                .extend(self.views.take_for(r.image).into_iter().map(|v| (at, Dead::View(v))));
            self.graveyard.push((at, Dead::Image(r.image)));
        }
        for m in t.memories {
            self.graveyard.push((at, Dead::Memory(m)));
        }
    }

    fn make_transients(
        &mut self,
        plan: &Plan,
        key: &[TransientKey],
        made: &mut Transients,
    ) -> Result<(), Error> {
        for k in key {
            let r = &plan.resources[k.resource];
            let p = k.placement.expect("transients in the key are placed");
            let (memory, offset) = if made.aliasing {
                (self.heaps[p.heap].memory, p.offset)
            } else {
                let bits = r.requirements.map_or(u32::MAX, |q| q.memory_type_bits);
                let type_index = self.memory_type(bits).ok_or_else(|| Error::NoMemoryType {
                    label: r.label.to_string(),
                    bits,
                    wanted: vk::MemoryPropertyFlags::DEVICE_LOCAL,
                })?;
                let m = self.allocate_memory(&r.label, p.size, type_index)?;
                made.memories.push(m);
                made.bytes += p.size;
                (m, 0)
            };
            match (r.buffer_size, r.image) {
                (Some(size), _) => {
                    let info = crate::memory::buffer_info(size, r.usage);
                    // SAFETY: valid create info; retired through the graveyard.
                    let b = unsafe { self.device.create_buffer(&info, None) }
                        .check("vkCreateBuffer", &r.label)?;
                    made.buffers.push((k.resource, b, size));
                    // SAFETY: the memory type comes from the plan's type bits, which this very
                    // buffer's requirements (asked with the same create info) contributed to;
                    // the offset honours its alignment.
                    unsafe { self.device.bind_buffer_memory(b, memory, offset) }
                        .check("vkBindBufferMemory", &r.label)?;
                    self.name_object(b, &r.label);
                }
                (None, Some(image)) => {
                    let usage = conv::image_usage(r.usage);
                    self.check_format(&r.label, image.format, usage)?;
                    let info = crate::memory::image_info(&image, usage, true);
                    // SAFETY: as for buffers.
                    let i = unsafe { self.device.create_image(&info, None) }
                        .check("vkCreateImage", &r.label)?;
                    // SAFETY: as for buffers.
                    if let Err(e) = unsafe { self.device.bind_image_memory(i, memory, offset) } {
                        // SAFETY: unused.
                        unsafe { self.device.destroy_image(i, None) };
                        return Err(Error::Vulkan {
                            call: "vkBindImageMemory",
                            label: r.label.to_string(),
                            result: e,
                        });
                    }
                    let view = match self.make_view(i, &image, usage, &r.label) {
                        Ok(v) => v,
                        Err(e) => {
                            // SAFETY: unused.
                            unsafe { self.device.destroy_image(i, None) };
                            return Err(e);
                        }
                    };
                    self.name_object(i, &r.label);
                    made.images.push((k.resource, view));
                }
                (None, None) => {}
            }
        }
        Ok(())
    }

    /// Finds or makes the history resource of `plan`'s resource `i`.
    fn history_for(
        &mut self,
        plan: &Plan,
        i: usize,
    ) -> Result<(vk::Buffer, Option<ImageRef>, bool), Error> {
        let r = &plan.resources[i];
        if let Some(h) = self.history.get(&r.label) {
            if h.kind == r.kind && h.buffer_size == r.buffer_size && h.image == r.image {
                return Ok((h.buffer, h.r, h.initialized));
            }
            // The description changed (a resize): the old one goes, a new one starts empty.
            let old = self.history.remove(&r.label).expect("present");
            let at = self.submitted;
            if old.buffer != vk::Buffer::null() {
                self.graveyard.push((at, Dead::Buffer(old.buffer)));
            }
            if let Some(ir) = old.r {
                self.graveyard.push((at, Dead::View(ir.view)));
                self.graveyard
                    .extend(self.views.take_for(ir.image).into_iter().map(|v| (at, Dead::View(v))));
                self.graveyard.push((at, Dead::Image(ir.image)));
            }
            if let Some(a) = old.allocation {
                self.graveyard.push((at, Dead::Allocation(a)));
            }
        }
        let label = r.label.clone();
        let h = match (r.buffer_size, r.image) {
            (Some(size), _) => {
                let b = self.create_buffer(&label, size, MemoryUse::Device)?;
                let o = self.buffers.remove(b).expect("just made");
                History {
                    kind: r.kind,
                    buffer_size: r.buffer_size,
                    image: None,
                    buffer: o.buffer,
                    r: None,
                    allocation: o.allocation,
                    initialized: false,
                }
            }
            (None, Some(image)) => {
                let (ir, a) = self.make_image(&label, &image, None)?;
                History {
                    kind: r.kind,
                    buffer_size: None,
                    image: Some(image),
                    buffer: vk::Buffer::null(),
                    r: Some(ir),
                    allocation: Some(a),
                    initialized: false,
                }
            }
            (None, None) => {
                unreachable!("rg-core bug: history resource `{label}` has neither size")
            }
        };
        let out = (h.buffer, h.r, false);
        self.history.insert(label, h);
        Ok(out)
    }

    /// Runs one compiled frame (see [`rg_core::Compiler::compile_frame`]): the graph's passes
    /// record in the plan's order, with the plan's barriers between them. `bindings` binds each
    /// imported resource to a persistent one. Returns once the frame is submitted; the GPU may
    /// still be working on it (see [`Executor::wait_idle`]). Running consumes the frame, so a
    /// graph runs once, and with its own plan.
    ///
    /// # Errors
    /// An unbound import, a pass that records on what it did not declare (another resource,
    /// another version, another graph, another subresource) or binds what its shader does not
    /// take, a shader error, a failed Vulkan call. Nothing is submitted then.
    pub fn run(&mut self, frame: Compiled<Pass>, bindings: &Bindings) -> Result<FrameStats, Error> {
        let start = Instant::now();
        let (mut graph, plan) = frame.into_parts();
        let (graph, plan) = (&mut graph, &*plan);
        let _zone = self.profiler.zone("executor.run");
        if self.timestamps && self.profiler.wants_gpu_context() {
            let now = self.read_gpu_clock()?;
            let queue = format!("graphics+compute queue (family {})", self.queue_family);
            self.profiler.gpu_context(&queue, now, self.timestamp_period as f32);
        }
        let slot_index = (self.frame % self.slots.len() as u64) as usize;
        let wait = self.slots[slot_index].value;
        self.wait_for(wait)?;
        self.harvest(slot_index)?;
        self.collect_garbage()?;

        // Resources of this frame, by plan index.
        let n = plan.resources.len();
        let mut frame = FrameResources {
            buffers: vec![vk::Buffer::null(); n],
            buffer_sizes: vec![0; n],
            images: vec![None; n],
        };
        // History images seen for the first time start in UNDEFINED.
        let mut fresh_history = Vec::new();
        for (i, r) in plan.resources.iter().enumerate() {
            if r.first_use.is_none() {
                continue;
            }
            match r.lifetime {
                Lifetime::Transient => {}
                Lifetime::Imported { .. } => match r.kind {
                    ResourceKind::Buffer => {
                        let bound = bindings.buffers.iter().find(|(h, _)| *h == i);
                        let o = bound.and_then(|(_, b)| self.buffers.get(*b)).ok_or_else(|| {
                            Error::Import {
                                label: r.label.to_string(),
                                problem: "is not bound to a live buffer".into(),
                            }
                        })?;
                        frame.buffers[i] = o.buffer;
                        frame.buffer_sizes[i] = o.size;
                    }
                    ResourceKind::Image => {
                        let bound = bindings.images.iter().find(|(h, _)| *h == i);
                        let o = bound.and_then(|(_, b)| self.images.get(*b)).ok_or_else(|| {
                            Error::Import {
                                label: r.label.to_string(),
                                problem: "is not bound to a live image".into(),
                            }
                        })?;
                        if let Some(want) = r.image {
                            if (want.extent.width, want.extent.height)
                                != (o.r.extent.width, o.r.extent.height)
                                || conv::format(want.format) != o.r.format
                            {
                                return Err(Error::Import {
                                    label: r.label.to_string(),
                                    problem: format!(
                                        "is declared {}x{} {:?} but bound to `{}`, {}x{} {:?}",
                                        want.extent.width,
                                        want.extent.height,
                                        want.format,
                                        o.label,
                                        o.r.extent.width,
                                        o.r.extent.height,
                                        o.r.format
                                    ),
                                });
                            }
                        }
                        frame.images[i] = Some(o.r);
                    }
                },
                Lifetime::Temporal => {
                    let (b, ir, initialized) = self.history_for(plan, i)?;
                    frame.buffers[i] = b;
                    frame.buffer_sizes[i] = r.buffer_size.unwrap_or(0);
                    frame.images[i] = ir;
                    if !initialized {
                        fresh_history.push(i);
                    }
                }
            }
        }
        {
            let _zone = self.profiler.zone("executor.transients");
            self.prepare_transients(plan)?;
        }
        for &(i, b, size) in &self.transients.buffers {
            frame.buffers[i] = b;
            frame.buffer_sizes[i] = size;
        }
        for &(i, r) in &self.transients.images {
            frame.images[i] = Some(r);
        }

        let counts =
            self.record_and_submit(graph, plan, &frame, &fresh_history, bindings, slot_index)?;
        for i in fresh_history {
            if let Some(h) = self.history.get_mut(&plan.resources[i].label) {
                h.initialized = true;
            }
        }
        let stats = FrameStats {
            frame: self.frame,
            passes_run: plan.passes.len(),
            passes_culled: plan.culled.len(),
            barriers: counts.0,
            barrier_calls: counts.1,
            transient_bytes: self.transients.bytes,
            lower_bound_bytes: plan.stats.lower_bound_bytes,
            unaliased_bytes: plan.stats.unaliased_bytes,
            record_us: start.elapsed().as_secs_f64() * 1e6,
        };
        let p = &mut self.profiler;
        p.plot("passes run", stats.passes_run as f64);
        p.plot("passes culled", stats.passes_culled as f64);
        p.plot("barriers", stats.barriers as f64);
        p.plot("transient bytes", stats.transient_bytes as f64);
        p.plot("transient lower bound bytes", stats.lower_bound_bytes as f64);
        p.plot("transient unaliased bytes", stats.unaliased_bytes as f64);
        self.frame += 1;
        Ok(stats)
    }

    #[allow(clippy::too_many_arguments)]
    fn record_and_submit(
        &mut self,
        graph: &mut Graph<Pass>,
        plan: &Plan,
        frame: &FrameResources,
        fresh_history: &[usize],
        bindings: &Bindings,
        slot_index: usize,
    ) -> Result<(usize, usize), Error> {
        let timed = self.timestamps && !plan.passes.is_empty();
        let queries_needed = 2 * plan.passes.len() as u32;
        if timed && self.slots[slot_index].query_capacity < queries_needed {
            let capacity = queries_needed.next_power_of_two().max(64);
            let info = vk::QueryPoolCreateInfo::default()
                .query_type(vk::QueryType::TIMESTAMP)
                .query_count(capacity);
            // SAFETY: valid create info; the old pool's submission is complete (waited above).
            let pool = unsafe { self.device.create_query_pool(&info, None) }
                .check("vkCreateQueryPool", "pass timestamps")?;
            let slot = &mut self.slots[slot_index];
            if slot.queries != vk::QueryPool::null() {
                // SAFETY: the slot's last submission is complete.
                unsafe { self.device.destroy_query_pool(slot.queries, None) };
            }
            slot.queries = pool;
            slot.query_capacity = capacity;
        }
        let (pool, cmd, queries) = {
            let s = &self.slots[slot_index];
            (s.pool, s.cmd, s.queries)
        };
        // SAFETY: the slot's last submission is complete, so its pool's buffers are not in use.
        unsafe { self.device.reset_command_pool(pool, vk::CommandPoolResetFlags::empty()) }
            .check("vkResetCommandPool", "frame")?;
        let begin = vk::CommandBufferBeginInfo::default()
            .flags(vk::CommandBufferUsageFlags::ONE_TIME_SUBMIT);
        // SAFETY: a reset primary command buffer of this slot.
        unsafe { self.device.begin_command_buffer(cmd, &begin) }
            .check("vkBeginCommandBuffer", "frame")?;
        if timed {
            // SAFETY: the pool is not in use by the GPU (see above).
            unsafe { self.device.cmd_reset_query_pool(cmd, queries, 0, queries_needed) };
        }
        let mut batch = Batch::default();
        let mut counts = (0usize, 0usize);
        // Frames share transient memory and history resources: everything the previous frames
        // did comes before this frame's first use (their commands precede it in submission
        // order on the one queue).
        batch.memory.push(
            vk::MemoryBarrier2::default()
                .src_stage_mask(vk::PipelineStageFlags2::ALL_COMMANDS)
                .src_access_mask(vk::AccessFlags2::MEMORY_WRITE)
                .dst_stage_mask(vk::PipelineStageFlags2::ALL_COMMANDS)
                .dst_access_mask(vk::AccessFlags2::MEMORY_READ | vk::AccessFlags2::MEMORY_WRITE),
        );
        for &i in fresh_history {
            let (Some(img), Some(entry)) = (frame.images[i], plan.resources[i].entry) else {
                continue;
            };
            let layout = entry.layout.map_or(vk::ImageLayout::GENERAL, conv::layout);
            if layout == vk::ImageLayout::UNDEFINED {
                continue;
            }
            batch.images.push(
                vk::ImageMemoryBarrier2::default()
                    .src_stage_mask(vk::PipelineStageFlags2::NONE)
                    .dst_stage_mask(vk::PipelineStageFlags2::ALL_COMMANDS)
                    .dst_access_mask(vk::AccessFlags2::MEMORY_READ | vk::AccessFlags2::MEMORY_WRITE)
                    .old_layout(vk::ImageLayout::UNDEFINED)
                    .new_layout(layout)
                    .src_queue_family_index(vk::QUEUE_FAMILY_IGNORED)
                    .dst_queue_family_index(vk::QUEUE_FAMILY_IGNORED)
                    .image(img.image)
                    .subresource_range(full_range(&img)),
            );
        }
        counts = batch.flush(&self.device, cmd, counts);
        batch.push_all(plan, &plan.prologue, frame, false);
        counts = batch.flush(&self.device, cmd, counts);

        let Executor { device, push_descriptor, pipelines, debug, profiler, views, .. } = self;
        let pipelines = pipelines.as_mut().expect("pipelines live until Drop");
        let mut labels = Vec::with_capacity(plan.passes.len());
        let mut gpu_zones = Vec::new();
        let mut name = Vec::with_capacity(64);
        let recorded: Result<(), Error> = (|| {
            for (k, pass) in plan.passes.iter().enumerate() {
                for w in plan.waits_of(pass) {
                    // One queue runs every kind: a wait becomes "everything before, to the
                    // waiting stages".
                    batch.memory.push(
                        vk::MemoryBarrier2::default()
                            .src_stage_mask(vk::PipelineStageFlags2::ALL_COMMANDS)
                            .src_access_mask(vk::AccessFlags2::MEMORY_WRITE)
                            .dst_stage_mask(conv::stages(w.stages.and_later()))
                            .dst_access_mask(
                                vk::AccessFlags2::MEMORY_READ | vk::AccessFlags2::MEMORY_WRITE,
                            ),
                    );
                }
                batch.push_all(plan, plan.barriers_of(pass), frame, !pass.waits.is_empty());
                counts = batch.flush(device, cmd, counts);
                if let Some(d) = debug {
                    name.clear();
                    name.extend(pass.label.bytes().filter(|&b| b != 0));
                    name.push(0);
                    let name = std::ffi::CStr::from_bytes_with_nul(&name).unwrap_or(c"pass");
                    let label = vk::DebugUtilsLabelEXT::default().label_name(name);
                    // SAFETY: the command buffer is recording.
                    unsafe { d.cmd_begin_debug_utils_label(cmd, &label) };
                }
                let _zone = profiler.zone(&pass.label);
                let mut gpu_zone = if timed { profiler.gpu_zone_begin(&pass.label) } else { None };
                if timed {
                    // SAFETY: query 2k was reset at the start of this command buffer.
                    unsafe {
                        device.cmd_write_timestamp2(
                            cmd,
                            vk::PipelineStageFlags2::TOP_OF_PIPE,
                            queries,
                            2 * k as u32,
                        )
                    };
                }
                if let Some(record) = graph.take_payload(pass.id) {
                    let mut rec = Recorder::new(
                        device,
                        push_descriptor,
                        cmd,
                        &pass.label,
                        graph.id(),
                        plan.accesses_of(pass),
                        plan,
                        frame,
                        pipelines,
                        views,
                    );
                    let result = record(&mut rec);
                    rec.finish();
                    // Every recorder error names the pass already.
                    result?;
                }
                if timed {
                    // SAFETY: as above.
                    unsafe {
                        device.cmd_write_timestamp2(
                            cmd,
                            vk::PipelineStageFlags2::BOTTOM_OF_PIPE,
                            queries,
                            2 * k as u32 + 1,
                        )
                    };
                    labels.push(pass.label.clone());
                    if let Some(mut z) = gpu_zone.take() {
                        z.end();
                        gpu_zones.push(z);
                    }
                }
                if let Some(d) = debug {
                    // SAFETY: ends the label begun above.
                    unsafe { d.cmd_end_debug_utils_label(cmd) };
                }
                batch.push_all(plan, plan.releases_of(pass), frame, false);
                counts = batch.flush(device, cmd, counts);
            }
            batch.push_all(plan, &plan.epilogue, frame, false);
            counts = batch.flush(device, cmd, counts);
            Ok(())
        })();
        // SAFETY: the command buffer is recording (ending it also after a failed pass, so the
        // pool reset at the slot's next use finds it in a valid state).
        let ended =
            unsafe { self.device.end_command_buffer(cmd) }.check("vkEndCommandBuffer", "frame");
        recorded?;
        ended?;

        let value = self.submitted + 1;
        let cmds = [vk::CommandBufferSubmitInfo::default().command_buffer(cmd)];
        let waits: Vec<vk::SemaphoreSubmitInfo> = bindings
            .wait
            .iter()
            .map(|&(s, stage)| vk::SemaphoreSubmitInfo::default().semaphore(s).stage_mask(stage))
            .collect();
        let mut signals = vec![vk::SemaphoreSubmitInfo::default()
            .semaphore(self.timeline)
            .value(value)
            .stage_mask(vk::PipelineStageFlags2::ALL_COMMANDS)];
        signals.extend(bindings.signal.iter().map(|&s| {
            vk::SemaphoreSubmitInfo::default()
                .semaphore(s)
                .stage_mask(vk::PipelineStageFlags2::ALL_COMMANDS)
        }));
        let submit = vk::SubmitInfo2::default()
            .command_buffer_infos(&cmds)
            .wait_semaphore_infos(&waits)
            .signal_semaphore_infos(&signals);
        let zone = self.profiler.zone("executor.submit");
        // SAFETY: the queue is used by this thread only; everything the command buffer names
        // lives until the timeline passes `value` (deferred destruction).
        unsafe { self.device.queue_submit2(self.queue, &[submit], vk::Fence::null()) }
            .check("vkQueueSubmit2", "frame")?;
        drop(zone);
        self.submitted = value;
        let slot = &mut self.slots[slot_index];
        slot.value = value;
        slot.frame = self.frame;
        slot.timed = labels;
        slot.gpu_zones = gpu_zones;
        Ok(counts)
    }
}

/// A 2D image of one mip, one layer and one sample: persistent and swapchain images.
fn plain_2d(format: Format, width: u32, height: u32) -> ResolvedImage {
    ResolvedImage {
        format,
        extent: rg_core::Extent::new(width, height),
        mip_levels: 1,
        array_layers: 1,
        samples: 1,
    }
}

/// The barriers of one pass boundary, recorded as a single call.
#[derive(Default)]
struct Batch {
    memory: Vec<vk::MemoryBarrier2<'static>>,
    buffers: Vec<vk::BufferMemoryBarrier2<'static>>,
    images: Vec<vk::ImageMemoryBarrier2<'static>>,
}

impl Batch {
    /// Adds the plan's `barriers`. `after_wait`: the pass waits on another queue, which on the
    /// one queue is a memory barrier from everything before in this same call; barriers in one
    /// call do not chain, so each barrier's first scope takes everything before as well.
    fn push_all(
        &mut self,
        plan: &Plan,
        barriers: &[Barrier],
        frame: &FrameResources,
        after_wait: bool,
    ) {
        for b in barriers {
            let mut src_stages = conv::stages(b.src_stages);
            let mut src_access = conv::access(b.src_access);
            if b.discard && src_stages.is_empty() {
                // The first use of a transient in the frame: its memory may have been used by
                // the previous frame, whose work the frame's first barrier orders before
                // everything. A first scope of the stages about to run chains with it.
                src_stages = conv::stages(b.dst_stages);
            }
            if after_wait {
                src_stages |= vk::PipelineStageFlags2::ALL_COMMANDS;
                src_access |= vk::AccessFlags2::MEMORY_WRITE;
            }
            match b.transfer.map(|t| t.half) {
                // Every queue kind runs on the same queue, so a release has nothing to release
                // to, and an acquire waits for everything before it.
                Some(TransferHalf::Release) => continue,
                Some(TransferHalf::Acquire) => {
                    src_stages = vk::PipelineStageFlags2::ALL_COMMANDS;
                    src_access = vk::AccessFlags2::MEMORY_WRITE;
                }
                None => {}
            }
            let dst_stages = conv::stages(b.dst_stages);
            let dst_access = conv::access(b.dst_access);
            match plan.resources[b.resource].kind {
                ResourceKind::Buffer => {
                    let buffer = frame.buffers.get(b.resource).copied().unwrap_or_default();
                    if buffer == vk::Buffer::null() {
                        continue;
                    }
                    self.buffers.push(
                        vk::BufferMemoryBarrier2::default()
                            .src_stage_mask(src_stages)
                            .src_access_mask(src_access)
                            .dst_stage_mask(dst_stages)
                            .dst_access_mask(dst_access)
                            .src_queue_family_index(vk::QUEUE_FAMILY_IGNORED)
                            .dst_queue_family_index(vk::QUEUE_FAMILY_IGNORED)
                            .buffer(buffer)
                            .offset(0)
                            .size(vk::WHOLE_SIZE),
                    );
                }
                ResourceKind::Image => {
                    let Some(img) = frame.images.get(b.resource).copied().flatten() else {
                        continue;
                    };
                    let Some((old, new)) = b.layout else {
                        self.memory.push(
                            vk::MemoryBarrier2::default()
                                .src_stage_mask(src_stages)
                                .src_access_mask(src_access)
                                .dst_stage_mask(dst_stages)
                                .dst_access_mask(dst_access),
                        );
                        continue;
                    };
                    let old =
                        if b.discard { vk::ImageLayout::UNDEFINED } else { conv::layout(old) };
                    self.images.push(
                        vk::ImageMemoryBarrier2::default()
                            .src_stage_mask(src_stages)
                            .src_access_mask(src_access)
                            .dst_stage_mask(dst_stages)
                            .dst_access_mask(dst_access)
                            .old_layout(old)
                            .new_layout(conv::layout(new))
                            .src_queue_family_index(vk::QUEUE_FAMILY_IGNORED)
                            .dst_queue_family_index(vk::QUEUE_FAMILY_IGNORED)
                            .image(img.image)
                            .subresource_range(crate::views::range(b.subresource, img.aspect)),
                    );
                }
            }
        }
    }

    fn flush(
        &mut self,
        device: &ash::Device,
        cmd: vk::CommandBuffer,
        (n, calls): (usize, usize),
    ) -> (usize, usize) {
        if self.memory.is_empty() && self.buffers.is_empty() && self.images.is_empty() {
            return (n, calls);
        }
        let count = self.memory.len() + self.buffers.len() + self.images.len();
        let dep = vk::DependencyInfo::default()
            .memory_barriers(&self.memory)
            .buffer_memory_barriers(&self.buffers)
            .image_memory_barriers(&self.images);
        // SAFETY: the command buffer is recording and every resource named is alive for the
        // frame.
        unsafe { device.cmd_pipeline_barrier2(cmd, &dep) };
        self.memory.clear();
        self.buffers.clear();
        self.images.clear();
        (n + count, calls + 1)
    }
}

impl Drop for Executor {
    fn drop(&mut self) {
        // SAFETY: waiting for the device first, so nothing below is in flight when destroyed.
        unsafe {
            let _ = self.device.device_wait_idle();
        }
        for (_, dead) in std::mem::take(&mut self.graveyard) {
            self.destroy_now(dead);
        }
        for v in self.views.drain() {
            // SAFETY: the device is idle; the views' images are destroyed below.
            unsafe { self.device.destroy_image_view(v, None) };
        }
        let t = std::mem::take(&mut self.transients);
        let owned: Vec<OwnedBuffer> = self.buffers.drain().map(|(_, o)| o).collect();
        let images: Vec<OwnedImage> = self.images.drain().map(|(_, o)| o).collect();
        let history: Vec<History> = self.history.drain().map(|(_, h)| h).collect();
        // SAFETY: the device is idle; every object below belongs to this executor.
        unsafe {
            for (_, b, _) in t.buffers {
                self.device.destroy_buffer(b, None);
            }
            for (_, r) in t.images {
                self.device.destroy_image_view(r.view, None);
                self.device.destroy_image(r.image, None);
            }
            for m in t.memories {
                self.device.free_memory(m, None);
            }
            for h in self.heaps.drain(..) {
                self.device.free_memory(h.memory, None);
            }
        }
        let allocator = self.allocator.as_mut().expect("present until here");
        for o in owned {
            // SAFETY: idle device.
            unsafe { self.device.destroy_buffer(o.buffer, None) };
            if let Some(a) = o.allocation {
                let _ = allocator.free(a);
            }
        }
        for o in images {
            // SAFETY: idle device.
            unsafe {
                self.device.destroy_image_view(o.r.view, None);
                if !o.external {
                    self.device.destroy_image(o.r.image, None);
                }
            }
            if let Some(a) = o.allocation {
                let _ = allocator.free(a);
            }
        }
        for h in history {
            // SAFETY: idle device.
            unsafe {
                if h.buffer != vk::Buffer::null() {
                    self.device.destroy_buffer(h.buffer, None);
                }
                if let Some(r) = h.r {
                    self.device.destroy_image_view(r.view, None);
                    self.device.destroy_image(r.image, None);
                }
            }
            if let Some(a) = h.allocation {
                let _ = allocator.free(a);
            }
        }
        self.pipelines = None;
        self.allocator = None;
        // SAFETY: idle device; the slots' command buffers are freed with their pools.
        unsafe {
            for s in self.slots.drain(..) {
                if s.queries != vk::QueryPool::null() {
                    self.device.destroy_query_pool(s.queries, None);
                }
                self.device.destroy_command_pool(s.pool, None);
            }
            self.device.destroy_semaphore(self.timeline, None);
        }
    }
}

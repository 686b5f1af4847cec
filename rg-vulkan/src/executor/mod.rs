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
use crate::memory::DeviceMemory;
use crate::pipeline::Pipelines;
use crate::profile::{PendingGpuZone, Profiler};
use crate::recorder::{full_range, FrameResources, ImageRef, Recorder};
use crate::shader::ShaderCompiler;
use crate::views::Views;
use ash::vk;
use gpu_allocator::vulkan::{Allocation, AllocationCreateDesc, AllocationScheme, Allocator};
use gpu_allocator::MemoryLocation;
use rg_core::MemoryOracle;
use rg_core::{
    Barrier, BufferHandle, Compiled, Format, Graph, ImageHandle, Lifetime, Placement, Plan,
    ResolvedImage, ResourceKind, TransferHalf, Usage,
};
use slotmap::SlotMap;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

mod capture;
mod frames;
mod history;
mod record;
mod reload;
mod resources;
mod transients;

pub use capture::FrameCapture;
pub use reload::ShaderReload;

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
    /// GPU timestamps around every pass (when the device supports them). Also switched per
    /// frame with [`Executor::set_timestamps`].
    pub timestamps: bool,
    /// A debug label around every pass (when `VK_EXT_debug_utils` is there), which RenderDoc
    /// and validation messages show. Also switched per frame with [`Executor::set_labels`].
    pub labels: bool,
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
            labels: true,
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
    /// The swapchain generations of the images it presents (see `swapchain::generation_alive`).
    pub(crate) generations: Vec<u64>,
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
    /// What the image was made for: a frame may use it for these only.
    usage: vk::ImageUsageFlags,
    /// For an external image, whether what owns it (a swapchain) is still alive; a frame
    /// refuses an image whose owner is gone.
    owner: Option<std::sync::Weak<()>>,
}

/// Something to destroy once the GPU has passed a timeline value.
enum Dead {
    Buffer(vk::Buffer),
    Image(vk::Image),
    View(vk::ImageView),
    Memory(vk::DeviceMemory),
    Allocation(Allocation),
    /// A pipeline (and maybe its layouts) replaced by a shader reload.
    Pipeline(reload::Retired),
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
    /// The pool was reset after its last submission finished, so the next frame need not
    /// (resetting frees every command recorded: on a CPU driver, thousands of them).
    recycled: bool,
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
    /// Whether the device can take timestamps at all.
    timestamps_supported: bool,
    labels: bool,
    timestamp_period: f64,
    finished: Vec<GpuFrame>,
    profiler: Profiler,
    queue_family: u32,
    instance: ash::Instance,
    physical: vk::PhysicalDevice,
    max_image_dimension: u32,
    /// Views of parts of images (a mip, a layer, the depth aspect).
    views: Views,
    /// The device's answers to memory questions: plans must be placed with them.
    memory: DeviceMemory,
    /// Keeps the device alive while the executor is (dropped after `Drop::drop` has destroyed
    /// everything the executor made).
    _shared: Arc<Shared>,
}

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
            timestamps_supported: ctx.capabilities.timestamps,
            labels: config.labels,
            timestamp_period: ctx.capabilities.timestamp_period_ns as f64,
            config,
            finished: Vec::new(),
            profiler,
            queue_family: ctx.queue_family,
            instance: ctx.instance.clone(),
            physical: ctx.physical,
            max_image_dimension: ctx.capabilities.max_image_dimension_2d,
            views: Views::default(),
            memory: DeviceMemory::new(ctx),
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
            recycled: true,
            timed: Vec::new(),
            gpu_zones: Vec::new(),
        })
    }

    // ---- persistent resources ---------------------------------------------------------------

    // ---- frames -----------------------------------------------------------------------------

    /// Frames the CPU may record ahead of the GPU (`ExecutorConfig::frames_in_flight`, at
    /// least 1).
    pub(crate) fn frames_in_flight(&self) -> usize {
        self.slots.len()
    }

    /// The device this executor shares with its context (to tell executors of different
    /// devices apart).
    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self._shared
    }

    /// The memory questions of this executor's device, answered as its transients will be
    /// placed: compile frames with it ([`rg_core::Compiler::compile_frame`]). It keeps the
    /// device alive, so frames can be compiled and run after the context is dropped.
    pub fn memory(&self) -> &DeviceMemory {
        &self.memory
    }

    /// Takes GPU timestamps around every pass from the next frame on, or stops taking them
    /// (on a device without timestamps this changes nothing). A frame without them records
    /// two commands a pass fewer; [`Executor::take_gpu_frames`] gets nothing for it.
    pub fn set_timestamps(&mut self, on: bool) {
        self.timestamps = on && self.timestamps_supported;
    }

    /// Writes a debug label around every pass from the next frame on, or stops (two commands
    /// a pass; without `VK_EXT_debug_utils` there are none either way).
    pub fn set_labels(&mut self, on: bool) {
        self.labels = on;
    }

    /// The frame's resources by plan index: imports bound, history resources made or found,
    /// transients placed. Returns them and the history resources seen for the first time.
    fn prepare_frame(
        &mut self,
        plan: &Plan,
        bindings: &Bindings,
    ) -> Result<(FrameResources, Vec<usize>), Error> {
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
                        if o.owner.as_ref().is_some_and(|w| w.strong_count() == 0) {
                            return Err(Error::Import {
                                label: r.label.to_string(),
                                problem: format!(
                                    "is bound to `{}`, whose swapchain has been dropped",
                                    o.label
                                ),
                            });
                        }
                        if let Some(want) = r.image {
                            let shape = (want.mip_levels, want.array_layers, want.samples);
                            let bound = (o.r.mip_levels, o.r.array_layers, o.r.samples);
                            if shape != bound {
                                return Err(Error::Import {
                                    label: r.label.to_string(),
                                    problem: format!(
                                        "is declared with {} mips, {} layers and {} samples a \
                                         texel, but bound to `{}`, which has {}, {} and {}",
                                        shape.0,
                                        shape.1,
                                        shape.2,
                                        o.label,
                                        bound.0,
                                        bound.1,
                                        bound.2
                                    ),
                                });
                            }
                            let wanted = conv::image_usage(r.usage);
                            if !o.usage.contains(wanted) {
                                return Err(Error::Import {
                                    label: r.label.to_string(),
                                    problem: format!(
                                        "is used as {:?}, but `{}` was made for {:?} only",
                                        wanted, o.label, o.usage
                                    ),
                                });
                            }
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
        Ok((frame, fresh_history))
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
    /// take, a shader error, a failed Vulkan call. The frame's commands are not submitted
    /// then; when `bindings` carry a swapchain's semaphores ([`Bindings::present`]), a batch
    /// that only waits for the acquire, moves the image to its present layout and signals is,
    /// so the image can still be presented.
    pub fn run(&mut self, frame: Compiled<Pass>, bindings: &Bindings) -> Result<FrameStats, Error> {
        let start = Instant::now();
        // An image acquired before its swapchain was recreated or dropped: its semaphores are
        // gone, so nothing may be submitted at all.
        if bindings.generations.iter().any(|&g| !crate::swapchain::generation_alive(g)) {
            return Err(Error::Import {
                label: "swapchain".into(),
                problem: "was acquired before its swapchain was recreated or dropped: acquire \
                          again"
                    .into(),
            });
        }
        let foreign = frame.memory_fingerprint() != self.memory.fingerprint();
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

        let prepared =
            if foreign { Err(Error::ForeignPlan) } else { self.prepare_frame(plan, bindings) };
        let (frame, fresh_history) = match prepared {
            Ok(prepared) => prepared,
            Err(e) => {
                // Keep a swapchain's semaphores balanced: the image acquired for this frame is
                // still presented. A failure of that submission would only hide `e`.
                let _ = self.submit_failed_frame(plan, bindings, slot_index);
                return Err(e);
            }
        };

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
}

impl Drop for Executor {
    fn drop(&mut self) {
        let queue = self._shared.lock_queue();
        // SAFETY: waiting for the device first, so nothing below is in flight when destroyed.
        unsafe {
            let _ = self.device.device_wait_idle();
        }
        drop(queue);
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

//! Runs a compiled plan.
//!
//! For each frame the executor places every transient at its planned offset inside heaps
//! (device memory blocks kept from frame to frame and grown when a plan needs more), records
//! the plan's barriers before each pass as one `vkCmdPipelineBarrier2` call, and lets each pass
//! record through a [`Recorder`] that checks every command against the pass's declared accesses.
//!
//! This slice runs every queue kind on the device's one graphics-and-compute queue. A plan's
//! cross-queue waits then become a memory barrier (everything before, to the waiting stages);
//! ownership releases are dropped and acquires are plain barriers, since nothing changes family.
//! Transient images are not placed yet: a plan that uses one is refused with a clear error.

use crate::context::Context;
use crate::conv;
use crate::error::{Check, Error};
use ash::vk;
use rg_core::{Access, Barrier, BufferHandle, Graph, Lifetime, Plan, ResourceKind, TransferHalf};
use std::time::Instant;

/// A pass's recording: called once, with a recorder scoped to the pass.
pub type Pass = Box<dyn FnOnce(&mut Recorder<'_>) -> Result<(), Error>>;

/// A persistent buffer owned by the executor (see [`Executor::create_buffer`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Buffer(usize);

struct Owned {
    label: String,
    buffer: vk::Buffer,
    memory: vk::DeviceMemory,
    size: u64,
    mapped: Option<*mut u8>,
}

/// What one frame did.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct FrameStats {
    pub passes_run: usize,
    pub passes_culled: usize,
    /// Buffer, image and memory barriers recorded.
    pub barriers: usize,
    /// `vkCmdPipelineBarrier2` calls.
    pub barrier_calls: usize,
    pub transient_bytes: u64,
    pub lower_bound_bytes: u64,
    pub unaliased_bytes: u64,
    /// CPU time spent recording the frame's commands, in microseconds.
    pub record_us: f64,
}

/// Records one pass's commands; every command is checked against what the pass declared.
pub struct Recorder<'a> {
    device: &'a ash::Device,
    cmd: vk::CommandBuffer,
    pass: &'a str,
    declared: &'a [rg_core::PlannedAccess],
    plan: &'a Plan,
    buffers: &'a [vk::Buffer],
}

impl Recorder<'_> {
    fn declared_as(
        &self,
        resource: usize,
        ok: impl Fn(Access) -> bool,
        what: &str,
    ) -> Result<(), Error> {
        if self.declared.iter().any(|a| a.resource == resource && ok(a.access)) {
            return Ok(());
        }
        let declared: Vec<String> = self
            .declared
            .iter()
            .filter(|a| a.resource == resource)
            .map(|a| a.access.name())
            .collect();
        Err(Error::Undeclared {
            pass: self.pass.to_owned(),
            resource: self
                .plan
                .resources
                .get(resource)
                .map_or_else(|| format!("#{resource}"), |r| r.label.to_string()),
            what: what.to_owned(),
            declared: if declared.is_empty() { "nothing".into() } else { declared.join(", ") },
        })
    }

    fn buffer(&self, resource: usize) -> vk::Buffer {
        self.buffers.get(resource).copied().unwrap_or(vk::Buffer::null())
    }

    /// The pass's declared accesses (resource indices into the plan), for passes that are
    /// driven by data rather than by typed handles.
    pub fn accesses(&self) -> &[rg_core::PlannedAccess] {
        self.declared
    }

    /// Fills the whole buffer with a 32-bit pattern. Needs `CopyDst` on it.
    ///
    /// # Errors
    /// The pass did not declare `CopyDst` on the buffer.
    pub fn fill_buffer(&mut self, h: BufferHandle, value: u32) -> Result<(), Error> {
        self.fill(h.index(), value)
    }

    /// [`Recorder::fill_buffer`] by resource index.
    ///
    /// # Errors
    /// As [`Recorder::fill_buffer`].
    pub fn fill(&mut self, resource: usize, value: u32) -> Result<(), Error> {
        self.declared_as(resource, |a| a == Access::CopyDst, "fills")?;
        let buffer = self.buffer(resource);
        // SAFETY: the buffer is alive for the frame and was declared as a copy destination, so
        // the plan's barriers order this write; the command buffer is recording.
        unsafe { self.device.cmd_fill_buffer(self.cmd, buffer, 0, vk::WHOLE_SIZE, value) };
        Ok(())
    }

    /// Copies `size` bytes (the smaller buffer's size when `None`) from `src` to `dst`. Needs
    /// `CopySrc` on `src` and `CopyDst` on `dst`.
    ///
    /// # Errors
    /// An undeclared buffer.
    pub fn copy_buffer(
        &mut self,
        src: BufferHandle,
        dst: BufferHandle,
        size: Option<u64>,
    ) -> Result<(), Error> {
        self.copy(src.index(), dst.index(), size)
    }

    /// [`Recorder::copy_buffer`] by resource index.
    ///
    /// # Errors
    /// As [`Recorder::copy_buffer`].
    pub fn copy(&mut self, src: usize, dst: usize, size: Option<u64>) -> Result<(), Error> {
        self.declared_as(src, |a| a == Access::CopySrc, "copies from")?;
        self.declared_as(dst, |a| a == Access::CopyDst, "copies to")?;
        let len = |r: usize| self.plan.resources.get(r).and_then(|r| r.buffer_size).unwrap_or(0);
        let size = size.unwrap_or_else(|| len(src).min(len(dst)));
        let region = [vk::BufferCopy { src_offset: 0, dst_offset: 0, size }];
        let (s, d) = (self.buffer(src), self.buffer(dst));
        // SAFETY: both buffers are alive for the frame and declared with the matching accesses.
        unsafe { self.device.cmd_copy_buffer(self.cmd, s, d, &region) };
        Ok(())
    }
}

struct Heap {
    memory: vk::DeviceMemory,
    size: u64,
    type_index: u32,
}

/// Executes plans on one [`Context`].
pub struct Executor {
    device: ash::Device,
    pool: vk::CommandPool,
    fence: vk::Fence,
    owned: Vec<Owned>,
    heaps: Vec<Heap>,
}

impl Executor {
    /// # Errors
    /// A failed Vulkan call.
    pub fn new(ctx: &Context) -> Result<Executor, Error> {
        let device = ctx.device.clone();
        let info = vk::CommandPoolCreateInfo::default()
            .queue_family_index(ctx.queue_family)
            .flags(vk::CommandPoolCreateFlags::TRANSIENT);
        // SAFETY: the device is alive; the pool is destroyed in Drop after the GPU is idle.
        let pool = unsafe { device.create_command_pool(&info, None) }
            .check("vkCreateCommandPool", "executor")?;
        // SAFETY: as above.
        let fence = match unsafe { device.create_fence(&vk::FenceCreateInfo::default(), None) } {
            Ok(f) => f,
            Err(e) => {
                // SAFETY: the pool was just created and is unused.
                unsafe { device.destroy_command_pool(pool, None) };
                return Err(Error::Vulkan {
                    call: "vkCreateFence",
                    label: "executor".into(),
                    result: e,
                });
            }
        };
        Ok(Executor { device, pool, fence, owned: Vec::new(), heaps: Vec::new() })
    }

    /// A persistent buffer (imports bind to these). Host-visible ones can be read back.
    ///
    /// # Errors
    /// Out of memory, no fitting memory type, a failed call.
    pub fn create_buffer(
        &mut self,
        ctx: &Context,
        label: &str,
        size: u64,
        host_visible: bool,
    ) -> Result<Buffer, Error> {
        let usage = vk::BufferUsageFlags::TRANSFER_SRC
            | vk::BufferUsageFlags::TRANSFER_DST
            | vk::BufferUsageFlags::STORAGE_BUFFER
            | vk::BufferUsageFlags::UNIFORM_BUFFER
            | vk::BufferUsageFlags::INDIRECT_BUFFER
            | vk::BufferUsageFlags::VERTEX_BUFFER
            | vk::BufferUsageFlags::INDEX_BUFFER;
        let info = vk::BufferCreateInfo::default().size(size).usage(usage);
        // SAFETY: valid create info; destroyed in Drop after the GPU is idle.
        let buffer =
            unsafe { self.device.create_buffer(&info, None) }.check("vkCreateBuffer", label)?;
        // SAFETY: the buffer was just created.
        let req = unsafe { self.device.get_buffer_memory_requirements(buffer) };
        let wanted = if host_visible {
            vk::MemoryPropertyFlags::HOST_VISIBLE | vk::MemoryPropertyFlags::HOST_COHERENT
        } else {
            vk::MemoryPropertyFlags::DEVICE_LOCAL
        };
        let result = (|| {
            let type_index = ctx.memory_type(req.memory_type_bits, wanted).ok_or_else(|| {
                Error::NoMemoryType { label: label.to_owned(), bits: req.memory_type_bits, wanted }
            })?;
            let alloc = vk::MemoryAllocateInfo::default()
                .allocation_size(req.size)
                .memory_type_index(type_index);
            // SAFETY: valid allocate info; freed in Drop.
            let memory = unsafe { self.device.allocate_memory(&alloc, None) }
                .map_err(|_| Error::OutOfMemory { label: label.to_owned(), bytes: req.size })?;
            // SAFETY: fresh buffer and memory of a type the buffer accepts, offset 0.
            if let Err(e) = unsafe { self.device.bind_buffer_memory(buffer, memory, 0) } {
                // SAFETY: the memory is unused.
                unsafe { self.device.free_memory(memory, None) };
                return Err(Error::Vulkan {
                    call: "vkBindBufferMemory",
                    label: label.to_owned(),
                    result: e,
                });
            }
            let mapped = if host_visible {
                // SAFETY: host-visible memory, mapped once for the buffer's life.
                let p = unsafe {
                    self.device.map_memory(memory, 0, vk::WHOLE_SIZE, vk::MemoryMapFlags::empty())
                }
                .check("vkMapMemory", label)?;
                Some(p as *mut u8)
            } else {
                None
            };
            Ok((memory, mapped))
        })();
        match result {
            Ok((memory, mapped)) => {
                self.owned.push(Owned { label: label.to_owned(), buffer, memory, size, mapped });
                Ok(Buffer(self.owned.len() - 1))
            }
            Err(e) => {
                // SAFETY: the buffer is unused.
                unsafe { self.device.destroy_buffer(buffer, None) };
                Err(e)
            }
        }
    }

    /// The contents of a host-visible buffer. Call after `run` returned (the frame is done).
    pub fn read_buffer(&self, b: Buffer) -> Option<Vec<u8>> {
        let o = self.owned.get(b.0)?;
        let p = o.mapped?;
        // SAFETY: the mapping covers `size` bytes of host-coherent memory, and `run` waited for
        // the GPU before returning, so nothing writes it now.
        Some(unsafe { std::slice::from_raw_parts(p, o.size as usize) }.to_vec())
    }

    /// Writes a host-visible buffer (for uploads before a frame).
    pub fn write_buffer(&mut self, b: Buffer, data: &[u8]) -> Option<()> {
        let o = self.owned.get(b.0)?;
        let p = o.mapped?;
        let n = data.len().min(o.size as usize);
        // SAFETY: host-coherent mapping of `size` bytes; no frame is in flight between runs.
        unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), p, n) };
        Some(())
    }

    fn heap(
        &mut self,
        ctx: &Context,
        index: usize,
        size: u64,
        bits: u32,
    ) -> Result<vk::DeviceMemory, Error> {
        let type_index = ctx
            .memory_type(bits, vk::MemoryPropertyFlags::DEVICE_LOCAL)
            .or_else(|| ctx.memory_type(bits, vk::MemoryPropertyFlags::empty()))
            .ok_or_else(|| Error::NoMemoryType {
                label: format!("transient heap {index}"),
                bits,
                wanted: vk::MemoryPropertyFlags::DEVICE_LOCAL,
            })?;
        if let Some(h) = self.heaps.get(index) {
            if h.size >= size && h.type_index == type_index {
                return Ok(h.memory);
            }
        }
        let alloc = vk::MemoryAllocateInfo::default()
            .allocation_size(size.max(1))
            .memory_type_index(type_index);
        // SAFETY: valid allocate info; the old heap of this slot is freed only after the GPU is
        // done with it (every run waits for its frame before returning).
        let memory = unsafe { self.device.allocate_memory(&alloc, None) }.map_err(|_| {
            Error::OutOfMemory { label: format!("transient heap {index}"), bytes: size }
        })?;
        let heap = Heap { memory, size, type_index };
        if index < self.heaps.len() {
            let old = std::mem::replace(&mut self.heaps[index], heap);
            // SAFETY: no frame is in flight between runs.
            unsafe { self.device.free_memory(old.memory, None) };
        } else {
            self.heaps.push(heap);
        }
        Ok(memory)
    }

    /// Runs one frame: `plan` must be the plan compiled from `graph`. `imports` binds each
    /// imported buffer to a persistent buffer. Returns when the GPU has finished the frame.
    ///
    /// # Errors
    /// An unsupported plan (images), an unbound import, a pass that records on what it did not
    /// declare, a failed Vulkan call.
    pub fn run(
        &mut self,
        ctx: &Context,
        graph: &mut Graph<Pass>,
        plan: &Plan,
        imports: &[(BufferHandle, Buffer)],
    ) -> Result<FrameStats, Error> {
        let start = Instant::now();
        let mut buffers = vec![vk::Buffer::null(); plan.resources.len()];
        for (i, r) in plan.resources.iter().enumerate() {
            if r.first_use.is_none() {
                continue;
            }
            if r.kind == ResourceKind::Image {
                return Err(Error::Unsupported(format!(
                    "image `{}`: this executor runs buffer work only so far",
                    r.label
                )));
            }
            match r.lifetime {
                Lifetime::Transient => {}
                Lifetime::Imported { .. } => {
                    let bound = imports.iter().find(|(h, _)| h.index() == i);
                    let Some((_, b)) = bound else {
                        return Err(Error::Unsupported(format!(
                            "imported buffer `{}` is not bound to a buffer",
                            r.label
                        )));
                    };
                    buffers[i] = self.owned[b.0].buffer;
                }
                Lifetime::Temporal => {
                    return Err(Error::Unsupported(format!(
                        "temporal buffer `{}`: not supported by this executor yet",
                        r.label
                    )))
                }
            }
        }
        // Transients at their planned offsets.
        let mut heap_memory = Vec::with_capacity(plan.heaps.len());
        for (h, heap) in plan.heaps.iter().enumerate() {
            heap_memory.push(self.heap(ctx, h, heap.size, heap.memory_type_bits)?);
        }
        let mut transients = Vec::new();
        let result = (|| {
            for (i, r) in plan.resources.iter().enumerate() {
                let (Some(p), Some(size)) = (r.placement, r.buffer_size) else { continue };
                let info =
                    vk::BufferCreateInfo::default().size(size).usage(conv::buffer_usage(r.usage));
                // SAFETY: valid create info; destroyed below after the frame completes.
                let b = unsafe { self.device.create_buffer(&info, None) }
                    .check("vkCreateBuffer", &r.label)?;
                transients.push(b);
                // SAFETY: the heap's memory type was chosen from the plan's type bits, which the
                // requirements of this very buffer contributed to; the offset honours its alignment.
                unsafe { self.device.bind_buffer_memory(b, heap_memory[p.heap], p.offset) }
                    .check("vkBindBufferMemory", &r.label)?;
                buffers[i] = b;
            }
            self.record_and_submit(ctx, graph, plan, &buffers)
        })();
        for b in transients {
            // SAFETY: `record_and_submit` waited for the frame's fence (or never submitted).
            unsafe { self.device.destroy_buffer(b, None) };
        }
        let (barriers, barrier_calls) = result?;
        Ok(FrameStats {
            passes_run: plan.passes.len(),
            passes_culled: plan.culled.len(),
            barriers,
            barrier_calls,
            transient_bytes: plan.stats.transient_bytes,
            lower_bound_bytes: plan.stats.lower_bound_bytes,
            unaliased_bytes: plan.stats.unaliased_bytes,
            record_us: start.elapsed().as_secs_f64() * 1e6,
        })
    }

    fn record_and_submit(
        &mut self,
        ctx: &Context,
        graph: &mut Graph<Pass>,
        plan: &Plan,
        buffers: &[vk::Buffer],
    ) -> Result<(usize, usize), Error> {
        let alloc = vk::CommandBufferAllocateInfo::default()
            .command_pool(self.pool)
            .level(vk::CommandBufferLevel::PRIMARY)
            .command_buffer_count(1);
        // SAFETY: the pool belongs to this device and is used by this thread only.
        let cmd = unsafe { self.device.allocate_command_buffers(&alloc) }
            .check("vkAllocateCommandBuffers", "frame")?[0];
        let mut counts = (0usize, 0usize);
        let result = (|| {
            let begin = vk::CommandBufferBeginInfo::default()
                .flags(vk::CommandBufferUsageFlags::ONE_TIME_SUBMIT);
            // SAFETY: a fresh primary command buffer.
            unsafe { self.device.begin_command_buffer(cmd, &begin) }
                .check("vkBeginCommandBuffer", "frame")?;
            let mut batch = Batch::default();
            batch.push_all(plan, &plan.prologue, buffers);
            counts = batch.flush(&self.device, cmd, counts);
            for pass in &plan.passes {
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
                batch.push_all(plan, plan.barriers_of(pass), buffers);
                counts = batch.flush(&self.device, cmd, counts);
                let payload = graph.take_payload(pass.id);
                if let Some(record) = payload {
                    let mut rec = Recorder {
                        device: &self.device,
                        cmd,
                        pass: &pass.label,
                        declared: plan.accesses_of(pass),
                        plan,
                        buffers,
                    };
                    record(&mut rec).map_err(|e| match e {
                        e @ Error::Undeclared { .. } => e,
                        e => Error::Pass { pass: pass.label.to_string(), message: e.to_string() },
                    })?;
                }
                batch.push_all(plan, plan.releases_of(pass), buffers);
                counts = batch.flush(&self.device, cmd, counts);
            }
            batch.push_all(plan, &plan.epilogue, buffers);
            counts = batch.flush(&self.device, cmd, counts);
            // SAFETY: the command buffer is recording.
            unsafe { self.device.end_command_buffer(cmd) }.check("vkEndCommandBuffer", "frame")?;
            let cmds = [cmd];
            let submit = [vk::SubmitInfo::default().command_buffers(&cmds)];
            // SAFETY: the queue is used by this thread only; the fence is unsignalled.
            unsafe { self.device.queue_submit(ctx.queue, &submit, self.fence) }
                .check("vkQueueSubmit", "frame")?;
            // SAFETY: waiting on our own fence.
            let waited = unsafe { self.device.wait_for_fences(&[self.fence], true, u64::MAX) };
            // SAFETY: the fence is signalled (or the device is lost and the reset fails harmlessly).
            let reset = unsafe { self.device.reset_fences(&[self.fence]) };
            waited.check("vkWaitForFences", "frame")?;
            reset.check("vkResetFences", "frame")?;
            Ok(())
        })();
        // SAFETY: the frame is complete (we waited) or was never submitted.
        unsafe { self.device.free_command_buffers(self.pool, &[cmd]) };
        result.map(|()| counts)
    }

    /// Labels of the persistent buffers, for messages.
    pub fn buffer_label(&self, b: Buffer) -> Option<&str> {
        self.owned.get(b.0).map(|o| o.label.as_str())
    }
}

/// The barriers of one pass boundary, recorded as a single call.
#[derive(Default)]
struct Batch {
    memory: Vec<vk::MemoryBarrier2<'static>>,
    buffers: Vec<vk::BufferMemoryBarrier2<'static>>,
}

impl Batch {
    fn push_all(&mut self, plan: &Plan, barriers: &[Barrier], buffers: &[vk::Buffer]) {
        for b in barriers {
            // Every queue kind runs on the same queue, so a release has nothing to release to.
            if b.transfer.is_some_and(|t| t.half == TransferHalf::Release) {
                continue;
            }
            let buffer = buffers.get(b.resource).copied().unwrap_or(vk::Buffer::null());
            if buffer == vk::Buffer::null()
                || plan.resources[b.resource].kind != ResourceKind::Buffer
            {
                continue;
            }
            self.buffers.push(
                vk::BufferMemoryBarrier2::default()
                    .src_stage_mask(conv::stages(b.src_stages))
                    .src_access_mask(conv::access(b.src_access))
                    .dst_stage_mask(conv::stages(b.dst_stages))
                    .dst_access_mask(conv::access(b.dst_access))
                    .src_queue_family_index(vk::QUEUE_FAMILY_IGNORED)
                    .dst_queue_family_index(vk::QUEUE_FAMILY_IGNORED)
                    .buffer(buffer)
                    .offset(0)
                    .size(vk::WHOLE_SIZE),
            );
        }
    }

    fn flush(
        &mut self,
        device: &ash::Device,
        cmd: vk::CommandBuffer,
        (n, calls): (usize, usize),
    ) -> (usize, usize) {
        if self.memory.is_empty() && self.buffers.is_empty() {
            return (n, calls);
        }
        let count = self.memory.len() + self.buffers.len();
        let dep = vk::DependencyInfo::default()
            .memory_barriers(&self.memory)
            .buffer_memory_barriers(&self.buffers);
        // SAFETY: the command buffer is recording and every buffer named is alive for the frame.
        unsafe { device.cmd_pipeline_barrier2(cmd, &dep) };
        self.memory.clear();
        self.buffers.clear();
        (n + count, calls + 1)
    }
}

impl Drop for Executor {
    fn drop(&mut self) {
        // SAFETY: waiting for the device first, so nothing below is in flight when destroyed.
        unsafe {
            let _ = self.device.device_wait_idle();
            for o in self.owned.drain(..) {
                self.device.destroy_buffer(o.buffer, None);
                self.device.free_memory(o.memory, None);
            }
            for h in self.heaps.drain(..) {
                self.device.free_memory(h.memory, None);
            }
            self.device.destroy_fence(self.fence, None);
            self.device.destroy_command_pool(self.pool, None);
        }
    }
}

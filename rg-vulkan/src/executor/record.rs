//! Recording a frame: the plan's barrier batches, each pass's label, timestamps and Tracy zone
//! around its recording closure, and the submission on the timeline.
//!
//! A frame that fails to record is not submitted, but its bindings' semaphores still are: a
//! batch with no work but the layout transition of the swapchain images it was to present
//! waits on the acquire semaphores and signals the present semaphores and the timeline, so the
//! swapchain's semaphores stay balanced, its image can be presented, and the frame slot is
//! waited for like any other.

use super::*;

/// A frame's commands, recorded and ended, waiting to be submitted.
struct Recorded {
    cmd: vk::CommandBuffer,
    /// Barriers and barrier calls.
    counts: (usize, usize),
    /// Labels of the timed passes, and their GPU zones.
    labels: Vec<Arc<str>>,
    gpu_zones: Vec<PendingGpuZone>,
}

impl Executor {
    /// Records the frame and submits it. On an error, submits what keeps the bindings'
    /// semaphores balanced (see [`Executor::submit_failed_frame`]) and returns the error.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn record_and_submit(
        &mut self,
        graph: &mut Graph<Pass>,
        plan: &Plan,
        frame: &FrameResources,
        fresh_history: &[usize],
        bindings: &Bindings,
        slot_index: usize,
    ) -> Result<(usize, usize), Error> {
        match self.record(graph, plan, frame, fresh_history, slot_index) {
            Ok(recorded) => self.submit(recorded, bindings, slot_index),
            Err(e) => {
                // The recording's error says what went wrong; a failure of this submission as
                // well (device loss) would only hide it.
                let _ = self.submit_failed_frame(plan, bindings, slot_index);
                Err(e)
            }
        }
    }

    fn record(
        &mut self,
        graph: &mut Graph<Pass>,
        plan: &Plan,
        frame: &FrameResources,
        fresh_history: &[usize],
        slot_index: usize,
    ) -> Result<Recorded, Error> {
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
        if !self.slots[slot_index].recycled {
            // SAFETY: the slot's last submission is complete, so its pool's buffers are not in
            // use.
            unsafe { self.device.reset_command_pool(pool, vk::CommandPoolResetFlags::empty()) }
                .check("vkResetCommandPool", "frame")?;
        }
        self.slots[slot_index].recycled = false;
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

        let labels_on = self.labels;
        let Executor { device, push_descriptor, pipelines, debug, profiler, views, .. } = self;
        let debug = debug.as_ref().filter(|_| labels_on);
        // The pipeline each bind point has bound in this command buffer: a pass that binds the
        // one already bound records no bind (the binding outlives the pass that made it).
        let mut bound = [vk::Pipeline::null(); 2];
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
                        &mut bound,
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
        Ok(Recorded { cmd, counts, labels, gpu_zones })
    }

    fn submit(
        &mut self,
        recorded: Recorded,
        bindings: &Bindings,
        slot_index: usize,
    ) -> Result<(usize, usize), Error> {
        let Recorded { cmd, counts, labels, gpu_zones } = recorded;
        let zone = self.profiler.zone("executor.submit");
        self.submit_on_timeline(cmd, bindings, slot_index)?;
        drop(zone);
        let slot = &mut self.slots[slot_index];
        slot.timed = labels;
        slot.gpu_zones = gpu_zones;
        Ok(counts)
    }

    /// After a frame failed (its command buffer recorded in part, or not at all), submits a
    /// batch that waits on the bindings' wait semaphores (a swapchain's acquire semaphore),
    /// signals their signal semaphores (its present semaphore) and the timeline, and moves
    /// each swapchain image the frame was to leave in `Present` layout there from `Undefined`
    /// (its contents are lost; it was acquired for this frame), so presenting it is valid. A
    /// frame with no semaphores submits nothing.
    ///
    /// The slot's last submission must be complete (as `run` ensures before it prepares the
    /// frame), and the failed recording must not have been submitted.
    ///
    /// # Errors
    /// A failed Vulkan call.
    pub(super) fn submit_failed_frame(
        &mut self,
        plan: &Plan,
        bindings: &Bindings,
        slot_index: usize,
    ) -> Result<(), Error> {
        if bindings.wait.is_empty() && bindings.signal.is_empty() {
            return Ok(());
        }
        let mut transitions = Vec::new();
        for &(i, image) in &bindings.images {
            let presented = plan.resources.get(i).and_then(|r| r.exit).and_then(|s| s.layout)
                == Some(rg_core::Layout::Present);
            let Some(o) = self.images.get(image).filter(|o| o.external && presented) else {
                continue;
            };
            // The acquire semaphore is waited on at colour-attachment output: a first scope
            // that includes that stage orders the transition after the image is ready, and a
            // second scope of all commands orders it before the signal.
            transitions.push(
                vk::ImageMemoryBarrier2::default()
                    .src_stage_mask(vk::PipelineStageFlags2::ALL_COMMANDS)
                    .dst_stage_mask(vk::PipelineStageFlags2::ALL_COMMANDS)
                    .old_layout(vk::ImageLayout::UNDEFINED)
                    .new_layout(vk::ImageLayout::PRESENT_SRC_KHR)
                    .src_queue_family_index(vk::QUEUE_FAMILY_IGNORED)
                    .dst_queue_family_index(vk::QUEUE_FAMILY_IGNORED)
                    .image(o.r.image)
                    .subresource_range(full_range(&o.r)),
            );
        }
        let (pool, cmd) = {
            let s = &self.slots[slot_index];
            (s.pool, s.cmd)
        };
        // SAFETY: the slot's last submission is complete and the failed recording was never
        // submitted, so no buffer of the pool is in use.
        unsafe { self.device.reset_command_pool(pool, vk::CommandPoolResetFlags::empty()) }
            .check("vkResetCommandPool", "failed frame")?;
        let begin = vk::CommandBufferBeginInfo::default()
            .flags(vk::CommandBufferUsageFlags::ONE_TIME_SUBMIT);
        // SAFETY: a reset primary command buffer of this slot.
        unsafe { self.device.begin_command_buffer(cmd, &begin) }
            .check("vkBeginCommandBuffer", "failed frame")?;
        self.slots[slot_index].recycled = false;
        if !transitions.is_empty() {
            let dep = vk::DependencyInfo::default().image_memory_barriers(&transitions);
            // SAFETY: the command buffer is recording; the images are live swapchain images
            // bound to this frame.
            unsafe { self.device.cmd_pipeline_barrier2(cmd, &dep) };
        }
        // SAFETY: the command buffer is recording.
        unsafe { self.device.end_command_buffer(cmd) }
            .check("vkEndCommandBuffer", "failed frame")?;
        self.submit_on_timeline(cmd, bindings, slot_index)?;
        let slot = &mut self.slots[slot_index];
        // The failed recording's timestamps were never written.
        slot.timed = Vec::new();
        slot.gpu_zones = Vec::new();
        Ok(())
    }

    /// Submits `cmd` with the bindings' semaphores, signalling the next timeline value, which
    /// the slot then waits for before its next use.
    fn submit_on_timeline(
        &mut self,
        cmd: vk::CommandBuffer,
        bindings: &Bindings,
        slot_index: usize,
    ) -> Result<(), Error> {
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
        let _queue = self._shared.lock_queue();
        // SAFETY: the queue lock keeps other threads off the queue; everything the command
        // buffer names lives until the timeline passes `value` (deferred destruction).
        unsafe { self.device.queue_submit2(self.queue, &[submit], vk::Fence::null()) }
            .check("vkQueueSubmit2", "frame")?;
        self.submitted = value;
        let slot = &mut self.slots[slot_index];
        slot.value = value;
        slot.frame = self.frame;
        Ok(())
    }
}

/// The barriers of one pass boundary, recorded as a single call.
#[derive(Default)]
pub(super) struct Batch {
    memory: Vec<vk::MemoryBarrier2<'static>>,
    buffers: Vec<vk::BufferMemoryBarrier2<'static>>,
    images: Vec<vk::ImageMemoryBarrier2<'static>>,
}

impl Batch {
    /// Adds the plan's `barriers`. `after_wait`: the pass waits on another queue, which on the
    /// one queue is a memory barrier from everything before in this same call; barriers in one
    /// call do not chain, so each barrier's first scope takes everything before as well.
    pub(super) fn push_all(
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

    pub(super) fn flush(
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

//! Frame slots and deferred destruction: waiting on the timeline, destroying what no frame in
//! flight can use any more, and reading back each finished frame's timestamps.

use super::*;

impl Executor {
    pub(super) fn completed(&self) -> Result<u64, Error> {
        // SAFETY: our own timeline semaphore.
        unsafe { self.device.get_semaphore_counter_value(self.timeline) }
            .check("vkGetSemaphoreCounterValue", "frame timeline")
    }

    pub(super) fn wait_for(&mut self, value: u64) -> Result<(), Error> {
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
        self.recycle_slots()?;
        // Oldest frame first: GPU frames and profiler zones are reported in submission order.
        let mut order: Vec<usize> = (0..self.slots.len()).collect();
        order.sort_by_key(|&i| self.slots[i].frame);
        for i in order {
            self.harvest(i)?;
        }
        Ok(())
    }

    /// Resets the command pools of the slots whose submissions have finished. `wait_idle` calls
    /// it, since its caller waits anyway, so the next frames start recording at once; a slot
    /// reused while frames are in flight is reset when its recording starts.
    pub(super) fn recycle_slots(&mut self) -> Result<(), Error> {
        let done = self.completed()?;
        for slot in &mut self.slots {
            if slot.recycled || slot.value > done {
                continue;
            }
            // SAFETY: the slot's last submission is complete, so its buffers are not in use.
            unsafe {
                self.device.reset_command_pool(slot.pool, vk::CommandPoolResetFlags::empty())
            }
            .check("vkResetCommandPool", "frame")?;
            slot.recycled = true;
        }
        Ok(())
    }

    pub(super) fn collect_garbage(&mut self) -> Result<(), Error> {
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

    pub(super) fn destroy_now(&mut self, dead: Dead) {
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
                Dead::Pipeline(r) => r.destroy(&self.device),
            }
        }
    }

    /// Reads the timestamps of the slot's finished submission.
    pub(super) fn harvest(&mut self, i: usize) -> Result<(), Error> {
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
    pub(super) fn read_gpu_clock(&mut self) -> Result<u64, Error> {
        // Held to the end, past the scratch objects' clean-up, which may wait on the queue.
        let shared = self._shared.clone();
        let _queue = shared.lock_queue();
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
        // before the query is read; the queue lock is held.
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
}

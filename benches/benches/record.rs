//! CPU cost of recording and submitting a frame through rg-vulkan, against the same command
//! stream written by hand in raw ash.
//!
//! The frame: a chain of 1000 compute passes, each one dispatch bound to six storage buffers
//! (the previous link's output, its own output, four shared inputs), each pass depending on the
//! one before. rg-vulkan's side builds the graph, compiles it (a cache hit after the first frame),
//! and runs it; the hand-written side records the same barriers, pipeline binds, push
//! descriptors, push constants, dispatches, debug labels and timestamps with raw ash calls, into
//! buffers placed the way the plan places the links (two alternating slots of one heap).
//!
//! Both wait for the GPU before a frame starts, outside the timed region: the figure is CPU time
//! from the first declaration to the return of `vkQueueSubmit2`.
//!
//! Run with `cargo bench -p rg-benches --bench record` (validation is off unless
//! `RG_VALIDATION=1`; `RG_RECORD_FRAMES` sets the frames measured per side, default 30).

use ash::vk;
use rg_core::{
    Access, AccessMask, BufferDesc, BufferHandle, Compiler, Extent, Graph, QueueKind,
    ResourceState, ShaderStages, StageMask,
};
use rg_vulkan::{Bindings, Config, Context, Executor, MemoryUse, Pass, RawHandles, ShaderCompiler};
use std::time::Instant;

const PASSES: usize = 1000;
const ELEMENTS: u64 = 64;
const BYTES: u64 = ELEMENTS * 4;
const C: ShaderStages = ShaderStages::COMPUTE;

/// An imported buffer read by every pass (or written by the last one).
fn import(g: &mut Graph<Pass>, label: &str, access: AccessMask) -> BufferHandle {
    let s = ResourceState {
        layout: None,
        queue: QueueKind::Compute,
        stages: StageMask::COMPUTE_SHADER,
        access,
    };
    g.import_buffer(label, BufferDesc::new(BYTES), s, s)
}

/// Declares the chain. `inputs` are the four shared inputs, `result` the last link's output.
fn declare(g: &mut Graph<Pass>) -> ([BufferHandle; 4], BufferHandle, BufferHandle) {
    let inputs = ["in.a", "in.b", "in.c", "in.d"].map(|l| import(g, l, AccessMask::STORAGE_READ));
    let seed = import(g, "seed", AccessMask::STORAGE_READ);
    let result = import(g, "result", AccessMask::STORAGE_WRITE);
    let mut prev = seed;
    for link in 0..PASSES {
        let next = if link + 1 == PASSES {
            result
        } else {
            g.create_buffer(&format!("link{link}"), BufferDesc::new(BYTES))
        };
        let mut p = g.add_pass("chain", QueueKind::Compute);
        p.read(prev, Access::StorageRead(C));
        for h in inputs {
            p.read(h, Access::StorageRead(C));
        }
        let (p_in, out) = (prev, p.write(next, Access::StorageWrite(C)));
        p.record(Box::new(move |r| {
            r.compute("bench/chain.comp", &[])?;
            r.bind_buffer(0, p_in)?;
            r.bind_buffer(1, out)?;
            for (k, h) in inputs.iter().enumerate() {
                r.bind_buffer(2 + k as u32, *h)?;
            }
            r.push_u32(&[link as u32])?;
            r.dispatch(1, 1, 1)
        }));
        prev = out;
    }
    (inputs, seed, result)
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else is taken.
    let frames: usize =
        std::env::var("RG_RECORD_FRAMES").ok().and_then(|v| v.parse().ok()).unwrap_or(30);
    let validation = std::env::var("RG_VALIDATION").is_ok_and(|v| v == "1");
    let ctx = match Context::new(&Config { validation, ..Config::default() }) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("record: no Vulkan device ({e}); nothing measured");
            return;
        }
    };
    println!(
        "device: {} (Vulkan {}.{}.{}), validation {}",
        ctx.capabilities.device_name,
        ctx.capabilities.api_version.0,
        ctx.capabilities.api_version.1,
        ctx.capabilities.api_version.2,
        if validation { "on" } else { "off" }
    );

    // Both sides run in the same loop, a frame each in turn, so that whatever else the machine
    // does weighs on both alike.
    let mut ex = Executor::new(&ctx).expect("executor");
    let names = ["in.a", "in.b", "in.c", "in.d", "seed", "result"];
    let persistent: Vec<_> = names
        .iter()
        .map(|n| ex.create_buffer(n, BYTES, MemoryUse::Device).expect("buffer"))
        .collect();
    // SAFETY: the baseline uses the context's objects on this thread only, never while the
    // executor has a frame in flight, and destroys all it makes before the context goes.
    let raw = unsafe { ctx.raw_handles() };
    let mut hand = Hand::new(&ctx, raw);
    let mut compiler = Compiler::new();
    let (mut graph_times, mut ours, mut theirs) = (Vec::new(), Vec::new(), Vec::new());
    let mut record_times = Vec::new();
    let mut barriers = 0;
    for frame in 0..frames + 3 {
        ex.wait_idle().expect("idle");
        hand.wait();
        let start = Instant::now();
        let mut g: Graph<Pass> = Graph::new(Extent::new(64, 64));
        let (inputs, seed, result) = declare(&mut g);
        let compiled = compiler.compile_frame(g, ex.memory()).expect("compiles");
        let declared = start.elapsed().as_secs_f64();
        let mut b = Bindings::new().buffer(seed, persistent[4]).buffer(result, persistent[5]);
        for (k, h) in inputs.iter().enumerate() {
            b = b.buffer(*h, persistent[k]);
        }
        let stats = ex.run(compiled, &b).expect("frame");
        let total = start.elapsed().as_secs_f64();
        barriers = stats.barriers;
        ex.wait_idle().expect("idle");
        let start = Instant::now();
        hand.frame();
        let hand_total = start.elapsed().as_secs_f64();
        if frame >= 3 {
            graph_times.push(declared * 1e6);
            record_times.push(stats.record_us);
            ours.push(total * 1e6);
            theirs.push(hand_total * 1e6);
        }
    }
    ex.wait_idle().expect("idle");
    hand.wait();
    assert_eq!(compiler.cache_stats().1, 1, "one compile, then cache hits");
    let hand_barriers = hand.barriers;
    hand.destroy();
    drop(ex);
    let problems = ctx.problems();
    assert!(
        problems.is_empty(),
        "validation: {:?}",
        problems.iter().map(|m| &m.text).collect::<Vec<_>>()
    );

    let (o, t, d) = (median(&mut ours), median(&mut theirs), median(&mut graph_times));
    let r = median(&mut record_times);
    println!("{PASSES} compute passes, 6 storage buffers each, {frames} frames a side (medians):");
    println!("| side | CPU per frame | barriers |");
    println!("| --- | --- | --- |");
    println!("| rg-vulkan (declare + compile + record + submit) | {o:.0} µs | {barriers} |");
    println!("|   of which declare + compile (cache hit) | {d:.0} µs | |");
    println!("|   of which recording the passes | {r:.0} µs | |");
    println!("| hand-written ash (record + submit) | {t:.0} µs | {hand_barriers} |");
    println!("ratio rg-vulkan / hand-written: {:.2} (target ≤ 1.10)", o / t);
}

/// The same command stream, by hand.
struct Hand {
    raw: RawHandles,
    push: ash::khr::push_descriptor::Device,
    debug: Option<ash::ext::debug_utils::Device>,
    pool: vk::CommandPool,
    cmd: vk::CommandBuffer,
    fence: vk::Fence,
    queries: vk::QueryPool,
    set_layout: vk::DescriptorSetLayout,
    layout: vk::PipelineLayout,
    pipeline: vk::Pipeline,
    memory: vk::DeviceMemory,
    buffers: Vec<vk::Buffer>,
    barriers: usize,
}

impl Hand {
    fn new(ctx: &Context, raw: RawHandles) -> Hand {
        let d = &raw.device;
        let shader = ShaderCompiler::new(ShaderCompiler::workspace_root())
            .and_then(|c| c.compile_file("bench/chain.comp", &[]))
            .expect("shader");
        // SAFETY: plain object creation with valid create infos; everything is destroyed in
        // `destroy` after the GPU is idle.
        unsafe {
            let push = ash::khr::push_descriptor::Device::new(&raw.instance, d);
            let debug = ctx
                .has_debug_labels()
                .then(|| ash::ext::debug_utils::Device::new(&raw.instance, d));
            let pool = d
                .create_command_pool(
                    &vk::CommandPoolCreateInfo::default()
                        .queue_family_index(raw.queue_family)
                        .flags(vk::CommandPoolCreateFlags::TRANSIENT),
                    None,
                )
                .expect("pool");
            let cmd = d
                .allocate_command_buffers(
                    &vk::CommandBufferAllocateInfo::default()
                        .command_pool(pool)
                        .command_buffer_count(1),
                )
                .expect("cmd")[0];
            let fence = d
                .create_fence(
                    &vk::FenceCreateInfo::default().flags(vk::FenceCreateFlags::SIGNALED),
                    None,
                )
                .expect("fence");
            let queries = d
                .create_query_pool(
                    &vk::QueryPoolCreateInfo::default()
                        .query_type(vk::QueryType::TIMESTAMP)
                        .query_count(2 * PASSES as u32),
                    None,
                )
                .expect("queries");
            let bindings: Vec<_> = (0..6)
                .map(|b| {
                    vk::DescriptorSetLayoutBinding::default()
                        .binding(b)
                        .descriptor_type(vk::DescriptorType::STORAGE_BUFFER)
                        .descriptor_count(1)
                        .stage_flags(vk::ShaderStageFlags::COMPUTE)
                })
                .collect();
            let set_layout = d
                .create_descriptor_set_layout(
                    &vk::DescriptorSetLayoutCreateInfo::default()
                        .flags(vk::DescriptorSetLayoutCreateFlags::PUSH_DESCRIPTOR_KHR)
                        .bindings(&bindings),
                    None,
                )
                .expect("set layout");
            let ranges = [vk::PushConstantRange::default()
                .stage_flags(vk::ShaderStageFlags::COMPUTE)
                .size(4)];
            let layouts = [set_layout];
            let layout = d
                .create_pipeline_layout(
                    &vk::PipelineLayoutCreateInfo::default()
                        .set_layouts(&layouts)
                        .push_constant_ranges(&ranges),
                    None,
                )
                .expect("layout");
            let module = d
                .create_shader_module(
                    &vk::ShaderModuleCreateInfo::default().code(&shader.spirv),
                    None,
                )
                .expect("module");
            let stage = vk::PipelineShaderStageCreateInfo::default()
                .stage(vk::ShaderStageFlags::COMPUTE)
                .module(module)
                .name(c"main");
            let pipeline = d
                .create_compute_pipelines(
                    vk::PipelineCache::null(),
                    &[vk::ComputePipelineCreateInfo::default().stage(stage).layout(layout)],
                    None,
                )
                .expect("pipeline")[0];
            d.destroy_shader_module(module, None);
            // Six persistent buffers (inputs, seed, result) and the links in two alternating
            // slots of one heap, as the plan places them.
            let usage = vk::BufferUsageFlags::STORAGE_BUFFER;
            let info = vk::BufferCreateInfo::default().size(BYTES).usage(usage);
            let mut buffers = Vec::new();
            for _ in 0..6 + PASSES - 1 {
                buffers.push(d.create_buffer(&info, None).expect("buffer"));
            }
            let req = d.get_buffer_memory_requirements(buffers[0]);
            let slot = req.size.next_multiple_of(req.alignment);
            let props = raw.instance.get_physical_device_memory_properties(raw.physical);
            let type_index = (0..props.memory_type_count)
                .find(|&i| req.memory_type_bits & (1 << i) != 0)
                .expect("memory type");
            let memory = d
                .allocate_memory(
                    &vk::MemoryAllocateInfo::default()
                        .allocation_size(slot * 8)
                        .memory_type_index(type_index),
                    None,
                )
                .expect("memory");
            for (i, b) in buffers.iter().enumerate() {
                let offset = if i < 6 { i as u64 * slot } else { (6 + (i - 6) % 2) as u64 * slot };
                d.bind_buffer_memory(*b, memory, offset).expect("bind");
            }
            Hand {
                raw: raw.clone(),
                push,
                debug,
                pool,
                cmd,
                fence,
                queries,
                set_layout,
                layout,
                pipeline,
                memory,
                buffers,
                barriers: 0,
            }
        }
    }

    /// Waits for the last frame and resets its command pool, as the executor does when it
    /// waits, so neither side frees the last frame's commands in its timed region.
    fn wait(&self) {
        // SAFETY: our own fence; once it is signalled the pool's buffer is not in use.
        unsafe {
            self.raw.device.wait_for_fences(&[self.fence], true, u64::MAX).expect("wait");
            self.raw
                .device
                .reset_command_pool(self.pool, vk::CommandPoolResetFlags::empty())
                .expect("reset");
        }
    }

    fn frame(&mut self) {
        let d = &self.raw.device;
        let cmd = self.cmd;
        let b = &self.buffers;
        // Link k's output: link k of the transient chain, or the result buffer for the last.
        let out = |k: usize| if k + 1 == PASSES { b[5] } else { b[6 + k] };
        let input = |k: usize| if k == 0 { b[4] } else { out(k - 1) };
        let mut barriers = 0;
        // SAFETY: the previous frame is complete (the fence was waited on); every object lives
        // until `destroy`.
        unsafe {
            d.reset_fences(&[self.fence]).expect("reset fence");
            d.begin_command_buffer(
                cmd,
                &vk::CommandBufferBeginInfo::default()
                    .flags(vk::CommandBufferUsageFlags::ONE_TIME_SUBMIT),
            )
            .expect("begin");
            d.cmd_reset_query_pool(cmd, self.queries, 0, 2 * PASSES as u32);
            let frame_start = [vk::MemoryBarrier2::default()
                .src_stage_mask(vk::PipelineStageFlags2::ALL_COMMANDS)
                .src_access_mask(vk::AccessFlags2::MEMORY_WRITE)
                .dst_stage_mask(vk::PipelineStageFlags2::ALL_COMMANDS)
                .dst_access_mask(vk::AccessFlags2::MEMORY_READ | vk::AccessFlags2::MEMORY_WRITE)];
            d.cmd_pipeline_barrier2(
                cmd,
                &vk::DependencyInfo::default().memory_barriers(&frame_start),
            );
            barriers += 1;
            let label = c"chain";
            // One bind for the chain: every link uses the same pipeline (as the executor binds
            // a pipeline again only when it changes).
            d.cmd_bind_pipeline(cmd, vk::PipelineBindPoint::COMPUTE, self.pipeline);
            for k in 0..PASSES {
                // The previous link's write before this read; this link's slot was last read by
                // the pass before (its previous occupant's reader).
                let mut bb = Vec::with_capacity(2);
                if k > 0 {
                    bb.push(
                        vk::BufferMemoryBarrier2::default()
                            .src_stage_mask(vk::PipelineStageFlags2::COMPUTE_SHADER)
                            .src_access_mask(vk::AccessFlags2::SHADER_STORAGE_WRITE)
                            .dst_stage_mask(vk::PipelineStageFlags2::COMPUTE_SHADER)
                            .dst_access_mask(vk::AccessFlags2::SHADER_STORAGE_READ)
                            .src_queue_family_index(vk::QUEUE_FAMILY_IGNORED)
                            .dst_queue_family_index(vk::QUEUE_FAMILY_IGNORED)
                            .buffer(input(k))
                            .size(vk::WHOLE_SIZE),
                    );
                }
                if k >= 2 || k + 1 == PASSES {
                    bb.push(
                        vk::BufferMemoryBarrier2::default()
                            .src_stage_mask(vk::PipelineStageFlags2::COMPUTE_SHADER)
                            .dst_stage_mask(vk::PipelineStageFlags2::COMPUTE_SHADER)
                            .dst_access_mask(vk::AccessFlags2::SHADER_STORAGE_WRITE)
                            .src_queue_family_index(vk::QUEUE_FAMILY_IGNORED)
                            .dst_queue_family_index(vk::QUEUE_FAMILY_IGNORED)
                            .buffer(out(k))
                            .size(vk::WHOLE_SIZE),
                    );
                }
                if !bb.is_empty() {
                    barriers += bb.len();
                    d.cmd_pipeline_barrier2(
                        cmd,
                        &vk::DependencyInfo::default().buffer_memory_barriers(&bb),
                    );
                }
                if let Some(dbg) = &self.debug {
                    dbg.cmd_begin_debug_utils_label(
                        cmd,
                        &vk::DebugUtilsLabelEXT::default().label_name(label),
                    );
                }
                d.cmd_write_timestamp2(
                    cmd,
                    vk::PipelineStageFlags2::TOP_OF_PIPE,
                    self.queries,
                    2 * k as u32,
                );
                let views = [input(k), out(k), b[0], b[1], b[2], b[3]];
                let infos: Vec<_> = views
                    .iter()
                    .map(|&buf| {
                        vk::DescriptorBufferInfo::default().buffer(buf).range(vk::WHOLE_SIZE)
                    })
                    .collect();
                let writes: Vec<_> = (0..6)
                    .map(|i| {
                        vk::WriteDescriptorSet::default()
                            .dst_binding(i as u32)
                            .descriptor_type(vk::DescriptorType::STORAGE_BUFFER)
                            .buffer_info(std::slice::from_ref(&infos[i]))
                    })
                    .collect();
                self.push.cmd_push_descriptor_set(
                    cmd,
                    vk::PipelineBindPoint::COMPUTE,
                    self.layout,
                    0,
                    &writes,
                );
                d.cmd_push_constants(
                    cmd,
                    self.layout,
                    vk::ShaderStageFlags::COMPUTE,
                    0,
                    &(k as u32).to_le_bytes(),
                );
                d.cmd_dispatch(cmd, 1, 1, 1);
                d.cmd_write_timestamp2(
                    cmd,
                    vk::PipelineStageFlags2::BOTTOM_OF_PIPE,
                    self.queries,
                    2 * k as u32 + 1,
                );
                if let Some(dbg) = &self.debug {
                    dbg.cmd_end_debug_utils_label(cmd);
                }
            }
            d.end_command_buffer(cmd).expect("end");
            let cmds = [vk::CommandBufferSubmitInfo::default().command_buffer(cmd)];
            let submit = vk::SubmitInfo2::default().command_buffer_infos(&cmds);
            d.queue_submit2(self.raw.queue, &[submit], self.fence).expect("submit");
        }
        self.barriers = barriers;
    }

    fn destroy(self) {
        let d = &self.raw.device;
        // SAFETY: the GPU is idle (the caller waited for the fence); all objects are ours.
        unsafe {
            for b in &self.buffers {
                d.destroy_buffer(*b, None);
            }
            d.free_memory(self.memory, None);
            d.destroy_pipeline(self.pipeline, None);
            d.destroy_pipeline_layout(self.layout, None);
            d.destroy_descriptor_set_layout(self.set_layout, None);
            d.destroy_query_pool(self.queries, None);
            d.destroy_fence(self.fence, None);
            d.destroy_command_pool(self.pool, None);
        }
    }
}

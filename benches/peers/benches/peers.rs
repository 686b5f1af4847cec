//! A frame's CPU cost through rg-vulkan against the same frame through wgpu, in one process, a
//! frame of each in turn.
//!
//! The frame is the `record` benchmark's chain: 1000 compute dispatches, each reading the
//! previous link's output and four shared inputs and writing its own output (six storage
//! buffers), each depending on the one before. rg-vulkan's side declares the graph, compiles it
//! (a plan-cache hit after the first frame), records and submits. wgpu's side (Vulkan backend,
//! no validation) records one compute pass with the pipeline set once and, per link,
//! `set_bind_group` (bind groups made once, before timing), `set_immediates` and
//! `dispatch_workgroups`, then
//! submits; wgpu works out its barriers itself by tracking every use. Links alternate between two
//! buffers on wgpu's side, as rg-vulkan's plan places them in two slots of one heap.
//!
//! Neither side takes timestamps or writes debug labels. Each waits for the GPU before its timed
//! region, which runs from the first call of the frame to the return of the submission.
//!
//! `RG_PEERS_FRAMES` sets the frames measured per side (default 50); `RG_PEERS_RUNS` the runs
//! (default 3), each printed. Both push the link's number (rg-vulkan a push constant, wgpu an
//! immediate).

use rg_core::{
    Access, AccessMask, BufferDesc, BufferHandle, Compiler, Extent, Graph, QueueKind,
    ResourceState, ShaderStages, StageMask,
};
use rg_vulkan::{Bindings, Config, Context, Executor, ExecutorConfig, MemoryUse, Pass};
use std::time::Instant;

const PASSES: usize = 1000;
const ELEMENTS: u64 = 64;
const BYTES: u64 = ELEMENTS * 4;
const C: ShaderStages = ShaderStages::COMPUTE;

fn import(g: &mut Graph<Pass>, label: &str, access: AccessMask) -> BufferHandle {
    let s = ResourceState { layout: None, queue: QueueKind::Compute, stages: StageMask::COMPUTE_SHADER, access };
    g.import_buffer(label, BufferDesc::new(BYTES), s, s)
}

/// The chain as rg-vulkan passes; returns the imports to bind (inputs, seed, result).
fn declare(g: &mut Graph<Pass>) -> ([BufferHandle; 4], BufferHandle, BufferHandle) {
    let inputs = ["in.a", "in.b", "in.c", "in.d"].map(|l| import(g, l, AccessMask::STORAGE_READ));
    let seed = import(g, "seed", AccessMask::STORAGE_READ);
    let result = import(g, "result", AccessMask::STORAGE_WRITE);
    let mut prev = seed;
    for link in 0..PASSES {
        let next = if link + 1 == PASSES {
            result
        } else {
            g.create_buffer("link", BufferDesc::new(BYTES))
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

const WGSL: &str = "
@group(0) @binding(0) var<storage, read> prev: array<f32>;
@group(0) @binding(1) var<storage, read_write> next: array<f32>;
@group(0) @binding(2) var<storage, read> a: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;
@group(0) @binding(4) var<storage, read> c: array<f32>;
@group(0) @binding(5) var<storage, read> d: array<f32>;

var<immediate> link: u32;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    let i = id.x;
    next[i] = prev[i] * 0.5 + a[i] + b[i] * c[i] - d[i] + f32(link & 7u);
}
";

/// wgpu's side: device, pipeline, and a bind group per link, made once.
struct Peer {
    device: wgpu::Device,
    queue: wgpu::Queue,
    pipeline: wgpu::ComputePipeline,
    groups: Vec<wgpu::BindGroup>,
    name: String,
}

impl Peer {
    fn new() -> Peer {
        let instance = wgpu::Instance::new(wgpu::InstanceDescriptor {
            backends: wgpu::Backends::VULKAN,
            flags: wgpu::InstanceFlags::empty(),
            ..wgpu::InstanceDescriptor::new_without_display_handle()
        });
        let adapter = pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions::default()))
            .expect("a Vulkan adapter for wgpu");
        let name = adapter.get_info().name;
        // Immediates (push constants) carry the link's number, as rg-vulkan's side pushes it.
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            required_features: wgpu::Features::IMMEDIATES,
            required_limits: wgpu::Limits { max_immediate_size: 4, ..wgpu::Limits::default() },
            ..Default::default()
        }))
        .expect("a wgpu device with immediates");
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("chain"),
            source: wgpu::ShaderSource::Wgsl(WGSL.into()),
        });
        let storage = |binding: u32, read_only: bool| wgpu::BindGroupLayoutEntry {
            binding,
            visibility: wgpu::ShaderStages::COMPUTE,
            ty: wgpu::BindingType::Buffer {
                ty: wgpu::BufferBindingType::Storage { read_only },
                has_dynamic_offset: false,
                min_binding_size: None,
            },
            count: None,
        };
        let entries: Vec<_> = (0..6).map(|b| storage(b, b != 1)).collect();
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("chain"),
            entries: &entries,
        });
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("chain"),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 4,
        });
        let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some("chain"),
            layout: Some(&pipeline_layout),
            module: &module,
            entry_point: Some("main"),
            compilation_options: Default::default(),
            cache: None,
        });
        let buffer = |label: &str| {
            device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size: BYTES,
                usage: wgpu::BufferUsages::STORAGE,
                mapped_at_creation: false,
            })
        };
        let inputs: Vec<_> = ["in.a", "in.b", "in.c", "in.d"].iter().map(|l| buffer(l)).collect();
        let (seed, result) = (buffer("seed"), buffer("result"));
        let slots = [buffer("slot.0"), buffer("slot.1")];
        let groups = (0..PASSES)
            .map(|link| {
                let prev = if link == 0 { &seed } else { &slots[(link - 1) % 2] };
                let next = if link + 1 == PASSES { &result } else { &slots[link % 2] };
                let mut entries = vec![
                    wgpu::BindGroupEntry { binding: 0, resource: prev.as_entire_binding() },
                    wgpu::BindGroupEntry { binding: 1, resource: next.as_entire_binding() },
                ];
                for (k, b) in inputs.iter().enumerate() {
                    entries.push(wgpu::BindGroupEntry { binding: 2 + k as u32, resource: b.as_entire_binding() });
                }
                device.create_bind_group(&wgpu::BindGroupDescriptor { label: None, layout: &layout, entries: &entries })
            })
            .collect();
        Peer { device, queue, pipeline, groups, name }
    }

    fn frame(&self) {
        let mut encoder = self.device.create_command_encoder(&wgpu::CommandEncoderDescriptor::default());
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor::default());
            pass.set_pipeline(&self.pipeline);
            for (link, g) in self.groups.iter().enumerate() {
                pass.set_bind_group(0, g, &[]);
                pass.set_immediates(0, &(link as u32).to_le_bytes());
                pass.dispatch_workgroups(1, 1, 1);
            }
        }
        self.queue.submit([encoder.finish()]);
    }

    fn wait(&self) {
        let _ = self.device.poll(wgpu::PollType::wait_indefinitely());
    }
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let frames: usize = std::env::var("RG_PEERS_FRAMES").ok().and_then(|v| v.parse().ok()).unwrap_or(50);
    let runs: usize = std::env::var("RG_PEERS_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(3);
    let ctx = match Context::new(&Config { validation: false, ..Config::default() }) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("peers: no Vulkan device ({e}); nothing measured");
            return;
        }
    };
    let config = ExecutorConfig { timestamps: false, labels: false, ..ExecutorConfig::default() };
    let mut ex = Executor::with_config(&ctx, config).expect("executor");
    let names = ["in.a", "in.b", "in.c", "in.d", "seed", "result"];
    let persistent: Vec<_> =
        names.iter().map(|n| ex.create_buffer(n, BYTES, MemoryUse::Device).expect("buffer")).collect();
    let peer = Peer::new();
    println!(
        "peers: {PASSES} compute dispatches a frame, 6 storage buffers each, {frames} frames a side per run, in turn",
    );
    println!("rg-vulkan on `{}`, wgpu on `{}`", ctx.capabilities.device_name, peer.name);
    println!("| run | rg-vulkan median | rg-vulkan min | wgpu median | wgpu min | rg-vulkan barriers | ratio (medians) |");
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    let mut compiler = Compiler::new();
    // For diagnosis only: RG_PEERS_ONLY_OURS=1 runs rg-vulkan's side alone.
    let only_ours = std::env::var("RG_PEERS_ONLY_OURS").is_ok_and(|v| v == "1");
    for run in 1..=runs {
        let (mut ours, mut theirs, mut barriers) = (Vec::new(), Vec::new(), 0);
        let (mut declare_us, mut record_us) = (Vec::new(), Vec::new());
        for frame in 0..frames + 3 {
            ex.wait_idle().expect("idle");
            peer.wait();
            let start = Instant::now();
            let mut g: Graph<Pass> = Graph::new(Extent::new(64, 64));
            let (inputs, seed, result) = declare(&mut g);
            let compiled = compiler.compile_frame(g, ex.memory()).expect("compiles");
            let declared = start.elapsed().as_secs_f64() * 1e6;
            let mut b = Bindings::new().buffer(seed, persistent[4]).buffer(result, persistent[5]);
            for (k, h) in inputs.iter().enumerate() {
                b = b.buffer(*h, persistent[k]);
            }
            let stats = ex.run(compiled, &b).expect("frame");
            let t_ours = start.elapsed().as_secs_f64() * 1e6;
            barriers = stats.barriers;
            ex.wait_idle().expect("idle");
            let start = Instant::now();
            if !only_ours {
                peer.frame();
            }
            let t_theirs = start.elapsed().as_secs_f64() * 1e6;
            if frame >= 3 {
                ours.push(t_ours);
                theirs.push(t_theirs);
                declare_us.push(declared);
                record_us.push(stats.record_us);
            }
        }
        let (om, tm) = (median(&mut ours), median(&mut theirs));
        let (omin, tmin) = (ours[0], theirs[0]);
        println!(
            "| {run} | {om:.0} µs ({:.0} declare + compile, {:.0} record) | {omin:.0} µs | {tm:.0} µs | {tmin:.0} µs | {barriers} | {:.2} |",
            median(&mut declare_us),
            median(&mut record_us),
            om / tm
        );
    }
    ex.wait_idle().expect("idle");
    peer.wait();
}

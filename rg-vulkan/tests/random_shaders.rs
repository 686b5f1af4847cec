//! 200 random graphs of shader work (rg-core's generator in `shader_only` mode) executed for
//! real: compute passes and raster passes whose shaders are generated from the pass's declared
//! accesses, each writing values derived from its inputs, and the imported buffers read back and
//! compared with a CPU model of the same plan. Zero validation messages.

mod common;

use rg_core::gen::{random_graph_with, Params, SHADER_IMAGE_SIDE, TRANSFER_SIZE};
use rg_core::*;
use rg_vulkan::{
    Bindings, DeviceMemory, Error, Executor, ExecutorConfig, GraphicsDesc, MemoryUse, Pass,
    Recorder, Rendering, Sampler,
};
use std::path::{Path, PathBuf};

const N: usize = (TRANSFER_SIZE / 4) as usize;

fn seed_of(label: &str) -> u32 {
    label.bytes().fold(0x811c_9dc5u32, |h, b| (h ^ b as u32).wrapping_mul(0x0100_0193))
}

/// The shaders' hash (the same as `rg_hash` in shaders/common.glsl).
fn hash(mut x: u32) -> u32 {
    x ^= x >> 16;
    x = x.wrapping_mul(0x7feb_352d);
    x ^= x >> 15;
    x = x.wrapping_mul(0x846c_a68b);
    x ^= x >> 16;
    x
}

/// How a pass sees one of its resources.
#[derive(Clone, Copy, PartialEq)]
enum Use {
    StorageBuffer,
    UniformBuffer,
    StorageImage,
    SampledImage,
}

fn use_of(a: &PlannedAccess, image: bool) -> Use {
    match (a.access, image) {
        (Access::Uniform(_), _) => Use::UniformBuffer,
        (Access::Sampled(_), _) => Use::SampledImage,
        (_, true) => Use::StorageImage,
        (_, false) => Use::StorageBuffer,
    }
}

/// The GLSL of a pass: every output element `i` is
/// `hash(fold(seed ^ j * 0x9e3779b9, inputs[i]..., old[i] if read-modify-write) ^ i)` where the
/// fold is `acc * 31 + x`.
fn shader_source(accesses: &[PlannedAccess], images: &[bool], raster: bool) -> String {
    let mut s = String::from("#version 450\n");
    let stage_in = if raster {
        "layout(location = 0) out uint color;\n"
    } else {
        "layout(local_size_x = 16, local_size_y = 16) in;\n"
    };
    s.push_str(stage_in);
    s.push_str("layout(push_constant) uniform P { uint seed; } p;\n");
    s.push_str(
        "uint h(uint x) { x ^= x >> 16; x *= 0x7feb352du; x ^= x >> 15; x *= 0x846ca68bu; \
         x ^= x >> 16; return x; }\n",
    );
    let mut sampler = false;
    let mut reads = Vec::new();
    let mut outs = Vec::new();
    for (b, a) in accesses.iter().enumerate() {
        let u = use_of(a, images[b]);
        let write = a.access.writes();
        let rmw = a.access.reads_contents() && write;
        let name = format!("r{b}");
        if matches!(a.access, Access::ColorWrite | Access::ColorReadWrite) {
            outs.push(("color".to_string(), false, String::new()));
            continue;
        }
        let q = if !write {
            "readonly "
        } else if !rmw {
            "writeonly "
        } else {
            ""
        };
        match u {
            Use::StorageBuffer => {
                s.push_str(&format!(
                    "layout(binding = {b}) {q}buffer B{b} {{ uint d[]; }} {name};\n"
                ));
                if write {
                    let old = format!("{name}.d[i]");
                    outs.push((format!("{name}.d[i] = "), rmw, old));
                } else {
                    reads.push(format!("{name}.d[i]"));
                }
            }
            Use::UniformBuffer => {
                s.push_str(&format!(
                    "layout(binding = {b}) uniform U{b} {{ uvec4 d[{}]; }} {name};\n",
                    N / 4
                ));
                reads.push(format!("{name}.d[i / 4u][i % 4u]"));
            }
            Use::StorageImage => {
                s.push_str(&format!("layout(binding = {b}, r32ui) uniform {q}uimage2D {name};\n"));
                if write {
                    let old = format!("imageLoad({name}, xy).r");
                    outs.push((format!("imageStore({name}, xy, uvec4("), rmw, old));
                } else {
                    reads.push(format!("imageLoad({name}, xy).r"));
                }
            }
            Use::SampledImage => {
                s.push_str(&format!("layout(binding = {b}) uniform utexture2D {name};\n"));
                reads.push(format!("texelFetch(usampler2D({name}, smp), xy, 0).r"));
                sampler = true;
            }
        }
    }
    if sampler {
        s.push_str(&format!("layout(binding = {}) uniform sampler smp;\n", accesses.len()));
    }
    s.push_str("void main() {\n");
    if raster {
        s.push_str("    ivec2 xy = ivec2(gl_FragCoord.xy);\n");
    } else {
        s.push_str("    ivec2 xy = ivec2(gl_LocalInvocationID.xy);\n");
    }
    s.push_str(&format!("    uint i = uint(xy.y) * {SHADER_IMAGE_SIDE}u + uint(xy.x);\n"));
    for (j, (store, rmw, old)) in outs.iter().enumerate() {
        s.push_str(&format!("    uint a{j} = p.seed ^ ({j}u * 0x9e3779b9u);\n"));
        for r in &reads {
            s.push_str(&format!("    a{j} = a{j} * 31u + {r};\n"));
        }
        if *rmw {
            s.push_str(&format!("    a{j} = a{j} * 31u + {old};\n"));
        }
        if store == "color" {
            s.push_str(&format!("    color = h(a{j} ^ i);\n"));
        } else if store.starts_with("imageStore") {
            s.push_str(&format!("    {store}h(a{j} ^ i)));\n"));
        } else {
            s.push_str(&format!("    {store}h(a{j} ^ i);\n"));
        }
    }
    s.push_str("}\n");
    s
}

/// Writes the pass's shader under `root` (once per distinct source) and returns its path.
fn write_shader(root: &Path, source: &str, raster: bool) -> String {
    let name = format!(
        "gen/{:016x}.{}",
        seed_of(source) as u64 * 0x1_0000_0001,
        if raster { "frag" } else { "comp" }
    );
    let path = root.join(&name);
    if !path.exists() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, source).unwrap();
    }
    name
}

fn record(root: PathBuf, label: String) -> Pass {
    Box::new(move |r: &mut Recorder<'_>| -> Result<(), Error> {
        let accesses = r.accesses().to_vec();
        let raster = accesses
            .iter()
            .any(|a| matches!(a.access, Access::ColorWrite | Access::ColorReadWrite));
        let plan_kinds: Vec<bool> = accesses.iter().map(|a| r.is_image(a.resource)).collect();
        let source = shader_source(&accesses, &plan_kinds, raster);
        let path = write_shader(&root, &source, raster);
        if raster {
            r.begin_rendering(Rendering { clear_color: None, clear_depth: None })?;
            r.graphics(&GraphicsDesc::new("gen/fullscreen.vert", &path))?;
        } else {
            r.compute(&path, &[])?;
        }
        let mut sampler = false;
        for (b, a) in accesses.iter().enumerate() {
            if matches!(a.access, Access::ColorWrite | Access::ColorReadWrite) {
                continue;
            }
            if plan_kinds[b] {
                r.bind_image_index(b as u32, a.resource)?;
                sampler |= matches!(a.access, Access::Sampled(_));
            } else {
                r.bind_buffer_index(b as u32, a.resource)?;
            }
        }
        if sampler {
            r.bind_sampler(accesses.len() as u32, Sampler::Nearest)?;
        }
        r.push_u32(&[seed_of(&label)])?;
        if raster {
            r.draw(3, 1)
        } else {
            r.dispatch(1, 1, 1)
        }
    })
}

/// The CPU model: runs the plan's passes in order over 256 words per resource.
fn model(plan: &Plan, initial: &[(usize, Vec<u32>)], labels: &[String]) -> Vec<Vec<u32>> {
    let mut data = vec![vec![0u32; N]; plan.resources.len()];
    for (i, d) in initial {
        data[*i] = d.clone();
    }
    for pass in &plan.passes {
        let seed = seed_of(&labels[pass.id]);
        let reads: Vec<usize> = plan
            .accesses_of(pass)
            .iter()
            .filter(|a| !a.access.writes())
            .map(|a| a.resource)
            .collect();
        let mut new = Vec::new();
        for (j, a) in plan.accesses_of(pass).iter().filter(|a| a.access.writes()).enumerate() {
            let j = j as u32;
            let rmw = a.access.reads_contents() && !matches!(a.access, Access::ColorReadWrite);
            let out: Vec<u32> = (0..N)
                .map(|i| {
                    let mut acc = seed ^ j.wrapping_mul(0x9e37_79b9);
                    for &r in &reads {
                        acc = acc.wrapping_mul(31).wrapping_add(data[r][i]);
                    }
                    if rmw {
                        acc = acc.wrapping_mul(31).wrapping_add(data[a.resource][i]);
                    }
                    hash(acc ^ i as u32)
                })
                .collect();
            new.push((a.resource, out));
        }
        for (r, out) in new {
            data[r] = out;
        }
    }
    data
}

#[test]
fn random_shader_graphs_match_a_cpu_model_with_no_validation_messages() {
    let Some(ctx) = common::context("random_shader_graphs") else { return };
    let root = std::env::temp_dir().join(format!("rg-random-shaders-{}", std::process::id()));
    std::fs::create_dir_all(root.join("gen")).unwrap();
    std::fs::write(
        root.join("gen/fullscreen.vert"),
        "#version 450\nvoid main() { vec2 uv = vec2((gl_VertexIndex << 1) & 2, gl_VertexIndex & 2);\n\
         gl_Position = vec4(uv * 2.0 - 1.0, 0.0, 1.0); }\n",
    )
    .unwrap();
    let config = ExecutorConfig { shader_root: root.clone(), ..ExecutorConfig::default() };
    let mut ex = Executor::with_config(&ctx, config).expect("executor");
    let params = Params { shader_only: true, passes: 12, ..Params::default() };
    let (mut checked, mut passes, mut raster, mut compute, mut aliased) = (0, 0, 0, 0, 0);
    for seed in 0..200u64 {
        let mut labels = Vec::new();
        let g = random_graph_with(seed, &params, |label| {
            labels.push(label.to_owned());
            record(root.clone(), label.to_owned())
        });
        let frame = Compiler::new()
            .compile_frame(g, &DeviceMemory::new(&ctx))
            .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        // The plan outlives the frame, which running consumes: the model replays it after.
        let plan = frame.plan().clone();
        let problems = oracle::check(&plan);
        assert!(problems.is_empty(), "seed {seed}: {problems:?}");
        let mut bindings = Bindings::new();
        let mut initial = Vec::new();
        let mut bound = Vec::new();
        for (i, res) in plan.resources.iter().enumerate() {
            if !matches!(res.lifetime, Lifetime::Imported { .. }) {
                continue;
            }
            let buf = ex.create_buffer(&res.label, TRANSFER_SIZE, MemoryUse::Readback).unwrap();
            let words: Vec<u32> =
                (0..N as u32).map(|k| hash(k ^ (seed as u32) << 8 ^ i as u32)).collect();
            let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
            ex.write_buffer(buf, &bytes).unwrap();
            let import = frame.graph().imported_buffer(i).expect("imports are buffers");
            bindings = bindings.buffer(import, buf);
            initial.push((i, words));
            bound.push((i, buf));
        }
        ex.run(frame, &bindings).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        let want = model(&plan, &initial, &labels);
        for (i, buf) in bound {
            let bytes = ex.read_buffer(buf).unwrap();
            let got: Vec<u32> =
                bytes.chunks(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
            assert!(
                got == want[i],
                "seed {seed}: `{}` differs from the CPU model\n{}",
                plan.resources[i].label,
                print::text(&plan)
            );
            checked += 1;
            ex.destroy_buffer(buf);
        }
        for p in &plan.passes {
            if plan
                .accesses_of(p)
                .iter()
                .any(|a| a.access == Access::ColorWrite || a.access == Access::ColorReadWrite)
            {
                raster += 1;
            } else {
                compute += 1;
            }
        }
        passes += plan.passes.len();
        aliased += (plan.stats.transient_bytes < plan.stats.unaliased_bytes) as usize;
        common::assert_clean(&ctx, &format!("random shader graph seed {seed}"));
    }
    eprintln!(
        "200 graphs: {passes} passes ({compute} compute, {raster} raster), {checked} imported buffers checked, {aliased} aliased"
    );
    assert!(checked > 100 && raster > 200 && compute > 200 && aliased > 50, "too little coverage");
}

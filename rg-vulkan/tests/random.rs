//! Random graphs from rg-core's generator executed for real: 200 transfer-only graphs (mixed
//! queue kinds, imports, aliasing on) run on the device with validation and synchronization
//! validation on. Every pass copies its first read into each of its writes, or fills them with a
//! pattern of its own when it reads nothing; a CPU model runs the same plan on byte arrays, and
//! every imported buffer read back must equal the model, with zero validation messages.

mod common;

use rg_core::gen::{random_graph_with, Params, TRANSFER_SIZE};
use rg_core::*;
use rg_vulkan::{Bindings, DeviceMemory, Executor, MemoryUse, Pass, Recorder};

fn pattern(label: &str, k: usize) -> u32 {
    let mut h = 0x811c_9dc5u32;
    for b in label.bytes().chain([k as u8]) {
        h = (h ^ b as u32).wrapping_mul(0x0100_0193);
    }
    h
}

/// What every pass records, from its declared accesses alone.
fn record(label: String) -> Pass {
    Box::new(move |r: &mut Recorder<'_>| {
        let acc = r.accesses().to_vec();
        let reads: Vec<usize> =
            acc.iter().filter(|a| a.access == Access::CopySrc).map(|a| a.resource).collect();
        let writes: Vec<usize> =
            acc.iter().filter(|a| a.access == Access::CopyDst).map(|a| a.resource).collect();
        for (k, &w) in writes.iter().enumerate() {
            match reads.get(k % reads.len().max(1)) {
                Some(&src) => r.copy(src, w, None)?,
                None => r.fill(w, pattern(&label, k))?,
            }
        }
        Ok(())
    })
}

/// The same, on the CPU, in plan order.
fn model(plan: &Plan, initial: &[(usize, Vec<u8>)]) -> Vec<Vec<u8>> {
    let mut bufs = vec![vec![0u8; TRANSFER_SIZE as usize]; plan.resources.len()];
    for (r, data) in initial {
        bufs[*r] = data.clone();
    }
    for pass in &plan.passes {
        let reads: Vec<usize> = plan
            .accesses_of(pass)
            .iter()
            .filter(|a| a.access == Access::CopySrc)
            .map(|a| a.resource)
            .collect();
        let writes: Vec<usize> = plan
            .accesses_of(pass)
            .iter()
            .filter(|a| a.access == Access::CopyDst)
            .map(|a| a.resource)
            .collect();
        for (k, &w) in writes.iter().enumerate() {
            bufs[w] = match reads.get(k % reads.len().max(1)) {
                Some(&src) => bufs[src].clone(),
                None => pattern(&pass.label, k).to_le_bytes().repeat(TRANSFER_SIZE as usize / 4),
            };
        }
    }
    bufs
}

#[test]
fn random_transfer_graphs_match_a_cpu_model_with_no_validation_messages() {
    let Some(ctx) = common::context("random_transfer_graphs") else { return };
    let mut ex = Executor::new(&ctx).expect("executor");
    let params = Params { transfer_only: true, passes: 16, ..Params::default() };
    let (mut checked, mut passes, mut aliased) = (0, 0, 0);
    for seed in 0..200u64 {
        let g = random_graph_with(seed, &params, |label| record(label.to_owned()));
        let frame = Compiler::new()
            .compile_frame(g, &DeviceMemory::new(&ctx))
            .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        // The plan outlives the frame, which running consumes: the model replays it after.
        let plan = frame.plan().clone();
        // Bind every import to a host-visible buffer holding a known pattern.
        let mut imports = Bindings::new();
        let mut initial = Vec::new();
        let mut bound = Vec::new();
        for (i, res) in plan.resources.iter().enumerate() {
            if !matches!(res.lifetime, Lifetime::Imported { .. }) {
                continue;
            }
            let buf =
                ex.create_buffer(&res.label, TRANSFER_SIZE, MemoryUse::Readback).expect("buffer");
            let data: Vec<u8> =
                (0..TRANSFER_SIZE).map(|b| (b as u8) ^ (seed as u8) ^ (i as u8)).collect();
            ex.write_buffer(buf, &data).expect("host visible");
            imports = imports.buffer(handle_of(frame.graph(), i), buf);
            initial.push((i, data));
            bound.push((i, buf));
        }
        ex.run(frame, &imports).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        let want = model(&plan, &initial);
        for (i, buf) in bound {
            let got = ex.read_buffer(buf).expect("host visible");
            assert!(
                got == want[i],
                "seed {seed}: `{}` differs from the CPU model\n{}",
                plan.resources[i].label,
                print::text(&plan)
            );
            checked += 1;
        }
        passes += plan.passes.len();
        aliased += (plan.stats.transient_bytes < plan.stats.unaliased_bytes) as usize;
        common::assert_clean(&ctx, &format!("random graph seed {seed}"));
        ctx.clear_messages();
    }
    assert!(checked > 100 && aliased > 50, "{checked} buffers checked, {aliased} graphs aliased");
    eprintln!("200 graphs, {passes} passes, {checked} imported buffers checked, {aliased} aliased");
}

/// The import handle of resource `i` (imports are declared before any pass writes them, so
/// their version-0 handle is what the executor binds).
fn handle_of(g: &Graph<Pass>, i: usize) -> BufferHandle {
    g.imported_buffer(i).expect("an imported buffer")
}

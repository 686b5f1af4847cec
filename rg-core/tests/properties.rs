//! Property tests over random graphs from `rg_core::gen` (10,000 a run, mixed queues, imports
//! among them some entering idle and some left for a shader, temporals, aliasing on, images with several mips and layers accessed by random parts of
//! them): every plan passes the hazard oracle (which checks temporals against the next frame's
//! first use of them); culling keeps exactly the
//! passes with a path to an output; aliasing never beats the lower bound nor overlaps live
//! resources, and never gives a buffer of indirect arguments memory another transient uses; and
//! graphs with mistakes in them give errors, never a panic. One compiler compiles
//! every graph of a test, as a renderer's does, recycling each plan into the next, and its plans
//! must equal those of a fresh compiler: the working memory and the recycled arrays it keeps
//! between compiles must never leak into a plan.
//!
//! `RG_PROPTEST_CASES` changes the number of graphs.

use rg_core::gen::{self as gen, random_graph, Params};
use rg_core::*;
use std::collections::HashSet;
use std::sync::Arc;

fn cases() -> u64 {
    std::env::var("RG_PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000)
}

#[test]
fn random_plans_pass_the_oracle_and_cull_exactly() {
    let params = Params::default();
    let memory = FakeMemory::default();
    let (mut total_passes, mut total_culled, mut waits, mut transfers) = (0, 0, 0, 0);
    // Barriers that name part of an image, those that merge several cells, and passes that
    // build a pyramid level (read one mip, write another).
    let (mut parts, mut merged, mut pyramids) = (0, 0, 0);
    // Imports used by the frame that come in idle (an entry state with no stages), and those
    // left for a shader (an exit state with shader stages and accesses).
    let (mut idle_entries, mut shader_exits) = (0, 0);
    // Heaps holding buffers and images on the device with small image alignment.
    let mut granular = 0;
    // Transient buffers of indirect arguments, each checked to share memory with nothing.
    let mut indirect = 0;
    // Epilogue barriers that make a temporal's last write visible to the next frame's first use.
    let mut temporal_ends = 0;
    let mixed = |p: &Plan, h: &Heap| {
        let kinds: HashSet<ResourceKind> =
            h.resources.iter().map(|&r| p.resources[r].kind).collect();
        kinds.len() == 2
    };
    let shaders = StageMask::VERTEX_SHADER | StageMask::FRAGMENT_SHADER | StageMask::COMPUTE_SHADER;
    let mut compiler = Compiler::new();
    for seed in 0..cases() {
        let g = random_graph(seed, &params);
        let plan = match compiler.compile_uncached(&g, &memory) {
            Ok(p) => p,
            Err(e) => panic!("seed {seed}: a valid random graph failed to compile: {e}"),
        };
        let fresh = Compiler::new().compile_uncached(&g, &memory).expect("compiled once");
        assert!(plan == fresh, "seed {seed}: a reused compiler planned differently");
        let hazards = oracle::check(&plan);
        assert!(
            hazards.is_empty(),
            "seed {seed}: {} hazard(s), first: {}\n{}",
            hazards.len(),
            hazards[0],
            print::text(&plan)
        );
        let live = cull_reference(&g, &plan);
        let kept: HashSet<usize> = plan.passes.iter().map(|p| p.id).collect();
        assert_eq!(kept, live, "seed {seed}: culling disagrees with the reference walk");
        let s = plan.stats;
        assert!(s.transient_bytes >= s.lower_bound_bytes, "seed {seed}: below the lower bound");
        // First fit never grows a heap by more than the newcomer's aligned size.
        let bound: u64 = plan
            .resources
            .iter()
            .filter_map(|r| r.placement)
            .map(|p| p.size.div_ceil(plan.heaps[p.heap].alignment) * plan.heaps[p.heap].alignment)
            .sum();
        assert!(
            s.transient_bytes <= bound,
            "seed {seed}: {} bytes used, more than {bound}",
            s.transient_bytes
        );
        indirect += alone_if_indirect(&plan).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        total_passes += plan.passes.len();
        total_culled += plan.culled.len();
        waits += s.waits;
        transfers += plan.all_barriers().filter(|b| b.transfer.is_some()).count();
        let whole = |r: usize, s: Subresource| {
            plan.resources[r].image.is_none_or(|i| s.is_whole(i.mip_levels, i.array_layers))
        };
        for b in plan.all_barriers().filter(|b| !whole(b.resource, b.subresource)) {
            parts += 1;
            merged += (b.subresource.mip_count * b.subresource.layer_count > 1) as usize;
        }
        for p in &plan.passes {
            let acc = plan.accesses_of(p);
            pyramids += acc.iter().any(|a| {
                !a.access.writes()
                    && acc.iter().any(|w| {
                        w.access.writes()
                            && w.resource == a.resource
                            && w.subresource.base_mip == a.subresource.base_mip + 1
                            && w.subresource.mip_count == 1
                            && a.subresource.mip_count == 1
                    })
            }) as usize;
        }
        temporal_ends += plan
            .epilogue
            .iter()
            .filter(|b| plan.resources[b.resource].lifetime == Lifetime::Temporal)
            .filter(|b| b.layout.is_none())
            .count();
        for r in plan.resources.iter().filter(|r| r.first_use.is_some()) {
            if let Lifetime::Imported { entry, exit } = r.lifetime {
                idle_entries += entry.stages.is_empty() as usize;
                shader_exits +=
                    (exit.stages.intersects(shaders) && !exit.access.is_empty()) as usize;
            }
        }
        // Every eighth graph again on a device whose images align far below its
        // `bufferImageGranularity`, where only the rounding in mixed heaps keeps neighbours off
        // each other's pages.
        if seed % 8 == 0 {
            let small = FakeMemory { image_alignment: 256, granularity: 16 << 10, ..memory };
            let p = Compiler::new().compile_uncached(&g, &small).expect("compiled once");
            let mut hazards = oracle::check(&p);
            hazards.extend(oracle::check_granularity(&p, small.granularity));
            assert!(hazards.is_empty(), "seed {seed}, small alignment: {}", hazards[0]);
            alone_if_indirect(&p).unwrap_or_else(|e| panic!("seed {seed}, small alignment: {e}"));
            granular += p.heaps.iter().filter(|h| mixed(&p, h)).count();
        }
        // The next graph's plan is built in this one's arrays.
        compiler.recycle(plan);
    }
    // The generator must exercise what the test claims to cover.
    assert!(
        total_culled > 0 && waits > 0 && transfers > 0,
        "{total_passes} {total_culled} {waits} {transfers}"
    );
    assert!(parts > 0 && merged > 0 && pyramids > 0, "{parts} {merged} {pyramids}");
    assert!(idle_entries > 0 && shader_exits > 0, "{idle_entries} {shader_exits}");
    assert!(granular > 0, "no heap held buffers and images on the small-alignment device");
    assert!(indirect > 0, "no transient held indirect arguments");
    assert!(temporal_ends > 0, "no temporal was made visible to its first use at the end");
    eprintln!(
        "{} graphs: {total_passes} passes run, {total_culled} culled, {waits} waits, {transfers} ownership transfers, {parts} barriers of part of an image ({merged} over several cells), {pyramids} pyramid passes, {idle_entries} imports used that enter idle, {shader_exits} left for a shader, {granular} mixed heaps checked for granularity, {indirect} indirect-argument transients alone in memory, {temporal_ends} temporals made visible to their next first use at the end",
        cases()
    );
}

/// The number of placed transients with indirect-argument usage, or the first one that shares
/// a byte with another transient (at any time: they get memory of their own for the frame).
fn alone_if_indirect(plan: &Plan) -> Result<usize, String> {
    let placed: Vec<(usize, Placement)> = plan
        .resources
        .iter()
        .enumerate()
        .filter_map(|(r, res)| Some((r, res.placement.filter(|p| p.size > 0)?)))
        .collect();
    let mut n = 0;
    for &(a, pa) in &placed {
        if !plan.resources[a].usage.contains(Usage::INDIRECT) {
            continue;
        }
        n += 1;
        let shared = placed.iter().find(|&&(b, pb)| {
            b != a
                && pa.heap == pb.heap
                && pa.offset < pb.offset + pb.size
                && pb.offset < pa.offset + pa.size
        });
        if let Some(&(b, _)) = shared {
            let label = |r: usize| &*plan.resources[r].label;
            return Err(format!(
                "`{}`, which holds indirect arguments, shares memory with `{}`\n{}",
                label(a),
                label(b),
                print::text(plan)
            ));
        }
    }
    Ok(n)
}

/// Culling recomputed from the graph's declarations as the plan reports them: a pass is live
/// when it is a side effect, writes an output (an import's or temporal's last version, or an
/// exported version), or writes a version a live pass accesses.
fn cull_reference(g: &Graph, plan: &Plan) -> HashSet<usize> {
    let decl = rg_core::gen::declared_accesses(g);
    let mut writer = std::collections::HashMap::new();
    let mut last_version = std::collections::HashMap::new();
    for (p, accs) in decl.passes.iter().enumerate() {
        for a in accs {
            if a.writes {
                writer.insert((a.resource, a.produces), p);
                let e = last_version.entry(a.resource).or_insert(0);
                *e = (*e).max(a.produces);
            }
        }
    }
    let mut stack: Vec<usize> = Vec::new();
    for (p, &side) in decl.side_effect.iter().enumerate() {
        if side {
            stack.push(p);
        }
    }
    for &(r, v) in &decl.exports {
        if let Some(&w) = writer.get(&(r, v)) {
            stack.push(w);
        }
    }
    for (r, res) in plan.resources.iter().enumerate() {
        if !matches!(res.lifetime, Lifetime::Transient) {
            if let Some(&v) = last_version.get(&r) {
                if let Some(&w) = writer.get(&(r, v)) {
                    stack.push(w);
                }
            }
        }
    }
    let mut live = HashSet::new();
    while let Some(p) = stack.pop() {
        if !live.insert(p) {
            continue;
        }
        for a in &decl.passes[p] {
            if let Some(&w) = writer.get(&(a.resource, a.version)) {
                stack.push(w);
            }
        }
    }
    live
}

#[test]
fn aliased_resources_are_never_live_together() {
    let params = Params { passes: 40, queues: false, ..Params::default() };
    for seed in 0..cases() / 10 {
        let plan = Compiler::new()
            .compile_uncached(&random_graph(seed, &params), &FakeMemory::default())
            .expect("valid");
        for r in &plan.resources {
            if let (Some(p), Some(req)) = (r.placement, r.requirements) {
                assert_eq!(p.offset % req.alignment, 0, "seed {seed}: `{}` misaligned", r.label);
                assert!(p.size >= req.size, "seed {seed}: `{}` placed too small", r.label);
            }
        }
        let placed: Vec<_> = plan
            .resources
            .iter()
            .filter_map(|r| Some((r.placement?, r.first_use?, r.last_use?)))
            .collect();
        for (i, (a, af, al)) in placed.iter().enumerate() {
            for (b, bf, bl) in &placed[i + 1..] {
                let mem = a.heap == b.heap
                    && a.offset < b.offset + b.size
                    && b.offset < a.offset + a.size;
                let time = af <= bl && bf <= al;
                assert!(!(mem && time), "seed {seed}: two live transients share memory");
            }
        }
    }
}

#[test]
fn graphs_with_mistakes_give_errors_not_panics() {
    let params = Params { mistakes: true, ..Params::default() };
    let (mut ok, mut err, mut states, mut ranges, mut unwritten) = (0, 0, 0, 0, 0);
    let mut compiler = Compiler::new();
    for seed in 0..cases() / 5 {
        let g = random_graph(seed, &params);
        match compiler.compile_uncached(&g, &FakeMemory::default()) {
            Ok(plan) => {
                ok += 1;
                let fresh = Compiler::new().compile_uncached(&g, &FakeMemory::default());
                assert!(Ok(&plan) == fresh.as_ref(), "seed {seed}: a reused compiler differed");
                let hazards = oracle::check(&plan);
                assert!(hazards.is_empty(), "seed {seed}: {}", hazards[0]);
            }
            Err(errors) => {
                err += 1;
                assert!(!errors.is_empty());
                let any = |f: fn(&CompileError) -> bool| errors.iter().any(f) as u32;
                states += any(|e| matches!(e, CompileError::InvalidState { .. }));
                ranges += any(|e| matches!(e, CompileError::SubresourceOutOfRange { .. }));
                unwritten += any(|e| matches!(e, CompileError::UnwrittenSubresource { .. }));
                for e in errors.iter() {
                    let msg = e.to_string();
                    assert!(
                        msg.contains('`') && msg.contains(".rs:"),
                        "seed {seed}: vague error: {msg}"
                    );
                }
            }
        }
    }
    assert!(ok > 0 && err > 0, "{ok} compiled, {err} failed: the generator should make both");
    assert!(states > 0, "no graph had an import state that cannot be");
    assert!(ranges > 0, "no graph named mips or layers past an image");
    assert!(unwritten > 0, "no graph read mips or layers that nothing wrote");
}

#[test]
fn plans_evicted_from_the_cache_lend_their_arrays_without_leaking() {
    // More distinct structures than the cache keeps, each compiled twice (a miss, then a hit),
    // so evicted plans are recycled into later compiles.
    let memory = FakeMemory::default();
    let mut compiler = Compiler::new();
    for round in 0..2 {
        for n in 1..=20 {
            let g = gen::synthetic(n * 7);
            let plan = compiler.compile(&g, &memory).expect("valid");
            let fresh = Compiler::new().compile_uncached(&g, &memory).expect("valid");
            assert!(*plan == fresh, "round {round}, {} passes: a recycled plan differed", n * 7);
            assert!(Arc::ptr_eq(&plan, &compiler.compile(&g, &memory).expect("valid")));
        }
    }
    let (hits, misses) = compiler.cache_stats();
    assert_eq!((hits, misses), (40, 40), "every structure missed once a round and then hit");
}

#[test]
fn recycled_plans_are_overwritten_in_place_whatever_graph_comes_next() {
    // A recycled plan keeps its pass and resource entries (and their labels) and the next
    // compile overwrites them: the same graph again, a smaller one, a larger one, one of the
    // same size with other labels, and the first again must all equal fresh plans.
    let memory = FakeMemory::default();
    let mut compiler = Compiler::new();
    let first = gen::synthetic(60);
    let mut other_labels = Graph::new(Extent::new(64, 64));
    {
        let a = other_labels.create_buffer("a", BufferDesc::new(256));
        let mut p = other_labels.add_pass("only", QueueKind::Compute);
        let a = p.write(a, Access::StorageWrite(ShaderStages::COMPUTE));
        p.finish();
        other_labels.export(a);
    }
    let graphs = [&first, &first, &gen::synthetic(20), &gen::synthetic(90), &other_labels, &first];
    for (k, g) in graphs.iter().enumerate() {
        let plan = compiler.compile_uncached(g, &memory).expect("valid");
        let fresh = Compiler::new().compile_uncached(g, &memory).expect("valid");
        assert!(plan == fresh, "graph {k}: a plan built in a recycled one differed");
        for pass in &plan.passes {
            assert_eq!(&*pass.label, g.pass_label(pass.id), "graph {k}");
            assert!(
                std::ptr::eq(pass.label.as_ptr(), g.pass_label(pass.id).as_ptr()),
                "graph {k}: the plan's label is a copy, not the declaration's"
            );
        }
        compiler.recycle(plan);
    }
}

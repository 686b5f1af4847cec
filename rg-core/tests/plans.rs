//! The compiled plans of the reference frames: snapshots of their text, the hazard oracle on
//! each, the aliasing bound, the exports (JSON parses, DOT is a digraph), and the compile cache.
//!
//! Set `RG_UPDATE_SNAPSHOTS=1` to rewrite the snapshot files after an intended change.

use rg_core::*;
use std::path::PathBuf;

fn snapshot_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots").join(format!("{name}.txt"))
}

fn compile(g: &Graph) -> std::sync::Arc<Plan> {
    Compiler::new().compile(g, &FakeMemory::default()).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn reference_plans_match_their_snapshots() {
    let update = std::env::var_os("RG_UPDATE_SNAPSHOTS").is_some();
    let mut stale = Vec::new();
    for (name, g) in reference::all() {
        let text = print::text(&compile(&g));
        let path = snapshot_path(name);
        if update {
            std::fs::create_dir_all(path.parent().expect("has a parent")).expect("mkdir");
            std::fs::write(&path, &text).expect("write snapshot");
            continue;
        }
        let want = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (run with RG_UPDATE_SNAPSHOTS=1)", path.display()));
        if want != text {
            let actual = path.with_extension("actual.txt");
            std::fs::write(&actual, &text).expect("write actual");
            stale.push(format!("{} (actual written to {})", path.display(), actual.display()));
        }
    }
    assert!(stale.is_empty(), "plans differ from their snapshots:\n{}", stale.join("\n"));
}

#[test]
fn reference_plans_are_hazard_free_and_aliasing_is_near_the_bound() {
    for (name, g) in reference::all() {
        let plan = compile(&g);
        let hazards = oracle::check(&plan);
        assert!(hazards.is_empty(), "{name}: {hazards:#?}");
        let s = plan.stats;
        assert!(s.lower_bound_bytes > 0, "{name}: no transients");
        assert!(
            s.transient_bytes as f64 <= 1.05 * s.lower_bound_bytes as f64,
            "{name}: {} bytes used against a lower bound of {}",
            s.transient_bytes,
            s.lower_bound_bytes
        );
        assert!(s.transient_bytes < s.unaliased_bytes, "{name}: aliasing saved nothing");
    }
}

#[test]
fn deferred_frame_has_the_expected_shape() {
    let plan = compile(&reference::deferred_frame());
    assert_eq!(plan.culled.len(), 1);
    assert_eq!(&*plan.culled[0].1, "debug.overlay");
    assert_eq!(plan.passes.len(), 12);
    // Tone mapping is last and writes the swapchain, which ends in the present layout.
    assert_eq!(&*plan.passes.last().expect("passes").label, "post.tonemap");
    let sc = plan.resources.iter().position(|r| &*r.label == "swapchain").expect("swapchain");
    let present = plan.epilogue.iter().find(|b| b.resource == sc).expect("present transition");
    assert_eq!(present.layout, Some((Layout::ColorAttachment, Layout::Present)));
    // Light clustering runs on the compute queue and lighting waits for it.
    let cluster = plan.passes.iter().position(|p| &*p.label == "lights.cluster").expect("cluster");
    assert_eq!(plan.passes[cluster].queue, QueueKind::Compute);
    let lighting = plan.passes.iter().find(|p| &*p.label == "lighting.deferred").expect("lighting");
    assert!(plan.waits_of(lighting).iter().any(|w| w.point == WaitPoint::Pass(cluster)));
    // Nothing is redundant: no pass has two barriers for one resource, and a sampled read that
    // follows another sampled read in the same layout has none.
    for p in &plan.passes {
        let mut seen: Vec<usize> = plan.barriers_of(p).iter().map(|b| b.resource).collect();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), p.barriers.len(), "{}", p.label);
    }
    let tonemap = plan.passes.last().expect("passes");
    assert_eq!(tonemap.barriers.len(), 2, "hdr transition and swapchain acquire only");
}

#[test]
fn temporal_state_carries_over() {
    let plan = compile(&reference::temporal_chain());
    let h = plan.resources.iter().find(|r| &*r.label == "taa.history").expect("history");
    assert_eq!(h.entry, h.exit, "a temporal resource is found as it was left");
    assert_eq!(h.exit.and_then(|s| s.layout), Some(Layout::TransferDst));
    assert!(h.placement.is_none(), "temporal resources are not aliased");
    // The resolve reads last frame's history, so it must come before the store that rewrites it.
    let pos = |l: &str| plan.passes.iter().position(|p| &*p.label == l).expect("pass");
    assert!(pos("taa.resolve") < pos("taa.store_history"));
}

#[test]
fn exports_parse() {
    for (name, g) in reference::all() {
        let plan = compile(&g);
        let json: serde_json::Value =
            serde_json::from_str(&print::json(&plan)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(json["passes"].as_array().map(Vec::len), Some(plan.passes.len()));
        assert_eq!(json["stats"]["barriers"].as_u64(), Some(plan.stats.barriers as u64));
        let dot = print::dot(&plan);
        assert!(dot.starts_with("digraph plan {") && dot.trim_end().ends_with('}'));
        for p in &plan.passes {
            assert!(dot.contains(&*p.label), "{name}: DOT misses {}", p.label);
        }
    }
}

#[test]
fn the_cache_returns_the_same_plan_for_the_same_structure() {
    let memory = FakeMemory::default();
    let mut c = Compiler::new();
    let a = c.compile(&reference::deferred_frame(), &memory).expect("valid");
    let b = c.compile(&reference::deferred_frame(), &memory).expect("valid");
    assert!(std::sync::Arc::ptr_eq(&a, &b), "second compile of an equal structure is a hit");
    assert_eq!(c.cache_stats(), (1, 1));
    // A different oracle or structure is a miss.
    let g = reference::deferred_frame();
    c.compile(&g, &FakeMemory::split()).expect("valid");
    assert_eq!(c.cache_stats(), (1, 2));
    c.compile(&reference::temporal_chain(), &memory).expect("valid");
    assert_eq!(c.cache_stats(), (1, 3));
    // The cached plan equals a fresh compile.
    assert_eq!(
        *a,
        Compiler::new().compile_uncached(&reference::deferred_frame(), &memory).expect("valid")
    );
}

#[test]
fn split_memory_types_never_share_a_heap() {
    let plan = Compiler::new()
        .compile_uncached(&reference::deferred_frame(), &FakeMemory::split())
        .expect("valid");
    assert_eq!(plan.heaps.len(), 2);
    for h in &plan.heaps {
        let kinds: Vec<_> = h.resources.iter().map(|&r| plan.resources[r].kind).collect();
        assert!(kinds.windows(2).all(|w| w[0] == w[1]), "a heap mixes images and buffers");
    }
    assert!(oracle::check(&plan).is_empty());
}

#[test]
fn heaps_list_their_members_in_placement_order() {
    let memory = FakeMemory::default();
    for (name, g) in reference::all().into_iter().chain([("synthetic", gen::synthetic(300))]) {
        let plan = Compiler::new().compile_uncached(&g, &memory).expect("valid");
        let mut listed = 0;
        for (h, heap) in plan.heaps.iter().enumerate() {
            // Largest first, then earliest first use, then declaration order.
            let key = |&r: &usize| {
                let res = &plan.resources[r];
                let pl = res.placement.expect("a heap member is placed");
                assert_eq!(pl.heap, h, "{name}: `{}` listed in another heap", res.label);
                let size = res.requirements.expect("a placed resource has requirements").size;
                (std::cmp::Reverse(size), res.first_use, r)
            };
            let keys: Vec<_> = heap.resources.iter().map(key).collect();
            assert!(keys.windows(2).all(|w| w[0] < w[1]), "{name}: heap {h} out of order");
            listed += heap.resources.len();
        }
        let placed = plan.resources.iter().filter(|r| r.placement.is_some()).count();
        assert_eq!(listed, placed, "{name}: every placed resource is listed once");
    }
}

#[test]
fn the_same_input_gives_the_same_plan() {
    for (name, _) in reference::all() {
        let make = || reference::all().into_iter().find(|(n, _)| *n == name).expect("frame").1;
        let a = print::text(&compile(&make()));
        let b = print::text(&compile(&make()));
        assert_eq!(a, b, "{name}");
    }
}

#[test]
fn the_cache_tells_apart_graphs_that_differ_in_one_detail() {
    let build = |stage: ShaderStages, label: &str, size: u64| {
        let mut g: Graph = Graph::new(Extent::new(64, 64));
        let b = g.create_buffer(label, BufferDesc::new(size));
        let b = g
            .add_pass("fill", QueueKind::Compute)
            .write(b, Access::StorageWrite(ShaderStages::COMPUTE));
        let mut p = g.add_pass("use", QueueKind::Graphics);
        p.read(b, Access::StorageRead(stage));
        p.side_effect();
        p.finish();
        g
    };
    let memory = FakeMemory::default();
    let mut c = Compiler::new();
    c.compile(&build(ShaderStages::FRAGMENT, "buf", 256), &memory).expect("valid");
    c.compile(&build(ShaderStages::VERTEX, "buf", 256), &memory).expect("valid");
    c.compile(&build(ShaderStages::VERTEX, "buf2", 256), &memory).expect("valid");
    c.compile(&build(ShaderStages::VERTEX, "buf2", 512), &memory).expect("valid");
    assert_eq!(c.cache_stats(), (0, 4));
    let plan = c.compile(&build(ShaderStages::VERTEX, "buf2", 512), &memory).expect("valid");
    assert_eq!(c.cache_stats(), (1, 4));
    assert_eq!(&*plan.resources[0].label, "buf2");
}

/// Sizes relative to the output resolve to the rounded product whatever the order of the
/// scales and however many there are (the compiler remembers the last few it resolved), and a
/// scale too small to give a texel is reported even after it resolved others.
#[test]
fn output_relative_sizes_resolve_in_any_order() {
    fn graph(output: Extent, scales: &[(f32, f32)]) -> Graph {
        let mut g: Graph = Graph::new(output);
        let images: Vec<_> = scales
            .iter()
            .enumerate()
            .map(|(i, &(sx, sy))| {
                let desc = ImageDesc::new(Format::Rgba8Unorm, Size::Output { sx, sy });
                g.create_image(&format!("img{i}"), desc)
            })
            .collect();
        let mut p = g.add_pass("p", QueueKind::Graphics);
        let written: Vec<_> = images.into_iter().map(|h| p.write(h, Access::CopyDst)).collect();
        p.finish();
        for h in written {
            g.export(h);
        }
        g
    }

    let output = Extent::new(1917, 1075);
    let choices = [1.0f32, 0.5, 1.0 / 3.0, 0.25, 0.75, 0.125, 2.0];
    let mut k = 5usize;
    let scales: Vec<(f32, f32)> = (0..40)
        .map(|i| {
            k = (k * 7 + 3) % choices.len();
            (choices[k], choices[(k + i) % choices.len()])
        })
        .collect();
    let plan = compile(&graph(output, &scales));
    let side = |x: u32, s: f32| (x as f64 * s as f64).round() as u32;
    for (i, &(sx, sy)) in scales.iter().enumerate() {
        let got = plan.resources[i].image.expect("an image").extent;
        let want = Extent::new(side(output.width, sx), side(output.height, sy));
        assert_eq!(got, want, "img{i} at {sx}x{sy}");
    }

    let scales = [(0.5, 0.5), (0.25, 0.25), (0.5, 0.5), (0.001, 0.001), (0.25, 0.25)];
    let g = graph(Extent::new(64, 64), &scales);
    let errs = Compiler::new().compile(&g, &FakeMemory::default()).expect_err("img3 is too small");
    assert_eq!(errs.len(), 1, "{errs}");
    assert!(errs.to_string().contains("`img3`"), "{errs}");
}

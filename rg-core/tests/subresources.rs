//! Mips and layers as first-class parts of an image: the plans of a Hi-Z pyramid built level by
//! level and of shadow cascades rendered layer by layer into one array, with exactly the barriers
//! each needs (ranges, layouts, merging), a write of one mip that owes nothing to readers of
//! another, and every plan checked by the hazard oracle.

use rg_core::*;

const C: ShaderStages = ShaderStages::COMPUTE;

fn compile(g: &Graph) -> std::sync::Arc<Plan> {
    let plan = Compiler::new().compile(g, &FakeMemory::default()).unwrap_or_else(|e| panic!("{e}"));
    let hazards = oracle::check(&plan);
    assert!(hazards.is_empty(), "{hazards:#?}\n{}", print::text(&plan));
    plan
}

fn mip(k: u32) -> Subresource {
    Subresource { base_mip: k, mip_count: 1, base_layer: 0, layer_count: 1 }
}

/// Pass `hiz.mip{k}` samples level k-1 and writes level k: before it, level k-1 goes from the
/// storage write that made it to sampling (general to shader-read-only), and level k from
/// nothing (undefined, discarding) to storage; no other level is named. The culling pass then
/// needs only the last level moved, the others being already readable.
#[test]
fn a_pyramid_built_level_by_level_has_a_barrier_for_the_level_below_only() {
    let plan = compile(&reference::hiz_pyramid());
    let hiz = plan.resources.iter().position(|r| &*r.label == "hiz.pyramid").expect("pyramid");
    let img = plan.resources[hiz].image.expect("an image");
    assert_eq!((img.extent, img.mip_levels), (Extent::new(1366, 769), 11));
    let storage = (StageMask::COMPUTE_SHADER, AccessMask::STORAGE_WRITE);
    let sampled = (StageMask::COMPUTE_SHADER, AccessMask::SAMPLED_READ);
    for k in 1..11 {
        let p = plan.find_pass(&format!("hiz.mip{k}")).expect("a pass").1;
        let ours: Vec<&Barrier> =
            plan.barriers_of(p).iter().filter(|b| b.resource == hiz).collect();
        assert_eq!(ours.len(), 2, "hiz.mip{k}: {ours:#?}");
        let below = ours[0];
        assert_eq!(below.subresource, mip(k - 1));
        assert_eq!(below.layout, Some((Layout::General, Layout::ShaderReadOnly)));
        assert_eq!((below.src_stages, below.src_access), storage);
        assert_eq!((below.dst_stages, below.dst_access), sampled);
        assert!(!below.discard);
        let level = ours[1];
        assert_eq!(level.subresource, mip(k));
        assert_eq!(level.layout, Some((Layout::Undefined, Layout::General)));
        assert_eq!((level.dst_stages, level.dst_access), storage);
        assert!(level.discard);
        // What the pass declared keeps its parts.
        let parts: Vec<Subresource> = plan
            .accesses_of(p)
            .iter()
            .filter(|a| a.resource == hiz)
            .map(|a| a.subresource)
            .collect();
        assert_eq!(parts, [mip(k - 1), mip(k)]);
    }
    let cull = plan.find_pass("cull.occlusion").expect("cull.occlusion").1;
    let last: Vec<&Barrier> = plan.barriers_of(cull).iter().filter(|b| b.resource == hiz).collect();
    assert_eq!(last.len(), 1, "{last:#?}");
    assert_eq!(last[0].subresource, mip(10));
    assert_eq!(last[0].layout, Some((Layout::General, Layout::ShaderReadOnly)));
    let text = print::text(&plan);
    assert!(text.contains("barrier `hiz.pyramid` mip 2 compute_shader:storage_write"), "{text}");
    assert!(text.contains("storage-w(compute) `hiz.pyramid` v3 mip 3\n"), "{text}");
    assert!(text.contains("sampled(compute) `hiz.pyramid` v11\n"), "{text}");
}

/// Four passes each render one layer of a 4-layer depth array: each moves its own layer from
/// nothing to a depth attachment, and the pass that samples all four gets one barrier for
/// layers 0..4, their states agreeing.
#[test]
fn cascades_rendered_layer_by_layer_are_sampled_after_one_merged_barrier() {
    let plan = compile(&reference::shadow_cascades());
    let sh = plan.resources.iter().position(|r| &*r.label == "shadows.cascades").expect("array");
    for k in 0..4 {
        let p = plan.find_pass(&format!("shadows.cascade{k}")).expect("a pass").1;
        let b = plan.barriers_of(p);
        assert_eq!(b.len(), 1, "{b:#?}");
        let layer = Subresource { base_mip: 0, mip_count: 1, base_layer: k, layer_count: 1 };
        assert_eq!((b[0].resource, b[0].subresource), (sh, layer));
        assert_eq!(b[0].layout, Some((Layout::Undefined, Layout::DepthAttachment)));
    }
    let lighting = plan.find_pass("lighting.deferred").expect("lighting.deferred").1;
    let ours: Vec<&Barrier> =
        plan.barriers_of(lighting).iter().filter(|b| b.resource == sh).collect();
    assert_eq!(ours.len(), 1, "{ours:#?}");
    let all = Subresource { base_mip: 0, mip_count: 1, base_layer: 0, layer_count: 4 };
    assert_eq!(ours[0].subresource, all);
    assert_eq!(ours[0].layout, Some((Layout::DepthAttachment, Layout::DepthReadOnly)));
    assert_eq!(ours[0].src_access, AccessMask::DEPTH_WRITE);
    assert_eq!(
        (ours[0].dst_stages, ours[0].dst_access),
        (StageMask::FRAGMENT_SHADER, AccessMask::SAMPLED_READ)
    );
}

/// Merging reaches past a rectangle of the mip above that does not continue: an image of two
/// mips and four layers, written whole, then read by one pass as mip 0 of layers 0..2 in the
/// fragment shader and mips 0..2 of layers 2..4 in a compute shader. Mip 0 has two runs of
/// layers with different barriers; mip 1 has only the second, which extends that run's
/// rectangle down a mip: two barriers, not three.
#[test]
fn a_run_of_layers_extends_the_rectangle_above_it_past_another() {
    let mut g: Graph = Graph::new(Extent::new(64, 64));
    let desc = ImageDesc::new(Format::Rgba16Float, Size::absolute(64, 64)).mips(2).layers(4);
    let img = g.create_image("merge.array", desc);
    let img = g.add_pass("write", QueueKind::Compute).write(img, Access::StorageWrite(C));
    let mut p = g.add_pass("read", QueueKind::Graphics);
    p.read(img.mip(0).layers(0, 2), Access::Sampled(ShaderStages::FRAGMENT));
    p.read(img.layers(2, 2), Access::Sampled(C));
    p.side_effect();
    p.finish();
    let plan = compile(&g);
    let b = plan.barriers_of(plan.find_pass("read").expect("read").1);
    let ranges: Vec<(Subresource, StageMask)> =
        b.iter().map(|b| (b.subresource, b.dst_stages)).collect();
    let rect = |base_mip, mip_count, base_layer| Subresource {
        base_mip,
        mip_count,
        base_layer,
        layer_count: 2,
    };
    assert_eq!(
        ranges,
        [(rect(0, 1, 0), StageMask::FRAGMENT_SHADER), (rect(0, 2, 2), StageMask::COMPUTE_SHADER)],
        "{}",
        print::text(&plan)
    );
}

/// A write of mip 3 after a read of mip 5 needs no barrier: nothing outstanding touches mip 3.
/// The image is imported in `General` with nothing outstanding, so the read of mip 5 needs no
/// barrier either; with the whole image read instead, the write must wait for the read.
#[test]
fn a_write_of_one_mip_does_not_wait_for_readers_of_another() {
    let frame = |read: fn(ImageHandle) -> ImageHandle| {
        let mut g: Graph = Graph::new(Extent::new(256, 256));
        let desc = ImageDesc::new(Format::Rgba16Float, Size::absolute(256, 256)).mips(6);
        let state = ResourceState {
            layout: Some(Layout::General),
            queue: QueueKind::Compute,
            stages: StageMask::NONE,
            access: AccessMask::NONE,
        };
        let img = g.import_image("blur.chain", desc, state, state);
        let mut p = g.add_pass("read", QueueKind::Compute);
        p.read(read(img), Access::StorageRead(C));
        p.side_effect();
        p.finish();
        let img =
            g.add_pass("write.mip3", QueueKind::Compute).write(img.mip(3), Access::StorageWrite(C));
        g.export(img);
        compile(&g)
    };
    let plan = frame(|h| h.mip(5));
    let order: Vec<&str> = plan.passes.iter().map(|p| &*p.label).collect();
    // Versions stay per image: the write is still ordered after the read.
    assert_eq!(order, ["read", "write.mip3"]);
    assert!(plan.barriers.is_empty() && plan.epilogue.is_empty(), "{}", print::text(&plan));
    let plan = frame(|h| h);
    let w = plan.barriers_of(plan.find_pass("write.mip3").expect("write.mip3").1);
    assert_eq!(w.len(), 1, "{w:#?}");
    assert_eq!(w[0].subresource, mip(3));
    assert_eq!((w[0].src_stages, w[0].src_access), (StageMask::COMPUTE_SHADER, AccessMask::NONE));
}

/// The JSON and DOT exports name the part of an image an access or barrier names, and leave
/// whole-image ones as they were.
#[test]
fn exports_name_the_parts() {
    let plan = compile(&reference::hiz_pyramid());
    let json: serde_json::Value =
        serde_json::from_str(&print::json(&plan)).expect("the JSON export parses");
    let mip2 = &json["passes"][3];
    assert_eq!(mip2["label"], "hiz.mip2");
    assert_eq!(mip2["barriers"][0]["subresource"], "mip 1");
    assert_eq!(mip2["accesses"][1]["subresource"], "mip 2");
    assert!(json["passes"][0]["barriers"][0].get("subresource").is_none());
    let dot = print::dot(&plan);
    assert!(dot.contains("label=\"storage-w(compute)\nmip 4\""), "{dot}");
}

/// A temporal image written by part: the frame writes mip 0 in a compute shader, the last pass
/// samples mip 1 in a fragment shader, and the next frame's first pass samples mip 0 in a
/// compute shader. The epilogue moves mip 0 into the layout the image is left in; that
/// transition must be visible to the next frame's compute read, which finds no barrier of its
/// own before it (the entry state is a read in the same layout).
#[test]
fn a_temporal_cell_moved_at_the_end_is_visible_to_its_first_use_next_frame() {
    let mut g: Graph = Graph::new(Extent::new(64, 64));
    let h = g.temporal_image("history", ImageDesc::new(Format::Rgba16Float, Size::FULL).mips(2));
    let mut p = g.add_pass("first", QueueKind::Graphics);
    p.side_effect().read(h.mip(0), Access::Sampled(ShaderStages::COMPUTE));
    p.finish();
    let mut p = g.add_pass("write", QueueKind::Graphics);
    let h1 = p.write(h.mip(0), Access::StorageWrite(ShaderStages::COMPUTE));
    p.finish();
    let mut p = g.add_pass("last", QueueKind::Graphics);
    p.side_effect().read(h1.mip(1), Access::Sampled(ShaderStages::FRAGMENT));
    p.finish();
    let plan = Compiler::new().compile(&g, &FakeMemory::default()).expect("valid");
    assert!(oracle::check(&plan).is_empty(), "{:?}", oracle::check(&plan));
    let entry = plan.resources[h.index()].entry.expect("a temporal entry state");
    // The first pass of the next frame reads mip 0 with no barrier before it ...
    let first = &plan.passes[0];
    assert_eq!(&*first.label, "first");
    assert!(plan.barriers_of(first).iter().all(|b| b.resource != h.index()));
    assert_eq!(entry.layout, Some(Layout::ShaderReadOnly));
    // ... so the end of this frame must make mip 0's transition visible to it.
    let moved: Vec<&Barrier> = plan
        .epilogue
        .iter()
        .filter(|b| b.resource == h.index() && b.subresource.base_mip == 0)
        .collect();
    assert!(!moved.is_empty(), "mip 0 is moved into the exit layout: {:?}", plan.epilogue);
    for b in moved {
        assert!(b.dst_stages.contains(StageMask::COMPUTE_SHADER), "{b:?}");
        assert!(b.dst_access.contains(AccessMask::SAMPLED_READ), "{b:?}");
    }
    assert!(entry.stages.contains(StageMask::COMPUTE_SHADER | StageMask::FRAGMENT_SHADER));
}

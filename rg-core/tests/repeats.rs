//! A pass that names one resource more than once (reads in one layout, which validation allows):
//! its barriers cover every stage and every access of all of them, merged, for a resource tracked
//! whole and for the cells two parts of an image share. Random graphs name a resource once a pass
//! (a pyramid's two accesses name different mips), so only these tests see the merges.

use rg_core::*;

const G: QueueKind = QueueKind::Graphics;

fn compile(g: &Graph) -> std::sync::Arc<Plan> {
    let plan = Compiler::new().compile(g, &FakeMemory::default()).unwrap_or_else(|e| panic!("{e}"));
    let hazards = oracle::check(&plan);
    assert!(hazards.is_empty(), "{hazards:#?}\n{}", print::text(&plan));
    plan
}

/// A buffer written by a compute shader, then read by three passes, each naming it twice:
/// in two stages with two accesses, in two stages with one access, and in one stage with two
/// accesses. Each reader's barrier (one, as the write is made visible to the first reader's
/// stages only) names the union of its two reads, and a later pass making the first of the two
/// reads again needs none.
#[test]
fn a_resource_named_twice_by_a_pass_gets_one_barrier_for_both_accesses() {
    let v = ShaderStages::VERTEX;
    let f = ShaderStages::FRAGMENT;
    let (vs, fs) = (StageMask::VERTEX_SHADER, StageMask::FRAGMENT_SHADER);
    let (uniform, storage) = (AccessMask::UNIFORM_READ, AccessMask::STORAGE_READ);
    let readers = [
        ("reader.mixed", [Access::Uniform(v), Access::StorageRead(f)], vs | fs, uniform | storage),
        ("reader.stages", [Access::Uniform(v), Access::Uniform(f)], vs | fs, uniform),
        ("reader.accesses", [Access::Uniform(f), Access::StorageRead(f)], fs, uniform | storage),
    ];
    for (label, reads, want_stages, want_access) in readers {
        let mut g = Graph::new(Extent::new(64, 64));
        let buf = g.create_buffer("repeat.buffer", BufferDesc::new(256));
        let mut w = g.add_pass("writer", G);
        let buf = w.write(buf, Access::StorageWrite(ShaderStages::COMPUTE));
        w.finish();
        let mut r = g.add_pass(label, G);
        r.side_effect().read(buf, reads[0]).read(buf, reads[1]);
        r.finish();
        // A later read the barrier already covers needs none: the two reads wrote nothing.
        let mut again = g.add_pass("again", G);
        again.side_effect().read(buf, reads[0]);
        again.finish();
        let plan = compile(&g);
        let again = plan.passes.iter().find(|p| &*p.label == "again").expect("kept");
        assert!(plan.barriers_of(again).is_empty(), "{}", print::text(&plan));

        let reader = plan.passes.iter().find(|p| &*p.label == label).expect("kept");
        let barriers = plan.barriers_of(reader);
        assert_eq!(barriers.len(), 1, "{}", print::text(&plan));
        let b = barriers[0];
        assert_eq!((b.dst_stages, b.dst_access), (want_stages, want_access), "{label}: {b:?}");
        assert_eq!(b.src_access, AccessMask::STORAGE_WRITE, "{label}: {b:?}");
    }
}

/// The same for an image tracked by cell: a pass samples mips 0 and 1 in the vertex shader and
/// mips 1 and 2 in the fragment shader, after a pass wrote all three. Mip 1, named by both
/// reads, is made visible to both stages; the others to the one stage that reads them.
#[test]
fn overlapping_parts_named_by_one_pass_get_the_stages_of_both() {
    let mut g = Graph::new(Extent::new(64, 64));
    let desc = ImageDesc::new(Format::Rgba8Unorm, Size::absolute(64, 64)).mips(3);
    let img = g.create_image("repeat.image", desc);
    let mut w = g.add_pass("writer", G);
    let img = w.write(img, Access::StorageWrite(ShaderStages::COMPUTE));
    w.finish();
    let mut r = g.add_pass("reader", G);
    r.side_effect()
        .read(img.mips(0, 2), Access::Sampled(ShaderStages::VERTEX))
        .read(img.mips(1, 2), Access::Sampled(ShaderStages::FRAGMENT));
    r.finish();
    let plan = compile(&g);

    let reader = plan.passes.iter().find(|p| &*p.label == "reader").expect("kept");
    let (vs, fs) = (StageMask::VERTEX_SHADER, StageMask::FRAGMENT_SHADER);
    let mut seen = [StageMask::NONE; 3];
    for b in plan.barriers_of(reader) {
        assert_eq!(b.dst_access, AccessMask::SAMPLED_READ, "{b:?}");
        let s = b.subresource;
        for m in s.base_mip..s.base_mip + s.mip_count {
            seen[m as usize] |= b.dst_stages;
        }
    }
    assert_eq!(seen, [vs, vs | fs, fs], "{}", print::text(&plan));
}

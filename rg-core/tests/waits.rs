//! Semaphore waits a pass does not need because its own barrier chains from an earlier wait.
//!
//! A wait for another queue holds back the stages it names and every stage logically after
//! them. A barrier whose first scope names one of those stages chains from that wait, so its
//! second scope is ordered after the other queue's work too. When a pass's barrier for a
//! resource (an ownership acquire, or a layout transition) starts from stages of which one was
//! already waited for, the pass needs no wait of its own for that resource.

use rg_core::*;

const G: QueueKind = QueueKind::Graphics;
const T: QueueKind = QueueKind::Transfer;

/// `upload` on the transfer queue writes a colour image and a depth image; `shade` samples the
/// colour image in a fragment shader (a wait for `upload` before the fragment shader and every
/// later stage, the late fragment tests among them); `depth` then uses the depth image with
/// `access` (in the early and late fragment tests). Compiled, and passed by the oracle.
fn upload_shade_depth(access: Access) -> std::sync::Arc<Plan> {
    let mut g: Graph = Graph::new(Extent::new(64, 64));
    let color = g.create_image("color", ImageDesc::new(Format::Rgba8Unorm, Size::FULL));
    let depth = g.create_image("depth", ImageDesc::new(Format::D32Float, Size::FULL));
    let target = g.create_image("target", ImageDesc::new(Format::Rgba8Unorm, Size::FULL));
    let mut p = g.add_pass("upload", T);
    let color = p.write(color, Access::CopyDst);
    let depth = p.write(depth, Access::CopyDst);
    p.finish();
    let mut p = g.add_pass("shade", G);
    p.read(color, Access::Sampled(ShaderStages::FRAGMENT));
    let target = p.write(target, Access::ColorWrite);
    p.finish();
    let mut p = g.add_pass("depth", G);
    let written = if access.writes() {
        Some(p.write(depth, access))
    } else {
        p.read(depth, access);
        None
    };
    let target = p.write(target, Access::ColorReadWrite);
    p.finish();
    g.export(target);
    if let Some(depth) = written {
        g.export(depth);
    }
    let plan =
        Compiler::new().compile(&g, &FakeMemory::default()).unwrap_or_else(|e| panic!("{e}"));
    let hazards = oracle::check(&plan);
    assert!(hazards.is_empty(), "{hazards:#?}\n{}", print::text(&plan));
    plan
}

/// Checks that `depth` has no wait, that its barrier of the depth image starts from both test
/// stages, and that the oracle reports the plan with that first scope narrowed to the early
/// tests, which no wait reached; returns the barrier.
fn chains_from_shades_wait(plan: &Plan) -> Barrier {
    let text = print::text(plan);
    let (upload, _) = plan.find_pass("upload").expect("upload");
    let (_, shade) = plan.find_pass("shade").expect("shade");
    let (_, depth) = plan.find_pass("depth").expect("depth");
    assert!(
        plan.waits_of(shade).iter().any(|w| w.queue == T
            && w.point == WaitPoint::Pass(upload)
            && w.stages.contains(StageMask::FRAGMENT_SHADER)),
        "`shade` waits for `upload` before its fragment shader\n{text}"
    );
    assert!(plan.waits_of(depth).is_empty(), "`depth` needs no wait of its own\n{text}");
    let tests = StageMask::EARLY_FRAGMENT_TESTS | StageMask::LATE_FRAGMENT_TESTS;
    let k = plan
        .barriers_of(depth)
        .iter()
        .position(|b| &*plan.resources[b.resource].label == "depth")
        .unwrap_or_else(|| panic!("`depth` has a barrier of the depth image\n{text}"));
    let barrier = plan.barriers_of(depth)[k];
    assert!(barrier.src_stages.contains(tests), "{barrier:?}\n{text}");

    let mut narrowed = plan.clone();
    narrowed.barriers[depth.barriers.start as usize + k].src_stages =
        StageMask::EARLY_FRAGMENT_TESTS;
    let hazards = oracle::check(&narrowed);
    assert!(
        !hazards.is_empty(),
        "with the early tests alone the barrier chains from no wait\n{}",
        print::text(&narrowed)
    );
    barrier
}

/// A depth read of what `upload` wrote needs the image acquired from the transfer queue; the
/// acquire starts from both test stages, so it chains from `shade`'s wait through the late
/// tests.
#[test]
fn an_acquire_chains_from_an_earlier_wait_for_one_of_its_stages() {
    let plan = upload_shade_depth(Access::DepthRead);
    let acquire = chains_from_shades_wait(&plan);
    assert!(acquire.transfer.is_some(), "{acquire:?}");
}

/// A depth write keeps nothing of what `upload` wrote, so there is no ownership transfer, only
/// a transition to the attachment layout: it starts from both test stages too.
#[test]
fn a_layout_transition_chains_from_an_earlier_wait_for_one_of_its_stages() {
    let plan = upload_shade_depth(Access::DepthWrite);
    let transition = chains_from_shades_wait(&plan);
    assert!(transition.layout.is_some() && transition.transfer.is_none(), "{transition:?}");
}

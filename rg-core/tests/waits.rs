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

fn pass<'p>(plan: &'p Plan, label: &str) -> (usize, &'p PlannedPass) {
    plan.passes
        .iter()
        .enumerate()
        .find(|(_, p)| &*p.label == label)
        .unwrap_or_else(|| panic!("no pass {label}"))
}

/// `upload` on the transfer queue writes a colour image and a depth image. `shade` samples the
/// colour image in a fragment shader (a wait for `upload` before the fragment shader and every
/// later stage, the late fragment tests among them) and `test` then reads the depth image as a
/// depth attachment (the early and late fragment tests). `test`'s acquire of the depth image
/// starts from both test stages, so it chains from `shade`'s wait through the late tests: no
/// second wait for `upload`. The oracle passes the plan, and reports it with the acquire's
/// first scope narrowed to the early tests alone, which no wait has reached.
#[test]
fn an_acquire_chains_from_an_earlier_wait_for_one_of_its_stages() {
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
    let mut p = g.add_pass("test", G);
    p.read(depth, Access::DepthRead);
    let target = p.write(target, Access::ColorReadWrite);
    p.finish();
    g.export(target);

    let plan =
        Compiler::new().compile(&g, &FakeMemory::default()).unwrap_or_else(|e| panic!("{e}"));
    let hazards = oracle::check(&plan);
    assert!(hazards.is_empty(), "{hazards:#?}\n{}", print::text(&plan));
    let (upload, _) = pass(&plan, "upload");
    let (_, shade) = pass(&plan, "shade");
    let (_, test) = pass(&plan, "test");
    let text = print::text(&plan);
    let shade_waits = plan.waits_of(shade);
    assert!(
        shade_waits.iter().any(|w| w.queue == T
            && w.point == WaitPoint::Pass(upload)
            && w.stages.contains(StageMask::FRAGMENT_SHADER)),
        "`shade` waits for `upload` before its fragment shader\n{text}"
    );
    assert!(plan.waits_of(test).is_empty(), "`test` needs no wait of its own\n{text}");
    let tests = StageMask::EARLY_FRAGMENT_TESTS | StageMask::LATE_FRAGMENT_TESTS;
    let k = plan
        .barriers_of(test)
        .iter()
        .position(|b| &*plan.resources[b.resource].label == "depth")
        .unwrap_or_else(|| panic!("`test` acquires the depth image\n{text}"));
    let acquire = plan.barriers_of(test)[k];
    assert!(acquire.transfer.is_some(), "{acquire:?}");
    assert_eq!(acquire.src_stages, tests, "the acquire starts from both test stages\n{text}");

    let mut narrowed = (*plan).clone();
    narrowed.barriers[test.barriers.start as usize + k].src_stages =
        StageMask::EARLY_FRAGMENT_TESTS;
    let hazards = oracle::check(&narrowed);
    assert!(
        !hazards.is_empty(),
        "with the early tests alone the acquire chains from no wait\n{}",
        print::text(&narrowed)
    );
}

/// As above, with a layout transition: `draw` overwrites the depth image `upload` wrote (a
/// depth write keeps nothing, so no ownership transfer), and the transition to the attachment
/// layout starts from both test stages, chaining from `shade`'s wait through the late tests.
#[test]
fn a_layout_transition_chains_from_an_earlier_wait_for_one_of_its_stages() {
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
    let mut p = g.add_pass("draw", G);
    let depth = p.write(depth, Access::DepthWrite);
    let target = p.write(target, Access::ColorReadWrite);
    p.finish();
    g.export(target);
    g.export(depth);

    let plan =
        Compiler::new().compile(&g, &FakeMemory::default()).unwrap_or_else(|e| panic!("{e}"));
    let text = print::text(&plan);
    let hazards = oracle::check(&plan);
    assert!(hazards.is_empty(), "{hazards:#?}\n{text}");
    let (_, draw) = pass(&plan, "draw");
    assert!(plan.waits_of(draw).is_empty(), "`draw` needs no wait of its own\n{text}");
    let tests = StageMask::EARLY_FRAGMENT_TESTS | StageMask::LATE_FRAGMENT_TESTS;
    let k = plan
        .barriers_of(draw)
        .iter()
        .position(|b| &*plan.resources[b.resource].label == "depth")
        .unwrap_or_else(|| panic!("`draw` transitions the depth image\n{text}"));
    let transition = plan.barriers_of(draw)[k];
    assert!(transition.layout.is_some() && transition.transfer.is_none(), "{transition:?}");
    assert!(transition.src_stages.contains(tests), "{transition:?}\n{text}");

    let mut narrowed = (*plan).clone();
    narrowed.barriers[draw.barriers.start as usize + k].src_stages =
        StageMask::EARLY_FRAGMENT_TESTS;
    let hazards = oracle::check(&narrowed);
    assert!(
        !hazards.is_empty(),
        "with the early tests alone nothing chains\n{}",
        print::text(&narrowed)
    );
}

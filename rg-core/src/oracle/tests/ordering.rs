//! Ordering and availability on hand-built plans: writes after writes, waits that name the
//! wrong pass, transitions and discards after writes, acquires against their releases.

use super::*;

/// `sim.a` writes `particles` in a compute shader; `sim.b` writes it again after a barrier that
/// orders the two writes but makes the first available only if `available`.
#[test]
fn a_write_after_an_unavailable_write_is_unordered() {
    let second = |src_access: AccessMask| {
        let mut b = pass("sim.b", C, &[(0, CS_W)]);
        b.barriers.push(barrier(0, C, (StageMask::COMPUTE_SHADER, src_access), CS_WRITE));
        check(&plan(vec![buffer("particles")], vec![pass("sim.a", C, &[(0, CS_W)]), b]))
    };
    let hazards = second(AccessMask::NONE);
    assert_only(&hazards, HazardKind::UnorderedAccess, &["particles", "sim.a", "sim.b"]);
    assert!(hazards[0].message.contains("is not made available before it"), "{hazards:#?}");
    assert_eq!(second(AccessMask::STORAGE_WRITE), vec![]);
}

/// A depth test reads the depth it tests against, so a depth write (which keeps nothing of the
/// old contents) still needs an earlier write made visible to depth reads at the test stages.
#[test]
fn a_depth_write_needs_earlier_writes_visible_to_its_test() {
    let redraw = |dst_access: AccessMask| {
        let tests = StageMask::EARLY_FRAGMENT_TESTS | StageMask::LATE_FRAGMENT_TESTS;
        let both = AccessMask::DEPTH_READ | AccessMask::DEPTH_WRITE;
        let mut first = pass("shadow.clear", G, &[(0, Access::DepthWrite)]);
        let to_depth =
            transition(barrier(0, G, NOTHING, (tests, both)), Undefined, Layout::DepthAttachment);
        first.barriers.push(to_depth);
        let mut second = pass("shadow.draw", G, &[(0, Access::DepthWrite)]);
        second.barriers.push(barrier(0, G, (tests, AccessMask::DEPTH_WRITE), (tests, dst_access)));
        let depth =
            resource("shadow.map", ResourceKind::Image, Format::D32Float, Lifetime::Transient);
        check(&plan(vec![depth], vec![first, second]))
    };
    let hazards = redraw(AccessMask::DEPTH_WRITE);
    assert_only(&hazards, HazardKind::InvisibleWrite, &["shadow.map", "shadow.draw"]);
    assert!(hazards[0].message.contains("depth_read"), "{hazards:#?}");
    assert_eq!(redraw(AccessMask::DEPTH_READ | AccessMask::DEPTH_WRITE), vec![]);
}

/// `sim.step` writes `particles` on compute; `scene.fill` overwrites it on graphics (keeping
/// nothing, so no ownership transfer) with no wait: the write on graphics is not ordered after
/// the one on compute.
#[test]
fn a_write_on_another_queue_without_a_wait_is_missing_a_wait() {
    let fill = |waits: Vec<Wait>| {
        let mut fill = pass("scene.fill", G, &[(0, Access::CopyDst)]);
        fill.waits = waits;
        let step = pass("sim.step", C, &[(0, CS_W)]);
        check(&plan(vec![buffer("particles")], vec![step, fill]))
    };
    let hazards = fill(vec![]);
    assert_only(&hazards, HazardKind::MissingWait, &["particles", "scene.fill", "sim.step"]);
    assert_eq!(fill(vec![wait(C, 0, StageMask::TRANSFER)]), vec![]);
}

/// Reads of one resource on one queue in different stages are kept apart: `draw.shade` reads
/// `lights` in the fragment shader after `draw.cull` read it in the vertex shader, and
/// `lights.update` overwrites it after a barrier whose first scope names `src`.
#[test]
fn reads_in_different_stages_are_each_ordered_before_a_later_write() {
    let update = |src: StageMask| {
        let vs = Access::StorageRead(ShaderStages::VERTEX);
        let fs = Access::StorageRead(ShaderStages::FRAGMENT);
        let mut write = pass("lights.update", G, &[(0, Access::CopyDst)]);
        write.barriers.push(barrier(0, G, (src, AccessMask::NONE), COPY));
        let first = pass("lights.fill", G, &[(0, Access::CopyDst)]);
        let mut cull = pass("draw.cull", G, &[(0, vs)]);
        let vs_read = (StageMask::VERTEX_SHADER, AccessMask::STORAGE_READ);
        let fs_read = (StageMask::FRAGMENT_SHADER, AccessMask::STORAGE_READ);
        cull.barriers.push(barrier(0, G, COPY, (vs_read.0 | fs_read.0, vs_read.1)));
        let shade = pass("draw.shade", G, &[(0, fs)]);
        check(&plan(vec![buffer("lights")], vec![first, cull, shade, write]))
    };
    let hazards = update(StageMask::VERTEX_SHADER);
    assert_only(&hazards, HazardKind::UnorderedAccess, &["lights", "lights.update", "draw.shade"]);
    assert_eq!(update(StageMask::FRAGMENT_SHADER), vec![]);
}

/// A wait names a pass of the queue it waits on. `scene.upload` (graphics) overwrites what
/// `terrain.erode` (compute) wrote, after a wait naming `relay.stage`, a transfer pass that
/// itself waited for the erosion: waiting on the transfer queue at that pass reaches the
/// erosion, but a wait on the compute queue naming it names nothing and orders nothing.
#[test]
fn a_wait_naming_a_pass_of_another_queue_waits_for_nothing() {
    let upload = |queue: QueueKind| {
        let erode = pass("terrain.erode", C, &[(0, CS_W)]);
        let mut stage = pass("relay.stage", T, &[]);
        stage.waits.push(wait(C, 0, StageMask::TRANSFER));
        let mut copy = pass("scene.upload", G, &[(0, Access::CopyDst)]);
        copy.waits.push(wait(queue, 1, StageMask::TRANSFER));
        let b = barrier(0, G, (StageMask::TRANSFER, AccessMask::NONE), COPY);
        copy.barriers.push(Barrier { discard: true, ..b });
        check(&plan(vec![buffer("terrain.height")], vec![erode, stage, copy]))
    };
    assert_eq!(upload(T), vec![]);
    assert_only(&upload(C), HazardKind::MissingWait, &["terrain.height", "scene.upload"]);
}

/// A discard is a write: `blur.h` writes `blur.tmp` as a colour attachment, and `blur.v` then
/// discards it for storage writes after a barrier ordered after the colour writes. Without the
/// colour writes in its first access scope they are not made available, and could land after
/// the discard's new contents.
#[test]
fn a_discard_after_a_write_makes_the_write_available() {
    let reuse = |src_access: AccessMask| {
        let mut h = pass("blur.h", G, &[(0, Access::ColorWrite)]);
        h.barriers.push(transition(barrier(0, G, NOTHING, COLOR), Undefined, ColorAttachment));
        let mut v = pass("blur.v", G, &[(0, CS_W)]);
        let b = barrier(0, G, (StageMask::COLOR_ATTACHMENT_OUTPUT, src_access), CS_WRITE);
        v.barriers.push(transition(b, Undefined, Layout::General));
        check(&plan(vec![image("blur.tmp")], vec![h, v]))
    };
    let hazards = reuse(AccessMask::NONE);
    assert_only(&hazards, HazardKind::InvisibleWrite, &["blur.tmp", "blur.h"]);
    assert!(hazards[0].message.contains("the discard of `blur.tmp`"), "{hazards:#?}");
    assert_eq!(reuse(AccessMask::COLOR_WRITE), vec![]);
}

/// A layout transition that is not ordered after the write before it is reported as unordered,
/// once: whether it makes the write available does not arise.
#[test]
fn a_transition_unordered_after_a_write_is_reported_once() {
    let b = Barrier { src_stages: StageMask::TRANSFER, ..color_to_sampled() };
    let hazards = check(&draw_then_sample(b));
    assert_only(&hazards, HazardKind::UnorderedAccess, &["scene.color", "post.tonemap"]);
    assert_eq!(hazards.len(), 1, "{hazards:#?}");
}

/// A transition recorded on a queue that does not own the image, keeping its contents, needs
/// the image released there and acquired here.
#[test]
fn a_transition_on_a_queue_that_does_not_own_the_image_is_an_ownership_violation() {
    let mut write = pass("lights.build", C, &[(0, CS_W)]);
    let to_storage = transition(barrier(0, C, NOTHING, CS_WRITE), Undefined, Layout::General);
    write.barriers.push(to_storage);
    let mut shade = pass("lights.shade", G, &[(0, SAMPLED)]);
    shade.waits.push(wait(C, 0, StageMask::FRAGMENT_SHADER));
    let frag = (StageMask::FRAGMENT_SHADER, AccessMask::NONE);
    shade.barriers.push(transition(barrier(0, G, frag, SAMPLE), Layout::General, ShaderReadOnly));
    let hazards = check(&plan(vec![image("lights.grid")], vec![write, shade]));
    assert_only(&hazards, HazardKind::OwnershipViolation, &["lights.grid"]);
    assert!(hazards[0].message.contains("keeps its contents, but compute owns it"), "{hazards:#?}");
}

/// An acquire must name the release it completes: the same queues (either one wrong is
/// reported), and a discarding acquire leaves nothing to read.
#[test]
fn an_acquire_must_match_its_release_and_may_discard() {
    let with_acquire = |edit: &dyn Fn(&mut Barrier)| {
        let mut p = compute_to_graphics(vec![wait(C, 0, StageMask::VERTEX_INPUT)], true);
        edit(&mut p.passes[1].barriers[0]);
        check(&p)
    };
    let from_transfer = |b: &mut Barrier| {
        b.transfer = Some(OwnershipTransfer { from: T, to: G, half: TransferHalf::Acquire })
    };
    let hazards = with_acquire(&from_transfer);
    assert!(
        hazards.iter().any(|h| h.kind == HazardKind::OwnershipViolation
            && h.message.contains("from transfer to graphics with no layouts, but the release")),
        "{hazards:#?}"
    );
    let hazards = with_acquire(&|b: &mut Barrier| b.discard = true);
    assert_only(&hazards, HazardKind::UndefinedRead, &["particles.pos", "scene.draw"]);
}

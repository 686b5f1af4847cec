//! Temporal resources at the frame's edges on hand-built plans: the next frame replays the
//! plan from the entry state, so the frame must leave each one there.

use super::*;

#[test]
fn temporal_must_be_left_in_its_entry_state() {
    let history = |epilogue: bool| {
        let state = ResourceState::shader_read(G, StageMask::FRAGMENT_SHADER);
        let mut r =
            resource("taa.history", ResourceKind::Image, Format::Rgba16Float, Lifetime::Temporal);
        (r.entry, r.exit, r.defined_at_entry) = (Some(state), Some(state), true);
        let mut write = pass("taa.resolve", G, &[(0, Access::ColorWrite)]);
        let frag = (StageMask::FRAGMENT_SHADER, AccessMask::NONE);
        write.barriers.push(transition(
            barrier(0, G, frag, COLOR),
            ShaderReadOnly,
            ColorAttachment,
        ));
        let mut p = plan(vec![r], vec![pass("taa.blend", G, &[(0, SAMPLED)]), write]);
        if epilogue {
            p.epilogue.push(transition(
                barrier(0, G, COLOR, SAMPLE),
                ColorAttachment,
                ShaderReadOnly,
            ));
        }
        p
    };
    assert_only(&check(&history(false)), HazardKind::ExitStateMismatch, &["taa.history"]);
    assert_eq!(check(&history(true)), vec![]);
}

/// A temporal buffer `sim.state` entering and leaving each frame in `entry` and `exit`, with
/// `passes` using it.
fn temporal_buffer(entry: ResourceState, exit: ResourceState, passes: Vec<Pass>) -> Vec<Hazard> {
    let mut r = resource("sim.state", ResourceKind::Buffer, Format::R8Unorm, Lifetime::Temporal);
    (r.entry, r.exit, r.defined_at_entry) = (Some(entry), Some(exit), true);
    check(&plan(vec![r], passes))
}

fn state(queue: QueueKind, stages: StageMask, access: AccessMask) -> ResourceState {
    ResourceState { layout: None, queue, stages, access }
}

/// The next frame starts from the entry state, so an exit state that differs from it in the
/// queue alone, or an image's in the layout alone, is reported.
#[test]
fn a_temporal_exit_state_must_be_its_entry_state() {
    const MISMATCH: &str = "is not the entry state the next frame starts from";
    let read = state(C, StageMask::COMPUTE_SHADER, AccessMask::STORAGE_READ);
    let moved = ResourceState { queue: G, ..read };
    let hazards = temporal_buffer(read, moved, vec![pass("idle", C, &[])]);
    assert!(hazards.iter().any(|h| h.message.contains(MISMATCH)), "{hazards:#?}");
    assert!(temporal_buffer(read, read, vec![pass("idle", C, &[])]).is_empty());

    let mut r =
        resource("taa.history", ResourceKind::Image, Format::Rgba16Float, Lifetime::Temporal);
    let entry = ResourceState::shader_read(G, StageMask::FRAGMENT_SHADER);
    let exit = ResourceState { layout: Some(Layout::General), ..entry };
    (r.entry, r.exit, r.defined_at_entry) = (Some(entry), Some(exit), true);
    let hazards = check(&plan(vec![r], vec![pass("idle", G, &[])]));
    assert!(hazards.iter().any(|h| h.message.contains(MISMATCH)), "{hazards:#?}");
}

/// A write on the entry queue that the entry state does not describe (a compute write, where
/// the entry names uniform reads in the fragment shader) must be ordered before the entry's
/// stages by the end of the frame.
#[test]
fn a_temporal_write_on_the_entry_queue_is_still_checked_against_the_entry() {
    let entry = state(G, StageMask::FRAGMENT_SHADER, AccessMask::UNIFORM_READ);
    let frame = |epilogue: bool| {
        let mut step = pass("sim.step", G, &[(0, CS_W)]);
        let after_reads = (StageMask::FRAGMENT_SHADER, AccessMask::NONE);
        step.barriers.push(barrier(0, G, after_reads, CS_WRITE));
        let mut r =
            resource("sim.state", ResourceKind::Buffer, Format::R8Unorm, Lifetime::Temporal);
        (r.entry, r.exit, r.defined_at_entry) = (Some(entry), Some(entry), true);
        let mut p = plan(vec![r], vec![step]);
        if epilogue {
            let uniform = (StageMask::FRAGMENT_SHADER, AccessMask::UNIFORM_READ);
            p.epilogue.push(barrier(0, G, CS_WRITE, uniform));
        }
        check(&p)
    };
    let hazards = frame(false);
    assert_only(&hazards, HazardKind::ExitStateMismatch, &["sim.state", "sim.step"]);
    assert!(hazards[0].message.contains("still outstanding at the end of the frame"));
    assert_eq!(frame(true), vec![]);
}

/// A read the frame makes in a stage the entry state does not order (the fragment shader, where
/// the entry names the compute shader) is outstanding when the next frame starts.
#[test]
fn a_temporal_read_outside_the_entry_stages_is_outstanding() {
    let entry = state(G, StageMask::COMPUTE_SHADER, AccessMask::STORAGE_READ);
    let read = |stages: ShaderStages| {
        temporal_buffer(entry, entry, vec![pass("draw", G, &[(0, Access::Uniform(stages))])])
    };
    let hazards = read(ShaderStages::FRAGMENT);
    assert_only(&hazards, HazardKind::ExitStateMismatch, &["sim.state", "draw"]);
    assert!(hazards[0].message.contains("still outstanding at the end of the frame"));
    assert_eq!(read(ShaderStages::COMPUTE), vec![]);
}

/// A layout transition at the end of the frame whose second scope names no stage is ordered
/// before nothing, so the next frame's first barrier (from the entry state's stages) does not
/// chain after it, even though its access is one the entry state names.
#[test]
fn a_temporal_transition_in_no_stage_is_outstanding() {
    let frame = |dst: StageMask| {
        let entry = ResourceState {
            layout: Some(Layout::General),
            queue: G,
            stages: StageMask::COMPUTE_SHADER,
            access: AccessMask::STORAGE_WRITE,
        };
        let mut r =
            resource("taa.history", ResourceKind::Image, Format::Rgba16Float, Lifetime::Temporal);
        (r.entry, r.exit, r.defined_at_entry) = (Some(entry), Some(entry), true);
        let mut draw = pass("taa.draw", G, &[(0, Access::ColorWrite)]);
        let b = barrier(0, G, CS_WRITE, COLOR);
        draw.barriers.push(transition(b, Layout::General, ColorAttachment));
        let mut p = plan(vec![r], vec![draw]);
        let b = barrier(0, G, COLOR, (dst, AccessMask::STORAGE_WRITE));
        p.epilogue.push(transition(b, ColorAttachment, Layout::General));
        check(&p)
    };
    let hazards = frame(StageMask::NONE);
    assert_only(&hazards, HazardKind::ExitStateMismatch, &["taa.history"]);
    assert!(hazards[0].message.contains("still outstanding at the end of the frame"));
    assert_eq!(frame(StageMask::COMPUTE_SHADER), vec![]);
}

/// A temporal the frame never writes has nothing for the next frame to read: its contents are
/// not defined at entry, and reading them is reported.
#[test]
fn a_temporal_buffer_not_defined_at_entry_is_undefined_when_read() {
    let read = |defined: bool| {
        let entry = state(C, StageMask::COMPUTE_SHADER, AccessMask::STORAGE_READ);
        let mut r =
            resource("sim.state", ResourceKind::Buffer, Format::R8Unorm, Lifetime::Temporal);
        (r.entry, r.exit, r.defined_at_entry) = (Some(entry), Some(entry), defined);
        check(&plan(vec![r], vec![pass("sim.step", C, &[(0, CS_R)])]))
    };
    assert_only(&read(false), HazardKind::UndefinedRead, &["sim.state", "sim.step"]);
    assert_eq!(read(true), vec![]);
}

/// The next frame replays the plan: a temporal written in a compute shader and made visible to
/// the entry's fragment-shader reads by the epilogue must also be ordered before the frame's
/// first barrier of it, which here serves a vertex-shader read. A first scope of the vertex
/// shader alone does not chain after the epilogue; one of the fragment shader does.
#[test]
fn a_temporal_write_is_ordered_before_the_next_frames_first_barrier() {
    let entry = state(G, StageMask::FRAGMENT_SHADER, AccessMask::UNIFORM_READ);
    let frame = |first_src: StageMask| {
        let vs_read = (StageMask::VERTEX_SHADER, AccessMask::STORAGE_READ);
        let mut draw = pass("draw", G, &[(0, Access::StorageRead(ShaderStages::VERTEX))]);
        draw.barriers.push(barrier(0, G, (first_src, AccessMask::NONE), vs_read));
        let mut sim = pass("sim.step", G, &[(0, CS_W)]);
        let after_reads = (StageMask::FRAGMENT_SHADER, AccessMask::NONE);
        sim.barriers.push(barrier(0, G, after_reads, CS_WRITE));
        let mut r =
            resource("sim.state", ResourceKind::Buffer, Format::R8Unorm, Lifetime::Temporal);
        (r.entry, r.exit, r.defined_at_entry) = (Some(entry), Some(entry), true);
        let mut p = plan(vec![r], vec![draw, sim]);
        let uniform = (StageMask::FRAGMENT_SHADER, AccessMask::UNIFORM_READ);
        p.epilogue.push(barrier(0, G, CS_WRITE, uniform));
        check(&p)
    };
    let hazards = frame(StageMask::VERTEX_SHADER);
    assert_only(&hazards, HazardKind::ExitStateMismatch, &["sim.state", "sim.step"]);
    assert!(hazards[0].message.contains("the next frame's first barrier of it"), "{hazards:#?}");
    assert_eq!(frame(StageMask::FRAGMENT_SHADER), vec![]);
}

//! Unit tests of the oracle on hand-built plans: one or more per hazard kind, each with the
//! smallest plan that shows it and, where it helps, the fixed plan beside it.

use super::{Hazard, HazardKind};
use crate::access::{
    Access, AccessMask, Layout, ResourceKind, ResourceState, ShaderStages, StageMask, Usage,
};
use crate::graph::{Lifetime, Subresource};
use crate::memory::ResolvedImage;
use crate::plan::{
    Barrier, OwnershipTransfer, Placement, Plan, PlannedAccess, PlannedPass, PlannedResource,
    TransferHalf, Wait, WaitPoint,
};
use crate::types::{Extent, Format, QueueKind};
use Layout::{ColorAttachment, ShaderReadOnly, Undefined};

const G: QueueKind = QueueKind::Graphics;
const C: QueueKind = QueueKind::Compute;
const T: QueueKind = QueueKind::Transfer;
type Scope = (StageMask, AccessMask);
const NOTHING: Scope = (StageMask::NONE, AccessMask::NONE);
const COLOR: Scope = (StageMask::COLOR_ATTACHMENT_OUTPUT, AccessMask::COLOR_WRITE);
const SAMPLE: Scope = (StageMask::FRAGMENT_SHADER, AccessMask::SAMPLED_READ);
const CS_WRITE: Scope = (StageMask::COMPUTE_SHADER, AccessMask::STORAGE_WRITE);
const CS_READ: Scope = (StageMask::COMPUTE_SHADER, AccessMask::STORAGE_READ);
const COPY: Scope = (StageMask::TRANSFER, AccessMask::TRANSFER_WRITE);
const SAMPLED: Access = Access::Sampled(ShaderStages::FRAGMENT);
const CS_W: Access = Access::StorageWrite(ShaderStages::COMPUTE);
const CS_R: Access = Access::StorageRead(ShaderStages::COMPUTE);

fn resource(
    label: &str,
    kind: ResourceKind,
    format: Format,
    lifetime: Lifetime,
) -> PlannedResource {
    let image = ResolvedImage {
        format,
        extent: Extent::new(64, 64),
        mip_levels: 1,
        array_layers: 1,
        samples: 1,
    };
    PlannedResource {
        label: label.into(),
        kind,
        image: (kind == ResourceKind::Image).then_some(image),
        buffer_size: (kind == ResourceKind::Buffer).then_some(256),
        lifetime,
        usage: Usage::NONE,
        entry: None,
        exit: None,
        defined_at_entry: false,
        first_use: None,
        last_use: None,
        placement: None,
        requirements: None,
    }
}

fn image(label: &str) -> PlannedResource {
    resource(label, ResourceKind::Image, Format::Rgba8Unorm, Lifetime::Transient)
}

fn buffer(label: &str) -> PlannedResource {
    resource(label, ResourceKind::Buffer, Format::R8Unorm, Lifetime::Transient)
}

fn placed(mut r: PlannedResource, size: u64) -> PlannedResource {
    r.placement = Some(Placement { heap: 0, offset: 0, size });
    r
}

/// A pass as the tests write it, with lists of its own; [`Draft::plan`] lays them out in the
/// plan's shared arrays.
struct Pass {
    label: String,
    queue: QueueKind,
    waits: Vec<Wait>,
    barriers: Vec<Barrier>,
    accesses: Vec<PlannedAccess>,
    releases: Vec<Barrier>,
}

/// A plan as the tests write it.
struct Draft {
    resources: Vec<PlannedResource>,
    passes: Vec<Pass>,
    epilogue: Vec<Barrier>,
}

impl Draft {
    fn plan(&self) -> Plan {
        let mut plan = Plan {
            resources: self.resources.clone(),
            epilogue: self.epilogue.clone(),
            ..Plan::default()
        };
        fn append<T: Clone>(all: &mut Vec<T>, items: &[T]) -> std::ops::Range<u32> {
            let start = all.len() as u32;
            all.extend_from_slice(items);
            start..all.len() as u32
        }
        for p in &self.passes {
            let planned = PlannedPass {
                id: 0,
                label: p.label.as_str().into(),
                queue: p.queue,
                waits: append(&mut plan.waits, &p.waits),
                signal: false,
                barriers: append(&mut plan.barriers, &p.barriers),
                accesses: append(&mut plan.accesses, &p.accesses),
                releases: append(&mut plan.releases, &p.releases),
            };
            plan.passes.push(planned);
        }
        plan
    }
}

fn check(draft: &Draft) -> Vec<Hazard> {
    super::check(&draft.plan())
}

fn pass(label: &str, queue: QueueKind, accesses: &[(usize, Access)]) -> Pass {
    Pass {
        label: label.into(),
        queue,
        waits: Vec::new(),
        barriers: Vec::new(),
        accesses: accesses
            .iter()
            .map(|&(resource, access)| PlannedAccess {
                resource,
                access,
                version: 0,
                subresource: Subresource::ALL,
            })
            .collect(),
        releases: Vec::new(),
    }
}

fn barrier(resource: usize, queue: QueueKind, src: Scope, dst: Scope) -> Barrier {
    Barrier {
        resource,
        queue,
        src_stages: src.0,
        src_access: src.1,
        dst_stages: dst.0,
        dst_access: dst.1,
        layout: None,
        subresource: Subresource::ALL,
        discard: false,
        transfer: None,
    }
}

fn transition(b: Barrier, old: Layout, new: Layout) -> Barrier {
    Barrier { layout: Some((old, new)), discard: old == Undefined, ..b }
}

fn transfer(b: Barrier, from: QueueKind, to: QueueKind, half: TransferHalf) -> Barrier {
    Barrier { transfer: Some(OwnershipTransfer { from, to, half }), ..b }
}

fn wait(queue: QueueKind, pass: usize, stages: StageMask) -> Wait {
    Wait { queue, point: WaitPoint::Pass(pass), stages }
}

fn plan(resources: Vec<PlannedResource>, passes: Vec<Pass>) -> Draft {
    Draft { resources, passes, epilogue: Vec::new() }
}

/// Asserts that there are hazards, all of `kind`, each naming every label in `labels`.
fn assert_only(hazards: &[Hazard], kind: HazardKind, labels: &[&str]) {
    assert!(!hazards.is_empty(), "expected {kind:?}, found nothing");
    for h in hazards {
        assert_eq!(h.kind, kind, "{hazards:#?}");
        assert_eq!(h.to_string(), h.message);
        for l in labels {
            assert!(h.message.contains(&format!("`{l}`")), "{l} not in: {}", h.message);
        }
    }
}

/// `scene.draw` writes `scene.color`; `post.tonemap` samples it after `second`.
fn draw_then_sample(second: Barrier) -> Draft {
    let mut draw = pass("scene.draw", G, &[(0, Access::ColorWrite)]);
    draw.barriers.push(transition(barrier(0, G, NOTHING, COLOR), Undefined, ColorAttachment));
    let mut tonemap = pass("post.tonemap", G, &[(0, SAMPLED)]);
    tonemap.barriers.push(second);
    plan(vec![image("scene.color")], vec![draw, tonemap])
}

fn color_to_sampled() -> Barrier {
    transition(barrier(0, G, COLOR, SAMPLE), ColorAttachment, ShaderReadOnly)
}

#[test]
fn write_then_read_with_a_barrier_is_clean() {
    assert_eq!(check(&draw_then_sample(color_to_sampled())), vec![]);
}

#[test]
fn too_late_destination_stage_is_unordered() {
    // Colour output comes after the fragment shader: too late to order the read.
    let b = Barrier { dst_stages: StageMask::COLOR_ATTACHMENT_OUTPUT, ..color_to_sampled() };
    let hazards = check(&draw_then_sample(b));
    assert_only(&hazards, HazardKind::UnorderedAccess, &["scene.color", "post.tonemap"]);
    let why = "(barriers order it only before color_attachment_output)";
    assert!(hazards[0].message.ends_with(why), "{}", hazards[0].message);
}

#[test]
fn missing_destination_access_is_invisible() {
    let b = Barrier { dst_access: AccessMask::NONE, ..color_to_sampled() };
    assert_only(
        &check(&draw_then_sample(b)),
        HazardKind::InvisibleWrite,
        &["scene.color", "post.tonemap"],
    );
}

#[test]
fn missing_source_access_leaves_the_write_unavailable() {
    let b = Barrier { src_access: AccessMask::NONE, ..color_to_sampled() };
    let hazards = check(&draw_then_sample(b));
    assert_only(&hazards, HazardKind::InvisibleWrite, &["scene.color", "post.tonemap"]);
    assert!(
        hazards[0].message.ends_with(
            "what it wrote (color_attachment_output: color_write) lies outside the source scope \
             (color_attachment_output with -)"
        ),
        "{}",
        hazards[0].message
    );
}

#[test]
fn missing_transition_is_a_layout_mismatch() {
    let b = Barrier { layout: None, ..color_to_sampled() };
    assert_only(
        &check(&draw_then_sample(b)),
        HazardKind::LayoutMismatch,
        &["scene.color", "post.tonemap"],
    );
}

/// `lights.build` writes `lights.grid` in a compute shader on graphics; `lights.bin` samples it in
/// a compute shader after a transition that makes it visible to `first_dst`; `lights.shade`
/// samples it in the fragment shader after a barrier that chains from compute to the fragment
/// shader and makes it visible to `second_access` there.
fn compute_then_fragment(first_dst: StageMask, second_access: AccessMask) -> Draft {
    let mut build = pass("lights.build", G, &[(0, CS_W)]);
    let to_storage = transition(barrier(0, G, NOTHING, CS_WRITE), Undefined, Layout::General);
    build.barriers.push(to_storage);
    let mut bin = pass("lights.bin", G, &[(0, Access::Sampled(ShaderStages::COMPUTE))]);
    let to_sampled = barrier(0, G, CS_WRITE, (first_dst, AccessMask::SAMPLED_READ));
    bin.barriers.push(transition(to_sampled, Layout::General, ShaderReadOnly));
    let mut shade = pass("lights.shade", G, &[(0, SAMPLED)]);
    let compute = (StageMask::COMPUTE_SHADER, AccessMask::NONE);
    shade.barriers.push(barrier(0, G, compute, (StageMask::FRAGMENT_SHADER, second_access)));
    plan(vec![image("lights.grid")], vec![build, bin, shade])
}

#[test]
fn visibility_is_per_stage() {
    // Visible to sampling in compute only: the chain to the fragment shader orders the read but
    // makes nothing visible there.
    let cs = StageMask::COMPUTE_SHADER;
    let hazards = check(&compute_then_fragment(cs, AccessMask::NONE));
    assert_only(&hazards, HazardKind::InvisibleWrite, &["lights.grid", "lights.shade"]);
    let why = "is not visible to it in fragment_shader (visible to fragment_shader: -)";
    assert!(hazards[0].message.ends_with(why), "{}", hazards[0].message);
    assert_eq!(check(&compute_then_fragment(cs, AccessMask::SAMPLED_READ)), vec![]);
    // Or the first barrier makes it visible in both stages at once.
    let both = cs | StageMask::FRAGMENT_SHADER;
    assert_eq!(check(&compute_then_fragment(both, AccessMask::NONE)), vec![]);
}

#[test]
fn source_access_scope_takes_no_earlier_stages() {
    // `skin.deform` writes `skin.verts` from the vertex shader; `skin.draw` reads it there after
    // a barrier whose first scope names `src`.
    let skinned = |src: StageMask| {
        let vs = ShaderStages::VERTEX;
        let mut draw = pass("skin.draw", G, &[(0, Access::StorageRead(vs))]);
        let read = (StageMask::VERTEX_SHADER, AccessMask::STORAGE_READ);
        draw.barriers.push(barrier(0, G, (src, AccessMask::STORAGE_WRITE), read));
        let deform = pass("skin.deform", G, &[(0, Access::StorageWrite(vs))]);
        check(&plan(vec![buffer("skin.verts")], vec![deform, draw]))
    };
    // The fragment shader's execution scope takes in the vertex shader, its access scope does not.
    let hazards = skinned(StageMask::FRAGMENT_SHADER);
    assert_only(&hazards, HazardKind::InvisibleWrite, &["skin.verts", "skin.draw"]);
    assert_eq!(skinned(StageMask::VERTEX_SHADER), vec![]);
}

/// `sim.a` writes `particles`, `sim.b` reads it after `barrier_b`, and `sim.c` makes `third`.
fn storage_chain(barrier_b: bool, third: Access) -> Draft {
    let mut b = pass("sim.b", C, &[(0, CS_R)]);
    if barrier_b {
        b.barriers.push(barrier(0, C, CS_WRITE, CS_READ));
    }
    let c = pass("sim.c", C, &[(0, third)]);
    plan(vec![buffer("particles")], vec![pass("sim.a", C, &[(0, CS_W)]), b, c])
}

#[test]
fn read_after_write_without_a_barrier_is_unordered() {
    // `sim.c` is not ordered after the write either.
    let hazards = check(&storage_chain(false, CS_R));
    assert_only(&hazards, HazardKind::UnorderedAccess, &["particles", "sim.a"]);
    assert!(hazards.iter().all(|h| h.message.ends_with("(no barrier orders it)")), "{hazards:#?}");
    assert_eq!(hazards.iter().map(|h| h.pass).collect::<Vec<_>>(), [Some(1), Some(2)]);
}

#[test]
fn write_after_read_without_a_barrier_is_unordered() {
    let hazards = check(&storage_chain(true, CS_W));
    assert_only(&hazards, HazardKind::UnorderedAccess, &["particles", "sim.c", "sim.b"]);
    assert_eq!(hazards[0].pass, Some(2));
    assert!(
        hazards[0].message.contains("the read by pass `sim.b` (compute_shader on compute)"),
        "{}",
        hazards[0].message
    );
}

#[test]
fn read_after_read_needs_no_barrier() {
    assert_eq!(check(&storage_chain(true, CS_R)), vec![]);
}

#[test]
fn accesses_of_one_pass_do_not_conflict() {
    let mut p = storage_chain(true, CS_R);
    p.passes[0].accesses.push(PlannedAccess {
        resource: 0,
        access: Access::CopyDst,
        version: 0,
        subresource: Subresource::ALL,
    });
    p.passes[1].accesses.push(PlannedAccess {
        resource: 0,
        access: CS_R,
        version: 0,
        subresource: Subresource::ALL,
    });
    // Both of `sim.a`'s writes must be covered by the barrier that follows them.
    assert_only(&check(&p), HazardKind::UnorderedAccess, &["particles", "sim.a"]);
    // Both stages ordered, but only the storage write made available: the copy's write is not.
    p.passes[1].barriers[0].src_stages |= StageMask::TRANSFER;
    let hazards = check(&p);
    assert_only(&hazards, HazardKind::InvisibleWrite, &["particles", "sim.a"]);
    assert!(hazards[0].message.contains("is not made available"), "{hazards:#?}");
    p.passes[1].barriers[0].src_access |= AccessMask::TRANSFER_WRITE;
    assert_eq!(check(&p), vec![]);
}

#[test]
fn reading_a_discarded_transient_is_undefined() {
    let mut p = pass("post.blur", G, &[(0, SAMPLED)]);
    p.barriers.push(transition(barrier(0, G, NOTHING, SAMPLE), Undefined, ShaderReadOnly));
    let hazards = check(&plan(vec![image("blur.tmp")], vec![p]));
    assert_only(&hazards, HazardKind::UndefinedRead, &["blur.tmp", "post.blur"]);
}

#[test]
fn aliased_transients_live_at_once_overlap() {
    let resources = vec![placed(buffer("cull.visible"), 256), placed(buffer("cull.counts"), 256)];
    let mut read = pass("cull.compact", C, &[(0, CS_R), (1, CS_R)]);
    read.barriers = vec![barrier(0, C, CS_WRITE, CS_READ), barrier(1, C, CS_WRITE, CS_READ)];
    let write = pass("cull.test", C, &[(0, CS_W), (1, CS_W)]);
    let hazards = check(&plan(resources, vec![write, read]));
    assert_only(&hazards, HazardKind::AliasOverlap, &["cull.visible", "cull.counts"]);
    assert_eq!(hazards.len(), 1, "{hazards:#?}");
}

/// `gbuffer.albedo` is drawn and sampled; `bloom.half` then takes over its memory, handed over
/// by a barrier with source scope `src`.
fn hand_over(src: StageMask) -> Draft {
    let resources =
        vec![placed(image("gbuffer.albedo"), 1 << 16), placed(image("bloom.half"), 1 << 16)];
    let mut draw = pass("gbuffer.draw", G, &[(0, Access::ColorWrite)]);
    draw.barriers.push(transition(barrier(0, G, NOTHING, COLOR), Undefined, ColorAttachment));
    let mut shade = pass("lighting.shade", G, &[(0, SAMPLED)]);
    shade.barriers.push(color_to_sampled());
    let mut bloom = pass("bloom.down", G, &[(1, Access::ColorWrite)]);
    let b = transition(barrier(1, G, (src, AccessMask::NONE), COLOR), Undefined, ColorAttachment);
    bloom.barriers.push(b);
    plan(resources, vec![draw, shade, bloom])
}

#[test]
fn hand_over_must_cover_the_previous_occupant() {
    // A copy's stage orders nothing of the draw and the shading before it.
    let hazards = check(&hand_over(StageMask::TRANSFER));
    assert_only(&hazards, HazardKind::UnorderedAccess, &["gbuffer.albedo", "bloom.half"]);
    assert!(hazards.iter().all(|h| h.pass == Some(2)), "{hazards:#?}");
    assert!(
        hazards.iter().all(|h| h.message.ends_with(" (source stages transfer)")),
        "{hazards:#?}"
    );
    assert_eq!(check(&hand_over(StageMask::FRAGMENT_SHADER)), vec![]);
    // Colour output is logically after the fragment shader, so its scope takes that in too.
    assert_eq!(check(&hand_over(StageMask::COLOR_ATTACHMENT_OUTPUT)), vec![]);
}

#[test]
fn hand_over_without_discard_is_reported() {
    let mut p = hand_over(StageMask::FRAGMENT_SHADER);
    p.passes[2].barriers[0].discard = false;
    assert_only(&check(&p), HazardKind::LayoutMismatch, &["gbuffer.albedo", "bloom.half"]);
}

/// `sim.a` writes `a` (512 bytes) in a compute shader, `sim.c` takes over its first 256 bytes
/// for a copy, then `sim.b` takes over the 256 bytes at `b_offset` for another copy, with a
/// barrier that orders only copies.
fn hand_over_chain(b_offset: u64) -> Draft {
    let mut b_res = placed(buffer("b"), 256);
    b_res.placement = Some(Placement { heap: 0, offset: b_offset, size: 256 });
    let resources = vec![placed(buffer("a"), 512), placed(buffer("c"), 256), b_res];
    let mut c = pass("sim.c", C, &[(1, Access::CopyDst)]);
    let to_copy = barrier(1, C, (StageMask::COMPUTE_SHADER, AccessMask::NONE), COPY);
    c.barriers.push(Barrier { discard: true, ..to_copy });
    let mut b = pass("sim.b", C, &[(2, Access::CopyDst)]);
    let after_copy = barrier(2, C, (StageMask::TRANSFER, AccessMask::NONE), COPY);
    b.barriers.push(Barrier { discard: true, ..after_copy });
    plan(resources, vec![pass("sim.a", C, &[(0, CS_W)]), c, b])
}

#[test]
fn hand_over_is_checked_against_the_latest_occupant_of_each_byte() {
    // `c` last held these bytes, and was itself handed over after `a`.
    assert_eq!(check(&hand_over_chain(0)), vec![]);
    // `a` last held these: the copy barrier does not order its compute write.
    assert_only(&check(&hand_over_chain(256)), HazardKind::UnorderedAccess, &["a", "b"]);
}

/// `physics.integrate` writes `particles.pos` on compute; `scene.draw` reads it as vertices on
/// graphics after `waits`, with the release (if `release`) and the acquire.
fn compute_to_graphics(waits: Vec<Wait>, release: bool) -> Draft {
    let mut sim = pass("physics.integrate", C, &[(0, CS_W)]);
    if release {
        let b = barrier(0, C, CS_WRITE, NOTHING);
        sim.releases.push(transfer(b, C, G, TransferHalf::Release));
    }
    let mut draw = pass("scene.draw", G, &[(0, Access::VertexBuffer)]);
    draw.waits = waits;
    // The acquire's first scope chains from the wait at vertex input.
    let from_wait = (StageMask::VERTEX_INPUT, AccessMask::NONE);
    let vertex = (StageMask::VERTEX_INPUT, AccessMask::VERTEX_READ);
    draw.barriers.push(transfer(barrier(0, G, from_wait, vertex), C, G, TransferHalf::Acquire));
    plan(vec![buffer("particles.pos")], vec![sim, draw])
}

#[test]
fn cross_queue_read_without_a_wait_is_missing_a_wait() {
    let hazards = check(&compute_to_graphics(vec![], true));
    assert_only(&hazards, HazardKind::MissingWait, &["particles.pos", "scene.draw"]);
}

#[test]
fn cross_queue_read_with_wait_and_transfer_is_clean() {
    let waits = vec![wait(C, 0, StageMask::VERTEX_INPUT)];
    assert_eq!(check(&compute_to_graphics(waits, true)), vec![]);
}

#[test]
fn after_an_acquire_barriers_chain_from_its_destination_stages() {
    // `scene.copy` copies the vertices on graphics after they were acquired for vertex input.
    let copy_after = |src: StageMask| {
        let mut p = compute_to_graphics(vec![wait(C, 0, StageMask::VERTEX_INPUT)], true);
        let mut copy = pass("scene.copy", G, &[(0, Access::CopySrc)]);
        let read = (StageMask::TRANSFER, AccessMask::TRANSFER_READ);
        copy.barriers.push(barrier(0, G, (src, AccessMask::NONE), read));
        p.passes.push(copy);
        p
    };
    // The write's own stage names nothing that ran on graphics: the copy is not ordered after
    // the acquire, the last operation on the vertices.
    let hazards = check(&copy_after(StageMask::COMPUTE_SHADER));
    assert_only(&hazards, HazardKind::UnorderedAccess, &["particles.pos", "scene.copy"]);
    assert_eq!(check(&copy_after(StageMask::VERTEX_INPUT)), vec![]);
}

#[test]
fn acquire_must_chain_from_the_wait_for_its_release() {
    let with_src = |src: StageMask| {
        let mut p = compute_to_graphics(vec![wait(C, 0, StageMask::VERTEX_INPUT)], true);
        p.passes[1].barriers[0].src_stages = src;
        check(&p)
    };
    // An empty first scope chains from nothing, and compute is not among the stages that waited.
    for src in [StageMask::NONE, StageMask::COMPUTE_SHADER] {
        assert_only(&with_src(src), HazardKind::MissingWait, &["particles.pos", "scene.draw"]);
    }
    // The vertex shader is logically after vertex input, so its first scope takes that in.
    assert_eq!(with_src(StageMask::VERTEX_SHADER), vec![]);
}

#[test]
fn access_after_an_acquire_needs_its_destination_scope() {
    let with_dst = |stages: StageMask, access: AccessMask| {
        let mut p = compute_to_graphics(vec![wait(C, 0, StageMask::VERTEX_INPUT)], true);
        let acquire = &mut p.passes[1].barriers[0];
        (acquire.dst_stages, acquire.dst_access) = (stages, access);
        check(&p)
    };
    // The vertex shader comes after vertex input, where the vertices are read, although the
    // semaphore wait covers vertex input: the read must also come after the acquire.
    let hazards = with_dst(StageMask::VERTEX_SHADER, AccessMask::VERTEX_READ);
    assert_only(&hazards, HazardKind::UnorderedAccess, &["particles.pos", "scene.draw"]);
    let hazards = with_dst(StageMask::VERTEX_INPUT, AccessMask::NONE);
    assert_only(&hazards, HazardKind::InvisibleWrite, &["particles.pos", "scene.draw"]);
    assert_eq!(with_dst(StageMask::VERTEX_INPUT, AccessMask::VERTEX_READ), vec![]);
}

#[test]
fn acquire_without_release_is_an_ownership_violation() {
    let waits = vec![wait(C, 0, StageMask::VERTEX_INPUT)];
    let hazards = check(&compute_to_graphics(waits, false));
    assert_only(&hazards, HazardKind::OwnershipViolation, &["particles.pos", "scene.draw"]);
}

#[test]
fn cross_queue_read_without_a_transfer_is_an_ownership_violation() {
    let mut p = compute_to_graphics(vec![wait(C, 0, StageMask::VERTEX_INPUT)], false);
    p.passes[1].barriers.clear();
    assert_only(&check(&p), HazardKind::OwnershipViolation, &["particles.pos", "scene.draw"]);
}

#[test]
fn release_never_acquired_is_an_ownership_violation() {
    let mut p = compute_to_graphics(vec![], true);
    p.passes.truncate(1);
    assert_only(&check(&p), HazardKind::OwnershipViolation, &["particles.pos"]);
}

/// `terrain.erode` writes `terrain.height` on compute; `scene.upload` on graphics discards it
/// and copies into it after waiting at `stages`.
fn discard_after_wait(stages: StageMask) -> Draft {
    let mut copy = pass("scene.upload", G, &[(0, Access::CopyDst)]);
    copy.waits.push(wait(C, 0, stages));
    let b = barrier(0, G, (StageMask::TRANSFER, AccessMask::NONE), COPY);
    copy.barriers.push(Barrier { discard: true, ..b });
    plan(vec![buffer("terrain.height")], vec![pass("terrain.erode", C, &[(0, CS_W)]), copy])
}

#[test]
fn wait_must_cover_the_stage_that_depends_on_it() {
    let hazards = check(&discard_after_wait(StageMask::FRAGMENT_SHADER));
    assert_only(&hazards, HazardKind::MissingWait, &["terrain.height"]);
    let why = ": graphics does not wait for it at any source stage (transfer)";
    assert!(hazards.iter().any(|h| h.message.ends_with(why)), "{hazards:#?}");
    assert_eq!(check(&discard_after_wait(StageMask::TRANSFER)), vec![]);
}

#[test]
fn waits_are_transitive() {
    // upload.copy (transfer) <- sim.step (compute) <- scene.upload (graphics).
    let chain = |relay: bool| {
        let mut step = pass("sim.step", C, &[(1, CS_W)]);
        if relay {
            step.waits.push(wait(T, 0, StageMask::COMPUTE_SHADER));
        }
        let mut copy = pass("scene.upload", G, &[(0, Access::CopyDst)]);
        copy.waits.push(wait(C, 1, StageMask::TRANSFER));
        let b = barrier(0, G, (StageMask::TRANSFER, AccessMask::NONE), COPY);
        copy.barriers.push(Barrier { discard: true, ..b });
        let upload = pass("upload.copy", T, &[(0, Access::CopyDst)]);
        plan(vec![buffer("staging"), buffer("sim.state")], vec![upload, step, copy])
    };
    assert_eq!(check(&chain(true)), vec![]);
    assert_only(&check(&chain(false)), HazardKind::MissingWait, &["staging"]);
}

#[test]
fn barrier_on_another_queue_is_an_ownership_violation() {
    let mut p = storage_chain(true, CS_R);
    p.passes[1].barriers[0].queue = G;
    let hazards = check(&p);
    assert_eq!(hazards[0].kind, HazardKind::OwnershipViolation, "{hazards:#?}");
    assert!(hazards[0].message.contains("`particles`") && hazards[0].message.contains("`sim.b`"));
}

fn swapchain(epilogue: bool, first_src: StageMask) -> Draft {
    let mut r = resource(
        "swapchain",
        ResourceKind::Image,
        Format::Bgra8Srgb,
        Lifetime::Imported {
            entry: ResourceState::swapchain_acquired(),
            exit: ResourceState::present(),
        },
    );
    r.entry = Some(ResourceState::swapchain_acquired());
    r.exit = Some(ResourceState::present());
    let mut draw = pass("ui.draw", G, &[(0, Access::ColorWrite)]);
    let first = barrier(0, G, (first_src, AccessMask::NONE), COLOR);
    draw.barriers.push(transition(first, Undefined, ColorAttachment));
    let mut p = plan(vec![r], vec![draw]);
    if epilogue {
        p.epilogue.push(transition(
            barrier(0, G, COLOR, NOTHING),
            ColorAttachment,
            Layout::Present,
        ));
    }
    p
}

#[test]
fn import_left_out_of_its_exit_layout_is_a_layout_mismatch() {
    let out = StageMask::COLOR_ATTACHMENT_OUTPUT;
    assert_only(&check(&swapchain(false, out)), HazardKind::LayoutMismatch, &["swapchain"]);
    assert_eq!(check(&swapchain(true, out)), vec![]);
}

#[test]
fn first_transition_must_wait_for_the_entry_state() {
    let hazards = check(&swapchain(true, StageMask::NONE));
    assert_only(&hazards, HazardKind::UnorderedAccess, &["swapchain"]);
}

#[test]
fn many_readers_stay_linear() {
    let mut passes = vec![pass("sim.write", C, &[(0, CS_W)])];
    passes[0].releases.clear();
    for i in 0..5000 {
        let mut p = pass(&format!("sim.read{i}"), C, &[(0, CS_R)]);
        p.barriers.push(barrier(0, C, CS_WRITE, CS_READ));
        passes.push(p);
    }
    assert_eq!(check(&plan(vec![buffer("big")], passes)), vec![]);
}

/// An image of `mips` levels and `layers` layers.
fn image_of(label: &str, mips: u32, layers: u32) -> PlannedResource {
    let mut r = image(label);
    if let Some(i) = r.image.as_mut() {
        i.mip_levels = mips;
        i.array_layers = layers;
    }
    r
}

fn cells(base_mip: u32, mip_count: u32, base_layer: u32, layer_count: u32) -> Subresource {
    Subresource { base_mip, mip_count, base_layer, layer_count }
}

/// `b` over `sub` only.
fn over(b: Barrier, sub: Subresource) -> Barrier {
    Barrier { subresource: sub, ..b }
}

/// The pyramid's step on a 2-mip image: `hiz.mip0` writes mip 0, then `hiz.mip1` samples mip 0
/// (after `to_sampled`) and writes mip 1 (after `to_storage`).
fn pyramid(to_sampled: Barrier, to_storage: Barrier) -> Draft {
    let mut mip0 = pass("hiz.mip0", G, &[(0, CS_W)]);
    mip0.accesses[0].subresource = cells(0, 1, 0, 1);
    let first = transition(barrier(0, G, NOTHING, CS_WRITE), Undefined, Layout::General);
    mip0.barriers.push(over(first, cells(0, 1, 0, 1)));
    let mut mip1 = pass("hiz.mip1", G, &[(0, Access::Sampled(ShaderStages::COMPUTE)), (0, CS_W)]);
    mip1.accesses[0].subresource = cells(0, 1, 0, 1);
    mip1.accesses[1].subresource = cells(1, 1, 0, 1);
    mip1.barriers.extend([to_sampled, to_storage]);
    plan(vec![image_of("hiz.pyramid", 2, 1)], vec![mip0, mip1])
}

fn mip0_to_sampled() -> Barrier {
    let sampled = (StageMask::COMPUTE_SHADER, AccessMask::SAMPLED_READ);
    let b = transition(barrier(0, G, CS_WRITE, sampled), Layout::General, ShaderReadOnly);
    over(b, cells(0, 1, 0, 1))
}

fn mip1_to_storage() -> Barrier {
    let b = transition(barrier(0, G, NOTHING, CS_WRITE), Undefined, Layout::General);
    over(b, cells(1, 1, 0, 1))
}

/// Each cell has its own state: reading mip 0 and writing mip 1 in one pass, each after its own
/// barrier, is clean, with no barrier naming the other mip.
#[test]
fn cells_are_tracked_apart() {
    assert_eq!(check(&pyramid(mip0_to_sampled(), mip1_to_storage())), vec![]);
}

/// A barrier narrowed to the wrong mip leaves the right one in its old layout and transitions
/// one that is not in the layout it names; both are reported, naming the mips.
#[test]
fn a_barrier_on_the_wrong_mip_is_reported_on_both_mips() {
    let wrong = over(mip0_to_sampled(), cells(1, 1, 0, 1));
    let hazards = check(&pyramid(wrong, mip1_to_storage()));
    for mip in ["`hiz.pyramid` mip 0", "`hiz.pyramid` mip 1"] {
        let found = |h: &Hazard| h.kind == HazardKind::LayoutMismatch && h.message.contains(mip);
        assert!(hazards.iter().any(found), "{mip}: {hazards:#?}");
    }
    // The image has one layer, so a cell is named by its mip alone.
    assert!(hazards.iter().all(|h| !h.message.contains("layer")), "{hazards:#?}");
}

/// Dropping a layer from a barrier's range leaves that layer unsynchronized.
#[test]
fn a_layer_dropped_from_a_range_is_reported() {
    let layers = |sub: Subresource| {
        let mut draw = pass("shadows.draw", G, &[(0, Access::ColorWrite)]);
        let first = transition(barrier(0, G, NOTHING, COLOR), Undefined, ColorAttachment);
        draw.barriers.push(first);
        let mut sample = pass("lighting.shade", G, &[(0, SAMPLED)]);
        sample.barriers.push(over(color_to_sampled(), sub));
        check(&plan(vec![image_of("shadows.maps", 1, 4)], vec![draw, sample]))
    };
    assert_eq!(layers(cells(0, 1, 0, 4)), vec![]);
    let hazards = layers(cells(0, 1, 0, 3));
    assert!(!hazards.is_empty());
    assert!(hazards.iter().all(|h| h.message.contains("`shadows.maps` layer 3")), "{hazards:#?}");
    let mismatch =
        |h: &Hazard| h.kind == HazardKind::LayoutMismatch && h.message.contains("`lighting.shade`");
    assert!(hazards.iter().any(mismatch), "{hazards:#?}");
}

/// A range the image does not have, or part of a buffer, is a hazard of its own.
#[test]
fn ranges_past_the_image_or_of_a_buffer_are_invalid() {
    let past = over(mip1_to_storage(), cells(1, 2, 0, 1));
    let hazards = check(&pyramid(mip0_to_sampled(), past));
    let invalid: Vec<&Hazard> =
        hazards.iter().filter(|h| h.kind == HazardKind::InvalidRange).collect();
    assert_eq!(invalid.len(), 1, "{hazards:#?}");
    assert_eq!(
        invalid[0].message,
        "a barrier in the barriers before pass `hiz.mip1` names mips 1..3 layer 0 of `hiz.pyramid`, \
         which has 2 mip levels and 1 layer"
    );
    assert_eq!((invalid[0].resource, invalid[0].pass), (0, Some(1)));
    // The range names no cell: mip 0, which the barrier would have discarded, is untouched,
    // and mip 1 is left in the layout it had.
    assert!(hazards.iter().all(|h| !h.message.contains("mip 0")), "{hazards:#?}");
    assert!(
        hazards
            .iter()
            .any(|h| h.kind == HazardKind::LayoutMismatch
                && h.message.contains("`hiz.pyramid` mip 1")),
        "{hazards:#?}"
    );
    let mut write = pass("fill", G, &[(0, CS_W)]);
    write.accesses[0].subresource = cells(0, 1, 0, 1);
    write.barriers.push(barrier(0, G, NOTHING, CS_WRITE));
    let hazards = check(&plan(vec![buffer("buf")], vec![write]));
    assert_only(&hazards, HazardKind::InvalidRange, &["buf"]);
    assert_eq!(hazards.len(), 1, "{hazards:#?}");
    assert_eq!(
        hazards[0].message,
        "an access of pass `fill` names mip 0 layer 0 of a buffer, which has none (`buf`)"
    );
    assert_eq!(hazards[0].pass, Some(0));
}

/// An image of more cells than the oracle tracks apart is one cell: named whole (with explicit
/// counts, as the compiler writes them) it is checked as usual, and any part of it is a range the
/// oracle cannot check.
#[test]
fn images_too_large_to_track_by_cell_are_one_cell() {
    let huge = |sub: Subresource| {
        let mut fill = pass("atlas.fill", G, &[(0, CS_W)]);
        fill.accesses[0].subresource = sub;
        let first = transition(barrier(0, G, NOTHING, CS_WRITE), Undefined, Layout::General);
        fill.barriers.push(over(first, sub));
        check(&plan(vec![image_of("atlas", 1, 100_000)], vec![fill]))
    };
    assert_eq!(huge(cells(0, 1, 0, 100_000)), vec![]);
    assert_eq!(huge(Subresource::ALL), vec![]);
    let hazards = huge(cells(0, 1, 5, 1));
    assert!(!hazards.is_empty());
    assert!(hazards.iter().all(|h| h.kind == HazardKind::InvalidRange), "{hazards:#?}");
}

mod aliasing;
mod ordering;
mod temporals;

//! Memory shared over time on hand-built plans: lifetimes touching at their ends, the bytes
//! each earlier occupant last held, and `bufferImageGranularity` between buffers and images.

use super::*;

/// `r` placed in heap 0 at `(offset, size)`.
fn placed_at(r: PlannedResource, (offset, size): (u64, u64)) -> PlannedResource {
    PlannedResource { placement: Some(Placement { heap: 0, offset, size }), ..r }
}

/// A buffer placed in heap 0 at `offset`, `size` bytes.
fn buf_at(label: &str, offset: u64, size: u64) -> PlannedResource {
    placed_at(buffer(label), (offset, size))
}

/// `a` at [0, 512) is written in a compute shader, `c` at [256, 512) takes over its upper half
/// for a copy, then `b` at [0, 512) takes over all of it for another copy, with a barrier that
/// orders only copies: `a` still last held the lower half, and its write is not ordered.
#[test]
fn a_later_occupant_above_an_older_one_leaves_the_bytes_below_it_to_the_older() {
    let resources = vec![buf_at("a", 0, 512), buf_at("c", 256, 256), buf_at("b", 0, 512)];
    let mut c = pass("sim.c", C, &[(1, Access::CopyDst)]);
    let to_copy = barrier(1, C, (StageMask::COMPUTE_SHADER, AccessMask::NONE), COPY);
    c.barriers.push(Barrier { discard: true, ..to_copy });
    let mut b = pass("sim.b", C, &[(2, Access::CopyDst)]);
    let after_copy = barrier(2, C, (StageMask::TRANSFER, AccessMask::NONE), COPY);
    b.barriers.push(Barrier { discard: true, ..after_copy });
    let hazards = check(&plan(resources, vec![pass("sim.a", C, &[(0, CS_W)]), c, b]));
    assert_only(&hazards, HazardKind::UnorderedAccess, &["a", "b"]);
}

/// Two transients in the same memory may not be live in the same pass, even where one's last
/// use is the other's first, nor at the end of the frame; the later one is reported, at the
/// pass where both are live. A placement of no bytes shares memory with nothing.
#[test]
fn aliased_transients_touching_in_one_pass_overlap() {
    // `low` at offset 0 is used in passes 0 and 1, `high` at 128 in passes 1 and 2: both live
    // in pass 1. Then the other way round: the resource at the higher offset is used first.
    for (first, second) in [(0, 1), (1, 0)] {
        let resources = vec![buf_at("low", 0, 256), buf_at("high", 128, 256)];
        let mut p0 = pass("p0", C, &[(first, CS_W)]);
        p0.barriers.push(barrier(first, C, NOTHING, CS_WRITE));
        let mut p1 = pass("p1", C, &[(first, CS_R), (second, CS_W)]);
        p1.barriers.push(barrier(first, C, CS_WRITE, CS_READ));
        p1.barriers.push(barrier(second, C, NOTHING, CS_WRITE));
        let mut p2 = pass("p2", C, &[(second, CS_R)]);
        p2.barriers.push(barrier(second, C, CS_WRITE, CS_READ));
        let hazards = check(&plan(resources, vec![p0, p1, p2]));
        let names = ["low", "high"];
        assert_only(&hazards, HazardKind::AliasOverlap, &names);
        assert_eq!(hazards.len(), 1, "{hazards:#?}");
        assert_eq!((hazards[0].resource, hazards[0].pass), (second, Some(1)));
        let msg = format!(
            "`{}` and `{}` share memory in heap 0 but are both live at pass `p1`",
            names[first], names[second]
        );
        assert_eq!(hazards[0].message, msg);
    }
    // Touched only by the epilogue, both are live at the end of the frame.
    let mut end =
        plan(vec![buf_at("low", 0, 256), buf_at("high", 128, 256)], vec![pass("p0", C, &[])]);
    end.epilogue = vec![barrier(0, C, NOTHING, NOTHING), barrier(1, C, NOTHING, NOTHING)];
    let hazards: Vec<Hazard> =
        check(&end).into_iter().filter(|h| h.kind == HazardKind::AliasOverlap).collect();
    assert_eq!(hazards.len(), 1, "{hazards:#?}");
    assert_eq!(hazards[0].pass, None);
    assert!(hazards[0].message.ends_with("at the end of the frame"), "{}", hazards[0].message);
    // No bytes: nothing shared.
    let resources = vec![buf_at("low", 0, 256), buf_at("empty", 64, 0)];
    let mut p0 = pass("p0", C, &[(0, CS_W), (1, CS_W)]);
    p0.barriers.push(barrier(0, C, NOTHING, CS_WRITE));
    p0.barriers.push(barrier(1, C, NOTHING, CS_WRITE));
    assert_eq!(check(&plan(resources, vec![p0])), vec![]);
}

/// `a` at [128, 256) is written in a compute shader; `l1` at [0, 128) and `l2` at [256, 384)
/// are then copied into; `r` at [0, 384) takes over all of them with a barrier that orders only
/// copies. The bytes between the two later occupants were last held by `a`, whose write it does
/// not order.
#[test]
fn a_gap_between_later_occupants_is_left_to_the_older_one() {
    let resources = vec![
        buf_at("a", 128, 128),
        buf_at("l1", 0, 128),
        buf_at("l2", 256, 128),
        buf_at("r", 0, 384),
    ];
    let copy_into = |label: &str, r: usize| {
        let mut p = pass(label, C, &[(r, Access::CopyDst)]);
        let b = barrier(r, C, (StageMask::TRANSFER, AccessMask::NONE), COPY);
        p.barriers.push(Barrier { discard: true, ..b });
        p
    };
    let passes = vec![
        pass("sim.a", C, &[(0, CS_W)]),
        copy_into("copy.l1", 1),
        copy_into("copy.l2", 2),
        copy_into("copy.r", 3),
    ];
    let hazards = check(&plan(resources, passes));
    assert_only(&hazards, HazardKind::UnorderedAccess, &["a", "r"]);
}

/// `bufferImageGranularity` between a buffer and an image in one heap, pages of 1 KiB: the
/// buffer at `buf` and the image at `img` (offset, size), each used in the passes listed (a
/// pass past the last is the epilogue).
fn granularity(
    buf: (u64, u64),
    img: (u64, u64),
    buf_in: &[usize],
    img_in: &[usize],
) -> Vec<Hazard> {
    let resources = vec![placed_at(buffer("buf"), buf), placed_at(image("img"), img)];
    let mut passes: Vec<Pass> = (0..3).map(|i| pass(&format!("p{i}"), C, &[])).collect();
    let mut epilogue = Vec::new();
    for (r, uses) in [(0, buf_in), (1, img_in)] {
        for &i in uses {
            match passes.get_mut(i) {
                Some(p) => p.accesses.extend(pass("", C, &[(r, CS_R)]).accesses),
                None => epilogue.push(barrier(r, C, NOTHING, NOTHING)),
            }
        }
    }
    let mut draft = plan(resources, passes);
    draft.epilogue = epilogue;
    crate::oracle::check_granularity(&draft.plan(), 1024)
}

#[test]
fn a_buffer_and_an_image_live_at_once_may_not_share_a_page() {
    // Live together in pass 1, where one's last use is the other's first (either way round):
    // reported at that pass, naming the bytes.
    for (buf_in, img_in) in [([0, 1], [1, 2]), ([1, 2], [0, 1])] {
        let hazards = granularity((0, 100), (512, 100), &buf_in, &img_in);
        assert_eq!(hazards.len(), 1, "{hazards:#?}");
        assert_eq!(hazards[0].kind, HazardKind::AliasOverlap);
        assert_eq!((hazards[0].resource, hazards[0].pass), (1, Some(1)));
        assert_eq!(
            hazards[0].message,
            "`buf` and `img`, a buffer and an image live at once in heap 0, share a page of 1024 \
             bytes (`bufferImageGranularity`): bytes 0..100 and 512..612"
        );
    }
    // Live together only at the end of the frame: no pass to name.
    let hazards = granularity((0, 100), (512, 100), &[3], &[3]);
    assert_eq!(hazards.len(), 1, "{hazards:#?}");
    assert_eq!(hazards[0].pass, None);
    // Never live at once, on pages of their own, or of no bytes: nothing.
    assert_eq!(granularity((0, 100), (512, 100), &[0], &[1]), vec![]);
    assert_eq!(granularity((0, 1024), (1024, 100), &[0, 1], &[1]), vec![]);
    assert_eq!(granularity((0, 0), (0, 100), &[0], &[0]), vec![]);
}

//! Aliasing policy: a transient buffer of indirect arguments gets memory of its own for the
//! whole frame, even where a transient of the same size could take its bytes over once its
//! life has ended.

use rg_core::*;

const C: ShaderStages = ShaderStages::COMPUTE;

/// Two 64 KiB buffers whose lives do not overlap: `first` written by one pass and read by the
/// next with `read`, then `second` written and read by storage passes. Whichever of them is
/// read with `read` (`indirect_first` says which), the other is read as storage.
fn two_lives(read: Access, indirect_first: bool) -> Graph {
    let mut g = Graph::new(Extent::new(64, 64));
    let storage = Access::StorageRead(C);
    let (read_first, read_second) = if indirect_first { (read, storage) } else { (storage, read) };
    for (name, access) in [("first", read_first), ("second", read_second)] {
        let buf = g.create_buffer(&format!("alias.{name}"), BufferDesc::new(64 << 10));
        let mut w = g.add_pass(&format!("alias.{name}.write"), QueueKind::Graphics);
        let buf = w.write(buf, Access::StorageWrite(C));
        w.finish();
        let mut r = g.add_pass(&format!("alias.{name}.read"), QueueKind::Graphics);
        r.side_effect().read(buf, access);
        r.finish();
    }
    g
}

fn placements(g: &Graph) -> (Placement, Placement, String) {
    let plan = Compiler::new().compile(g, &FakeMemory::default()).unwrap_or_else(|e| panic!("{e}"));
    let text = print::text(&plan);
    let hazards = oracle::check(&plan);
    assert!(hazards.is_empty(), "{hazards:#?}\n{text}");
    let at = |label: &str| {
        let r = plan.resources.iter().find(|r| &*r.label == label).expect(label);
        r.placement.expect("a transient used by a pass is placed")
    };
    (at("alias.first"), at("alias.second"), text)
}

fn overlap(a: Placement, b: Placement) -> bool {
    a.heap == b.heap && a.offset < b.offset + b.size && b.offset < a.offset + a.size
}

#[test]
fn an_indirect_argument_buffer_shares_memory_with_no_other_transient() {
    for indirect_first in [true, false] {
        // Read as storage only, the two buffers take the same bytes one after the other.
        let (a, b, text) = placements(&two_lives(Access::StorageRead(C), indirect_first));
        assert!(overlap(a, b), "the control graph must alias\n{text}");
        // The same graph with one of them read as indirect arguments: no byte is shared.
        let (a, b, text) = placements(&two_lives(Access::IndirectArgs, indirect_first));
        assert!(!overlap(a, b), "indirect arguments aliased (first: {indirect_first})\n{text}");
    }
}

//! Aliasing at its edges: a transient buffer of indirect arguments gets memory of its own for
//! the whole frame, even where a transient of the same size could take its bytes over once its
//! life has ended; alignments a custom memory model gives that are not powers of two; the
//! guard against frames whose transients need more than 2^64 bytes; and heaps of memory types
//! that every member accepts.

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

/// A device model with buffers of any size and alignment, as a custom [`MemoryOracle`] may
/// answer: `size` bytes (or the declared size), aligned to `alignment`, which need not be a
/// power of two.
struct Custom {
    size: Option<u64>,
    alignment: u64,
}

impl MemoryOracle for Custom {
    fn image_requirements(&self, _: &ResolvedImage, _: Usage) -> MemoryRequirements {
        unreachable!("these graphs have no images")
    }
    fn buffer_requirements(&self, size: u64, _: Usage) -> MemoryRequirements {
        let size = self.size.unwrap_or(size);
        MemoryRequirements { size, alignment: self.alignment, memory_type_bits: 1 }
    }
    fn limits(&self) -> Limits {
        Limits { max_buffer_size: u64::MAX, ..Limits::default() }
    }
    fn fingerprint(&self) -> u64 {
        self.size.unwrap_or(0) ^ self.alignment.rotate_left(32)
    }
}

/// `n` buffers of `size` bytes written by one pass and read by the next: all live at once.
fn live_together(n: usize, size: u64) -> Graph {
    live_sized(&vec![size; n])
}

/// Buffers of these sizes, in this order, written by one pass and read by the next.
fn live_sized(sizes: &[u64]) -> Graph {
    let mut g = Graph::new(Extent::new(64, 64));
    let bufs: Vec<BufferHandle> = sizes
        .iter()
        .enumerate()
        .map(|(i, &size)| g.create_buffer(&format!("together.b{i}"), BufferDesc::new(size)))
        .collect();
    let mut w = g.add_pass("together.write", QueueKind::Graphics);
    let bufs: Vec<BufferHandle> =
        bufs.into_iter().map(|b| w.write(b, Access::StorageWrite(C))).collect();
    w.finish();
    let mut r = g.add_pass("together.read", QueueKind::Graphics);
    r.side_effect();
    for b in bufs {
        r.read(b, Access::StorageRead(C));
    }
    r.finish();
    g
}

/// An alignment that is not a power of two (Vulkan's are, a custom oracle's may not be) is
/// honoured: three 5-byte buffers live at once, aligned to 3, go at 0, 6 and 12.
#[test]
fn alignments_that_are_not_powers_of_two_are_honoured() {
    let memory = Custom { size: None, alignment: 3 };
    let plan =
        Compiler::new().compile(&live_together(3, 5), &memory).unwrap_or_else(|e| panic!("{e}"));
    let text = print::text(&plan);
    assert!(oracle::check(&plan).is_empty(), "{text}");
    let mut offsets: Vec<u64> =
        plan.resources.iter().map(|r| r.placement.expect("placed").offset).collect();
    offsets.sort_unstable();
    assert_eq!(offsets, [0, 6, 12], "{text}");
    assert_eq!((plan.heaps[0].size, plan.heaps[0].alignment), (17, 3), "{text}");
}

/// The compiler refuses transients whose bytes, with room for each one's alignment (twice the
/// largest alignment a transient), pass 2^64, and names the first that takes them past it. Two
/// buffers of 2^62 bytes aligned to 2^61 fit in 2^63 bytes, but the room for alignment takes
/// them to 2^64; one buffer of 2^64 - 3 bytes aligned to 1 stays just below it, one byte more
/// does not, and a byte after it is the first past.
#[test]
fn the_2_64_byte_guard_keeps_room_for_alignment() {
    let compile = |g: &Graph, size: u64, alignment: u64| {
        Compiler::new().compile(g, &Custom { size: Some(size), alignment })
    };
    let errs = compile(&live_together(2, 64), 1 << 62, 1 << 61).expect_err("past 2^64 with room");
    let msg = errs.to_string();
    assert!(matches!(errs.0[..], [CompileError::InvalidSize { .. }]), "{msg}");
    assert!(msg.contains("`together.b1`") && msg.contains("2^64"), "{msg}");
    // Without the room for alignment, the same bytes fit.
    compile(&live_together(2, 64), 1 << 62, 1).unwrap_or_else(|e| panic!("{e}"));

    let plan = compile(&live_together(1, 64), u64::MAX - 2, 1).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(plan.stats.transient_bytes, u64::MAX - 2);
    let msg =
        compile(&live_together(1, 64), u64::MAX - 1, 1).expect_err("one byte more").to_string();
    assert!(msg.contains("`together.b0`") && msg.contains("2^64"), "{msg}");
    // A buffer whose bytes and room reach 2^64 - 1 exactly still fits: the one after it, of a
    // single byte, is the first past 2^64, and the one named.
    let memory = Custom { size: None, alignment: 1 };
    let errs = Compiler::new()
        .compile(&live_sized(&[u64::MAX - 2, 1]), &memory)
        .expect_err("past 2^64 at the second");
    let msg = errs.to_string();
    assert!(msg.contains("`together.b1`") && !msg.contains("`together.b0`"), "{msg}");
}

/// Memory types by size: large buffers can live only in type 0, middling ones in types 0 and 1,
/// small ones only in type 1.
struct ByType;

impl MemoryOracle for ByType {
    fn image_requirements(&self, _: &ResolvedImage, _: Usage) -> MemoryRequirements {
        unreachable!("these graphs have no images")
    }
    fn buffer_requirements(&self, size: u64, _: Usage) -> MemoryRequirements {
        let memory_type_bits = match size {
            4096.. => 0b01,
            2048.. => 0b11,
            _ => 0b10,
        };
        MemoryRequirements { size, alignment: 256, memory_type_bits }
    }
}

/// A heap's memory types are those every member can live in, never an empty set: a 4 KiB buffer
/// (type 0) and a 2 KiB one (types 0 and 1) share a heap of type 0, and a 1 KiB one (type 1)
/// gets a heap of its own, although it shares a type with the 2 KiB buffer.
#[test]
fn a_heap_takes_only_the_memory_types_all_its_members_accept() {
    let mut g: Graph = Graph::new(Extent::new(64, 64));
    let bufs: Vec<BufferHandle> = [4096, 2048, 1024]
        .into_iter()
        .map(|size| g.create_buffer(&format!("types.b{size}"), BufferDesc::new(size)))
        .collect();
    let mut w = g.add_pass("types.write", QueueKind::Graphics);
    let bufs: Vec<BufferHandle> =
        bufs.into_iter().map(|b| w.write(b, Access::StorageWrite(C))).collect();
    w.finish();
    let mut r = g.add_pass("types.read", QueueKind::Graphics);
    r.side_effect();
    for b in bufs {
        r.read(b, Access::StorageRead(C));
    }
    r.finish();
    let plan = Compiler::new().compile(&g, &ByType).unwrap_or_else(|e| panic!("{e}"));
    let text = print::text(&plan);
    assert!(oracle::check(&plan).is_empty(), "{text}");
    let heaps: Vec<(u32, Vec<&str>)> = plan
        .heaps
        .iter()
        .map(|h| {
            let members = h.resources.iter().map(|&r| &*plan.resources[r].label).collect();
            (h.memory_type_bits, members)
        })
        .collect();
    assert_eq!(heaps, [(0b01, vec!["types.b4096", "types.b2048"]), (0b10, vec!["types.b1024"])]);
    for h in &plan.heaps {
        for &r in &h.resources {
            let bits = plan.resources[r].requirements.expect("placed").memory_type_bits;
            assert_eq!(h.memory_type_bits & bits, h.memory_type_bits, "{text}");
        }
    }
}

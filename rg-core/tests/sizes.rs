//! Sizes and shapes a graph cannot have: empty and oversized buffers and images, mip levels,
//! layers and samples past what the image or the device allows, relative sizes that reach past
//! 32 bits or below a texel, each reported with the resource and the `file:line` of its
//! declaration (and those at the limits compiling).

use rg_core::*;

fn compile(g: &Graph) -> CompileErrors {
    Compiler::new().compile(g, &FakeMemory::default()).expect_err("the graph has a mistake")
}

fn here(line: u32) -> String {
    format!("{}:{line}", file!())
}

#[test]
fn zero_and_oversized_sizes() {
    let mut g: Graph = Graph::new(Extent::new(8, 8));
    let l1 = line!() + 1;
    let a = g.create_buffer("empty.buf", BufferDesc::new(0));
    let huge = ImageDesc::new(Format::Rgba8Unorm, Size::absolute(100_000, 4));
    let tiny = ImageDesc::new(Format::Rgba8Unorm, Size::Output { sx: 0.01, sy: 0.01 });
    let l2 = line!() + 1;
    let b = g.create_image("huge.img", huge);
    let l3 = line!() + 1;
    let c = g.create_image("tiny.img", tiny);
    let mut p = g.add_pass("p", QueueKind::Graphics);
    let (a, b, c) =
        (p.write(a, Access::CopyDst), p.write(b, Access::CopyDst), p.write(c, Access::CopyDst));
    p.finish();
    g.export(a);
    g.export(b);
    g.export(c);
    let errs = compile(&g);
    assert_eq!(errs.len(), 3, "{errs}");
    assert!(errs.iter().all(|e| matches!(e, CompileError::InvalidSize { .. })), "{errs}");
    let msg = errs.to_string();
    for (label, line) in [("`empty.buf`", l1), ("`huge.img`", l2), ("`tiny.img`", l3)] {
        assert!(msg.contains(label) && msg.contains(&here(line)), "{msg}");
    }
    assert!(msg.contains("over the device's limit"), "{msg}");
}

/// Images at the edges of their shape: as many mip levels as the extent has (4 for 8x8), as
/// many layers as the device allows, 64 samples and 4 samples (one mip level each) compile; one
/// mip level, one layer or one power of two of samples more is reported.
#[test]
fn image_shapes_at_their_limits() {
    let layers = Limits::default().max_image_array_layers;
    let build = |extra: u32| {
        let mut g: Graph = Graph::new(Extent::new(8, 8));
        let desc = ImageDesc::new(Format::R8Unorm, Size::FULL);
        let mut many = desc;
        many.samples = 64 << extra;
        let mut four = desc;
        four.samples = 4;
        let images = [
            g.create_image("edge.mips", desc.mips(4 + extra)),
            g.create_image("edge.layers", desc.layers(layers + extra)),
            g.create_image("edge.samples", many),
            g.create_image("edge.msaa", four),
        ];
        let mut p = g.add_pass("fill", QueueKind::Graphics);
        let written: Vec<ImageHandle> =
            images.into_iter().map(|h| p.write(h, Access::CopyDst)).collect();
        p.finish();
        for h in written {
            g.export(h);
        }
        g
    };
    Compiler::new().compile(&build(0), &FakeMemory::default()).unwrap_or_else(|e| panic!("{e}"));
    let errs = compile(&build(1));
    assert_eq!(errs.len(), 3, "{errs}");
    let expect = [
        ("`edge.mips`", "5 mip levels is more than 8x8 has"),
        ("`edge.layers`", "2049 layers is over the device's limit of 2048"),
        ("`edge.samples`", "128 samples"),
    ];
    for (e, (label, why)) in errs.iter().zip(expect) {
        let msg = e.to_string();
        assert!(matches!(e, CompileError::InvalidSize { .. }), "{msg}");
        assert!(msg.contains(label) && msg.contains(why), "{msg}");
    }
}

/// An image of zero mip levels, zero layers or zero samples is reported, each alone.
#[test]
fn images_with_zero_mips_layers_or_samples() {
    let mut g: Graph = Graph::new(Extent::new(8, 8));
    let desc = ImageDesc::new(Format::R8Unorm, Size::FULL);
    let mut no_samples = desc;
    no_samples.samples = 0;
    let lines = [line!() + 1, line!() + 2, line!() + 3];
    let a = g.create_image("no.mips", desc.mips(0));
    let b = g.create_image("no.layers", desc.layers(0));
    let c = g.create_image("no.samples", no_samples);
    let mut p = g.add_pass("fill", QueueKind::Graphics);
    let written: Vec<ImageHandle> =
        [a, b, c].into_iter().map(|h| p.write(h, Access::CopyDst)).collect();
    p.finish();
    for h in written {
        g.export(h);
    }
    let errs = compile(&g);
    assert_eq!(errs.len(), 3, "{errs}");
    for (e, (label, line)) in
        errs.iter().zip(["`no.mips`", "`no.layers`", "`no.samples`"].into_iter().zip(lines))
    {
        let msg = e.to_string();
        assert!(matches!(e, CompileError::InvalidSize { .. }), "{msg}");
        assert!(msg.contains(label) && msg.contains(&here(line)), "{msg}");
    }
}

/// The device's limits are inclusive: a buffer of exactly its largest size and images of
/// exactly its largest side, across and down, compile; one byte or one texel more (down only,
/// across being tested above) is reported.
#[test]
fn sizes_at_the_device_limits() {
    let limits = Limits::default();
    let (bytes, side) = (limits.max_buffer_size, limits.max_image_dimension);
    let build = |extra: u32| {
        let mut g: Graph = Graph::new(Extent::new(8, 8));
        let buf = g.create_buffer("limit.buf", BufferDesc::new(bytes + extra as u64));
        let wide = ImageDesc::new(Format::R8Unorm, Size::absolute(side, 1));
        let wide = g.create_image("limit.wide", wide);
        let tall = ImageDesc::new(Format::R8Unorm, Size::absolute(1, side + extra));
        let tall = g.create_image("limit.tall", tall);
        let mut p = g.add_pass("fill", QueueKind::Graphics);
        let written = [p.write(buf, Access::CopyDst)];
        let images = [p.write(wide, Access::CopyDst), p.write(tall, Access::CopyDst)];
        p.finish();
        g.export(written[0]);
        for h in images {
            g.export(h);
        }
        g
    };
    Compiler::new().compile(&build(0), &FakeMemory::default()).unwrap_or_else(|e| panic!("{e}"));
    let errs = compile(&build(1));
    assert_eq!(errs.len(), 2, "{errs}");
    let msg = errs.to_string();
    assert!(msg.contains("`limit.buf`") && msg.contains("`limit.tall`"), "{msg}");
    assert!(!msg.contains("`limit.wide`"), "{msg}");
}

/// A size relative to an image must name an earlier image of this graph whose own size is
/// valid: one relative to an image of another graph (at an index this graph also has), and one
/// relative to an image of no texels, are each reported; the valid base is not.
#[test]
fn sizes_relative_to_foreign_or_invalid_images() {
    let mut other: Graph = Graph::new(Extent::new(64, 64));
    let foreign = other.create_image("other.base", ImageDesc::new(Format::R8Unorm, Size::FULL));
    let mut g: Graph = Graph::new(Extent::new(64, 64));
    let base = g.create_image("base", ImageDesc::new(Format::R8Unorm, Size::FULL));
    let l0 = line!() + 1;
    let empty = g.create_image("empty", ImageDesc::new(Format::R8Unorm, Size::absolute(0, 4)));
    let half = |image| Size::Image { image, sx: 0.5, sy: 0.5 };
    let l1 = line!() + 1;
    let a = g.create_image("of.foreign", ImageDesc::new(Format::R8Unorm, half(foreign)));
    let l2 = line!() + 1;
    let b = g.create_image("of.empty", ImageDesc::new(Format::R8Unorm, half(empty)));
    assert_eq!(g.image_extent(a), None);
    let mut p = g.add_pass("p", QueueKind::Graphics);
    let written: Vec<ImageHandle> =
        [base, empty, a, b].into_iter().map(|h| p.write(h, Access::CopyDst)).collect();
    p.finish();
    for h in written {
        g.export(h);
    }
    let errs = compile(&g);
    assert_eq!(errs.len(), 3, "{errs}");
    let expect = [
        ("`empty`", "has a zero side", l0),
        ("`of.foreign`", "not an earlier, valid image of this graph", l1),
        ("`of.empty`", "not an earlier, valid image of this graph", l2),
    ];
    for (e, (label, why, line)) in errs.iter().zip(expect) {
        let msg = e.to_string();
        assert!(matches!(e, CompileError::InvalidSize { .. }), "{msg}");
        assert!(msg.contains(label) && msg.contains(why) && msg.contains(&here(line)), "{msg}");
    }
}

/// A relative size that comes to more than 32 bits count a side has no extent, as one that
/// comes to less than a texel has none, and the compile says which it is: scaled from the
/// output and from another image, each past 2^32 - 1, and one scaled below a texel.
#[test]
fn scales_past_32_bits_have_no_extent() {
    let mut g: Graph = Graph::new(Extent::new(64, 64));
    let base = g.create_image("base", ImageDesc::new(Format::R8Unorm, Size::FULL));
    let huge = Size::Output { sx: 1e9, sy: 1.0 };
    let l1 = line!() + 1;
    let a = g.create_image("huge.output", ImageDesc::new(Format::R8Unorm, huge));
    let huge = Size::Image { image: base, sx: 1.0, sy: 1e9 };
    let l2 = line!() + 1;
    let b = g.create_image("huge.relative", ImageDesc::new(Format::R8Unorm, huge));
    let tiny = Size::Image { image: base, sx: 1e-3, sy: 1.0 };
    let l3 = line!() + 1;
    let c = g.create_image("tiny.relative", ImageDesc::new(Format::R8Unorm, tiny));
    for h in [a, b, c] {
        assert_eq!(g.image_extent(h), None, "{h:?}");
    }
    let mut p = g.add_pass("p", QueueKind::Graphics);
    let written: Vec<ImageHandle> =
        [base, a, b, c].into_iter().map(|h| p.write(h, Access::CopyDst)).collect();
    p.finish();
    for h in written {
        g.export(h);
    }
    let errs = compile(&g);
    assert_eq!(errs.len(), 3, "{errs}");
    let expect = [
        ("`huge.output`", "is over 2^32 - 1 texels a side", l1),
        ("`huge.relative`", "is over 2^32 - 1 texels a side", l2),
        ("`tiny.relative`", "is not at least one texel", l3),
    ];
    for (e, (label, why, line)) in errs.iter().zip(expect) {
        let msg = e.to_string();
        assert!(matches!(e, CompileError::InvalidSize { .. }), "{msg}");
        assert!(msg.contains(label) && msg.contains(why) && msg.contains(&here(line)), "{msg}");
    }
}

/// A side of exactly 2^32 - 1 texels is not too large: beside a side of less than a texel, the
/// error is that one.
#[test]
fn a_side_of_exactly_32_bits_beside_one_too_small_is_too_small() {
    let mut g: Graph = Graph::new(Extent::new(65535, 64));
    // 65535 x 65537 = 2^32 - 1 exactly; 64 x 0.001 rounds to no texel.
    let size = Size::Output { sx: 65537.0, sy: 0.001 };
    let line = line!() + 1;
    let img = g.create_image("thin", ImageDesc::new(Format::R8Unorm, size));
    let mut p = g.add_pass("p", QueueKind::Graphics);
    let img = p.write(img, Access::CopyDst);
    p.finish();
    g.export(img);
    let errs = compile(&g);
    assert_eq!(errs.len(), 1, "{errs}");
    let e = errs.iter().next().expect("one error");
    let msg = e.to_string();
    assert!(matches!(e, CompileError::InvalidSize { .. }), "{msg}");
    assert!(msg.contains("`thin`") && msg.contains("is not at least one texel"), "{msg}");
    assert!(msg.contains(&here(line)), "{msg}");
}

#[test]
fn sample_counts_layers_and_memory_that_cannot_be() {
    let mut g: Graph = Graph::new(Extent::new(64, 64));
    let desc = ImageDesc::new(Format::Rgba8Unorm, Size::FULL);
    let mut three = desc;
    three.samples = 3;
    let l1 = line!() + 1;
    let a = g.create_image("three.samples", three);
    let mut msaa_mips = desc.mips(4);
    msaa_mips.samples = 4;
    let l2 = line!() + 1;
    let b = g.create_image("msaa.mips", msaa_mips);
    let l3 = line!() + 1;
    let c = g.create_image("many.layers", desc.layers(4096));
    let mut p = g.add_pass("p", QueueKind::Graphics);
    let (a, b, c) =
        (p.write(a, Access::CopyDst), p.write(b, Access::CopyDst), p.write(c, Access::CopyDst));
    p.finish();
    for h in [a, b, c] {
        g.export(h);
    }
    let errs = compile(&g);
    assert_eq!(errs.len(), 3, "{errs}");
    assert!(errs.iter().all(|e| matches!(e, CompileError::InvalidSize { .. })), "{errs}");
    let expect = [
        ("`three.samples`", "power of two", l1),
        ("`msaa.mips`", "one mip level", l2),
        ("`many.layers`", "4096 layers is over the device's limit of 2048", l3),
    ];
    for (e, (label, why, line)) in errs.iter().zip(expect) {
        let msg = e.to_string();
        assert!(msg.contains(label) && msg.contains(why) && msg.contains(&here(line)), "{msg}");
    }

    // Where the limits allow it, transients can still need more bytes than 64 bits count:
    // reported, not wrapped around (or, in a debug build, a panic).
    let limits = Limits {
        max_image_dimension: u32::MAX,
        max_image_array_layers: u32::MAX,
        max_buffer_size: u64::MAX,
    };
    let memory = FakeMemory { limits, ..FakeMemory::default() };
    let mut g: Graph = Graph::new(Extent::new(8, 8));
    let x = g.create_buffer("half.a", BufferDesc::new(1 << 63));
    let l4 = line!() + 1;
    let y = g.create_buffer("half.b", BufferDesc::new(1 << 63));
    let mut p = g.add_pass("fill", QueueKind::Graphics);
    let (x, y) = (p.write(x, Access::CopyDst), p.write(y, Access::CopyDst));
    p.finish();
    g.export(x);
    g.export(y);
    let errs = Compiler::new().compile(&g, &memory).expect_err("more than 2^64 bytes");
    let msg = errs.to_string();
    assert!(matches!(errs.0[..], [CompileError::InvalidSize { .. }]), "{msg}");
    assert!(msg.contains("`half.b`") && msg.contains("2^64") && msg.contains(&here(l4)), "{msg}");
    // An image whose bytes do not fit in 64 bits at all.
    let mut g: Graph = Graph::new(Extent::new(8, 8));
    let big = ImageDesc::new(Format::Rgba32Float, Size::absolute(1 << 20, 1 << 20));
    let l5 = line!() + 1;
    let z = g.create_image("layers.max", big.mips(2).layers(u32::MAX));
    let z = g.add_pass("fill.image", QueueKind::Graphics).write(z, Access::CopyDst);
    g.export(z);
    let msg = Compiler::new().compile(&g, &memory).expect_err("too big").to_string();
    assert!(msg.contains("`layers.max`") && msg.contains(&here(l5)), "{msg}");
}

//! The declaring API as a pass author uses it: descriptions asked while declaring agree with
//! what the compile resolves, recordings are attached after the accesses, and ids and handles
//! of another graph are recognised.

use rg_core::*;

const C: ShaderStages = ShaderStages::COMPUTE;

/// Descriptions and resolved extents asked while declaring are the ones the plan gets, for
/// absolute, output-relative and image-relative (chained, with rounding at each step) sizes.
#[test]
fn descriptions_asked_while_declaring_match_the_plan() {
    let mut g: Graph = Graph::new(Extent::new(1366, 769));
    let full = g.create_image("full", ImageDesc::new(Format::R32Float, Size::FULL).mips(4));
    let third = g.create_image(
        "third",
        ImageDesc::new(Format::Rgba8Unorm, Size::Output { sx: 1.0 / 3.0, sy: 0.5 }),
    );
    let half = g.create_image(
        "half",
        ImageDesc::new(Format::Rg16Float, Size::Image { image: third, sx: 0.5, sy: 0.5 }),
    );
    let quarter = g.create_image(
        "quarter",
        ImageDesc::new(Format::Rg16Float, Size::Image { image: half, sx: 0.5, sy: 0.5 }),
    );
    let fixed = g.create_image("fixed", ImageDesc::new(Format::R8Unorm, Size::absolute(7, 3)));
    let buffer = g.create_buffer("buffer", BufferDesc::new(4096));

    assert_eq!(g.image_desc(full).map(|d| (d.format, d.mip_levels)), Some((Format::R32Float, 4)));
    assert_eq!(g.buffer_desc(buffer), Some(BufferDesc::new(4096)));
    assert_eq!(g.image_extent(full), Some(Extent::new(1366, 769)));
    assert_eq!(g.image_extent(fixed), Some(Extent::new(7, 3)));
    // 1366 / 3 = 455.33 -> 455, 769 / 2 = 384.5 -> 385; then 227.5 -> 228, 192.5 -> 193; then
    // 114 and 96.5 -> 97: each step rounds, as the compile does.
    assert_eq!(g.image_extent(third), Some(Extent::new(455, 385)));
    assert_eq!(g.image_extent(half), Some(Extent::new(228, 193)));
    assert_eq!(g.image_extent(quarter), Some(Extent::new(114, 97)));

    let handles = [full, third, half, quarter, fixed];
    let mut p = g.add_pass("write", QueueKind::Compute);
    let written: Vec<ImageHandle> =
        handles.iter().map(|&h| p.write(h, Access::StorageWrite(C))).collect();
    p.finish();
    for &h in &written {
        g.export(h);
    }
    let plan = Compiler::new().compile(&g, &FakeMemory::default()).expect("valid");
    for &h in &handles {
        let resolved = plan.resources[h.index()].image.expect("an image").extent;
        assert_eq!(Some(resolved), g.image_extent(h), "`{}`", plan.resources[h.index()].label);
    }
}

/// A handle of another graph, or of the wrong kind, has no description.
#[test]
fn descriptions_of_foreign_handles_are_none() {
    let mut other: Graph = Graph::new(Extent::new(8, 8));
    let foreign = other.create_image("x", ImageDesc::new(Format::R8Unorm, Size::FULL));
    let foreign_buffer = other.create_buffer("b", BufferDesc::new(16));
    let g: Graph = Graph::new(Extent::new(8, 8));
    assert_eq!(g.image_desc(foreign), None);
    assert_eq!(g.image_extent(foreign), None);
    assert_eq!(g.buffer_desc(foreign_buffer), None);
    assert_ne!(g.id(), other.id());
    assert_eq!(foreign.graph(), other.id());
}

/// `record` attaches the payload to the pass after its accesses; `finish` leaves it empty; the
/// payloads are taken by declaration index, once.
#[test]
fn recordings_are_attached_after_the_accesses() {
    let mut g: Graph<&'static str> = Graph::new(Extent::new(8, 8));
    let b = g.create_buffer("b", BufferDesc::new(64));
    let mut p = g.add_pass("first", QueueKind::Compute);
    let b = p.write(b, Access::StorageWrite(C));
    let first = p.record("first's recording");
    let mut p = g.add_pass("second", QueueKind::Compute);
    p.read(b, Access::StorageRead(C));
    let second = p.finish();
    assert_eq!((first.index(), second.index()), (0, 1));
    assert_eq!(first.graph(), g.id());
    assert_eq!(g.pass_label(second), "second");
    assert_eq!(g.take_payload(first.index()), Some("first's recording"));
    assert_eq!(g.take_payload(first.index()), None, "taken once");
    assert_eq!(g.take_payload(second.index()), None, "`finish` records nothing");
}

/// An explicit order naming a pass of another graph is an error saying so.
#[test]
fn an_order_with_another_graphs_pass_is_an_error() {
    let mut other: Graph = Graph::new(Extent::new(8, 8));
    let theirs = other.add_pass("theirs", QueueKind::Compute).finish();
    let mut g: Graph = Graph::new(Extent::new(8, 8));
    let b = g.create_buffer("b", BufferDesc::new(64));
    let mut p = g.add_pass("ours", QueueKind::Compute);
    let b = p.write(b, Access::StorageWrite(C));
    let ours = p.finish();
    g.export(b);
    g.order(theirs, ours);
    let errors = Compiler::new().compile(&g, &FakeMemory::default()).expect_err("refused");
    let text = errors.to_string();
    assert!(text.contains("another graph"), "{text}");
    assert!(text.contains("tests/declaring.rs"), "names the declaration site: {text}");
}

/// Parts of images: a selection narrows the handle, a write returns the whole image's next
/// version, and the selection prints as people write it.
#[test]
fn parts_of_images_are_named_and_printed() {
    let mut g: Graph = Graph::new(Extent::new(64, 64));
    let desc = ImageDesc::new(Format::D32Float, Size::FULL).mips(3).layers(4);
    let img = g.create_image("shadows.depth", desc);
    assert_eq!(img.subresource(), Subresource::ALL);
    assert_eq!(img.layer(2).subresource().to_string(), "layer 2");
    assert_eq!(img.mip(1).layer(2).subresource().to_string(), "mip 1 layer 2");
    assert_eq!(img.layers(0, 4).subresource().to_string(), "layers 0..4");
    assert_eq!(img.mips(1, 2).subresource().to_string(), "mips 1..3");
    assert_eq!(img.layer(3).whole(), img);
    let resolved = img.layer(3).subresource().resolve(3, 4).expect("inside");
    assert_eq!((resolved.mip_count, resolved.layer_count), (3, 1));
    assert_eq!(img.layer(4).subresource().resolve(3, 4), None, "past the last layer");
    let mut p = g.add_pass("cascade3", QueueKind::Graphics);
    let next = p.write(img.mip(0).layer(3), Access::DepthWrite);
    p.finish();
    assert_eq!((next.version(), next.subresource()), (1, Subresource::ALL));
}

//! One negative test per `CompileError` variant: the right variant comes back, and its message
//! names the pass, the resource and the `file:line` of the declaration. Sizes and shapes a
//! resource cannot have are in `sizes.rs`.

use rg_core::*;

const C: ShaderStages = ShaderStages::COMPUTE;

fn compile(g: &Graph) -> CompileErrors {
    Compiler::new().compile(g, &FakeMemory::default()).expect_err("the graph has a mistake")
}

fn here(line: u32) -> String {
    format!("{}:{line}", file!())
}

#[track_caller]
fn buffer(g: &mut Graph, label: &str) -> BufferHandle {
    g.create_buffer(label, BufferDesc::new(1024))
}

#[test]
fn foreign_handle_is_reported_with_its_site() {
    let mut other: Graph = Graph::new(Extent::new(8, 8));
    let foreign = other.create_buffer("other.buf", BufferDesc::new(16));
    let mut g: Graph = Graph::new(Extent::new(8, 8));
    let mut p = g.add_pass("reader", QueueKind::Compute);
    let line = line!() + 1;
    let _ = p.write(foreign, Access::StorageWrite(C));
    p.finish();
    let errs = compile(&g);
    assert!(matches!(errs.0[0], CompileError::ForeignHandle { .. }), "{errs}");
    let msg = errs.0[0].to_string();
    assert!(
        msg.contains("`reader`") && msg.contains("another graph") && msg.contains(&here(line)),
        "{msg}"
    );
}

#[test]
fn read_before_write_names_reader_resource_and_both_sites() {
    let mut g: Graph = Graph::new(Extent::new(8, 8));
    let created = line!() + 1;
    let b = buffer(&mut g, "cull.draws");
    let mut p = g.add_pass("draw", QueueKind::Graphics);
    let line = line!() + 1;
    p.read(b, Access::IndirectArgs);
    p.side_effect();
    p.finish();
    let errs = compile(&g);
    assert!(matches!(errs.0[0], CompileError::ReadBeforeWrite { .. }), "{errs}");
    let msg = errs.0[0].to_string();
    assert!(msg.contains("pass `draw`") && msg.contains("`cull.draws`"), "{msg}");
    assert!(msg.contains(&here(line)) && msg.contains(&here(created)), "{msg}");
}

#[test]
fn stale_version_names_reader_and_writer() {
    let mut g: Graph = Graph::new(Extent::new(8, 8));
    let b0 = buffer(&mut g, "physics.keys");
    let b0 = g.add_pass("fill", QueueKind::Compute).write(b0, Access::StorageWrite(C));
    let wline = line!() + 1;
    let _b1 = g.add_pass("sort", QueueKind::Compute).write(b0, Access::StorageReadWrite(C));
    let mut p = g.add_pass("collide", QueueKind::Compute);
    let line = line!() + 1;
    p.read(b0, Access::StorageRead(C));
    p.side_effect();
    p.finish();
    let errs = compile(&g);
    assert!(matches!(errs.0[0], CompileError::StaleVersion { .. }), "{errs}");
    let msg = errs.0[0].to_string();
    assert!(
        msg.contains("`collide`") && msg.contains("`physics.keys` v1") && msg.contains("`sort`"),
        "{msg}"
    );
    assert!(msg.contains(&here(line)) && msg.contains(&here(wline)), "{msg}");
}

#[test]
fn two_writers_of_one_version_are_unordered() {
    let mut g: Graph = Graph::new(Extent::new(8, 8));
    let b = buffer(&mut g, "terrain.water");
    let b = g.add_pass("init", QueueKind::Compute).write(b, Access::StorageWrite(C));
    let l1 = line!() + 1;
    let x = g.add_pass("rain", QueueKind::Compute).write(b, Access::StorageReadWrite(C));
    let l2 = line!() + 1;
    let y = g.add_pass("evaporate", QueueKind::Compute).write(b, Access::StorageReadWrite(C));
    g.export(x);
    g.export(y);
    let errs = compile(&g);
    // One error: the second writer is not also reported as reading a stale version.
    assert_eq!(errs.len(), 1, "{errs}");
    assert!(matches!(errs.0[0], CompileError::UnorderedWriters { .. }), "{errs}");
    let msg = errs.0[0].to_string();
    assert!(
        msg.contains("`rain`") && msg.contains("`evaporate`") && msg.contains("`terrain.water`"),
        "{msg}"
    );
    assert!(msg.contains(&here(l1)) && msg.contains(&here(l2)), "{msg}");
}

#[test]
fn cycle_prints_its_path() {
    let mut g: Graph = Graph::new(Extent::new(8, 8));
    let a = buffer(&mut g, "a.buf");
    let mut p = g.add_pass("first", QueueKind::Compute);
    let first = p.id();
    let a = p.write(a, Access::StorageWrite(C));
    p.finish();
    let mut p = g.add_pass("second", QueueKind::Compute);
    let second = p.id();
    p.read(a, Access::StorageRead(C));
    p.side_effect();
    p.finish();
    let line = line!() + 1;
    g.order(second, first);
    let errs = compile(&g);
    assert!(matches!(errs.0[0], CompileError::Cycle { .. }), "{errs}");
    let msg = errs.0[0].to_string();
    assert!(
        msg.contains("`first`") && msg.contains("`second`") && msg.contains("`a.buf`"),
        "{msg}"
    );
    assert!(msg.contains("explicit order") && msg.contains("->"), "{msg}");
    // The path names where each pass was declared.
    assert!(msg.contains(file!()), "{msg}");
    let _ = line;
}

#[test]
fn access_that_does_not_fit_the_resource() {
    let mut g: Graph = Graph::new(Extent::new(8, 8));
    let color = g.create_image("scene.color", ImageDesc::new(Format::Rgba8Unorm, Size::FULL));
    let mut p = g.add_pass("draw", QueueKind::Graphics);
    let line = line!() + 1;
    let color = p.write(color, Access::DepthWrite);
    p.finish();
    g.export(color);
    let errs = compile(&g);
    assert!(matches!(errs.0[0], CompileError::AccessMismatch { .. }), "{errs}");
    let msg = errs.0[0].to_string();
    assert!(
        msg.contains("`draw`") && msg.contains("`scene.color`") && msg.contains("depth-w"),
        "{msg}"
    );
    assert!(
        msg.contains("colour image as a depth attachment") && msg.contains(&here(line)),
        "{msg}"
    );
}

#[test]
fn read_only_access_given_to_write() {
    let mut g: Graph = Graph::new(Extent::new(8, 8));
    let b = buffer(&mut g, "args");
    let mut p = g.add_pass("p", QueueKind::Graphics);
    let line = line!() + 1;
    let b = p.write(b, Access::IndirectArgs);
    p.finish();
    g.export(b);
    let errs = compile(&g);
    let msg = errs.to_string();
    assert!(matches!(errs.0[0], CompileError::AccessMismatch { .. }), "{msg}");
    assert!(
        msg.contains("use `read`") && msg.contains("`args`") && msg.contains(&here(line)),
        "{msg}"
    );
}

#[test]
fn access_the_queue_cannot_make() {
    let mut g: Graph = Graph::new(Extent::new(8, 8));
    let color = g.create_image("hud.color", ImageDesc::new(Format::Rgba8Unorm, Size::FULL));
    let mut p = g.add_pass("hud", QueueKind::Compute);
    let line = line!() + 1;
    let color = p.write(color, Access::ColorWrite);
    p.finish();
    g.export(color);
    let errs = compile(&g);
    assert!(matches!(errs.0[0], CompileError::AccessNotOnQueue { .. }), "{errs}");
    let msg = errs.0[0].to_string();
    assert!(
        msg.contains("`hud`") && msg.contains("compute queue") && msg.contains("`hud.color`"),
        "{msg}"
    );
    assert!(msg.contains(&here(line)), "{msg}");
}

#[test]
fn one_pass_touching_a_resource_two_incompatible_ways() {
    let mut g: Graph = Graph::new(Extent::new(8, 8));
    let img = g.create_image("blur.tmp", ImageDesc::new(Format::Rgba8Unorm, Size::FULL));
    let img = g.add_pass("fill", QueueKind::Graphics).write(img, Access::ColorWrite);
    let mut p = g.add_pass("blur", QueueKind::Graphics);
    p.read(img, Access::Sampled(ShaderStages::FRAGMENT));
    let line = line!() + 1;
    let img = p.write(img, Access::ColorReadWrite);
    p.finish();
    g.export(img);
    let errs = compile(&g);
    assert!(errs.iter().any(|e| matches!(e, CompileError::ConflictingAccess { .. })), "{errs}");
    let msg = errs.to_string();
    assert!(
        msg.contains("`blur`") && msg.contains("`blur.tmp`") && msg.contains(&here(line)),
        "{msg}"
    );
}

#[test]
fn pass_ordered_before_itself() {
    let mut g: Graph = Graph::new(Extent::new(8, 8));
    let b = buffer(&mut g, "b");
    let mut p = g.add_pass("selfish", QueueKind::Compute);
    let id = p.id();
    let b = p.write(b, Access::StorageWrite(C));
    p.finish();
    g.export(b);
    let line = line!() + 1;
    g.order(id, id);
    let errs = compile(&g);
    assert!(matches!(errs.0[0], CompileError::InvalidOrder { .. }), "{errs}");
    let msg = errs.0[0].to_string();
    assert!(msg.contains("`selfish` before itself") && msg.contains(&here(line)), "{msg}");
}

#[test]
fn every_mistake_is_reported_at_once() {
    let mut g: Graph = Graph::new(Extent::new(8, 8));
    let a = buffer(&mut g, "a");
    let b = buffer(&mut g, "b");
    let img = g.create_image("img", ImageDesc::new(Format::D32Float, Size::FULL));
    let mut p = g.add_pass("p", QueueKind::Compute);
    p.read(a, Access::StorageRead(C));
    p.read(b, Access::StorageRead(C));
    let img = p.write(img, Access::StorageWrite(C));
    p.finish();
    g.export(img);
    let errs = compile(&g);
    assert_eq!(errs.len(), 3, "{errs}");
}

#[test]
fn a_valid_graph_compiles_after_errors_are_fixed() {
    // The same shape as the read-before-write test, with the write in place.
    let mut g: Graph = Graph::new(Extent::new(8, 8));
    let b = buffer(&mut g, "cull.draws");
    let b = g.add_pass("cull", QueueKind::Compute).write(b, Access::StorageWrite(C));
    let mut p = g.add_pass("draw", QueueKind::Graphics);
    p.read(b, Access::IndirectArgs);
    p.side_effect();
    p.finish();
    let plan = Compiler::new().compile(&g, &FakeMemory::default()).expect("valid");
    assert_eq!(plan.passes.len(), 2);
}

#[test]
fn import_states_a_resource_of_its_kind_cannot_be_in() {
    let mut g: Graph = Graph::new(Extent::new(8, 8));
    let sampled = ResourceState::shader_read(QueueKind::Graphics, StageMask::FRAGMENT_SHADER);
    let no_layout = ResourceState { layout: None, ..sampled };
    let l1 = line!() + 1;
    let img = g.import_image(
        "env.map",
        ImageDesc::new(Format::Rgba8Unorm, Size::FULL),
        no_layout,
        sampled,
    );
    let host = ResourceState::host_written(QueueKind::Graphics);
    let with_layout = ResourceState { layout: Some(Layout::General), ..host };
    let l2 = line!() + 1;
    let buf = g.import_buffer("scene.data", BufferDesc::new(64), host, with_layout);
    let undefined = ResourceState { layout: Some(Layout::Undefined), ..sampled };
    let rgba = ImageDesc::new(Format::Rgba8Unorm, Size::FULL);
    let l3 = line!() + 1;
    let out = g.import_image("out", rgba, sampled, undefined);
    let stageless = ResourceState { stages: StageMask::NONE, ..host };
    let l4 = line!() + 1;
    let raw = g.import_buffer("raw", BufferDesc::new(64), stageless, host);
    let mut p = g.add_pass("shade", QueueKind::Graphics);
    p.read(img, Access::Sampled(ShaderStages::FRAGMENT));
    p.read(buf, Access::Uniform(ShaderStages::FRAGMENT));
    p.read(out, Access::Sampled(ShaderStages::FRAGMENT));
    p.read(raw, Access::Uniform(ShaderStages::FRAGMENT));
    p.side_effect();
    p.finish();
    let errs = compile(&g);
    assert_eq!(errs.len(), 4, "{errs}");
    assert!(errs.iter().all(|e| matches!(e, CompileError::InvalidState { .. })), "{errs}");
    let expect = [
        ("`env.map`", "entry", "names a layout", l1),
        ("`scene.data`", "exit", "a buffer has no layout", l2),
        ("`out`", "exit", "`Undefined`", l3),
        ("`raw`", "entry", "no pipeline stage", l4),
    ];
    for (e, (label, which, why, line)) in errs.iter().zip(expect) {
        let msg = e.to_string();
        assert!(msg.contains(label) && msg.contains(&format!("invalid {which} state")), "{msg}");
        assert!(msg.contains(why) && msg.contains(&here(line)), "{msg}");
    }
}

/// States whose stages its queue lacks, or whose accesses none of its stages makes: the
/// prologue or epilogue barrier would name them on that queue, which Vulkan forbids.
#[test]
fn import_states_whose_stages_and_accesses_do_not_go_together() {
    let mut g: Graph = Graph::new(Extent::new(8, 8));
    let rgba = ImageDesc::new(Format::Rgba8Unorm, Size::FULL);
    let sampled = ResourceState::shader_read(QueueKind::Compute, StageMask::COMPUTE_SHADER);
    let drawn = ResourceState {
        layout: Some(Layout::ColorAttachment),
        queue: QueueKind::Compute,
        stages: StageMask::COLOR_ATTACHMENT_OUTPUT,
        access: AccessMask::COLOR_WRITE,
    };
    let l1 = line!() + 1;
    let a = g.import_image("lut", rgba, drawn, sampled);
    let copied = ResourceState {
        layout: None,
        queue: QueueKind::Transfer,
        stages: StageMask::COMPUTE_SHADER | StageMask::TRANSFER,
        access: AccessMask::TRANSFER_WRITE,
    };
    let host = ResourceState::host_written(QueueKind::Compute);
    let l2 = line!() + 1;
    let b = g.import_buffer("upload", BufferDesc::new(64), host, copied);
    let written_by_copy = ResourceState {
        layout: Some(Layout::ShaderReadOnly),
        queue: QueueKind::Compute,
        stages: StageMask::TRANSFER,
        access: AccessMask::SAMPLED_READ,
    };
    let l3 = line!() + 1;
    let c = g.import_image("noise", rgba, written_by_copy, sampled);
    // Every stage and access of these is one its queue has and its stages make.
    let fine = ResourceState {
        stages: StageMask::COMPUTE_SHADER | StageMask::HOST,
        access: AccessMask::STORAGE_READ | AccessMask::HOST_WRITE,
        ..host
    };
    let d = g.import_buffer("params", BufferDesc::new(64), fine, host);
    let mut p = g.add_pass("shade", QueueKind::Graphics);
    p.read(a, Access::Sampled(C));
    p.read(b, Access::Uniform(C));
    p.read(c, Access::Sampled(C));
    p.read(d, Access::Uniform(C));
    p.side_effect();
    p.finish();
    let errs = compile(&g);
    assert_eq!(errs.len(), 3, "{errs}");
    assert!(errs.iter().all(|e| matches!(e, CompileError::InvalidState { .. })), "{errs}");
    let expect = [
        ("`lut`", "entry", "stages `color_attachment_output` do not run on a compute queue", l1),
        ("`upload`", "exit", "stages `compute_shader` do not run on a transfer queue", l2),
        ("`noise`", "entry", "none of its stages (`transfer`) makes the access `sampled_read`", l3),
    ];
    for (e, (label, which, why, line)) in errs.iter().zip(expect) {
        let msg = e.to_string();
        assert!(msg.contains(label) && msg.contains(&format!("invalid {which} state")), "{msg}");
        assert!(msg.contains(why) && msg.contains(&here(line)), "{msg}");
    }
}

#[test]
fn an_export_that_a_running_pass_writes_over() {
    let build = |keep_overwrite: bool| {
        let mut g: Graph = Graph::new(Extent::new(8, 8));
        let b = buffer(&mut g, "stats");
        let b1 = g.add_pass("count", QueueKind::Compute).write(b, Access::StorageWrite(C));
        let export = line!() + 1;
        g.export(b1);
        let mut p = g.add_pass("reset", QueueKind::Compute);
        let overwrite = line!() + 1;
        let _ = p.write(b1, Access::StorageWrite(C));
        if keep_overwrite {
            p.side_effect();
        }
        p.finish();
        (g, export, overwrite)
    };
    let (g, export, overwrite) = build(true);
    let errs = compile(&g);
    assert!(matches!(errs.0[..], [CompileError::StaleExport { .. }]), "{errs}");
    let msg = errs.0[0].to_string();
    assert!(msg.contains("`stats` v1") && msg.contains("`reset`"), "{msg}");
    assert!(msg.contains(&here(export)) && msg.contains(&here(overwrite)), "{msg}");
    // Nothing needs the overwrite when it has no effect: it is culled, and the export stands.
    let (g, ..) = build(false);
    let plan = Compiler::new().compile(&g, &FakeMemory::default()).expect("valid");
    assert_eq!(plan.passes.len(), 1);
    assert_eq!(plan.culled.len(), 1);
}

#[test]
fn shader_stage_bits_that_stand_for_no_stage() {
    let mut g: Graph = Graph::new(Extent::new(8, 8));
    let b = buffer(&mut g, "b");
    let mut p = g.add_pass("p", QueueKind::Compute);
    let line = line!() + 1;
    let b = p.write(b, Access::StorageWrite(ShaderStages(8)));
    p.finish();
    g.export(b);
    let errs = compile(&g);
    assert!(matches!(errs.0[..], [CompileError::AccessMismatch { .. }]), "{errs}");
    let msg = errs.0[0].to_string();
    assert!(msg.contains("stand for no stage") && msg.contains(&here(line)), "{msg}");
}

#[test]
fn a_selection_past_the_image_names_pass_resource_range_and_what_it_has() {
    let mut g: Graph = Graph::new(Extent::new(64, 64));
    let desc = ImageDesc::new(Format::R32Float, Size::FULL).mips(4).layers(2);
    let img = g.create_image("hiz.pyramid", desc);
    let img = g.add_pass("hiz.mip0", QueueKind::Compute).write(img, Access::StorageWrite(C));
    let mut p = g.add_pass("hiz.mip4", QueueKind::Compute);
    let line = line!() + 1;
    p.read(img.mip(3), Access::Sampled(C));
    let l2 = line!() + 1;
    let img = p.write(img.mip(4), Access::StorageWrite(C));
    p.finish();
    let mut p = g.add_pass("layers", QueueKind::Compute);
    let l3 = line!() + 1;
    let img = p.write(img.layers(1, 2), Access::StorageWrite(C));
    p.finish();
    g.export(img);
    let errs = compile(&g);
    assert_eq!(errs.len(), 2, "{errs}");
    assert!(errs.iter().all(|e| matches!(e, CompileError::SubresourceOutOfRange { .. })), "{errs}");
    let msg = errs.0[0].to_string();
    assert!(
        msg.contains("`hiz.mip4`")
            && msg.contains("`hiz.pyramid`")
            && msg.contains("mip 4")
            && msg.contains("4 mip levels and 2 layers")
            && msg.contains(&here(l2)),
        "{msg}"
    );
    assert!(!msg.contains(&here(line)), "the read of mip 3 fits: {msg}");
    let msg = errs.0[1].to_string();
    assert!(
        msg.contains("`layers`") && msg.contains("layers 1..3") && msg.contains(&here(l3)),
        "{msg}"
    );
}

#[test]
fn a_read_of_mips_nothing_wrote_names_pass_resource_range_and_sites() {
    let mut g: Graph = Graph::new(Extent::new(64, 64));
    let desc = ImageDesc::new(Format::Rgba16Float, Size::FULL).mips(3);
    let l1 = line!() + 1;
    let img = g.create_image("bloom.chain", desc);
    let mut p = g.add_pass("bloom.down0", QueueKind::Compute);
    let img = p.write(img.mip(0), Access::StorageWrite(C));
    p.finish();
    let mut p = g.add_pass("bloom.down2", QueueKind::Compute);
    let line = line!() + 1;
    p.read(img.mip(1), Access::Sampled(C));
    let img = p.write(img.mip(2), Access::StorageWrite(C));
    p.finish();
    g.export(img);
    let errs = compile(&g);
    assert!(matches!(errs.0[..], [CompileError::UnwrittenSubresource { .. }]), "{errs}");
    let msg = errs.to_string();
    assert!(
        msg.contains("`bloom.down2`")
            && msg.contains("`bloom.chain`")
            && msg.contains("mip 1")
            && msg.contains(&here(line))
            && msg.contains(&here(l1)),
        "{msg}"
    );
}

/// A write and a read of one resource by one pass conflict, whichever is declared first and
/// even in one layout: a buffer written then read as storage, an image written then read as
/// storage (both `General`), and a buffer read as storage then written.
#[test]
fn one_pass_writing_and_reading_a_resource() {
    let mut g: Graph = Graph::new(Extent::new(8, 8));
    let buf = buffer(&mut g, "accum.buf");
    let img = g.create_image("accum.img", ImageDesc::new(Format::Rgba8Unorm, Size::FULL));
    let prev = buffer(&mut g, "accum.prev");
    let prev = g.add_pass("fill", QueueKind::Compute).write(prev, Access::StorageWrite(C));
    let mut p = g.add_pass("accumulate", QueueKind::Compute);
    let (buf, img) = (p.write(buf, Access::StorageWrite(C)), p.write(img, Access::StorageWrite(C)));
    p.read(prev, Access::StorageRead(C));
    let l1 = line!() + 1;
    p.read(buf, Access::StorageRead(C)).read(img, Access::StorageRead(C));
    let l2 = line!() + 1;
    let prev = p.write(prev, Access::StorageWrite(C));
    p.finish();
    for b in [buf, prev] {
        g.export(b);
    }
    g.export(img);
    let errs = compile(&g);
    assert_eq!(errs.len(), 3, "{errs}");
    let expect = [("`accum.buf`", l1), ("`accum.img`", l1), ("`accum.prev`", l2)];
    for (e, (label, line)) in errs.iter().zip(expect) {
        let msg = e.to_string();
        assert!(matches!(e, CompileError::ConflictingAccess { .. }), "{msg}");
        assert!(
            msg.contains("`accumulate`") && msg.contains(label) && msg.contains(&here(line)),
            "{msg}"
        );
    }
}

/// Two reads of one image by one pass conflict when they need different layouts (sampling in
/// `ShaderReadOnly`, a storage read in `General`), and not when they share one; two reads of a
/// buffer, which has no layout, never do.
#[test]
fn one_pass_reading_an_image_in_two_layouts() {
    let build = |second: Access| {
        let mut g: Graph = Graph::new(Extent::new(8, 8));
        let img = g.create_image("lut", ImageDesc::new(Format::Rgba8Unorm, Size::FULL));
        let buf = buffer(&mut g, "params");
        let mut p = g.add_pass("fill", QueueKind::Compute);
        let (img, buf) = (p.write(img, Access::StorageWrite(C)), p.write(buf, Access::CopyDst));
        p.finish();
        let mut p = g.add_pass("shade", QueueKind::Graphics);
        p.read(img, Access::Sampled(C)).read(buf, Access::Uniform(C));
        let line = line!() + 1;
        p.read(img, second).read(buf, Access::StorageRead(C));
        p.side_effect();
        p.finish();
        (g, line)
    };
    let (g, _) = build(Access::Sampled(ShaderStages::FRAGMENT));
    Compiler::new().compile(&g, &FakeMemory::default()).expect("both sample in one layout");
    let (g, line) = build(Access::StorageRead(C));
    let errs = compile(&g);
    assert!(matches!(errs.0[..], [CompileError::ConflictingAccess { .. }]), "{errs}");
    let msg = errs.to_string();
    assert!(msg.contains("`shade`") && msg.contains("`lut`") && msg.contains(&here(line)), "{msg}");
}

#[test]
fn one_pass_may_read_one_mip_and_write_another_but_not_the_same() {
    let build = |write_mip: u32| {
        let mut g: Graph = Graph::new(Extent::new(64, 64));
        let img =
            g.create_image("hiz.pyramid", ImageDesc::new(Format::R32Float, Size::FULL).mips(3));
        let img =
            g.add_pass("hiz.mip0", QueueKind::Compute).write(img.mip(0), Access::StorageWrite(C));
        let mut p = g.add_pass("hiz.mip1", QueueKind::Compute);
        p.read(img.mips(0, 1), Access::Sampled(C));
        let line = line!() + 1;
        let img = p.write(img.mip(write_mip), Access::StorageWrite(C));
        p.finish();
        g.export(img);
        (g, line)
    };
    let (g, _) = build(1);
    Compiler::new().compile(&g, &FakeMemory::default()).expect("mips 0 and 1 do not overlap");
    let (g, line) = build(0);
    let errs = compile(&g);
    assert!(errs.iter().any(|e| matches!(e, CompileError::ConflictingAccess { .. })), "{errs}");
    let msg = errs.to_string();
    assert!(
        msg.contains("`hiz.mip1`")
            && msg.contains("`hiz.pyramid`")
            && msg.contains("(mip 0)")
            && msg.contains(&here(line)),
        "{msg}"
    );
}

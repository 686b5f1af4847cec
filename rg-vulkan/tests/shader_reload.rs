//! GPU tests of shader hot reload (`Executor::reload_shaders`): small shaders written into a
//! folder of each test's own, edited on disk between frames, with the results read back.
//! Validation and synchronization validation are on; any message fails the test (so an old
//! pipeline destroyed while a frame in flight still uses it would fail too). One test needs no
//! device: the files a compiled shader lists as its sources.

mod common;

use common::pass;
use rg_core::*;
use rg_vulkan::{
    Bindings, Buffer, Error, Executor, ExecutorConfig, GraphicsDesc, MemoryUse, Pass, ProfileEvent,
    Rendering,
};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

const C: ShaderStages = ShaderStages::COMPUTE;

/// A fresh, empty folder for one test's shaders.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rg-shader-reload-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Saves a file the way many editors do: a new file written beside it, renamed over it.
fn save(path: &Path, text: &str) {
    let tmp = path.with_extension("saving~");
    std::fs::write(&tmp, text).expect("file written");
    std::fs::rename(&tmp, path).expect("file renamed");
}

/// Gives a file a new modification time, keeping its contents.
fn touch(path: &Path) {
    let later = SystemTime::now() + Duration::from_secs(60);
    let f = std::fs::File::options().write(true).open(path).expect("file opened");
    f.set_modified(later).expect("modification time set");
}

fn executor(ctx: &rg_vulkan::Context, root: &Path) -> Executor {
    let config = ExecutorConfig { shader_root: root.to_owned(), ..ExecutorConfig::default() };
    let mut ex = Executor::with_config(ctx, config).expect("executor");
    ex.profiler().keep_events(true);
    ex
}

/// The messages the executor's profiler was sent since the last call.
fn messages(ex: &mut Executor) -> Vec<String> {
    let events = ex.profiler().take_events();
    events
        .into_iter()
        .filter_map(|e| match e {
            ProfileEvent::Message(m) => Some(m),
            _ => None,
        })
        .collect()
}

const WRITE_COMP: &str = "#version 450\n\
    #extension GL_GOOGLE_include_directive : require\n\
    #include \"value.glsl\"\n\
    layout(local_size_x = 1) in;\n\
    layout(set = 0, binding = 0) writeonly buffer Out { uint o[]; };\n\
    void main() { o[0] = VALUE; }\n";

/// One frame: a compute pass runs `shader` once with its output buffer at `binding` (and
/// `push` as push constants, when not empty), a copy takes the first word to `out`; returns it.
fn run_compute(
    ex: &mut Executor,
    out: Buffer,
    shader: &'static str,
    binding: u32,
    push: &[u32],
) -> Result<u32, Error> {
    submit_compute(ex, out, shader, binding, push)?;
    let bytes = ex.read_buffer(out)?;
    Ok(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
}

/// [`run_compute`]'s frame, submitted and not waited for.
fn submit_compute(
    ex: &mut Executor,
    out: Buffer,
    shader: &'static str,
    binding: u32,
    push: &[u32],
) -> Result<(), Error> {
    let mut g: Graph<Pass> = Graph::new(Extent::new(1, 1));
    let host = ResourceState::host_read(QueueKind::Graphics);
    let rb = g.import_buffer("reload.readback", BufferDesc::new(16), host, host);
    let value = g.create_buffer("reload.value", BufferDesc::new(16));
    let mut p = g.add_pass("reload.write", QueueKind::Compute);
    let value = p.write(value, Access::StorageWrite(C));
    let push = push.to_vec();
    p.record(pass(move |r| {
        r.compute(shader, &[])?;
        r.bind_buffer(binding, value)?;
        if !push.is_empty() {
            r.push_u32(&push)?;
        }
        r.dispatch(1, 1, 1)
    }));
    let mut p = g.add_pass("reload.copy", QueueKind::Graphics);
    p.read(value, Access::CopySrc);
    let rb_w = p.write(rb, Access::CopyDst);
    p.record(pass(move |r| r.copy_buffer(value, rb_w, None)));
    let frame = Compiler::new().compile_frame(g, ex.memory()).expect("the graph compiles");
    ex.run(frame, &Bindings::new().buffer(rb, out))?;
    Ok(())
}

/// Checks: `write.comp` includes `value.glsl`, which defines the constant it stores. A frame
/// reads 7 back; `value.glsl` saved by rename with 9 while that frame may still be in flight
/// (so the old pipeline is retired, not destroyed at once); the reload names `write.comp` and
/// tells the profiler; the next frame reads 9. A second reload with nothing changed does nothing.
#[test]
fn an_edited_include_reloads_the_shader_that_includes_it() {
    let test = "shader_reload.edited_include";
    let Some(ctx) = common::context(test) else { return };
    let root = scratch("edited");
    std::fs::write(root.join("value.glsl"), "#define VALUE 7u\n").unwrap();
    std::fs::write(root.join("write.comp"), WRITE_COMP).unwrap();
    let mut ex = executor(&ctx, &root);
    let out = ex.create_buffer("reload.readback", 16, MemoryUse::Readback).unwrap();
    assert_eq!(run_compute(&mut ex, out, "write.comp", 0, &[]).unwrap(), 7);
    let nothing = ex.reload_shaders().unwrap();
    assert!(nothing.is_empty(), "{nothing:?}");

    submit_compute(&mut ex, out, "write.comp", 0, &[]).unwrap();
    save(&root.join("value.glsl"), "#define VALUE 9u\n");
    let _ = messages(&mut ex);
    let reload = ex.reload_shaders().unwrap();
    assert_eq!(reload.reloaded, ["write.comp"], "{reload:?}");
    assert!(reload.failed.is_empty(), "{reload:?}");
    let sent = messages(&mut ex);
    assert!(sent.iter().any(|m| m == "shader reloaded: write.comp"), "{sent:?}");
    assert_eq!(run_compute(&mut ex, out, "write.comp", 0, &[]).unwrap(), 9);
    let again = ex.reload_shaders().unwrap();
    assert!(again.is_empty(), "{again:?}");
    drop(ex);
    common::assert_clean(&ctx, test);
}

/// Checks: a `value.glsl` that does not compile is reported against `write.comp` with an error
/// naming `value.glsl` and the line of the mistake (and sent to the profiler); frames keep
/// running the last good pipeline (7 read back); the broken file is not compiled again until it
/// changes; once fixed (with 11), the next reload swaps and 11 is read back.
#[test]
fn a_broken_include_keeps_the_last_good_pipeline_until_fixed() {
    let test = "shader_reload.broken_include";
    let Some(ctx) = common::context(test) else { return };
    let root = scratch("broken");
    let header = root.join("value.glsl");
    std::fs::write(&header, "#define VALUE 7u\n").unwrap();
    std::fs::write(root.join("write.comp"), WRITE_COMP).unwrap();
    let mut ex = executor(&ctx, &root);
    let out = ex.create_buffer("reload.readback", 16, MemoryUse::Readback).unwrap();
    assert_eq!(run_compute(&mut ex, out, "write.comp", 0, &[]).unwrap(), 7);

    save(&header, "#define VALUE 8u\nuint broken() { return nope; }\n");
    let _ = messages(&mut ex);
    let reload = ex.reload_shaders().unwrap();
    assert!(reload.reloaded.is_empty(), "{reload:?}");
    assert_eq!(reload.failed.len(), 1, "{reload:?}");
    let (name, e) = &reload.failed[0];
    assert_eq!(name, "write.comp");
    let Error::Shader { file, line, message } = e else { panic!("not a shader error: {e}") };
    assert!(file.ends_with("value.glsl"), "the error names {file}: {e}");
    assert_eq!(*line, 2, "{e}");
    assert!(message.contains("nope"), "{message}");
    let sent = messages(&mut ex);
    assert!(
        sent.iter()
            .any(|m| m.starts_with("shader reload failed: write.comp: ")
                && m.contains("value.glsl:2")),
        "{sent:?}"
    );
    assert_eq!(run_compute(&mut ex, out, "write.comp", 0, &[]).unwrap(), 7, "last good pipeline");
    let unchanged = ex.reload_shaders().unwrap();
    assert!(
        unchanged.is_empty(),
        "a failed shader is tried again only once it changes: {unchanged:?}"
    );
    assert_eq!(run_compute(&mut ex, out, "write.comp", 0, &[]).unwrap(), 7);

    save(&header, "#define VALUE 11u\n");
    let fixed = ex.reload_shaders().unwrap();
    assert_eq!(fixed.reloaded, ["write.comp"], "{fixed:?}");
    assert!(fixed.failed.is_empty(), "{fixed:?}");
    assert_eq!(run_compute(&mut ex, out, "write.comp", 0, &[]).unwrap(), 11);
    drop(ex);
    common::assert_clean(&ctx, test);
}

/// Checks: a new modification time with the same contents (on the shader and its include),
/// and the same contents saved by rename (a new inode), reload nothing; frames still read 7.
#[test]
fn touching_a_file_reloads_nothing() {
    let test = "shader_reload.touch";
    let Some(ctx) = common::context(test) else { return };
    let root = scratch("touch");
    std::fs::write(root.join("value.glsl"), "#define VALUE 7u\n").unwrap();
    std::fs::write(root.join("write.comp"), WRITE_COMP).unwrap();
    let mut ex = executor(&ctx, &root);
    let out = ex.create_buffer("reload.readback", 16, MemoryUse::Readback).unwrap();
    assert_eq!(run_compute(&mut ex, out, "write.comp", 0, &[]).unwrap(), 7);
    touch(&root.join("value.glsl"));
    touch(&root.join("write.comp"));
    let reload = ex.reload_shaders().unwrap();
    assert!(reload.is_empty(), "{reload:?}");
    save(&root.join("value.glsl"), "#define VALUE 7u\n");
    let reload = ex.reload_shaders().unwrap();
    assert!(reload.is_empty(), "{reload:?}");
    assert!(messages(&mut ex).is_empty());
    assert_eq!(run_compute(&mut ex, out, "write.comp", 0, &[]).unwrap(), 7);
    drop(ex);
    common::assert_clean(&ctx, test);
}

/// Checks: `layout.comp` first writes through binding 0 with no push constants; edited to write
/// through binding 1 and add a pushed word, its reload rebuilds the pipeline layout, and a
/// frame that binds 1 and pushes 5 reads 7 + 5. Then a push-constant block over the device's
/// limit compiles but no pipeline can take it: the failure names it, and the last good pipeline
/// keeps running (12 again).
#[test]
fn new_bindings_and_push_constants_rebuild_the_layout() {
    let test = "shader_reload.layout";
    let Some(ctx) = common::context(test) else { return };
    let root = scratch("layout");
    let shader = root.join("layout.comp");
    let head = "#version 450\nlayout(local_size_x = 1) in;\n";
    std::fs::write(
        &shader,
        format!("{head}layout(binding = 0) writeonly buffer Out {{ uint o[]; }};\nvoid main() {{ o[0] = 7u; }}\n"),
    )
    .unwrap();
    let mut ex = executor(&ctx, &root);
    let out = ex.create_buffer("reload.readback", 16, MemoryUse::Readback).unwrap();
    assert_eq!(run_compute(&mut ex, out, "layout.comp", 0, &[]).unwrap(), 7);

    save(
        &shader,
        &format!(
            "{head}layout(binding = 1) writeonly buffer Out {{ uint o[]; }};\n\
             layout(push_constant) uniform P {{ uint add; }} p;\nvoid main() {{ o[0] = 7u + p.add; }}\n"
        ),
    );
    let reload = ex.reload_shaders().unwrap();
    assert_eq!(reload.reloaded, ["layout.comp"], "{reload:?}");
    assert_eq!(run_compute(&mut ex, out, "layout.comp", 1, &[5]).unwrap(), 12);

    let limit = ctx.capabilities.max_push_constants_size;
    let words = limit / 4 + 1;
    save(
        &shader,
        &format!(
            "{head}layout(binding = 1) writeonly buffer Out {{ uint o[]; }};\n\
             layout(push_constant) uniform P {{ uint add[{words}]; }} p;\n\
             void main() {{ o[0] = 7u + p.add[{}]; }}\n",
            words - 1
        ),
    );
    let reload = ex.reload_shaders().unwrap();
    assert!(reload.reloaded.is_empty(), "{reload:?}");
    assert_eq!(reload.failed.len(), 1, "{reload:?}");
    let (name, e) = &reload.failed[0];
    assert_eq!(name, "layout.comp");
    assert!(e.to_string().contains("push-constant block"), "{e}");
    assert_eq!(run_compute(&mut ex, out, "layout.comp", 1, &[5]).unwrap(), 12);
    drop(ex);
    common::assert_clean(&ctx, test);
}

/// Checks: an edit that includes a file not there yet fails naming it; creating that file
/// (nothing else changes) makes the next reload compile the shader again, and it reads 21.
#[test]
fn a_missing_include_is_watched_until_it_appears() {
    let test = "shader_reload.missing_include";
    let Some(ctx) = common::context(test) else { return };
    let root = scratch("missing");
    std::fs::write(root.join("value.glsl"), "#define VALUE 7u\n").unwrap();
    std::fs::write(root.join("write.comp"), WRITE_COMP).unwrap();
    let mut ex = executor(&ctx, &root);
    let out = ex.create_buffer("reload.readback", 16, MemoryUse::Readback).unwrap();
    assert_eq!(run_compute(&mut ex, out, "write.comp", 0, &[]).unwrap(), 7);
    save(&root.join("value.glsl"), "#include \"extra.glsl\"\n#define VALUE (EXTRA + 1u)\n");
    let reload = ex.reload_shaders().unwrap();
    assert_eq!(reload.failed.len(), 1, "{reload:?}");
    assert!(reload.failed[0].1.to_string().contains("extra.glsl"), "{reload:?}");
    assert_eq!(run_compute(&mut ex, out, "write.comp", 0, &[]).unwrap(), 7);
    std::fs::write(root.join("extra.glsl"), "#define EXTRA 20u\n").unwrap();
    let reload = ex.reload_shaders().unwrap();
    assert_eq!(reload.reloaded, ["write.comp"], "{reload:?}");
    assert_eq!(run_compute(&mut ex, out, "write.comp", 0, &[]).unwrap(), 21);
    drop(ex);
    common::assert_clean(&ctx, test);
}

/// One frame: a graphics pass clears a 4x4 Rgba8Unorm image to black and draws `cover.vert` +
/// `colour.frag` over it, a copy takes it to `out`; returns the first pixel.
fn draw(ex: &mut Executor, out: Buffer) -> Result<[u8; 4], Error> {
    let mut g: Graph<Pass> = Graph::new(Extent::new(4, 4));
    let host = ResourceState::host_read(QueueKind::Graphics);
    let rb = g.import_buffer("reload.pixels", BufferDesc::new(64), host, host);
    let image = g.create_image("reload.colour", ImageDesc::new(Format::Rgba8Unorm, Size::FULL));
    let mut p = g.add_pass("reload.draw", QueueKind::Graphics);
    let image = p.write(image, Access::ColorWrite);
    p.record(pass(move |r| {
        r.begin_rendering(Rendering::clear([0.0, 0.0, 0.0, 0.0]))?;
        r.graphics(&GraphicsDesc::new("cover.vert", "colour.frag"))?;
        r.draw(3, 1)
    }));
    let mut p = g.add_pass("reload.copy", QueueKind::Graphics);
    p.read(image, Access::CopySrc);
    let rb_w = p.write(rb, Access::CopyDst);
    p.record(pass(move |r| r.copy_image_to_buffer(image, rb_w)));
    let frame = Compiler::new().compile_frame(g, ex.memory()).expect("the graph compiles");
    ex.run(frame, &Bindings::new().buffer(rb, out))?;
    let bytes = ex.read_buffer(out)?;
    Ok([bytes[0], bytes[1], bytes[2], bytes[3]])
}

/// Checks: a graphics pipeline whose vertex and fragment shaders both include `shared.glsl`
/// (the depth and the colour) draws red; `shared.glsl` saved with green reloads both shaders
/// (the header polled once for the two) and the next frame's pixel is green; a fragment shader
/// that does not compile keeps green; fixed to blue, the pixel is blue.
#[test]
fn a_graphics_pipeline_reloads() {
    let test = "shader_reload.graphics";
    let Some(ctx) = common::context(test) else { return };
    let root = scratch("graphics");
    let ext = "#version 450\n#extension GL_GOOGLE_include_directive : require\n#include \"shared.glsl\"\n";
    let shared = |colour: &str| format!("#define DEPTH 0.5\n#define COLOUR vec4({colour}, 1.0)\n");
    std::fs::write(root.join("shared.glsl"), shared("1.0, 0.0, 0.0")).unwrap();
    std::fs::write(
        root.join("cover.vert"),
        format!(
            "{ext}void main() {{\n\
             vec2 uv = vec2((gl_VertexIndex << 1) & 2, gl_VertexIndex & 2);\n\
             gl_Position = vec4(uv * 2.0 - 1.0, DEPTH, 1.0); }}\n"
        ),
    )
    .unwrap();
    let frag =
        |body: &str| format!("{ext}layout(location = 0) out vec4 o;\nvoid main() {{ {body} }}\n");
    std::fs::write(root.join("colour.frag"), frag("o = COLOUR;")).unwrap();
    let mut ex = executor(&ctx, &root);
    let out = ex.create_buffer("reload.pixels", 64, MemoryUse::Readback).unwrap();
    assert_eq!(draw(&mut ex, out).unwrap(), [255, 0, 0, 255]);

    save(&root.join("shared.glsl"), &shared("0.0, 1.0, 0.0"));
    let reload = ex.reload_shaders().unwrap();
    assert_eq!(reload.reloaded, ["cover.vert", "colour.frag"], "{reload:?}");
    assert!(reload.failed.is_empty(), "{reload:?}");
    assert_eq!(draw(&mut ex, out).unwrap(), [0, 255, 0, 255]);

    save(&root.join("colour.frag"), &frag("o = COLOUR * missing_thing;"));
    let reload = ex.reload_shaders().unwrap();
    assert!(reload.reloaded.is_empty(), "{reload:?}");
    assert_eq!(reload.failed.len(), 1, "{reload:?}");
    assert_eq!(reload.failed[0].0, "colour.frag");
    assert_eq!(draw(&mut ex, out).unwrap(), [0, 255, 0, 255], "last good pipeline");

    save(&root.join("colour.frag"), &frag("o = vec4(0.0, 0.0, 1.0, 1.0);"));
    let reload = ex.reload_shaders().unwrap();
    assert_eq!(reload.reloaded, ["colour.frag"], "{reload:?}");
    assert_eq!(draw(&mut ex, out).unwrap(), [0, 0, 255, 255]);
    drop(ex);
    common::assert_clean(&ctx, test);
}

/// Checks (no device): a compiled shader lists the files it was built from, the shader file
/// first and then each include once (`value.glsl` is included twice behind a guard), each with
/// the hash of its contents and the fingerprint of the file as it is.
#[test]
fn a_shader_lists_its_source_files() {
    let root = scratch("sources");
    let value = "#ifndef VALUE_GLSL\n#define VALUE_GLSL\n#define VALUE 7u\n#endif\n";
    std::fs::write(root.join("value.glsl"), value).unwrap();
    std::fs::write(root.join("twice.glsl"), "#include \"value.glsl\"\n").unwrap();
    let main = WRITE_COMP
        .replace("#include \"value.glsl\"\n", "#include \"value.glsl\"\n#include \"twice.glsl\"\n");
    std::fs::write(root.join("write.comp"), &main).unwrap();
    let c = rg_vulkan::ShaderCompiler::new(&root).unwrap();
    let s = c.compile_file("write.comp", &[]).unwrap();
    let files: Vec<&str> =
        s.sources.iter().map(|f| f.path.file_name().unwrap().to_str().unwrap()).collect();
    assert_eq!(files, ["write.comp", "value.glsl", "twice.glsl"]);
    for f in &s.sources {
        let text = std::fs::read(&f.path).unwrap();
        assert_eq!(f.hash, rg_vulkan::shader::content_hash(&text), "{}", f.path.display());
        assert_eq!(f.fingerprint, rg_vulkan::Fingerprint::of(&f.path).unwrap());
    }
    assert_eq!(s.sources[0].hash, rg_vulkan::shader::content_hash(main.as_bytes()));
}

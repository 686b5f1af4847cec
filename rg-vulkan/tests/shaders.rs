//! Shader compilation and reflection (no device needed).

use rg_vulkan::{BindingKind, Error, ShaderCompiler, Stage};
use std::path::PathBuf;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rg-shader-test-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn compiles_the_triangle_and_reflects_its_push_constants() {
    let c = ShaderCompiler::new(ShaderCompiler::workspace_root()).unwrap();
    let v = c.compile_file("triangle.vert", &[]).unwrap();
    assert_eq!(v.reflection.stage, Stage::Vertex);
    assert_eq!(v.reflection.push_constant_bytes, 4);
    assert!(v.reflection.bindings.is_empty());
    assert_eq!(v.spirv[0], 0x0723_0203, "SPIR-V magic number");
}

#[test]
fn reflects_every_binding_kind_and_the_workgroup_size() {
    let c = ShaderCompiler::new(scratch("kinds")).unwrap();
    let src = r#"#version 450
        layout(local_size_x = 8, local_size_y = 4) in;
        layout(set = 0, binding = 0) readonly buffer A { uint a[]; };
        layout(set = 0, binding = 1) buffer B { uint b[]; };
        layout(set = 0, binding = 2) uniform U { vec4 u; };
        layout(set = 0, binding = 3, rgba8) uniform writeonly image2D img;
        layout(set = 0, binding = 4) uniform texture2D tex;
        layout(set = 0, binding = 5) uniform sampler smp;
        layout(set = 0, binding = 6, r32ui) uniform uimage2D rw;
        layout(push_constant) uniform P { uvec4 x; float y; } p;
        void main() {
            uint i = gl_GlobalInvocationID.x;
            b[i] = a[i] + uint(u.x) + p.x.y + imageLoad(rw, ivec2(0)).x;
            imageStore(img, ivec2(i, 0), textureLod(sampler2D(tex, smp), vec2(0.5), 0.0));
            imageStore(rw, ivec2(1), uvec4(p.y));
        }"#;
    let s = c.compile_source("kinds.comp", src, Stage::Compute, &[]).unwrap();
    let r = &s.reflection;
    assert_eq!(r.workgroup_size, [8, 4, 1]);
    assert_eq!(r.push_constant_bytes, 20);
    let kinds: Vec<(u32, BindingKind)> = r.bindings.iter().map(|b| (b.binding, b.kind)).collect();
    assert_eq!(
        kinds,
        vec![
            (0, BindingKind::StorageBuffer { writes: false }),
            (1, BindingKind::StorageBuffer { writes: true }),
            (2, BindingKind::UniformBuffer),
            (3, BindingKind::StorageImage { reads: false, writes: true }),
            (4, BindingKind::SampledImage),
            (5, BindingKind::Sampler),
            (6, BindingKind::StorageImage { reads: true, writes: true }),
        ]
    );
    assert_eq!(r.bindings[1].name, "B");
}

#[test]
fn includes_resolve_beside_the_file_and_from_the_root() {
    let root = scratch("include");
    std::fs::create_dir_all(root.join("sub")).unwrap();
    std::fs::write(root.join("lib.glsl"), "uint from_root() { return 7u; }\n").unwrap();
    std::fs::write(root.join("sub/near.glsl"), "uint near() { return 3u; }\n").unwrap();
    std::fs::write(
        root.join("sub/main.comp"),
        "#version 450\n#extension GL_GOOGLE_include_directive : require\n#include \"near.glsl\"\n\
         #include \"lib.glsl\"\nlayout(local_size_x = 1) in;\n\
         layout(binding = 0) buffer O { uint o[]; };\nvoid main() { o[0] = near() + from_root() + VALUE; }\n",
    )
    .unwrap();
    let c = ShaderCompiler::new(&root).unwrap();
    let s = c.compile_file("sub/main.comp", &[("VALUE", "5u")]).unwrap();
    assert_eq!(s.reflection.bindings.len(), 1);
    // A missing include is an error naming it.
    std::fs::write(
        root.join("bad.comp"),
        "#version 450\n#extension GL_GOOGLE_include_directive : require\n#include \"nowhere.glsl\"\nvoid main() {}\n",
    )
    .unwrap();
    let e = c.compile_file("bad.comp", &[]).unwrap_err().to_string();
    assert!(e.contains("nowhere.glsl"), "{e}");
}

/// Headers that include each other, with no `#pragma once`, would nest for ever: an error that
/// suggests a cycle, soon, instead of memory without end.
#[test]
fn an_include_cycle_is_an_error() {
    let root = scratch("cycle");
    let ext = "#extension GL_GOOGLE_include_directive : require\n";
    std::fs::write(root.join("a.glsl"), "#include \"b.glsl\"\n").unwrap();
    std::fs::write(root.join("b.glsl"), "#include \"a.glsl\"\n").unwrap();
    std::fs::write(
        root.join("cycle.comp"),
        format!("#version 450\n{ext}#include \"a.glsl\"\nlayout(local_size_x = 1) in;\nvoid main() {{}}\n"),
    )
    .unwrap();
    let c = ShaderCompiler::new(&root).unwrap();
    let e = c.compile_file("cycle.comp", &[]).unwrap_err().to_string();
    assert!(e.contains("include cycle") && e.contains("a.glsl"), "{e}");
    // Nesting short of the limit still compiles.
    for i in 0..20 {
        std::fs::write(root.join(format!("n{i}.glsl")), format!("#include \"n{}.glsl\"\n", i + 1))
            .unwrap();
    }
    std::fs::write(root.join("n20.glsl"), "uint deep() { return 1u; }\n").unwrap();
    std::fs::write(
        root.join("deep.comp"),
        format!("#version 450\n{ext}#include \"n0.glsl\"\nlayout(local_size_x = 1) in;\nvoid main() {{ deep(); }}\n"),
    )
    .unwrap();
    c.compile_file("deep.comp", &[]).expect("20 nested includes compile");
}

/// Pipelines have no vertex-input state, so a vertex shader with inputs is refused by name.
#[test]
fn vertex_inputs_are_an_error_naming_the_input() {
    let c = ShaderCompiler::new(scratch("vin")).unwrap();
    let src = "#version 450\nlayout(location = 0) in vec3 position;\n\
               void main() { gl_Position = vec4(position, 1.0); }\n";
    let e = c.compile_source("vin.vert", src, Stage::Vertex, &[]).unwrap_err().to_string();
    assert!(e.starts_with("vin.vert") && e.contains("`position` (location 0)"), "{e}");
    // Built-ins are not inputs of that kind.
    let src = "#version 450\nvoid main() { gl_Position = vec4(float(gl_VertexIndex)); }\n";
    c.compile_source("pulled.vert", src, Stage::Vertex, &[]).expect("no vertex inputs");
}

#[test]
fn a_compile_error_names_file_line_and_message() {
    let root = scratch("error");
    std::fs::write(
        root.join("broken.frag"),
        "#version 450\nlayout(location = 0) out vec4 c;\nvoid main() {\n    c = vec4(undeclared_thing);\n}\n",
    )
    .unwrap();
    let c = ShaderCompiler::new(&root).unwrap();
    let e = c.compile_file("broken.frag", &[]).unwrap_err();
    let Error::Shader { file, line, message } = &e else { panic!("wrong error: {e}") };
    assert!(file.ends_with("broken.frag"), "{file}");
    assert_eq!(*line, 4);
    assert!(message.contains("undeclared_thing"), "{message}");
    assert!(e.to_string().contains("broken.frag:4: "), "{e}");
}

#[test]
fn bad_inputs_are_clear_errors() {
    let c = ShaderCompiler::new(scratch("bad")).unwrap();
    let e = c.compile_file("missing.comp", &[]).unwrap_err().to_string();
    assert!(e.contains("missing.comp") && e.contains("cannot read"), "{e}");
    let e = c.compile_file("shader.txt", &[]).unwrap_err().to_string();
    assert!(e.contains("unknown shader stage"), "{e}");
    let combined = "#version 450\nlayout(binding = 0) uniform sampler2D t;\n\
                    layout(location = 0) out vec4 c;\nvoid main() { c = texture(t, vec2(0)); }\n";
    let e = c.compile_source("c.frag", combined, Stage::Fragment, &[]).unwrap_err().to_string();
    assert!(e.contains("combined image samplers"), "{e}");
    let set1 = "#version 450\nlayout(local_size_x = 1) in;\n\
                layout(set = 1, binding = 0) buffer B { uint b[]; };\nvoid main() { b[0] = 1u; }\n";
    let e = c.compile_source("s.comp", set1, Stage::Compute, &[]).unwrap_err().to_string();
    assert!(e.contains("set 1") && e.contains("`B`"), "{e}");
}

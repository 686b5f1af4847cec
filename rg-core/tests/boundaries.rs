//! rg-core stays a pure library: none of the GPU, windowing, shader or profiler crates may
//! appear anywhere in its dependency tree, and it forbids `unsafe`.

use std::process::Command;

#[test]
fn no_gpu_crates_in_the_dependency_tree() {
    let out = Command::new(env!("CARGO"))
        .args(["tree", "-p", "rg-core", "--edges", "normal,build", "--prefix", "none", "--offline"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree runs");
    let tree = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "cargo tree failed: {}", String::from_utf8_lossy(&out.stderr));
    assert!(tree.contains("rg-core"), "unexpected cargo tree output: {tree}");
    for banned in
        ["ash", "gpu-allocator", "winit", "naga", "shaderc", "tracy-client", "tracy-client-sys"]
    {
        let found = tree.lines().any(|l| l.split_whitespace().next() == Some(banned));
        assert!(!found, "rg-core depends on `{banned}`:\n{tree}");
    }
}

#[test]
fn unsafe_code_is_forbidden() {
    let lib = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/lib.rs"))
        .expect("lib.rs");
    assert!(lib.contains("#![forbid(unsafe_code)]"));
}

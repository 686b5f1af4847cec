//! Debian's `libshaderc_combined.a` leaves glslang and SPIRV-Tools symbols undefined, so the
//! static libraries that provide them are linked here (see ../shared/PLATFORM.md). The folder
//! can be changed with `SHADERC_LIB_DIR`, which the shaderc crate reads as well.

fn main() {
    println!("cargo:rerun-if-env-changed=SHADERC_LIB_DIR");
    let dir =
        std::env::var("SHADERC_LIB_DIR").unwrap_or_else(|_| "/usr/lib/x86_64-linux-gnu".to_owned());
    println!("cargo:rustc-link-search=native={dir}");
    for lib in [
        "glslang",
        "MachineIndependent",
        "OSDependent",
        "GenericCodeGen",
        "OGLCompiler",
        "SPIRV",
        "SPIRV-Tools-opt",
        "SPIRV-Tools",
        "glslang-default-resource-limits",
    ] {
        println!("cargo:rustc-link-lib=static={lib}");
    }
    println!("cargo:rustc-link-lib=dylib=stdc++");
}

//! GLSL to SPIR-V with shaderc, and what a shader binds, read back from the SPIR-V with naga.
//!
//! Shaders live as files under a root folder (the workspace's `shaders/`); `#include "x.glsl"`
//! resolves next to the including file first and then from the root. A compile error names the
//! file, the line and the compiler's message. Reflection gives each descriptor binding of set 0
//! with the kind of descriptor and whether the shader writes through it, the push-constant block's
//! size, and a compute shader's workgroup size: enough to build the pipeline layout and to check
//! what a pass binds against what it declared.
//!
//! Each compiled shader also lists the files it was built from (the shader file and every file
//! its `#include`s pulled in), each with a [`Fingerprint`] (cheap to take again: one `stat`) and
//! a hash of the contents the compiler read, so that the executor can reload shaders whose
//! sources changed (see `Executor::reload_shaders`).

use crate::error::Error;
use std::cell::RefCell;
use std::hash::Hasher;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// The shader stages a [`Shader`] can be.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Stage {
    Vertex,
    Fragment,
    Compute,
}

impl Stage {
    /// The stage a file's extension names: `.vert`, `.frag`, `.comp`.
    pub fn from_path(path: &Path) -> Option<Stage> {
        match path.extension()?.to_str()? {
            "vert" => Some(Stage::Vertex),
            "frag" => Some(Stage::Fragment),
            "comp" => Some(Stage::Compute),
            _ => None,
        }
    }

    pub const fn name(self) -> &'static str {
        match self {
            Stage::Vertex => "vertex",
            Stage::Fragment => "fragment",
            Stage::Compute => "compute",
        }
    }
}

/// What kind of descriptor a binding takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BindingKind {
    /// `buffer` block; `writes` unless declared `readonly`.
    StorageBuffer { writes: bool },
    /// `uniform` block.
    UniformBuffer,
    /// `image2D` and friends; `writes` unless declared `readonly`, `reads` unless `writeonly`.
    StorageImage { reads: bool, writes: bool },
    /// `texture2D` and friends (sampled through a separate `sampler`).
    SampledImage,
    /// `sampler` / `samplerShadow`.
    Sampler,
}

/// How deep includes may nest.
const MAX_INCLUDE_DEPTH: usize = 32;

impl BindingKind {
    /// The binding as two stages that declare it as `self` and `other` use it together (of
    /// one descriptor type): read where either reads, written where either writes.
    pub(crate) const fn merged(self, other: BindingKind) -> BindingKind {
        match (self, other) {
            (
                BindingKind::StorageBuffer { writes: a },
                BindingKind::StorageBuffer { writes: b },
            ) => BindingKind::StorageBuffer { writes: a || b },
            (
                BindingKind::StorageImage { reads: ra, writes: wa },
                BindingKind::StorageImage { reads: rb, writes: wb },
            ) => BindingKind::StorageImage { reads: ra || rb, writes: wa || wb },
            (kind, _) => kind,
        }
    }

    pub const fn name(self) -> &'static str {
        match self {
            BindingKind::StorageBuffer { writes: true } => "storage buffer",
            BindingKind::StorageBuffer { writes: false } => "read-only storage buffer",
            BindingKind::UniformBuffer => "uniform buffer",
            BindingKind::StorageImage { writes: false, .. } => "read-only storage image",
            BindingKind::StorageImage { reads: false, .. } => "write-only storage image",
            BindingKind::StorageImage { .. } => "storage image",
            BindingKind::SampledImage => "sampled image",
            BindingKind::Sampler => "sampler",
        }
    }
}

/// One descriptor binding of set 0.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Binding {
    pub binding: u32,
    pub kind: BindingKind,
    /// For images: declared as an array (`texture2DArray`, `image2DArray`), so bound through
    /// an array view; a plain 2D image takes one layer through a 2D view.
    pub arrayed: bool,
    /// The variable's name in the shader, for messages.
    pub name: String,
}

/// What a compiled shader binds.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Reflection {
    pub stage: Stage,
    pub bindings: Vec<Binding>,
    /// Size of the push-constant block in bytes (0 when there is none).
    pub push_constant_bytes: u32,
    /// Compute workgroup size (`[1, 1, 1]` for other stages).
    pub workgroup_size: [u32; 3],
    /// It reads a storage image declared without a format qualifier (SPIR-V's
    /// `StorageImageReadWithoutFormat` capability), which needs the device feature
    /// `shaderStorageImageReadWithoutFormat`.
    pub reads_storage_without_format: bool,
}

/// A compiled shader.
#[derive(Clone, Debug)]
pub struct Shader {
    /// The file it came from (or the name given to inline source).
    pub name: String,
    pub spirv: Vec<u32>,
    pub reflection: Reflection,
    /// The files it was built from: the shader file first (none for inline source), then each
    /// file an `#include` pulled in, once each, in the order they were first included.
    pub sources: Vec<SourceFile>,
}

/// What a file looks like from its metadata: modification time, length and (on Unix) inode.
/// Taken again with one `stat`; when it has not changed, the file is taken as unchanged. An
/// editor that saves by writing a new file and renaming it over the old one changes the inode
/// even when the time and length happen to match.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Fingerprint {
    modified: Option<SystemTime>,
    len: u64,
    inode: u64,
}

impl Fingerprint {
    /// The fingerprint of the file at `path` now.
    ///
    /// # Errors
    /// The file's metadata cannot be read (it is missing, or not readable).
    pub fn of(path: &Path) -> std::io::Result<Fingerprint> {
        let m = std::fs::metadata(path)?;
        #[cfg(unix)]
        let inode = std::os::unix::fs::MetadataExt::ino(&m);
        #[cfg(not(unix))]
        let inode = 0;
        Ok(Fingerprint { modified: m.modified().ok(), len: m.len(), inode })
    }
}

/// A file a shader was built from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceFile {
    /// The path it was read from (the shader root joined with the shader's path, or where an
    /// `#include` resolved).
    pub path: PathBuf,
    /// Its fingerprint, taken just before it was read (so a write after the read shows as a
    /// new fingerprint).
    pub fingerprint: Fingerprint,
    /// [`content_hash`] of the contents the compiler read.
    pub hash: u64,
}

/// The hash [`SourceFile::hash`] holds: stable within a process, not across Rust versions.
pub fn content_hash(bytes: &[u8]) -> u64 {
    let mut h = std::hash::DefaultHasher::new();
    h.write(bytes);
    h.finish()
}

/// The files one compile read, and those it looked for and did not find; kept also when the
/// compile fails, so that a broken shader is tried again once one of them changes (or appears).
#[derive(Debug, Default)]
pub(crate) struct Sources {
    pub found: Vec<SourceFile>,
    pub missing: Vec<PathBuf>,
}

impl Sources {
    fn found(&mut self, path: &Path, fingerprint: Fingerprint, contents: &str) {
        if self.found.iter().all(|f| f.path != path) {
            self.found.push(SourceFile {
                path: path.to_owned(),
                fingerprint,
                hash: content_hash(contents.as_bytes()),
            });
        }
    }

    fn missing(&mut self, path: PathBuf) {
        if !self.missing.contains(&path) {
            self.missing.push(path);
        }
    }
}

/// Reads a source file, with its fingerprint taken first.
fn read_source(path: &Path) -> std::io::Result<(Fingerprint, String)> {
    let fingerprint = Fingerprint::of(path)?;
    Ok((fingerprint, std::fs::read_to_string(path)?))
}

/// Compiles shaders from files under a root folder.
pub struct ShaderCompiler {
    compiler: shaderc::Compiler,
    root: PathBuf,
}

impl ShaderCompiler {
    /// A compiler whose `#include`s also resolve from `root`.
    ///
    /// # Errors
    /// shaderc could not start.
    pub fn new(root: impl Into<PathBuf>) -> Result<ShaderCompiler, Error> {
        let compiler = shaderc::Compiler::new().map_err(|e| Error::Shader {
            file: "<shaderc>".into(),
            line: 0,
            message: e.to_string(),
        })?;
        Ok(ShaderCompiler { compiler, root: root.into() })
    }

    /// The workspace's `shaders/` folder.
    pub fn workspace_root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("shaders")
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Compiles a file (relative to the root, or absolute); the stage comes from its extension.
    /// `defines` are `#define NAME VALUE` lines given to the preprocessor.
    ///
    /// # Errors
    /// A missing file, an unknown extension, a compile error (file, line and message), or SPIR-V
    /// that reflection cannot read.
    pub fn compile_file(&self, path: &str, defines: &[(&str, &str)]) -> Result<Shader, Error> {
        self.compile_file_tracked(path, defines).0
    }

    /// [`ShaderCompiler::compile_file`], also returning the files the compile read or looked
    /// for, whether it succeeded or not.
    pub(crate) fn compile_file_tracked(
        &self,
        path: &str,
        defines: &[(&str, &str)],
    ) -> (Result<Shader, Error>, Sources) {
        let full = self.root.join(path);
        let Some(stage) = Stage::from_path(&full) else {
            let e = Error::Shader {
                file: path.to_owned(),
                line: 0,
                message: "unknown shader stage: the file must end in .vert, .frag or .comp".into(),
            };
            return (Err(e), Sources::default());
        };
        let sources = RefCell::new(Sources::default());
        let source = match read_source(&full) {
            Ok((fingerprint, source)) => {
                sources.borrow_mut().found(&full, fingerprint, &source);
                source
            }
            Err(e) => {
                sources.borrow_mut().missing(full.clone());
                let e = Error::Shader {
                    file: full.display().to_string(),
                    line: 0,
                    message: format!("cannot read the file: {e}"),
                };
                return (Err(e), sources.into_inner());
            }
        };
        let name = full.display().to_string();
        let result = self.compile_tracked(&name, &source, stage, defines, &sources);
        let sources = sources.into_inner();
        let result = result.map(|mut shader| {
            shader.sources.clone_from(&sources.found);
            shader
        });
        (result, sources)
    }

    /// Compiles GLSL source given in memory; `name` is used in messages and to resolve includes
    /// relative to it.
    ///
    /// # Errors
    /// As [`ShaderCompiler::compile_file`].
    pub fn compile_source(
        &self,
        name: &str,
        source: &str,
        stage: Stage,
        defines: &[(&str, &str)],
    ) -> Result<Shader, Error> {
        let sources = RefCell::new(Sources::default());
        let mut shader = self.compile_tracked(name, source, stage, defines, &sources)?;
        shader.sources = sources.into_inner().found;
        Ok(shader)
    }

    /// Compiles `source`, noting in `sources` each file an `#include` read or looked for in vain.
    fn compile_tracked(
        &self,
        name: &str,
        source: &str,
        stage: Stage,
        defines: &[(&str, &str)],
        sources: &RefCell<Sources>,
    ) -> Result<Shader, Error> {
        let kind = match stage {
            Stage::Vertex => shaderc::ShaderKind::Vertex,
            Stage::Fragment => shaderc::ShaderKind::Fragment,
            Stage::Compute => shaderc::ShaderKind::Compute,
        };
        let mut options = shaderc::CompileOptions::new().map_err(|e| Error::Shader {
            file: name.to_owned(),
            line: 0,
            message: format!("shaderc could not create compile options: {e}"),
        })?;
        // SPIR-V 1.5 (the Vulkan 1.2 environment): 1.6 states workgroup sizes with
        // `OpExecutionModeId`, which the reflection front end does not read. Vulkan 1.3 devices
        // take it as it is.
        options.set_target_env(shaderc::TargetEnv::Vulkan, shaderc::EnvVersion::Vulkan1_2 as u32);
        options.set_source_language(shaderc::SourceLanguage::GLSL);
        options.set_generate_debug_info();
        for (k, v) in defines {
            options.add_macro_definition(k, Some(v));
        }
        let root = self.root.clone();
        options.set_include_callback(move |requested, _ty, requesting, depth| {
            // An include cycle would nest for ever (without `#pragma once`): stop well past any
            // real nesting.
            if depth > MAX_INCLUDE_DEPTH {
                return Err(format!(
                    "`{requested}` is included {depth} files deep (from `{requesting}`); is there \
                     an include cycle? (`#pragma once` in each header breaks one)"
                ));
            }
            let beside = Path::new(requesting).parent().map(|p| p.join(requested));
            let candidates: Vec<PathBuf> =
                beside.into_iter().chain(std::iter::once(root.join(requested))).collect();
            for c in &candidates {
                if let Ok((fingerprint, content)) = read_source(c) {
                    sources.borrow_mut().found(c, fingerprint, &content);
                    return Ok(shaderc::ResolvedInclude {
                        resolved_name: c.display().to_string(),
                        content,
                    });
                }
            }
            // Watched too: the shader is tried again when one of them appears.
            for c in candidates {
                sources.borrow_mut().missing(c);
            }
            Err(format!(
                "cannot find include `{requested}` beside `{requesting}` or in `{}`",
                root.display()
            ))
        });
        let artifact = self
            .compiler
            .compile_into_spirv(source, kind, name, "main", Some(&options))
            .map_err(|e| compile_error(name, &e))?;
        let spirv = artifact.as_binary().to_vec();
        let reflection = reflect(name, &spirv, stage)?;
        Ok(Shader { name: name.to_owned(), spirv, reflection, sources: Vec::new() })
    }
}

/// Turns shaderc's message (`file:line: error: message`, possibly several) into an error naming
/// the first one's file and line, keeping the full text.
fn compile_error(name: &str, e: &shaderc::Error) -> Error {
    let text = match e {
        shaderc::Error::CompilationError(_, t) => t.clone(),
        other => other.to_string(),
    };
    for line in text.lines() {
        // "path:LINE: error: message"; the path may itself contain ':' only rarely, so split
        // from the marker.
        if let Some(at) = line.find(": error: ") {
            let head = &line[..at];
            if let Some(colon) = head.rfind(':') {
                if let Ok(n) = head[colon + 1..].parse::<u32>() {
                    return Error::Shader {
                        file: head[..colon].to_owned(),
                        line: n,
                        message: line[at + 2..].trim().to_owned(),
                    };
                }
            }
        }
    }
    Error::Shader { file: name.to_owned(), line: 0, message: text.trim().to_owned() }
}

/// Reads bindings, push constants and the workgroup size from SPIR-V.
///
/// # Errors
/// SPIR-V that naga cannot parse, bindings outside set 0, combined image samplers (use a
/// `texture2D` and a `sampler`), or binding arrays.
pub fn reflect(name: &str, spirv: &[u32], stage: Stage) -> Result<Reflection, Error> {
    let bad = |message: String| Error::Shader { file: name.to_owned(), line: 0, message };
    // naga folds combined image samplers into the image type, so a variable of that type is
    // refused here rather than bound as the wrong descriptor type.
    if has_combined_sampler_variable(spirv) {
        return Err(bad(
            "combined image samplers (sampler2D) are not supported: declare a texture2D and a \
             sampler and combine them at the sampling site"
                .into(),
        ));
    }
    let bytes: Vec<u8> = strip_line_info(spirv).iter().flat_map(|w| w.to_le_bytes()).collect();
    let options = naga::front::spv::Options {
        adjust_coordinate_space: false,
        strict_capabilities: false,
        block_ctx_dump_prefix: None,
    };
    let module = naga::front::spv::parse_u8_slice(&bytes, &options)
        .map_err(|e| bad(format!("reflection could not read the SPIR-V: {e}")))?;
    let mut layouter = naga::proc::Layouter::default();
    layouter.update(module.to_ctx()).map_err(|e| bad(format!("reflection: {e}")))?;

    let read_only = read_only_buffer_bindings(spirv);
    let mut bindings = Vec::new();
    let mut push_constant_bytes = 0;
    for (_, var) in module.global_variables.iter() {
        // An instance-less block (`buffer B { .. };`) is known by its block name.
        let var_name = var
            .name
            .clone()
            .filter(|n| !n.is_empty())
            .or_else(|| module.types[var.ty].name.clone())
            .unwrap_or_else(|| "?".into());
        if var.space == naga::AddressSpace::PushConstant {
            // The bytes the block's members cover (the struct's span is rounded up to its
            // alignment, which the application need not push).
            push_constant_bytes = match &module.types[var.ty].inner {
                naga::TypeInner::Struct { members, .. } => {
                    members.iter().map(|m| m.offset + layouter[m.ty].size).max().unwrap_or(0)
                }
                _ => layouter[var.ty].size,
            };
            continue;
        }
        let Some(rb) = &var.binding else { continue };
        if rb.group != 0 {
            return Err(bad(format!(
                "`{var_name}` is in set {}: passes bind everything in set 0",
                rb.group
            )));
        }
        let inner = &module.types[var.ty].inner;
        let kind = match (var.space, inner) {
            (naga::AddressSpace::Storage { access }, _) => BindingKind::StorageBuffer {
                writes: access.contains(naga::StorageAccess::STORE)
                    && !read_only.contains(&rb.binding),
            },
            (naga::AddressSpace::Uniform, _) => BindingKind::UniformBuffer,
            (_, naga::TypeInner::Image { class, .. }) => match class {
                naga::ImageClass::Storage { access, .. } => BindingKind::StorageImage {
                    reads: access.contains(naga::StorageAccess::LOAD),
                    writes: access.contains(naga::StorageAccess::STORE),
                },
                _ => BindingKind::SampledImage,
            },
            (_, naga::TypeInner::Sampler { .. }) => BindingKind::Sampler,
            (_, naga::TypeInner::BindingArray { .. }) => {
                return Err(bad(format!("`{var_name}`: binding arrays are not supported")))
            }
            (space, _) => {
                return Err(bad(format!("`{var_name}`: unsupported binding in {space:?}")));
            }
        };
        let arrayed = matches!(inner, naga::TypeInner::Image { arrayed: true, .. });
        bindings.push(Binding { binding: rb.binding, kind, arrayed, name: var_name });
    }
    bindings.sort_by_key(|b| b.binding);
    let main = module.entry_points.iter().find(|e| e.name == "main");
    // Pipelines have no vertex-input state: vertices are pulled from buffers.
    if stage == Stage::Vertex {
        let inputs = main.into_iter().flat_map(|e| &e.function.arguments);
        for arg in inputs {
            if let Some(naga::Binding::Location { location, .. }) = arg.binding {
                return Err(bad(format!(
                    "vertex input `{}` (location {location}): vertex inputs are not supported; \
                     read vertices from a storage buffer by `gl_VertexIndex`",
                    arg.name.as_deref().unwrap_or("?")
                )));
            }
        }
    }
    let workgroup_size = main.map_or([1, 1, 1], |e| e.workgroup_size);
    let reads_storage_without_format = instructions(spirv).any(|(op, w)| {
        op == OP_CAPABILITY && w.first() == Some(&CAPABILITY_STORAGE_IMAGE_READ_WITHOUT_FORMAT)
    });
    Ok(Reflection {
        stage,
        bindings,
        push_constant_bytes,
        workgroup_size,
        reads_storage_without_format,
    })
}

/// SPIR-V instructions after the five-word header, as (opcode, operands).
fn instructions(spirv: &[u32]) -> impl Iterator<Item = (u32, &[u32])> {
    let mut i = 5.min(spirv.len());
    std::iter::from_fn(move || {
        let word = *spirv.get(i)?;
        let count = (word >> 16) as usize;
        if count == 0 || i + count > spirv.len() {
            return None;
        }
        let operands = &spirv[i + 1..i + count];
        i += count;
        Some((word & 0xffff, operands))
    })
}

const OP_LINE: u32 = 8;
const OP_TYPE_ARRAY: u32 = 28;
const OP_TYPE_RUNTIME_ARRAY: u32 = 29;
const OP_TYPE_SAMPLED_IMAGE: u32 = 27;
const OP_TYPE_STRUCT: u32 = 30;
const OP_CAPABILITY: u32 = 17;
const CAPABILITY_STORAGE_IMAGE_READ_WITHOUT_FORMAT: u32 = 55;
const OP_TYPE_POINTER: u32 = 32;
const OP_VARIABLE: u32 = 59;
const OP_NO_LINE: u32 = 317;
const OP_DECORATE: u32 = 71;
const OP_MEMBER_DECORATE: u32 = 72;
const DECORATION_NON_WRITABLE: u32 = 24;
const DECORATION_BINDING: u32 = 33;

/// Bindings of buffer blocks whose every member is `NonWritable` (GLSL `readonly buffer`), or
/// whose variable is. glslang decorates the members, which the reflection front end does not
/// carry over to the variable's access.
fn read_only_buffer_bindings(spirv: &[u32]) -> std::collections::HashSet<u32> {
    use std::collections::HashMap;
    let mut binding_of = HashMap::new(); // variable id -> binding
    let mut non_writable_vars = std::collections::HashSet::new();
    let mut member_flags: HashMap<u32, (u32, u32)> = HashMap::new(); // struct -> (members seen, non-writable)
    let mut pointee = HashMap::new(); // pointer type -> pointee type
    let mut var_type = HashMap::new(); // variable -> pointer type
    for (op, w) in instructions(spirv) {
        match op {
            OP_DECORATE if w.len() >= 3 && w[1] == DECORATION_BINDING => {
                binding_of.insert(w[0], w[2]);
            }
            OP_DECORATE if w.len() >= 2 && w[1] == DECORATION_NON_WRITABLE => {
                non_writable_vars.insert(w[0]);
            }
            OP_MEMBER_DECORATE if w.len() >= 3 && w[2] == DECORATION_NON_WRITABLE => {
                member_flags.entry(w[0]).or_default().1 += 1;
            }
            OP_TYPE_POINTER if w.len() >= 3 => {
                pointee.insert(w[0], w[2]);
            }
            OP_VARIABLE if w.len() >= 2 => {
                var_type.insert(w[1], w[0]);
            }
            OP_TYPE_STRUCT if !w.is_empty() => {
                member_flags.entry(w[0]).or_default().0 = (w.len() - 1) as u32;
            }
            _ => {}
        }
    }
    let mut out = std::collections::HashSet::new();
    for (var, binding) in binding_of {
        let all_members = var_type
            .get(&var)
            .and_then(|p| pointee.get(p))
            .and_then(|t| member_flags.get(t))
            .is_some_and(|&(n, ro)| n > 0 && ro >= n);
        if all_members || non_writable_vars.contains(&var) {
            out.insert(binding);
        }
    }
    out
}

/// The module without `OpLine`/`OpNoLine` (debug line info, which the reflection front end does
/// not accept between type declarations). The pipeline still gets the full module.
fn strip_line_info(spirv: &[u32]) -> Vec<u32> {
    let mut out = spirv[..5.min(spirv.len())].to_vec();
    let mut i = out.len();
    while i < spirv.len() {
        let count = ((spirv[i] >> 16) as usize).max(1);
        let op = spirv[i] & 0xffff;
        if op != OP_LINE && op != OP_NO_LINE {
            out.extend_from_slice(&spirv[i..(i + count).min(spirv.len())]);
        }
        i += count;
    }
    out
}

/// Whether a global variable has a combined image sampler type (or an array of them).
fn has_combined_sampler_variable(spirv: &[u32]) -> bool {
    let mut combined = std::collections::HashSet::new();
    let mut pointers = std::collections::HashSet::new();
    for (op, w) in instructions(spirv) {
        match op {
            OP_TYPE_SAMPLED_IMAGE if !w.is_empty() => {
                combined.insert(w[0]);
            }
            OP_TYPE_ARRAY | OP_TYPE_RUNTIME_ARRAY if w.len() >= 2 && combined.contains(&w[1]) => {
                combined.insert(w[0]);
            }
            OP_TYPE_POINTER if w.len() >= 3 && combined.contains(&w[2]) => {
                pointers.insert(w[0]);
            }
            OP_VARIABLE if !w.is_empty() && pointers.contains(&w[0]) => return true,
            _ => {}
        }
    }
    false
}

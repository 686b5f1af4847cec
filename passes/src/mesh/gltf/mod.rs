//! glTF 2.0 geometry: [`load`] reads a `.gltf` or `.glb` file into one [`Mesh`], and
//! [`write_gltf`] / [`write_glb`] write a mesh out (for tests, and for exporting procedural
//! meshes to other tools).
//!
//! The loader parses with the `gltf` crate (which tells `.gltf` from `.glb` by the magic bytes)
//! but resolves buffers itself, from the GLB binary chunk, base64 `data:` URIs or files
//! relative to the glTF file, and reads accessors itself with every range checked, so a
//! damaged or hostile file gives a [`GltfError`] naming the file and the part at fault, never a
//! panic. It keeps geometry only: all triangle primitives of the default scene (or of every
//! scene when none is the default, or of the root nodes when there are no scenes) are merged
//! into one mesh with each node's world transform applied. Limits: positions and normals
//! must be float `VEC3` (so `KHR_mesh_quantization` and `EXT_meshopt_compression` are refused
//! as required extensions), sparse accessors are refused, and materials, texture coordinates,
//! skins, morph targets and cameras are ignored.
//!
//! Checks: `passes/tests/geometry.rs` round-trips a mesh through all three file styles and
//! holds one test per failure (truncated `.glb` and JSON, an index out of range, a missing or
//! short buffer, a required extension, a missing file), each checking the message.

use std::borrow::Cow;
use std::io;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use glam::{Mat4, Vec3};
use gltf::accessor::{DataType, Dimensions};
use gltf::json::validation::Validate as _;
use gltf::mesh::Mode;
use thiserror::Error;

use crate::mesh::{Mesh, MeshError};

mod write;
pub use write::{write_glb, write_gltf, BufferStyle};

/// What went wrong loading or writing a glTF file. Every message starts with the file.
#[derive(Debug, Error)]
pub enum GltfError {
    #[error("`{}`: could not read the file: {source}", .path.display())]
    Read { path: PathBuf, source: io::Error },

    #[error("`{}`: not a glTF file, or truncated: {source}", .path.display())]
    Parse { path: PathBuf, source: gltf::Error },

    #[error("`{}`: the file is truncated: {detail}", .path.display())]
    Truncated { path: PathBuf, detail: String },

    #[error("`{}`: invalid glTF: {problems}", .path.display())]
    Invalid { path: PathBuf, problems: String },

    #[error(
        "`{}`: requires the extension `{extension}`, which this loader does not support",
        .path.display()
    )]
    UnsupportedExtension { path: PathBuf, extension: String },

    #[error(
        "`{}`: buffer {buffer} refers to `{uri}` (`{}`), which could not be read: {source}",
        .path.display(), .file.display()
    )]
    MissingBuffer { path: PathBuf, buffer: usize, uri: String, file: PathBuf, source: io::Error },

    #[error("`{}`: buffer {buffer}: {problem}", .path.display())]
    BadBuffer { path: PathBuf, buffer: usize, problem: String },

    #[error(
        "`{}`: buffer {buffer} ({source_name}) holds {available} bytes, but its byteLength is \
         {declared}",
        .path.display()
    )]
    BufferShorterThanDeclared {
        path: PathBuf,
        buffer: usize,
        source_name: String,
        declared: u64,
        available: u64,
    },

    #[error(
        "`{}`: buffer {buffer} ({source_name}) holds {available} bytes, but {user} needs {needed}",
        .path.display()
    )]
    BufferTooShort {
        path: PathBuf,
        buffer: usize,
        source_name: String,
        user: String,
        needed: u64,
        available: u64,
    },

    #[error(
        "`{}`: {accessor} reads up to byte {needed} of bufferView {view}, which is {length} bytes long",
        .path.display()
    )]
    AccessorOutsideView { path: PathBuf, accessor: String, view: usize, needed: u64, length: u64 },

    #[error(
        "`{}`: mesh {mesh} primitive {primitive} uses vertex {index}, but it has {vertex_count} vertices",
        .path.display()
    )]
    IndexOutOfRange {
        path: PathBuf,
        mesh: usize,
        primitive: usize,
        index: u32,
        vertex_count: usize,
    },

    #[error("`{}`: {what}, which this loader does not support", .path.display())]
    Unsupported { path: PathBuf, what: String },

    #[error("`{}`: {what}", .path.display())]
    Malformed { path: PathBuf, what: String },

    #[error("`{}`: no triangles to load{detail}", .path.display())]
    NoTriangles { path: PathBuf, detail: String },

    #[error("`{}`: could not write the file: {source}", .path.display())]
    Write { path: PathBuf, source: io::Error },

    #[error("`{}`: cannot write the mesh: {source}", .path.display())]
    InvalidMesh { path: PathBuf, source: MeshError },

    #[error("`{}`: cannot write an empty mesh (glTF has no empty accessors)", .path.display())]
    EmptyMesh { path: PathBuf },
}

/// Loads every triangle of a `.gltf` or `.glb` file into one mesh (see the module
/// documentation for what is kept). Normals missing from a primitive are computed with
/// [`Mesh::recompute_normals`] after the node's transform; unit normals in the file are kept
/// bit for bit and others renormalised. Missing indices mean one triangle per three vertices;
/// triangle strips and fans become lists; point and line primitives are skipped.
///
/// # Errors
///
/// A [`GltfError`] naming the file: it could not be read, is not glTF or is truncated, fails
/// the crate's validation, requires an extension, has a buffer that is missing or shorter than
/// its users need, an index out of range, an unsupported accessor format, or no triangles.
pub fn load(path: &Path) -> Result<Mesh, GltfError> {
    let bytes =
        std::fs::read(path).map_err(|source| GltfError::Read { path: path.to_owned(), source })?;
    load_from_bytes(&bytes, path)
}

/// [`load`] for a file already in memory: `path` names it in errors, and external buffers
/// are looked for next to it.
///
/// # Errors
///
/// As [`load`], less the file's own read error.
pub fn load_from_bytes(bytes: &[u8], path: &Path) -> Result<Mesh, GltfError> {
    check_glb_header(bytes, path)?;
    let gltf = gltf::Gltf::from_slice_without_validation(bytes)
        .map_err(|source| GltfError::Parse { path: path.to_owned(), source })?;

    // Checked before validation, which would report the same thing less plainly.
    if let Some(extension) = gltf.extensions_required().next() {
        return Err(GltfError::UnsupportedExtension {
            path: path.to_owned(),
            extension: extension.to_owned(),
        });
    }
    let root = gltf.as_json();
    let mut problems = Vec::new();
    root.validate(root, gltf::json::Path::new, &mut |at, error| {
        problems.push(format!("{}: {error}", at()));
    });
    if !problems.is_empty() {
        return Err(GltfError::Invalid { path: path.to_owned(), problems: problems.join("; ") });
    }

    let mut loader = Loader {
        path,
        dir: path.parent().unwrap_or(Path::new("")).to_owned(),
        document: &gltf.document,
        blob: gltf.blob.as_deref(),
        buffers: vec![None; gltf.buffers().len()],
    };
    loader.load_scene()
}

/// The GLB header's length checked against the file's, before the `gltf` crate reads it (it
/// would subtract the header size from a smaller length).
fn check_glb_header(bytes: &[u8], path: &Path) -> Result<(), GltfError> {
    if !bytes.starts_with(b"glTF") {
        return Ok(());
    }
    let truncated = |detail: String| GltfError::Truncated { path: path.to_owned(), detail };
    let Some(length) = bytes.get(8..12) else {
        return Err(truncated(format!("a GLB header is 12 bytes, the file has {}", bytes.len())));
    };
    let length = u32::from_le_bytes([length[0], length[1], length[2], length[3]]) as usize;
    if length < 12 {
        return Err(GltfError::Malformed {
            path: path.to_owned(),
            what: format!("the GLB header gives a length of {length} bytes, less than itself"),
        });
    }
    if length > bytes.len() {
        return Err(truncated(format!(
            "the GLB header gives a length of {length} bytes, the file has {}",
            bytes.len()
        )));
    }
    Ok(())
}

/// The state of one load: the document, and its buffers as they are resolved.
struct Loader<'a> {
    path: &'a Path,
    dir: PathBuf,
    document: &'a gltf::Document,
    blob: Option<&'a [u8]>,
    buffers: Vec<Option<Cow<'a, [u8]>>>,
}

/// A checked view of an accessor's elements inside a resolved buffer.
struct Elements {
    buffer: usize,
    start: usize,
    stride: usize,
    count: usize,
}

impl<'a> Loader<'a> {
    fn malformed(&self, what: String) -> GltfError {
        GltfError::Malformed { path: self.path.to_owned(), what }
    }

    fn unsupported(&self, what: String) -> GltfError {
        GltfError::Unsupported { path: self.path.to_owned(), what }
    }

    /// Walks the scene's nodes, merging every triangle primitive under its world transform.
    fn load_scene(&mut self) -> Result<Mesh, GltfError> {
        let document = self.document;
        let roots: Vec<gltf::Node<'a>> = if let Some(scene) = document.default_scene() {
            scene.nodes().collect()
        } else if document.scenes().len() > 0 {
            document.scenes().flat_map(|scene| scene.nodes()).collect()
        } else {
            let mut is_child = vec![false; document.nodes().len()];
            for child in document.nodes().flat_map(|node| node.children()) {
                is_child[child.index()] = true;
            }
            document.nodes().filter(|node| !is_child[node.index()]).collect()
        };

        // In a valid file each scene reaches each node once; more visits mean a node with two
        // parents or a cycle, which would otherwise never end.
        let visit_limit = document.nodes().len() * document.scenes().len().max(1);
        let mut visits = 0usize;
        let mut stack: Vec<(gltf::Node<'a>, Mat4)> =
            roots.into_iter().map(|node| (node, Mat4::IDENTITY)).collect();
        let mut merged = Mesh::default();
        let mut skipped = 0usize;
        let mut primitives = 0usize;
        while let Some((node, parent)) = stack.pop() {
            visits += 1;
            if visits > visit_limit {
                return Err(self.malformed(format!(
                    "node {} is reached twice: the node hierarchy has a cycle or a node with two \
                     parents",
                    node.index()
                )));
            }
            let world = parent * Mat4::from_cols_array_2d(&node.transform().matrix());
            if let Some(mesh) = node.mesh() {
                for primitive in mesh.primitives() {
                    primitives += 1;
                    let Some(Part { mesh: part, needs_normals }) =
                        self.primitive(&mesh, &primitive)?
                    else {
                        skipped += 1;
                        continue;
                    };
                    let mut part =
                        if world == Mat4::IDENTITY { part } else { part.transformed(&world) };
                    if needs_normals {
                        part.recompute_normals();
                    }
                    if u32::try_from(merged.vertex_count() + part.vertex_count()).is_err() {
                        return Err(self.malformed(
                            "the scene has more vertices than 32-bit indices reach".to_owned(),
                        ));
                    }
                    merged.append(&part);
                }
            }
            stack.extend(node.children().map(|child| (child, world)));
        }

        if merged.indices.is_empty() {
            let detail = if primitives == 0 {
                ": the scene has no mesh primitives".to_owned()
            } else if skipped > 0 {
                format!(
                    ": {skipped} of {primitives} primitives were skipped (only triangle modes are \
                     loaded)"
                )
            } else {
                String::new()
            };
            return Err(GltfError::NoTriangles { path: self.path.to_owned(), detail });
        }
        merged
            .validate()
            .map_err(|error| self.malformed(format!("the loaded mesh is not valid: {error}")))?;
        Ok(merged)
    }

    /// One primitive as a mesh in its node's space, or `None` for points and lines.
    fn primitive(
        &mut self,
        mesh: &gltf::Mesh<'a>,
        primitive: &gltf::Primitive<'a>,
    ) -> Result<Option<Part>, GltfError> {
        let mode = primitive.mode();
        if !matches!(mode, Mode::Triangles | Mode::TriangleStrip | Mode::TriangleFan) {
            return Ok(None);
        }
        let label =
            |what: &str| format!("{what} of mesh {} primitive {}", mesh.index(), primitive.index());
        let Some(position_accessor) = primitive.get(&gltf::Semantic::Positions) else {
            return Err(self.malformed(format!(
                "mesh {} primitive {} has no POSITION attribute",
                mesh.index(),
                primitive.index()
            )));
        };
        let positions = self.read_vec3(&position_accessor, &label("POSITION"))?;
        if let Some(p) = positions.iter().find(|p| !p.is_finite()) {
            return Err(
                self.malformed(format!("{} holds a non-finite value {p}", label("POSITION")))
            );
        }
        let vertex_count = positions.len();

        let normals = match primitive.get(&gltf::Semantic::Normals) {
            Some(accessor) => {
                let normals = self.read_vec3(&accessor, &label("NORMAL"))?;
                if normals.len() != vertex_count {
                    return Err(self.malformed(format!(
                        "{} has {} elements but POSITION has {vertex_count}",
                        label("NORMAL"),
                        normals.len()
                    )));
                }
                Some(normals)
            }
            None => None,
        };

        let stream = match primitive.indices() {
            Some(accessor) => {
                let indices = self.read_indices(&accessor, &label("indices"))?;
                if let Some(&index) = indices.iter().find(|&&i| i as usize >= vertex_count) {
                    return Err(GltfError::IndexOutOfRange {
                        path: self.path.to_owned(),
                        mesh: mesh.index(),
                        primitive: primitive.index(),
                        index,
                        vertex_count,
                    });
                }
                indices
            }
            None => {
                let count = u32::try_from(vertex_count).map_err(|_| {
                    self.malformed(format!("{} has too many vertices", label("POSITION")))
                })?;
                (0..count).collect()
            }
        };
        let indices = match mode {
            Mode::TriangleStrip => (0..stream.len().saturating_sub(2))
                .flat_map(|i| {
                    // glTF 2.0 §3.7.2.1: odd triangles swap their last two corners.
                    let odd = i % 2;
                    [stream[i], stream[i + 1 + odd], stream[i + 2 - odd]]
                })
                .collect(),
            Mode::TriangleFan => (1..stream.len().saturating_sub(1))
                .flat_map(|i| [stream[i], stream[i + 1], stream[0]])
                .collect(),
            _ => {
                if !stream.len().is_multiple_of(3) {
                    return Err(self.malformed(format!(
                        "{} has {} indices, not a whole number of triangles",
                        label("the triangle list"),
                        stream.len()
                    )));
                }
                stream
            }
        };

        let (normals, needs_normals) = match normals {
            Some(normals) => {
                // Unit normals are kept bit for bit; others are renormalised, and unusable ones
                // (zero, not finite) make the whole primitive's normals computed instead.
                let mut usable = true;
                let normals = normals
                    .into_iter()
                    .map(|n| {
                        let length_squared = n.length_squared();
                        if !length_squared.is_finite() || length_squared < 1e-12 {
                            usable = false;
                            Vec3::Y
                        } else if (length_squared - 1.0).abs() > 1e-5 {
                            n / length_squared.sqrt()
                        } else {
                            n
                        }
                    })
                    .collect();
                (normals, !usable)
            }
            None => (vec![Vec3::Y; vertex_count], true),
        };
        Ok(Some(Part { mesh: Mesh { positions, normals, indices }, needs_normals }))
    }

    /// Reads a float `VEC3` accessor (positions, normals).
    fn read_vec3(
        &mut self,
        accessor: &gltf::Accessor<'a>,
        label: &str,
    ) -> Result<Vec<Vec3>, GltfError> {
        if accessor.data_type() != DataType::F32 || accessor.dimensions() != Dimensions::Vec3 {
            return Err(self.unsupported(format!(
                "accessor {} ({label}) holds {:?} of {:?}, not float VEC3",
                accessor.index(),
                accessor.dimensions(),
                accessor.data_type()
            )));
        }
        let elements = self.elements(accessor, label, 12)?;
        let data = self.data(elements.buffer);
        Ok((0..elements.count)
            .map(|i| {
                let at = elements.start + i * elements.stride;
                let f = |k: usize| {
                    let b = &data[at + 4 * k..at + 4 * k + 4];
                    f32::from_le_bytes([b[0], b[1], b[2], b[3]])
                };
                Vec3::new(f(0), f(1), f(2))
            })
            .collect())
    }

    /// Reads an unsigned `SCALAR` index accessor (8, 16 or 32 bits).
    fn read_indices(
        &mut self,
        accessor: &gltf::Accessor<'a>,
        label: &str,
    ) -> Result<Vec<u32>, GltfError> {
        let size = match (accessor.data_type(), accessor.dimensions()) {
            (DataType::U8, Dimensions::Scalar) => 1,
            (DataType::U16, Dimensions::Scalar) => 2,
            (DataType::U32, Dimensions::Scalar) => 4,
            (data_type, dimensions) => {
                return Err(self.malformed(format!(
                    "accessor {} ({label}) holds {dimensions:?} of {data_type:?}; indices are an \
                     unsigned SCALAR",
                    accessor.index()
                )))
            }
        };
        let elements = self.elements(accessor, label, size)?;
        let data = self.data(elements.buffer);
        Ok((0..elements.count)
            .map(|i| {
                let b = &data[elements.start + i * elements.stride..];
                match size {
                    1 => u32::from(b[0]),
                    2 => u32::from(u16::from_le_bytes([b[0], b[1]])),
                    _ => u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
                }
            })
            .collect())
    }

    /// Where an accessor's elements lie, with every byte they span checked to lie inside its
    /// buffer view and the view inside its buffer (whose data is resolved here).
    fn elements(
        &mut self,
        accessor: &gltf::Accessor<'a>,
        label: &str,
        element_size: usize,
    ) -> Result<Elements, GltfError> {
        let name = format!("accessor {} ({label})", accessor.index());
        if accessor.sparse().is_some() {
            return Err(self.unsupported(format!("{name} is sparse")));
        }
        let Some(view) = accessor.view() else {
            return Err(self.unsupported(format!("{name} has no bufferView (all zeros)")));
        };
        let stride = view.stride().unwrap_or(element_size);
        if stride < element_size {
            return Err(self.malformed(format!(
                "bufferView {} has a byteStride of {stride}, less than the {element_size}-byte \
                 elements of {name}",
                view.index()
            )));
        }
        let count = accessor.count();
        let buffer = view.buffer().index();
        self.resolve(buffer)?;
        if count == 0 {
            return Ok(Elements { buffer, start: 0, stride, count });
        }

        let overflow = || self.malformed(format!("{name} spans more bytes than fit in 64 bits"));
        let needed_in_view = (count as u64 - 1)
            .checked_mul(stride as u64)
            .and_then(|n| n.checked_add(accessor.offset() as u64))
            .and_then(|n| n.checked_add(element_size as u64))
            .ok_or_else(overflow)?;
        if needed_in_view > view.length() as u64 {
            return Err(GltfError::AccessorOutsideView {
                path: self.path.to_owned(),
                accessor: name,
                view: view.index(),
                needed: needed_in_view,
                length: view.length() as u64,
            });
        }
        let view_end =
            (view.offset() as u64).checked_add(view.length() as u64).ok_or_else(overflow)?;
        let available = self.data(buffer).len() as u64;
        if view_end > available {
            return Err(GltfError::BufferTooShort {
                path: self.path.to_owned(),
                buffer,
                source_name: self.source_name(buffer),
                user: format!(
                    "bufferView {} (bytes {}..{view_end}, read by {name})",
                    view.index(),
                    view.offset()
                ),
                needed: view_end,
                available,
            });
        }
        Ok(Elements { buffer, start: view.offset() + accessor.offset(), stride, count })
    }

    /// A resolved buffer's bytes.
    fn data(&self, buffer: usize) -> &[u8] {
        self.buffers[buffer].as_deref().expect("`resolve` ran for every buffer an accessor reads")
    }

    /// How a buffer's source is named in messages.
    fn source_name(&self, buffer: usize) -> String {
        match self.document.buffers().nth(buffer).map(|b| b.source()) {
            Some(gltf::buffer::Source::Uri(uri)) if uri.starts_with("data:") => {
                "a data: URI".to_owned()
            }
            Some(gltf::buffer::Source::Uri(uri)) => format!("`{uri}`"),
            _ => "the GLB binary chunk".to_owned(),
        }
    }

    /// Loads a buffer's data once (from the GLB chunk, a `data:` URI or a file next to the
    /// glTF file) and checks it holds the `byteLength` the document declares.
    fn resolve(&mut self, index: usize) -> Result<(), GltfError> {
        if self.buffers[index].is_some() {
            return Ok(());
        }
        let Some(buffer) = self.document.buffers().nth(index) else {
            return Err(self.malformed(format!("buffer {index} does not exist")));
        };
        let bad = |problem: String| GltfError::BadBuffer {
            path: self.path.to_owned(),
            buffer: index,
            problem,
        };
        let data: Cow<'a, [u8]> = match buffer.source() {
            gltf::buffer::Source::Bin => match self.blob {
                Some(blob) => Cow::Borrowed(blob),
                None => {
                    return Err(bad(
                        "refers to the GLB binary chunk, but the file has none".to_owned()
                    ))
                }
            },
            gltf::buffer::Source::Uri(uri) => {
                if let Some(rest) = uri.strip_prefix("data:") {
                    let Some((header, payload)) = rest.split_once(',') else {
                        return Err(bad("its data: URI has no `,` before the data".to_owned()));
                    };
                    if !header.ends_with(";base64") {
                        return Err(GltfError::Unsupported {
                            path: self.path.to_owned(),
                            what: format!("buffer {index} has a data: URI that is not base64"),
                        });
                    }
                    Cow::Owned(
                        base64::engine::general_purpose::STANDARD
                            .decode(payload)
                            .map_err(|e| bad(format!("its data: URI is not valid base64: {e}")))?,
                    )
                } else if has_scheme(uri) {
                    return Err(GltfError::Unsupported {
                        path: self.path.to_owned(),
                        what: format!(
                            "buffer {index} refers to `{uri}` (only data: URIs and relative file \
                             paths are loaded)"
                        ),
                    });
                } else {
                    let relative = percent_decode(uri).ok_or_else(|| {
                        bad(format!("its URI `{uri}` has a bad %-escape or is not UTF-8"))
                    })?;
                    let file = self.dir.join(relative);
                    Cow::Owned(std::fs::read(&file).map_err(|source| GltfError::MissingBuffer {
                        path: self.path.to_owned(),
                        buffer: index,
                        uri: uri.to_owned(),
                        file: file.clone(),
                        source,
                    })?)
                }
            }
        };
        if (data.len() as u64) < buffer.length() as u64 {
            return Err(GltfError::BufferShorterThanDeclared {
                path: self.path.to_owned(),
                buffer: index,
                source_name: self.source_name(index),
                declared: buffer.length() as u64,
                available: data.len() as u64,
            });
        }
        self.buffers[index] = Some(data);
        Ok(())
    }
}

/// A primitive read from the file, before its node's transform.
struct Part {
    mesh: Mesh,
    /// The file gave no usable normals; they are computed after the transform.
    needs_normals: bool,
}

/// Whether a URI starts with a scheme (`http:`, `file:`), as opposed to a relative path.
fn has_scheme(uri: &str) -> bool {
    match uri.split_once(':') {
        Some((scheme, _)) => {
            scheme.len() > 1
                && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        }
        None => false,
    }
}

/// Decodes `%XX` escapes of a relative URI; `None` for a bad escape or bytes that are not
/// UTF-8.
fn percent_decode(uri: &str) -> Option<String> {
    let bytes = uri.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            if !hex.iter().all(u8::is_ascii_hexdigit) {
                return None;
            }
            out.push(u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

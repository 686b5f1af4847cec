//! Writing meshes as glTF 2.0: `.gltf` with an external or embedded buffer, and `.glb`, for
//! the loader's tests and for users who export procedural meshes.

use std::io;
use std::path::Path;

use base64::Engine as _;
use glam::Vec3;

use super::GltfError;
use crate::mesh::Mesh;

/// How [`write_gltf`] stores the binary data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BufferStyle {
    /// In a `.bin` file next to the `.gltf`, with the same stem.
    External,
    /// In the JSON, as a base64 `data:` URI.
    Embedded,
}

/// Writes `mesh` as a `.gltf` file: one scene, one node, one mesh with one triangle primitive
/// (`POSITION` with its bounds, `NORMAL`, `u32` indices). The single buffer holds positions,
/// then normals, then indices, tightly packed and little-endian; `style` says where.
///
/// # Errors
///
/// [`GltfError::InvalidMesh`] or [`GltfError::EmptyMesh`] if the mesh fails
/// [`Mesh::validate`] or has no triangles; [`GltfError::Write`] if a file cannot be written.
pub fn write_gltf(mesh: &Mesh, path: &Path, style: BufferStyle) -> Result<(), GltfError> {
    let bin = encode_buffer(mesh, path)?;
    let buffer = match style {
        BufferStyle::Embedded => format!(
            r#"{{"byteLength": {}, "uri": "data:application/octet-stream;base64,{}"}}"#,
            bin.len(),
            base64::engine::general_purpose::STANDARD.encode(&bin)
        ),
        BufferStyle::External => {
            let bin_path = path.with_extension("bin");
            let name = bin_path.file_name().and_then(|name| name.to_str()).ok_or_else(|| {
                GltfError::Write {
                    path: path.to_owned(),
                    source: io::Error::new(
                        io::ErrorKind::InvalidInput,
                        "the path has no UTF-8 file name to derive the `.bin` name from",
                    ),
                }
            })?;
            std::fs::write(&bin_path, &bin)
                .map_err(|source| GltfError::Write { path: bin_path.clone(), source })?;
            format!(r#"{{"byteLength": {}, "uri": "{}"}}"#, bin.len(), percent_encode(name))
        }
    };
    let json = gltf_json(mesh, &buffer);
    std::fs::write(path, json).map_err(|source| GltfError::Write { path: path.to_owned(), source })
}

/// Writes `mesh` as a binary `.glb` file: the same document as [`write_gltf`], with the
/// buffer in the GLB binary chunk.
///
/// # Errors
///
/// As [`write_gltf`].
pub fn write_glb(mesh: &Mesh, path: &Path) -> Result<(), GltfError> {
    let bin = encode_buffer(mesh, path)?;
    let mut json = gltf_json(mesh, &format!(r#"{{"byteLength": {}}}"#, bin.len())).into_bytes();
    // Chunks are 4-byte aligned: JSON padded with spaces, binary with zeros.
    json.resize(json.len().next_multiple_of(4), b' ');
    let bin_padded = bin.len().next_multiple_of(4);
    let total = 12 + 8 + json.len() + 8 + bin_padded;
    let too_big = || GltfError::Write {
        path: path.to_owned(),
        source: io::Error::new(io::ErrorKind::InvalidInput, "the mesh is over 4 GiB as GLB"),
    };
    let mut glb = Vec::with_capacity(total);
    glb.extend_from_slice(b"glTF");
    glb.extend_from_slice(&2u32.to_le_bytes());
    glb.extend_from_slice(&u32::try_from(total).map_err(|_| too_big())?.to_le_bytes());
    glb.extend_from_slice(&(json.len() as u32).to_le_bytes());
    glb.extend_from_slice(b"JSON");
    glb.extend_from_slice(&json);
    glb.extend_from_slice(&(bin_padded as u32).to_le_bytes());
    glb.extend_from_slice(b"BIN\0");
    glb.extend_from_slice(&bin);
    glb.resize(total, 0);
    std::fs::write(path, glb).map_err(|source| GltfError::Write { path: path.to_owned(), source })
}

/// Escapes everything but URI-unreserved characters, for a file name in a glTF `uri`.
fn percent_encode(name: &str) -> String {
    name.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The binary buffer [`write_gltf`] and [`write_glb`] share: positions, normals, indices.
fn encode_buffer(mesh: &Mesh, path: &Path) -> Result<Vec<u8>, GltfError> {
    mesh.validate().map_err(|source| GltfError::InvalidMesh { path: path.to_owned(), source })?;
    if mesh.indices.is_empty() {
        return Err(GltfError::EmptyMesh { path: path.to_owned() });
    }
    let mut bin = Vec::with_capacity(mesh.vertex_count() * 24 + mesh.indices.len() * 4);
    for v in mesh.positions.iter().chain(&mesh.normals) {
        for c in v.to_array() {
            bin.extend_from_slice(&c.to_le_bytes());
        }
    }
    for i in &mesh.indices {
        bin.extend_from_slice(&i.to_le_bytes());
    }
    Ok(bin)
}

/// The glTF JSON for a mesh laid out as [`encode_buffer`] does, with `buffer` as the one
/// buffer object.
fn gltf_json(mesh: &Mesh, buffer: &str) -> String {
    let n = mesh.vertex_count();
    let (min, max) = mesh
        .positions
        .iter()
        .fold((Vec3::splat(f32::INFINITY), Vec3::splat(f32::NEG_INFINITY)), |(lo, hi), &p| {
            (lo.min(p), hi.max(p))
        });
    let vec = |v: Vec3| format!("[{}, {}, {}]", v.x, v.y, v.z);
    format!(
        r#"{{
  "asset": {{"version": "2.0", "generator": "rg-passes"}},
  "scene": 0,
  "scenes": [{{"nodes": [0]}}],
  "nodes": [{{"mesh": 0}}],
  "meshes": [{{"primitives": [{{"attributes": {{"POSITION": 0, "NORMAL": 1}}, "indices": 2, "mode": 4}}]}}],
  "buffers": [{buffer}],
  "bufferViews": [
    {{"buffer": 0, "byteOffset": 0, "byteLength": {vertex_bytes}, "target": 34962}},
    {{"buffer": 0, "byteOffset": {vertex_bytes}, "byteLength": {vertex_bytes}, "target": 34962}},
    {{"buffer": 0, "byteOffset": {index_offset}, "byteLength": {index_bytes}, "target": 34963}}
  ],
  "accessors": [
    {{"bufferView": 0, "componentType": 5126, "count": {n}, "type": "VEC3", "min": {min}, "max": {max}}},
    {{"bufferView": 1, "componentType": 5126, "count": {n}, "type": "VEC3"}},
    {{"bufferView": 2, "componentType": 5125, "count": {index_count}, "type": "SCALAR"}}
  ]
}}
"#,
        vertex_bytes = n * 12,
        index_offset = n * 24,
        index_bytes = mesh.indices.len() * 4,
        index_count = mesh.indices.len(),
        min = vec(min),
        max = vec(max),
    )
}

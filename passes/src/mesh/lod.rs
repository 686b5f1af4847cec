//! LOD chains: each mesh gets up to [`MAX_LODS`] index buffers over one shared vertex buffer,
//! each with the object-space error it may show, for the GPU to pick the coarsest level whose
//! projected error stays under a pixel.
//!
//! The chain follows niagara (zeux) and meshoptimizer's own advice: level 0 is the mesh,
//! vertex-cache ordered; each next level asks `meshopt::simplify` for 60% of the previous
//! level's indices within a relative error of [`TARGET_ERROR`], starting from the previous
//! level (cheap, and the levels nest). The chain ends when a level would keep more than 85% of
//! the one before (the simplifier is stuck), when a level has fewer than [`MIN_LOD_INDICES`]
//! indices, or at [`MAX_LODS`]. The simplifier reports its error against its input, the
//! previous level, so the stored error accumulates: the previous level's error plus this
//! step's (scaled to object space with `meshopt::simplify_scale`; if each step's error bounds
//! that step, the triangle inequality makes the sum bound the distance to the full mesh), and
//! never less than 1.5× the previous level's
//! (niagara's rule), so errors never decrease along the chain. niagara keeps only the larger
//! of the two; on an icosphere that underestimates the measured deviation of the coarse levels
//! by up to 2×, the sum does not. Limits: only positions drive the simplifier (normals are
//! not weighed), and vertices that share a position (hard edges) are treated as seams, which
//! stay closed.
//!
//! Checks: `passes/tests/geometry.rs` proves levels shrink by at least 15% each, errors start
//! at 0 and grow by at least 1.5×, indices stay in range, an icosphere yields several levels,
//! and each level of an icosphere stays within its error of the sphere.

use glam::Vec3;

use super::{Mesh, MeshError, Sphere};

/// The most levels a chain holds (level 0 included).
pub const MAX_LODS: usize = 8;

/// The share of the previous level's indices each level asks the simplifier for.
pub const TARGET_RATIO: f64 = 0.6;

/// A level that keeps more than this share of the previous level's indices ends the chain.
pub const MAX_KEPT_RATIO: f64 = 0.85;

/// The relative error (a fraction of the mesh's extent) the simplifier may introduce per level.
pub const TARGET_ERROR: f32 = 0.1;

/// No level is simplified further once it has fewer indices than this.
pub const MIN_LOD_INDICES: usize = 24;

/// How much each level's stored error grows at least over the previous level's.
pub const ERROR_GROWTH: f32 = 1.5;

/// One level of detail: its triangles (indices into [`LodMesh::mesh`]'s vertices) and the
/// largest object-space distance by which it may stray from the full mesh.
#[derive(Clone, Debug, PartialEq)]
pub struct LodLevel {
    pub indices: Vec<u32>,
    pub error: f32,
}

/// A mesh with its chain of levels of detail.
#[derive(Clone, Debug, PartialEq)]
pub struct LodMesh {
    /// The vertices every level shares (reordered for fetch locality, unused ones dropped);
    /// `mesh.indices` are level 0's.
    pub mesh: Mesh,
    /// Level 0 (the full mesh, error 0) first, each next one coarser, at most [`MAX_LODS`].
    pub levels: Vec<LodLevel>,
    /// A sphere around every vertex, for culling and for LOD selection.
    pub bounds: Sphere,
}

/// Builds the LOD chain of `mesh` (see the module documentation for the rule).
///
/// # Panics
///
/// If `mesh` has an index out of range, a partial triangle, or a normal count different from
/// its position count; [`try_build_lods`] reports those as an error instead.
pub fn build_lods(mesh: &Mesh) -> LodMesh {
    match try_build_lods(mesh) {
        Ok(lods) => lods,
        Err(error) => panic!("build_lods: the mesh is not valid: {error}"),
    }
}

/// Builds the LOD chain of `mesh`, like [`build_lods`].
///
/// # Errors
///
/// A [`MeshError`] if the mesh's indices or counts are inconsistent (meshoptimizer must never
/// see an index out of range).
pub fn try_build_lods(mesh: &Mesh) -> Result<LodMesh, MeshError> {
    mesh.validate_topology()?;
    let level0 = meshopt::optimize_vertex_cache(&mesh.indices, mesh.vertex_count());
    let mesh = reorder_for_fetch(mesh, &level0);

    let vertex_count = mesh.vertex_count();
    let positions = meshopt::VertexDataAdapter::new(
        meshopt::typed_to_bytes(&mesh.positions),
        std::mem::size_of::<Vec3>(),
        0,
    )
    .expect("a Vec3 slice is a whole number of 12-byte vertices with the position at offset 0");
    let scale = meshopt::simplify_scale(&positions);

    let mut levels = vec![LodLevel { indices: mesh.indices.clone(), error: 0.0 }];
    while levels.len() < MAX_LODS {
        let previous = levels.last().expect("the chain starts with level 0");
        if previous.indices.len() < MIN_LOD_INDICES {
            break;
        }
        let target = (previous.indices.len() as f64 * TARGET_RATIO) as usize / 3 * 3;
        let mut relative_error = 0.0f32;
        let indices = meshopt::simplify(
            &previous.indices,
            &positions,
            target,
            TARGET_ERROR,
            meshopt::SimplifyOptions::None,
            Some(&mut relative_error),
        );
        if indices.is_empty()
            || indices.len() as f64 > previous.indices.len() as f64 * MAX_KEPT_RATIO
        {
            break;
        }
        // Measured against the previous level, so the distance to the full mesh is at most
        // the sum (triangle inequality); never less than 1.5x the previous level's.
        let error = (previous.error + relative_error * scale).max(previous.error * ERROR_GROWTH);
        levels.push(LodLevel {
            indices: meshopt::optimize_vertex_cache(&indices, vertex_count),
            error,
        });
    }

    let bounds = mesh.bounds();
    Ok(LodMesh { mesh, levels, bounds })
}

/// The mesh with its vertices renumbered in the order `indices` first uses them (what
/// meshoptimizer's vertex fetch optimiser does), unused vertices dropped, and `indices` as its
/// index buffer.
fn reorder_for_fetch(mesh: &Mesh, indices: &[u32]) -> Mesh {
    const UNUSED: u32 = u32::MAX;
    let mut remap = vec![UNUSED; mesh.vertex_count()];
    let mut out = Mesh {
        positions: Vec::with_capacity(mesh.vertex_count()),
        normals: Vec::with_capacity(mesh.vertex_count()),
        indices: Vec::with_capacity(indices.len()),
    };
    for &old in indices {
        let slot = &mut remap[old as usize];
        if *slot == UNUSED {
            *slot = out.positions.len() as u32;
            out.positions.push(mesh.positions[old as usize]);
            out.normals.push(mesh.normals[old as usize]);
        }
        out.indices.push(*slot);
    }
    out
}

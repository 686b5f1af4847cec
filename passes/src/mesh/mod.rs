//! Meshes: indexed triangle lists in object space, made by the procedural generators
//! ([`shapes`]), loaded from glTF ([`gltf`]), and given LOD chains ([`lod`]).
//!
//! A [`Mesh`] is deliberately plain: positions, unit normals and `u32` indices, three a
//! triangle, counter-clockwise seen from outside. [`Mesh::validate`] states those rules as code;
//! the loader and the generators produce meshes that pass it, and [`lod::build_lods`] checks the
//! counts and index ranges before handing the data to meshoptimizer.

use glam::{Mat3, Mat4, Vec3};
use thiserror::Error;

pub mod gltf;
pub mod lod;
pub mod shapes;

/// An indexed triangle list: positions and unit normals per vertex, three indices a triangle
/// (counter-clockwise front faces, seen from outside).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Mesh {
    pub positions: Vec<Vec3>,
    pub normals: Vec<Vec3>,
    pub indices: Vec<u32>,
}

/// A bounding sphere.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Sphere {
    pub center: Vec3,
    pub radius: f32,
}

/// How far a normal's length may be from 1 and still count as a unit normal.
pub const NORMAL_LENGTH_TOLERANCE: f32 = 1e-3;

/// What [`Mesh::validate`] found wrong with a mesh.
#[derive(Clone, Debug, Error, PartialEq)]
pub enum MeshError {
    #[error("the mesh has {positions} positions but {normals} normals")]
    NormalCount { positions: usize, normals: usize },
    #[error("the mesh has {0} indices, which is not a multiple of 3")]
    IndexCount(usize),
    #[error("the mesh has {0} vertices, more than a `u32` index can reach")]
    TooManyVertices(usize),
    #[error("triangle {triangle} uses vertex {index}, but the mesh has {vertex_count} vertices")]
    IndexOutOfRange { triangle: usize, index: u32, vertex_count: usize },
    #[error("vertex {vertex} has a position that is not finite: {position}")]
    NonFinitePosition { vertex: usize, position: Vec3 },
    #[error("vertex {vertex} has a normal of length {length}, not a unit vector")]
    BadNormal { vertex: usize, length: f32 },
}

impl Mesh {
    /// The number of vertices.
    pub fn vertex_count(&self) -> usize {
        self.positions.len()
    }

    /// The number of triangles (`indices.len() / 3`).
    pub fn triangle_count(&self) -> usize {
        self.indices.len() / 3
    }

    /// Checks the rules every mesh of this crate keeps: one normal per position, a whole number
    /// of triangles, every index in range, finite positions and unit normals (within
    /// [`NORMAL_LENGTH_TOLERANCE`]).
    ///
    /// # Errors
    ///
    /// The first rule found broken, as a [`MeshError`] naming the vertex or triangle.
    pub fn validate(&self) -> Result<(), MeshError> {
        self.validate_topology()?;
        if let Some((vertex, &position)) =
            self.positions.iter().enumerate().find(|(_, p)| !p.is_finite())
        {
            return Err(MeshError::NonFinitePosition { vertex, position });
        }
        if let Some((vertex, length)) = self
            .normals
            .iter()
            .map(|n| n.length())
            .enumerate()
            .find(|(_, l)| !l.is_finite() || (l - 1.0).abs() > NORMAL_LENGTH_TOLERANCE)
        {
            return Err(MeshError::BadNormal { vertex, length });
        }
        Ok(())
    }

    /// The part of [`Mesh::validate`] that indexing code relies on: counts and index ranges.
    pub(crate) fn validate_topology(&self) -> Result<(), MeshError> {
        let vertex_count = self.positions.len();
        if self.normals.len() != vertex_count {
            return Err(MeshError::NormalCount {
                positions: vertex_count,
                normals: self.normals.len(),
            });
        }
        if !self.indices.len().is_multiple_of(3) {
            return Err(MeshError::IndexCount(self.indices.len()));
        }
        if u32::try_from(vertex_count).is_err() {
            return Err(MeshError::TooManyVertices(vertex_count));
        }
        if let Some((i, &index)) =
            self.indices.iter().enumerate().find(|(_, &index)| index as usize >= vertex_count)
        {
            return Err(MeshError::IndexOutOfRange { triangle: i / 3, index, vertex_count });
        }
        Ok(())
    }

    /// The three corner positions of each triangle.
    ///
    /// # Panics
    ///
    /// If an index is out of range (a mesh that fails [`Mesh::validate`]).
    pub fn triangles(&self) -> impl Iterator<Item = [Vec3; 3]> + '_ {
        self.indices.chunks_exact(3).map(|t| {
            [
                self.positions[t[0] as usize],
                self.positions[t[1] as usize],
                self.positions[t[2] as usize],
            ]
        })
    }

    /// A bounding sphere that contains every vertex (referenced or not): Ritter's sphere or the
    /// sphere around the box's centre, whichever is smaller, with its radius then set to the
    /// largest distance from the centre, so containment holds by construction. An empty mesh
    /// gives the zero sphere.
    pub fn bounds(&self) -> Sphere {
        let Some(&first) = self.positions.first() else {
            return Sphere::default();
        };
        let radius_around =
            |center: Vec3| self.positions.iter().map(|p| p.distance(center)).fold(0.0f32, f32::max);

        let (min, max) =
            self.positions.iter().fold((first, first), |(lo, hi), &p| (lo.min(p), hi.max(p)));
        let box_center = (min + max) * 0.5;

        // Ritter: start from two far-apart points, then grow to take in any point outside.
        let farthest_from = |from: Vec3| {
            self.positions
                .iter()
                .copied()
                .max_by(|a, b| a.distance_squared(from).total_cmp(&b.distance_squared(from)))
                .unwrap_or(from)
        };
        let a = farthest_from(first);
        let b = farthest_from(a);
        let mut center = (a + b) * 0.5;
        let mut radius = a.distance(b) * 0.5;
        for &p in &self.positions {
            let d = p.distance(center);
            if d > radius {
                let grown = (radius + d) * 0.5;
                center += (p - center) * ((grown - radius) / d);
                radius = grown;
            }
        }

        let ritter = Sphere { center, radius: radius_around(center) };
        let boxed = Sphere { center: box_center, radius: radius_around(box_center) };
        if ritter.radius <= boxed.radius {
            ritter
        } else {
            boxed
        }
    }

    /// The signed volume enclosed (summed in `f64`): positive for a closed mesh whose triangles
    /// face outwards, negative if they face inwards. Meaningless for open meshes.
    ///
    /// # Panics
    ///
    /// If an index is out of range (a mesh that fails [`Mesh::validate`]).
    pub fn signed_volume(&self) -> f32 {
        let sum: f64 = self.triangles().map(|[a, b, c]| f64::from(a.dot(b.cross(c)))).sum();
        (sum / 6.0) as f32
    }

    /// Replaces every normal by the average of the normals of the triangles that use the
    /// vertex, each weighted by the triangle's angle at that vertex (Thürmer & Wüthrich 1998),
    /// so shared vertices come out smooth, duplicated ones keep hard edges, and the result does
    /// not depend on how a flat face is split into triangles (area weights would tilt a
    /// prism's corner normal towards the side split into more triangles at that corner).
    /// A vertex no triangle uses, or whose triangles cancel out, gets +Y.
    ///
    /// # Panics
    ///
    /// If an index is out of range (a mesh that fails [`Mesh::validate`]).
    pub fn recompute_normals(&mut self) {
        let mut sums = vec![Vec3::ZERO; self.positions.len()];
        for t in self.indices.chunks_exact(3) {
            let corners = [0, 1, 2].map(|k| self.positions[t[k] as usize]);
            let face = (corners[1] - corners[0]).cross(corners[2] - corners[0]).normalize_or_zero();
            for k in 0..3 {
                let here = corners[k];
                let a = corners[(k + 1) % 3] - here;
                let b = corners[(k + 2) % 3] - here;
                let angle = a.cross(b).length().atan2(a.dot(b));
                sums[t[k] as usize] += face * angle;
            }
        }
        self.normals = sums.into_iter().map(|n| n.normalize_or(Vec3::Y)).collect();
    }

    /// This mesh with `transform` applied: positions by the matrix, normals by its normal
    /// matrix (the inverse transpose of the upper 3×3), renormalised. A transform that mirrors
    /// (negative determinant) also reverses each triangle's winding, so front faces stay
    /// counter-clockwise. A singular transform flattens the mesh; its normals then fall back to
    /// the transformed direction or +Y.
    pub fn transformed(&self, transform: &Mat4) -> Mesh {
        let linear = Mat3::from_mat4(*transform);
        let det = linear.determinant();
        let normal_matrix =
            if det != 0.0 && det.is_finite() { linear.inverse().transpose() } else { linear };
        let mut indices = self.indices.clone();
        if det < 0.0 {
            for t in indices.chunks_exact_mut(3) {
                t.swap(1, 2);
            }
        }
        Mesh {
            positions: self.positions.iter().map(|&p| transform.transform_point3(p)).collect(),
            normals: self
                .normals
                .iter()
                .map(|&n| (normal_matrix * n).normalize_or(Vec3::Y))
                .collect(),
            indices,
        }
    }

    /// Appends `other`'s vertices and triangles to this mesh (its indices offset past this
    /// mesh's vertices).
    ///
    /// # Panics
    ///
    /// If the merged mesh would have more vertices than a `u32` index can reach.
    pub fn append(&mut self, other: &Mesh) {
        let total = self.positions.len() + other.positions.len();
        assert!(
            u32::try_from(total).is_ok(),
            "Mesh::append: {total} vertices are more than u32 indices reach"
        );
        let base = self.positions.len() as u32;
        self.positions.extend_from_slice(&other.positions);
        self.normals.extend_from_slice(&other.normals);
        self.indices.extend(other.indices.iter().map(|&i| base + i));
    }
}

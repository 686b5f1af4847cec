//! Meshes: indexed triangle lists in object space, made by the procedural generators
//! ([`shapes`]), loaded from glTF ([`gltf`]), and given LOD chains ([`lod`]).

use glam::Vec3;

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

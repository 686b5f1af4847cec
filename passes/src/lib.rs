//! The pass library: techniques written as typed passes that declare themselves into a frame
//! graph and record through rg-vulkan's checked recorder.
//!
//! Each pass is a parameter struct with `In` and `Out` structs of graph handles; `add`
//! creates the pass's outputs, declares what it reads and writes, and records with the
//! handles those declarations returned. Declaring needs no device, so a pass's declarations
//! are testable without a GPU. Every pass's docs say what technique it implements and what
//! proves it right; the proofs compare against CPU references ([`reference`](mod@reference)).
//!
//! - [`scene`]: meshes with LOD chains and instances, packed into shared GPU buffers;
//! - [`camera`]: a reversed-Z infinite perspective camera and a scripted path;
//! - [`cull`]: frustum, LOD and two-phase Hi-Z occlusion culling into indirect draws;
//! - [`hiz`]: the depth pyramid;
//! - [`draw`]: drawing the culled instances;
//! - [`frame`]: the whole GPU-driven scene frame composed from them.
#![forbid(unsafe_code)]

pub mod camera;
pub mod cull;
pub mod describe;
pub mod draw;
pub mod frame;
pub mod hiz;
pub mod lighting;
pub mod lights;
pub mod mesh;
pub mod physics;
pub mod post;
pub mod reference;
pub mod scene;
pub mod shadow;
pub mod terrain;
pub mod terrain_draw;

/// The README's examples, compiled (and, where they need no GPU, run) as doctests, so they
/// cannot drift from the API. They live here, in the crate that depends on all the others.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

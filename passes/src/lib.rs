//! The pass library.
#![forbid(unsafe_code)]

pub mod mesh;

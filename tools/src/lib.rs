//! Tools around the frame graph: a bitmap font and the plan picture used by `rg-plan`.

#![forbid(unsafe_code)]

pub mod font;
pub mod picture;

//! rg-core: the frame graph with no GPU.
//!
//! A frame is declared as passes that read and write typed, versioned resource handles
//! ([`Graph`]). [`Compiler::compile`] turns the declarations into a [`Plan`]: the passes that are
//! needed, in an order, with the barriers, layout transitions, queue-ownership transfers and
//! cross-queue waits between them, and a placement of every transient in memory heaps where
//! transients whose lifetimes do not overlap share memory. The plan is plain data: `rg-vulkan`
//! executes it, [`oracle`] checks it, and it prints as text, JSON and Graphviz DOT.
//!
//! An access may name part of an image ([`ImageHandle::mip`], [`ImageHandle::layers`], ...):
//! versions stay per image, but barriers, layouts and the oracle then work per mip level and
//! layer, so a pyramid is built level by level and cascades are rendered layer by layer into one
//! array with exactly the barriers each needs.
//!
//! ```
//! use rg_core::*;
//!
//! let mut g: Graph = Graph::new(Extent::new(1280, 720));
//! let color = g.create_image("scene.color", ImageDesc::new(Format::Rgba16Float, Size::FULL));
//! let out = g.import_image(
//!     "swapchain",
//!     ImageDesc::new(Format::Bgra8Srgb, Size::FULL),
//!     ResourceState::swapchain_acquired(),
//!     ResourceState::present(),
//! );
//! let color = g.add_pass("scene.draw", QueueKind::Graphics).write(color, Access::ColorWrite);
//! let mut tonemap = g.add_pass("post.tonemap", QueueKind::Graphics);
//! tonemap.read(color, Access::Sampled(ShaderStages::FRAGMENT));
//! tonemap.write(out, Access::ColorWrite);
//! tonemap.finish();
//!
//! let plan = Compiler::new().compile(&g, &FakeMemory::default()).expect("a valid graph");
//! assert_eq!(plan.passes.len(), 2);
//! assert!(rg_core::oracle::check(&plan).is_empty());
//! ```

#![forbid(unsafe_code)]

pub mod access;
pub mod compile;
pub mod error;
pub mod gen;
pub mod graph;
mod key;
pub mod memory;
pub mod oracle;
pub mod plan;
pub mod print;
pub mod reference;
pub mod subresource;
pub mod types;

pub use access::{
    Access, AccessMask, Layout, ResourceKind, ResourceState, ShaderStages, StageMask, Usage,
};
pub use compile::{Compiled, Compiler};
pub use error::{CompileError, CompileErrors};
pub use graph::{
    BufferHandle, Graph, Handle, ImageHandle, Lifetime, PassBuilder, PassId, Site, Subresource,
};
pub use memory::{FakeMemory, MemoryOracle, MemoryRequirements, ResolvedImage};
pub use plan::{
    Barrier, Heap, OwnershipTransfer, Placement, Plan, PlanStats, PlannedAccess, PlannedPass,
    PlannedResource, TransferHalf, Wait, WaitPoint,
};
pub use types::{BufferDesc, Extent, Format, ImageDesc, Limits, QueueKind, Size};

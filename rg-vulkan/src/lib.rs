//! rg-vulkan: executes rg-core's compiled plans on Vulkan (ash).
//!
//! [`Context`] sets up an instance and device, with validation and synchronization validation
//! on in debug builds and tests. [`DeviceMemory`] answers rg-core's memory questions from the
//! device, so the aliasing plan fits it. [`Executor`] runs a compiled plan: it places transients
//! in heaps at the planned offsets, records the plan's barriers as `vkCmdPipelineBarrier2`
//! batches (one call per pass boundary at most) and calls each pass's recording closure with a
//! [`Recorder`] that only lets it touch what it declared.
//!
//! Passes record transfers, compute dispatches and draws with dynamic rendering; shaders are
//! GLSL compiled at first use and reflected. Frames in flight, swapchains, PNG readback, per-pass
//! GPU timestamps and profiling ([`profile`], Tracy behind the `tracy` feature) come with it,
//! and frame captures with RenderDoc ([`FrameCapture`]). Vulkan 1.3 devices are taken, and 1.2
//! devices with the extensions of what rg uses of 1.3 (see [`context`]).

#![warn(clippy::undocumented_unsafe_blocks, unsafe_op_in_unsafe_fn)]

pub mod context;
mod conv;
pub mod error;
pub mod executor;
pub mod memory;
pub mod pipeline;
pub mod profile;
pub mod readback;
pub mod recorder;
pub mod shader;
pub mod swapchain;
mod views;

pub use context::{Capabilities, Config, Context, Message, MessageLog, RawHandles};
pub use error::Error;
pub use executor::{
    Bindings, Buffer, Executor, ExecutorConfig, FrameCapture, FrameStats, GpuFrame, Image,
    MemoryUse, Pass, ShaderReload,
};
pub use memory::DeviceMemory;
pub use pipeline::{GraphicsDesc, Sampler, Topology};
pub use profile::{ProfileEvent, Profiler, Zone};
pub use recorder::{Recorder, Rendering};
pub use shader::{
    Binding, BindingKind, Fingerprint, Reflection, Shader, ShaderCompiler, SourceFile, Stage,
};
pub use swapchain::{Acquired, Swapchain};

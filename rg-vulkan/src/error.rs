//! Errors of the environment and of recording: no Vulkan loader, no suitable device, a failed
//! Vulkan call, a pass that touches what it did not declare or records commands in an order
//! Vulkan forbids. Each variant is one kind of failure; each names what failed and where (the
//! pass, the resource, the binding) and keeps its cause.

use ash::vk;

/// What went wrong while setting up or running Vulkan work.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The Vulkan loader (libvulkan.so.1) could not be loaded.
    #[error("the Vulkan loader could not be loaded: {0} (install libvulkan1; see tools/setup.sh)")]
    Loader(String),
    /// A Vulkan call failed.
    #[error("{call} failed for `{label}`: {result}")]
    Vulkan {
        call: &'static str,
        label: String,
        #[source]
        result: vk::Result,
    },
    /// No physical device offers what the framework needs.
    #[error("no Vulkan device fits: {0}")]
    NoDevice(String),
    /// A requested instance layer is not installed.
    #[error("the Vulkan layer {0} is not installed (install vulkan-validationlayers, or set RG_VALIDATION=0)")]
    MissingLayer(String),
    /// Device memory ran out.
    #[error("out of device memory allocating {bytes} bytes for `{label}`")]
    OutOfMemory { label: String, bytes: u64 },
    /// No memory type fits a resource.
    #[error("no memory type fits `{label}` (allowed types {bits:#b}, wanted {wanted:?})")]
    NoMemoryType { label: String, bits: u32, wanted: vk::MemoryPropertyFlags },
    /// The memory allocator failed for another reason than running out.
    #[error("allocating memory for `{label}` failed: {source}")]
    Allocator {
        label: String,
        #[source]
        source: gpu_allocator::AllocationError,
    },
    /// A pass recorded a command on a resource it did not declare, or declared differently.
    #[error("pass `{pass}` {what} `{resource}`, which it did not declare with a fitting access (declared: {declared})")]
    Undeclared { pass: String, resource: String, what: String, declared: String },
    /// A pass recorded with a handle of another graph (one captured from an earlier frame's).
    #[error("pass `{pass}` records with a handle of another graph (resource #{resource} v{version}): use the handles this frame's declarations returned")]
    ForeignHandle { pass: String, resource: usize, version: u32 },
    /// A pass recorded with a version of a resource it did not declare.
    #[error("pass `{pass}` records with `{resource}` v{used}, but declared {declared}")]
    StaleHandle { pass: String, resource: String, used: u32, declared: String },
    /// A pass named mip levels or layers of an image outside what it declared.
    #[error("pass `{pass}` {what} `{resource}` {used}, but declared {declared}")]
    OutsideDeclared { pass: String, resource: String, what: String, used: String, declared: String },
    /// A command named a resource that is not of the kind it needs in this frame.
    #[error("pass `{pass}`: {problem}")]
    NotInFrame { pass: String, problem: String },
    /// A command reached past the end of a buffer or image, or at a misaligned offset.
    #[error("pass `{pass}`: {problem}")]
    OutOfBounds { pass: String, problem: String },
    /// A command asked for more than a device limit allows.
    #[error("pass `{pass}`: {problem}")]
    OverLimit { pass: String, problem: String },
    /// Commands in an order Vulkan forbids: a draw outside rendering, a dispatch inside it, a
    /// draw with no pipeline, rendering begun twice.
    #[error("pass `{pass}`: {problem}")]
    CommandOrder { pass: String, problem: String },
    /// Push constants that do not match the bound pipeline's block.
    #[error("pass `{pass}`: {problem}")]
    PushConstants { pass: String, problem: String },
    /// Rendering with attachments that cannot go together, or none.
    #[error("pass `{pass}`: {problem}")]
    Attachments { pass: String, problem: String },
    /// A command on a resource that cannot take it (a clear of a depth image, a copy of a
    /// multisampled one).
    #[error("pass `{pass}`: {problem}")]
    Misuse { pass: String, problem: String },
    /// A shader failed to compile or to reflect.
    #[error("{file}:{line}: {message}")]
    Shader { file: String, line: u32, message: String },
    /// A pass bound a resource to a shader binding that does not take it, or left one unbound.
    #[error("pass `{pass}`: binding {binding} (`{name}`) {problem}")]
    Binding { pass: String, binding: u32, name: String, problem: String },
    /// The device lacks a feature or extension something needs.
    #[error("the device lacks {feature}, which {needed_by} needs")]
    MissingFeature { feature: String, needed_by: String },
    /// This build lacks an optional part.
    #[error("this build has no {feature} support: {how}")]
    NotBuilt { feature: &'static str, how: &'static str },
    /// A persistent image that cannot be made as asked.
    #[error("image `{label}`: {problem}")]
    InvalidImage { label: String, problem: String },
    /// A persistent buffer key that names no live buffer of this executor.
    #[error("the buffer is not (or no longer) one of this executor's")]
    UnknownBuffer,
    /// A host access to a buffer the host cannot see.
    #[error("buffer `{label}` is not host-visible")]
    NotHostVisible { label: String },
    /// More bytes written than a buffer holds.
    #[error("{bytes} bytes written to buffer `{label}` of {size} bytes")]
    TooMuchData { label: String, bytes: u64, size: u64 },
    /// A frame compiled against another memory model than the executor's device.
    #[error("the frame was compiled against another memory model than this executor's device (rg_core::FakeMemory, or another device's DeviceMemory), so its transients do not fit this device's memory: compile it with `Executor::memory()` or `DeviceMemory::new(&ctx)`")]
    ForeignPlan,
    /// An imported resource that is not bound, or bound to something unlike its declaration.
    #[error("imported resource `{label}` {problem}")]
    Import { label: String, problem: String },
    /// The frame graph does not compile; every mistake is listed.
    #[error("the frame graph does not compile:\n{0}")]
    Compile(#[from] rg_core::CompileErrors),
    /// An image or a file could not be written or read.
    #[error("{path}: {message}")]
    File { path: String, message: String },
    /// A pass's recording returned an error of its own.
    #[error("pass `{pass}` failed: {message}")]
    Pass { pass: String, message: String },
    /// A frame capture tool is not there, or a capture failed.
    #[error("frame capture: {0}")]
    CaptureTool(String),
    /// The windowing system failed (opening a display, creating a window).
    #[error("{what}: {message}")]
    Window { what: &'static str, message: String },
}

/// Maps a failed Vulkan call to an [`Error`], keeping the call and the label.
pub(crate) trait Check<T> {
    fn check(self, call: &'static str, label: &str) -> Result<T, Error>;
}

impl<T> Check<T> for Result<T, vk::Result> {
    fn check(self, call: &'static str, label: &str) -> Result<T, Error> {
        self.map_err(|result| Error::Vulkan { call, label: label.to_owned(), result })
    }
}

//! Errors of the environment: no Vulkan loader, no suitable device, a failed Vulkan call, a
//! pass that touches what it did not declare. Each names what failed and where.

use ash::vk;

/// What went wrong while setting up or running Vulkan work.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The Vulkan loader (libvulkan.so.1) could not be loaded.
    #[error("the Vulkan loader could not be loaded: {0} (install libvulkan1; see tools/setup.sh)")]
    Loader(String),
    /// A Vulkan call failed.
    #[error("{call} failed for `{label}`: {result}")]
    Vulkan { call: &'static str, label: String, result: vk::Result },
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
    /// A pass recorded a command on a resource it did not declare, or declared differently.
    #[error("pass `{pass}` {what} `{resource}`, which it did not declare with a fitting access (declared: {declared})")]
    Undeclared { pass: String, resource: String, what: String, declared: String },
    /// The graph or plan cannot run on this executor.
    #[error("{0}")]
    Unsupported(String),
    /// A shader failed to compile or to reflect.
    #[error("{file}:{line}: {message}")]
    Shader { file: String, line: u32, message: String },
    /// A pass bound a resource to a shader binding that does not take it, or left one unbound.
    #[error("pass `{pass}`: binding {binding} (`{name}`) {problem}")]
    Binding { pass: String, binding: u32, name: String, problem: String },
    /// The device lacks a feature or extension something needs.
    #[error("the device lacks {feature}, which {needed_by} needs")]
    MissingFeature { feature: String, needed_by: String },
    /// An image or a file could not be written or read.
    #[error("{path}: {message}")]
    File { path: String, message: String },
    /// A pass's recording returned an error of its own.
    #[error("pass `{pass}` failed: {message}")]
    Pass { pass: String, message: String },
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

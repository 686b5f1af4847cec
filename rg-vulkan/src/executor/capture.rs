//! Frame captures through RenderDoc's in-application API, for a program started under
//! RenderDoc.
//!
//! RenderDoc marks frames at presents, so a headless program has no frame to capture by
//! itself; [`FrameCapture`] brackets any run of submissions (a headless frame, or a windowed
//! frame from before its acquire to after its present) and writes the capture where the caller
//! says. The library is found at run time among those already loaded (the `renderdoc` crate
//! opens it with `RTLD_NOLOAD`), so nothing links against RenderDoc and a program not started
//! under it gets an error saying how to start it. The capture holds what the frame submitted,
//! with the pass labels as markers and the objects under their labels; run the executor
//! without aliasing ([`crate::ExecutorConfig::aliasing`]) so that every transient keeps its own
//! contents there.

use crate::context::Context;
use crate::error::Error;
use std::ffi::c_void;
use std::path::{Path, PathBuf};

/// RenderDoc, loaded in this process, capturing the frames of one [`Context`]'s device.
pub struct FrameCapture {
    api: renderdoc::RenderDoc<renderdoc::V141>,
    /// RenderDoc's key for the instance (`RENDERDOC_DEVICEPOINTER_FROM_VKINSTANCE`).
    instance_key: *const c_void,
    /// Where the capture in progress goes.
    path: Option<PathBuf>,
}

impl FrameCapture {
    /// RenderDoc's in-application API, when RenderDoc is loaded in this process (through its
    /// Vulkan layer, which the context's instance has loaded by now, or injected by
    /// `renderdoccmd capture`).
    ///
    /// # Errors
    /// [`Error::CaptureTool`] when RenderDoc is not loaded, saying how to start this program
    /// under it.
    pub fn new(ctx: &Context) -> Result<FrameCapture, Error> {
        let api = renderdoc::RenderDoc::<renderdoc::V141>::new().map_err(|e| {
            Error::CaptureTool(format!(
                "RenderDoc is not loaded in this process ({e}); start the program under it, \
                 either with its Vulkan layer: `ENABLE_VULKAN_RENDERDOC_CAPTURE=1 {cmd}` \
                 (Debian package librenderdoc), or with `renderdoccmd capture -w {cmd}` \
                 (Debian package renderdoccmd)",
                cmd = command_line()
            ))
        })?;
        let handle = ctx.instance.handle();
        // SAFETY: a dispatchable handle points at an object whose first word is the loader's
        // dispatch table pointer (the loader's ABI for layers); the instance is alive, and
        // RenderDoc keys its instance by that pointer (its DEVICEPOINTER_FROM_VKINSTANCE).
        let instance_key =
            unsafe { *(ash::vk::Handle::as_raw(handle) as usize as *const *const c_void) };
        Ok(FrameCapture { api, instance_key, path: None })
    }

    /// Starts capturing: what the device is sent from now until [`FrameCapture::end`] goes
    /// into a capture written to `path` (an `.rdc` file; its folder must exist).
    ///
    /// # Errors
    /// A capture already in progress, or a path RenderDoc cannot take (not UTF-8).
    pub fn start(&mut self, path: &Path) -> Result<(), Error> {
        if self.path.is_some() || self.api.is_frame_capturing() {
            return Err(Error::CaptureTool("a capture is already in progress".into()));
        }
        // RenderDoc names the file from a template and a suffix of its own
        // (`<template>_capture.rdc` in 1.24); `end` moves it to `path`.
        let template = path.with_extension("");
        if template.to_str().is_none_or(|t| t.contains('\0')) {
            return Err(Error::File {
                path: path.display().to_string(),
                message: "RenderDoc takes UTF-8 capture paths only".into(),
            });
        }
        self.api.set_capture_file_path_template(template);
        self.api.start_frame_capture(self.instance_key, std::ptr::null());
        self.path = Some(path.to_path_buf());
        Ok(())
    }

    /// Whether a capture is in progress.
    pub fn capturing(&self) -> bool {
        self.path.is_some()
    }

    /// Ends the capture [`FrameCapture::start`] began: RenderDoc waits for the device, writes
    /// the capture, and it is moved to the path given to `start`, which is returned.
    ///
    /// # Errors
    /// No capture in progress, RenderDoc wrote none, or it could not be moved.
    pub fn end(&mut self) -> Result<PathBuf, Error> {
        let path = self
            .path
            .take()
            .ok_or_else(|| Error::CaptureTool("no capture is in progress".into()))?;
        let before = self.api.get_num_captures();
        self.api.end_frame_capture(self.instance_key, std::ptr::null());
        let after = self.api.get_num_captures();
        let written = (after > before).then(|| self.api.get_capture(after - 1)).flatten();
        let Some((written, _)) = written else {
            return Err(Error::CaptureTool(format!(
                "RenderDoc wrote no capture for {}",
                path.display()
            )));
        };
        if written != path {
            std::fs::rename(&written, &path).map_err(|e| Error::File {
                path: path.display().to_string(),
                message: format!("cannot move RenderDoc's capture {} here: {e}", written.display()),
            })?;
        }
        Ok(path)
    }
}

impl Drop for FrameCapture {
    /// A capture still in progress (its frame failed) is thrown away.
    fn drop(&mut self) {
        if self.path.take().is_some() {
            self.api.discard_frame_capture(self.instance_key, std::ptr::null());
        }
    }
}

/// This program's command line, quoted where a shell needs it.
fn command_line() -> String {
    let quote = |a: String| {
        if !a.is_empty() && a.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:,+".contains(c)) {
            a
        } else {
            format!("'{}'", a.replace('\'', r"'\''"))
        }
    };
    std::env::args().map(quote).collect::<Vec<_>>().join(" ")
}

//! Headless targets: a graph's output image copied into a host-visible buffer by a pass of the
//! graph itself (so the copy is ordered by the plan's barriers like everything else), then
//! written as PNG with the image crate.

use crate::error::Error;
use crate::executor::Pass;
use rg_core::{
    Access, AccessMask, BufferDesc, BufferHandle, Format, Graph, ImageHandle, Layout, QueueKind,
    ResourceState, StageMask,
};
use std::path::Path;

/// The state an output image is left in after [`add_readback`] copied it.
pub const COPIED: ResourceState = ResourceState {
    layout: Some(Layout::TransferSrc),
    queue: QueueKind::Graphics,
    stages: StageMask::TRANSFER,
    access: AccessMask::TRANSFER_READ,
};

/// Adds a pass that copies `image` (one mip level and one layer, tightly packed) into an imported
/// host-readable buffer of `bytes` bytes, labelled `label`, and returns the buffer's final
/// version: bind it to a [`crate::MemoryUse::Readback`] buffer and read it after the frame.
pub fn add_readback(
    g: &mut Graph<Pass>,
    image: ImageHandle,
    label: &str,
    bytes: u64,
) -> BufferHandle {
    let host = ResourceState::host_read(QueueKind::Graphics);
    let buffer = g.import_buffer(label, BufferDesc::new(bytes), host, host);
    let mut p = g.add_pass("readback", QueueKind::Graphics);
    p.read(image, Access::CopySrc);
    let written = p.write(buffer, Access::CopyDst);
    p.record(Box::new(move |r: &mut crate::Recorder<'_>| r.copy_image_to_buffer(image, written)));
    written
}

/// Writes tightly packed texels of an 8-bit RGBA or BGRA image as an RGBA PNG.
///
/// # Errors
/// A format that is not 8-bit RGBA/BGRA, too few bytes, or the file cannot be written.
pub fn write_png(
    path: &Path,
    width: u32,
    height: u32,
    format: Format,
    texels: &[u8],
) -> Result<(), Error> {
    let file_error = |message: String| Error::File { path: path.display().to_string(), message };
    let bgra = match format {
        Format::Rgba8Unorm | Format::Rgba8Srgb => false,
        Format::Bgra8Unorm | Format::Bgra8Srgb => true,
        other => {
            return Err(file_error(format!(
                "cannot write {other:?} as PNG (8-bit RGBA or BGRA only)"
            )))
        }
    };
    let need = width as usize * height as usize * 4;
    if texels.len() < need {
        return Err(file_error(format!(
            "{} bytes for a {width}x{height} image that needs {need}",
            texels.len()
        )));
    }
    let mut rgba = texels[..need].to_vec();
    if bgra {
        for px in rgba.chunks_exact_mut(4) {
            px.swap(0, 2);
        }
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| file_error(e.to_string()))?;
    }
    // PNG whatever the file is called: the format is not guessed from the extension.
    image::save_buffer_with_format(
        path,
        &rgba,
        width,
        height,
        image::ExtendedColorType::Rgba8,
        image::ImageFormat::Png,
    )
    .map_err(|e| file_error(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The file is PNG whatever its name ends in: no extension, or one of another format.
    #[test]
    fn pngs_are_pngs_whatever_the_file_is_called() {
        let dir = std::env::temp_dir().join(format!("rg-png-{}", std::process::id()));
        let texels = [255u8, 0, 0, 255, 0, 255, 0, 255];
        for name in ["plain", "picture.jpg", "picture.png"] {
            let path = dir.join(name);
            write_png(&path, 2, 1, Format::Rgba8Unorm, &texels).expect("written");
            let bytes = std::fs::read(&path).unwrap();
            assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{name}");
        }
        // A directory is not a file to write.
        let e = write_png(&dir, 2, 1, Format::Rgba8Unorm, &texels).expect_err("refused");
        assert!(e.to_string().starts_with(&dir.display().to_string()), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

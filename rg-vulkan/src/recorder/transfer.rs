//! Transfers: fills, copies between buffers, clears, and copies between images and buffers.

use super::*;

impl Recorder<'_> {
    /// Fills the whole buffer with a 32-bit pattern. Needs `CopyDst` on it.
    ///
    /// # Errors
    /// The pass did not declare `CopyDst` on the buffer.
    pub fn fill_buffer(&mut self, h: BufferHandle, value: u32) -> Result<(), Error> {
        self.fill(self.idx(h)?, value)
    }

    /// [`Recorder::fill_buffer`] by resource index.
    ///
    /// # Errors
    /// As [`Recorder::fill_buffer`].
    pub fn fill(&mut self, resource: usize, value: u32) -> Result<(), Error> {
        self.declared_as(resource, |a| a == Access::CopyDst, "fills")?;
        let buffer = self.buffer(resource)?;
        // SAFETY: the buffer is alive for the frame and was declared as a copy destination, so
        // the plan's barriers order this write; the command buffer is recording.
        unsafe { self.device.cmd_fill_buffer(self.cmd, buffer, 0, vk::WHOLE_SIZE, value) };
        self.commands += 1;
        Ok(())
    }

    /// Copies `size` bytes (the smaller buffer's size when `None`) from `src` to `dst`. Needs
    /// `CopySrc` on `src` and `CopyDst` on `dst`.
    ///
    /// # Errors
    /// An undeclared buffer.
    pub fn copy_buffer(
        &mut self,
        src: BufferHandle,
        dst: BufferHandle,
        size: Option<u64>,
    ) -> Result<(), Error> {
        let src = self.idx(src)?;
        let dst = self.idx(dst)?;
        self.copy(src, dst, size)
    }

    /// [`Recorder::copy_buffer`] by resource index.
    ///
    /// # Errors
    /// As [`Recorder::copy_buffer`].
    pub fn copy(&mut self, src: usize, dst: usize, size: Option<u64>) -> Result<(), Error> {
        self.declared_as(src, |a| a == Access::CopySrc, "copies from")?;
        self.declared_as(dst, |a| a == Access::CopyDst, "copies to")?;
        let (s, d) = (self.buffer(src)?, self.buffer(dst)?);
        let (src_len, dst_len) = (self.size_of(src), self.size_of(dst));
        let size = size.unwrap_or(src_len.min(dst_len));
        if size == 0 || size > src_len || size > dst_len {
            return Err(Error::OutOfBounds {
                pass: self.pass.to_owned(),
                problem: format!(
                    "a copy of {size} bytes from `{}` ({} bytes) to `{}` ({} bytes)",
                    self.label(src),
                    src_len,
                    self.label(dst),
                    dst_len
                ),
            });
        }
        let region = [vk::BufferCopy { src_offset: 0, dst_offset: 0, size }];
        // SAFETY: both buffers are alive for the frame and declared with the matching accesses.
        unsafe { self.device.cmd_copy_buffer(self.cmd, s, d, &region) };
        self.commands += 1;
        Ok(())
    }

    /// Clears the declared part of a colour image (all of it unless the access named mips or
    /// layers, or `h` names a part of what was declared). Needs `CopyDst`.
    ///
    /// # Errors
    /// An undeclared image, or a depth image.
    pub fn clear_image(&mut self, h: ImageHandle, color: [f32; 4]) -> Result<(), Error> {
        let sub = h.subresource();
        let h = self.idx(h)?;
        let img = self.image(h)?;
        let declared = self.declared_part(h, sub, &img, |a| a == Access::CopyDst, "clears")?;
        if img.depth {
            return Err(Error::Misuse {
                pass: self.pass.to_owned(),
                problem: format!(
                    "clear_image on depth image `{}` (clear it with rendering instead)",
                    self.label(h)
                ),
            });
        }
        let range = crate::views::range(declared, img.aspect);
        let value = vk::ClearColorValue { float32: color };
        // SAFETY: the plan put the image in TRANSFER_DST_OPTIMAL for this CopyDst access.
        unsafe {
            self.device.cmd_clear_color_image(
                self.cmd,
                img.image,
                vk::ImageLayout::TRANSFER_DST_OPTIMAL,
                &value,
                &[range],
            )
        };
        self.commands += 1;
        Ok(())
    }

    /// Copies one mip level of an image (`src.mip(m)`, or the image's only level), all the
    /// layers its part names, into the start of a buffer, tightly packed, layer after layer.
    /// Needs `CopySrc` on the image and `CopyDst` on the buffer.
    ///
    /// # Errors
    /// An undeclared resource, a part outside the declaration or of several mips, or a buffer
    /// too small.
    pub fn copy_image_to_buffer(
        &mut self,
        src: ImageHandle,
        dst: BufferHandle,
    ) -> Result<(), Error> {
        let part = src.subresource();
        let src = self.idx(src)?;
        let dst = self.idx(dst)?;
        let img = self.image(src)?;
        let part = self.declared_part(src, part, &img, |a| a == Access::CopySrc, "copies from")?;
        self.declared_as(dst, |a| a == Access::CopyDst, "copies to")?;
        let buffer = self.buffer(dst)?;
        let region = self.image_region(&img, part, src, dst)?;
        // SAFETY: the plan put the image in TRANSFER_SRC_OPTIMAL for this access.
        unsafe {
            self.device.cmd_copy_image_to_buffer(
                self.cmd,
                img.image,
                vk::ImageLayout::TRANSFER_SRC_OPTIMAL,
                buffer,
                &[region],
            )
        };
        self.commands += 1;
        Ok(())
    }

    /// Copies a tightly packed buffer into one mip level of an image (the layers of the part
    /// `dst` names), as [`Recorder::copy_image_to_buffer`] lays them out.
    ///
    /// # Errors
    /// As [`Recorder::copy_image_to_buffer`].
    pub fn copy_buffer_to_image(
        &mut self,
        src: BufferHandle,
        dst: ImageHandle,
    ) -> Result<(), Error> {
        let part = dst.subresource();
        let src = self.idx(src)?;
        let dst = self.idx(dst)?;
        self.declared_as(src, |a| a == Access::CopySrc, "copies from")?;
        let img = self.image(dst)?;
        let part = self.declared_part(dst, part, &img, |a| a == Access::CopyDst, "copies to")?;
        let buffer = self.buffer(src)?;
        let region = self.image_region(&img, part, dst, src)?;
        // SAFETY: the plan put the image in TRANSFER_DST_OPTIMAL for this access.
        unsafe {
            self.device.cmd_copy_buffer_to_image(
                self.cmd,
                buffer,
                img.image,
                vk::ImageLayout::TRANSFER_DST_OPTIMAL,
                &[region],
            )
        };
        self.commands += 1;
        Ok(())
    }

    /// The copy of the first mip level of `part` (all its layers, tightly packed) to or from
    /// the start of `buffer`.
    pub(super) fn image_region(
        &self,
        img: &ImageRef,
        part: Subresource,
        image: usize,
        buffer: usize,
    ) -> Result<vk::BufferImageCopy, Error> {
        if part.mip_count != 1 {
            return Err(Error::Misuse {
                pass: self.pass.to_owned(),
                problem: format!(
                    "a copy moves one mip level, but `{}` is named as {part}: name one (`.mip(m)`)",
                    self.label(image)
                ),
            });
        }
        if img.samples > 1 {
            return Err(Error::Misuse {
                pass: self.pass.to_owned(),
                problem: format!(
                    "`{}` has {} samples a texel; a copy needs a single-sampled image \
                 (resolve it first)",
                    self.label(image),
                    img.samples
                ),
            });
        }
        let texel = img.texel_bytes as u64;
        let extent = Self::mip_extent(img, part.base_mip);
        let need = extent.width as u64 * extent.height as u64 * texel * part.layer_count as u64;
        let have = self.size_of(buffer);
        if have < need {
            return Err(Error::OutOfBounds {
                pass: self.pass.to_owned(),
                problem: format!(
                    "buffer `{}` holds {have} bytes but the image needs {need}",
                    self.label(buffer)
                ),
            });
        }
        Ok(vk::BufferImageCopy {
            buffer_offset: 0,
            buffer_row_length: 0,
            buffer_image_height: 0,
            image_subresource: vk::ImageSubresourceLayers {
                // A depth-stencil image's copies move its depth (one aspect a copy).
                aspect_mask: if img.depth { vk::ImageAspectFlags::DEPTH } else { img.aspect },
                mip_level: part.base_mip,
                base_array_layer: part.base_layer,
                layer_count: part.layer_count,
            },
            image_offset: vk::Offset3D::default(),
            image_extent: vk::Extent3D { width: extent.width, height: extent.height, depth: 1 },
        })
    }
}

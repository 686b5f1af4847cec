//! Dynamic rendering into the pass's declared attachments, and draws.

use super::*;

impl Recorder<'_> {
    /// Begins dynamic rendering into the pass's declared attachments: its colour attachments
    /// (`ColorWrite`, `ColorReadWrite`) in declaration order and its depth attachment, with
    /// viewport and scissor covering them.
    ///
    /// # Errors
    /// No attachment declared, attachments of different sizes, or rendering already begun.
    pub fn begin_rendering(&mut self, how: Rendering) -> Result<(), Error> {
        if self.rendering.is_some() {
            return Err(Error::CommandOrder {
                pass: self.pass.to_owned(),
                problem: "rendering begun twice".to_string(),
            });
        }
        let mut colors = Vec::new();
        let mut color_formats = Vec::new();
        let mut depth = None;
        let mut extent: Option<vk::Extent2D> = None;
        for a in self.declared {
            let (is_color, load) = match a.access {
                Access::ColorWrite if how.clear_color.is_some() => {
                    (true, vk::AttachmentLoadOp::CLEAR)
                }
                Access::ColorWrite => (true, vk::AttachmentLoadOp::DONT_CARE),
                Access::ColorReadWrite => (true, vk::AttachmentLoadOp::LOAD),
                Access::DepthWrite if how.clear_depth.is_some() => {
                    (false, vk::AttachmentLoadOp::CLEAR)
                }
                Access::DepthWrite => (false, vk::AttachmentLoadOp::DONT_CARE),
                Access::DepthRead | Access::DepthReadWrite => (false, vk::AttachmentLoadOp::LOAD),
                _ => continue,
            };
            let img = self.image(a.resource)?;
            let part = a.subresource;
            if part.mip_count != 1 || part.layer_count != 1 {
                return Err(Error::Attachments {
                    pass: self.pass.to_owned(),
                    problem: format!(
                        "attachment `{}` is declared as {part}; an attachment is one mip level of \
                         one layer (name it with `.mip(m).layer(l)`)",
                        self.label(a.resource)
                    ),
                });
            }
            let size = Self::mip_extent(&img, part.base_mip);
            if let Some(e) = extent {
                if e != size {
                    return Err(Error::Attachments {
                        pass: self.pass.to_owned(),
                        problem: format!(
                            "attachment `{}` is {}x{} but another is {}x{}",
                            self.label(a.resource),
                            size.width,
                            size.height,
                            e.width,
                            e.height
                        ),
                    });
                }
            }
            extent = Some(size);
            let label = self.plan.resources.get(a.resource).map_or("?", |r| &*r.label);
            let view = self.views.get(self.device, &img, part, img.aspect, false, label)?;
            let layout = crate::conv::layout(a.access.layout(img.depth));
            let store = if a.access == Access::DepthRead {
                vk::AttachmentStoreOp::NONE
            } else {
                vk::AttachmentStoreOp::STORE
            };
            let info = vk::RenderingAttachmentInfo::default()
                .image_view(view)
                .image_layout(layout)
                .load_op(load)
                .store_op(store);
            if is_color {
                let c = how.clear_color.unwrap_or([0.0; 4]);
                colors.push(
                    info.clear_value(vk::ClearValue { color: vk::ClearColorValue { float32: c } }),
                );
                color_formats.push(img.format);
            } else {
                let d = how.clear_depth.unwrap_or(0.0);
                depth = Some((
                    info.clear_value(vk::ClearValue {
                        depth_stencil: vk::ClearDepthStencilValue { depth: d, stencil: 0 },
                    }),
                    img.format,
                ));
            }
        }
        let Some(extent) = extent else {
            return Err(Error::Attachments {
                pass: self.pass.to_owned(),
                problem: "begin_rendering, but the pass declares no colour or depth attachment"
                    .to_string(),
            });
        };
        let area = vk::Rect2D { offset: vk::Offset2D::default(), extent };
        let mut info = vk::RenderingInfo::default()
            .render_area(area)
            .layer_count(1)
            .color_attachments(&colors);
        if let Some((d, _)) = &depth {
            info = info.depth_attachment(d);
        }
        let viewport = vk::Viewport {
            x: 0.0,
            y: 0.0,
            width: extent.width as f32,
            height: extent.height as f32,
            min_depth: 0.0,
            max_depth: 1.0,
        };
        // SAFETY: the attachments are in the layouts the plan's barriers put them in, alive for
        // the frame; the command buffer is recording outside any rendering.
        unsafe {
            self.device.cmd_begin_rendering(self.cmd, &info);
            self.device.cmd_set_viewport(self.cmd, 0, &[viewport]);
            self.device.cmd_set_scissor(self.cmd, 0, &[area]);
        }
        self.rendering = Some(RenderState {
            colors: color_formats,
            depth: depth.map_or(vk::Format::UNDEFINED, |(_, f)| f),
        });
        Ok(())
    }

    /// Ends the rendering begun by [`Recorder::begin_rendering`] (the executor also ends one a
    /// pass leaves open).
    pub fn end_rendering(&mut self) {
        self.finish();
    }

    /// Checks a count of indirect draws against the device's limit.
    pub(super) fn check_draw_count(&self, count: u32) -> Result<(), Error> {
        let max = self.pipelines.limits.max_draw_indirect_count;
        if count > max {
            return Err(Error::OverLimit {
                pass: self.pass.to_owned(),
                problem: format!(
                    "{count} indirect draws in one call is over the device's limit of {max}"
                ),
            });
        }
        Ok(())
    }

    pub(super) fn check_draw(&mut self) -> Result<(), Error> {
        if self.rendering.is_none() {
            return Err(Error::CommandOrder {
                pass: self.pass.to_owned(),
                problem: "a draw outside rendering (call begin_rendering first)".to_string(),
            });
        }
        self.flush_descriptors(vk::PipelineBindPoint::GRAPHICS)
    }

    /// Draws `vertices` vertices of `instances` instances (vertices are pulled by index).
    ///
    /// # Errors
    /// Outside rendering, no graphics pipeline, or an unbound binding.
    pub fn draw(&mut self, vertices: u32, instances: u32) -> Result<(), Error> {
        self.check_draw()?;
        // SAFETY: a graphics pipeline compatible with the rendering is bound.
        unsafe { self.device.cmd_draw(self.cmd, vertices, instances, 0, 0) };
        self.commands += 1;
        Ok(())
    }

    /// Draws with 32-bit indices from a buffer declared `IndexBuffer`.
    ///
    /// # Errors
    /// As [`Recorder::draw`], or the buffer is not declared as an index buffer.
    pub fn draw_indexed(
        &mut self,
        indices: BufferHandle,
        index_count: u32,
        instances: u32,
    ) -> Result<(), Error> {
        let indices = self.idx(indices)?;
        self.declared_as(indices, |a| a == Access::IndexBuffer, "draws indices from")?;
        let index_buffer = self.buffer(indices)?;
        self.check_draw()?;
        // SAFETY: as `draw`; the index buffer was declared.
        unsafe {
            self.device.cmd_bind_index_buffer(self.cmd, index_buffer, 0, vk::IndexType::UINT32);
            self.device.cmd_draw_indexed(self.cmd, index_count, instances, 0, 0, 0);
        }
        self.commands += 1;
        Ok(())
    }

    /// Draws `count` `VkDrawIndirectCommand`s read from a buffer declared `IndirectArgs`.
    ///
    /// # Errors
    /// As [`Recorder::draw`], or the buffer is not declared as indirect arguments.
    pub fn draw_indirect(
        &mut self,
        args: BufferHandle,
        offset: u64,
        count: u32,
    ) -> Result<(), Error> {
        let args = self.idx(args)?;
        self.declared_as(args, |a| a == Access::IndirectArgs, "draws from")?;
        let buffer = self.buffer(args)?;
        self.check_draw_count(count)?;
        self.check_range(args, "draw commands in", offset, count as u64, 16, 16)?;
        self.check_draw()?;
        // SAFETY: as `draw`; the argument buffer was declared and holds the commands.
        unsafe { self.device.cmd_draw_indirect(self.cmd, buffer, offset, count, 16) };
        self.commands += 1;
        Ok(())
    }

    /// Draws up to `max_count` commands from `args`, the count read from `count` at
    /// `count_offset` (both declared `IndirectArgs`).
    ///
    /// # Errors
    /// As [`Recorder::draw_indirect`].
    pub fn draw_indirect_count(
        &mut self,
        args: BufferHandle,
        offset: u64,
        count: BufferHandle,
        count_offset: u64,
        max_count: u32,
    ) -> Result<(), Error> {
        let args = self.idx(args)?;
        let count = self.idx(count)?;
        self.declared_as(args, |a| a == Access::IndirectArgs, "draws from")?;
        self.declared_as(count, |a| a == Access::IndirectArgs, "reads a draw count from")?;
        let (args_buffer, count_buffer) = (self.buffer(args)?, self.buffer(count)?);
        if !self.pipelines.limits.draw_indirect_count {
            return Err(Error::MissingFeature {
                feature: "drawIndirectCount".into(),
                needed_by: format!("pass `{}` (draw_indirect_count)", self.pass),
            });
        }
        self.check_range(args, "draw commands in", offset, max_count as u64, 16, 16)?;
        self.check_range(count, "the draw count in", count_offset, 1, 4, 4)?;
        self.check_draw()?;
        // SAFETY: as `draw_indirect`; the device has `drawIndirectCount` (enabled with it).
        unsafe {
            self.device.cmd_draw_indirect_count(
                self.cmd,
                args_buffer,
                offset,
                count_buffer,
                count_offset,
                max_count,
                16,
            )
        };
        self.commands += 1;
        Ok(())
    }

    /// Draws indexed geometry from `VkDrawIndexedIndirectCommand`s.
    ///
    /// # Errors
    /// As [`Recorder::draw_indirect`] and [`Recorder::draw_indexed`].
    pub fn draw_indexed_indirect(
        &mut self,
        indices: BufferHandle,
        args: BufferHandle,
        offset: u64,
        count: u32,
    ) -> Result<(), Error> {
        let indices = self.idx(indices)?;
        let args = self.idx(args)?;
        self.declared_as(indices, |a| a == Access::IndexBuffer, "draws indices from")?;
        self.declared_as(args, |a| a == Access::IndirectArgs, "draws from")?;
        let (index_buffer, args_buffer) = (self.buffer(indices)?, self.buffer(args)?);
        self.check_draw_count(count)?;
        self.check_range(args, "draw commands in", offset, count as u64, 20, 20)?;
        self.check_draw()?;
        // SAFETY: as `draw_indexed` and `draw_indirect`.
        unsafe {
            self.device.cmd_bind_index_buffer(self.cmd, index_buffer, 0, vk::IndexType::UINT32);
            self.device.cmd_draw_indexed_indirect(self.cmd, args_buffer, offset, count, 20)
        };
        self.commands += 1;
        Ok(())
    }
    /// Draws up to `max_count` `VkDrawIndexedIndirectCommand`s from `args`, the count read
    /// from `count` at `count_offset` (both declared `IndirectArgs`), with 32-bit indices from
    /// `indices` (declared `IndexBuffer`). This is how GPU-driven passes draw what a culling
    /// pass compacted.
    ///
    /// # Errors
    /// As [`Recorder::draw_indirect_count`] and [`Recorder::draw_indexed`].
    pub fn draw_indexed_indirect_count(
        &mut self,
        indices: BufferHandle,
        args: BufferHandle,
        offset: u64,
        count: BufferHandle,
        count_offset: u64,
        max_count: u32,
    ) -> Result<(), Error> {
        let indices = self.idx(indices)?;
        let args = self.idx(args)?;
        let count = self.idx(count)?;
        self.declared_as(indices, |a| a == Access::IndexBuffer, "draws indices from")?;
        self.declared_as(args, |a| a == Access::IndirectArgs, "draws from")?;
        self.declared_as(count, |a| a == Access::IndirectArgs, "reads a draw count from")?;
        let index_buffer = self.buffer(indices)?;
        let (args_buffer, count_buffer) = (self.buffer(args)?, self.buffer(count)?);
        if !self.pipelines.limits.draw_indirect_count {
            return Err(Error::MissingFeature {
                feature: "drawIndirectCount".into(),
                needed_by: format!("pass `{}` (draw_indexed_indirect_count)", self.pass),
            });
        }
        self.check_draw_count(max_count)?;
        self.check_range(args, "draw commands in", offset, max_count as u64, 20, 20)?;
        self.check_range(count, "the draw count in", count_offset, 1, 4, 4)?;
        self.check_draw()?;
        // SAFETY: as `draw_indexed_indirect`; the device has `drawIndirectCount` (enabled with
        // it), and both buffers hold what the checks above asked for.
        unsafe {
            self.device.cmd_bind_index_buffer(self.cmd, index_buffer, 0, vk::IndexType::UINT32);
            self.device.cmd_draw_indexed_indirect_count(
                self.cmd,
                args_buffer,
                offset,
                count_buffer,
                count_offset,
                max_count,
                20,
            )
        };
        self.commands += 1;
        Ok(())
    }
}

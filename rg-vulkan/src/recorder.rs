//! The safe recording API a pass's closure gets.
//!
//! Every command names resources by their graph handles, and every use is checked against what
//! the pass declared: a copy needs `CopySrc`/`CopyDst`, a binding needs an access that matches
//! the descriptor the shader declares (a written storage buffer needs a storage write, a
//! `texture2D` needs `Sampled`, in the stages that use it), an indirect draw needs `IndirectArgs`.
//! A mismatch is an error naming the pass, the binding and the resource; nothing is recorded.

use crate::error::Error;
use crate::pipeline::{GraphicsDesc, Pipelines, Sampler};
use crate::shader::BindingKind;
use crate::views::Views;
use ash::vk;
use rg_core::{Access, BufferHandle, ImageHandle, Plan, PlannedAccess, ShaderStages, Subresource};

/// A handle as a command names it: resource, version and graph.
#[derive(Clone, Copy)]
struct Used {
    resource: usize,
    version: u32,
    graph: u32,
}

impl From<ImageHandle> for Used {
    fn from(h: ImageHandle) -> Used {
        Used { resource: h.index(), version: h.version(), graph: h.graph() }
    }
}

impl From<BufferHandle> for Used {
    fn from(h: BufferHandle) -> Used {
        Used { resource: h.index(), version: h.version(), graph: h.graph() }
    }
}

/// An image as the frame sees it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ImageRef {
    pub image: vk::Image,
    pub view: vk::ImageView,
    pub format: vk::Format,
    pub aspect: vk::ImageAspectFlags,
    pub extent: vk::Extent2D,
    pub mip_levels: u32,
    pub array_layers: u32,
    pub depth: bool,
    pub texel_bytes: u32,
    pub samples: u32,
}

/// Resources of one frame, indexed like the plan's resources.
pub(crate) struct FrameResources {
    pub buffers: Vec<vk::Buffer>,
    pub buffer_sizes: Vec<u64>,
    pub images: Vec<Option<ImageRef>>,
}

/// What a colour attachment does at the start of rendering.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rendering {
    /// Clear colour for attachments declared `ColorWrite` (`None`: their contents start
    /// undefined and the pass must cover every pixel).
    pub clear_color: Option<[f32; 4]>,
    /// Clear depth for an attachment declared `DepthWrite`.
    pub clear_depth: Option<f32>,
}

impl Rendering {
    pub fn clear(color: [f32; 4]) -> Rendering {
        Rendering { clear_color: Some(color), clear_depth: Some(0.0) }
    }

    pub fn depth(mut self, depth: f32) -> Rendering {
        self.clear_depth = Some(depth);
        self
    }
}

/// Bindings of set 0 a pipeline may use: 0 to 31.
pub const MAX_BINDINGS: usize = 32;

#[derive(Clone, Copy)]
enum Slot {
    Buffer(vk::Buffer),
    Image { view: vk::ImageView, layout: vk::ImageLayout },
    Sampler(vk::Sampler),
}

struct RenderState {
    colors: Vec<vk::Format>,
    depth: vk::Format,
}

/// Records one pass's commands; every command is checked against what the pass declared.
pub struct Recorder<'a> {
    pub(crate) device: &'a ash::Device,
    pub(crate) push_descriptor: &'a ash::khr::push_descriptor::Device,
    pub(crate) cmd: vk::CommandBuffer,
    pub(crate) pass: &'a str,
    /// The id of the graph the pass belongs to: handles of another graph are refused.
    graph: u32,
    pub(crate) declared: &'a [PlannedAccess],
    pub(crate) plan: &'a Plan,
    pub(crate) frame: &'a FrameResources,
    pub(crate) pipelines: &'a mut Pipelines,
    views: &'a mut Views,
    pub(crate) bound: Option<usize>,
    /// What is bound to each binding of the bound pipeline (bindings are below
    /// [`MAX_BINDINGS`], checked when the pipeline is built).
    slots: [Option<Slot>; MAX_BINDINGS],
    rendering: Option<RenderState>,
    /// Bytes of push constants set since the bound pipeline was bound.
    pushed: u32,
    pub(crate) commands: u32,
}

impl<'a> Recorder<'a> {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        device: &'a ash::Device,
        push_descriptor: &'a ash::khr::push_descriptor::Device,
        cmd: vk::CommandBuffer,
        pass: &'a str,
        graph: u32,
        declared: &'a [PlannedAccess],
        plan: &'a Plan,
        frame: &'a FrameResources,
        pipelines: &'a mut Pipelines,
        views: &'a mut Views,
    ) -> Recorder<'a> {
        Recorder {
            device,
            push_descriptor,
            cmd,
            pass,
            graph,
            declared,
            plan,
            frame,
            pipelines,
            views,
            bound: None,
            slots: [None; MAX_BINDINGS],
            rendering: None,
            pushed: 0,
            commands: 0,
        }
    }

    /// Ends a rendering the pass left open.
    pub(crate) fn finish(&mut self) {
        if self.rendering.take().is_some() {
            // SAFETY: rendering was begun on this command buffer by this pass.
            unsafe { self.device.cmd_end_rendering(self.cmd) };
        }
    }

    fn label(&self, resource: usize) -> String {
        self.plan
            .resources
            .get(resource)
            .map_or_else(|| format!("#{resource}"), |r| r.label.to_string())
    }

    /// The resource a handle names, once it is known to be of this pass's graph and a version
    /// the pass declared: the version it reads, or for a write the version it writes over or
    /// the one it produces. A resource the pass did not declare at all is left to the access
    /// checks, which say what the pass declared.
    fn idx(&self, h: impl Into<Used>) -> Result<usize, Error> {
        let u: Used = h.into();
        if u.graph != self.graph {
            return Err(Error::ForeignHandle {
                pass: self.pass.to_owned(),
                resource: u.resource,
                version: u.version,
            });
        }
        let mut declared = self.declared.iter().filter(|a| a.resource == u.resource).peekable();
        if declared.peek().is_none() {
            return Ok(u.resource);
        }
        let mut versions = Vec::new();
        for a in declared {
            if a.version == u.version || (a.access.writes() && a.version + 1 == u.version) {
                return Ok(u.resource);
            }
            versions.push(if a.access.writes() {
                format!("v{} (written to v{})", a.version, a.version + 1)
            } else {
                format!("v{} (read)", a.version)
            });
        }
        Err(Error::StaleHandle {
            pass: self.pass.to_owned(),
            resource: self.label(u.resource),
            used: u.version,
            declared: versions.join(", "),
        })
    }

    fn declared_list(&self, resource: usize) -> String {
        let d: Vec<String> = self
            .declared
            .iter()
            .filter(|a| a.resource == resource)
            .map(|a| a.access.name())
            .collect();
        if d.is_empty() {
            "nothing".into()
        } else {
            d.join(", ")
        }
    }

    fn declared_as(
        &self,
        resource: usize,
        ok: impl Fn(Access) -> bool,
        what: &str,
    ) -> Result<Access, Error> {
        if let Some(a) = self.declared.iter().find(|a| a.resource == resource && ok(a.access)) {
            return Ok(a.access);
        }
        Err(Error::Undeclared {
            pass: self.pass.to_owned(),
            resource: self.label(resource),
            what: what.to_owned(),
            declared: self.declared_list(resource),
        })
    }

    /// The part of image `resource` a command works on: the declared access that fits `ok`
    /// and holds the part `used` names (resolved against the image), or, when `used` names all
    /// of the image, the part that access declared. A part outside every fitting declaration is
    /// an error naming both.
    fn declared_part(
        &self,
        resource: usize,
        used: Subresource,
        img: &ImageRef,
        ok: impl Fn(Access) -> bool,
        what: &str,
    ) -> Result<Subresource, Error> {
        let mut fitting = self.declared.iter().filter(|a| a.resource == resource && ok(a.access));
        let Some(first) = fitting.clone().next() else {
            self.declared_as(resource, ok, what)?;
            unreachable!("declared_as found no fitting access either");
        };
        if used == Subresource::ALL {
            return Ok(first.subresource);
        }
        let outside = |used: String| Error::OutsideDeclared {
            pass: self.pass.to_owned(),
            resource: self.label(resource),
            what: what.to_owned(),
            used,
            declared: self
                .declared
                .iter()
                .filter(|a| a.resource == resource)
                .map(|a| format!("{} ({})", a.access.name(), a.subresource))
                .collect::<Vec<_>>()
                .join(", "),
        };
        let Some(part) = used.resolve(img.mip_levels, img.array_layers) else {
            return Err(outside(format!(
                "{used} (it has {} mips and {} layers)",
                img.mip_levels, img.array_layers
            )));
        };
        let holds = |d: Subresource| {
            d.base_mip <= part.base_mip
                && part.base_mip + part.mip_count <= d.base_mip + d.mip_count
                && d.base_layer <= part.base_layer
                && part.base_layer + part.layer_count <= d.base_layer + d.layer_count
        };
        if fitting.any(|a| holds(a.subresource)) {
            Ok(part)
        } else {
            Err(outside(part.to_string()))
        }
    }

    /// The extent of mip `level` of an image.
    fn mip_extent(img: &ImageRef, level: u32) -> vk::Extent2D {
        vk::Extent2D {
            width: (img.extent.width >> level).max(1),
            height: (img.extent.height >> level).max(1),
        }
    }

    fn buffer(&self, resource: usize) -> Result<vk::Buffer, Error> {
        match self.frame.buffers.get(resource) {
            Some(&b) if b != vk::Buffer::null() => Ok(b),
            _ => Err(Error::NotInFrame {
                pass: self.pass.to_owned(),
                problem: format!("`{}` is not a buffer of this frame", self.label(resource)),
            }),
        }
    }

    /// Checks that `count` records of `stride` bytes (`bytes` for the last) starting at
    /// `offset` lie in the buffer `resource`, at an offset that is a multiple of 4.
    fn check_range(
        &self,
        resource: usize,
        what: &str,
        offset: u64,
        count: u64,
        stride: u64,
        bytes: u64,
    ) -> Result<(), Error> {
        let have = self.size_of(resource);
        let end = match count {
            0 => Some(offset),
            n => (n - 1).checked_mul(stride).and_then(|x| x.checked_add(offset + bytes)),
        };
        let reason = if !offset.is_multiple_of(4) {
            format!("offset {offset} is not a multiple of 4")
        } else if end.is_none_or(|e| e > have) {
            format!("{count} × {bytes} bytes from offset {offset} do not fit in its {have} bytes")
        } else {
            return Ok(());
        };
        Err(Error::OutOfBounds {
            pass: self.pass.to_owned(),
            problem: format!("{what} `{}`: {reason}", self.label(resource)),
        })
    }

    fn image(&self, resource: usize) -> Result<ImageRef, Error> {
        self.frame.images.get(resource).copied().flatten().ok_or_else(|| Error::NotInFrame {
            pass: self.pass.to_owned(),
            problem: format!("`{}` is not an image of this frame", self.label(resource)),
        })
    }

    /// The pass's declared accesses (resource indices into the plan), for passes that are
    /// driven by data rather than by typed handles.
    pub fn accesses(&self) -> &[PlannedAccess] {
        self.declared
    }

    /// Whether the plan's resource `resource` is an image of this frame.
    pub fn is_image(&self, resource: usize) -> bool {
        self.frame.images.get(resource).is_some_and(Option::is_some)
    }

    /// The size in bytes of a buffer of this frame.
    pub fn buffer_size(&self, h: BufferHandle) -> u64 {
        self.size_of(h.index())
    }

    /// The size in bytes of the plan's resource `resource` when it is a buffer, else 0.
    fn size_of(&self, resource: usize) -> u64 {
        self.frame.buffer_sizes.get(resource).copied().unwrap_or(0)
    }

    /// The extent of an image of this frame.
    pub fn image_extent(&self, h: ImageHandle) -> Option<(u32, u32)> {
        let i = self.frame.images.get(h.index()).copied().flatten()?;
        Some((i.extent.width, i.extent.height))
    }

    // ---- transfer -------------------------------------------------------------------------

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

    /// Clears a colour image (every mip and layer). Needs `CopyDst`.
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

    /// Copies mip 0, layer 0 of an image into a buffer, tightly packed. Needs `CopySrc` on the
    /// image and `CopyDst` on the buffer.
    ///
    /// # Errors
    /// An undeclared resource, or a buffer too small.
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

    /// Copies a tightly packed buffer into mip 0, layer 0 of an image.
    ///
    /// # Errors
    /// An undeclared resource, or a buffer too small.
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
    fn image_region(
        &self,
        img: &ImageRef,
        part: Subresource,
        image: usize,
        buffer: usize,
    ) -> Result<vk::BufferImageCopy, Error> {
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

    // ---- pipelines and bindings -------------------------------------------------------------

    /// Binds the compute pipeline of a shader under the shader root (built on first use).
    ///
    /// # Errors
    /// The shader fails to compile or reflect, or the pipeline cannot be built.
    pub fn compute(&mut self, shader: &str, defines: &[(&str, &str)]) -> Result<(), Error> {
        let p = match self.pipelines.find_compute(shader, defines) {
            Some(p) => p,
            None => {
                let defines: Vec<(String, String)> =
                    defines.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
                self.pipelines.compute(shader, &defines)?
            }
        };
        self.bind_pipeline(p);
        Ok(())
    }

    /// Binds a graphics pipeline for the rendering begun by [`Recorder::begin_rendering`].
    ///
    /// # Errors
    /// No rendering begun, or the shaders or pipeline fail.
    pub fn graphics(&mut self, desc: &GraphicsDesc) -> Result<(), Error> {
        let Some(r) = &self.rendering else {
            return Err(Error::CommandOrder {
                pass: self.pass.to_owned(),
                problem:
                    "a graphics pipeline is bound inside rendering (call begin_rendering first)"
                        .to_string(),
            });
        };
        let p = self.pipelines.graphics(desc, &r.colors.clone(), r.depth)?;
        self.bind_pipeline(p);
        Ok(())
    }

    fn bind_pipeline(&mut self, p: usize) {
        let pl = &self.pipelines.list[p];
        // SAFETY: a pipeline of this device; the command buffer is recording.
        unsafe { self.device.cmd_bind_pipeline(self.cmd, pl.bind_point, pl.pipeline) };
        let n = pl.slot_count;
        self.slots[..n].fill(None);
        self.bound = Some(p);
        self.pushed = 0;
    }

    /// The workgroup size of the bound compute pipeline.
    pub fn workgroup_size(&self) -> [u32; 3] {
        self.bound.map_or([1, 1, 1], |p| self.pipelines.list[p].workgroup_size)
    }

    /// The kind of `binding` in the bound pipeline and the stages that use it.
    fn binding_of(&self, binding: u32) -> Result<(BindingKind, ShaderStages), Error> {
        let Some(p) = self.bound else {
            return Err(Error::Binding {
                pass: self.pass.to_owned(),
                binding,
                name: "?".into(),
                problem: "is bound before any pipeline".into(),
            });
        };
        let pl = &self.pipelines.list[p];
        let position = pl.position.get(binding as usize).copied().unwrap_or(u8::MAX);
        match pl.bindings.get(position as usize) {
            Some(b) => Ok((b.binding.kind, b.stages)),
            None => Err(Error::Binding {
                pass: self.pass.to_owned(),
                binding,
                name: "-".into(),
                problem: format!("does not exist in `{}`", pl.label),
            }),
        }
    }

    /// Binds a buffer to a storage- or uniform-buffer binding of the bound pipeline.
    ///
    /// # Errors
    /// No such binding, the binding takes an image, or the pass declared the buffer with an
    /// access that does not match the shader's use.
    pub fn bind_buffer(&mut self, binding: u32, h: BufferHandle) -> Result<(), Error> {
        self.bind_buffer_index(binding, self.idx(h)?)
    }

    /// [`Recorder::bind_buffer`] by resource index.
    ///
    /// # Errors
    /// As [`Recorder::bind_buffer`].
    pub fn bind_buffer_index(&mut self, binding: u32, resource: usize) -> Result<(), Error> {
        let (kind, stages) = self.binding_of(binding)?;
        let fits = |a: Access| -> bool {
            match (kind, a) {
                (BindingKind::StorageBuffer { writes: true }, Access::StorageWrite(s))
                | (BindingKind::StorageBuffer { .. }, Access::StorageReadWrite(s))
                | (BindingKind::StorageBuffer { writes: false }, Access::StorageRead(s))
                | (BindingKind::UniformBuffer, Access::Uniform(s)) => s.contains(stages),
                _ => false,
            }
        };
        self.check_binding(binding, kind, stages, resource, false, fits)?;
        let slot = Slot::Buffer(self.buffer(resource)?);
        let limits = &self.pipelines.limits;
        let max = match kind {
            BindingKind::UniformBuffer => limits.max_uniform_buffer_range,
            _ => limits.max_storage_buffer_range,
        };
        let size = self.size_of(resource);
        if size > max as u64 {
            return Err(Error::Binding {
                pass: self.pass.to_owned(),
                binding,
                name: self.binding_name(binding),
                problem: format!(
                    "is a {} and takes at most {max} bytes on this device, but `{}` has {size}",
                    kind.name(),
                    self.label(resource)
                ),
            });
        }
        self.slots[binding as usize] = Some(slot);
        Ok(())
    }

    /// Binds an image to a storage-image or sampled-image binding of the bound pipeline.
    ///
    /// # Errors
    /// As [`Recorder::bind_buffer`].
    pub fn bind_image(&mut self, binding: u32, h: ImageHandle) -> Result<(), Error> {
        let resource = self.idx(h)?;
        self.bind_image_part(binding, resource, h.subresource())
    }

    /// [`Recorder::bind_image`] by resource index.
    ///
    /// # Errors
    /// As [`Recorder::bind_image`].
    pub fn bind_image_index(&mut self, binding: u32, resource: usize) -> Result<(), Error> {
        self.bind_image_part(binding, resource, Subresource::ALL)
    }

    /// Binds a view of exactly the part of the image the pass declared (or the part `used`
    /// names within it). Depth-stencil images are viewed through their depth aspect, as
    /// shaders read them.
    fn bind_image_part(
        &mut self,
        binding: u32,
        resource: usize,
        used: Subresource,
    ) -> Result<(), Error> {
        let (kind, stages) = self.binding_of(binding)?;
        let fits = |a: Access| -> bool {
            match (kind, a) {
                (BindingKind::StorageImage { writes: true, .. }, Access::StorageWrite(s))
                | (BindingKind::StorageImage { .. }, Access::StorageReadWrite(s))
                | (BindingKind::StorageImage { writes: false, .. }, Access::StorageRead(s))
                | (BindingKind::SampledImage, Access::Sampled(s)) => s.contains(stages),
                _ => false,
            }
        };
        let access = self.check_binding(binding, kind, stages, resource, true, fits)?;
        let img = self.image(resource)?;
        let part = self.declared_part(resource, used, &img, fits, "binds")?;
        let layout = crate::conv::layout(access.layout(img.depth));
        let aspect = if img.depth { vk::ImageAspectFlags::DEPTH } else { img.aspect };
        let label = self.label(resource);
        let view = self.views.get(self.device, &img, part, aspect, &label)?;
        self.slots[binding as usize] = Some(Slot::Image { view, layout });
        Ok(())
    }

    /// Binds one of the executor's samplers to a `sampler` binding.
    ///
    /// # Errors
    /// No such binding, the binding is not a sampler, or the device lacks the sampler
    /// (`Sampler::Min` needs `samplerFilterMinmax`).
    pub fn bind_sampler(&mut self, binding: u32, sampler: Sampler) -> Result<(), Error> {
        let (kind, _) = self.binding_of(binding)?;
        if kind != BindingKind::Sampler {
            return Err(Error::Binding {
                pass: self.pass.to_owned(),
                binding,
                name: self.binding_name(binding),
                problem: format!("is a {}, not a sampler", kind.name()),
            });
        }
        let s = self.pipelines.sampler(sampler).ok_or_else(|| Error::MissingFeature {
            feature: "samplerFilterMinmax".into(),
            needed_by: format!("pass `{}` (a min-reduction sampler)", self.pass),
        })?;
        self.slots[binding as usize] = Some(Slot::Sampler(s));
        Ok(())
    }

    /// The shader's name for `binding` of the bound pipeline, for messages.
    #[cold]
    fn binding_name(&self, binding: u32) -> String {
        self.bound
            .and_then(|p| {
                let pl = &self.pipelines.list[p];
                pl.bindings.iter().find(|b| b.binding.binding == binding)
            })
            .map_or_else(|| "-".into(), |b| b.binding.name.clone())
    }

    /// Checks that `resource` was declared by the pass with an access that `fits` the binding.
    fn check_binding(
        &self,
        binding: u32,
        kind: BindingKind,
        stages: ShaderStages,
        resource: usize,
        image: bool,
        fits: impl Fn(Access) -> bool,
    ) -> Result<Access, Error> {
        let is_image = matches!(kind, BindingKind::StorageImage { .. } | BindingKind::SampledImage);
        let err = |problem: String| Error::Binding {
            pass: self.pass.to_owned(),
            binding,
            name: self.binding_name(binding),
            problem,
        };
        if kind == BindingKind::Sampler || is_image != image {
            return Err(err(format!(
                "is a {} and cannot take {} `{}`",
                kind.name(),
                if image { "image" } else { "buffer" },
                self.label(resource)
            )));
        }
        match self.declared.iter().find(|a| a.resource == resource && fits(a.access)) {
            Some(a) => Ok(a.access),
            None => Err(err(format!(
                "is a {} used by the {} shader, but the pass declared `{}` as {}",
                kind.name(),
                stage_names(stages),
                self.label(resource),
                self.declared_list(resource)
            ))),
        }
    }

    /// Sets push constants from the start of the block.
    ///
    /// # Errors
    /// No pipeline bound, or more bytes than the shaders' push-constant block.
    pub fn push_constants(&mut self, bytes: &[u8]) -> Result<(), Error> {
        let Some(p) = self.bound else {
            return Err(Error::CommandOrder {
                pass: self.pass.to_owned(),
                problem: "push constants before any pipeline".to_string(),
            });
        };
        let pl = &self.pipelines.list[p];
        if bytes.len() as u32 > pl.push_bytes.next_multiple_of(4) || !bytes.len().is_multiple_of(4)
        {
            return Err(Error::PushConstants {
                pass: self.pass.to_owned(),
                problem: format!(
                    "{} bytes of push constants, but `{}` declares {} (a multiple of 4 is needed)",
                    bytes.len(),
                    pl.label,
                    pl.push_bytes
                ),
            });
        }
        if bytes.is_empty() {
            return Ok(());
        }
        // SAFETY: the range is within the layout's push-constant range, for its stages.
        unsafe { self.device.cmd_push_constants(self.cmd, pl.layout, pl.push_stages, 0, bytes) };
        self.pushed = self.pushed.max(bytes.len() as u32);
        Ok(())
    }

    /// [`Recorder::push_constants`] from 32-bit words.
    ///
    /// # Errors
    /// As [`Recorder::push_constants`].
    pub fn push_u32(&mut self, words: &[u32]) -> Result<(), Error> {
        self.push_words(words.iter().map(|w| w.to_le_bytes()))
    }

    /// [`Recorder::push_constants`] from floats.
    ///
    /// # Errors
    /// As [`Recorder::push_constants`].
    pub fn push_f32(&mut self, values: &[f32]) -> Result<(), Error> {
        self.push_words(values.iter().map(|v| v.to_le_bytes()))
    }

    /// Pushes 4-byte words: from the stack up to 64 of them (every block most devices allow),
    /// from the heap beyond.
    fn push_words(
        &mut self,
        words: impl ExactSizeIterator<Item = [u8; 4]> + Clone,
    ) -> Result<(), Error> {
        let n = words.len();
        if n > 64 {
            let bytes: Vec<u8> = words.flatten().collect();
            return self.push_constants(&bytes);
        }
        let mut bytes = [0u8; 256];
        for (chunk, w) in bytes.chunks_exact_mut(4).zip(words) {
            chunk.copy_from_slice(&w);
        }
        self.push_constants(&bytes[..n * 4])
    }

    /// Pushes the bound descriptors; every binding of the pipeline must be bound.
    fn flush_descriptors(&mut self, bind_point: vk::PipelineBindPoint) -> Result<(), Error> {
        if bind_point == vk::PipelineBindPoint::COMPUTE && self.rendering.is_some() {
            return Err(Error::CommandOrder {
                pass: self.pass.to_owned(),
                problem: "a dispatch inside rendering (dispatch before begin_rendering, or \
                 after end_rendering)"
                    .to_string(),
            });
        }
        let Some(p) = self.bound else {
            return Err(Error::CommandOrder {
                pass: self.pass.to_owned(),
                problem: "a draw or dispatch with no pipeline bound".to_string(),
            });
        };
        let pl = &self.pipelines.list[p];
        if pl.bind_point != bind_point {
            return Err(Error::CommandOrder {
                pass: self.pass.to_owned(),
                problem: format!(
                    "`{}` is not a {} pipeline",
                    pl.label,
                    if bind_point == vk::PipelineBindPoint::COMPUTE {
                        "compute"
                    } else {
                        "graphics"
                    }
                ),
            });
        }
        let (push_bytes, label) = (pl.push_bytes, &pl.label);
        if self.pushed < push_bytes {
            let e = Error::PushConstants {
                pass: self.pass.to_owned(),
                problem: format!(
                    "`{label}` declares {push_bytes} bytes of push constants, but {} were pushed \
                     since it was bound",
                    self.pushed
                ),
            };
            // An unbound binding is reported first: it is the likelier slip.
            self.push_bindings(p)?;
            return Err(e);
        }
        self.push_bindings(p)
    }

    fn push_bindings(&mut self, p: usize) -> Result<(), Error> {
        match self.pipelines.list[p].bindings.len() {
            0 => Ok(()),
            1..=8 => self.push_descriptors::<8>(p),
            _ => self.push_descriptors::<MAX_BINDINGS>(p),
        }
    }

    /// Pushes the descriptors of pipeline `p`, which has at most `N` bindings (small arrays for
    /// the common case keep this cheap: it runs for every draw and dispatch).
    fn push_descriptors<const N: usize>(&self, p: usize) -> Result<(), Error> {
        let pl = &self.pipelines.list[p];
        let n = pl.bindings.len();
        let mut buffer_infos = [vk::DescriptorBufferInfo::default(); N];
        let mut image_infos = [vk::DescriptorImageInfo::default(); N];
        for (k, b) in pl.bindings.iter().enumerate() {
            match self.slots[b.binding.binding as usize] {
                Some(Slot::Buffer(buffer)) => {
                    buffer_infos[k] = vk::DescriptorBufferInfo::default()
                        .buffer(buffer)
                        .offset(0)
                        .range(vk::WHOLE_SIZE)
                }
                Some(Slot::Image { view, layout }) => {
                    image_infos[k] =
                        vk::DescriptorImageInfo::default().image_view(view).image_layout(layout)
                }
                Some(Slot::Sampler(s)) => {
                    image_infos[k] = vk::DescriptorImageInfo::default().sampler(s)
                }
                None => {
                    return Err(Error::Binding {
                        pass: self.pass.to_owned(),
                        binding: b.binding.binding,
                        name: b.binding.name.clone(),
                        problem: format!("of `{}` is not bound", pl.label),
                    })
                }
            }
        }
        let mut writes = [vk::WriteDescriptorSet::default(); N];
        for (k, b) in pl.bindings.iter().enumerate() {
            let w = vk::WriteDescriptorSet::default()
                .dst_binding(b.binding.binding)
                .descriptor_type(crate::pipeline::descriptor_type(b.binding.kind));
            writes[k] = match self.slots[b.binding.binding as usize] {
                Some(Slot::Buffer(_)) => w.buffer_info(std::slice::from_ref(&buffer_infos[k])),
                _ => w.image_info(std::slice::from_ref(&image_infos[k])),
            };
        }
        let writes = &writes[..n];
        // SAFETY: the set layout was made for push descriptors and every write matches a
        // binding's type; the resources are alive for the frame.
        unsafe {
            self.push_descriptor.cmd_push_descriptor_set(
                self.cmd,
                pl.bind_point,
                pl.layout,
                0,
                writes,
            )
        };
        Ok(())
    }

    // ---- compute ----------------------------------------------------------------------------

    /// Dispatches workgroups.
    ///
    /// # Errors
    /// No compute pipeline bound, or a binding left unbound.
    pub fn dispatch(&mut self, x: u32, y: u32, z: u32) -> Result<(), Error> {
        let max = self.pipelines.limits.max_compute_work_group_count;
        if x > max[0] || y > max[1] || z > max[2] {
            return Err(Error::OverLimit {
                pass: self.pass.to_owned(),
                problem: format!(
                    "{x}×{y}×{z} workgroups is over the device's limit of {}×{}×{}",
                    max[0], max[1], max[2]
                ),
            });
        }
        self.flush_descriptors(vk::PipelineBindPoint::COMPUTE)?;
        // SAFETY: a compute pipeline and its descriptors are bound.
        unsafe { self.device.cmd_dispatch(self.cmd, x, y, z) };
        self.commands += 1;
        Ok(())
    }

    /// Dispatches enough workgroups to cover `x * y * z` invocations.
    ///
    /// # Errors
    /// As [`Recorder::dispatch`].
    pub fn dispatch_threads(&mut self, x: u32, y: u32, z: u32) -> Result<(), Error> {
        let [wx, wy, wz] = self.workgroup_size();
        self.dispatch(x.div_ceil(wx.max(1)), y.div_ceil(wy.max(1)), z.div_ceil(wz.max(1)))
    }

    /// Dispatches with arguments read from a buffer declared `IndirectArgs`.
    ///
    /// # Errors
    /// As [`Recorder::dispatch`], or the buffer is not declared as indirect arguments.
    pub fn dispatch_indirect(&mut self, args: BufferHandle, offset: u64) -> Result<(), Error> {
        let args = self.idx(args)?;
        self.declared_as(args, |a| a == Access::IndirectArgs, "dispatches from")?;
        let buffer = self.buffer(args)?;
        self.check_range(args, "dispatch arguments in", offset, 1, 12, 12)?;
        self.flush_descriptors(vk::PipelineBindPoint::COMPUTE)?;
        // SAFETY: a compute pipeline is bound; the buffer was declared as indirect arguments
        // and holds the arguments at `offset`.
        unsafe { self.device.cmd_dispatch_indirect(self.cmd, buffer, offset) };
        self.commands += 1;
        Ok(())
    }

    // ---- rendering --------------------------------------------------------------------------

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
            let label = self.label(a.resource);
            let view = self.views.get(self.device, &img, part, img.aspect, &label)?;
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
    fn check_draw_count(&self, count: u32) -> Result<(), Error> {
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

    fn check_draw(&mut self) -> Result<(), Error> {
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
}

fn stage_names(s: ShaderStages) -> String {
    let mut v = Vec::new();
    if s.contains(ShaderStages::VERTEX) {
        v.push("vertex");
    }
    if s.contains(ShaderStages::FRAGMENT) {
        v.push("fragment");
    }
    if s.contains(ShaderStages::COMPUTE) {
        v.push("compute");
    }
    v.join(" and ")
}

pub(crate) fn full_range(img: &ImageRef) -> vk::ImageSubresourceRange {
    vk::ImageSubresourceRange {
        aspect_mask: img.aspect,
        base_mip_level: 0,
        level_count: img.mip_levels,
        base_array_layer: 0,
        layer_count: img.array_layers,
    }
}

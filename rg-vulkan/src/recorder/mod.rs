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

mod binding;
mod compute;
mod rendering;
mod transfer;
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
    /// What the command buffer has bound at the compute and graphics bind points, across the
    /// frame's passes.
    bound_in_buffer: &'a mut [vk::Pipeline; 2],
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
        bound_in_buffer: &'a mut [vk::Pipeline; 2],
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
            bound_in_buffer,
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
        if used == Subresource::ALL {
            // A handle that names no part means the part the pass declared; when it declared
            // several, which one is meant must be said.
            return match fitting.find(|a| a.subresource != first.subresource) {
                None => Ok(first.subresource),
                Some(_) => Err(outside(
                    "(all of it, while the pass declared several parts; name one)".into(),
                )),
            };
        }
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

    /// The size in bytes of a buffer of this frame (0 for a handle of another graph).
    pub fn buffer_size(&self, h: BufferHandle) -> u64 {
        if h.graph() != self.graph {
            return 0;
        }
        self.size_of(h.index())
    }

    /// The size in bytes of the plan's resource `resource` when it is a buffer, else 0.
    fn size_of(&self, resource: usize) -> u64 {
        self.frame.buffer_sizes.get(resource).copied().unwrap_or(0)
    }

    /// The extent of an image of this frame (`None` for a handle of another graph).
    pub fn image_extent(&self, h: ImageHandle) -> Option<(u32, u32)> {
        if h.graph() != self.graph {
            return None;
        }
        let i = self.frame.images.get(h.index()).copied().flatten()?;
        Some((i.extent.width, i.extent.height))
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

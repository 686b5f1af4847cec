//! Pipelines built from reflected shaders, and cached.
//!
//! Every pipeline has one descriptor set layout (set 0) made for push descriptors, so a pass
//! binds resources with no descriptor pools, and one push-constant range covering what its
//! shaders declare. Graphics pipelines use dynamic rendering: their attachment formats come from
//! the rendering the pass began, and viewport and scissor are dynamic.

use crate::context::Capabilities;
use crate::error::{Check, Error};
use crate::shader::{Binding, BindingKind, Shader, ShaderCompiler, Stage};
use ash::vk;
use std::collections::HashMap;

/// Primitive topology of a graphics pipeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Topology {
    #[default]
    TriangleList,
    TriangleStrip,
    LineList,
    PointList,
}

/// How a graphics pipeline draws. Attachment formats are taken from the pass's rendering.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct GraphicsDesc {
    /// Vertex shader path under the shader root.
    pub vertex: String,
    /// Fragment shader path under the shader root.
    pub fragment: String,
    /// `#define`s given to both shaders.
    pub defines: Vec<(String, String)>,
    pub topology: Topology,
    /// Cull back faces (counter-clockwise front faces).
    pub cull_back: bool,
    /// Depth test with `GREATER_OR_EQUAL` (reversed Z) when set, `LESS_OR_EQUAL` otherwise.
    pub depth_test: Option<bool>,
    pub depth_write: bool,
    /// Alpha blending on every colour attachment.
    pub blend: bool,
}

impl GraphicsDesc {
    /// A vertex and fragment shader with no depth test, no culling, no blending.
    pub fn new(vertex: &str, fragment: &str) -> GraphicsDesc {
        GraphicsDesc {
            vertex: vertex.to_owned(),
            fragment: fragment.to_owned(),
            defines: Vec::new(),
            topology: Topology::TriangleList,
            cull_back: false,
            depth_test: None,
            depth_write: false,
            blend: false,
        }
    }

    /// Adds a `#define`.
    pub fn define(mut self, name: &str, value: &str) -> GraphicsDesc {
        self.defines.push((name.to_owned(), value.to_owned()));
        self
    }
}

/// A binding of a pipeline's set 0 and the stages that use it.
#[derive(Clone, Debug)]
pub(crate) struct PipelineBinding {
    pub binding: Binding,
    pub stages: rg_core::ShaderStages,
}

/// A built pipeline.
pub(crate) struct Pipeline {
    pub label: String,
    pub pipeline: vk::Pipeline,
    pub layout: vk::PipelineLayout,
    pub set_layout: vk::DescriptorSetLayout,
    pub bind_point: vk::PipelineBindPoint,
    pub bindings: Vec<PipelineBinding>,
    /// For each binding number, its position in `bindings` (`u8::MAX`: none), so that binding
    /// a resource is one lookup.
    pub position: [u8; crate::recorder::MAX_BINDINGS],
    /// One past the highest binding number.
    pub slot_count: usize,
    pub push_bytes: u32,
    pub push_stages: vk::ShaderStageFlags,
    pub workgroup_size: [u32; 3],
}

/// The position of each binding number in `bindings` (binding numbers are below
/// [`crate::recorder::MAX_BINDINGS`], checked when the layout is made).
fn positions(bindings: &[PipelineBinding]) -> [u8; crate::recorder::MAX_BINDINGS] {
    let mut position = [u8::MAX; crate::recorder::MAX_BINDINGS];
    for (k, b) in bindings.iter().enumerate() {
        if let Some(p) = position.get_mut(b.binding.binding as usize) {
            *p = k as u8;
        }
    }
    position
}

/// `#define`s a shader was compiled with.
type Defines = Vec<(String, String)>;

#[derive(Clone, PartialEq, Eq, Hash)]
enum Key {
    Compute(String, Vec<(String, String)>),
    Graphics(GraphicsDesc, Vec<vk::Format>, vk::Format),
}

/// Samplers every pass can bind by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Sampler {
    /// Linear filtering, clamped to the edge.
    Linear,
    /// Nearest texel, clamped to the edge.
    Nearest,
    /// The minimum of the texels a linear fetch covers (`samplerFilterMinmax`, for Hi-Z builds).
    Min,
}

/// The device limits that pipelines and the commands recorded with them are checked against.
#[derive(Clone, Copy, Debug)]
pub(crate) struct DeviceLimits {
    pub max_push_constants_size: u32,
    pub max_compute_work_group_count: [u32; 3],
    pub max_draw_indirect_count: u32,
    pub draw_indirect_count: bool,
    pub max_storage_buffer_range: u32,
    pub max_uniform_buffer_range: u32,
    pub storage_read_without_format: bool,
}

impl DeviceLimits {
    fn of(caps: &Capabilities) -> DeviceLimits {
        DeviceLimits {
            max_push_constants_size: caps.max_push_constants_size,
            max_compute_work_group_count: caps.max_compute_work_group_count,
            max_draw_indirect_count: caps.max_draw_indirect_count,
            draw_indirect_count: caps.draw_indirect_count,
            max_storage_buffer_range: caps.max_storage_buffer_range,
            max_uniform_buffer_range: caps.max_uniform_buffer_range,
            storage_read_without_format: caps.storage_read_without_format,
        }
    }
}

/// Builds and keeps pipelines and the shaders they came from.
pub(crate) struct Pipelines {
    pub limits: DeviceLimits,
    device: ash::Device,
    compiler: ShaderCompiler,
    shaders: HashMap<(String, Vec<(String, String)>), Shader>,
    keys: HashMap<Key, usize>,
    /// Compute pipelines by shader and defines, searched without allocating (a frame looks
    /// one up per pass).
    compute_index: Vec<(String, Defines, usize)>,
    pub list: Vec<Pipeline>,
    samplers: Vec<(Sampler, vk::Sampler)>,
}

impl Pipelines {
    pub fn new(
        device: ash::Device,
        compiler: ShaderCompiler,
        caps: &Capabilities,
    ) -> Result<Self, Error> {
        let minmax = caps.sampler_filter_minmax;
        let mut p = Pipelines {
            limits: DeviceLimits::of(caps),
            device,
            compiler,
            shaders: HashMap::new(),
            keys: HashMap::new(),
            compute_index: Vec::new(),
            list: Vec::new(),
            samplers: Vec::new(),
        };
        for kind in [Sampler::Linear, Sampler::Nearest, Sampler::Min] {
            if kind == Sampler::Min && !minmax {
                continue;
            }
            let filter =
                if kind == Sampler::Nearest { vk::Filter::NEAREST } else { vk::Filter::LINEAR };
            let mut reduction = vk::SamplerReductionModeCreateInfo::default()
                .reduction_mode(vk::SamplerReductionMode::MIN);
            let mut info = vk::SamplerCreateInfo::default()
                .mag_filter(filter)
                .min_filter(filter)
                .mipmap_mode(vk::SamplerMipmapMode::NEAREST)
                .address_mode_u(vk::SamplerAddressMode::CLAMP_TO_EDGE)
                .address_mode_v(vk::SamplerAddressMode::CLAMP_TO_EDGE)
                .address_mode_w(vk::SamplerAddressMode::CLAMP_TO_EDGE)
                .max_lod(vk::LOD_CLAMP_NONE);
            if kind == Sampler::Min {
                info = info.push_next(&mut reduction);
            }
            // SAFETY: valid create info; destroyed in Drop.
            let s = unsafe { p.device.create_sampler(&info, None) }
                .check("vkCreateSampler", &format!("{kind:?} sampler"))?;
            p.samplers.push((kind, s));
        }
        Ok(p)
    }

    pub fn sampler(&self, kind: Sampler) -> Option<vk::Sampler> {
        self.samplers.iter().find(|(k, _)| *k == kind).map(|(_, s)| *s)
    }

    fn shader(&mut self, path: &str, defines: &[(String, String)]) -> Result<&Shader, Error> {
        let key = (path.to_owned(), defines.to_vec());
        if !self.shaders.contains_key(&key) {
            let d: Vec<(&str, &str)> =
                defines.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
            let s = self.compiler.compile_file(path, &d)?;
            self.shaders.insert(key.clone(), s);
        }
        Ok(&self.shaders[&key])
    }

    /// The compute pipeline already built for `path` with `defines`.
    pub fn find_compute(&self, path: &str, defines: &[(&str, &str)]) -> Option<usize> {
        self.compute_index
            .iter()
            .find(|(p, d, _)| {
                p == path
                    && d.len() == defines.len()
                    && d.iter().zip(defines).all(|((a, b), (c, e))| a == c && b == e)
            })
            .map(|&(_, _, i)| i)
    }

    /// The index of the compute pipeline for `path` with `defines`, built on first use.
    pub fn compute(&mut self, path: &str, defines: &[(String, String)]) -> Result<usize, Error> {
        let key = Key::Compute(path.to_owned(), defines.to_vec());
        if let Some(&i) = self.keys.get(&key) {
            return Ok(i);
        }
        let shader = self.shader(path, defines)?.clone();
        if shader.reflection.stage != Stage::Compute {
            return Err(Error::Shader {
                file: shader.name,
                line: 0,
                message: "a compute pipeline needs a .comp shader".into(),
            });
        }
        let (set_layout, layout, bindings, push_bytes, push_stages) =
            self.layouts(path, &[&shader])?;
        let module = match self.module(&shader) {
            Ok(m) => m,
            Err(e) => {
                self.destroy_layouts(set_layout, layout);
                return Err(e);
            }
        };
        let stage = vk::PipelineShaderStageCreateInfo::default()
            .stage(vk::ShaderStageFlags::COMPUTE)
            .module(module)
            .name(c"main");
        let info = vk::ComputePipelineCreateInfo::default().stage(stage).layout(layout);
        // SAFETY: valid create info; the module may be destroyed once the pipeline exists.
        let made = unsafe {
            self.device.create_compute_pipelines(vk::PipelineCache::null(), &[info], None)
        };
        // SAFETY: the module is not used after pipeline creation.
        unsafe { self.device.destroy_shader_module(module, None) };
        let pipeline = match made {
            Ok(p) => p[0],
            Err((_, e)) => {
                self.destroy_layouts(set_layout, layout);
                return Err(Error::Vulkan {
                    call: "vkCreateComputePipelines",
                    label: path.to_owned(),
                    result: e,
                });
            }
        };
        self.list.push(Pipeline {
            label: path.to_owned(),
            pipeline,
            layout,
            set_layout,
            bind_point: vk::PipelineBindPoint::COMPUTE,
            position: positions(&bindings),
            slot_count: bindings.iter().map(|b| b.binding.binding as usize + 1).max().unwrap_or(0),
            bindings,
            push_bytes,
            push_stages,
            workgroup_size: shader.reflection.workgroup_size,
        });
        self.keys.insert(key, self.list.len() - 1);
        self.compute_index.push((path.to_owned(), defines.to_vec(), self.list.len() - 1));
        Ok(self.list.len() - 1)
    }

    /// The index of the graphics pipeline for `desc` rendering into these formats.
    pub fn graphics(
        &mut self,
        desc: &GraphicsDesc,
        colors: &[vk::Format],
        depth: vk::Format,
    ) -> Result<usize, Error> {
        let key = Key::Graphics(desc.clone(), colors.to_vec(), depth);
        if let Some(&i) = self.keys.get(&key) {
            return Ok(i);
        }
        let vs = self.shader(&desc.vertex, &desc.defines)?.clone();
        let fs = self.shader(&desc.fragment, &desc.defines)?.clone();
        for (s, want) in [(&vs, Stage::Vertex), (&fs, Stage::Fragment)] {
            if s.reflection.stage != want {
                return Err(Error::Shader {
                    file: s.name.clone(),
                    line: 0,
                    message: format!("expected a {} shader", want.name()),
                });
            }
        }
        let label = format!("{} + {}", desc.vertex, desc.fragment);
        let (set_layout, layout, bindings, push_bytes, push_stages) =
            self.layouts(&label, &[&vs, &fs])?;
        let vm = match self.module(&vs) {
            Ok(m) => m,
            Err(e) => {
                self.destroy_layouts(set_layout, layout);
                return Err(e);
            }
        };
        let fm = match self.module(&fs) {
            Ok(m) => m,
            Err(e) => {
                // SAFETY: unused module and layouts.
                unsafe { self.device.destroy_shader_module(vm, None) };
                self.destroy_layouts(set_layout, layout);
                return Err(e);
            }
        };
        let stages = [
            vk::PipelineShaderStageCreateInfo::default()
                .stage(vk::ShaderStageFlags::VERTEX)
                .module(vm)
                .name(c"main"),
            vk::PipelineShaderStageCreateInfo::default()
                .stage(vk::ShaderStageFlags::FRAGMENT)
                .module(fm)
                .name(c"main"),
        ];
        let vertex_input = vk::PipelineVertexInputStateCreateInfo::default();
        let topology = match desc.topology {
            Topology::TriangleList => vk::PrimitiveTopology::TRIANGLE_LIST,
            Topology::TriangleStrip => vk::PrimitiveTopology::TRIANGLE_STRIP,
            Topology::LineList => vk::PrimitiveTopology::LINE_LIST,
            Topology::PointList => vk::PrimitiveTopology::POINT_LIST,
        };
        let assembly = vk::PipelineInputAssemblyStateCreateInfo::default().topology(topology);
        let viewport =
            vk::PipelineViewportStateCreateInfo::default().viewport_count(1).scissor_count(1);
        let raster = vk::PipelineRasterizationStateCreateInfo::default()
            .polygon_mode(vk::PolygonMode::FILL)
            .cull_mode(if desc.cull_back {
                vk::CullModeFlags::BACK
            } else {
                vk::CullModeFlags::NONE
            })
            .front_face(vk::FrontFace::COUNTER_CLOCKWISE)
            .line_width(1.0);
        let multisample = vk::PipelineMultisampleStateCreateInfo::default()
            .rasterization_samples(vk::SampleCountFlags::TYPE_1);
        let depth_state = vk::PipelineDepthStencilStateCreateInfo::default()
            .depth_test_enable(desc.depth_test.is_some())
            .depth_write_enable(desc.depth_write)
            .depth_compare_op(if desc.depth_test == Some(true) {
                vk::CompareOp::GREATER_OR_EQUAL
            } else {
                vk::CompareOp::LESS_OR_EQUAL
            });
        let blend_one = vk::PipelineColorBlendAttachmentState::default()
            .blend_enable(desc.blend)
            .src_color_blend_factor(vk::BlendFactor::SRC_ALPHA)
            .dst_color_blend_factor(vk::BlendFactor::ONE_MINUS_SRC_ALPHA)
            .color_blend_op(vk::BlendOp::ADD)
            .src_alpha_blend_factor(vk::BlendFactor::ONE)
            .dst_alpha_blend_factor(vk::BlendFactor::ONE_MINUS_SRC_ALPHA)
            .alpha_blend_op(vk::BlendOp::ADD)
            .color_write_mask(vk::ColorComponentFlags::RGBA);
        let blends = vec![blend_one; colors.len()];
        let blend = vk::PipelineColorBlendStateCreateInfo::default().attachments(&blends);
        let dynamic = [vk::DynamicState::VIEWPORT, vk::DynamicState::SCISSOR];
        let dynamic = vk::PipelineDynamicStateCreateInfo::default().dynamic_states(&dynamic);
        let mut rendering = vk::PipelineRenderingCreateInfo::default()
            .color_attachment_formats(colors)
            .depth_attachment_format(depth);
        let info = vk::GraphicsPipelineCreateInfo::default()
            .stages(&stages)
            .vertex_input_state(&vertex_input)
            .input_assembly_state(&assembly)
            .viewport_state(&viewport)
            .rasterization_state(&raster)
            .multisample_state(&multisample)
            .depth_stencil_state(&depth_state)
            .color_blend_state(&blend)
            .dynamic_state(&dynamic)
            .layout(layout)
            .push_next(&mut rendering);
        // SAFETY: valid create info; every pointer in it outlives the call.
        let made = unsafe {
            self.device.create_graphics_pipelines(vk::PipelineCache::null(), &[info], None)
        };
        // SAFETY: modules are not needed once the pipeline exists.
        unsafe {
            self.device.destroy_shader_module(vm, None);
            self.device.destroy_shader_module(fm, None);
        }
        let pipeline = match made {
            Ok(p) => p[0],
            Err((_, e)) => {
                self.destroy_layouts(set_layout, layout);
                return Err(Error::Vulkan { call: "vkCreateGraphicsPipelines", label, result: e });
            }
        };
        self.list.push(Pipeline {
            label,
            pipeline,
            layout,
            set_layout,
            bind_point: vk::PipelineBindPoint::GRAPHICS,
            position: positions(&bindings),
            slot_count: bindings.iter().map(|b| b.binding.binding as usize + 1).max().unwrap_or(0),
            bindings,
            push_bytes,
            push_stages,
            workgroup_size: [1, 1, 1],
        });
        self.keys.insert(key, self.list.len() - 1);
        Ok(self.list.len() - 1)
    }

    fn module(&self, shader: &Shader) -> Result<vk::ShaderModule, Error> {
        let info = vk::ShaderModuleCreateInfo::default().code(&shader.spirv);
        // SAFETY: SPIR-V from shaderc; destroyed right after pipeline creation.
        unsafe { self.device.create_shader_module(&info, None) }
            .check("vkCreateShaderModule", &shader.name)
    }

    #[allow(clippy::type_complexity)]
    fn layouts(
        &self,
        label: &str,
        shaders: &[&Shader],
    ) -> Result<
        (
            vk::DescriptorSetLayout,
            vk::PipelineLayout,
            Vec<PipelineBinding>,
            u32,
            vk::ShaderStageFlags,
        ),
        Error,
    > {
        let mut merged: Vec<PipelineBinding> = Vec::new();
        let mut push_bytes = 0;
        let mut push_stages = vk::ShaderStageFlags::empty();
        for s in shaders {
            if s.reflection.reads_storage_without_format && !self.limits.storage_read_without_format
            {
                return Err(Error::MissingFeature {
                    feature: "shaderStorageImageReadWithoutFormat".into(),
                    needed_by: format!(
                        "shader `{}` (it reads a storage image declared without a format; give \
                         the image one, for example `layout(r32f)`)",
                        s.name
                    ),
                });
            }
            let (ours, flag) = match s.reflection.stage {
                Stage::Vertex => (rg_core::ShaderStages::VERTEX, vk::ShaderStageFlags::VERTEX),
                Stage::Fragment => {
                    (rg_core::ShaderStages::FRAGMENT, vk::ShaderStageFlags::FRAGMENT)
                }
                Stage::Compute => (rg_core::ShaderStages::COMPUTE, vk::ShaderStageFlags::COMPUTE),
            };
            if s.reflection.push_constant_bytes > 0 {
                push_bytes = push_bytes.max(s.reflection.push_constant_bytes);
                push_stages |= flag;
            }
            for b in &s.reflection.bindings {
                match merged.iter_mut().find(|m| m.binding.binding == b.binding) {
                    Some(m) if descriptor_type(m.binding.kind) != descriptor_type(b.kind) => {
                        return Err(Error::Shader {
                            file: s.name.clone(),
                            line: 0,
                            message: format!(
                                "binding {} is a {} here but a {} in another stage",
                                b.binding,
                                b.kind.name(),
                                m.binding.kind.name()
                            ),
                        })
                    }
                    Some(m) => {
                        // One descriptor; a stage that writes through it makes it written.
                        m.binding.kind = m.binding.kind.merged(b.kind);
                        m.stages |= ours;
                    }
                    None => merged.push(PipelineBinding { binding: b.clone(), stages: ours }),
                }
            }
        }
        merged.sort_by_key(|m| m.binding.binding);
        if push_bytes > self.limits.max_push_constants_size {
            return Err(Error::Shader {
                file: label.to_owned(),
                line: 0,
                message: format!(
                    "a push-constant block of {push_bytes} bytes is over the device's limit of {}",
                    self.limits.max_push_constants_size
                ),
            });
        }
        if let Some(m) =
            merged.iter().find(|m| m.binding.binding as usize >= crate::recorder::MAX_BINDINGS)
        {
            return Err(Error::Shader {
                file: label.to_owned(),
                line: 0,
                message: format!(
                    "binding {} (`{}`): passes bind at most {} bindings, numbered from 0",
                    m.binding.binding,
                    m.binding.name,
                    crate::recorder::MAX_BINDINGS
                ),
            });
        }
        let vk_bindings: Vec<vk::DescriptorSetLayoutBinding> = merged
            .iter()
            .map(|m| {
                vk::DescriptorSetLayoutBinding::default()
                    .binding(m.binding.binding)
                    .descriptor_type(descriptor_type(m.binding.kind))
                    .descriptor_count(1)
                    .stage_flags(stage_flags(m.stages))
            })
            .collect();
        let info = vk::DescriptorSetLayoutCreateInfo::default()
            .flags(vk::DescriptorSetLayoutCreateFlags::PUSH_DESCRIPTOR_KHR)
            .bindings(&vk_bindings);
        // SAFETY: valid create info; destroyed with the pipeline.
        let set_layout = unsafe { self.device.create_descriptor_set_layout(&info, None) }
            .check("vkCreateDescriptorSetLayout", label)?;
        let ranges = [vk::PushConstantRange::default()
            .stage_flags(push_stages)
            .offset(0)
            .size(push_bytes.next_multiple_of(4))];
        let set_layouts = [set_layout];
        let mut info = vk::PipelineLayoutCreateInfo::default().set_layouts(&set_layouts);
        if push_bytes > 0 {
            info = info.push_constant_ranges(&ranges);
        }
        // SAFETY: valid create info.
        let layout = match unsafe { self.device.create_pipeline_layout(&info, None) } {
            Ok(l) => l,
            Err(e) => {
                // SAFETY: unused.
                unsafe { self.device.destroy_descriptor_set_layout(set_layout, None) };
                return Err(Error::Vulkan {
                    call: "vkCreatePipelineLayout",
                    label: label.to_owned(),
                    result: e,
                });
            }
        };
        Ok((set_layout, layout, merged, push_bytes, push_stages))
    }

    fn destroy_layouts(&self, set_layout: vk::DescriptorSetLayout, layout: vk::PipelineLayout) {
        // SAFETY: neither is used by a pipeline or a command buffer.
        unsafe {
            self.device.destroy_pipeline_layout(layout, None);
            self.device.destroy_descriptor_set_layout(set_layout, None);
        }
    }
}

impl Drop for Pipelines {
    fn drop(&mut self) {
        // SAFETY: the executor waits for the device before dropping its pipelines.
        unsafe {
            for p in self.list.drain(..) {
                self.device.destroy_pipeline(p.pipeline, None);
                self.device.destroy_pipeline_layout(p.layout, None);
                self.device.destroy_descriptor_set_layout(p.set_layout, None);
            }
            for (_, s) in self.samplers.drain(..) {
                self.device.destroy_sampler(s, None);
            }
        }
    }
}

pub(crate) fn descriptor_type(kind: BindingKind) -> vk::DescriptorType {
    match kind {
        BindingKind::StorageBuffer { .. } => vk::DescriptorType::STORAGE_BUFFER,
        BindingKind::UniformBuffer => vk::DescriptorType::UNIFORM_BUFFER,
        BindingKind::StorageImage { .. } => vk::DescriptorType::STORAGE_IMAGE,
        BindingKind::SampledImage => vk::DescriptorType::SAMPLED_IMAGE,
        BindingKind::Sampler => vk::DescriptorType::SAMPLER,
    }
}

pub(crate) fn stage_flags(s: rg_core::ShaderStages) -> vk::ShaderStageFlags {
    let mut out = vk::ShaderStageFlags::empty();
    if s.contains(rg_core::ShaderStages::VERTEX) {
        out |= vk::ShaderStageFlags::VERTEX;
    }
    if s.contains(rg_core::ShaderStages::FRAGMENT) {
        out |= vk::ShaderStageFlags::FRAGMENT;
    }
    if s.contains(rg_core::ShaderStages::COMPUTE) {
        out |= vk::ShaderStageFlags::COMPUTE;
    }
    out
}

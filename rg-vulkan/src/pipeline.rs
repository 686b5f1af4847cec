//! Pipelines built from reflected shaders, and cached.
//!
//! Every pipeline has one descriptor set layout (set 0) made for push descriptors, so a pass
//! binds resources with no descriptor pools, and one push-constant range covering what its
//! shaders declare. Graphics pipelines use dynamic rendering: their attachment formats come from
//! the rendering the pass began, and viewport and scissor are dynamic.
//!
//! Each pipeline keeps what it was built from (its key and its shaders' places in the cache), so
//! a shader reload (executor/reload.rs) can build it again from new shaders and put it at the
//! same index of `Pipelines::list`.

use crate::context::Capabilities;
use crate::error::{Check, Error};
use crate::shader::{Binding, BindingKind, Fingerprint, Shader, ShaderCompiler, Sources, Stage};
use ash::vk;
use std::collections::HashMap;
use std::path::PathBuf;

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
pub(crate) enum Key {
    Compute(String, Vec<(String, String)>),
    Graphics(GraphicsDesc, Vec<vk::Format>, vk::Format),
}

impl Key {
    pub(crate) fn label(&self) -> String {
        match self {
            Key::Compute(path, _) => path.clone(),
            Key::Graphics(desc, ..) => format!("{} + {}", desc.vertex, desc.fragment),
        }
    }
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

/// A shader in the cache: the last build that compiled, and what the last compile read.
pub(crate) struct CachedShader {
    pub path: String,
    pub defines: Defines,
    pub shader: Shader,
    /// The files the last compile read, with their content hashes, and those it looked for and
    /// did not find (`None`). The shader is compiled again when one of them changes. After a
    /// failed reload these are the failed compile's, so it is tried again only once they change.
    pub seen: Vec<(PathBuf, Option<u64>)>,
}

impl CachedShader {
    /// The name reloads report: the path under the shader root, and its defines if any.
    pub(crate) fn name(&self) -> String {
        if self.defines.is_empty() {
            return self.path.clone();
        }
        let d: Vec<String> = self.defines.iter().map(|(k, v)| format!("{k}={v}")).collect();
        format!("{} [{}]", self.path, d.join(", "))
    }
}

/// A source file polled for changes, once however many shaders read it.
pub(crate) struct Watched {
    /// The fingerprint at the last poll (`None`: the file could not be stat'ed).
    pub fingerprint: Option<Fingerprint>,
    /// The hash of its contents read when the fingerprint last changed (`None`: unreadable).
    pub hash: Option<u64>,
    /// The shaders (indices into `Pipelines::shaders`) whose last compile read or sought it.
    pub users: Vec<usize>,
}

/// What a pipeline was built from, to build it again when one of its shaders changes.
pub(crate) struct Recipe {
    pub key: Key,
    /// Its shaders (indices into `Pipelines::shaders`): the compute shader, or the vertex and
    /// fragment shaders.
    pub shaders: Vec<usize>,
}

/// A pipeline layout as shaders declare it.
struct LayoutDesc {
    bindings: Vec<PipelineBinding>,
    push_bytes: u32,
    push_stages: vk::ShaderStageFlags,
}

impl LayoutDesc {
    fn matches(&self, p: &Pipeline) -> bool {
        self.push_bytes == p.push_bytes
            && self.push_stages == p.push_stages
            && self.bindings.len() == p.bindings.len()
            && self
                .bindings
                .iter()
                .zip(&p.bindings)
                .all(|(a, b)| a.binding == b.binding && a.stages == b.stages)
    }
}

/// Builds and keeps pipelines and the shaders they came from.
pub(crate) struct Pipelines {
    pub limits: DeviceLimits,
    pub(crate) device: ash::Device,
    pub(crate) compiler: ShaderCompiler,
    pub(crate) shaders: Vec<CachedShader>,
    shader_index: HashMap<(String, Defines), usize>,
    /// Every file some cached shader read, polled by `Pipelines::reload` (executor/reload.rs).
    pub(crate) watch: HashMap<PathBuf, Watched>,
    keys: HashMap<Key, usize>,
    /// Compute pipelines by shader and defines, searched without allocating (a frame looks
    /// one up per pass).
    compute_index: Vec<(String, Defines, usize)>,
    /// Indices stay: a reload replaces a pipeline in place.
    pub list: Vec<Pipeline>,
    /// How each pipeline of `list` was built, at the same index.
    pub(crate) recipes: Vec<Recipe>,
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
            shaders: Vec::new(),
            shader_index: HashMap::new(),
            watch: HashMap::new(),
            keys: HashMap::new(),
            compute_index: Vec::new(),
            list: Vec::new(),
            recipes: Vec::new(),
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

    /// The index of the cached shader for `path` with `defines`, compiled on first use.
    fn shader(&mut self, path: &str, defines: &[(String, String)]) -> Result<usize, Error> {
        let key = (path.to_owned(), defines.to_vec());
        if let Some(&i) = self.shader_index.get(&key) {
            return Ok(i);
        }
        let d: Vec<(&str, &str)> = defines.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        let (shader, sources) = self.compiler.compile_file_tracked(path, &d);
        let shader = shader?;
        let i = self.shaders.len();
        let seen = self.watch_sources(i, sources);
        self.shaders.push(CachedShader {
            path: key.0.clone(),
            defines: key.1.clone(),
            shader,
            seen,
        });
        self.shader_index.insert(key, i);
        Ok(i)
    }

    /// Adds shader `i` to the users of the files a compile of it read or sought, and returns
    /// them as [`CachedShader::seen`]. A file watched already keeps its state (a later poll
    /// compares it with what each shader read); a new one starts from what this compile saw.
    pub(crate) fn watch_sources(
        &mut self,
        i: usize,
        sources: Sources,
    ) -> Vec<(PathBuf, Option<u64>)> {
        let found = sources.found.into_iter().map(|f| (f.path, Some(f.fingerprint), Some(f.hash)));
        let missing = sources.missing.into_iter().map(|p| (p, None, None));
        let mut seen = Vec::new();
        for (path, fingerprint, hash) in found.chain(missing) {
            let w = self.watch.entry(path.clone()).or_insert(Watched {
                fingerprint,
                hash,
                users: Vec::new(),
            });
            if !w.users.contains(&i) {
                w.users.push(i);
            }
            seen.push((path, hash));
        }
        seen
    }

    /// Takes shader `i` off the users of the files in its `seen`, and stops watching files no
    /// shader uses any more.
    pub(crate) fn unwatch(&mut self, i: usize) {
        for (path, _) in &self.shaders[i].seen {
            if let Some(w) = self.watch.get_mut(path) {
                w.users.retain(|&u| u != i);
                if w.users.is_empty() {
                    self.watch.remove(path);
                }
            }
        }
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
        let s = self.shader(path, defines)?;
        let pipeline = self.make(&key, &[&self.shaders[s].shader], None)?;
        let i = self.add(key, pipeline, vec![s]);
        self.compute_index.push((path.to_owned(), defines.to_vec(), i));
        Ok(i)
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
        let vs = self.shader(&desc.vertex, &desc.defines)?;
        let fs = self.shader(&desc.fragment, &desc.defines)?;
        let shaders = [&self.shaders[vs].shader, &self.shaders[fs].shader];
        let pipeline = self.make(&key, &shaders, None)?;
        Ok(self.add(key, pipeline, vec![vs, fs]))
    }

    fn add(&mut self, key: Key, pipeline: Pipeline, shaders: Vec<usize>) -> usize {
        self.list.push(pipeline);
        self.recipes.push(Recipe { key: key.clone(), shaders });
        self.keys.insert(key, self.list.len() - 1);
        self.list.len() - 1
    }

    /// Builds the pipeline `key` names from `shaders` (in [`Recipe::shaders`]' order). With
    /// `reuse`, the pipeline it replaces, whose layouts are taken when the shaders declare the
    /// same bindings and push constants.
    pub(crate) fn make(
        &self,
        key: &Key,
        shaders: &[&Shader],
        reuse: Option<&Pipeline>,
    ) -> Result<Pipeline, Error> {
        let label = key.label();
        let want: &[Stage] = match key {
            Key::Compute(..) => &[Stage::Compute],
            Key::Graphics(..) => &[Stage::Vertex, Stage::Fragment],
        };
        for (s, &want) in shaders.iter().zip(want) {
            if s.reflection.stage != want {
                let message = match want {
                    Stage::Compute => "a compute pipeline needs a .comp shader".to_owned(),
                    _ => format!("expected a {} shader", want.name()),
                };
                return Err(Error::Shader { file: s.name.clone(), line: 0, message });
            }
        }
        let desc = self.layout_desc(&label, shaders)?;
        let (set_layout, layout, fresh) = match reuse {
            Some(old) if desc.matches(old) => (old.set_layout, old.layout, false),
            _ => {
                let (set_layout, layout) = self.create_layouts(&label, &desc)?;
                (set_layout, layout, true)
            }
        };
        let made = match key {
            Key::Compute(..) => self.compute_pipeline(&label, shaders[0], layout),
            Key::Graphics(g, colors, depth) => {
                self.graphics_pipeline(&label, g, colors, *depth, shaders, layout)
            }
        };
        let pipeline = match made {
            Ok(p) => p,
            Err(e) => {
                if fresh {
                    self.destroy_layouts(set_layout, layout);
                }
                return Err(e);
            }
        };
        let (bind_point, workgroup_size) = match key {
            Key::Compute(..) => {
                (vk::PipelineBindPoint::COMPUTE, shaders[0].reflection.workgroup_size)
            }
            Key::Graphics(..) => (vk::PipelineBindPoint::GRAPHICS, [1, 1, 1]),
        };
        let LayoutDesc { bindings, push_bytes, push_stages } = desc;
        Ok(Pipeline {
            label,
            pipeline,
            layout,
            set_layout,
            bind_point,
            position: positions(&bindings),
            slot_count: bindings.iter().map(|b| b.binding.binding as usize + 1).max().unwrap_or(0),
            bindings,
            push_bytes,
            push_stages,
            workgroup_size,
        })
    }

    fn compute_pipeline(
        &self,
        label: &str,
        shader: &Shader,
        layout: vk::PipelineLayout,
    ) -> Result<vk::Pipeline, Error> {
        let module = self.module(shader)?;
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
        match made {
            Ok(p) => Ok(p[0]),
            Err((_, e)) => Err(Error::Vulkan {
                call: "vkCreateComputePipelines",
                label: label.to_owned(),
                result: e,
            }),
        }
    }

    fn graphics_pipeline(
        &self,
        label: &str,
        desc: &GraphicsDesc,
        colors: &[vk::Format],
        depth: vk::Format,
        shaders: &[&Shader],
        layout: vk::PipelineLayout,
    ) -> Result<vk::Pipeline, Error> {
        let vm = self.module(shaders[0])?;
        let fm = match self.module(shaders[1]) {
            Ok(m) => m,
            Err(e) => {
                // SAFETY: an unused module.
                unsafe { self.device.destroy_shader_module(vm, None) };
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
        match made {
            Ok(p) => Ok(p[0]),
            Err((_, e)) => Err(Error::Vulkan {
                call: "vkCreateGraphicsPipelines",
                label: label.to_owned(),
                result: e,
            }),
        }
    }

    fn module(&self, shader: &Shader) -> Result<vk::ShaderModule, Error> {
        let info = vk::ShaderModuleCreateInfo::default().code(&shader.spirv);
        // SAFETY: SPIR-V from shaderc; destroyed right after pipeline creation.
        unsafe { self.device.create_shader_module(&info, None) }
            .check("vkCreateShaderModule", &shader.name)
    }

    /// The layout `shaders` declare together: their bindings merged (one descriptor a binding
    /// number, used by the stages that declare it) and the largest push-constant block.
    fn layout_desc(&self, label: &str, shaders: &[&Shader]) -> Result<LayoutDesc, Error> {
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
        Ok(LayoutDesc { bindings: merged, push_bytes, push_stages })
    }

    /// The set layout (for push descriptors) and pipeline layout of `desc`.
    fn create_layouts(
        &self,
        label: &str,
        desc: &LayoutDesc,
    ) -> Result<(vk::DescriptorSetLayout, vk::PipelineLayout), Error> {
        let LayoutDesc { bindings: merged, push_bytes, push_stages } = desc;
        let (push_bytes, push_stages) = (*push_bytes, *push_stages);
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
        Ok((set_layout, layout))
    }

    pub(crate) fn destroy_layouts(
        &self,
        set_layout: vk::DescriptorSetLayout,
        layout: vk::PipelineLayout,
    ) {
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

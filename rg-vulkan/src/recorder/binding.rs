//! Pipelines and what they bind: compute and graphics pipelines, buffers, images (a view of
//! exactly the declared part) and samplers, each checked against the shader and the pass's
//! declarations, push constants, and the push descriptors written before a draw or dispatch.

use super::*;

impl Recorder<'_> {
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

    pub(super) fn bind_pipeline(&mut self, p: usize) {
        let pl = &self.pipelines.list[p];
        let at = usize::from(pl.bind_point == vk::PipelineBindPoint::GRAPHICS);
        // A pipeline stays bound for the rest of the command buffer: binding it again (the next
        // pass of a chain) records nothing. Descriptors and push constants are set anew below.
        if self.bound_in_buffer[at] != pl.pipeline {
            // SAFETY: a pipeline of this device; the command buffer is recording.
            unsafe { self.device.cmd_bind_pipeline(self.cmd, pl.bind_point, pl.pipeline) };
            self.bound_in_buffer[at] = pl.pipeline;
        }
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
    /// Whether the bound pipeline's `binding` is an array image (false when there is none).
    fn binding_arrayed(&self, binding: u32) -> bool {
        self.bound.is_some_and(|p| {
            let pl = &self.pipelines.list[p];
            pl.bindings.iter().any(|b| b.binding.binding == binding && b.binding.arrayed)
        })
    }

    pub(super) fn binding_of(&self, binding: u32) -> Result<(BindingKind, ShaderStages), Error> {
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
    pub(super) fn bind_image_part(
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
        // Messages are written only on failure: a bind is on every frame's path.
        let part =
            self.declared_part(resource, used, &img, fits, "binds").map_err(|e| match e {
                Error::OutsideDeclared { pass, resource, used, declared, .. } => {
                    let what =
                        format!("binds at binding {binding} (`{}`)", self.binding_name(binding));
                    Error::OutsideDeclared { pass, resource, what, used, declared }
                }
                e => e,
            })?;
        let arrayed = self.binding_arrayed(binding);
        let problem = if !arrayed && part.layer_count > 1 {
            Some(format!(
                "is a 2D image, not an array, but `{}` is bound as {part} ({} layers): bind one \
                 layer (`.layer(l)`) or declare the binding as an array",
                self.label(resource),
                part.layer_count
            ))
        } else if matches!(kind, BindingKind::StorageImage { .. }) && part.mip_count > 1 {
            Some(format!(
                "is a storage image, which sees one mip level, but `{}` is bound as {part}: \
                 bind one (`.mip(m)`)",
                self.label(resource)
            ))
        } else {
            None
        };
        if let Some(problem) = problem {
            let name = self.binding_name(binding);
            return Err(Error::Binding { pass: self.pass.to_owned(), binding, name, problem });
        }
        let layout = crate::conv::layout(access.layout(img.depth));
        let aspect = if img.depth { vk::ImageAspectFlags::DEPTH } else { img.aspect };
        let label = self.plan.resources.get(resource).map_or("?", |r| &*r.label);
        let view = self.views.get(self.device, &img, part, aspect, arrayed, label)?;
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
    pub(super) fn binding_name(&self, binding: u32) -> String {
        self.bound
            .and_then(|p| {
                let pl = &self.pipelines.list[p];
                pl.bindings.iter().find(|b| b.binding.binding == binding)
            })
            .map_or_else(|| "-".into(), |b| b.binding.name.clone())
    }

    /// Checks that `resource` was declared by the pass with an access that `fits` the binding.
    pub(super) fn check_binding(
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
    pub(super) fn push_words(
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
    pub(super) fn flush_descriptors(
        &mut self,
        bind_point: vk::PipelineBindPoint,
    ) -> Result<(), Error> {
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

    pub(super) fn push_bindings(&mut self, p: usize) -> Result<(), Error> {
        match self.pipelines.list[p].bindings.len() {
            0 => Ok(()),
            1..=8 => self.push_descriptors::<8>(p),
            _ => self.push_descriptors::<MAX_BINDINGS>(p),
        }
    }

    /// Pushes the descriptors of pipeline `p`, which has at most `N` bindings (small arrays for
    /// the common case keep this cheap: it runs for every draw and dispatch).
    pub(super) fn push_descriptors<const N: usize>(&self, p: usize) -> Result<(), Error> {
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
}

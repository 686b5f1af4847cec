//! Transient heaps: memory blocks kept from frame to frame, grown when a plan needs more, and
//! the transient objects bound at the plan's offsets in them (or in memory of their own when
//! aliasing is off). Objects are kept while the plan's placements stay the same.

use super::*;

impl Executor {
    pub(super) fn heap(
        &mut self,
        index: usize,
        size: u64,
        bits: u32,
    ) -> Result<vk::DeviceMemory, Error> {
        let type_index = self.memory_type(bits).ok_or_else(|| Error::NoMemoryType {
            label: format!("transient heap {index}"),
            bits,
            wanted: vk::MemoryPropertyFlags::DEVICE_LOCAL,
        })?;
        if let Some(h) = self.heaps.get(index) {
            if h.size >= size && h.type_index == type_index {
                return Ok(h.memory);
            }
        }
        let memory = self.allocate_memory(&format!("transient heap {index}"), size, type_index)?;
        let heap = Heap { memory, size, type_index };
        self.heap_generation += 1;
        if index < self.heaps.len() {
            let old = std::mem::replace(&mut self.heaps[index], heap);
            self.graveyard.push((self.submitted, Dead::Memory(old.memory)));
        } else {
            self.heaps.push(heap);
        }
        Ok(memory)
    }

    pub(super) fn memory_type(&self, bits: u32) -> Option<u32> {
        let p = &self.memory_properties;
        let find = |wanted: vk::MemoryPropertyFlags| {
            (0..p.memory_type_count).find(|&i| {
                bits & (1 << i) != 0 && p.memory_types[i as usize].property_flags.contains(wanted)
            })
        };
        find(vk::MemoryPropertyFlags::DEVICE_LOCAL)
            .or_else(|| find(vk::MemoryPropertyFlags::empty()))
    }

    pub(super) fn allocate_memory(
        &self,
        label: &str,
        size: u64,
        type_index: u32,
    ) -> Result<vk::DeviceMemory, Error> {
        let alloc = vk::MemoryAllocateInfo::default()
            .allocation_size(size.max(1))
            .memory_type_index(type_index);
        // SAFETY: valid allocate info; freed through the graveyard or in Drop.
        unsafe { self.device.allocate_memory(&alloc, None) }
            .map_err(|_| Error::OutOfMemory { label: label.to_owned(), bytes: size })
    }

    /// Makes (or keeps) the transient objects of `plan`.
    pub(super) fn prepare_transients(&mut self, plan: &Plan) -> Result<(), Error> {
        let aliasing = self.config.aliasing;
        let key: Vec<TransientKey> = plan
            .resources
            .iter()
            .enumerate()
            .filter(|(_, r)| r.placement.is_some())
            .map(|(i, r)| TransientKey {
                resource: i,
                buffer_size: r.buffer_size,
                image: r.image,
                usage: r.usage,
                placement: r.placement,
            })
            .collect();
        if aliasing {
            for (h, heap) in plan.heaps.iter().enumerate() {
                self.heap(h, heap.size, heap.memory_type_bits)?;
            }
        }
        let t = &self.transients;
        if t.key == key
            && t.aliasing == aliasing
            && (!aliasing || t.generation == self.heap_generation)
        {
            return Ok(());
        }
        // Retire the old objects once the frames using them are done.
        let old = std::mem::take(&mut self.transients);
        self.retire(old);
        let mut made = Transients {
            key: Vec::new(),
            aliasing,
            generation: self.heap_generation,
            ..Transients::default()
        };
        let result = self.make_transients(plan, &key, &mut made);
        made.bytes = if aliasing { plan.heaps.iter().map(|h| h.size).sum() } else { made.bytes };
        match result {
            Ok(()) => {
                made.key = key;
                self.transients = made;
                Ok(())
            }
            Err(e) => {
                // Whatever was made is not used by any frame: destroy it with the next garbage.
                self.retire(made);
                Err(e)
            }
        }
    }

    /// Hands a set of transient objects to the graveyard, to be destroyed once every frame
    /// submitted so far is done.
    pub(super) fn retire(&mut self, t: Transients) {
        let at = self.submitted;
        for (_, b, _) in t.buffers {
            self.graveyard.push((at, Dead::Buffer(b)));
        }
        for (_, r) in t.images {
            self.graveyard.push((at, Dead::View(r.view)));
            self.graveyard
                .extend(self.views.take_for(r.image).into_iter().map(|v| (at, Dead::View(v))));
            self.graveyard.push((at, Dead::Image(r.image)));
        }
        for m in t.memories {
            self.graveyard.push((at, Dead::Memory(m)));
        }
    }

    pub(super) fn make_transients(
        &mut self,
        plan: &Plan,
        key: &[TransientKey],
        made: &mut Transients,
    ) -> Result<(), Error> {
        for k in key {
            let r = &plan.resources[k.resource];
            let p = k.placement.expect("transients in the key are placed");
            let (memory, offset) = if made.aliasing {
                (self.heaps[p.heap].memory, p.offset)
            } else {
                let bits = r.requirements.map_or(u32::MAX, |q| q.memory_type_bits);
                let type_index = self.memory_type(bits).ok_or_else(|| Error::NoMemoryType {
                    label: r.label.to_string(),
                    bits,
                    wanted: vk::MemoryPropertyFlags::DEVICE_LOCAL,
                })?;
                let m = self.allocate_memory(&r.label, p.size, type_index)?;
                made.memories.push(m);
                made.bytes += p.size;
                (m, 0)
            };
            match (r.buffer_size, r.image) {
                (Some(size), _) => {
                    let info = crate::memory::buffer_info(size, r.usage);
                    // SAFETY: valid create info; retired through the graveyard.
                    let b = unsafe { self.device.create_buffer(&info, None) }
                        .check("vkCreateBuffer", &r.label)?;
                    made.buffers.push((k.resource, b, size));
                    // SAFETY: the memory type comes from the plan's type bits, which this very
                    // buffer's requirements (asked with the same create info) contributed to;
                    // the offset honours its alignment.
                    unsafe { self.device.bind_buffer_memory(b, memory, offset) }
                        .check("vkBindBufferMemory", &r.label)?;
                    self.name_object(b, &r.label);
                }
                (None, Some(image)) => {
                    let usage = conv::image_usage(r.usage);
                    self.check_format(&r.label, image.format, usage)?;
                    let info = crate::memory::image_info(&image, usage, true);
                    // SAFETY: as for buffers.
                    let i = unsafe { self.device.create_image(&info, None) }
                        .check("vkCreateImage", &r.label)?;
                    // SAFETY: as for buffers.
                    if let Err(e) = unsafe { self.device.bind_image_memory(i, memory, offset) } {
                        // SAFETY: unused.
                        unsafe { self.device.destroy_image(i, None) };
                        return Err(Error::Vulkan {
                            call: "vkBindImageMemory",
                            label: r.label.to_string(),
                            result: e,
                        });
                    }
                    let view = match self.make_view(i, &image, usage, &r.label) {
                        Ok(v) => v,
                        Err(e) => {
                            // SAFETY: unused.
                            unsafe { self.device.destroy_image(i, None) };
                            return Err(e);
                        }
                    };
                    self.name_object(i, &r.label);
                    made.images.push((k.resource, view));
                }
                (None, None) => {}
            }
        }
        Ok(())
    }
}

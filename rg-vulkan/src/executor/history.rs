//! History resources: images and buffers carried from frame to frame, made on first use and
//! remade when their description changes.

use super::*;

impl Executor {
    /// Finds or makes the history resource of `plan`'s resource `i`.
    pub(super) fn history_for(
        &mut self,
        plan: &Plan,
        i: usize,
    ) -> Result<(vk::Buffer, Option<ImageRef>, bool), Error> {
        let r = &plan.resources[i];
        if let Some(h) = self.history.get(&r.label) {
            if h.kind == r.kind && h.buffer_size == r.buffer_size && h.image == r.image {
                return Ok((h.buffer, h.r, h.initialized));
            }
            // The description changed (a resize): the old one goes, a new one starts empty.
            let old = self.history.remove(&r.label).expect("present");
            let at = self.submitted;
            if old.buffer != vk::Buffer::null() {
                self.graveyard.push((at, Dead::Buffer(old.buffer)));
            }
            if let Some(ir) = old.r {
                self.graveyard.push((at, Dead::View(ir.view)));
                self.graveyard
                    .extend(self.views.take_for(ir.image).into_iter().map(|v| (at, Dead::View(v))));
                self.graveyard.push((at, Dead::Image(ir.image)));
            }
            if let Some(a) = old.allocation {
                self.graveyard.push((at, Dead::Allocation(a)));
            }
        }
        let label = r.label.clone();
        let h = match (r.buffer_size, r.image) {
            (Some(size), _) => {
                let b = self.create_buffer(&label, size, MemoryUse::Device)?;
                let o = self.buffers.remove(b).expect("just made");
                History {
                    kind: r.kind,
                    buffer_size: r.buffer_size,
                    image: None,
                    buffer: o.buffer,
                    r: None,
                    allocation: o.allocation,
                    initialized: false,
                }
            }
            (None, Some(image)) => {
                let (ir, a) = self.make_image(&label, &image, None)?;
                History {
                    kind: r.kind,
                    buffer_size: None,
                    image: Some(image),
                    buffer: vk::Buffer::null(),
                    r: Some(ir),
                    allocation: Some(a),
                    initialized: false,
                }
            }
            (None, None) => {
                unreachable!("rg-core bug: history resource `{label}` has neither size")
            }
        };
        let out = (h.buffer, h.r, false);
        self.history.insert(label, h);
        Ok(out)
    }
}

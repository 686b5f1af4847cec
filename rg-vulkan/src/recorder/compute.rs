//! Dispatches: direct, by thread count, and indirect.

use super::*;

impl Recorder<'_> {
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
}

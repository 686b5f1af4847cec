//! Shader hot reload: [`Executor::reload_shaders`] polls the files every cached shader was
//! built from, compiles again the shaders whose sources changed and swaps their pipelines in
//! place.
//!
//! - Polling is cheap enough for every frame: one `stat` per distinct source file (a header
//!   shared by many shaders is polled once). Only a file whose fingerprint (modification time,
//!   length, inode) changed is read and hashed, and only a shader one of whose files now holds
//!   other contents than its last compile read is compiled again; a `touch` reloads nothing.
//!   Files are polled by path, so an editor that saves by renaming a new file over the old one
//!   is seen like one that writes in place.
//! - A reloaded pipeline replaces the old one at the same index of `Pipelines::list`, so the
//!   caches that map shaders to indices keep working. Its layouts are kept when the new shaders
//!   declare the same bindings and push constants, and made anew otherwise.
//! - Retiring: frames already submitted may still run the old pipeline, so it goes to the
//!   executor's graveyard at the last submitted timeline value and is destroyed once the GPU
//!   has passed it, like any other object a frame in flight may use. No wait for the device.
//! - Failures replace nothing: a shader that does not compile, or whose new build a pipeline
//!   cannot take, leaves every pipeline that uses it on its last good build and is reported
//!   with its error. It is tried again once one of the files its failed compile read changes
//!   (or a missing include appears). Other shaders reloaded at the same time are swapped.

use super::*;
use crate::pipeline::{Pipeline, Pipelines};
use crate::shader::{content_hash, Fingerprint, Shader};
use std::time::Duration;

/// What [`Executor::reload_shaders`] did.
#[derive(Debug, Default)]
pub struct ShaderReload {
    /// The shaders compiled again and swapped in: each one's path under the shader root, with
    /// its `#define`s in brackets when it has some (`blur.comp [RADIUS=4]`).
    pub reloaded: Vec<String>,
    /// The shaders whose sources changed but that were not swapped in, named as in
    /// `reloaded`, each with why: the compile error (naming the file, an included one where
    /// the error is in it, and the line), or the pipeline that could not be built with it.
    /// Their pipelines keep running their last good build.
    pub failed: Vec<(String, Error)>,
    /// How long polling, compiling and rebuilding took.
    pub elapsed: Duration,
}

impl ShaderReload {
    /// Whether nothing changed: no shader reloaded or failed.
    pub fn is_empty(&self) -> bool {
        self.reloaded.is_empty() && self.failed.is_empty()
    }
}

impl Executor {
    /// Reloads every shader whose source files (the shader file and the files it includes)
    /// changed on disk since it was compiled, and rebuilds the pipelines that use it. Cheap
    /// when nothing changed (one `stat` per source file), so it can be called every frame.
    /// Each reload and each failure is also sent to the profiler as a message (Tracy, with the
    /// `tracy` feature).
    ///
    /// Frames recorded from now on use the new pipelines; the old ones are destroyed once the
    /// frames in flight that may use them are done.
    ///
    /// # Errors
    /// None today: a shader that fails to compile or a pipeline that fails to build is reported
    /// in [`ShaderReload::failed`], and the last good pipeline keeps running.
    pub fn reload_shaders(&mut self) -> Result<ShaderReload, Error> {
        let start = Instant::now();
        let pipelines = self.pipelines.as_mut().expect("pipelines live until Drop");
        let done = pipelines.reload();
        // Frames up to the last submitted one may have bound the old pipelines; frames recorded
        // from now on bind the new ones (same indices).
        let at = self.submitted;
        for r in done.retired {
            self.graveyard.push((at, Dead::Pipeline(r)));
        }
        for name in &done.reloaded {
            self.profiler.message(&format!("shader reloaded: {name}"));
        }
        for (name, e) in &done.failed {
            self.profiler.message(&format!("shader reload failed: {name}: {e}"));
        }
        Ok(ShaderReload { reloaded: done.reloaded, failed: done.failed, elapsed: start.elapsed() })
    }
}

/// The Vulkan objects of a pipeline that a reload replaced. Frames submitted before the reload
/// may still use them, so the executor destroys them once the GPU has finished those frames.
pub(crate) struct Retired {
    pipeline: vk::Pipeline,
    /// Its layouts, when the new pipeline has new ones (the bindings or push constants changed).
    layouts: Option<(vk::PipelineLayout, vk::DescriptorSetLayout)>,
}

impl Retired {
    /// Destroys the objects.
    ///
    /// # Safety
    /// `device` made them, and no command buffer that uses them is pending execution.
    pub(crate) unsafe fn destroy(self, device: &ash::Device) {
        // SAFETY: the caller's contract; a pipeline layout may be destroyed after the pipelines
        // made with it are.
        unsafe {
            device.destroy_pipeline(self.pipeline, None);
            if let Some((layout, set_layout)) = self.layouts {
                device.destroy_pipeline_layout(layout, None);
                device.destroy_descriptor_set_layout(set_layout, None);
            }
        }
    }
}

/// What [`Pipelines::reload`] did.
#[derive(Default)]
pub(crate) struct Reloaded {
    /// Shaders compiled again and swapped in, by [`CachedShader::name`].
    pub reloaded: Vec<String>,
    /// Shaders that changed but did not compile, or whose new build a pipeline could not take.
    pub failed: Vec<(String, Error)>,
    /// What the swapped pipelines replaced.
    pub retired: Vec<Retired>,
}

impl Pipelines {
    /// Polls every watched file (one `stat` each); compiles again each shader one of whose
    /// files now holds other contents than its last compile read, and rebuilds every pipeline
    /// that uses it, in place. A shader that fails to compile, or whose new build a pipeline
    /// cannot take, replaces nothing: its pipelines keep their last good build. See
    /// `Executor::reload_shaders`.
    pub(crate) fn reload(&mut self) -> Reloaded {
        let changed = self.changed_shaders();
        if changed.is_empty() {
            return Reloaded::default();
        }
        let mut done = Reloaded::default();
        let mut fresh: HashMap<usize, Shader> = HashMap::new();
        let mut read = Vec::with_capacity(changed.len());
        for &s in &changed {
            let c = &self.shaders[s];
            let d: Vec<(&str, &str)> =
                c.defines.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
            let (result, sources) = self.compiler.compile_file_tracked(&c.path, &d);
            read.push(sources);
            match result {
                Ok(shader) => {
                    fresh.insert(s, shader);
                }
                Err(e) => done.failed.push((c.name(), e)),
            }
        }
        // A pipeline is rebuilt once all of its changed shaders compiled, from their new builds
        // (and the cached builds of the others). One that cannot be built fails its changed
        // shaders, and the pipelines already rebuilt from them are dropped in the next round:
        // nothing is swapped for a shader that failed anywhere. Each round drops shaders, so
        // this ends.
        let affected: Vec<usize> = (0..self.recipes.len())
            .filter(|&p| self.recipes[p].shaders.iter().any(|s| changed.contains(s)))
            .collect();
        let mut built: HashMap<usize, Pipeline> = HashMap::new();
        let mut broken: Vec<usize> = Vec::new();
        loop {
            let mut dropped = false;
            for &p in &affected {
                let recipe = &self.recipes[p];
                let ours: Vec<usize> =
                    recipe.shaders.iter().copied().filter(|s| changed.contains(s)).collect();
                if ours.iter().any(|s| !fresh.contains_key(s)) {
                    if let Some(new) = built.remove(&p) {
                        self.discard(new, p);
                    }
                    continue;
                }
                if built.contains_key(&p) || broken.contains(&p) {
                    continue;
                }
                let shaders: Vec<&Shader> = recipe
                    .shaders
                    .iter()
                    .map(|s| fresh.get(s).unwrap_or(&self.shaders[*s].shader))
                    .collect();
                match self.make(&recipe.key, &shaders, Some(&self.list[p])) {
                    Ok(new) => {
                        built.insert(p, new);
                    }
                    Err(e) => {
                        broken.push(p);
                        dropped = true;
                        let mut e = Some(e);
                        for s in ours {
                            fresh.remove(&s);
                            let e = e.take().unwrap_or_else(|| Error::Shader {
                                file: self.shaders[s].shader.name.clone(),
                                line: 0,
                                message: format!(
                                    "not reloaded: pipeline `{}` could not be built with the new \
                                     build of its other shader",
                                    recipe.key.label()
                                ),
                            });
                            done.failed.push((self.shaders[s].name(), e));
                        }
                    }
                }
            }
            if !dropped {
                break;
            }
        }
        for (p, new) in built {
            let old = std::mem::replace(&mut self.list[p], new);
            let layouts =
                (old.layout != self.list[p].layout).then_some((old.layout, old.set_layout));
            done.retired.push(Retired { pipeline: old.pipeline, layouts });
        }
        for (&s, sources) in changed.iter().zip(read) {
            self.unwatch(s);
            self.shaders[s].seen = self.watch_sources(s, sources);
            if let Some(shader) = fresh.remove(&s) {
                self.shaders[s].shader = shader;
                done.reloaded.push(self.shaders[s].name());
            }
        }
        done
    }

    /// The shaders (indices, ascending) one of whose files holds other contents than their last
    /// compile read. A file is read and hashed only when its fingerprint changed, so a `touch`
    /// costs one hash and a poll with nothing changed costs one `stat` per watched file.
    fn changed_shaders(&mut self) -> Vec<usize> {
        let mut touched = Vec::new();
        for (path, w) in &mut self.watch {
            let fingerprint = Fingerprint::of(path).ok();
            if fingerprint == w.fingerprint {
                continue;
            }
            w.fingerprint = fingerprint;
            // Read after the stat: a write in between shows as a new fingerprint next time.
            w.hash = fingerprint.and_then(|_| std::fs::read(path).ok()).map(|b| content_hash(&b));
            touched.extend_from_slice(&w.users);
        }
        touched.sort_unstable();
        touched.dedup();
        touched.retain(|&s| {
            self.shaders[s]
                .seen
                .iter()
                .any(|(path, hash)| self.watch.get(path).is_some_and(|w| w.hash != *hash))
        });
        touched
    }

    /// Destroys a pipeline a reload built but does not swap in (it was never bound), and its
    /// layouts unless they are those of pipeline `p`, which it was to replace.
    fn discard(&self, new: Pipeline, p: usize) {
        // SAFETY: no command buffer ever used `new`; its layouts, when not `p`'s, are its own.
        unsafe { self.device.destroy_pipeline(new.pipeline, None) };
        if new.layout != self.list[p].layout {
            self.destroy_layouts(new.set_layout, new.layout);
        }
    }
}

//! A window's swapchain: a surface made from a window the swapchain keeps alive, images
//! registered with the executor so a graph imports them like any image, acquire and present
//! with binary semaphores, and recreation when the window is resized or the swapchain goes out
//! of date.
//!
//! The swapchain owns the window handle source (an `Arc<winit::window::Window>`, say), as wgpu
//! does: the surface is destroyed before the window can go. Dropping the swapchain waits for
//! the queue and destroys the swapchain, its semaphores and the surface; [`Swapchain::destroy`]
//! does that too and also forgets its images in the executor. Every call that takes an
//! executor refuses one of another device, or another executor than the one that holds the
//! swapchain's images.

use crate::context::{Context, Shared};
use crate::error::{Check, Error};
use crate::executor::{Bindings, Executor, Image};
use ash::vk;
use raw_window_handle::{HasDisplayHandle, HasWindowHandle};
use rg_core::Format;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Numbers each `VkSwapchainKHR` this process makes, so an [`Acquired`] of another swapchain,
/// or of one since recreated, is recognised.
static GENERATIONS: AtomicU64 = AtomicU64::new(1);

/// The generations whose `VkSwapchainKHR` (and acquire semaphores) still exist: a frame whose
/// bindings wait on an image of another one is refused before anything is submitted.
static LIVE: std::sync::Mutex<Vec<u64>> = std::sync::Mutex::new(Vec::new());

/// Replaces generation `old` (0: none) by `new` (0: none) among the live ones.
fn set_live(old: u64, new: u64) {
    if let Ok(mut live) = LIVE.lock() {
        live.retain(|&g| g != old);
        if new != 0 {
            live.push(new);
        }
    }
}

/// Whether the swapchain an image was acquired from is still as it was then.
pub(crate) fn generation_alive(generation: u64) -> bool {
    LIVE.lock().is_ok_and(|live| live.contains(&generation))
}

/// A swapchain image acquired for one frame.
#[derive(Clone, Copy, Debug)]
pub struct Acquired {
    pub image: Image,
    pub index: u32,
    pub width: u32,
    pub height: u32,
    pub format: Format,
    acquire: vk::Semaphore,
    render_done: vk::Semaphore,
    generation: u64,
}

/// A surface and its swapchain.
pub struct Swapchain {
    surface_fn: ash::khr::surface::Instance,
    swapchain_fn: ash::khr::swapchain::Device,
    surface: vk::SurfaceKHR,
    swapchain: vk::SwapchainKHR,
    /// Which `VkSwapchainKHR` this is (0: none yet); see [`GENERATIONS`].
    generation: u64,
    physical: vk::PhysicalDevice,
    queue: vk::Queue,
    /// The swapchain's images as the executor knows them, and as Vulkan does (to recognise the
    /// executor that holds them).
    images: Vec<Image>,
    raw_images: Vec<vk::Image>,
    /// One per swapchain image: signalled by the frame's submission, waited on by present.
    render_done: Vec<vk::Semaphore>,
    /// A ring of acquire semaphores, one more than the frames in flight: by the time one comes
    /// round again, the frame that waited on it has finished (the executor waits for it).
    /// Made anew with each swapchain, so one left signalled by an abandoned frame goes too.
    acquire: Vec<vk::Semaphore>,
    ring: usize,
    next: usize,
    pub format: Format,
    pub width: u32,
    pub height: u32,
    device: ash::Device,
    /// Keeps the device and instance alive while the swapchain is.
    shared: Arc<Shared>,
    /// Held while the swapchain lives: the executor refuses its images once it is gone.
    alive: Arc<()>,
    /// The window the surface was made for: dropped after `Drop::drop` destroyed the surface.
    _window: Box<dyn std::any::Any + Send + Sync>,
}

/// The error of a call given an executor the swapchain cannot work with.
fn foreign_executor(problem: &str) -> Error {
    Error::Import { label: "swapchain".into(), problem: problem.into() }
}

impl Swapchain {
    /// A surface for `window` and a swapchain of `width` x `height` (clamped to what the
    /// surface allows), its images registered with `ex`. The swapchain keeps `window` (for
    /// example an `Arc<winit::window::Window>`) until it is dropped, so the surface never
    /// outlives it. The context must have been made with `Config::display` set to the window's
    /// display. Its ring of acquire semaphores is sized by the executor's frames in flight.
    ///
    /// # Errors
    /// The context has no surface extensions, `ex` was made from another context, the window
    /// has no handles, the queue cannot present, a failed call. Whatever was made before the
    /// failure is destroyed.
    pub fn new<W>(
        ctx: &Context,
        ex: &mut Executor,
        window: W,
        width: u32,
        height: u32,
    ) -> Result<Swapchain, Error>
    where
        W: HasWindowHandle + HasDisplayHandle + Send + Sync + 'static,
    {
        if !ctx.surfaces {
            return Err(Error::MissingFeature {
                feature: "surface extensions".into(),
                needed_by: "a swapchain (create the context with Config::display set)".into(),
            });
        }
        if !Arc::ptr_eq(ex.shared(), &ctx.shared) {
            return Err(foreign_executor(
                "cannot be made with an executor of another context (another device): make the \
                 executor from the swapchain's context",
            ));
        }
        // Boxed before its handles are taken, so they stay those of the window the swapchain
        // keeps.
        let window = Box::new(window);
        let display = window
            .display_handle()
            .map_err(|e| Error::Window { what: "no display handle", message: e.to_string() })?
            .as_raw();
        let raw_window = window
            .window_handle()
            .map_err(|e| Error::Window { what: "no window handle", message: e.to_string() })?
            .as_raw();
        // SAFETY: the handles are those of `window`, which the swapchain keeps until `Drop`
        // has destroyed the surface (VUID-vkDestroySurfaceKHR-surface-01266 asks for the
        // swapchain to go first, which `Drop` does as well).
        let surface = unsafe {
            ash_window::create_surface(ctx.shared.entry(), &ctx.instance, display, raw_window, None)
        }
        .check("vkCreateSurfaceKHR", "window")?;
        // From here on `Drop` destroys what exists if a step fails.
        let mut sc = Swapchain {
            surface_fn: ash::khr::surface::Instance::new(ctx.shared.entry(), &ctx.instance),
            swapchain_fn: ash::khr::swapchain::Device::new(&ctx.instance, &ctx.device),
            surface,
            swapchain: vk::SwapchainKHR::null(),
            generation: 0,
            physical: ctx.physical,
            queue: ctx.queue,
            images: Vec::new(),
            raw_images: Vec::new(),
            render_done: Vec::new(),
            acquire: Vec::new(),
            ring: ex.frames_in_flight() + 1,
            next: 0,
            format: Format::Bgra8Unorm,
            width: 0,
            height: 0,
            device: ctx.device.clone(),
            shared: ctx.shared.clone(),
            alive: Arc::new(()),
            _window: window,
        };
        // SAFETY: a plain query of a surface of this instance.
        let supported = unsafe {
            sc.surface_fn.get_physical_device_surface_support(
                ctx.physical,
                ctx.queue_family,
                surface,
            )
        }
        .unwrap_or(false);
        if !supported {
            return Err(Error::MissingFeature {
                feature: "presentation from the graphics queue".into(),
                needed_by: "the window".into(),
            });
        }
        // On failure `recreate` has released every image it registered.
        sc.recreate(ex, width, height)?;
        Ok(sc)
    }

    fn semaphore(&self) -> Result<vk::Semaphore, Error> {
        // SAFETY: valid create info; destroyed in `release_images`, `recreate` or `Drop`.
        unsafe { self.device.create_semaphore(&vk::SemaphoreCreateInfo::default(), None) }
            .check("vkCreateSemaphore", "swapchain")
    }

    /// Refuses an executor of another device, or another than the one holding the images.
    fn check_executor(&self, ex: &Executor) -> Result<(), Error> {
        if !Arc::ptr_eq(ex.shared(), &self.shared) {
            return Err(foreign_executor(
                "cannot be used with an executor of another context (another device): use the \
                 executor the swapchain was made with",
            ));
        }
        let holds_ours = self.images.iter().zip(&self.raw_images).all(|(&i, &raw)| {
            // SAFETY: the handle is only compared, never used.
            let held = unsafe { ex.raw_image(i) };
            held == Some(raw)
        });
        if !holds_ours {
            return Err(foreign_executor(
                "cannot be used with this executor: its images are registered with another \
                 executor of the same device; use the executor the swapchain was made with",
            ));
        }
        Ok(())
    }

    /// Makes a new swapchain of the given size (after a resize or an out-of-date present).
    /// Waits for the executor's frames and the queue first, and starts with fresh semaphores,
    /// so it also recovers from a frame that was acquired and never presented.
    ///
    /// # Errors
    /// `ex` is not the executor the swapchain was made with, a failed call. After a failure
    /// once the new swapchain exists, [`Swapchain::acquire`] answers `Ok(None)` until a
    /// `recreate` succeeds.
    pub fn recreate(&mut self, ex: &mut Executor, width: u32, height: u32) -> Result<(), Error> {
        self.check_executor(ex)?;
        ex.wait_idle()?;
        let queue = self.shared.lock_queue();
        // SAFETY: the queue lock keeps other threads off the queue; this also lets queued
        // presents finish their semaphore waits before the semaphores are destroyed below.
        unsafe { self.device.queue_wait_idle(self.queue) }.check("vkQueueWaitIdle", "window")?;
        drop(queue);
        // SAFETY: plain queries.
        let caps = unsafe {
            self.surface_fn.get_physical_device_surface_capabilities(self.physical, self.surface)
        }
        .check("vkGetPhysicalDeviceSurfaceCapabilitiesKHR", "window")?;
        // SAFETY: as above.
        let formats = unsafe {
            self.surface_fn.get_physical_device_surface_formats(self.physical, self.surface)
        }
        .check("vkGetPhysicalDeviceSurfaceFormatsKHR", "window")?;
        let pick = [
            (vk::Format::B8G8R8A8_UNORM, Format::Bgra8Unorm),
            (vk::Format::R8G8B8A8_UNORM, Format::Rgba8Unorm),
            (vk::Format::B8G8R8A8_SRGB, Format::Bgra8Srgb),
            (vk::Format::R8G8B8A8_SRGB, Format::Rgba8Srgb),
        ];
        let (surface_format, format) = pick
            .iter()
            .find_map(|&(vf, f)| formats.iter().find(|s| s.format == vf).map(|s| (*s, f)))
            .ok_or_else(|| Error::MissingFeature {
                feature: "an 8-bit RGBA or BGRA surface format".into(),
                needed_by: "the window".into(),
            })?;
        let extent = if caps.current_extent.width != u32::MAX {
            caps.current_extent
        } else {
            vk::Extent2D {
                width: width.clamp(caps.min_image_extent.width, caps.max_image_extent.width),
                height: height.clamp(caps.min_image_extent.height, caps.max_image_extent.height),
            }
        };
        if extent.width == 0 || extent.height == 0 {
            // A minimised window: keep the old swapchain until it has a size again.
            return Ok(());
        }
        let mut count = caps.min_image_count + 1;
        if caps.max_image_count > 0 {
            count = count.min(caps.max_image_count);
        }
        let old = self.swapchain;
        let info = vk::SwapchainCreateInfoKHR::default()
            .surface(self.surface)
            .min_image_count(count)
            .image_format(surface_format.format)
            .image_color_space(surface_format.color_space)
            .image_extent(extent)
            .image_array_layers(1)
            .image_usage(
                vk::ImageUsageFlags::COLOR_ATTACHMENT
                    | vk::ImageUsageFlags::TRANSFER_DST
                    | vk::ImageUsageFlags::TRANSFER_SRC,
            )
            .image_sharing_mode(vk::SharingMode::EXCLUSIVE)
            .pre_transform(caps.current_transform)
            .composite_alpha(vk::CompositeAlphaFlagsKHR::OPAQUE)
            .present_mode(vk::PresentModeKHR::FIFO)
            .clipped(true)
            .old_swapchain(old);
        // SAFETY: valid create info; the old swapchain is retired here and destroyed below,
        // after the executor's frames are done (waited above).
        let swapchain = unsafe { self.swapchain_fn.create_swapchain(&info, None) }
            .check("vkCreateSwapchainKHR", "window")?;
        self.release_images(ex);
        if old != vk::SwapchainKHR::null() {
            // SAFETY: no frame uses the old swapchain's images any more (the queue is idle).
            unsafe { self.swapchain_fn.destroy_swapchain(old, None) };
        }
        self.swapchain = swapchain;
        let old_generation = self.generation;
        self.generation = GENERATIONS.fetch_add(1, Ordering::Relaxed);
        set_live(old_generation, self.generation);
        if let Err(e) = self.register_images(ex, format, extent) {
            self.release_images(ex);
            return Err(e);
        }
        self.format = format;
        self.width = extent.width;
        self.height = extent.height;
        Ok(())
    }

    /// Registers the new swapchain's images with the executor, gives each its semaphore and
    /// makes the acquire ring anew.
    fn register_images(
        &mut self,
        ex: &mut Executor,
        format: Format,
        extent: vk::Extent2D,
    ) -> Result<(), Error> {
        // SAFETY: a plain query of the new swapchain.
        let images = unsafe { self.swapchain_fn.get_swapchain_images(self.swapchain) }
            .check("vkGetSwapchainImagesKHR", "window")?;
        for (i, img) in images.into_iter().enumerate() {
            // SAFETY: an image of this swapchain, of its format and extent; the swapchain
            // unregisters it (`release_images`) before it destroys the swapchain, except when
            // it is dropped without `destroy`: then the executor keeps a view of a destroyed
            // image, which it only destroys.
            let handle = unsafe {
                ex.register_external_image(
                    &format!("swapchain image {i}"),
                    img,
                    format,
                    extent.width,
                    extent.height,
                )
            }?;
            ex.tie_to_owner(handle, std::sync::Arc::downgrade(&self.alive));
            self.images.push(handle);
            self.raw_images.push(img);
            let s = self.semaphore()?;
            self.render_done.push(s);
        }
        let mut ring = Vec::with_capacity(self.ring);
        for _ in 0..self.ring {
            match self.semaphore() {
                Ok(s) => ring.push(s),
                Err(e) => {
                    for s in ring {
                        // SAFETY: never used.
                        unsafe { self.device.destroy_semaphore(s, None) };
                    }
                    return Err(e);
                }
            }
        }
        for s in std::mem::replace(&mut self.acquire, ring) {
            // SAFETY: the queue is idle (see `recreate`), so no submission waits on it.
            unsafe { self.device.destroy_semaphore(s, None) };
        }
        self.next = 0;
        Ok(())
    }

    /// Forgets the images in the executor and destroys their semaphores. The queue must be
    /// idle.
    fn release_images(&mut self, ex: &mut Executor) {
        for i in self.images.drain(..) {
            ex.destroy_image(i);
        }
        self.raw_images.clear();
        for s in self.render_done.drain(..) {
            // SAFETY: the queue is idle (see `recreate` and `destroy`), so no submission or
            // present waits on it any more.
            unsafe { self.device.destroy_semaphore(s, None) };
        }
    }

    /// Acquires the next image. `Ok(None)` means the swapchain is out of date (or has no
    /// images, after a failed or postponed [`Swapchain::recreate`]): call `recreate` and try
    /// again.
    ///
    /// # Errors
    /// A failed call other than out-of-date.
    pub fn acquire(&mut self) -> Result<Option<Acquired>, Error> {
        if self.swapchain == vk::SwapchainKHR::null() || self.images.is_empty() {
            return Ok(None);
        }
        let sem = self.acquire[self.next];
        // SAFETY: the semaphore is unsignalled and has no pending operation: it is new with
        // this swapchain, or the frame that waited on it last has finished (the executor waits
        // for it before running the frame after the next `frames_in_flight`).
        let result = unsafe {
            self.swapchain_fn.acquire_next_image(self.swapchain, u64::MAX, sem, vk::Fence::null())
        };
        let index = match result {
            Ok((i, _suboptimal)) => i,
            Err(vk::Result::ERROR_OUT_OF_DATE_KHR) => return Ok(None),
            Err(e) => {
                return Err(Error::Vulkan {
                    call: "vkAcquireNextImageKHR",
                    label: "window".into(),
                    result: e,
                })
            }
        };
        self.next = (self.next + 1) % self.acquire.len();
        Ok(Some(Acquired {
            image: self.images[index as usize],
            index,
            width: self.width,
            height: self.height,
            format: self.format,
            acquire: sem,
            render_done: self.render_done[index as usize],
            generation: self.generation,
        }))
    }

    /// Presents an acquired image after the frame rendered into it, or after a frame that
    /// failed while recording (see [`Bindings::present`]). `Ok(false)` means the swapchain is
    /// out of date or suboptimal: recreate it.
    ///
    /// # Errors
    /// `acquired` came from another swapchain, or from this one before it was recreated; a
    /// failed call other than out-of-date.
    pub fn present(&mut self, acquired: &Acquired) -> Result<bool, Error> {
        if acquired.generation != self.generation {
            return Err(Error::Import {
                label: format!("swapchain image {}", acquired.index),
                problem: "was acquired from another swapchain, or before this one was \
                          recreated: acquire again"
                    .into(),
            });
        }
        let waits = [acquired.render_done];
        let swapchains = [self.swapchain];
        let indices = [acquired.index];
        let info = vk::PresentInfoKHR::default()
            .wait_semaphores(&waits)
            .swapchains(&swapchains)
            .image_indices(&indices);
        // SAFETY: the image was acquired from this swapchain as it is now (same generation),
        // and the frame's submission signals `render_done`.
        let queue = self.shared.lock_queue();
        // SAFETY: as above; the queue lock keeps other threads off the queue.
        let presented = unsafe { self.swapchain_fn.queue_present(self.queue, &info) };
        drop(queue);
        match presented {
            Ok(false) => Ok(true),
            Ok(true) | Err(vk::Result::ERROR_OUT_OF_DATE_KHR) => Ok(false),
            Err(e) => {
                Err(Error::Vulkan { call: "vkQueuePresentKHR", label: "window".into(), result: e })
            }
        }
    }

    /// Destroys the swapchain and surface after the executor's frames are done, and forgets
    /// its images in the executor (dropping the swapchain does the rest without the latter).
    ///
    /// # Errors
    /// `ex` is not the executor the swapchain was made with (the swapchain is destroyed all
    /// the same, and the right executor keeps views of its images until it is dropped), or
    /// waiting for the executor failed (device loss; everything is destroyed all the same).
    pub fn destroy(mut self, ex: &mut Executor) -> Result<(), Error> {
        self.check_executor(ex)?;
        let waited = ex.wait_idle();
        let queue = self.shared.lock_queue();
        // SAFETY: the queue lock keeps other threads off the queue; presents complete before
        // it goes idle.
        let _ = unsafe { self.device.queue_wait_idle(self.queue) };
        drop(queue);
        self.release_images(ex);
        waited
    }
}

impl Drop for Swapchain {
    fn drop(&mut self) {
        set_live(self.generation, 0);
        let _queue = self.shared.lock_queue();
        // SAFETY: the queue lock keeps other threads off the queue. Once it is idle, no frame renders
        // into the swapchain's images and no present or submission waits on its semaphores
        // (VUID-vkDestroySwapchainKHR-swapchain-01282, VUID-vkDestroySemaphore-semaphore-05149);
        // the swapchain goes before its surface (VUID-vkDestroySurfaceKHR-surface-01266), and
        // the surface before the window it was made for (a later field).
        unsafe {
            let _ = self.device.queue_wait_idle(self.queue);
            for s in self.acquire.drain(..).chain(self.render_done.drain(..)) {
                self.device.destroy_semaphore(s, None);
            }
            if self.swapchain != vk::SwapchainKHR::null() {
                self.swapchain_fn.destroy_swapchain(self.swapchain, None);
            }
            self.surface_fn.destroy_surface(self.surface, None);
        }
    }
}

impl Bindings {
    /// Makes the frame wait for `acquired`'s image to be ready before writing colour, and
    /// signal its presentation semaphore when done; present it with [`Swapchain::present`]
    /// once [`Executor::run`] returns.
    ///
    /// When `run` fails (a pass returned an error or recorded what it did not declare, an
    /// import is unbound, the frame was placed in another memory model), it still submits a
    /// batch that waits and signals these semaphores and leaves the image ready to present,
    /// so presenting it afterwards is valid. Only a failed Vulkan call (device loss, out of
    /// memory) can leave it unsubmitted: then call [`Swapchain::recreate`] or drop the
    /// swapchain instead of presenting.
    pub fn present(mut self, acquired: &Acquired) -> Bindings {
        self.wait.push((acquired.acquire, vk::PipelineStageFlags2::COLOR_ATTACHMENT_OUTPUT));
        self.signal.push(acquired.render_done);
        self.generations.push(acquired.generation);
        self
    }
}

//! A window's swapchain: surface from raw-window-handle, images registered with the executor so
//! a graph imports them like any image, acquire and present with binary semaphores, and
//! recreation when the window is resized or the swapchain goes out of date.

use crate::context::Context;
use crate::error::{Check, Error};
use crate::executor::{Bindings, Executor, Image};
use ash::vk;
use raw_window_handle::{RawDisplayHandle, RawWindowHandle};
use rg_core::Format;

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
}

/// A surface and its swapchain.
pub struct Swapchain {
    surface_fn: ash::khr::surface::Instance,
    swapchain_fn: ash::khr::swapchain::Device,
    surface: vk::SurfaceKHR,
    swapchain: vk::SwapchainKHR,
    physical: vk::PhysicalDevice,
    queue: vk::Queue,
    images: Vec<Image>,
    /// One per swapchain image: signalled by the frame's submission, waited on by present.
    render_done: Vec<vk::Semaphore>,
    /// A ring of acquire semaphores, one more than the frames in flight: by the time one comes
    /// round again, the frame that waited on it has finished (the executor waits for it).
    acquire: Vec<vk::Semaphore>,
    next: usize,
    pub format: Format,
    pub width: u32,
    pub height: u32,
    device: ash::Device,
    /// Keeps the device and instance alive while the swapchain is.
    _shared: std::sync::Arc<crate::context::Shared>,
}

impl Swapchain {
    /// A surface for the window and a swapchain of `width` x `height` (clamped to what the
    /// surface allows). The context must have been made with `Config::display` set.
    ///
    /// # Errors
    /// The context has no surface extensions, the queue cannot present, a failed call.
    pub fn new(
        ctx: &Context,
        ex: &mut Executor,
        display: RawDisplayHandle,
        window: RawWindowHandle,
        width: u32,
        height: u32,
        frames_in_flight: usize,
    ) -> Result<Swapchain, Error> {
        if !ctx.surfaces {
            return Err(Error::MissingFeature {
                feature: "surface extensions".into(),
                needed_by: "a swapchain (create the context with Config::display set)".into(),
            });
        }
        // SAFETY: the handles come from a live window that outlives the swapchain (the caller
        // drops the swapchain first).
        let surface = unsafe {
            ash_window::create_surface(ctx.shared.entry(), &ctx.instance, display, window, None)
        }
        .check("vkCreateSurfaceKHR", "window")?;
        let surface_fn = ash::khr::surface::Instance::new(ctx.shared.entry(), &ctx.instance);
        // SAFETY: a plain query.
        let supported = unsafe {
            surface_fn.get_physical_device_surface_support(ctx.physical, ctx.queue_family, surface)
        }
        .unwrap_or(false);
        if !supported {
            // SAFETY: unused surface.
            unsafe { surface_fn.destroy_surface(surface, None) };
            return Err(Error::MissingFeature {
                feature: "presentation from the graphics queue".into(),
                needed_by: "the window".into(),
            });
        }
        let mut sc = Swapchain {
            surface_fn,
            swapchain_fn: ash::khr::swapchain::Device::new(&ctx.instance, &ctx.device),
            surface,
            swapchain: vk::SwapchainKHR::null(),
            physical: ctx.physical,
            queue: ctx.queue,
            images: Vec::new(),
            render_done: Vec::new(),
            acquire: Vec::new(),
            next: 0,
            format: Format::Bgra8Unorm,
            width: 0,
            height: 0,
            device: ctx.device.clone(),
            _shared: ctx.shared.clone(),
        };
        for _ in 0..frames_in_flight.max(1) + 1 {
            let s = sc.semaphore()?;
            sc.acquire.push(s);
        }
        sc.recreate(ex, width, height)?;
        Ok(sc)
    }

    fn semaphore(&self) -> Result<vk::Semaphore, Error> {
        // SAFETY: valid create info; destroyed in `destroy`.
        unsafe { self.device.create_semaphore(&vk::SemaphoreCreateInfo::default(), None) }
            .check("vkCreateSemaphore", "swapchain")
    }

    /// Makes a new swapchain of the given size (after a resize or an out-of-date present).
    /// Waits for the executor's frames first.
    ///
    /// # Errors
    /// A failed call.
    pub fn recreate(&mut self, ex: &mut Executor, width: u32, height: u32) -> Result<(), Error> {
        ex.wait_idle()?;
        // SAFETY: our own queue, used by this thread only; this also lets queued presents
        // finish their semaphore waits before the semaphores are destroyed below.
        unsafe { self.device.queue_wait_idle(self.queue) }.check("vkQueueWaitIdle", "window")?;
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
            // SAFETY: no frame uses the old swapchain's images any more.
            unsafe { self.swapchain_fn.destroy_swapchain(old, None) };
        }
        self.swapchain = swapchain;
        // SAFETY: a plain query of the new swapchain.
        let images = unsafe { self.swapchain_fn.get_swapchain_images(swapchain) }
            .check("vkGetSwapchainImagesKHR", "window")?;
        for (i, img) in images.into_iter().enumerate() {
            // SAFETY: an image of this swapchain, of its format and extent; the swapchain
            // unregisters it (`release_images`) before it destroys the swapchain.
            let handle = unsafe {
                ex.register_external_image(
                    &format!("swapchain image {i}"),
                    img,
                    format,
                    extent.width,
                    extent.height,
                )
            }?;
            self.images.push(handle);
            let s = self.semaphore()?;
            self.render_done.push(s);
        }
        self.format = format;
        self.width = extent.width;
        self.height = extent.height;
        Ok(())
    }

    fn release_images(&mut self, ex: &mut Executor) {
        for i in self.images.drain(..) {
            ex.destroy_image(i);
        }
        for s in self.render_done.drain(..) {
            // SAFETY: the queue is idle (see `recreate` and `destroy`), so no submission or
            // present waits on it any more.
            unsafe { self.device.destroy_semaphore(s, None) };
        }
    }

    /// Acquires the next image. `Ok(None)` means the swapchain is out of date: call
    /// [`Swapchain::recreate`] and try again.
    ///
    /// # Errors
    /// A failed call other than out-of-date.
    pub fn acquire(&mut self) -> Result<Option<Acquired>, Error> {
        let sem = self.acquire[self.next];
        // SAFETY: the semaphore is unsignalled: the frame that waited on it last has finished.
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
        }))
    }

    /// Presents an acquired image after the frame rendered into it. `Ok(false)` means the
    /// swapchain is out of date or suboptimal: recreate it.
    ///
    /// # Errors
    /// A failed call other than out-of-date.
    pub fn present(&mut self, acquired: &Acquired) -> Result<bool, Error> {
        let waits = [acquired.render_done];
        let swapchains = [self.swapchain];
        let indices = [acquired.index];
        let info = vk::PresentInfoKHR::default()
            .wait_semaphores(&waits)
            .swapchains(&swapchains)
            .image_indices(&indices);
        // SAFETY: the image was acquired from this swapchain and the frame that renders into it
        // signals `render_done`.
        match unsafe { self.swapchain_fn.queue_present(self.queue, &info) } {
            Ok(false) => Ok(true),
            Ok(true) | Err(vk::Result::ERROR_OUT_OF_DATE_KHR) => Ok(false),
            Err(e) => {
                Err(Error::Vulkan { call: "vkQueuePresentKHR", label: "window".into(), result: e })
            }
        }
    }

    /// Destroys the swapchain and surface (after the executor's frames are done).
    pub fn destroy(mut self, ex: &mut Executor) {
        let _ = ex.wait_idle();
        // SAFETY: presents complete before the queue goes idle.
        let _ = unsafe { self.device.queue_wait_idle(self.queue) };
        self.release_images(ex);
        // SAFETY: nothing uses them any more.
        unsafe {
            for s in self.acquire.drain(..) {
                self.device.destroy_semaphore(s, None);
            }
            self.swapchain_fn.destroy_swapchain(self.swapchain, None);
            self.surface_fn.destroy_surface(self.surface, None);
        }
    }
}

impl Bindings {
    /// Makes the frame wait for `acquired`'s image to be ready before writing colour, and
    /// signal its presentation semaphore when done.
    pub fn present(mut self, acquired: &Acquired) -> Bindings {
        self.wait.push((acquired.acquire, vk::PipelineStageFlags2::COLOR_ATTACHMENT_OUTPUT));
        self.signal.push(acquired.render_done);
        self
    }
}

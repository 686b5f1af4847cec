//! Instance, device and queue from a small [`Config`], with validation and synchronization
//! validation switched on in debug builds and tests (`RG_VALIDATION=0/1` overrides), and a debug
//! messenger that keeps every message so a test can fail on any warning or error.

use crate::error::{Check, Error};
use ash::vk;
use std::ffi::{c_void, CStr, CString};
use std::sync::{Arc, Mutex};

const VALIDATION_LAYER: &CStr = c"VK_LAYER_KHRONOS_validation";

/// How to set up Vulkan.
#[derive(Clone, Debug)]
pub struct Config {
    pub app_name: String,
    /// Validation layer with synchronization validation. Default: on in debug builds, and
    /// whatever `RG_VALIDATION` says when it is set.
    pub validation: bool,
    /// The display a window will be created on: turns on the surface extensions it needs and
    /// `VK_KHR_swapchain`. `None` for headless work.
    pub display: Option<raw_window_handle::RawDisplayHandle>,
}

impl Default for Config {
    fn default() -> Self {
        let validation = match std::env::var("RG_VALIDATION").as_deref() {
            Ok("0") | Ok("false") | Ok("off") => false,
            Ok(_) => true,
            Err(_) => cfg!(debug_assertions),
        };
        Config { app_name: "rg".into(), validation, display: None }
    }
}

/// A message from the validation layers (or the driver), as the messenger received it.
#[derive(Clone, Debug)]
pub struct Message {
    pub severity: vk::DebugUtilsMessageSeverityFlagsEXT,
    pub id: String,
    pub text: String,
}

impl Message {
    /// Warning or error.
    pub fn is_problem(&self) -> bool {
        self.severity.intersects(
            vk::DebugUtilsMessageSeverityFlagsEXT::WARNING
                | vk::DebugUtilsMessageSeverityFlagsEXT::ERROR,
        )
    }
}

type Messages = Arc<Mutex<Vec<Message>>>;

/// What the device can do that the framework cares about.
#[derive(Clone, Debug)]
pub struct Capabilities {
    pub device_name: String,
    pub api_version: (u32, u32, u32),
    pub timestamp_period_ns: f32,
    pub max_image_dimension_2d: u32,
    pub max_image_array_layers: u32,
    pub max_storage_buffer_range: u32,
    pub max_uniform_buffer_range: u32,
    /// The largest buffer the device can make (`maxBufferSize`).
    pub max_buffer_size: u64,
    pub buffer_image_granularity: u64,
    pub draw_indirect_count: bool,
    pub sampler_filter_minmax: bool,
    pub max_push_constants_size: u32,
    pub max_compute_work_group_count: [u32; 3],
    pub max_draw_indirect_count: u32,
    /// Storage images can be read without a format qualifier (lavapipe cannot).
    pub storage_read_without_format: bool,
    /// Whether every queue of the family writes timestamps.
    pub timestamps: bool,
}

/// Raw Vulkan objects of a [`Context`] (see [`Context::raw_handles`]).
#[derive(Clone)]
pub struct RawHandles {
    pub instance: ash::Instance,
    pub physical: vk::PhysicalDevice,
    pub device: ash::Device,
    pub queue: vk::Queue,
    pub queue_family: u32,
}

/// The objects that must outlive everything made from them: the instance, the device and the
/// debug messenger. A [`Context`], and every [`crate::Executor`] and [`crate::Swapchain`] made
/// from it, hold it; the last of them to go destroys it, so no order of drops leaves one of
/// them using a destroyed device.
pub(crate) struct Shared {
    entry: ash::Entry,
    instance: ash::Instance,
    device: ash::Device,
    debug: Option<(ash::ext::debug_utils::Instance, vk::DebugUtilsMessengerEXT)>,
    /// Keeps the messenger's user data alive for as long as the messenger.
    _messages_box: Option<Box<Messages>>,
    /// Held around every use of the queue (submit, present, wait idle): executors and
    /// swapchains share it and may be used from different threads, and Vulkan requires those
    /// calls on one queue to be externally synchronized.
    queue: Mutex<()>,
}

impl Drop for Shared {
    fn drop(&mut self) {
        // SAFETY: this is the last owner, so every executor and swapchain made from the device
        // has been dropped (each waited for its work and destroyed its objects); waiting for
        // the device first means nothing is in flight when it goes.
        unsafe {
            let _ = self.device.device_wait_idle();
            self.device.destroy_device(None);
            if let Some((utils, m)) = &self.debug {
                utils.destroy_debug_utils_messenger(*m, None);
            }
            self.instance.destroy_instance(None);
        }
    }
}

impl Shared {
    pub(crate) fn entry(&self) -> &ash::Entry {
        &self.entry
    }

    /// The lock of the device's queue (a poisoned lock is still a lock: the queue has no
    /// state of ours to protect).
    pub(crate) fn lock_queue(&self) -> std::sync::MutexGuard<'_, ()> {
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// An instance, a device and its queue. Everything in rg-vulkan hangs off one of these.
///
/// Executors and swapchains made from a context share its device: dropping the context first
/// is safe, and the device is destroyed when the last of them is dropped.
pub struct Context {
    pub(crate) shared: Arc<Shared>,
    pub(crate) instance: ash::Instance,
    pub(crate) physical: vk::PhysicalDevice,
    /// Debug labels and object names (`VK_EXT_debug_utils`), when the instance has it.
    pub(crate) debug_device: Option<ash::ext::debug_utils::Device>,
    pub(crate) push_descriptor: ash::khr::push_descriptor::Device,
    pub(crate) surfaces: bool,
    validation: bool,
    messages: Messages,
    pub(crate) device: ash::Device,
    pub(crate) queue: vk::Queue,
    pub(crate) queue_family: u32,
    pub(crate) memory_properties: vk::PhysicalDeviceMemoryProperties,
    pub capabilities: Capabilities,
}

unsafe extern "system" fn on_message(
    severity: vk::DebugUtilsMessageSeverityFlagsEXT,
    _types: vk::DebugUtilsMessageTypeFlagsEXT,
    data: *const vk::DebugUtilsMessengerCallbackDataEXT<'_>,
    user: *mut c_void,
) -> vk::Bool32 {
    // SAFETY: the layer passes a valid callback-data pointer for the duration of the call, and
    // `user` is the `Box<Messages>` that `Context` keeps alive until the messenger is destroyed.
    let (data, messages) = unsafe { (&*data, &*(user as *const Messages)) };
    let text = |p: *const std::ffi::c_char| {
        if p.is_null() {
            String::new()
        } else {
            // SAFETY: non-null strings from the layer are NUL-terminated and live for the call.
            unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
        }
    };
    let msg = Message { severity, id: text(data.p_message_id_name), text: text(data.p_message) };
    if let Ok(mut m) = messages.lock() {
        m.push(msg);
    }
    vk::FALSE
}

impl Context {
    /// Loads Vulkan, creates an instance (with validation when asked) and a device with one
    /// queue that does graphics, compute and transfer.
    ///
    /// # Errors
    /// No loader, a missing validation layer, no device with Vulkan 1.3, `synchronization2`,
    /// `timelineSemaphore` and `dynamicRendering`, or a failed Vulkan call.
    pub fn new(config: &Config) -> Result<Context, Error> {
        // SAFETY: loading the system's Vulkan loader; its entry points are used only through ash.
        let entry = unsafe { ash::Entry::load() }.map_err(|e| Error::Loader(e.to_string()))?;

        let mut layers: Vec<*const std::ffi::c_char> = Vec::new();
        let mut extensions: Vec<*const std::ffi::c_char> = Vec::new();
        // SAFETY: a plain query of the loader.
        let instance_extensions = unsafe { entry.enumerate_instance_extension_properties(None) }
            .check("vkEnumerateInstanceExtensionProperties", "instance")?;
        let has_debug_utils = instance_extensions
            .iter()
            .any(|e| e.extension_name_as_c_str().is_ok_and(|n| n == ash::ext::debug_utils::NAME));
        if has_debug_utils || config.validation {
            extensions.push(ash::ext::debug_utils::NAME.as_ptr());
        }
        if let Some(display) = config.display {
            let needed = ash_window::enumerate_required_extensions(display)
                .check("enumerate_required_extensions", "window surface")?;
            extensions.extend_from_slice(needed);
        }
        if config.validation {
            // SAFETY: a plain query of the loader.
            let available = unsafe { entry.enumerate_instance_layer_properties() }
                .check("vkEnumerateInstanceLayerProperties", "instance")?;
            let found = available
                .iter()
                .any(|l| l.layer_name_as_c_str().is_ok_and(|n| n == VALIDATION_LAYER));
            if !found {
                return Err(Error::MissingLayer(VALIDATION_LAYER.to_string_lossy().into_owned()));
            }
            layers.push(VALIDATION_LAYER.as_ptr());
        }
        extensions.dedup();
        let app_name = CString::new(config.app_name.clone()).unwrap_or_else(|_| c"rg".into());
        let app = vk::ApplicationInfo::default()
            .application_name(&app_name)
            .engine_name(c"rg")
            .api_version(vk::API_VERSION_1_3);
        let enables = [vk::ValidationFeatureEnableEXT::SYNCHRONIZATION_VALIDATION];
        let mut features =
            vk::ValidationFeaturesEXT::default().enabled_validation_features(&enables);
        // The messenger's user data: a boxed handle on the message list, kept (in `Shared`)
        // until after the instance is destroyed.
        let messages: Messages = Arc::new(Mutex::new(Vec::new()));
        let boxed = Box::new(messages.clone());
        let mut messenger_info = vk::DebugUtilsMessengerCreateInfoEXT::default()
            .message_severity(
                vk::DebugUtilsMessageSeverityFlagsEXT::WARNING
                    | vk::DebugUtilsMessageSeverityFlagsEXT::ERROR
                    | vk::DebugUtilsMessageSeverityFlagsEXT::INFO,
            )
            .message_type(
                vk::DebugUtilsMessageTypeFlagsEXT::GENERAL
                    | vk::DebugUtilsMessageTypeFlagsEXT::VALIDATION
                    | vk::DebugUtilsMessageTypeFlagsEXT::PERFORMANCE,
            )
            .pfn_user_callback(Some(on_message))
            .user_data(&*boxed as *const Messages as *mut c_void);
        let mut info = vk::InstanceCreateInfo::default()
            .application_info(&app)
            .enabled_layer_names(&layers)
            .enabled_extension_names(&extensions);
        if config.validation {
            // Chained into the instance's creation too, so what the layers report while the
            // instance is created or destroyed (objects leaked past the device, such as a
            // surface) reaches the list, not only stdout.
            info = info.push_next(&mut features).push_next(&mut messenger_info);
        }
        // SAFETY: `info` and everything it points to outlive the call; the messenger's user
        // data outlives the instance.
        let instance =
            unsafe { entry.create_instance(&info, None) }.check("vkCreateInstance", "instance")?;

        let mut messages_box = None;
        let debug = if config.validation {
            let utils = ash::ext::debug_utils::Instance::new(&entry, &instance);
            // Chaining it into the instance's creation linked the validation features after it.
            messenger_info.p_next = std::ptr::null();
            // SAFETY: the user data is a boxed `Messages` kept in `Shared` until after the
            // messenger and the instance are destroyed.
            let messenger = unsafe { utils.create_debug_utils_messenger(&messenger_info, None) }
                .check("vkCreateDebugUtilsMessengerEXT", "instance")?;
            messages_box = Some(boxed);
            Some((utils, messenger))
        } else {
            None
        };

        let (physical, queue_family, capabilities) =
            match pick_device(&instance, config.display.is_some()) {
                Ok(p) => p,
                Err(e) => {
                    // SAFETY: nothing was created from the instance but the messenger.
                    unsafe {
                        if let Some((utils, m)) = &debug {
                            utils.destroy_debug_utils_messenger(*m, None);
                        }
                        instance.destroy_instance(None);
                    }
                    return Err(e);
                }
            };
        let priorities = [1.0f32];
        let queues = [vk::DeviceQueueCreateInfo::default()
            .queue_family_index(queue_family)
            .queue_priorities(&priorities)];
        let mut f13 = vk::PhysicalDeviceVulkan13Features::default()
            .synchronization2(true)
            .dynamic_rendering(true);
        let mut f12 = vk::PhysicalDeviceVulkan12Features::default()
            .timeline_semaphore(true)
            .draw_indirect_count(capabilities.draw_indirect_count)
            .sampler_filter_minmax(capabilities.sampler_filter_minmax);
        let mut f11 = vk::PhysicalDeviceVulkan11Features::default().shader_draw_parameters(true);
        let base = vk::PhysicalDeviceFeatures::default()
            .multi_draw_indirect(true)
            .draw_indirect_first_instance(true)
            .shader_storage_image_write_without_format(true)
            .shader_storage_image_read_without_format(capabilities.storage_read_without_format);
        let mut device_extensions = vec![ash::khr::push_descriptor::NAME.as_ptr()];
        if config.display.is_some() {
            device_extensions.push(ash::khr::swapchain::NAME.as_ptr());
        }
        let info = vk::DeviceCreateInfo::default()
            .queue_create_infos(&queues)
            .enabled_extension_names(&device_extensions)
            .enabled_features(&base)
            .push_next(&mut f13)
            .push_next(&mut f12)
            .push_next(&mut f11);
        // SAFETY: `physical` came from this instance and the create info outlives the call.
        let device = unsafe { instance.create_device(physical, &info, None) }
            .check("vkCreateDevice", &capabilities.device_name)?;
        // SAFETY: queue 0 of a family that was requested with one queue.
        let queue = unsafe { device.get_device_queue(queue_family, 0) };
        // SAFETY: a plain query of a physical device of this instance.
        let memory_properties = unsafe { instance.get_physical_device_memory_properties(physical) };
        let debug_device = (has_debug_utils || config.validation)
            .then(|| ash::ext::debug_utils::Device::new(&instance, &device));
        let push_descriptor = ash::khr::push_descriptor::Device::new(&instance, &device);
        let validation = debug.is_some();
        let shared = Arc::new(Shared {
            entry,
            instance: instance.clone(),
            device: device.clone(),
            debug,
            _messages_box: messages_box,
            queue: Mutex::new(()),
        });
        Ok(Context {
            shared,
            instance,
            physical,
            debug_device,
            push_descriptor,
            surfaces: config.display.is_some(),
            validation,
            messages,
            device,
            queue,
            queue_family,
            memory_properties,
            capabilities,
        })
    }

    /// Every message received so far.
    pub fn messages(&self) -> Vec<Message> {
        self.messages.lock().map(|m| m.clone()).unwrap_or_default()
    }

    /// Warnings and errors received so far.
    pub fn problems(&self) -> Vec<Message> {
        self.messages().into_iter().filter(Message::is_problem).collect()
    }

    /// Forgets the messages received so far.
    pub fn clear_messages(&self) {
        if let Ok(mut m) = self.messages.lock() {
            m.clear();
        }
    }

    /// Whether command buffers get debug labels (`VK_EXT_debug_utils` is enabled).
    pub fn has_debug_labels(&self) -> bool {
        self.debug_device.is_some()
    }

    /// Whether validation is on.
    pub fn validation(&self) -> bool {
        self.validation
    }

    /// The raw device, for code inside rg-vulkan.
    ///
    /// # Safety
    /// The caller must not destroy the device or objects the executor owns, and must keep to
    /// the external synchronization rules of the calls it makes.
    pub unsafe fn raw_device(&self) -> &ash::Device {
        &self.device
    }

    /// The raw Vulkan objects, for code that records by hand beside the executor (the recording
    /// benchmark's hand-written baseline, interop).
    ///
    /// # Safety
    /// As [`Context::raw_device`]; the queue must not be used while an executor submits to it
    /// from another thread.
    pub unsafe fn raw_handles(&self) -> RawHandles {
        RawHandles {
            instance: self.instance.clone(),
            physical: self.physical,
            device: self.device.clone(),
            queue: self.queue,
            queue_family: self.queue_family,
        }
    }

    /// Waits until the device is idle.
    ///
    /// # Errors
    /// Device loss.
    pub fn wait_idle(&self) -> Result<(), Error> {
        let _queue = self.shared.lock_queue();
        // SAFETY: the device is alive; the queue lock keeps other threads off the queue.
        unsafe { self.device.device_wait_idle() }.check("vkDeviceWaitIdle", "device")
    }
}

impl Context {
    /// Drops the context and returns every warning or error the validation layers reported.
    /// When no executor or swapchain made from it is alive any more, the device and the
    /// instance are destroyed first, and the messages include teardown: objects still alive
    /// when the device goes are reported by the layer's object tracker, so a test can prove
    /// nothing leaked. When one still is, the device lives on until the last of them is
    /// dropped, and an error message says so.
    pub fn shutdown(self) -> Vec<Message> {
        let Context { shared, messages, .. } = self;
        if let Err(shared) = Arc::try_unwrap(shared) {
            let owners = Arc::strong_count(&shared) - 1;
            drop(shared);
            if let Ok(mut m) = messages.lock() {
                m.push(Message {
                    severity: vk::DebugUtilsMessageSeverityFlagsEXT::ERROR,
                    id: "rg-vulkan".into(),
                    text: format!(
                        "Context::shutdown: {owners} executor(s) or swapchain(s) made from this \
                         context are still alive; the device is destroyed when the last is dropped"
                    ),
                });
            }
        }
        let all = messages.lock().map(|m| m.clone()).unwrap_or_default();
        all.into_iter().filter(Message::is_problem).collect()
    }

    /// A handle on the list of validation messages that stays readable after the context is
    /// dropped (for tests that drop the context before its executors).
    pub fn message_log(&self) -> MessageLog {
        MessageLog(self.messages.clone())
    }
}

/// The validation messages of a [`Context`], readable for as long as this handle lives.
#[derive(Clone)]
pub struct MessageLog(Messages);

impl MessageLog {
    /// Warnings and errors received so far.
    pub fn problems(&self) -> Vec<Message> {
        let all = self.0.lock().map(|m| m.clone()).unwrap_or_default();
        all.into_iter().filter(Message::is_problem).collect()
    }
}

fn pick_device(
    instance: &ash::Instance,
    swapchain: bool,
) -> Result<(vk::PhysicalDevice, u32, Capabilities), Error> {
    // SAFETY: a plain query of the instance.
    let devices = unsafe { instance.enumerate_physical_devices() }
        .check("vkEnumeratePhysicalDevices", "instance")?;
    let mut reasons = Vec::new();
    for pd in devices {
        // SAFETY: plain queries of a physical device of this instance.
        let props = unsafe { instance.get_physical_device_properties(pd) };
        let mut p13 = vk::PhysicalDeviceVulkan13Properties::default();
        if props.api_version >= vk::API_VERSION_1_3 {
            let mut p2 = vk::PhysicalDeviceProperties2::default().push_next(&mut p13);
            // SAFETY: the chain outlives the call; the device has Vulkan 1.3's structures.
            unsafe { instance.get_physical_device_properties2(pd, &mut p2) };
        }
        let name =
            props.device_name_as_c_str().map_or("?".into(), |n| n.to_string_lossy().into_owned());
        let v = props.api_version;
        if v < vk::API_VERSION_1_3 {
            reasons.push(format!(
                "`{name}` supports Vulkan {}.{} only",
                vk::api_version_major(v),
                vk::api_version_minor(v)
            ));
            continue;
        }
        let mut f13 = vk::PhysicalDeviceVulkan13Features::default();
        let mut f12 = vk::PhysicalDeviceVulkan12Features::default();
        let mut f11 = vk::PhysicalDeviceVulkan11Features::default();
        let mut f2 = vk::PhysicalDeviceFeatures2::default()
            .push_next(&mut f13)
            .push_next(&mut f12)
            .push_next(&mut f11);
        // SAFETY: the chain outlives the call.
        unsafe { instance.get_physical_device_features2(pd, &mut f2) };
        let base = f2.features;
        // SAFETY: a plain query.
        let extensions = unsafe { instance.enumerate_device_extension_properties(pd) }
            .check("vkEnumerateDeviceExtensionProperties", &name)?;
        let has_ext = |want: &CStr| {
            if extensions.iter().any(|e| e.extension_name_as_c_str().is_ok_and(|n| n == want)) {
                vk::TRUE
            } else {
                vk::FALSE
            }
        };
        let mut wanted = vec![
            (f13.synchronization2, "synchronization2"),
            (f13.dynamic_rendering, "dynamicRendering"),
            (f12.timeline_semaphore, "timelineSemaphore"),
            (f11.shader_draw_parameters, "shaderDrawParameters"),
            (base.multi_draw_indirect, "multiDrawIndirect"),
            (base.draw_indirect_first_instance, "drawIndirectFirstInstance"),
            (
                base.shader_storage_image_write_without_format,
                "shaderStorageImageWriteWithoutFormat",
            ),
            (has_ext(ash::khr::push_descriptor::NAME), "VK_KHR_push_descriptor"),
        ];
        if swapchain {
            wanted.push((has_ext(ash::khr::swapchain::NAME), "VK_KHR_swapchain"));
        }
        let missing: Vec<&str> =
            wanted.iter().filter(|(has, _)| *has == vk::FALSE).map(|(_, n)| *n).collect();
        if !missing.is_empty() {
            reasons.push(format!("`{name}` lacks {}", missing.join(", ")));
            continue;
        }
        // SAFETY: a plain query.
        let families = unsafe { instance.get_physical_device_queue_family_properties(pd) };
        let want = vk::QueueFlags::GRAPHICS | vk::QueueFlags::COMPUTE;
        let Some(family) = families.iter().position(|f| f.queue_flags.contains(want)) else {
            reasons.push(format!("`{name}` has no queue that does graphics and compute"));
            continue;
        };
        let caps = Capabilities {
            device_name: name,
            api_version: (
                vk::api_version_major(v),
                vk::api_version_minor(v),
                vk::api_version_patch(v),
            ),
            timestamp_period_ns: props.limits.timestamp_period,
            max_image_dimension_2d: props.limits.max_image_dimension2_d,
            max_image_array_layers: props.limits.max_image_array_layers,
            max_storage_buffer_range: props.limits.max_storage_buffer_range,
            max_uniform_buffer_range: props.limits.max_uniform_buffer_range,
            max_buffer_size: p13.max_buffer_size,
            buffer_image_granularity: props.limits.buffer_image_granularity,
            draw_indirect_count: f12.draw_indirect_count == vk::TRUE,
            sampler_filter_minmax: f12.sampler_filter_minmax == vk::TRUE,
            max_push_constants_size: props.limits.max_push_constants_size,
            max_compute_work_group_count: props.limits.max_compute_work_group_count,
            max_draw_indirect_count: props.limits.max_draw_indirect_count,
            storage_read_without_format: base.shader_storage_image_read_without_format == vk::TRUE,
            timestamps: props.limits.timestamp_compute_and_graphics == vk::TRUE
                && families[family].timestamp_valid_bits > 0,
        };
        return Ok((pd, family as u32, caps));
    }
    if reasons.is_empty() {
        reasons.push(
            "there is no Vulkan device at all (install mesa-vulkan-drivers for lavapipe)".into(),
        );
    }
    Err(Error::NoDevice(reasons.join("; ")))
}

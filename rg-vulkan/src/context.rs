//! Instance, device and queue from a small [`Config`], with validation and synchronization
//! validation switched on in debug builds and tests (`RG_VALIDATION=0/1` overrides), and a debug
//! messenger that keeps every message so a test can fail on any warning or error.
//!
//! rg uses three parts of Vulkan 1.3: synchronization2, dynamic rendering, and maintenance4
//! (memory requirements asked without an object, `maxBufferSize`). A Vulkan 1.2 device that has
//! their extensions is taken too (a capture tool can lower the version a driver reports: RenderDoc's
//! layer reports 1.2 on drivers without `bufferDeviceAddressCaptureReplay`). There the
//! extensions are enabled and the device's 1.3 function table is loaded from their `KHR` entry
//! points, which have the same signatures, so every caller (the executor, the memory queries,
//! code that records by hand beside them) keeps one code path.

use crate::error::{Check, Error};
use ash::vk;
use std::ffi::{c_void, CStr, CString};
use std::sync::{Arc, Mutex};

mod probe;
use probe::pick_device;

const VALIDATION_LAYER: &CStr = c"VK_LAYER_KHRONOS_validation";

/// The extensions that bring what rg uses of Vulkan 1.3 to a 1.2 device.
const FOR_VULKAN_1_2: [&CStr; 3] = [
    ash::khr::synchronization2::NAME,
    ash::khr::dynamic_rendering::NAME,
    ash::khr::maintenance4::NAME,
];

/// The Vulkan 1.3 commands of those extensions, each with the `KHR` entry point a 1.2 device
/// offers it through (promoted unchanged: the same parameters).
const PROMOTED_COMMANDS: [(&CStr, &CStr); 11] = [
    (c"vkCmdPipelineBarrier2", c"vkCmdPipelineBarrier2KHR"),
    (c"vkCmdWriteTimestamp2", c"vkCmdWriteTimestamp2KHR"),
    (c"vkQueueSubmit2", c"vkQueueSubmit2KHR"),
    (c"vkCmdSetEvent2", c"vkCmdSetEvent2KHR"),
    (c"vkCmdResetEvent2", c"vkCmdResetEvent2KHR"),
    (c"vkCmdWaitEvents2", c"vkCmdWaitEvents2KHR"),
    (c"vkCmdBeginRendering", c"vkCmdBeginRenderingKHR"),
    (c"vkCmdEndRendering", c"vkCmdEndRenderingKHR"),
    (c"vkGetDeviceBufferMemoryRequirements", c"vkGetDeviceBufferMemoryRequirementsKHR"),
    (c"vkGetDeviceImageMemoryRequirements", c"vkGetDeviceImageMemoryRequirementsKHR"),
    (c"vkGetDeviceImageSparseMemoryRequirements", c"vkGetDeviceImageSparseMemoryRequirementsKHR"),
];

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
    /// The version the device reports. Below 1.3 (1.2), what rg uses of 1.3 comes from
    /// extensions, reached through their `KHR` entry points.
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
    /// No loader, a missing validation layer, no device with Vulkan 1.3 (or 1.2 with
    /// `VK_KHR_synchronization2`, `VK_KHR_dynamic_rendering` and `VK_KHR_maintenance4`),
    /// `synchronization2`, `dynamicRendering`, `timelineSemaphore` and the rest of what rg
    /// uses (the error names each missing part, per device), or a failed Vulkan call.
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
            match pick_device(&entry, &instance, config.display.is_some()) {
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
        let core_1_3 = capabilities.api_version >= (1, 3, 0);
        let mut f13 = vk::PhysicalDeviceVulkan13Features::default()
            .synchronization2(true)
            .dynamic_rendering(true);
        // The same two features on a 1.2 device, from their extensions.
        let mut sync2 =
            vk::PhysicalDeviceSynchronization2Features::default().synchronization2(true);
        let mut rendering =
            vk::PhysicalDeviceDynamicRenderingFeatures::default().dynamic_rendering(true);
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
        if !core_1_3 {
            device_extensions.extend(FOR_VULKAN_1_2.iter().map(|e| e.as_ptr()));
        }
        let mut info = vk::DeviceCreateInfo::default()
            .queue_create_infos(&queues)
            .enabled_extension_names(&device_extensions)
            .enabled_features(&base)
            .push_next(&mut f12)
            .push_next(&mut f11);
        // A 1.2 device takes no 1.3 structure: its features come from the extensions' own.
        info = if core_1_3 {
            info.push_next(&mut f13)
        } else {
            info.push_next(&mut sync2).push_next(&mut rendering)
        };
        // SAFETY: `physical` came from this instance and the create info outlives the call.
        let device = unsafe { instance.create_device(physical, &info, None) }
            .check("vkCreateDevice", &capabilities.device_name)?;
        let device = if core_1_3 {
            device
        } else {
            // SAFETY: the device was just created with the extensions whose entry points
            // `load_promoted` resolves.
            unsafe { load_promoted(&instance, device.handle()) }
        };
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

/// Loads `device`'s function table with the 1.3 commands of [`PROMOTED_COMMANDS`] taken from
/// their `KHR` entry points, for a Vulkan 1.2 device.
///
/// # Safety
/// `device` was created from `instance` with the extensions of [`FOR_VULKAN_1_2`] enabled.
unsafe fn load_promoted(instance: &ash::Instance, device: vk::Device) -> ash::Device {
    let get = instance.fp_v1_0().get_device_proc_addr;
    let get = |name: &CStr| {
        // SAFETY: a plain query of a live device; a function pointer and a data pointer have
        // the same size here, and a missing command stays null (ash's stub panics if called).
        unsafe {
            std::mem::transmute::<vk::PFN_vkVoidFunction, *const c_void>(get(device, name.as_ptr()))
        }
    };
    // SAFETY: the caller's promise; every pointer comes from this device.
    unsafe { load_with_khr_names(device, get) }
}

/// An `ash::Device` whose commands come from `get`, asked for the `KHR` name of each command
/// of [`PROMOTED_COMMANDS`] and for the core name of every other.
///
/// # Safety
/// `get` returns, for each name, null or a pointer to that command of `device`.
unsafe fn load_with_khr_names(
    device: vk::Device,
    get: impl Fn(&CStr) -> *const c_void,
) -> ash::Device {
    let load = |name: &CStr| {
        get(PROMOTED_COMMANDS.iter().find(|(core, _)| *core == name).map_or(name, |p| p.1))
    };
    // SAFETY: the caller's promise.
    unsafe { ash::Device::load_with(load, device) }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Loading a 1.2 device's table asks for the `KHR` entry point of every 1.3 command rg
    /// calls, and for no core 1.3 name of them (a layer may answer both names with one
    /// function, as RenderDoc's does on lavapipe, so a device cannot show which was asked).
    #[test]
    fn a_vulkan_1_2_device_is_loaded_from_khr_entry_points() {
        for (core, alias) in PROMOTED_COMMANDS {
            let core = core.to_str().expect("ASCII");
            assert_eq!(alias.to_str().expect("ASCII"), format!("{core}KHR"));
        }
        let asked = std::cell::RefCell::new(Vec::new());
        // SAFETY: nothing is loaded (every pointer is null) and nothing is called.
        let _ = unsafe {
            load_with_khr_names(vk::Device::null(), |name| {
                asked.borrow_mut().push(name.to_str().expect("ASCII").to_string());
                std::ptr::null()
            })
        };
        let asked = asked.into_inner();
        let used = [
            "vkCmdPipelineBarrier2",
            "vkCmdWriteTimestamp2",
            "vkQueueSubmit2",
            "vkCmdBeginRendering",
            "vkCmdEndRendering",
            "vkGetDeviceBufferMemoryRequirements",
            "vkGetDeviceImageMemoryRequirements",
        ];
        for name in used {
            assert!(asked.contains(&format!("{name}KHR")), "{name}KHR not asked: {asked:?}");
            assert!(!asked.iter().any(|a| a == name), "{name} asked by its core name");
        }
        // Commands not taken from an extension keep their core names.
        assert!(asked.iter().any(|a| a == "vkCmdDispatch"));
        assert!(asked.iter().any(|a| a == "vkCmdDrawIndexedIndirectCount"));
    }
}

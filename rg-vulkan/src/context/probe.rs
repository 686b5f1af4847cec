//! The device probe: which physical device fits what rg needs, and why the others do not.

use super::*;

/// Why a device that reports Vulkan `version` does not fit: the parts of what rg needs that it
/// lacks (`missing`, empty when only the version is short) and, below 1.3, the capture or
/// debugging tools active on it (`tools`), which may report a lower version than the driver's.
pub(super) fn unfit(name: &str, version: u32, missing: &[&str], tools: &[String]) -> String {
    let (major, minor) = (vk::api_version_major(version), vk::api_version_minor(version));
    let mut why = if version >= vk::API_VERSION_1_3 {
        format!("`{name}` lacks {}", missing.join(", "))
    } else if version >= vk::API_VERSION_1_2 {
        format!(
            "`{name}` reports Vulkan {major}.{minor} and lacks {} (below Vulkan 1.3, rg needs \
             VK_KHR_synchronization2, VK_KHR_dynamic_rendering and VK_KHR_maintenance4)",
            missing.join(", ")
        )
    } else {
        format!(
            "`{name}` supports Vulkan {major}.{minor} only (rg needs 1.3, or 1.2 with \
             VK_KHR_synchronization2, VK_KHR_dynamic_rendering and VK_KHR_maintenance4)"
        )
    };
    if version < vk::API_VERSION_1_3 {
        let tool = if tools.is_empty() {
            "a capture tool".to_string()
        } else {
            format!("{} (active on it)", tools.join(", "))
        };
        why.push_str(&format!(
            "; {tool} may be lowering the version the driver reports: RenderDoc's layer \
             reports 1.2 on drivers without bufferDeviceAddressCaptureReplay"
        ));
    }
    why
}

/// The tools active on `pd` (`VK_EXT_tooling_info`), as `name version`.
fn active_tools(
    entry: &ash::Entry,
    instance: &ash::Instance,
    pd: vk::PhysicalDevice,
) -> Vec<String> {
    let tooling = ash::ext::tooling_info::Instance::new(entry, instance);
    // SAFETY: a plain query; the caller checked that `pd` has VK_EXT_tooling_info.
    let tools = unsafe { tooling.get_physical_device_tool_properties(pd) }.unwrap_or_default();
    tools
        .iter()
        .map(|t| {
            let name = t.name_as_c_str().map_or("?".into(), |n| n.to_string_lossy());
            let version = t.version_as_c_str().map_or("".into(), |n| n.to_string_lossy());
            format!("{name} {version}").trim_end().to_string()
        })
        .collect()
}

pub(super) fn pick_device(
    entry: &ash::Entry,
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
        let name =
            props.device_name_as_c_str().map_or("?".into(), |n| n.to_string_lossy().into_owned());
        let v = props.api_version;
        // SAFETY: a plain query.
        let extensions = unsafe { instance.enumerate_device_extension_properties(pd) }
            .check("vkEnumerateDeviceExtensionProperties", &name)?;
        let has = |want: &CStr| {
            extensions.iter().any(|e| e.extension_name_as_c_str().is_ok_and(|n| n == want))
        };
        let tools = || {
            if has(ash::ext::tooling_info::NAME) {
                active_tools(entry, instance, pd)
            } else {
                Vec::new()
            }
        };
        if v < vk::API_VERSION_1_2 {
            reasons.push(unfit(&name, v, &[], &tools()));
            continue;
        }
        let core_1_3 = v >= vk::API_VERSION_1_3;
        // On a 1.2 device, the extensions' structures stand in for the 1.3 ones, chained only
        // when the device has the extension.
        let (has_sync2, has_rendering, has_maintenance4) = (
            core_1_3 || has(ash::khr::synchronization2::NAME),
            core_1_3 || has(ash::khr::dynamic_rendering::NAME),
            core_1_3 || has(ash::khr::maintenance4::NAME),
        );
        let mut p13 = vk::PhysicalDeviceVulkan13Properties::default();
        let mut pm4 = vk::PhysicalDeviceMaintenance4Properties::default();
        let mut p2 = vk::PhysicalDeviceProperties2::default();
        if core_1_3 {
            p2 = p2.push_next(&mut p13);
        } else if has_maintenance4 {
            p2 = p2.push_next(&mut pm4);
        }
        // SAFETY: the chain outlives the call and holds only structures the device knows.
        unsafe { instance.get_physical_device_properties2(pd, &mut p2) };
        let max_buffer_size = if core_1_3 { p13.max_buffer_size } else { pm4.max_buffer_size };
        let mut f13 = vk::PhysicalDeviceVulkan13Features::default();
        let mut sync2 = vk::PhysicalDeviceSynchronization2Features::default();
        let mut rendering = vk::PhysicalDeviceDynamicRenderingFeatures::default();
        let mut f12 = vk::PhysicalDeviceVulkan12Features::default();
        let mut f11 = vk::PhysicalDeviceVulkan11Features::default();
        let mut f2 = vk::PhysicalDeviceFeatures2::default().push_next(&mut f12).push_next(&mut f11);
        if core_1_3 {
            f2 = f2.push_next(&mut f13);
        } else {
            if has_sync2 {
                f2 = f2.push_next(&mut sync2);
            }
            if has_rendering {
                f2 = f2.push_next(&mut rendering);
            }
        }
        // SAFETY: the chain outlives the call and holds only structures the device knows.
        unsafe { instance.get_physical_device_features2(pd, &mut f2) };
        let base = f2.features;
        let (sync2, rendering) = if core_1_3 {
            (f13.synchronization2, f13.dynamic_rendering)
        } else {
            (sync2.synchronization2, rendering.dynamic_rendering)
        };
        let yes = |b: vk::Bool32| b == vk::TRUE;
        let mut wanted = vec![
            (!has_sync2 || yes(sync2), "synchronization2"),
            (!has_rendering || yes(rendering), "dynamicRendering"),
            (yes(f12.timeline_semaphore), "timelineSemaphore"),
            (yes(f11.shader_draw_parameters), "shaderDrawParameters"),
            (yes(base.multi_draw_indirect), "multiDrawIndirect"),
            (yes(base.draw_indirect_first_instance), "drawIndirectFirstInstance"),
            (
                yes(base.shader_storage_image_write_without_format),
                "shaderStorageImageWriteWithoutFormat",
            ),
            (has(ash::khr::push_descriptor::NAME), "VK_KHR_push_descriptor"),
        ];
        if !core_1_3 {
            wanted.push((has_sync2, "VK_KHR_synchronization2"));
            wanted.push((has_rendering, "VK_KHR_dynamic_rendering"));
            wanted.push((has_maintenance4, "VK_KHR_maintenance4"));
        }
        if swapchain {
            wanted.push((has(ash::khr::swapchain::NAME), "VK_KHR_swapchain"));
        }
        let missing: Vec<&str> = wanted.iter().filter(|(ok, _)| !ok).map(|(_, n)| *n).collect();
        if !missing.is_empty() {
            let tools = if core_1_3 { Vec::new() } else { tools() };
            reasons.push(unfit(&name, v, &missing, &tools));
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
            max_buffer_size,
            buffer_image_granularity: props.limits.buffer_image_granularity,
            draw_indirect_count: yes(f12.draw_indirect_count),
            sampler_filter_minmax: yes(f12.sampler_filter_minmax),
            max_push_constants_size: props.limits.max_push_constants_size,
            max_compute_work_group_count: props.limits.max_compute_work_group_count,
            max_draw_indirect_count: props.limits.max_draw_indirect_count,
            storage_read_without_format: yes(base.shader_storage_image_read_without_format),
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The probe's words for each kind of unfit device: what is missing, by name, and the note
    /// on capture tools below Vulkan 1.3 only.
    #[test]
    fn unfit_devices_are_named_with_what_they_lack() {
        let v = |minor| vk::make_api_version(0, 1, minor, 0);
        let tools = ["RenderDoc 1.24".to_string()];
        let missing = unfit("gpu", v(2), &["VK_KHR_dynamic_rendering"], &tools);
        assert!(missing.starts_with(
            "`gpu` reports Vulkan 1.2 and lacks VK_KHR_dynamic_rendering (below Vulkan 1.3"
        ));
        assert!(missing.contains("RenderDoc 1.24 (active on it) may be lowering the version"));
        let unknown_tool = unfit("gpu", v(2), &["synchronization2"], &[]);
        assert!(unknown_tool.contains("lacks synchronization2"));
        assert!(unknown_tool.contains("a capture tool may be lowering the version"));
        let old = unfit("gpu", v(1), &[], &[]);
        assert!(old.starts_with("`gpu` supports Vulkan 1.1 only (rg needs 1.3, or 1.2 with"));
        let core = unfit("gpu", v(3), &["timelineSemaphore", "VK_KHR_push_descriptor"], &tools);
        assert_eq!(core, "`gpu` lacks timelineSemaphore, VK_KHR_push_descriptor");
    }
}

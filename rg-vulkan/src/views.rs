//! Image views of parts of images: a mip level of a pyramid bound as a storage image, one
//! layer of a shadow-map array as a depth attachment, the depth aspect of a depth-stencil image
//! bound for sampling. Every image has one view of all of it, made with the image; views of
//! parts are made the first time a pass binds them and kept until their image is destroyed,
//! so a frame like the last makes none.

use crate::error::{Check, Error};
use crate::recorder::ImageRef;
use ash::vk;
use rg_core::Subresource;
use std::collections::HashMap;

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    image: vk::Image,
    range: [u32; 4],
    aspect: vk::ImageAspectFlags,
    array: bool,
}

/// The views of parts of images, by image, range and aspect.
#[derive(Default)]
pub(crate) struct Views {
    map: HashMap<Key, vk::ImageView>,
}

/// The Vulkan range of a resolved subresource, in `aspect`.
pub(crate) fn range(sub: Subresource, aspect: vk::ImageAspectFlags) -> vk::ImageSubresourceRange {
    vk::ImageSubresourceRange {
        aspect_mask: aspect,
        base_mip_level: sub.base_mip,
        level_count: sub.mip_count,
        base_array_layer: sub.base_layer,
        layer_count: sub.layer_count,
    }
}

impl Views {
    /// A view of `sub` (resolved, explicit counts) of `img` in `aspect`, as a 2D array when
    /// `array` (what a shader's `texture2DArray` or `image2DArray` takes) or else as a 2D image
    /// (of one layer): the image's own view when that is the same, else a cached view.
    pub(crate) fn get(
        &mut self,
        device: &ash::Device,
        img: &ImageRef,
        sub: Subresource,
        aspect: vk::ImageAspectFlags,
        array: bool,
        label: &str,
    ) -> Result<vk::ImageView, Error> {
        let whole = sub.base_mip == 0
            && sub.mip_count == img.mip_levels
            && sub.base_layer == 0
            && sub.layer_count == img.array_layers;
        // The image's own view is a 2D array exactly when the image has several layers.
        let same_type = array == (img.array_layers > 1);
        if whole && same_type && aspect == img.aspect && img.view != vk::ImageView::null() {
            return Ok(img.view);
        }
        let key = Key {
            image: img.image,
            range: [sub.base_mip, sub.mip_count, sub.base_layer, sub.layer_count],
            aspect,
            array,
        };
        if let Some(&v) = self.map.get(&key) {
            return Ok(v);
        }
        let view_type =
            if array { vk::ImageViewType::TYPE_2D_ARRAY } else { vk::ImageViewType::TYPE_2D };
        let info = vk::ImageViewCreateInfo::default()
            .image(img.image)
            .view_type(view_type)
            .format(img.format)
            .subresource_range(range(sub, aspect));
        // SAFETY: a view of a live image, in its own format, of a range the plan resolved
        // inside the image and an aspect the format has.
        let view =
            unsafe { device.create_image_view(&info, None) }.check("vkCreateImageView", label)?;
        self.map.insert(key, view);
        Ok(view)
    }

    /// Removes and returns the views of `image`, for destruction with it.
    pub(crate) fn take_for(&mut self, image: vk::Image) -> Vec<vk::ImageView> {
        let mut out = Vec::new();
        self.map.retain(|k, v| {
            let keep = k.image != image;
            if !keep {
                out.push(*v);
            }
            keep
        });
        out
    }

    /// Removes and returns every view.
    pub(crate) fn drain(&mut self) -> Vec<vk::ImageView> {
        self.map.drain().map(|(_, v)| v).collect()
    }
}

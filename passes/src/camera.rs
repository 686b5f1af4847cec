//! A camera with a reversed-Z infinite perspective, and what the passes derive from it.
//!
//! Reversed Z puts the near plane at depth 1 and infinity at depth 0, which spreads float
//! precision evenly over distance; "farther" is "smaller", so depth tests use `>=` and the
//! depth pyramid keeps minimums. View space is right-handed with -z forward (glam's `_rh`
//! functions); the projection flips y for Vulkan, whose framebuffer y points down.

use glam::{Mat4, Vec3};

/// Where the camera is and where it looks.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Camera {
    pub position: Vec3,
    /// Unit direction of view.
    pub forward: Vec3,
    /// Vertical field of view, radians.
    pub fov_y: f32,
    /// Distance to the near plane (there is no far plane).
    pub z_near: f32,
}

impl Camera {
    /// A camera at `position` looking at `target`, with a 60° field of view and a near plane
    /// at 0.1.
    pub fn look_at(position: Vec3, target: Vec3) -> Camera {
        Camera {
            position,
            forward: (target - position).normalize_or(Vec3::NEG_Z),
            fov_y: 60f32.to_radians(),
            z_near: 0.1,
        }
    }

    /// World to view space.
    pub fn view(&self) -> Mat4 {
        let up =
            if self.forward.cross(Vec3::Y).length_squared() < 1e-8 { Vec3::Z } else { Vec3::Y };
        Mat4::look_to_rh(self.position, self.forward, up)
    }

    /// View to clip space: reversed-Z infinite perspective, y flipped for Vulkan.
    pub fn projection(&self, aspect: f32) -> Mat4 {
        let mut p = Mat4::perspective_infinite_reverse_rh(self.fov_y, aspect, self.z_near);
        p.y_axis.y = -p.y_axis.y;
        p
    }

    /// Everything a frame of `width` x `height` pixels needs of the camera.
    pub fn frame(&self, width: u32, height: u32) -> View {
        let aspect = width.max(1) as f32 / height.max(1) as f32;
        let view = self.view();
        let projection = self.projection(aspect);
        View {
            view,
            projection,
            view_projection: projection * view,
            position: self.position,
            forward: self.forward.normalize_or(Vec3::NEG_Z),
            fov_y: self.fov_y,
            p00: projection.x_axis.x,
            p11: projection.y_axis.y.abs(),
            z_near: self.z_near,
            width: width.max(1),
            height: height.max(1),
        }
    }
}

/// A camera as one frame sees it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct View {
    pub view: Mat4,
    pub projection: Mat4,
    pub view_projection: Mat4,
    pub position: Vec3,
    /// Unit direction of view.
    pub forward: Vec3,
    /// Vertical field of view, radians.
    pub fov_y: f32,
    /// `projection[0][0]`: the cotangent of half the horizontal field of view.
    pub p00: f32,
    /// `|projection[1][1]|`: the cotangent of half the vertical field of view.
    pub p11: f32,
    pub z_near: f32,
    pub width: u32,
    pub height: u32,
}

impl View {
    /// The camera this view was made from.
    pub fn camera(&self) -> Camera {
        Camera {
            position: self.position,
            forward: self.forward,
            fov_y: self.fov_y,
            z_near: self.z_near,
        }
    }

    /// Width over height.
    pub fn aspect(&self) -> f32 {
        self.width as f32 / self.height as f32
    }

    /// The world-space size of one pixel at distance 1 from the eye (vertically).
    pub fn pixel_size_at_unit_distance(&self) -> f32 {
        2.0 / (self.p11 * self.height as f32)
    }
}

/// A scripted camera path over a square field of side `extent` centred on the origin: a slow
/// loop at a varying height, looking ahead and down. `t` is in seconds; the path repeats every
/// 60 seconds.
pub fn path(t: f32, extent: f32) -> Camera {
    let a = t * std::f32::consts::TAU / 60.0;
    let r = extent * 0.35;
    let position = Vec3::new(r * a.cos(), 6.0 + 3.0 * (2.0 * a).sin(), r * a.sin());
    let ahead = Vec3::new(r * (a + 0.35).cos(), 0.0, r * (a + 0.35).sin()) * 0.8;
    Camera::look_at(position, ahead)
}

#[cfg(test)]
mod tests {
    use super::*;
    use glam::Vec4;

    /// Depth of a view-space point `distance` ahead, through the camera's projection.
    fn depth(c: &Camera, distance: f32) -> f32 {
        let p = c.projection(16.0 / 9.0) * Vec4::new(0.0, 0.0, -distance, 1.0);
        p.z / p.w
    }

    /// Checks: reversed Z with no far plane: the near plane is depth 1, depth falls as
    /// `z_near / distance` toward 0 at infinity, and y is flipped for Vulkan (a point above the
    /// eye lands in the upper half, negative clip y).
    #[test]
    fn the_projection_is_reversed_z_infinite_with_y_down() {
        let c = Camera::look_at(Vec3::ZERO, Vec3::NEG_Z);
        assert!((depth(&c, c.z_near) - 1.0).abs() < 1e-6);
        for d in [1.0f32, 10.0, 1000.0, 1e6] {
            assert!((depth(&c, d) - c.z_near / d).abs() < 1e-6 * (c.z_near / d).max(1e-3), "{d}");
        }
        assert!(depth(&c, 1e30) >= 0.0 && depth(&c, 1e30) < 1e-20);
        let up = c.projection(1.0) * Vec4::new(0.0, 1.0, -5.0, 1.0);
        assert!(up.y < 0.0, "y points down in Vulkan's clip space");
        let v = c.frame(1920, 1080);
        assert!((v.p00 * 1920.0 / 1080.0 - v.p11).abs() < 1e-5, "square pixels");
        assert!((v.pixel_size_at_unit_distance() - 2.0 / (v.p11 * 1080.0)).abs() < 1e-9);
    }
}

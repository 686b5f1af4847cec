//! Cascaded shadow maps: where each cascade's slice of the view begins and ends, and the
//! orthographic projection that covers it from the sun.
//!
//! Splits follow the practical scheme (a blend, by `lambda`, of logarithmic and uniform
//! splits): `C_i = λ·n·(f/n)^(i/N) + (1−λ)·(n + (f−n)·i/N)`. Each cascade is fitted to the
//! bounding sphere of its slice of the view frustum, whose size depends only on the field of
//! view and the split distances, never on where the camera looks, so turning the camera does not
//! resize the map; and the sphere's centre, seen from the sun, is snapped to whole texels, so
//! moving the camera shifts the map by whole texels. Together they keep shadow edges from
//! shimmering. The box reaches toward the sun past the sphere, so casters between the sun and
//! the slice land in the map.
//!
//! What proves it right (`passes/tests/shadows.rs`, and the unit tests below): splits increase
//! from near to far; every point of slice k lands inside cascade k's map with at least a texel
//! to spare; sub-texel camera moves shift each cascade by whole texels.

use crate::camera::{Camera, View};
use crate::draw::ShadowInputs;
use crate::scene::SceneInputs;
use crate::terrain_draw::{node_box, node_pushes, select, Node, TerrainLayout};
use glam::{Mat4, Vec3, Vec4};
use rg_core::{
    Access, BufferDesc, Format, Graph, ImageDesc, ImageHandle, QueueKind, ShaderStages, Size,
};
use rg_vulkan::{GraphicsDesc, Pass, Rendering, Sampler};

/// How the cascades are laid out.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CascadeSettings {
    /// Cascades in the shadow array (4 by default).
    pub count: u32,
    /// Blend between logarithmic (1) and uniform (0) splits.
    pub lambda: f32,
    /// Distance from the eye where shadows end.
    pub distance: f32,
    /// Texels on a side of each cascade's map.
    pub resolution: u32,
    /// How far the box reaches toward the sun past the slice's sphere, for casters outside
    /// the view.
    pub reach: f32,
}

impl Default for CascadeSettings {
    fn default() -> CascadeSettings {
        CascadeSettings { count: 4, lambda: 0.75, distance: 120.0, resolution: 2048, reach: 60.0 }
    }
}

/// The split distances of `count` cascades between `near` and `far`: `count + 1` values, the
/// first `near` and the last `far`.
pub fn splits(near: f32, far: f32, count: u32, lambda: f32) -> Vec<f32> {
    let n = count.max(1);
    (0..=n)
        .map(|i| {
            if i == 0 {
                return near;
            }
            if i == n {
                return far;
            }
            let t = i as f32 / n as f32;
            let log = near * (far / near).powf(t);
            let uniform = near + (far - near) * t;
            lambda * log + (1.0 - lambda) * uniform
        })
        .collect()
}

/// One cascade: what it covers and how the sun sees it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Cascade {
    /// The slice of the view it covers, as distances along the view direction.
    pub near: f32,
    pub far: f32,
    /// World to the sun's view: a fixed orientation looking along the sun's rays, origin at the
    /// world's origin (so snapping in it is stable).
    pub view: Mat4,
    /// The sun's view to clip space: orthographic, reversed Z (1 nearest the sun).
    pub projection: Mat4,
    pub view_projection: Mat4,
    /// Half the side of the map, world units (the slice's sphere, padded by two texels).
    pub half_size: f32,
    /// World size of one texel.
    pub texel: f32,
    /// The map's centre in the sun's view (x, y), a whole number of texels.
    pub center: [f32; 2],
    /// The box's depth range: distances along the sun's rays in the sun's view, nearest the
    /// sun first.
    pub depth_range: [f32; 2],
}

/// The radius and the distance along the view direction of the smallest sphere around the
/// slice of a perspective frustum between `near` and `far`, where `k²` is the squared distance
/// from the axis to a corner per unit of depth.
fn slice_sphere(near: f32, far: f32, k2: f32) -> (f32, f32) {
    let center = (far + near) * (1.0 + k2) / 2.0;
    if center >= far {
        // The far corners alone decide: the sphere is the far rectangle's circumcircle.
        return (far, (k2 * far * far).sqrt());
    }
    let radius = ((far - center).powi(2) + k2 * far * far).sqrt();
    (center, radius)
}

/// The sun's view orientation: looking along `toward_sun` reversed (the sun's rays).
pub fn sun_view(toward_sun: Vec3) -> Mat4 {
    let forward = -toward_sun.normalize_or(Vec3::Y);
    let up = if forward.cross(Vec3::Y).length_squared() < 1e-6 { Vec3::Z } else { Vec3::Y };
    Mat4::look_to_rh(Vec3::ZERO, forward, up)
}

/// Fits one cascade to the slice `[near, far]` of `camera`'s view (`aspect` = width / height),
/// seen from the sun (`toward_sun`, a direction).
pub fn fit(
    camera: &Camera,
    aspect: f32,
    near: f32,
    far: f32,
    toward_sun: Vec3,
    settings: &CascadeSettings,
) -> Cascade {
    let tan_y = (camera.fov_y * 0.5).tan();
    let tan_x = tan_y * aspect;
    let (along, radius) = slice_sphere(near, far, tan_x * tan_x + tan_y * tan_y);
    let res = settings.resolution.max(8) as f32;
    // Two texels of padding keep every point a texel inside after snapping; the radius is
    // rounded up to a 1/64 unit step so that rounding in the slice's numbers cannot move the
    // map's size between frames.
    let texel_unpadded = 2.0 * radius / (res - 4.0);
    let half_size = ((radius + 2.0 * texel_unpadded) * 64.0).ceil() / 64.0;
    let texel = 2.0 * half_size / res;
    let view = sun_view(toward_sun);
    let center_world = camera.position + camera.forward.normalize() * along;
    let c = view.transform_point3(center_world);
    let center = [(c.x / texel).round() * texel, (c.y / texel).round() * texel];
    // Depth in the sun's view: -z grows away from the sun. The box spans the sphere, and
    // reaches `reach` further toward the sun.
    let (z_near, z_far) = (-c.z - radius - settings.reach, -c.z + radius);
    let projection = ortho_reverse_z(
        center[0] - half_size,
        center[0] + half_size,
        center[1] - half_size,
        center[1] + half_size,
        z_near,
        z_far,
    );
    Cascade {
        near,
        far,
        view,
        projection,
        view_projection: projection * view,
        half_size,
        texel,
        center,
        depth_range: [z_near, z_far],
    }
}

/// An orthographic projection for a right-handed view looking down -z: x in `[l, r]` and y in
/// `[b, t]` to `[-1, 1]` (y up stays up: shadow maps are sampled with the same convention they
/// are drawn with), and distance `d = -z` in `[near, far]` to depth 1 .. 0 (reversed).
pub fn ortho_reverse_z(l: f32, r: f32, b: f32, t: f32, near: f32, far: f32) -> Mat4 {
    let (w, h, d) = (r - l, t - b, far - near);
    Mat4::from_cols(
        Vec4::new(2.0 / w, 0.0, 0.0, 0.0),
        Vec4::new(0.0, 2.0 / h, 0.0, 0.0),
        // depth = (far - d) / (far - near) with d = -z: z / (far - near) + far / (far - near).
        Vec4::new(0.0, 0.0, 1.0 / d, 0.0),
        Vec4::new(-(r + l) / w, -(t + b) / h, far / d, 1.0),
    )
}

/// Every cascade of a frame.
pub fn cascades(
    camera: &Camera,
    aspect: f32,
    toward_sun: Vec3,
    settings: &CascadeSettings,
) -> Vec<Cascade> {
    let s = splits(camera.z_near, settings.distance, settings.count, settings.lambda);
    s.windows(2).map(|w| fit(camera, aspect, w[0], w[1], toward_sun, settings)).collect()
}

/// Bytes of one cascade's record in the cascade buffer (`Cascade` in `cascades.comp` and
/// `shading.glsl`): its view-projection, then far split, texel size and depth units per world unit.
pub const CASCADE_BYTES: u64 = 80;

/// Renders the sun's cascaded shadow map (`shaders/passes/cascades.comp`, `cull_box.comp`,
/// `shadow.vert`): `shadow.setup` writes each cascade's record, `shadow.reset` zeroes the
/// counts, `shadow.cull` culls casters per cascade against its box (frustum only, no
/// occlusion) into indexed indirect draws, and `shadow.k` draws cascade k's casters into layer
/// k of the `D32Float` array, one pass a layer. With a terrain, each layer also draws the
/// terrain's CDLOD nodes (picked and morphed for the camera, so the shadow's surface is the
/// one drawn) whose boxes reach into the cascade's box.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ShadowCascades {
    pub view: View,
    /// Unit direction toward the sun.
    pub toward_sun: Vec3,
    pub settings: CascadeSettings,
    /// A terrain that casts shadows too: its heightfield and layout.
    pub terrain: Option<(ImageHandle, TerrainLayout)>,
}

/// What [`ShadowCascades`] gives: the map and the cascade records for [`crate::lighting::DeferredLighting`]
/// (as [`ShadowInputs`]), the cascades as the CPU fitted them, and the cull counts (a word a
/// cascade of draws, then a word of draws over capacity).
#[derive(Clone, Debug, PartialEq)]
pub struct ShadowCascadesOut {
    pub inputs: ShadowInputs,
    pub cascades: Vec<Cascade>,
    pub counts: rg_core::BufferHandle,
}

impl ShadowCascades {
    /// Declares the shadow passes for `scene`.
    pub fn add(&self, g: &mut Graph<Pass>, scene: SceneInputs) -> ShadowCascadesOut {
        let cascades =
            cascades(&self.view.camera(), self.view.aspect(), self.toward_sun, &self.settings);
        let n = cascades.len() as u32;
        let res = self.settings.resolution.max(8);
        let desc = ImageDesc::new(Format::D32Float, Size::absolute(res, res)).layers(n);
        let mut map = g.create_image("shadow.map", desc);
        let records = g.create_buffer("shadow.cascades", BufferDesc::new(n as u64 * CASCADE_BYTES));
        let capacity = scene.instance_count.max(1);
        let counts = g.create_buffer("shadow.counts", BufferDesc::new((n as u64 + 1) * 4));
        let mut draws: Vec<rg_core::BufferHandle> = (0..n)
            .map(|k| {
                g.create_buffer(&format!("shadow.draws.{k}"), BufferDesc::new(capacity as u64 * 20))
            })
            .collect();

        // The records, pushed one dispatch a cascade.
        let c = ShaderStages::COMPUTE;
        let mut p = g.add_pass("shadow.setup", QueueKind::Graphics);
        let records = p.write(records, Access::StorageWrite(c));
        let pushes: Vec<Vec<u8>> = cascades
            .iter()
            .enumerate()
            .map(|(k, cs)| {
                let mut b = Vec::with_capacity(84);
                for f in cs.view_projection.to_cols_array() {
                    b.extend_from_slice(&f.to_le_bytes());
                }
                let depth_scale = cs.projection.z_axis.z;
                for f in [cs.far, cs.texel, depth_scale, 0.0] {
                    b.extend_from_slice(&f.to_le_bytes());
                }
                b.extend_from_slice(&(k as u32).to_le_bytes());
                b
            })
            .collect();
        p.record(Box::new(move |r| {
            r.compute("passes/cascades.comp", &[])?;
            r.bind_buffer(0, records)?;
            for push in &pushes {
                r.push_constants(push)?;
                r.dispatch(1, 1, 1)?;
            }
            Ok(())
        }));

        let mut p = g.add_pass("shadow.reset", QueueKind::Graphics);
        let counts = p.write(counts, Access::CopyDst);
        p.record(Box::new(move |r| r.fill_buffer(counts, 0)));

        let mut p = g.add_pass("shadow.cull", QueueKind::Graphics);
        p.read(scene.meshes, Access::StorageRead(c));
        p.read(scene.instances, Access::StorageRead(c));
        for d in &mut draws {
            *d = p.write(*d, Access::StorageWrite(c));
        }
        let counts = p.write(counts, Access::StorageReadWrite(c));
        let culls: Vec<Vec<u8>> = cascades
            .iter()
            .enumerate()
            .map(|(k, cs)| {
                let mut b = Vec::with_capacity(96);
                for f in cs.view.to_cols_array() {
                    b.extend_from_slice(&f.to_le_bytes());
                }
                // The box's depth range along the sun's rays, from its projection.
                let (z_near, z_far) = (cs.depth_range[0], cs.depth_range[1]);
                for f in [cs.center[0], cs.center[1], cs.half_size, cs.texel, z_near, z_far] {
                    b.extend_from_slice(&f.to_le_bytes());
                }
                for u in [scene.instance_count, capacity, k as u32, n] {
                    b.extend_from_slice(&u.to_le_bytes());
                }
                b
            })
            .collect();
        let cull_draws = draws.clone();
        let instances = scene.instance_count;
        p.record(Box::new(move |r| {
            r.compute("passes/cull_box.comp", &[])?;
            r.bind_buffer(0, scene.meshes)?;
            r.bind_buffer(1, scene.instances)?;
            r.bind_buffer(3, counts)?;
            for (push, d) in culls.iter().zip(&cull_draws) {
                r.bind_buffer(2, *d)?;
                r.push_constants(push)?;
                if instances > 0 {
                    r.dispatch_threads(instances, 1, 1)?;
                }
            }
            Ok(())
        }));

        let vs = ShaderStages::VERTEX;
        let terrain_nodes =
            self.terrain.map_or(Vec::new(), |(_, layout)| select(&layout, self.view.position));
        let vertices = self.terrain.map_or(0, |(_, l)| l.quads * l.quads * 6);
        for (k, cs) in cascades.iter().enumerate() {
            let mut p = g.add_pass(&format!("shadow.{k}"), QueueKind::Graphics);
            p.read(scene.vertices, Access::StorageRead(vs));
            p.read(scene.instances, Access::StorageRead(vs));
            p.read(scene.indices, Access::IndexBuffer);
            p.read(draws[k], Access::IndirectArgs);
            p.read(counts, Access::IndirectArgs);
            if let Some((height, _)) = self.terrain {
                p.read(height, Access::Sampled(vs));
            }
            map = p.write(map.layer(k as u32), Access::DepthWrite);
            let vp = cs.view_projection.to_cols_array();
            let push: Vec<u8> = vp.iter().flat_map(|f| f.to_le_bytes()).collect();
            let terrain = self.terrain.map(|(height, layout)| {
                let nodes: Vec<Node> = terrain_nodes
                    .iter()
                    .filter(|n| in_box(cs.view_projection, node_box(&layout, n)))
                    .copied()
                    .collect();
                (height, node_pushes(&layout, self.view.position, cs.view_projection, &nodes))
            });
            let (draws_k, count_offset) = (draws[k], k as u64 * 4);
            p.record(Box::new(move |r| {
                r.begin_rendering(Rendering { clear_color: None, clear_depth: Some(0.0) })?;
                let mut desc = GraphicsDesc::new("passes/shadow.vert", "passes/shadow.frag");
                desc.depth_test = Some(true);
                desc.depth_write = true;
                r.graphics(&desc)?;
                r.bind_buffer(0, scene.vertices)?;
                r.bind_buffer(1, scene.instances)?;
                r.push_constants(&push)?;
                r.draw_indexed_indirect_count(
                    scene.indices,
                    draws_k,
                    0,
                    counts,
                    count_offset,
                    capacity,
                )?;
                if let Some((height, pushes)) = &terrain {
                    let mut desc = GraphicsDesc::new("passes/terrain.vert", "passes/shadow.frag");
                    desc = desc.define("SHADOW", "1");
                    desc.depth_test = Some(true);
                    desc.depth_write = true;
                    r.graphics(&desc)?;
                    r.bind_image(0, *height)?;
                    r.bind_sampler(1, Sampler::Nearest)?;
                    for push in pushes {
                        r.push_constants(push)?;
                        r.draw(vertices, 1)?;
                    }
                }
                r.end_rendering();
                Ok(())
            }));
        }
        ShadowCascadesOut {
            inputs: ShadowInputs { map: map.whole(), cascades: records, count: n },
            cascades,
            counts,
        }
    }
}

/// Whether a box (lowest and highest corner) reaches into a cascade's box: some of its clip
/// coordinates in x and y within [-1, 1], and not all of it beyond the far plane (reversed Z:
/// depth below 0). Casters nearer the sun than the box's near plane are clipped, as instances
/// are.
fn in_box(view_projection: Mat4, [lo, hi]: [Vec3; 2]) -> bool {
    let (mut min, mut max) = (Vec3::splat(f32::MAX), Vec3::splat(f32::MIN));
    for k in 0..8 {
        let corner = Vec3::new(
            if k & 1 == 0 { lo.x } else { hi.x },
            if k & 2 == 0 { lo.y } else { hi.y },
            if k & 4 == 0 { lo.z } else { hi.z },
        );
        let c = view_projection.project_point3(corner);
        min = min.min(c);
        max = max.max(c);
    }
    max.x >= -1.0 && min.x <= 1.0 && max.y >= -1.0 && min.y <= 1.0 && max.z >= 0.0 && min.z <= 1.0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checks: splits increase strictly, start at near and end at far, and sit between the
    /// uniform and the logarithmic split at each step.
    #[test]
    fn splits_increase_from_near_to_far() {
        for (near, far, n, lambda) in
            [(0.1, 120.0, 4, 0.75), (0.5, 50.0, 3, 0.0), (0.1, 1000.0, 6, 1.0)]
        {
            let s = splits(near, far, n, lambda);
            assert_eq!(s.len(), n as usize + 1);
            assert_eq!((s[0], s[n as usize]), (near, far));
            assert!(s.windows(2).all(|w| w[0] < w[1]), "{s:?}");
            for (i, &c) in s.iter().enumerate().skip(1).take(n as usize - 1) {
                let t = i as f32 / n as f32;
                let (log, uni) = (near * (far / near).powf(t), near + (far - near) * t);
                assert!(c >= log.min(uni) - 1e-4 && c <= log.max(uni) + 1e-4);
            }
        }
    }

    /// Checks: the slice's sphere is the smallest around it: the far corners lie on it, and so
    /// do the near corners unless the far rectangle's circumcircle alone holds them.
    #[test]
    fn the_slice_sphere_touches_its_corners() {
        for (near, far, k2) in
            [(0.1f32, 5.0f32, 0.5f32), (5.0, 9.0, 0.4), (20.0, 60.0, 1.8), (1.0, 1.5, 3.0)]
        {
            let (c, r) = slice_sphere(near, far, k2);
            let to = |z: f32| ((z - c).powi(2) + k2 * z * z).sqrt();
            assert!((to(far) - r).abs() <= 1e-4 * r, "far corners on the sphere");
            if c < far {
                assert!((to(near) - r).abs() <= 1e-4 * r, "near corners on the sphere");
            } else {
                assert!(to(near) <= r && c == far);
            }
        }
    }

    fn camera() -> Camera {
        Camera::look_at(Vec3::new(3.0, 5.0, 12.0), Vec3::new(-4.0, 0.5, -6.0))
    }

    /// A point of slice `[near, far]` of the view: `(sx, sy)` in [-1, 1] across the screen,
    /// `t` in [0, 1] from near to far.
    fn slice_point(c: &Camera, aspect: f32, near: f32, far: f32, sx: f32, sy: f32, t: f32) -> Vec3 {
        let inv = c.view().inverse();
        let d = near + (far - near) * t;
        let tan_y = (c.fov_y * 0.5).tan();
        let v = Vec3::new(sx * tan_y * aspect * d, sy * tan_y * d, -d);
        inv.transform_point3(v)
    }

    /// Checks: every point of slice k (a grid over the slice, corners included) projects inside
    /// cascade k's map with at least one texel to spare, and inside its depth range.
    #[test]
    fn every_point_of_a_slice_lands_inside_its_cascade() {
        let settings = CascadeSettings { resolution: 1024, ..CascadeSettings::default() };
        let aspect = 16.0 / 9.0;
        let c = camera();
        let suns = [Vec3::new(0.3, 0.8, 0.2), Vec3::new(1.0, 0.05, 0.0), Vec3::new(-0.2, 0.1, 1.0)];
        for cascade in suns.iter().flat_map(|&sun| cascades(&c, aspect, sun, &settings)) {
            let margin = 2.0 * cascade.texel / (2.0 * cascade.half_size); // one texel in NDC
            for i in 0..=8 {
                for j in 0..=8 {
                    for k in 0..=8 {
                        let (sx, sy, t) =
                            (i as f32 / 4.0 - 1.0, j as f32 / 4.0 - 1.0, k as f32 / 8.0);
                        let p = slice_point(&c, aspect, cascade.near, cascade.far, sx, sy, t);
                        let q = cascade.view_projection.project_point3(p);
                        assert!(q.x.abs() <= 1.0 - margin && q.y.abs() <= 1.0 - margin, "{q:?}");
                        assert!(q.z > 0.0 && q.z < 1.0, "depth {}", q.z);
                    }
                }
            }
        }
    }

    /// Checks: moving the camera by less than a texel, in any direction, moves each cascade's
    /// map by a whole number of texels (often none) and never changes its size; turning the
    /// camera does not change the size either.
    #[test]
    fn sub_texel_moves_shift_cascades_by_whole_texels() {
        let settings = CascadeSettings { resolution: 1024, ..CascadeSettings::default() };
        let sun = Vec3::new(0.3, 0.8, 0.2);
        let base = camera();
        let before = cascades(&base, 1.5, sun, &settings);
        for step in 1..20 {
            let f = step as f32;
            let mut moved = base;
            moved.position += Vec3::new(0.013 * f, -0.007 * f, 0.011 * f);
            moved.forward = (moved.forward + Vec3::new(0.002 * f, 0.0, -0.003 * f)).normalize();
            for (a, b) in before.iter().zip(cascades(&moved, 1.5, sun, &settings)) {
                assert_eq!(a.half_size, b.half_size);
                assert_eq!(a.texel, b.texel);
                // Any world point lands a whole number of texels away from where it landed.
                let res = settings.resolution as f32;
                for p in [Vec3::ZERO, Vec3::new(5.0, 1.0, -3.0), Vec3::new(-20.0, 0.0, 14.0)] {
                    let (qa, qb) =
                        (a.view_projection.project_point3(p), b.view_projection.project_point3(p));
                    for (x, y) in [(qa.x, qb.x), (qa.y, qb.y)] {
                        let shift = (y - x) * res / 2.0;
                        assert!((shift - shift.round()).abs() < 2e-2, "shift {shift} texels");
                    }
                }
            }
        }
    }
}

//! CPU references the GPU passes are checked against, each written from the technique's
//! definition rather than from the shader: the frustum as the six (here five: the projection
//! is infinite) planes of the view-projection matrix in float64 world space, the LOD rule in
//! float64, and the depth pyramid as a minimum over footprints computed in exact integer
//! arithmetic.

use crate::camera::View;
use crate::mesh::Sphere;
use glam::{DVec3, DVec4};

/// How far the GPU frustum test may widen a sphere (its margin, plus float32 rounding of the
/// view transform): a GPU "inside" whose reference margin is above `-band` is a tolerated
/// false positive.
pub fn frustum_band(view: &View, sphere: Sphere) -> f64 {
    let d = (DVec3::from(sphere.center) - DVec3::from(view.position)).length();
    let r = sphere.radius as f64;
    // The shader's margin, 1e-4 (d + r) + 1e-5, and as much again for rounding.
    2.0 * (1e-4 * (d + r) + 1e-5) + 1e-5 * (d + r)
}

/// The world-space planes of `view`'s frustum, from its view-projection matrix in float64
/// (Gribb and Hartmann): `w ± x >= 0`, `w ± y >= 0`, and the near plane `w - z >= 0` (with
/// reversed Z the near plane is depth 1). Normals point inward and have unit length.
pub fn frustum_planes(view: &View) -> [DVec4; 5] {
    let m = view.projection.as_dmat4() * view.view.as_dmat4();
    let row = |i: usize| DVec4::new(m.x_axis[i], m.y_axis[i], m.z_axis[i], m.w_axis[i]);
    let (x, y, z, w) = (row(0), row(1), row(2), row(3));
    [w + x, w - x, w + y, w - y, w - z].map(|p| p / p.truncate().length())
}

/// How far `sphere` reaches into the frustum: the smallest signed distance from its centre to
/// a plane, plus its radius. The sphere touches the frustum (by the plane test) iff it is at
/// least zero.
pub fn frustum_margin(view: &View, sphere: Sphere) -> f64 {
    let c = DVec3::from(sphere.center);
    let r = sphere.radius as f64;
    frustum_planes(view).iter().map(|p| p.truncate().dot(c) + p.w).fold(f64::INFINITY, f64::min) + r
}

/// What the LOD rule picks for an instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LodPick {
    pub level: u32,
    /// A level's error lies so close to the threshold that float32 may decide either way:
    /// the neighbouring level is accepted too.
    pub near_tie: bool,
}

/// The LOD rule: the coarsest level whose object-space error, times the instance's scale,
/// does not exceed what `lod_pixels` pixels span at the distance from the eye to the nearest
/// point of the world-space `sphere`. `errors` are the chain's errors, level 0 first.
pub fn lod(view: &View, sphere: Sphere, scale: f32, errors: &[f32], lod_pixels: f32) -> LodPick {
    let eye = DVec3::from(view.position);
    let distance = ((DVec3::from(sphere.center) - eye).length() - sphere.radius as f64).max(0.0);
    let pixel = 2.0 / (view.p11 as f64 * view.height as f64);
    let allowed = distance * pixel * lod_pixels as f64;
    let mut level = 0;
    let mut near_tie = false;
    for (i, &e) in errors.iter().enumerate().skip(1) {
        let world = e as f64 * scale as f64;
        if world <= allowed {
            level = i as u32;
        }
        if (world - allowed).abs() <= 1e-5 * allowed.max(1e-12) {
            near_tie = true;
        }
    }
    LodPick { level, near_tie }
}

/// The depth pyramid of a `width` x `height` depth buffer (row-major), level 0 first, each
/// level row-major. Level 0 is the largest power of two no larger than the buffer on each
/// axis; its texel `(x, y)` is the minimum of every depth texel that its footprint
/// `[x, x + 1) · width / w0` (and likewise in y) overlaps. A texel of level `k` is the minimum
/// of the texels of level `k - 1` it covers. So every texel is at most every depth value under
/// it: with reversed Z, never nearer than what it covers.
pub fn pyramid(depth: &[f32], width: usize, height: usize) -> Vec<(usize, usize, Vec<f32>)> {
    let (w0, h0, levels) = crate::hiz::pyramid_shape(width as u32, height as u32);
    let (w0, h0) = (w0 as usize, h0 as usize);
    // Depth texels i with [i, i + 1) overlapping [x·n/m, (x + 1)·n/m), in integers.
    let span = |x: usize, n: usize, m: usize| (x * n / m, ((x + 1) * n).div_ceil(m));
    let mut out = Vec::new();
    let mut level = vec![f32::INFINITY; w0 * h0];
    for y in 0..h0 {
        let (y0, y1) = span(y, height, h0);
        for x in 0..w0 {
            let (x0, x1) = span(x, width, w0);
            let mut m = f32::INFINITY;
            for sy in y0..y1 {
                for sx in x0..x1 {
                    m = m.min(depth[sy * width + sx]);
                }
            }
            level[y * w0 + x] = m;
        }
    }
    out.push((w0, h0, level));
    for _ in 1..levels {
        let (aw, ah, above) = out.last().expect("level 0 is there");
        let (aw, ah) = (*aw, *ah);
        let (bw, bh) = ((aw / 2).max(1), (ah / 2).max(1));
        let mut below = vec![f32::INFINITY; bw * bh];
        for y in 0..bh {
            for x in 0..bw {
                let mut m = f32::INFINITY;
                for sy in (2 * y)..(2 * y + 2).min(ah) {
                    for sx in (2 * x)..(2 * x + 2).min(aw) {
                        m = m.min(above[sy * aw + sx]);
                    }
                }
                below[y * bw + x] = m;
            }
        }
        out.push((bw, bh, below));
    }
    out
}

/// The screen rectangle a view-space sphere covers, in `[0, 1]` texture coordinates (x right,
/// y down), by angles: seen from the eye, the sphere spans `atan2(x, distance) ± asin(r / ρ)`
/// in each of the xz and yz planes (ρ the centre's distance in that plane), and the
/// projection maps an angle θ to `tan θ · p00` (or `p11`). `None` when the sphere reaches the
/// near plane.
pub fn screen_rect(view: &View, center_view: DVec3, radius: f64) -> Option<[f64; 4]> {
    let d = -center_view.z;
    if d - radius <= view.z_near as f64 {
        return None;
    }
    let span = |a: f64, scale: f64| {
        let rho = (a * a + d * d).sqrt();
        let (centre, half) = (a.atan2(d), (radius / rho).asin());
        ((centre - half).tan() * scale * 0.5 + 0.5, (centre + half).tan() * scale * 0.5 + 0.5)
    };
    let (x0, x1) = span(center_view.x, view.p00 as f64);
    // View space has y up; the screen's y points down.
    let (y0, y1) = span(-center_view.y, view.p11 as f64);
    Some([x0, y0, x1, y1])
}

/// What the occlusion test must conclude about a world-space sphere, given the depth pyramid
/// it was tested against (`levels[0]` is level 0, `pw` x `ph`, row-major): occluded when the
/// depth of the sphere's nearest point (reversed Z: `z_near / (distance − r)`) is smaller
/// (farther) than every level-0 texel its screen rectangle touches, the rectangle widened by
/// `margin` texels for rounding. A test that reads coarser levels sees minimums over more
/// texels, so it may keep what this calls occluded, but never the reverse.
pub fn occluded(
    view: &View,
    sphere: Sphere,
    level0: &[f32],
    pw: usize,
    ph: usize,
    margin: f64,
) -> bool {
    let c = view.view.as_dmat4().transform_point3(DVec3::from(sphere.center));
    let r = sphere.radius as f64;
    let Some([x0, y0, x1, y1]) = screen_rect(view, c, r) else { return false };
    let clamp = |v: f64, n: usize| (v.max(0.0) as usize).min(n - 1);
    let (tx0, tx1) = (clamp(x0 * pw as f64 - margin, pw), clamp(x1 * pw as f64 + margin, pw));
    let (ty0, ty1) = (clamp(y0 * ph as f64 - margin, ph), clamp(y1 * ph as f64 + margin, ph));
    let mut far = f64::INFINITY;
    for y in ty0..=ty1 {
        for x in tx0..=tx1 {
            far = far.min(level0[y * pw + x] as f64);
        }
    }
    let nearest = view.z_near as f64 / (-c.z - r);
    nearest < far
}

/// Where a ray first meets the scene.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Hit {
    pub instance: usize,
    /// Distance along the (unit) ray.
    pub t: f32,
    pub point: glam::Vec3,
    /// The triangle's unit normal, facing the ray's origin.
    pub normal: glam::Vec3,
}

/// The first triangle of the scene (every instance at LOD level 0) that the ray from `origin`
/// along the unit direction `dir` meets past `t_min`, by testing every triangle of every
/// instance whose bounding sphere the ray crosses (Möller–Trumbore). The reference for
/// shadows: a point is in shadow when a ray toward the sun meets anything.
pub fn ray_cast(
    scene: &crate::scene::Scene,
    origin: glam::Vec3,
    dir: glam::Vec3,
    t_min: f32,
) -> Option<Hit> {
    let mut best: Option<Hit> = None;
    for (i, inst) in scene.instances.iter().enumerate() {
        let s = scene.world_sphere(i);
        // The ray's closest approach to the sphere's centre.
        let oc = s.center - origin;
        let along = oc.dot(dir);
        let miss2 = oc.length_squared() - along * along;
        if miss2 > s.radius * s.radius || along + s.radius < t_min {
            continue;
        }
        let lod = &scene.meshes[inst.mesh as usize];
        let to_world = |p: glam::Vec3| inst.position + inst.rotation * (p * inst.scale);
        let indices = lod.levels.first().map_or(&lod.mesh.indices, |l| &l.indices);
        for tri in indices.chunks_exact(3) {
            let [a, b, c] =
                [tri[0], tri[1], tri[2]].map(|k| to_world(lod.mesh.positions[k as usize]));
            let (e1, e2) = (b - a, c - a);
            let p = dir.cross(e2);
            let det = e1.dot(p);
            if det.abs() < 1e-12 {
                continue;
            }
            let inv = 1.0 / det;
            let tv = origin - a;
            let u = tv.dot(p) * inv;
            if !(0.0..=1.0).contains(&u) {
                continue;
            }
            let q = tv.cross(e1);
            let v = dir.dot(q) * inv;
            if v < 0.0 || u + v > 1.0 {
                continue;
            }
            let t = e2.dot(q) * inv;
            if t > t_min && best.is_none_or(|h| t < h.t) {
                let mut normal = e1.cross(e2).normalize_or_zero();
                if normal.dot(dir) > 0.0 {
                    normal = -normal;
                }
                best = Some(Hit { instance: i, t, point: origin + dir * t, normal });
            }
        }
    }
    best
}

/// The lights whose spheres touch each cluster's box, in float64: cluster `c` (tiles across,
/// then down, then slices) is the part of the view between the tile's edges and the slice's
/// depths (logarithmic from `z_near` to `grid.far`), bounded by the box of its eight corners in
/// view space. `lights` are world positions and radii.
pub fn cluster_lists(
    view: &View,
    grid: &crate::lights::ClusterGrid,
    lights: &[(glam::Vec3, f32)],
) -> Vec<Vec<u32>> {
    let v = view.view.as_dmat4();
    let centers: Vec<DVec3> =
        lights.iter().map(|(p, _)| v.transform_point3(DVec3::from(*p))).collect();
    let (near, far) = (view.z_near as f64, (grid.far as f64).max(view.z_near as f64 * 2.0));
    let (p00, p11) = (view.p00 as f64, view.p11 as f64);
    let mut out = Vec::with_capacity(grid.clusters() as usize);
    for s in 0..grid.slices {
        let depth = |k: u32| near * (far / near).powf(k as f64 / grid.slices as f64);
        let (d0, d1) = (depth(s), depth(s + 1));
        for ty in 0..grid.tiles_y {
            for tx in 0..grid.tiles_x {
                let nx = |t: u32| t as f64 / grid.tiles_x as f64 * 2.0 - 1.0;
                let ny = |t: u32| t as f64 / grid.tiles_y as f64 * 2.0 - 1.0;
                let mut lo = DVec3::splat(f64::INFINITY);
                let mut hi = DVec3::splat(f64::NEG_INFINITY);
                for d in [d0, d1] {
                    for x in [nx(tx), nx(tx + 1)] {
                        for y in [ny(ty), ny(ty + 1)] {
                            let p = DVec3::new(x * d / p00, -y * d / p11, -d);
                            lo = lo.min(p);
                            hi = hi.max(p);
                        }
                    }
                }
                let list = centers
                    .iter()
                    .zip(lights)
                    .enumerate()
                    .filter(|(_, (c, (_, r)))| (c.clamp(lo, hi) - **c).length() <= *r as f64)
                    .map(|(i, _)| i as u32)
                    .collect();
                out.push(list);
            }
        }
    }
    out
}

/// How far past its radius the GPU's cluster test reaches (its margin, and as much again for
/// rounding): a light listed by the GPU but not by [`cluster_lists`] is a tolerated extra when
/// its sphere's distance to the box is within this.
pub fn cluster_band(view: &View, position: glam::Vec3, radius: f32) -> f64 {
    let d = (DVec3::from(position) - DVec3::from(view.position)).length();
    2.0 * (1e-4 * (d + radius as f64) + 1e-4)
}

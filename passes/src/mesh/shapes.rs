//! Procedural shapes for test scenes: a cube, an icosphere, a column, rocks, trees and a torus.
//!
//! Every generator returns a welded indexed [`Mesh`]: vertices are shared wherever the surface
//! is smooth (so that [`super::lod::build_lods`] can collapse edges) and duplicated only along
//! hard edges (the cube's edges, the caps and steps of a lathe profile). Front faces are
//! counter-clockwise seen from outside, normals are unit length, and each shape is centred on
//! the origin and about one unit across: it fits in the box `[-0.5, 0.5]³`. Random-looking
//! shapes take a `seed` and use an integer hash ([`pcg3d`], Jarzynski & Olano, "Hash Functions
//! for GPU Rendering", JCGT 2020), so the same seed gives the same mesh on every run.
//!
//! Checks: `passes/tests/geometry.rs` proves indices in range, unit normals, no degenerate
//! triangles, every edge matched by its reverse (closed, consistently wound), positive signed
//! volume (outward) and determinism.

use std::collections::HashMap;
use std::f32::consts::TAU;

use glam::{UVec3, Vec3};

use super::Mesh;

/// The most subdivisions [`icosphere`] and [`rock`] perform (20 · 4⁷ = 327,680 triangles);
/// larger requests are clamped to it.
pub const MAX_SUBDIVISIONS: u32 = 7;

/// The fewest segments around a round shape; smaller requests are raised to it.
pub const MIN_SEGMENTS: u32 = 3;

/// An axis-aligned cube of side 1 centred on the origin: 24 vertices (each face has its own
/// four, so its edges are hard) and 12 triangles.
pub fn cube() -> Mesh {
    // Each face as (normal, u, v) with u × v = normal, so corners taken (-,-), (+,-), (+,+),
    // (-,+) in the (u, v) plane run counter-clockwise seen from outside.
    let faces = [
        (Vec3::X, Vec3::Y, Vec3::Z),
        (Vec3::NEG_X, Vec3::Z, Vec3::Y),
        (Vec3::Y, Vec3::Z, Vec3::X),
        (Vec3::NEG_Y, Vec3::X, Vec3::Z),
        (Vec3::Z, Vec3::X, Vec3::Y),
        (Vec3::NEG_Z, Vec3::Y, Vec3::X),
    ];
    let mut mesh = Mesh::default();
    for (normal, u, v) in faces {
        let base = mesh.positions.len() as u32;
        for (su, sv) in [(-1.0, -1.0), (1.0, -1.0), (1.0, 1.0), (-1.0, 1.0)] {
            mesh.positions.push((normal + u * su + v * sv) * 0.5);
            mesh.normals.push(normal);
        }
        mesh.indices.extend([0, 1, 2, 0, 2, 3].into_iter().map(|i| base + i));
    }
    mesh
}

/// A sphere of radius 0.5 made by splitting each triangle of an icosahedron into four,
/// `subdivisions` times (clamped to [`MAX_SUBDIVISIONS`]), and pushing the new vertices onto
/// the sphere: `10 · 4ⁿ + 2` vertices, `20 · 4ⁿ` triangles, normals exactly radial.
pub fn icosphere(subdivisions: u32) -> Mesh {
    let directions = unit_icosphere(subdivisions);
    Mesh {
        positions: directions.positions.iter().map(|&d| d * 0.5).collect(),
        normals: directions.positions,
        indices: directions.indices,
    }
}

/// A classical column, one unit tall and 0.6 across: a square-edged round plinth, a shaft
/// that narrows towards the top (entasis), a flaring echinus and a round abacus, turned with
/// `segments` around (at least [`MIN_SEGMENTS`]). Steps are hard edges; the shaft is smooth.
pub fn column(segments: u32) -> Mesh {
    let mut profile = vec![
        ProfilePoint::sharp(0.30, -0.50),
        ProfilePoint::sharp(0.30, -0.43),
        ProfilePoint::sharp(0.17, -0.43),
    ];
    const SHAFT_RINGS: u32 = 8;
    for k in 1..SHAFT_RINGS {
        let t = k as f32 / SHAFT_RINGS as f32;
        profile.push(ProfilePoint::smooth(0.17 * (1.0 - 0.15 * t * t), -0.43 + 0.79 * t));
    }
    profile.extend([
        ProfilePoint::sharp(0.17 * 0.85, 0.36),
        ProfilePoint::smooth(0.20, 0.39),
        ProfilePoint::sharp(0.24, 0.42),
        ProfilePoint::sharp(0.30, 0.42),
        ProfilePoint::sharp(0.30, 0.50),
    ]);
    lathe(&profile, segments)
}

/// A rock: an icosphere (`subdivisions`, clamped to [`MAX_SUBDIVISIONS`]) whose vertices are
/// moved along their direction by three octaves of value noise over an integer hash, then
/// squashed by per-seed axis scales (rocks are flatter than tall), with normals recomputed.
/// The surface stays star-shaped around the origin, so it never folds over itself.
/// The same `seed` always gives the same rock.
pub fn rock(seed: u32, subdivisions: u32) -> Mesh {
    let [sx, sy, sz] = pcg3d(UVec3::new(seed, 0x5eed, 0x0c0c)).to_array().map(unit_float);
    let scale = Vec3::new(0.8 + 0.2 * sx, 0.55 + 0.25 * sy, 0.8 + 0.2 * sz);
    displaced_sphere(seed, subdivisions, 0.42, scale)
}

/// A tree one unit tall: a tapering trunk, and a crown chosen by the seed, either three to
/// five lumpy spheres (broadleaf) or three stacked cones (conifer). The parts are separate
/// closed surfaces merged into one mesh (they overlap; nothing is cut away). The same `seed`
/// always gives the same tree.
pub fn tree(seed: u32) -> Mesh {
    let h = pcg3d(UVec3::new(seed, 0x7ee, 0));
    let mut mesh = lathe(
        &[
            ProfilePoint::sharp(0.06, -0.50),
            ProfilePoint::smooth(0.05, -0.30),
            ProfilePoint::sharp(0.04, -0.05),
        ],
        8,
    );
    if h.x & 1 == 0 {
        // Broadleaf: a central blob and a few smaller ones around it.
        let blobs = 3 + h.y % 3;
        let central = displaced_sphere(seed ^ 0xb10b, 2, 0.22, Vec3::splat(1.0));
        mesh.append(&offset(central, Vec3::new(0.0, 0.22, 0.0)));
        for k in 1..blobs {
            let [a, r, y] = pcg3d(UVec3::new(seed, k, 0xc0de)).to_array().map(unit_float);
            let angle = TAU * (k as f32 + 0.5 * a) / (blobs - 1) as f32;
            let radius = 0.13 + 0.05 * r;
            let distance = 0.3 - radius;
            let center = Vec3::new(distance * angle.cos(), 0.1 + 0.15 * y, distance * angle.sin());
            let blob = displaced_sphere(seed.wrapping_add(k), 2, radius, Vec3::splat(1.0));
            mesh.append(&offset(blob, center));
        }
    } else {
        // Conifer: three cones, each narrower and higher than the one below.
        let lean = unit_float(h.z) * 0.04;
        for (k, (radius, bottom, top)) in
            [(0.32, -0.25, 0.12), (0.25, -0.05, 0.3), (0.17, 0.15, 0.5)].into_iter().enumerate()
        {
            let cone = lathe(
                &[
                    ProfilePoint::sharp(radius, bottom),
                    ProfilePoint::smooth(radius * 0.5, (bottom + top) * 0.5),
                    ProfilePoint::sharp(0.0, top),
                ],
                10,
            );
            mesh.append(&offset(cone, Vec3::new(lean * k as f32, 0.0, 0.0)));
        }
    }
    mesh
}

/// A torus lying in the XZ plane, 1 unit across: the tube (radius 0.15) circles the Y axis at
/// 0.35, with `major_segments` around the ring and `minor_segments` around the tube (each at
/// least [`MIN_SEGMENTS`]). Fully welded; normals exactly radial to the tube.
pub fn torus(major_segments: u32, minor_segments: u32) -> Mesh {
    const RING: f32 = 0.35;
    const TUBE: f32 = 0.15;
    let major = major_segments.max(MIN_SEGMENTS);
    let minor = minor_segments.max(MIN_SEGMENTS);
    let mut mesh = Mesh::default();
    for j in 0..major {
        let (sin_t, cos_t) = (TAU * j as f32 / major as f32).sin_cos();
        for k in 0..minor {
            let (sin_p, cos_p) = (TAU * k as f32 / minor as f32).sin_cos();
            let normal = Vec3::new(cos_p * cos_t, sin_p, cos_p * sin_t);
            let radial = RING + TUBE * cos_p;
            mesh.positions.push(Vec3::new(radial * cos_t, TUBE * sin_p, radial * sin_t));
            mesh.normals.push(normal.normalize());
        }
    }
    let at = |j: u32, k: u32| (j % major) * minor + k % minor;
    for j in 0..major {
        for k in 0..minor {
            // The tube's circle is walked like a lathe profile (see `lathe`): outward faces.
            let (a, b, c, d) = (at(j, k), at(j, k + 1), at(j + 1, k + 1), at(j + 1, k));
            mesh.indices.extend([a, b, c, a, c, d]);
        }
    }
    mesh
}

/// The 3D integer hash `pcg3d` (Jarzynski & Olano 2020): three well-mixed 32-bit outputs from
/// three inputs, with only multiplies, adds, xors and shifts, so GLSL can mirror it bit for bit.
pub fn pcg3d(v: UVec3) -> UVec3 {
    let mut v = v.to_array().map(|x| x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223));
    let mix = |v: &mut [u32; 3]| {
        v[0] = v[0].wrapping_add(v[1].wrapping_mul(v[2]));
        v[1] = v[1].wrapping_add(v[2].wrapping_mul(v[0]));
        v[2] = v[2].wrapping_add(v[0].wrapping_mul(v[1]));
    };
    mix(&mut v);
    v = v.map(|x| x ^ (x >> 16));
    mix(&mut v);
    UVec3::from_array(v)
}

/// The top 24 bits of a hash as a float in `[0, 1)`.
fn unit_float(h: u32) -> f32 {
    (h >> 8) as f32 * (1.0 / (1u32 << 24) as f32)
}

/// Value noise in `[0, 1)`: hashed values at the integer lattice, blended with a smoothstep.
/// The seed shifts the lattice, so different seeds see unrelated values.
fn value_noise(seed: u32, p: Vec3) -> f32 {
    let offset = pcg3d(UVec3::new(seed, seed ^ 0x9e37_79b9, 0x85eb_ca6b));
    let cell = p.floor();
    let f = p - cell;
    let w = f * f * (Vec3::splat(3.0) - 2.0 * f);
    let base = cell.as_ivec3();
    let lattice = |dx: i32, dy: i32, dz: i32| {
        let c = UVec3::new((base.x + dx) as u32, (base.y + dy) as u32, (base.z + dz) as u32);
        unit_float(
            pcg3d(UVec3::new(
                c.x.wrapping_add(offset.x),
                c.y.wrapping_add(offset.y),
                c.z.wrapping_add(offset.z),
            ))
            .x,
        )
    };
    let lerp = |a: f32, b: f32, t: f32| a + (b - a) * t;
    let x00 = lerp(lattice(0, 0, 0), lattice(1, 0, 0), w.x);
    let x10 = lerp(lattice(0, 1, 0), lattice(1, 1, 0), w.x);
    let x01 = lerp(lattice(0, 0, 1), lattice(1, 0, 1), w.x);
    let x11 = lerp(lattice(0, 1, 1), lattice(1, 1, 1), w.x);
    lerp(lerp(x00, x10, w.y), lerp(x01, x11, w.y), w.z)
}

/// An icosphere of the given radius, each vertex pushed out along its direction by
/// `radius · (0.75 + 0.5 · fbm)` (three octaves of [`value_noise`], so between 0.75 and 1.19
/// times the radius), then scaled per axis; normals recomputed.
fn displaced_sphere(seed: u32, subdivisions: u32, radius: f32, scale: Vec3) -> Mesh {
    let mut mesh = unit_icosphere(subdivisions);
    for p in &mut mesh.positions {
        let d = *p;
        let fbm = 0.5 * value_noise(seed, d * 1.5)
            + 0.25 * value_noise(seed.wrapping_add(1), d * 3.0)
            + 0.125 * value_noise(seed.wrapping_add(2), d * 6.0);
        *p = d * (radius * (0.75 + 0.5 * fbm)) * scale;
    }
    mesh.recompute_normals();
    mesh
}

/// The mesh moved by `by`.
fn offset(mut mesh: Mesh, by: Vec3) -> Mesh {
    for p in &mut mesh.positions {
        *p += by;
    }
    mesh
}

/// An icosphere of radius 1 whose positions are also its normals.
fn unit_icosphere(subdivisions: u32) -> Mesh {
    let t = (1.0 + 5.0f32.sqrt()) / 2.0;
    let mut positions: Vec<Vec3> = [
        (-1.0, t, 0.0),
        (1.0, t, 0.0),
        (-1.0, -t, 0.0),
        (1.0, -t, 0.0),
        (0.0, -1.0, t),
        (0.0, 1.0, t),
        (0.0, -1.0, -t),
        (0.0, 1.0, -t),
        (t, 0.0, -1.0),
        (t, 0.0, 1.0),
        (-t, 0.0, -1.0),
        (-t, 0.0, 1.0),
    ]
    .into_iter()
    .map(|(x, y, z)| Vec3::new(x, y, z).normalize())
    .collect();
    let mut triangles: Vec<[u32; 3]> = vec![
        [0, 11, 5],
        [0, 5, 1],
        [0, 1, 7],
        [0, 7, 10],
        [0, 10, 11],
        [1, 5, 9],
        [5, 11, 4],
        [11, 10, 2],
        [10, 7, 6],
        [7, 1, 8],
        [3, 9, 4],
        [3, 4, 2],
        [3, 2, 6],
        [3, 6, 8],
        [3, 8, 9],
        [4, 9, 5],
        [2, 4, 11],
        [6, 2, 10],
        [8, 6, 7],
        [9, 8, 1],
    ];
    for _ in 0..subdivisions.min(MAX_SUBDIVISIONS) {
        // Each edge's midpoint is made once and shared by both triangles on the edge.
        let mut midpoints: HashMap<(u32, u32), u32> = HashMap::new();
        let mut midpoint = |a: u32, b: u32, positions: &mut Vec<Vec3>| {
            *midpoints.entry((a.min(b), a.max(b))).or_insert_with(|| {
                let m = (positions[a as usize] + positions[b as usize]).normalize();
                positions.push(m);
                positions.len() as u32 - 1
            })
        };
        let mut finer = Vec::with_capacity(triangles.len() * 4);
        for [a, b, c] in triangles {
            let ab = midpoint(a, b, &mut positions);
            let bc = midpoint(b, c, &mut positions);
            let ca = midpoint(c, a, &mut positions);
            finer.extend([[a, ab, ca], [b, bc, ab], [c, ca, bc], [ab, bc, ca]]);
        }
        triangles = finer;
    }
    Mesh {
        normals: positions.clone(),
        positions,
        indices: triangles.into_iter().flatten().collect(),
    }
}

/// A point of a lathe profile: a radius from the Y axis, a height, and whether the surface
/// has a hard edge there (the ring is duplicated, so the bands either side do not share
/// normals).
#[derive(Clone, Copy, Debug)]
struct ProfilePoint {
    radius: f32,
    y: f32,
    sharp: bool,
}

impl ProfilePoint {
    fn sharp(radius: f32, y: f32) -> Self {
        ProfilePoint { radius, y, sharp: true }
    }

    fn smooth(radius: f32, y: f32) -> Self {
        ProfilePoint { radius, y, sharp: false }
    }
}

/// A surface of revolution about the Y axis, `segments` around (at least [`MIN_SEGMENTS`]).
///
/// The profile runs from the bottom to the top, with the outside on its right as one walks it
/// in the (radius, y) plane, like the silhouette of a vase traced upwards. An end with radius
/// zero closes to a single pole vertex; an end with a radius gets a flat cap (its own vertices,
/// a hard edge), facing down at the start and up at the end, so the result is closed. Interior
/// points must have a radius, and consecutive points must differ. Normals are recomputed,
/// smooth within each band between sharp points.
fn lathe(profile: &[ProfilePoint], segments: u32) -> Mesh {
    debug_assert!(profile.len() >= 2, "a lathe profile needs two points");
    let segments = segments.max(MIN_SEGMENTS);
    let directions: Vec<(f32, f32)> = (0..segments)
        .map(|j| {
            let (s, c) = (TAU * j as f32 / segments as f32).sin_cos();
            (c, s)
        })
        .collect();
    let mut mesh = Mesh::default();

    // A ring is either a pole (one vertex) or `segments` vertices; `ring_vertex` wraps around.
    #[derive(Clone, Copy)]
    enum Ring {
        Pole(u32),
        Circle(u32),
    }
    let push_ring = |mesh: &mut Mesh, point: ProfilePoint| -> Ring {
        let base = mesh.positions.len() as u32;
        if point.radius == 0.0 {
            mesh.positions.push(Vec3::new(0.0, point.y, 0.0));
            Ring::Pole(base)
        } else {
            for &(c, s) in &directions {
                mesh.positions.push(Vec3::new(point.radius * c, point.y, point.radius * s));
            }
            Ring::Circle(base)
        }
    };
    let ring_vertex = |ring: Ring, j: u32| match ring {
        Ring::Pole(v) => v,
        Ring::Circle(base) => base + j % segments,
    };

    let last = profile.len() - 1;
    let mut previous = push_ring(&mut mesh, profile[0]);
    let first_ring = previous;
    let mut last_ring = previous;
    for (i, &point) in profile.iter().enumerate().skip(1) {
        let ring = push_ring(&mut mesh, point);
        for j in 0..segments {
            // Walking up the profile (b above a) and around (d beside a), a-b-c-d is
            // counter-clockwise seen from outside. At a pole two corners coincide; only the
            // triangle that is not degenerate is kept.
            let a = ring_vertex(previous, j);
            let b = ring_vertex(ring, j);
            let c = ring_vertex(ring, j + 1);
            let d = ring_vertex(previous, j + 1);
            if b != c {
                mesh.indices.extend([a, b, c]);
            }
            if a != d {
                mesh.indices.extend([a, c, d]);
            }
        }
        last_ring = ring;
        previous = if point.sharp && i != last { push_ring(&mut mesh, point) } else { ring };
    }

    // Caps: a centre and a ring of their own, so the rim is a hard edge.
    for (ring, point, up) in [(first_ring, profile[0], false), (last_ring, profile[last], true)] {
        if let Ring::Circle(_) = ring {
            let center = mesh.positions.len() as u32;
            mesh.positions.push(Vec3::new(0.0, point.y, 0.0));
            let rim = push_ring(&mut mesh, point);
            for j in 0..segments {
                let (a, b) = (ring_vertex(rim, j), ring_vertex(rim, j + 1));
                if up {
                    mesh.indices.extend([center, b, a]);
                } else {
                    mesh.indices.extend([center, a, b]);
                }
            }
        }
    }

    mesh.normals = vec![Vec3::Y; mesh.positions.len()];
    mesh.recompute_normals();
    mesh
}

//! CPU geometry: the procedural shapes, the mesh helpers, LOD chains, and the glTF loader and
//! writers. No GPU. glTF files are written at run time under `CARGO_TARGET_TMPDIR`, one
//! folder per test.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use glam::{Mat4, Quat, Vec3};
use rg_passes::mesh::gltf::{self, BufferStyle, GltfError};
use rg_passes::mesh::lod::{build_lods, try_build_lods, LodMesh, MAX_LODS};
use rg_passes::mesh::{shapes, Mesh, MeshError};

// ---------------------------------------------------------------------------------------------
// Helpers

/// Every generator, with several parameters and seeds (both kinds of tree among them).
fn all_shapes() -> Vec<(String, Mesh)> {
    let mut out = vec![
        ("cube".to_owned(), shapes::cube()),
        ("torus(24, 12)".to_owned(), shapes::torus(24, 12)),
        ("torus(1, 1)".to_owned(), shapes::torus(1, 1)),
        ("column(3)".to_owned(), shapes::column(3)),
        ("column(24)".to_owned(), shapes::column(24)),
    ];
    for n in 0..=4 {
        out.push((format!("icosphere({n})"), shapes::icosphere(n)));
    }
    for seed in [0, 1, 7, 12345, u32::MAX] {
        out.push((format!("rock({seed}, 3)"), shapes::rock(seed, 3)));
    }
    out.push(("rock(3, 0)".to_owned(), shapes::rock(3, 0)));
    for seed in 0..8 {
        out.push((format!("tree({seed})"), shapes::tree(seed)));
    }
    out
}

/// A position as exact bits, for matching edges between vertices that share a position.
fn key(p: Vec3) -> [u32; 3] {
    // +0.0 and -0.0 are the same point.
    (p + Vec3::ZERO).to_array().map(f32::to_bits)
}

/// A fresh, empty folder for one test's files.
fn temp_dir(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("geometry").join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create the test's temp folder");
    dir
}

/// The error a load must give, with its message checked to name the file and to contain
/// each of `expected`.
fn load_error(path: &Path, expected: &[&str]) -> GltfError {
    let error = match gltf::load(path) {
        Ok(mesh) => panic!(
            "loading `{}` succeeded with {} triangles",
            path.display(),
            mesh.triangle_count()
        ),
        Err(error) => error,
    };
    let message = error.to_string();
    let name = path.file_name().expect("a file name").to_string_lossy();
    assert!(message.contains(&*name), "the message does not name the file `{name}`: {message}");
    for part in expected {
        assert!(message.contains(part), "the message lacks `{part}`: {message}");
    }
    error
}

/// A mesh with a little of everything the writers store: hard edges, smooth parts, several
/// hundred vertices.
fn sample_mesh() -> Mesh {
    shapes::column(12)
}

/// Little-endian `f32` bytes of the positions, as a base64 string, for hand-written files.
fn base64_positions(positions: &[Vec3]) -> String {
    use base64::Engine as _;
    let bytes: Vec<u8> =
        positions.iter().flat_map(|p| p.to_array()).flat_map(f32::to_le_bytes).collect();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

// ---------------------------------------------------------------------------------------------
// Shapes

#[test]
fn shapes_are_valid_meshes() {
    for (name, mesh) in all_shapes() {
        assert!(mesh.triangle_count() > 0, "{name} has no triangles");
        if let Err(error) = mesh.validate() {
            panic!("{name}: {error}");
        }
    }
}

#[test]
fn shapes_have_no_degenerate_triangles() {
    for (name, mesh) in all_shapes() {
        for (t, [a, b, c]) in mesh.triangles().enumerate() {
            let area = (b - a).cross(c - a).length() * 0.5;
            assert!(area > 1e-7, "{name}: triangle {t} has area {area}");
        }
    }
}

/// Every edge a triangle walks from `a` to `b` is walked from `b` to `a` by another triangle
/// (matching vertices by position, since hard edges duplicate them): the surface is closed and
/// all its triangles are wound the same way.
#[test]
fn shapes_are_closed_and_consistently_wound() {
    for (name, mesh) in all_shapes() {
        let mut edges: HashMap<([u32; 3], [u32; 3]), i32> = HashMap::new();
        for [a, b, c] in mesh.triangles() {
            for (from, to) in [(a, b), (b, c), (c, a)] {
                *edges.entry((key(from), key(to))).or_default() += 1;
            }
        }
        for (&(from, to), &count) in &edges {
            let reverse = edges.get(&(to, from)).copied().unwrap_or(0);
            assert_eq!(
                count, reverse,
                "{name}: an edge is walked {count} times one way and {reverse} times back"
            );
        }
    }
}

#[test]
fn shapes_face_outwards() {
    for (name, mesh) in all_shapes() {
        let volume = mesh.signed_volume();
        assert!(volume > 0.0, "{name}: signed volume {volume}");
        // The stored normals agree with the winding: each corner's normal is on the front
        // side of its triangle.
        for (t, tri) in mesh.indices.chunks_exact(3).enumerate() {
            let [a, b, c] = [0, 1, 2].map(|k| mesh.positions[tri[k] as usize]);
            let face = (b - a).cross(c - a).normalize();
            for &i in tri {
                let dot = face.dot(mesh.normals[i as usize]);
                assert!(dot > 0.0, "{name}: triangle {t}, vertex {i}: normal · face = {dot}");
            }
        }
    }
    assert!((shapes::cube().signed_volume() - 1.0).abs() < 1e-6);
    let sphere = 4.0 / 3.0 * std::f32::consts::PI * 0.125;
    let ico = shapes::icosphere(4).signed_volume();
    assert!((ico / sphere - 1.0).abs() < 0.01, "icosphere(4) volume {ico}");
}

#[test]
fn shapes_fit_the_unit_box_around_the_origin() {
    for (name, mesh) in all_shapes() {
        for p in &mesh.positions {
            assert!(
                p.abs().max_element() <= 0.5 + 1e-5,
                "{name}: vertex {p} is outside [-0.5, 0.5]³"
            );
        }
        let bounds = mesh.bounds();
        assert!(bounds.center.length() < 0.25, "{name}: centred at {}", bounds.center);
        assert!(bounds.radius > 0.25, "{name}: bounding radius {}", bounds.radius);
    }
}

/// Smooth shapes share their vertices (what simplification needs): no two vertices of an
/// icosphere, a rock or a torus are at the same place.
#[test]
fn smooth_shapes_are_welded() {
    for (name, mesh) in [
        ("icosphere(3)", shapes::icosphere(3)),
        ("rock(4, 3)", shapes::rock(4, 3)),
        ("torus(16, 8)", shapes::torus(16, 8)),
    ] {
        let mut seen = HashMap::new();
        for (i, &p) in mesh.positions.iter().enumerate() {
            if let Some(j) = seen.insert(key(p), i) {
                panic!("{name}: vertices {j} and {i} are both at {p}");
            }
        }
    }
}

#[test]
fn icosphere_has_the_expected_counts_and_radius() {
    for n in 0..=4u32 {
        let mesh = shapes::icosphere(n);
        assert_eq!(mesh.vertex_count(), 10 * 4usize.pow(n) + 2, "icosphere({n})");
        assert_eq!(mesh.triangle_count(), 20 * 4usize.pow(n), "icosphere({n})");
        for p in &mesh.positions {
            assert!((p.length() - 0.5).abs() < 1e-6, "icosphere({n}): {p}");
        }
    }
    assert_eq!(
        shapes::icosphere(100).triangle_count(),
        20 * 4usize.pow(shapes::MAX_SUBDIVISIONS),
        "subdivisions are clamped"
    );
}

#[test]
fn seeded_shapes_are_deterministic_and_vary_with_the_seed() {
    assert_eq!(shapes::rock(5, 3), shapes::rock(5, 3));
    assert_eq!(shapes::tree(9), shapes::tree(9));
    assert_ne!(shapes::rock(5, 3), shapes::rock(6, 3));
    assert_ne!(shapes::tree(9), shapes::tree(10));
    // Both kinds of tree occur among a few seeds (they differ in vertex count).
    let counts: std::collections::BTreeSet<usize> =
        (0..8).map(|seed| shapes::tree(seed).vertex_count()).collect();
    assert!(counts.len() >= 2, "every tree has {counts:?} vertices");
    // The hash is the published pcg3d: its first output for (0, 0, 0).
    let h = shapes::pcg3d(glam::UVec3::ZERO);
    assert_eq!(h, shapes::pcg3d(glam::UVec3::ZERO));
    assert_ne!(h, shapes::pcg3d(glam::UVec3::new(1, 0, 0)));
}

// ---------------------------------------------------------------------------------------------
// Mesh helpers

#[test]
fn bounds_contain_every_vertex_and_are_tight() {
    for (name, mesh) in all_shapes() {
        let bounds = mesh.bounds();
        for p in &mesh.positions {
            assert!(
                p.distance(bounds.center) <= bounds.radius,
                "{name}: {p} is outside {bounds:?}"
            );
        }
        // No larger than the sphere around the bounding box.
        let (min, max) = mesh
            .positions
            .iter()
            .fold((Vec3::MAX, Vec3::MIN), |(lo, hi), &p| (lo.min(p), hi.max(p)));
        assert!(
            bounds.radius <= (max - min).length() * 0.5 + 1e-6,
            "{name}: radius {} beyond the box's",
            bounds.radius
        );
    }
    let sphere = shapes::icosphere(3).bounds();
    assert!((sphere.radius - 0.5).abs() < 0.01, "{sphere:?}");
    assert_eq!(Mesh::default().bounds().radius, 0.0);
}

#[test]
fn transformed_moves_positions_and_keeps_faces_outwards() {
    let cube = shapes::cube();
    let moved = cube.transformed(&Mat4::from_scale_rotation_translation(
        Vec3::new(2.0, 1.0, 3.0),
        Quat::from_rotation_y(0.7),
        Vec3::new(10.0, 0.0, -4.0),
    ));
    assert!((moved.signed_volume() - 6.0).abs() < 1e-4);
    assert!((moved.bounds().center - Vec3::new(10.0, 0.0, -4.0)).length() < 1e-4);
    moved.validate().expect("normals stay unit length");

    // A mirror reverses the winding, so the faces still point out.
    let mirrored = shapes::rock(2, 2).transformed(&Mat4::from_scale(Vec3::new(-1.0, 1.0, 1.0)));
    assert!(mirrored.signed_volume() > 0.0);
    let up = mirrored
        .positions
        .iter()
        .zip(&mirrored.normals)
        .max_by(|a, b| a.0.y.total_cmp(&b.0.y))
        .expect("vertices");
    assert!(up.1.y > 0.5, "the top vertex's normal {} points up", up.1);
}

#[test]
fn append_offsets_the_indices() {
    let mut mesh = shapes::cube();
    mesh.append(&shapes::icosphere(1));
    assert_eq!(mesh.vertex_count(), 24 + 42);
    assert_eq!(mesh.triangle_count(), 12 + 80);
    mesh.validate().expect("valid");
    assert_eq!(mesh.indices[36], 24 + shapes::icosphere(1).indices[0]);
}

#[test]
fn validate_names_what_is_wrong() {
    let mut mesh = shapes::cube();
    mesh.indices[7] = 99;
    assert_eq!(
        mesh.validate(),
        Err(MeshError::IndexOutOfRange { triangle: 2, index: 99, vertex_count: 24 })
    );
    assert_eq!(
        mesh.validate().unwrap_err().to_string(),
        "triangle 2 uses vertex 99, but the mesh has 24 vertices"
    );

    let mut mesh = shapes::cube();
    mesh.normals.pop();
    assert!(matches!(mesh.validate(), Err(MeshError::NormalCount { positions: 24, normals: 23 })));

    let mut mesh = shapes::cube();
    mesh.indices.pop();
    assert_eq!(mesh.validate(), Err(MeshError::IndexCount(35)));

    let mut mesh = shapes::cube();
    mesh.normals[3] *= 2.0;
    assert!(matches!(mesh.validate(), Err(MeshError::BadNormal { vertex: 3, .. })));

    let mut mesh = shapes::cube();
    mesh.positions[5].x = f32::NAN;
    assert!(matches!(mesh.validate(), Err(MeshError::NonFinitePosition { vertex: 5, .. })));
}

// ---------------------------------------------------------------------------------------------
// LOD chains

/// The chain's rules: level 0 is the whole mesh with error 0, each level keeps at most 85% of
/// the previous one's indices, errors grow by at least 1.5× once non-zero, every index is in
/// range.
fn check_chain(name: &str, source: &Mesh, lods: &LodMesh) {
    assert!(!lods.levels.is_empty() && lods.levels.len() <= MAX_LODS, "{name}");
    assert_eq!(lods.levels[0].error, 0.0, "{name}: level 0's error");
    assert_eq!(lods.levels[0].indices, lods.mesh.indices, "{name}: level 0 is the mesh");
    assert_eq!(
        lods.levels[0].indices.len(),
        source.indices.len(),
        "{name}: level 0 keeps every triangle"
    );
    lods.mesh.validate().expect("the shared vertices are valid");
    for (k, level) in lods.levels.iter().enumerate() {
        assert!(level.indices.len().is_multiple_of(3), "{name}: level {k}");
        assert!(!level.indices.is_empty(), "{name}: level {k} is empty");
        assert!(
            level.indices.iter().all(|&i| (i as usize) < lods.mesh.vertex_count()),
            "{name}: level {k} has an index out of range"
        );
        assert!(level.error.is_finite() && level.error >= 0.0, "{name}: level {k}");
    }
    for (k, pair) in lods.levels.windows(2).enumerate() {
        let (prev, next) = (&pair[0], &pair[1]);
        assert!(
            next.indices.len() as f64 <= prev.indices.len() as f64 * 0.85,
            "{name}: level {} keeps {} of {} indices",
            k + 1,
            next.indices.len(),
            prev.indices.len()
        );
        assert!(
            next.error >= prev.error * 1.5,
            "{name}: level {} error {} after {}",
            k + 1,
            next.error,
            prev.error
        );
    }
    assert_eq!(lods.bounds, lods.mesh.bounds(), "{name}: bounds");
}

#[test]
fn lod_chains_shrink_and_their_errors_never_decrease() {
    for (name, mesh) in all_shapes() {
        check_chain(&name, &mesh, &build_lods(&mesh));
    }
}

#[test]
fn an_icosphere_gets_several_levels_and_a_cube_at_least_one() {
    let ico = build_lods(&shapes::icosphere(4));
    assert!(ico.levels.len() >= 4, "icosphere(4): {} levels", ico.levels.len());
    assert!(ico.levels.last().expect("levels").error > 0.0);
    let cube = build_lods(&shapes::cube());
    assert!(!cube.levels.is_empty());
    assert_eq!(cube.levels[0].indices.len(), 36);
}

/// A level's stored error measures how far it strays: every triangle of a simplified icosphere
/// lies within 1.5× its level's error (plus the full mesh's own faceting) of the sphere. (The
/// simplifier's error is an estimate from quadrics, not a strict bound; with niagara's plain
/// maximum instead of the sum, the coarse levels would stray up to 2× their error.)
#[test]
fn lod_errors_bound_the_distance_to_the_surface() {
    let lods = build_lods(&shapes::icosphere(4));
    let facet = 0.5
        - lods.levels[0]
            .indices
            .chunks_exact(3)
            .map(|t| {
                ((lods.mesh.positions[t[0] as usize]
                    + lods.mesh.positions[t[1] as usize]
                    + lods.mesh.positions[t[2] as usize])
                    / 3.0)
                    .length()
            })
            .fold(0.5f32, f32::min);
    for (k, level) in lods.levels.iter().enumerate().skip(1) {
        for t in level.indices.chunks_exact(3) {
            let centroid = (lods.mesh.positions[t[0] as usize]
                + lods.mesh.positions[t[1] as usize]
                + lods.mesh.positions[t[2] as usize])
                / 3.0;
            let off = 0.5 - centroid.length();
            assert!(
                off <= level.error * 1.5 + facet,
                "level {k}: a triangle lies {off} inside the sphere, error {}",
                level.error
            );
        }
    }
}

#[test]
fn lods_of_an_invalid_mesh_are_an_error() {
    let mut mesh = shapes::cube();
    mesh.indices[0] = 1000;
    assert!(matches!(try_build_lods(&mesh), Err(MeshError::IndexOutOfRange { index: 1000, .. })));
}

// ---------------------------------------------------------------------------------------------
// glTF

#[test]
fn gltf_round_trips_in_every_buffer_style() {
    let dir = temp_dir("round_trip");
    let mesh = sample_mesh();
    let external = dir.join("external.gltf");
    let embedded = dir.join("embedded.gltf");
    let binary = dir.join("binary.glb");
    gltf::write_gltf(&mesh, &external, BufferStyle::External).expect("write external");
    gltf::write_gltf(&mesh, &embedded, BufferStyle::Embedded).expect("write embedded");
    gltf::write_glb(&mesh, &binary).expect("write glb");
    assert!(dir.join("external.bin").exists(), "the external buffer is written");
    assert!(std::fs::read_to_string(&embedded)
        .expect("read")
        .contains("data:application/octet-stream;base64,"));
    assert!(std::fs::read(&binary).expect("read").starts_with(b"glTF"));

    for path in [&external, &embedded, &binary] {
        let loaded = gltf::load(path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(loaded.positions, mesh.positions, "{}", path.display());
        assert_eq!(loaded.normals, mesh.normals, "{}", path.display());
        assert_eq!(loaded.indices, mesh.indices, "{}", path.display());
    }
}

#[test]
fn gltf_file_names_are_uri_escaped() {
    let dir = temp_dir("escaped");
    let path = dir.join("a rock #1.gltf");
    let mesh = shapes::rock(1, 1);
    gltf::write_gltf(&mesh, &path, BufferStyle::External).expect("write");
    let json = std::fs::read_to_string(&path).expect("read");
    assert!(json.contains(r#""uri": "a%20rock%20%231.bin""#), "{json}");
    assert_eq!(gltf::load(&path).expect("load"), mesh);
}

/// A hand-written file: two nested nodes (a translated parent, a mirrored and scaled child), a
/// cube without normals or indices, and a point primitive that is skipped. The loader applies
/// both transforms, keeps the faces pointing out despite the mirror, and computes flat normals.
#[test]
fn gltf_applies_node_transforms_and_computes_missing_normals() {
    let dir = temp_dir("transforms");
    let cube = shapes::cube();
    let soup: Vec<Vec3> = cube.indices.iter().map(|&i| cube.positions[i as usize]).collect();
    let json = format!(
        r#"{{
  "asset": {{"version": "2.0"}},
  "scene": 0,
  "scenes": [{{"nodes": [0]}}],
  "nodes": [
    {{"translation": [1, 2, 3], "children": [1]}},
    {{"scale": [-2, 2, 2], "mesh": 0}}
  ],
  "meshes": [{{"primitives": [
    {{"attributes": {{"POSITION": 0}}}},
    {{"attributes": {{"POSITION": 0}}, "mode": 0}}
  ]}}],
  "buffers": [{{"byteLength": {len}, "uri": "data:application/octet-stream;base64,{data}"}}],
  "bufferViews": [{{"buffer": 0, "byteLength": {len}}}],
  "accessors": [{{"bufferView": 0, "componentType": 5126, "count": {count}, "type": "VEC3",
                  "min": [-0.5, -0.5, -0.5], "max": [0.5, 0.5, 0.5]}}]
}}"#,
        len = soup.len() * 12,
        data = base64_positions(&soup),
        count = soup.len(),
    );
    let path = dir.join("nested.gltf");
    std::fs::write(&path, json).expect("write");
    let mesh = gltf::load(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(mesh.vertex_count(), 36);
    // The mirror reverses each triangle's winding.
    let flipped: Vec<u32> = (0..12).flat_map(|t| [3 * t, 3 * t + 2, 3 * t + 1]).collect();
    assert_eq!(mesh.indices, flipped);
    for (p, q) in mesh.positions.iter().zip(&soup) {
        let expected = *q * Vec3::new(-2.0, 2.0, 2.0) + Vec3::new(1.0, 2.0, 3.0);
        assert!((*p - expected).length() < 1e-6, "{p} != {expected}");
    }
    assert!((mesh.signed_volume() - 8.0).abs() < 1e-4, "volume {}", mesh.signed_volume());
    // Flat normals: each points away from the cube's centre along one axis.
    for (p, n) in mesh.positions.iter().zip(&mesh.normals) {
        assert!((n.length() - 1.0).abs() < 1e-6);
        assert!(n.abs().max_element() > 0.999, "normal {n} is not along an axis");
        assert!(n.dot(*p - Vec3::new(1.0, 2.0, 3.0)) > 0.0, "normal {n} at {p} points in");
    }
}

#[test]
fn gltf_truncated_glb_is_an_error() {
    let dir = temp_dir("truncated_glb");
    let path = dir.join("cut.glb");
    gltf::write_glb(&sample_mesh(), &path).expect("write");
    let bytes = std::fs::read(&path).expect("read");
    std::fs::write(&path, &bytes[..bytes.len() / 2]).expect("write");
    let error = load_error(&path, &["truncated", "GLB header"]);
    assert!(matches!(error, GltfError::Truncated { .. }), "{error:?}");

    // Cut inside the header itself.
    std::fs::write(&path, &bytes[..7]).expect("write");
    load_error(&path, &["truncated", "12 bytes"]);
}

#[test]
fn gltf_truncated_json_is_an_error() {
    let dir = temp_dir("truncated_json");
    let path = dir.join("cut.gltf");
    gltf::write_gltf(&sample_mesh(), &path, BufferStyle::Embedded).expect("write");
    let text = std::fs::read_to_string(&path).expect("read");
    std::fs::write(&path, &text[..text.len() / 3]).expect("write");
    let error = load_error(&path, &["not a glTF file, or truncated", "EOF"]);
    assert!(matches!(error, GltfError::Parse { .. }), "{error:?}");
}

#[test]
fn gltf_index_out_of_range_is_an_error() {
    let dir = temp_dir("index_range");
    let path = dir.join("bad_index.gltf");
    let mesh = sample_mesh();
    gltf::write_gltf(&mesh, &path, BufferStyle::External).expect("write");
    // The writer puts the indices last in the buffer: overwrite the last one.
    let bin_path = dir.join("bad_index.bin");
    let mut bin = std::fs::read(&bin_path).expect("read");
    let at = bin.len() - 4;
    bin[at..].copy_from_slice(&99_999u32.to_le_bytes());
    std::fs::write(&bin_path, bin).expect("write");
    let error = load_error(
        &path,
        &[&format!(
            "mesh 0 primitive 0 uses vertex 99999, but it has {} vertices",
            mesh.vertex_count()
        )],
    );
    assert!(matches!(error, GltfError::IndexOutOfRange { index: 99_999, .. }));
}

#[test]
fn gltf_missing_external_buffer_is_an_error() {
    let dir = temp_dir("missing_buffer");
    let path = dir.join("lonely.gltf");
    gltf::write_gltf(&sample_mesh(), &path, BufferStyle::External).expect("write");
    std::fs::remove_file(dir.join("lonely.bin")).expect("remove the buffer");
    let error = load_error(&path, &["buffer 0 refers to `lonely.bin`", "could not be read"]);
    assert!(matches!(error, GltfError::MissingBuffer { buffer: 0, .. }));
}

#[test]
fn gltf_short_buffer_is_an_error() {
    let dir = temp_dir("short_buffer");
    let path = dir.join("short.gltf");
    gltf::write_gltf(&sample_mesh(), &path, BufferStyle::External).expect("write");
    let bin_path = dir.join("short.bin");
    let bin = std::fs::read(&bin_path).expect("read");
    std::fs::write(&bin_path, &bin[..bin.len() - 10]).expect("write");
    let error = load_error(
        &path,
        &[&format!(
            "buffer 0 (`short.bin`) holds {} bytes, but its byteLength is {}",
            bin.len() - 10,
            bin.len()
        )],
    );
    assert!(matches!(error, GltfError::BufferShorterThanDeclared { .. }));

    // The byteLength agrees with the short data, but a buffer view still reaches past it.
    let json = std::fs::read_to_string(&path).expect("read");
    let json = json.replace(
        &format!(r#""byteLength": {}, "uri""#, bin.len()),
        &format!(r#""byteLength": {}, "uri""#, bin.len() - 10),
    );
    std::fs::write(&path, json).expect("write");
    // The indices' view, the last in the buffer, is the first that does not fit.
    let indices_view =
        format!("but bufferView 2 (bytes {}..{}", sample_mesh().vertex_count() * 24, bin.len());
    let error = load_error(&path, &["buffer 0 (`short.bin`)", &indices_view, "accessor 2"]);
    assert!(matches!(error, GltfError::BufferTooShort { .. }));
}

#[test]
fn gltf_accessor_outside_its_view_is_an_error() {
    let dir = temp_dir("outside_view");
    let path = dir.join("overreach.gltf");
    let mesh = sample_mesh();
    gltf::write_gltf(&mesh, &path, BufferStyle::Embedded).expect("write");
    let json = std::fs::read_to_string(&path).expect("read");
    let n = mesh.vertex_count();
    let json = json.replace(
        &format!(r#""componentType": 5126, "count": {n}, "type": "VEC3"}}"#),
        &format!(r#""componentType": 5126, "count": {}, "type": "VEC3"}}"#, n + 1),
    );
    std::fs::write(&path, json).expect("write");
    load_error(&path, &["accessor 1 (NORMAL of mesh 0 primitive 0)", "bufferView 1"]);
}

#[test]
fn gltf_unsupported_required_extension_is_an_error() {
    let dir = temp_dir("extension");
    let path = dir.join("quantized.gltf");
    gltf::write_gltf(&sample_mesh(), &path, BufferStyle::Embedded).expect("write");
    let json = std::fs::read_to_string(&path).expect("read").replacen(
        r#""asset""#,
        r#""extensionsUsed": ["KHR_mesh_quantization"],
  "extensionsRequired": ["KHR_mesh_quantization"],
  "asset""#,
        1,
    );
    std::fs::write(&path, json).expect("write");
    let error = load_error(
        &path,
        &["requires the extension `KHR_mesh_quantization`, which this loader does not support"],
    );
    assert!(matches!(error, GltfError::UnsupportedExtension { .. }));
}

#[test]
fn gltf_missing_file_is_an_error() {
    let dir = temp_dir("missing_file");
    let error = load_error(&dir.join("nowhere.glb"), &["could not read the file"]);
    assert!(matches!(error, GltfError::Read { .. }));
}

#[test]
fn gltf_without_triangles_is_an_error() {
    let dir = temp_dir("no_triangles");
    let path = dir.join("points.gltf");
    gltf::write_gltf(&sample_mesh(), &path, BufferStyle::Embedded).expect("write");
    let json =
        std::fs::read_to_string(&path).expect("read").replace(r#""mode": 4"#, r#""mode": 0"#);
    std::fs::write(&path, json).expect("write");
    load_error(&path, &["no triangles", "1 of 1 primitives were skipped"]);
}

#[test]
fn gltf_invalid_documents_and_writes_are_errors() {
    let dir = temp_dir("invalid");
    // A reference to an accessor that does not exist fails the crate's validation.
    let path = dir.join("dangling.gltf");
    gltf::write_gltf(&sample_mesh(), &path, BufferStyle::Embedded).expect("write");
    let json =
        std::fs::read_to_string(&path).expect("read").replace(r#""indices": 2"#, r#""indices": 7"#);
    std::fs::write(&path, json).expect("write");
    load_error(&path, &["invalid glTF", "indices"]);

    // Not JSON at all.
    let path = dir.join("garbage.gltf");
    std::fs::write(&path, "this is not glTF").expect("write");
    load_error(&path, &["not a glTF file"]);

    // A GLB whose header claims less than itself.
    let path = dir.join("tiny.glb");
    let mut bytes = b"glTF".to_vec();
    bytes.extend_from_slice(&2u32.to_le_bytes());
    bytes.extend_from_slice(&4u32.to_le_bytes());
    std::fs::write(&path, bytes).expect("write");
    load_error(&path, &["less than itself"]);

    // Writers refuse meshes they could not store.
    let path = dir.join("empty.glb");
    let error = gltf::write_glb(&Mesh::default(), &path).expect_err("empty mesh");
    assert!(error.to_string().contains("empty.glb"), "{error}");
    let mut broken = shapes::cube();
    broken.indices[0] = 500;
    let error = gltf::write_gltf(&broken, &path, BufferStyle::Embedded).expect_err("bad index");
    assert!(error.to_string().contains("uses vertex 500"), "{error}");
}

/// Damaged files give errors, never panics: a small `.glb` and `.gltf` cut at every length,
/// and with every byte of the `.glb` flipped in turn.
#[test]
fn gltf_damaged_files_never_panic() {
    let dir = temp_dir("damaged");
    let cube = shapes::cube();
    let glb_path = dir.join("cube.glb");
    let gltf_path = dir.join("cube.gltf");
    gltf::write_glb(&cube, &glb_path).expect("write");
    gltf::write_gltf(&cube, &gltf_path, BufferStyle::Embedded).expect("write");
    for path in [&glb_path, &gltf_path] {
        let bytes = std::fs::read(path).expect("read");
        // (Trailing whitespace after the JSON is not needed.)
        for len in 0..bytes.trim_ascii_end().len() {
            assert!(gltf::load_from_bytes(&bytes[..len], path).is_err(), "cut at {len}");
        }
        assert_eq!(gltf::load_from_bytes(&bytes, path).expect("whole file"), cube);
    }
    let bytes = std::fs::read(&glb_path).expect("read");
    let mut loaded = 0;
    for i in 0..bytes.len() {
        let mut damaged = bytes.clone();
        damaged[i] ^= 0xff;
        if let Ok(mesh) = gltf::load_from_bytes(&damaged, &glb_path) {
            mesh.validate().expect("whatever loads is a valid mesh");
            loaded += 1;
        }
    }
    // Flipped bytes in the positions and normals still load (as another valid mesh).
    assert!(loaded > 0);
}

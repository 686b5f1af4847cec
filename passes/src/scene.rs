//! The scene: meshes with their LOD chains, and instances of them; packed for the GPU into one
//! vertex buffer, one index buffer, a mesh table and an instance table
//! (`shaders/passes/scene.glsl` declares the same layout), uploaded once and updated only when
//! the instances change.

use crate::mesh::lod::{build_lods, LodMesh, MAX_LODS};
use crate::mesh::{shapes, Mesh, Sphere};
use glam::{Quat, Vec3};
use rg_core::{BufferDesc, BufferHandle, Graph, QueueKind, ResourceState};
use rg_vulkan::{Bindings, Buffer, Error, Executor, MemoryUse, Pass};

/// One placed copy of a mesh.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Instance {
    pub position: Vec3,
    /// Uniform scale (bounding spheres scale with it).
    pub scale: f32,
    pub rotation: Quat,
    /// Index into [`Scene::meshes`].
    pub mesh: u32,
    /// Linear RGBA8.
    pub color: [u8; 4],
}

/// Meshes and their instances.
#[derive(Clone, Debug, Default)]
pub struct Scene {
    pub meshes: Vec<LodMesh>,
    pub instances: Vec<Instance>,
}

/// Bytes of one vertex on the GPU: position and normal, six floats.
pub const VERTEX_BYTES: u64 = 24;
/// Bytes of one entry of the mesh table (`MeshInfo`).
pub const MESH_BYTES: u64 = 32 + 16 * MAX_LODS as u64;
/// Bytes of one instance (`Instance`).
pub const INSTANCE_BYTES: u64 = 48;

/// A small integer hash (lowbias32), for deterministic placement.
pub fn hash(mut x: u32) -> u32 {
    x ^= x >> 16;
    x = x.wrapping_mul(0x7feb_352d);
    x ^= x >> 15;
    x = x.wrapping_mul(0x846c_a68b);
    x ^= x >> 16;
    x
}

/// A deterministic stream of numbers in `[0, 1)`.
struct Stream(u32);

impl Stream {
    fn next(&mut self) -> f32 {
        self.0 = hash(self.0.wrapping_add(0x9e37_79b9));
        (self.0 >> 8) as f32 / (1u32 << 24) as f32
    }

    fn range(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * self.next()
    }
}

impl Scene {
    /// Adds a mesh, building its LOD chain; returns its index.
    pub fn add_mesh(&mut self, mesh: &Mesh) -> u32 {
        self.meshes.push(build_lods(mesh));
        self.meshes.len() as u32 - 1
    }

    /// The world-space bounding sphere of instance `i`.
    pub fn world_sphere(&self, i: usize) -> Sphere {
        let inst = &self.instances[i];
        let s = self.meshes[inst.mesh as usize].bounds;
        Sphere {
            center: inst.position + inst.rotation * (s.center * inst.scale),
            radius: s.radius * inst.scale,
        }
    }

    /// The index of the sphere (an icosphere of radius 0.5) among [`Scene::procedural`]'s meshes.
    pub const SPHERE_MESH: usize = 3;

    /// A field of `count` instances (the ground first) over a square of side [`Scene::field_extent`]: rocks,
    /// trees, columns, spheres and boxes of varied sizes and colours, with some large rocks
    /// and blocks among them that hide what stands behind. The same `seed` gives the same scene.
    pub fn procedural(count: usize, seed: u32) -> Scene {
        let mut scene = Scene::default();
        let kinds: [(Mesh, [u8; 3]); 6] = [
            (shapes::rock(seed, 3), [120, 112, 100]),
            (shapes::tree(seed ^ 0x55), [60, 130, 50]),
            (shapes::column(24), [200, 190, 170]),
            (shapes::icosphere(3), [200, 80, 60]),
            (shapes::cube(), [90, 100, 140]),
            (shapes::rock(seed ^ 0xabc, 3), [140, 125, 95]),
        ];
        for (mesh, _) in &kinds {
            scene.add_mesh(mesh);
        }
        let extent = Scene::field_extent(count);
        // The ground: one flat instance under the whole field.
        let ground = scene.add_mesh(&ground(16));
        scene.instances.push(Instance {
            position: Vec3::ZERO,
            scale: extent * 0.6,
            rotation: Quat::IDENTITY,
            mesh: ground,
            color: [96, 110, 72, 255],
        });
        let mut s = Stream(hash(seed));
        for _ in 1..count.max(1) {
            let kind = (s.next() * kinds.len() as f32) as usize % kinds.len();
            // One in twenty is a large occluder: a big rock or block.
            let big = s.next() < 0.05 && (kind == 0 || kind == 4 || kind == 5);
            let scale = if big { s.range(2.5, 5.0) } else { s.range(0.3, 1.2) };
            let x = s.range(-0.5, 0.5) * extent;
            let z = s.range(-0.5, 0.5) * extent;
            let rotation = Quat::from_rotation_y(s.range(0.0, std::f32::consts::TAU));
            let base = kinds[kind].1;
            let shade = s.range(0.8, 1.2);
            let c = |v: u8| (v as f32 * shade).clamp(0.0, 255.0) as u8;
            scene.instances.push(Instance {
                position: Vec3::new(x, scale * 0.5, z),
                scale,
                rotation,
                mesh: kind as u32,
                color: [c(base[0]), c(base[1]), c(base[2]), 255],
            });
        }
        scene
    }

    /// The side of the square [`Scene::procedural`] spreads `count` instances over: about
    /// 2.5 units between neighbours.
    pub fn field_extent(count: usize) -> f32 {
        (count.max(1) as f32).sqrt() * 2.5
    }

    /// Where each mesh's vertices and levels land in the shared buffers.
    fn layout(&self) -> Vec<(u32, Vec<(u32, u32)>)> {
        let (mut vertex, mut index) = (0u32, 0u32);
        self.meshes
            .iter()
            .map(|m| {
                let first_vertex = vertex;
                vertex += m.mesh.positions.len() as u32;
                let levels = m
                    .levels
                    .iter()
                    .take(MAX_LODS)
                    .map(|l| {
                        let at = (index, l.indices.len() as u32);
                        index += l.indices.len() as u32;
                        at
                    })
                    .collect();
                (first_vertex, levels)
            })
            .collect()
    }

    /// Where level `level` of mesh `mesh` lies in the shared buffers: its first index, its index
    /// count and its first vertex (what an indexed draw of it needs), or `None` past the
    /// scene's meshes or the mesh's levels.
    pub fn mesh_range(&self, mesh: usize, level: usize) -> Option<(u32, u32, u32)> {
        let layout = self.layout();
        let (vertex, levels) = layout.get(mesh)?;
        let &(first, count) = levels.get(level)?;
        Some((first, count, *vertex))
    }

    /// The vertex buffer's contents: every mesh's vertices, position then normal.
    pub fn vertex_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for m in &self.meshes {
            for (p, n) in m.mesh.positions.iter().zip(&m.mesh.normals) {
                for v in [p.x, p.y, p.z, n.x, n.y, n.z] {
                    out.extend_from_slice(&v.to_le_bytes());
                }
            }
        }
        out
    }

    /// The index buffer's contents: every level of every mesh, indices relative to the mesh's
    /// first vertex.
    pub fn index_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for m in &self.meshes {
            for l in m.levels.iter().take(MAX_LODS) {
                for i in &l.indices {
                    out.extend_from_slice(&i.to_le_bytes());
                }
            }
        }
        out
    }

    /// The mesh table's contents (`MeshInfo`).
    pub fn mesh_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for (m, (first_vertex, levels)) in self.meshes.iter().zip(self.layout()) {
            let b = m.bounds;
            for v in [b.center.x, b.center.y, b.center.z, b.radius] {
                out.extend_from_slice(&v.to_le_bytes());
            }
            for v in [first_vertex, levels.len() as u32, 0, 0] {
                out.extend_from_slice(&v.to_le_bytes());
            }
            for k in 0..MAX_LODS {
                let (first, count, error) = match (levels.get(k), m.levels.get(k)) {
                    (Some(&(first, count)), Some(l)) => (first, count, l.error),
                    _ => (0, 0, f32::MAX),
                };
                out.extend_from_slice(&first.to_le_bytes());
                out.extend_from_slice(&count.to_le_bytes());
                out.extend_from_slice(&error.to_le_bytes());
                out.extend_from_slice(&0u32.to_le_bytes());
            }
        }
        out
    }

    /// The instance table's contents (`Instance`).
    pub fn instance_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.instances.len() * INSTANCE_BYTES as usize);
        for i in &self.instances {
            let q = i.rotation;
            for v in [i.position.x, i.position.y, i.position.z, i.scale, q.x, q.y, q.z, q.w] {
                out.extend_from_slice(&v.to_le_bytes());
            }
            for v in [i.mesh, u32::from_le_bytes(i.color), 0, 0] {
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
        out
    }

    /// Indices in the index buffer (every level).
    pub fn index_count(&self) -> u64 {
        self.meshes
            .iter()
            .flat_map(|m| m.levels.iter().take(MAX_LODS))
            .map(|l| l.indices.len() as u64)
            .sum()
    }
}

/// A flat square of side 2 at y = 0 facing up, `n` x `n` quads.
pub fn ground(n: u32) -> Mesh {
    let n = n.max(1);
    let mut m = Mesh::default();
    for z in 0..=n {
        for x in 0..=n {
            let (u, v) = (x as f32 / n as f32, z as f32 / n as f32);
            m.positions.push(Vec3::new(u * 2.0 - 1.0, 0.0, v * 2.0 - 1.0));
            m.normals.push(Vec3::Y);
        }
    }
    for z in 0..n {
        for x in 0..n {
            let a = z * (n + 1) + x;
            let (b, c, d) = (a + 1, a + n + 1, a + n + 2);
            // Counter-clockwise seen from above (+y).
            m.indices.extend_from_slice(&[a, c, b, b, c, d]);
        }
    }
    m
}

/// The sizes of a scene's buffers: all a frame's graph needs to declare them, with no device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SceneSizes {
    /// Bytes of the vertex, index, mesh and instance buffers (each at least one entry).
    pub bytes: [u64; 4],
    pub instance_count: u32,
}

impl SceneSizes {
    /// Imports the scene's buffers into a frame's graph (bind them with
    /// [`SceneBuffers::bind`]).
    pub fn import(&self, g: &mut Graph<Pass>) -> SceneInputs {
        let [v, i, m, n] = self.bytes;
        SceneInputs {
            vertices: g.import_buffer("scene.vertices", BufferDesc::new(v), HOST, HOST),
            indices: g.import_buffer("scene.indices", BufferDesc::new(i), HOST, HOST),
            meshes: g.import_buffer("scene.meshes", BufferDesc::new(m), HOST, HOST),
            instances: g.import_buffer("scene.instances", BufferDesc::new(n), HOST, HOST),
            instance_count: self.instance_count,
        }
    }
}

impl Scene {
    /// The sizes of the buffers [`SceneBuffers::upload`] makes for this scene.
    pub fn sizes(&self) -> SceneSizes {
        let vertices: u64 = self.meshes.iter().map(|m| m.mesh.positions.len() as u64).sum();
        let bytes = [
            vertices * VERTEX_BYTES,
            self.index_count() * 4,
            self.meshes.len() as u64 * MESH_BYTES,
            self.instances.len() as u64 * INSTANCE_BYTES,
        ];
        // A buffer cannot be empty: each holds at least one entry's worth.
        SceneSizes {
            bytes: bytes.map(|b| b.max(INSTANCE_BYTES)),
            instance_count: self.instances.len() as u32,
        }
    }
}

/// An error naming the first instance whose mesh index is past the scene's meshes.
fn check_meshes(scene: &Scene, pass: &str) -> Result<(), Error> {
    let meshes = scene.meshes.len();
    match scene.instances.iter().position(|i| i.mesh as usize >= meshes) {
        Some(k) => Err(Error::Pass {
            pass: pass.into(),
            message: format!(
                "instance {k} uses mesh {}, but the scene has {meshes} mesh(es)",
                scene.instances[k].mesh
            ),
        }),
        None => Ok(()),
    }
}

/// The scene's buffers on the device: made and filled once by [`SceneBuffers::upload`].
pub struct SceneBuffers {
    pub vertices: Buffer,
    pub indices: Buffer,
    pub meshes: Buffer,
    pub instances: Buffer,
    pub sizes: SceneSizes,
}

/// The scene's buffers as one frame's graph names them (imports).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SceneInputs {
    pub vertices: BufferHandle,
    pub indices: BufferHandle,
    pub meshes: BufferHandle,
    pub instances: BufferHandle,
    pub instance_count: u32,
}

/// The state the scene's buffers are in between frames: written by the host.
const HOST: ResourceState = ResourceState::host_written(QueueKind::Graphics);

impl SceneBuffers {
    /// Makes the scene's buffers and fills them (host-visible memory the GPU reads).
    ///
    /// # Errors
    /// Out of memory, a scene with no meshes, or an instance of a mesh the scene does not have
    /// (the shaders index the mesh table with it).
    pub fn upload(ex: &mut Executor, scene: &Scene) -> Result<SceneBuffers, Error> {
        if scene.meshes.is_empty() {
            return Err(Error::Pass {
                pass: "scene.upload".into(),
                message: "the scene has no meshes".into(),
            });
        }
        check_meshes(scene, "scene.upload")?;
        let data =
            [scene.vertex_bytes(), scene.index_bytes(), scene.mesh_bytes(), scene.instance_bytes()];
        let sizes = scene.sizes();
        let labels = ["scene.vertices", "scene.indices", "scene.meshes", "scene.instances"];
        let mut made = Vec::new();
        for ((label, size), bytes) in labels.iter().zip(sizes.bytes).zip(&data) {
            let b = ex.create_buffer(label, size, MemoryUse::Upload)?;
            ex.write_buffer(b, bytes)?;
            made.push(b);
        }
        Ok(SceneBuffers {
            vertices: made[0],
            indices: made[1],
            meshes: made[2],
            instances: made[3],
            sizes,
        })
    }

    /// Writes the instance table again (after instances moved). The count must not grow past
    /// what [`SceneBuffers::upload`] made room for.
    ///
    /// # Errors
    /// More instances than the table holds, or an instance of a mesh the scene does not have.
    pub fn update_instances(&mut self, ex: &mut Executor, scene: &Scene) -> Result<(), Error> {
        check_meshes(scene, "scene.update_instances")?;
        ex.write_buffer(self.instances, &scene.instance_bytes())?;
        self.sizes.instance_count = scene.instances.len() as u32;
        Ok(())
    }

    /// Imports the buffers into a frame's graph.
    pub fn import(&self, g: &mut Graph<Pass>) -> SceneInputs {
        self.sizes.import(g)
    }

    /// Binds the imports of [`SceneBuffers::import`] to the buffers.
    pub fn bind(&self, b: Bindings, inputs: &SceneInputs) -> Bindings {
        b.buffer(inputs.vertices, self.vertices)
            .buffer(inputs.indices, self.indices)
            .buffer(inputs.meshes, self.meshes)
            .buffer(inputs.instances, self.instances)
    }

    /// Frees the buffers.
    pub fn destroy(self, ex: &mut Executor) {
        for b in [self.vertices, self.indices, self.meshes, self.instances] {
            ex.destroy_buffer(b);
        }
    }
}

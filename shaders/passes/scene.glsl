// The scene as the GPU sees it (std430), written by `passes::scene::SceneBuffers`: every mesh's
// vertices in one buffer, every index in one, a table of meshes with their LOD levels, and the
// instances. Keep in step with passes/src/scene.rs.
#pragma once

// One vertex: position and unit normal in object space, six floats.
const uint VERTEX_FLOATS = 6;

// One level of a mesh's LOD chain: its indices (relative to the mesh's first vertex) and its
// simplification error in object space.
struct Lod {
    uint first_index;
    uint index_count;
    float error;
    uint pad;
};

const uint MAX_LODS = 8;

struct MeshInfo {
    vec4 sphere;         // bounding sphere in object space: centre, radius
    uint vertex_offset;  // the mesh's first vertex in the vertex buffer
    uint lod_count;
    uint pad0;
    uint pad1;
    Lod lods[MAX_LODS];
};

struct Instance {
    vec4 position_scale;  // world position, uniform scale
    vec4 rotation;        // unit quaternion (x, y, z, w)
    uint mesh;
    uint color;           // RGBA8, red in the low byte
    uint pad0;
    uint pad1;
};

// What `vkCmdDrawIndexedIndirectCount` reads: five words a draw.
struct DrawCommand {
    uint index_count;
    uint instance_count;
    uint first_index;
    int vertex_offset;
    uint first_instance;  // the instance's index: the vertex shader reads it as gl_InstanceIndex
};

vec3 rotate(vec4 q, vec3 v) {
    vec3 t = 2.0 * cross(q.xyz, v);
    return v + q.w * t + cross(q.xyz, t);
}

// The words of the culling passes' count buffer (`passes::cull::Counts`).
const uint COUNT_DRAWS_EARLY = 0;
const uint COUNT_DRAWS_LATE = 1;
const uint COUNT_TESTED = 2;
const uint COUNT_FRUSTUM_CULLED = 3;
const uint COUNT_OCCLUDED = 4;
const uint COUNT_VISIBLE_EARLY = 5;
const uint COUNT_VISIBLE_LATE = 6;
const uint COUNT_OVERFLOW = 7;
const uint COUNT_LOD = 8;  // draws per LOD level, MAX_LODS words

// Bits of a per-instance decision word (`passes::cull::Decision`).
const uint DECIDED_LOD_MASK = 0xfu;
const uint DECIDED_IN_FRUSTUM = 1u << 4;
const uint DECIDED_DRAWN_EARLY = 1u << 5;
const uint DECIDED_DRAWN_LATE = 1u << 6;
const uint DECIDED_OCCLUDED = 1u << 7;
const uint DECIDED_WAS_VISIBLE = 1u << 8;

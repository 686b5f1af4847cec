#version 450
// Culls shadow casters for one cascade (`passes::shadow::ShadowCascades`): each instance's
// bounding sphere against the cascade's box in the sun's view (extended toward the sun), LOD by
// the world error one shadow texel allows, compacted indexed indirect draws through an atomic
// counter; draws past the buffer's capacity are counted, never written.
#extension GL_GOOGLE_include_directive : require
#include "scene.glsl"

layout(local_size_x = 64) in;

layout(set = 0, binding = 0) readonly buffer Meshes { MeshInfo meshes[]; };
layout(set = 0, binding = 1) readonly buffer Instances { Instance instances[]; };
layout(set = 0, binding = 2) writeonly buffer Draws { DrawCommand draws[]; };
layout(set = 0, binding = 3) buffer Counts { uint counts[]; };

layout(push_constant) uniform Push {
    mat4 view;            // world to the sun's view
    vec2 center;          // the box's centre in the sun's view (x, y)
    float half_size;      // half the box's side
    float allowed_error;  // world error one texel allows
    float z_near;         // the box's depth range, as distance along the sun's rays
    float z_far;
    uint instance_count;
    uint draw_capacity;
    uint count_index;     // which word of `counts` counts this cascade's draws
    uint overflow_index;  // which word counts the draws that did not fit
} push;

void main() {
    uint i = gl_GlobalInvocationID.x;
    if (i >= push.instance_count) {
        return;
    }
    uint mesh = instances[i].mesh;
    vec4 position_scale = instances[i].position_scale;
    vec4 sphere = meshes[mesh].sphere;
    float scale = position_scale.w;
    vec3 world = position_scale.xyz + rotate(instances[i].rotation, sphere.xyz) * scale;
    vec3 c = (push.view * vec4(world, 1.0)).xyz;
    float r = sphere.w * scale;
    // A little margin for rounding: a caster is never dropped at the box's edge.
    float m = r + 1e-4 * (abs(c.z) + r) + 1e-5;
    float d = -c.z;
    bool inside = abs(c.x - push.center.x) <= push.half_size + m
        && abs(c.y - push.center.y) <= push.half_size + m
        && d >= push.z_near - m && d <= push.z_far + m;
    if (!inside) {
        return;
    }
    uint lod = 0;
    for (uint k = 1; k < meshes[mesh].lod_count; ++k) {
        if (meshes[mesh].lods[k].error * scale <= push.allowed_error) {
            lod = k;
        }
    }
    uint slot = atomicAdd(counts[push.count_index], 1u);
    if (slot >= push.draw_capacity) {
        atomicAdd(counts[push.overflow_index], 1u);
        return;
    }
    draws[slot].index_count = meshes[mesh].lods[lod].index_count;
    draws[slot].instance_count = 1u;
    draws[slot].first_index = meshes[mesh].lods[lod].first_index;
    draws[slot].vertex_offset = int(meshes[mesh].vertex_offset);
    draws[slot].first_instance = i;
}

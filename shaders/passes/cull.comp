#version 450
// GPU-driven culling, one invocation per instance (`passes::cull::Cull`).
//
// The early phase (no LATE) draws what was visible last frame and is inside the frustum. The
// late phase (LATE) tests every instance against the frustum and against the depth pyramid
// built from the early phase's depth, draws the ones that are visible now but were not drawn
// early, and remembers what is visible for the next frame. Both choose a LOD level by screen-
// space error and append compacted indexed draws through an atomic counter; draws past the
// buffer's capacity are counted, never written.
#extension GL_GOOGLE_include_directive : require
#include "scene.glsl"

layout(local_size_x = 64) in;

layout(set = 0, binding = 0) readonly buffer Meshes { MeshInfo meshes[]; };
layout(set = 0, binding = 1) readonly buffer Instances { Instance instances[]; };
#ifdef LATE
layout(set = 0, binding = 2) buffer Visibility { uint visible[]; };
#else
layout(set = 0, binding = 2) readonly buffer Visibility { uint visible[]; };
#endif
layout(set = 0, binding = 3) writeonly buffer Draws { DrawCommand draws[]; };
layout(set = 0, binding = 4) buffer Counts { uint counts[]; };
layout(set = 0, binding = 5) buffer Decisions { uint decisions[]; };
#ifdef LATE
layout(set = 0, binding = 6) uniform texture2D pyramid;
layout(set = 0, binding = 7) uniform sampler nearest;
#endif

layout(push_constant) uniform Push {
    mat4 view;
    float p00;          // projection[0][0]
    float p11;          // |projection[1][1]|
    float z_near;
    float lod_scale;    // world error allowed per unit of distance (threshold in pixels × pixel size at distance 1)
    uint instance_count;
    uint draw_capacity;
    uint pyramid_width;
    uint pyramid_height;
    uint pyramid_levels;
    uint flags;
} push;

const uint FLAG_FRUSTUM = 1u;    // test the frustum (else everything is inside)
const uint FLAG_OCCLUSION = 2u;  // late: test the depth pyramid
const uint FLAG_HISTORY = 4u;    // `visible` holds last frame's visibility (else: nothing was)
const uint FLAG_ALL = 8u;        // culling off: the early phase draws every instance

// The margin by which the frustum test widens a sphere: rounding in the view transform must
// never turn a visible instance into a culled one (`passes::reference` states the band).
float frustum_margin(float distance, float radius) {
    return 1e-4 * (abs(distance) + radius) + 1e-5;
}

// Whether a view-space sphere (-z forward) touches the infinite frustum. The four side planes
// pass through the eye; by symmetry one test per axis covers both planes of the pair.
bool in_frustum(vec3 c, float r) {
    float d = -c.z;
    float m = r + frustum_margin(d, r);
    bool inside = d + m >= push.z_near;
    // Right/left planes: p00 * |x| <= d, as a signed distance.
    inside = inside && (push.p00 * abs(c.x) - d) * inversesqrt(push.p00 * push.p00 + 1.0) <= m;
    inside = inside && (push.p11 * abs(c.y) - d) * inversesqrt(push.p11 * push.p11 + 1.0) <= m;
    return inside;
}

// The LOD level whose error, seen from `distance`, stays under the threshold: the coarsest
// such level (errors grow along the chain; level 0's is zero).
// (Fields are read one by one: copying a whole struct out of a buffer compiles to
// OpCopyLogical, which the SPIR-V reader used for reflection does not take.)
uint choose_lod(uint mesh, float distance_to_surface, float scale) {
    float allowed = distance_to_surface * push.lod_scale;
    uint lod = 0;
    for (uint i = 1; i < meshes[mesh].lod_count; ++i) {
        if (meshes[mesh].lods[i].error * scale <= allowed) {
            lod = i;
        }
    }
    return lod;
}

#ifdef LATE
// The sphere's bounds on screen, in [0, 1] texture coordinates (x right, y down), from the two
// tangent lines through the eye in each of the xz and yz planes. Only for spheres wholly in
// front of the near plane.
vec4 screen_bounds(vec3 c, float r) {
    float d = -c.z;
    // x: tangents from the eye to the circle (c.x, d) of radius r.
    float tx = sqrt(c.x * c.x + d * d - r * r);
    float x0 = (c.x * tx - r * d) / (d * tx + r * c.x);
    float x1 = (c.x * tx + r * d) / (d * tx - r * c.x);
    // y: view space has y up, the screen y down.
    float cy = -c.y;
    float ty = sqrt(cy * cy + d * d - r * r);
    float y0 = (cy * ty - r * d) / (d * ty + r * cy);
    float y1 = (cy * ty + r * d) / (d * ty - r * cy);
    return vec4(x0 * push.p00, y0 * push.p11, x1 * push.p00, y1 * push.p11) * 0.5 + 0.5;
}

// Whether the sphere lies wholly behind the depth the pyramid keeps over its screen bounds.
// Reversed Z: depth = z_near / distance, so the farthest depth is the smallest value.
bool occluded(vec3 c, float r) {
    float d = -c.z;
    if (d - r <= push.z_near) {
        return false;  // crosses the near plane: treated as visible
    }
    vec4 b = clamp(screen_bounds(c, r), 0.0, 1.0);
    vec2 size = vec2(push.pyramid_width, push.pyramid_height);
    vec2 lo = b.xy * size;
    vec2 hi = b.zw * size;
    float extent = max(hi.x - lo.x, hi.y - lo.y);
    // The level where the bounds span at most one texel, so the 2x2 texels from the one
    // holding the low corner cover them.
    int level = int(ceil(log2(max(extent, 1.0))));
    level = clamp(level, 0, int(push.pyramid_levels) - 1);
    // The level's size from the push constants, not textureSize: llvmpipe (Mesa 22.3) answers
    // textureSize with a level that differs between invocations with another invocation's
    // level (docs/upstream-bugs.md).
    ivec2 last = max(ivec2(push.pyramid_width, push.pyramid_height) >> level, ivec2(1)) - 1;
    ivec2 t0 = clamp(ivec2(floor(lo / float(1 << level))), ivec2(0), last);
    ivec2 t1 = min(t0 + 1, last);
    float far = min(
        min(texelFetch(sampler2D(pyramid, nearest), t0, level).r,
            texelFetch(sampler2D(pyramid, nearest), ivec2(t1.x, t0.y), level).r),
        min(texelFetch(sampler2D(pyramid, nearest), ivec2(t0.x, t1.y), level).r,
            texelFetch(sampler2D(pyramid, nearest), t1, level).r));
    float nearest_depth = push.z_near / (d - r);
    return nearest_depth < far;
}
#endif

void emit(uint i, uint mesh, uint lod, uint slot_counter) {
    uint slot = atomicAdd(counts[slot_counter], 1u);
    if (slot >= push.draw_capacity) {
        atomicAdd(counts[COUNT_OVERFLOW], 1u);
        return;
    }
    draws[slot].index_count = meshes[mesh].lods[lod].index_count;
    draws[slot].instance_count = 1u;
    draws[slot].first_index = meshes[mesh].lods[lod].first_index;
    draws[slot].vertex_offset = int(meshes[mesh].vertex_offset);
    draws[slot].first_instance = i;
    atomicAdd(counts[COUNT_LOD + lod], 1u);
}

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
    bool all = (push.flags & FLAG_ALL) != 0u;
    bool inside = all || (push.flags & FLAG_FRUSTUM) == 0u || in_frustum(c, r);
    uint lod = choose_lod(mesh, max(length(c) - r, 0.0), scale);
    bool was = (push.flags & FLAG_HISTORY) != 0u && visible[i] != 0u;
    uint decision = lod | (inside ? DECIDED_IN_FRUSTUM : 0u) | (was ? DECIDED_WAS_VISIBLE : 0u);
#ifndef LATE
    if (all || (was && inside)) {
        emit(i, mesh, lod, COUNT_DRAWS_EARLY);
        atomicAdd(counts[COUNT_VISIBLE_EARLY], 1u);
        decision |= DECIDED_DRAWN_EARLY;
    }
    decisions[i] = decision;
#else
    atomicAdd(counts[COUNT_TESTED], 1u);
    if (all) {
        visible[i] = 1u;
        return;
    }
    bool hidden = inside && (push.flags & FLAG_OCCLUSION) != 0u && occluded(c, r);
    if (!inside) {
        atomicAdd(counts[COUNT_FRUSTUM_CULLED], 1u);
    } else if (hidden) {
        atomicAdd(counts[COUNT_OCCLUDED], 1u);
        decision |= DECIDED_OCCLUDED;
    } else if (!was) {
        emit(i, mesh, lod, COUNT_DRAWS_LATE);
        atomicAdd(counts[COUNT_VISIBLE_LATE], 1u);
        decision |= DECIDED_DRAWN_LATE;
    }
    visible[i] = (inside && !hidden) ? 1u : 0u;
    decisions[i] |= decision;
#endif
}

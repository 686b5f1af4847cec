#version 450
// Sorts lights into the froxel grid (`passes::lights::ClusterLights`), one invocation per
// cluster: every light whose sphere touches the cluster's view-space box is listed, in light
// order, up to the grid's budget; the rest are counted as overflow. Counts and offsets are
// whole words, so no count can spill into a neighbour's.
#extension GL_GOOGLE_include_directive : require
#include "lights.glsl"

layout(local_size_x = 64) in;

layout(set = 0, binding = 0) readonly buffer Lights { Light lights[]; };
// Per cluster: the count it keeps (its lights start at cluster × budget).
layout(set = 0, binding = 1) writeonly buffer Counts { uint counts[]; };
layout(set = 0, binding = 2) writeonly buffer Items { uint items[]; };
layout(set = 0, binding = 3) buffer Overflow { uint overflow[]; };  // [0]: lights dropped, [1]: clusters over budget
// The grid's parameters, for the shading passes that read the lists.
layout(set = 0, binding = 4) writeonly buffer Grid { ClusterGrid grid; };

layout(push_constant) uniform Push {
    mat4 view;
    vec4 proj;   // p00, p11, the target's width and height
    uvec4 dims;  // tiles x, tiles y, slices, budget
    vec4 depth;  // near, far, log(far / near), light count
} push;

void main() {
    uint c = gl_GlobalInvocationID.x;
    if (c == 0u) {
        grid.dims = push.dims;
        grid.depth = push.depth;
        grid.screen = vec4(push.proj.zw, 0.0, 0.0);
    }
    uint tiles = push.dims.x * push.dims.y;
    if (c >= tiles * push.dims.z) {
        return;
    }
    uint tx = c % push.dims.x;
    uint ty = (c / push.dims.x) % push.dims.y;
    uint s = c / tiles;
    // The slice's depths, and the tile's extent in NDC (y down, as Vulkan's framebuffer).
    float ratio = push.depth.z / float(push.dims.z);
    float d0 = push.depth.x * exp(ratio * float(s));
    float d1 = push.depth.x * exp(ratio * float(s + 1u));
    vec2 n0 = vec2(tx, ty) / vec2(push.dims.xy) * 2.0 - 1.0;
    vec2 n1 = vec2(tx + 1u, ty + 1u) / vec2(push.dims.xy) * 2.0 - 1.0;
    // View space: x = ndc.x · d / p00, y = −ndc.y · d / p11, z = −d. The box of the eight corners.
    vec3 lo = vec3(1e30);
    vec3 hi = vec3(-1e30);
    for (int k = 0; k < 8; ++k) {
        float d = (k & 1) == 0 ? d0 : d1;
        float nx = (k & 2) == 0 ? n0.x : n1.x;
        float ny = (k & 4) == 0 ? n0.y : n1.y;
        vec3 p = vec3(nx * d / push.proj.x, -ny * d / push.proj.y, -d);
        lo = min(lo, p);
        hi = max(hi, p);
    }
    uint budget = push.dims.w;
    uint n = 0;
    uint count = uint(push.depth.w);
    for (uint i = 0; i < count; ++i) {
        vec4 pr = lights[i].position_radius;
        vec3 v = (push.view * vec4(pr.xyz, 1.0)).xyz;
        vec3 q = clamp(v, lo, hi) - v;
        // A sliver more than the radius: rounding in the view transform never drops a light
        // that touches the box (`passes::reference::cluster_band` states it).
        float r = pr.w + 1e-4 * (length(v) + pr.w) + 1e-4;
        if (dot(q, q) <= r * r) {
            if (n < budget) {
                items[c * budget + n] = i;
            }
            n += 1u;
        }
    }
    counts[c] = min(n, budget);
    if (n > budget) {
        atomicAdd(overflow[0], n - budget);
        atomicAdd(overflow[1], 1u);
    }
}

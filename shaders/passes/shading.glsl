// Light at a surface point: the sun filtered by the cascaded shadow map, and clustered point
// lights (`passes::lighting::DeferredLighting`). The including shader declares `push` with
// `eye` (camera position, cascade count in w) and `forward` (view direction), and defines
// SHADOWS and LIGHTS when it binds their resources.
#pragma once
#extension GL_GOOGLE_include_directive : require
#include "lights.glsl"

#ifdef SHADOWS
layout(set = 0, binding = 5) uniform texture2DArray shadow_map;
struct Cascade {
    mat4 view_projection;
    vec4 params;  // the slice's far distance, texel size, depth units per world unit, unused
};
layout(set = 0, binding = 6) readonly buffer Cascades { Cascade cascades[]; };

// World units the depth compared is moved toward the sun (against acne on lit surfaces).
const float BIAS = 0.02;

// The share of the 3x3 texels around the point whose depth does not hide it from the sun.
float sunlight(vec3 p, vec3 n) {
    uint count = uint(push.eye.w);
    float distance = dot(p - push.eye.xyz, push.forward.xyz);
    uint k = 0;
    while (k + 1 < count && distance > cascades[k].params.x) {
        ++k;
    }
    if (count == 0 || distance > cascades[count - 1].params.x) {
        return 1.0;  // past the shadows' reach
    }
    vec4 params = cascades[k].params;
    // Normal offset: a texel and a half along the normal.
    vec4 q = cascades[k].view_projection * vec4(p + n * (1.5 * params.y), 1.0);
    float depth = q.z + BIAS * params.z;
    ivec2 size = textureSize(sampler2DArray(shadow_map, nearest), 0).xy;
    ivec2 t = ivec2(floor((q.xy * 0.5 + 0.5) * vec2(size)));
    float lit = 0.0;
    for (int dy = -1; dy <= 1; ++dy) {
        for (int dx = -1; dx <= 1; ++dx) {
            ivec2 at = clamp(t + ivec2(dx, dy), ivec2(0), size - 1);
            float occluder = texelFetch(sampler2DArray(shadow_map, nearest), ivec3(at, k), 0).r;
            // Reversed Z: larger is nearer the sun.
            lit += depth >= occluder ? 1.0 : 0.0;
        }
    }
    return lit / 9.0;
}
#endif

#ifdef LIGHTS
layout(set = 0, binding = 7) readonly buffer Lights { Light lights[]; };
layout(set = 0, binding = 8) readonly buffer ClusterCounts { uint cluster_counts[]; };
layout(set = 0, binding = 9) readonly buffer ClusterItems { uint cluster_items[]; };
layout(set = 0, binding = 10) readonly buffer Grid { ClusterGrid grid; };

// One point light's diffuse light at `p`: zero at and past its radius.
vec3 point_light(uint i, vec3 p, vec3 n) {
    vec4 pr = lights[i].position_radius;
    vec3 l = pr.xyz - p;
    float dist = length(l);
    if (dist >= pr.w) {
        return vec3(0.0);
    }
    return lights[i].color.rgb * falloff(dist, pr.w) * max(dot(n, l / max(dist, 1e-6)), 0.0);
}

// Every point light's diffuse light at `p`, seen at pixel centre `pixel`: the lights of its
// cluster, or with BRUTE_FORCE every light (for tests: both sum the same terms in the same
// order). Lights reach only points within the grid's depth.
vec3 point_lights(vec3 p, vec3 n, vec2 pixel) {
    vec3 sum = vec3(0.0);
    float d = dot(p - push.eye.xyz, push.forward.xyz);
    if (d > grid.depth.y) {
        return sum;
    }
#ifdef BRUTE_FORCE
    uint count = uint(grid.depth.w);
    for (uint i = 0u; i < count; ++i) {
        sum += point_light(i, p, n);
    }
#else
    uvec2 tile = min(uvec2(pixel / grid.screen.xy * vec2(grid.dims.xy)), grid.dims.xy - 1u);
    uint s = cluster_slice(d, grid.depth, grid.dims.z);
    uint c = tile.x + tile.y * grid.dims.x + s * grid.dims.x * grid.dims.y;
    uint listed = cluster_counts[c];
    for (uint k = 0u; k < listed; ++k) {
        sum += point_light(cluster_items[c * grid.dims.w + k], p, n);
    }
#endif
    return sum;
}
#endif

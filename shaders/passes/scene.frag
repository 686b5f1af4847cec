#version 450
#extension GL_GOOGLE_include_directive : require
// Lights an instance with one sun and an ambient term (`passes::draw::DrawScene`). With
// SHADOWS the sun is filtered by the cascaded shadow map (3x3 PCF, normal offset and a small
// constant bias); with LIGHTS the clustered point lights add theirs (`passes::lights`). With INSTANCE_IDS the instance's index plus one also goes to an R32Uint
// attachment, so a test can list what is visible; with SHADOWS as well, its top bit says the
// pixel is mostly in shadow.

layout(location = 0) in vec3 normal;
layout(location = 1) in vec3 albedo;
layout(location = 2) flat in uint instance;
layout(location = 3) in vec3 world;

layout(push_constant) uniform Push {
    mat4 view_projection;
    vec4 sun;
    vec4 eye;
    vec4 forward;
} push;

layout(location = 0) out vec4 color;
#ifdef INSTANCE_IDS
layout(location = 1) out uint id;
#endif

#ifdef SHADOWS
layout(set = 0, binding = 2) uniform texture2DArray shadow_map;
layout(set = 0, binding = 3) uniform sampler nearest;
struct Cascade {
    mat4 view_projection;
    vec4 params;  // the slice's far distance, texel size, depth units per world unit, unused
};
layout(set = 0, binding = 4) readonly buffer Cascades { Cascade cascades[]; };

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
#include "lights.glsl"
layout(set = 0, binding = 5) readonly buffer Lights { Light lights[]; };
layout(set = 0, binding = 6) readonly buffer ClusterCounts { uint cluster_counts[]; };
layout(set = 0, binding = 7) readonly buffer ClusterItems { uint cluster_items[]; };
layout(set = 0, binding = 8) readonly buffer Grid { ClusterGrid grid; };

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

// Every point light's diffuse light at `p`: the lights of the pixel's cluster, or with
// BRUTE_FORCE every light (for tests: both sum the same terms in the same order). Lights reach
// only points within the grid's depth.
vec3 point_lights(vec3 p, vec3 n) {
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
    uvec2 tile = min(uvec2(gl_FragCoord.xy / grid.screen.xy * vec2(grid.dims.xy)), grid.dims.xy - 1u);
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

void main() {
    vec3 n = normalize(normal);
    float facing = max(dot(n, push.sun.xyz), 0.0);
    float shade = 1.0;
#ifdef SHADOWS
    shade = facing > 0.0 ? sunlight(world, n) : 0.0;
#endif
    // A touch of sky from above keeps faces turned from the sun readable.
    float sky = 0.5 + 0.5 * n.y;
    vec3 light = vec3(facing * shade + push.sun.w * sky);
#ifdef LIGHTS
    light += point_lights(world, n);
#endif
    color = vec4(albedo * light, 1.0);
#ifdef INSTANCE_IDS
    id = instance + 1u;
#ifdef SHADOWS
    id |= shade < 0.5 ? 0x80000000u : 0u;
#endif
#endif
}

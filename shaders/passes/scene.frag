#version 450
// Lights an instance with one sun and an ambient term (`passes::draw::DrawScene`). With
// SHADOWS the sun is filtered by the cascaded shadow map (3x3 PCF, normal offset and a small
// constant bias). With INSTANCE_IDS the instance's index plus one also goes to an R32Uint
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

void main() {
    vec3 n = normalize(normal);
    float facing = max(dot(n, push.sun.xyz), 0.0);
    float shade = 1.0;
#ifdef SHADOWS
    shade = facing > 0.0 ? sunlight(world, n) : 0.0;
#endif
    // A touch of sky from above keeps faces turned from the sun readable.
    float sky = 0.5 + 0.5 * n.y;
    color = vec4(albedo * (facing * shade + push.sun.w * sky), 1.0);
#ifdef INSTANCE_IDS
    id = instance + 1u;
#ifdef SHADOWS
    id |= shade < 0.5 ? 0x80000000u : 0u;
#endif
#endif
}

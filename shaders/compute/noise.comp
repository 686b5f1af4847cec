#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
// Value noise, four octaves, drifting with time.

layout(local_size_x = 8, local_size_y = 8) in;
layout(set = 0, binding = 0, r32f) uniform writeonly image2D noise;
layout(push_constant) uniform Push { float time; } push;

float lattice(ivec2 p) {
    return float(rg_hash(uint(p.x) * 73856093u ^ uint(p.y) * 19349663u) & 0xffffu) / 65535.0;
}

float value_noise(vec2 p) {
    ivec2 i = ivec2(floor(p));
    vec2 f = fract(p);
    vec2 u = f * f * (3.0 - 2.0 * f);
    float a = lattice(i), b = lattice(i + ivec2(1, 0));
    float c = lattice(i + ivec2(0, 1)), d = lattice(i + ivec2(1, 1));
    return mix(mix(a, b, u.x), mix(c, d, u.x), u.y);
}

void main() {
    ivec2 size = imageSize(noise);
    ivec2 at = ivec2(gl_GlobalInvocationID.xy);
    if (any(greaterThanEqual(at, size))) return;
    vec2 p = vec2(at) / vec2(size) * 6.0 + vec2(push.time * 0.3, push.time * 0.1);
    float h = 0.0, amp = 0.5;
    for (int o = 0; o < 4; o++) {
        h += amp * value_noise(p);
        p *= 2.0;
        amp *= 0.5;
    }
    imageStore(noise, at, vec4(h));
}

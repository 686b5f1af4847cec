#version 450
// Erosion and deposition: the water's capacity for sediment grows with its speed and the
// ground's slope; below capacity it dissolves ground into sediment, above it drops sediment as
// ground. What one loses the other gains.
#extension GL_GOOGLE_include_directive : require
#include "erosion.glsl"

layout(local_size_x = 8, local_size_y = 8) in;
layout(set = 0, binding = 0, r32f) uniform readonly image2D ground;
layout(set = 0, binding = 1, r32f) uniform readonly image2D sediment;
layout(set = 0, binding = 2, rgba32f) uniform readonly image2D motion;
layout(set = 0, binding = 3, r32f) uniform writeonly image2D ground_out;
layout(set = 0, binding = 4, r32f) uniform writeonly image2D sediment_out;

float ground_at(ivec2 q) {
    return imageLoad(ground, clamp(q, ivec2(0), ivec2(push.side - 1u))).r;
}

void main() {
    ivec2 p = ivec2(gl_GlobalInvocationID.xy);
    if (!inside(p)) {
        return;
    }
    float b = imageLoad(ground, p).r;
    float s = imageLoad(sediment, p).r;
    vec2 grad = 0.5 * vec2(ground_at(p + ivec2(1, 0)) - ground_at(p - ivec2(1, 0)),
                           ground_at(p + ivec2(0, 1)) - ground_at(p - ivec2(0, 1)));
    float g2 = dot(grad, grad);
    float sine = sqrt(g2 / (1.0 + g2));
    float carry = push.capacity * max(sine, 0.01) * length(imageLoad(motion, p).xy);
    float moved = carry > s ? push.dissolving * (carry - s) : -push.deposition * (s - carry);
    // Never dig more than the sediment takes, never drop more than there is.
    moved = clamp(moved, -s, b);
    imageStore(ground_out, p, vec4(b - moved));
    imageStore(sediment_out, p, vec4(s + moved));
}

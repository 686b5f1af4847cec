#version 450
// Thermal erosion: between each pair of neighbours whose heights differ by more than the talus
// step, a share of the excess slides down. The exchange between two cells is computed the same
// way from both sides with opposite signs, so the ground's total is kept.
#extension GL_GOOGLE_include_directive : require
#include "erosion.glsl"

layout(local_size_x = 8, local_size_y = 8) in;
layout(set = 0, binding = 0, r32f) uniform readonly image2D ground_in;
layout(set = 0, binding = 1, r32f) uniform writeonly image2D ground_out;

void main() {
    ivec2 p = ivec2(gl_GlobalInvocationID.xy);
    if (!inside(p)) {
        return;
    }
    float b = imageLoad(ground_in, p).r;
    float change = 0.0;
    for (int k = 0; k < 4; ++k) {
        ivec2 q = p + NEIGHBOUR[k];
        if (inside(q)) {
            float n = imageLoad(ground_in, q).r;
            change += push.thermal * (max(n - b - push.talus, 0.0) - max(b - n - push.talus, 0.0));
        }
    }
    imageStore(ground_out, p, vec4(b + change));
}

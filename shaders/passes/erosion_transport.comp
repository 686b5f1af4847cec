#version 450
// Sediment moves with the water, conservatively: each cell sends to each neighbour the share
// of its sediment that its outflow to that neighbour takes of its water, so what one cell sends
// another receives (semi-Lagrangian advection would not keep the total).
#extension GL_GOOGLE_include_directive : require
#include "erosion.glsl"

layout(local_size_x = 8, local_size_y = 8) in;
layout(set = 0, binding = 0, r32f) uniform readonly image2D sediment_in;
layout(set = 0, binding = 1, rgba32f) uniform readonly image2D flux;
layout(set = 0, binding = 2, rgba32f) uniform readonly image2D motion;
layout(set = 0, binding = 3, r32f) uniform writeonly image2D sediment_out;

// The share of cell q's sediment that leaves it along flux component k.
float share(ivec2 q, int k) {
    float water = imageLoad(motion, q).z;
    if (water <= 1e-6) {
        return 0.0;
    }
    return min(imageLoad(flux, q)[k] * push.dt / water, 1.0);
}

void main() {
    ivec2 p = ivec2(gl_GlobalInvocationID.xy);
    if (!inside(p)) {
        return;
    }
    float s = imageLoad(sediment_in, p).r;
    float leaving = 0.0;
    for (int k = 0; k < 4; ++k) {
        leaving += share(p, k);
    }
    float kept = s * max(1.0 - leaving, 0.0);
    float arriving = 0.0;
    for (int k = 0; k < 4; ++k) {
        ivec2 q = p + NEIGHBOUR[k];
        if (inside(q)) {
            arriving += imageLoad(sediment_in, q).r * share(q, BACK[k]);
        }
    }
    imageStore(sediment_out, p, vec4(kept + arriving));
}

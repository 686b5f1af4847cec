#version 450
// Virtual pipes, step 1 (Mei, Decaudin and Hu 2007): each cell's outflow to its four
// neighbours grows with the difference of water surface heights, and is scaled down so no cell
// sends more water than it holds. Nothing flows off the grid.
#extension GL_GOOGLE_include_directive : require
#include "erosion.glsl"

layout(local_size_x = 8, local_size_y = 8) in;
layout(set = 0, binding = 0, r32f) uniform readonly image2D ground;
layout(set = 0, binding = 1, r32f) uniform readonly image2D water;
layout(set = 0, binding = 2, rgba32f) uniform image2D flux;

void main() {
    ivec2 p = ivec2(gl_GlobalInvocationID.xy);
    if (!inside(p)) {
        return;
    }
    float d = imageLoad(water, p).r;
    float surface = imageLoad(ground, p).r + d;
    vec4 f = imageLoad(flux, p);
    for (int k = 0; k < 4; ++k) {
        ivec2 q = p + NEIGHBOUR[k];
        float out_k = 0.0;
        if (inside(q)) {
            float dh = surface - imageLoad(ground, q).r - imageLoad(water, q).r;
            out_k = max(0.0, f[k] + push.dt * push.gravity * dh);
        }
        f[k] = out_k;
    }
    float total = (f.x + f.y + f.z + f.w) * push.dt;
    if (total > d) {
        f *= d / total;
    }
    imageStore(flux, p, f);
}

#version 450
// Virtual pipes, step 2: water moves by the fluxes, the velocity field follows from them,
// water evaporates and rain falls. `motion` keeps the velocity (xy) and the water this cell
// held before the move (z) for the sediment transport.
#extension GL_GOOGLE_include_directive : require
#include "erosion.glsl"

layout(local_size_x = 8, local_size_y = 8) in;
layout(set = 0, binding = 0, rgba32f) uniform readonly image2D flux;
layout(set = 0, binding = 1, r32f) uniform image2D water;
layout(set = 0, binding = 2, rgba32f) uniform writeonly image2D motion;

void main() {
    ivec2 p = ivec2(gl_GlobalInvocationID.xy);
    if (!inside(p)) {
        return;
    }
    vec4 out_f = imageLoad(flux, p);
    vec4 in_f = vec4(0.0);
    for (int k = 0; k < 4; ++k) {
        ivec2 q = p + NEIGHBOUR[k];
        if (inside(q)) {
            in_f[k] = imageLoad(flux, q)[BACK[k]];
        }
    }
    float before = imageLoad(water, p).r;
    float after = max(0.0, before + push.dt * ((in_f.x + in_f.y + in_f.z + in_f.w) - (out_f.x + out_f.y + out_f.z + out_f.w)));
    float mean = 0.5 * (before + after);
    vec2 v = vec2(0.0);
    if (mean > 1e-5) {
        v.x = 0.5 * (in_f.x - out_f.x + out_f.y - in_f.y) / mean;
        v.y = 0.5 * (in_f.z - out_f.z + out_f.w - in_f.w) / mean;
    }
    imageStore(motion, p, vec4(v, before, 0.0));
    imageStore(water, p, vec4(after * (1.0 - push.evaporation * push.dt) + push.rain * push.dt));
}

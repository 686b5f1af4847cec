#version 450
// Fills the heightfield from integer-hash fractal noise (`passes::terrain::GenerateTerrain`).
#extension GL_GOOGLE_include_directive : require
#include "terrain_noise.glsl"

layout(local_size_x = 8, local_size_y = 8) in;
layout(set = 0, binding = 0, r32f) uniform writeonly image2D height;

layout(push_constant) uniform Push {
    uint side;
    uint octaves;
    uint base_shift;
    uint seed;
} push;

void main() {
    uvec2 p = gl_GlobalInvocationID.xy;
    if (any(greaterThanEqual(p, uvec2(push.side)))) {
        return;
    }
    imageStore(height, ivec2(p), vec4(terrain_height(p.x, p.y, push.octaves, push.base_shift, push.seed)));
}
